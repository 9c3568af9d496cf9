"""From an ASL document to compiled states, cached per definition.

Compiling parses every path, template, intrinsic, JSONata expression and Choice rule once, so
running a state only evaluates. Definitions are validated here: anything the interpreter would
have to guess at (unknown types, fields of the other query language, dangling `Next`) is refused
with a DefinitionError. Each state is compiled by the class of its type and query language
(`query.py`): JSONata states are in `jsonata_states.py` and `jsonata_execution.py`.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from .basic import ChoiceState, FailState, PassState, SucceedState, WaitState
from .errors import DefinitionError
from .map_state import MapState
from .parallel import ParallelState
from .program import Program, Runnable
from .query import JSONATA, machine_language, state_language
from .task import TaskState

_STATE_CLASSES: dict[str, Any] = {
    "Parallel": ParallelState,
    "Map": MapState,
    "Task": TaskState,
    "Pass": PassState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Succeed": SucceedState,
    "Fail": FailState,
}
_TERMINAL = ("Choice", "Succeed", "Fail")
# What a definition that may use variables contains: an Assign, or a `$name` reference (a
# variable in a JSONPath field; `$states` and function calls in JSONata). Over-approximate:
# a machine without any runs with no variable scope at all.
_MAY_USE_VARIABLES = re.compile(r'"Assign"|\$[^\W\d]|\$\\u')  # `\u`: escaped non-ASCII


@dataclass(frozen=True)
class Machine:
    program: Program
    timeout_seconds: float | None
    definition: dict[str, Any]
    #: The definition as JSON text (the cache key: no second copy), what an execution keeps.
    text: str
    #: Whether its executions need variable scopes (`variables.py`).
    uses_variables: bool = False


_cache: dict[str, Machine] = {}
_cache_lock = threading.Lock()
#: The last dict definitions compiled, by identity, with the machine each gave: a caller that
#: runs the same dict again (the usual case) skips its serialisation, the cache key's cost
#: (for a 500-state machine, more than the rest of starting an execution). Kept only while
#: the dict still equals the private copy compiled (`Machine.definition`).
_by_identity: dict[int, tuple[dict[str, Any], Machine]] = {}


def compile_definition(definition: dict[str, Any] | str) -> Machine:
    if isinstance(definition, dict):
        seen = _by_identity.get(id(definition))
        if seen is not None and seen[0] is definition and seen[1].definition == definition:
            return seen[1]
        machine = _compile(definition)
        with _cache_lock:
            if len(_by_identity) > 16:
                _by_identity.clear()
            _by_identity[id(definition)] = (definition, machine)
        return machine
    return _compile(definition)


def _compile(definition: dict[str, Any] | str) -> Machine:
    # A dict is keyed by its JSON text in its own key order: sorting the keys made the key cost
    # several times more, per execution, than the whole definition's serialisation.
    key = definition if isinstance(definition, str) else json.dumps(definition)
    machine = _cache.get(key)
    if machine is None:
        document = json.loads(definition) if isinstance(definition, str) else definition
        if not isinstance(document, dict):
            raise DefinitionError("a state machine definition must be a JSON object")
        # Compile from a private copy: the cached states must not see later edits by the caller.
        document = json.loads(key) if isinstance(definition, dict) else document
        timeout = document.get("TimeoutSeconds")
        language = machine_language(document, "StateMachine")
        program = compile_program(document, "StateMachine", language)
        uses_variables = _MAY_USE_VARIABLES.search(key) is not None
        machine = Machine(program, timeout, document, key, uses_variables)
        with _cache_lock:
            if len(_cache) > 256:
                _cache.clear()
            _cache[key] = machine
    return machine


def compile_program(document: dict[str, Any], where: str, language: str) -> Program:
    """A state list; its states use `language` (the machine's) unless they name their own."""
    if not isinstance(document, dict):
        raise DefinitionError(f"{where} must be an object with StartAt and States")
    if where != "StateMachine" and "QueryLanguage" in document:
        raise DefinitionError(
            f"{where}: Field 'QueryLanguage' is not supported (set it on the machine or on "
            f"each state)"
        )
    states = document.get("States")
    start_at = document.get("StartAt")
    if not isinstance(states, dict) or not states:
        raise DefinitionError(f"{where}: States must be a non-empty object")
    if start_at not in states:
        raise DefinitionError(f"{where}: StartAt {start_at!r} is not a state")
    compiled: dict[str, Runnable] = {}
    nested = functools.partial(_compile_nested, language=language)
    for name, spec in states.items():
        compiled[name] = _compile_state(name, spec, language, nested)
    for name, spec in states.items():
        _check_transitions(name, spec, states)
    return Program(str(start_at), compiled)


def _compile_nested(document: dict[str, Any], where: str, language: str) -> Program:
    return compile_program(document, where, language)


def _compile_state(name: str, spec: Any, machine: str, nested: Any) -> Runnable:
    if not isinstance(spec, dict):
        raise DefinitionError(f"state {name!r} must be an object")
    classes = _STATE_CLASSES
    if state_language(spec, machine, f"state {name!r}") == JSONATA:
        from .jsonata_execution import STATE_CLASSES  # the JSONata library only when used

        classes = STATE_CLASSES
    kind = spec.get("Type")
    state_class = classes.get(str(kind))
    if state_class is None:
        raise DefinitionError(f"state {name!r}: unknown Type {kind!r}")
    if kind in ("Parallel", "Map"):  # they compile their branches / item processor
        state: Runnable = state_class(name, spec, nested)
    else:
        state = state_class(name, spec)
    return state


def _check_transitions(name: str, spec: dict[str, Any], states: dict[str, Any]) -> None:
    kind = spec["Type"]
    targets = []
    if kind == "Choice":
        targets = [rule.get("Next") for rule in spec.get("Choices", [])]
        if "Default" in spec:
            targets.append(spec["Default"])
    elif kind not in _TERMINAL:
        if spec.get("End") is True:
            if "Next" in spec:
                raise DefinitionError(f"state {name!r} has both Next and End")
        elif "Next" in spec:
            targets.append(spec["Next"])
        else:
            raise DefinitionError(f"state {name!r} needs Next or End: true")
    targets += [catcher.get("Next") for catcher in spec.get("Catch", [])]
    for target in targets:
        if target not in states:
            raise DefinitionError(f"state {name!r}: Next {target!r} is not a state in its scope")
