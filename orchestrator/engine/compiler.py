"""From an ASL document to compiled states, cached per definition.

Compiling parses every path, template, intrinsic and Choice rule once, so running a state only
evaluates. Definitions are validated here: anything the interpreter would have to guess at
(JSONata, variables, unknown types, dangling `Next`) is refused with a DefinitionError.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from .basic import ChoiceState, FailState, PassState, SucceedState, WaitState
from .errors import DefinitionError
from .map_state import MapState
from .parallel import ParallelState
from .program import Program, Runnable
from .task import TaskState

_SIMPLE: dict[str, Any] = {
    "Task": TaskState,
    "Pass": PassState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Succeed": SucceedState,
    "Fail": FailState,
}
_TERMINAL = ("Choice", "Succeed", "Fail")
# Fields of JSONata mode and of variables, which the JSONPath interpreter does not implement.
_REFUSED_FIELDS = ("Arguments", "Output", "Assign", "Items")


@dataclass(frozen=True)
class Machine:
    program: Program
    timeout_seconds: float | None
    definition: dict[str, Any]
    #: The definition as JSON text (the cache key: no second copy), what an execution keeps.
    text: str


_cache: dict[str, Machine] = {}
_cache_lock = threading.Lock()


def compile_definition(definition: dict[str, Any] | str) -> Machine:
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
        machine = Machine(compile_program(document, "StateMachine"), timeout, document, key)
        with _cache_lock:
            if len(_cache) > 256:
                _cache.clear()
            _cache[key] = machine
    return machine


def compile_program(document: dict[str, Any], where: str) -> Program:
    if not isinstance(document, dict):
        raise DefinitionError(f"{where} must be an object with StartAt and States")
    _refuse_jsonata(document, where)
    states = document.get("States")
    start_at = document.get("StartAt")
    if not isinstance(states, dict) or not states:
        raise DefinitionError(f"{where}: States must be a non-empty object")
    if start_at not in states:
        raise DefinitionError(f"{where}: StartAt {start_at!r} is not a state")
    compiled: dict[str, Runnable] = {}
    for name, spec in states.items():
        compiled[name] = _compile_state(name, spec)
    for name, spec in states.items():
        _check_transitions(name, spec, states)
    return Program(str(start_at), compiled)


def _compile_state(name: str, spec: Any) -> Runnable:
    if not isinstance(spec, dict):
        raise DefinitionError(f"state {name!r} must be an object")
    _refuse_jsonata(spec, f"state {name!r}")
    for field in _REFUSED_FIELDS:
        if field in spec:
            raise DefinitionError(
                f"state {name!r}: {field} belongs to JSONata mode or variables, which the local "
                f"engine does not support (emit JSONPath-mode ASL)"
            )
    kind = spec.get("Type")
    if kind == "Parallel":
        return ParallelState(name, spec, compile_program)
    if kind == "Map":
        return MapState(name, spec, compile_program)
    state_class = _SIMPLE.get(str(kind))
    if state_class is None:
        raise DefinitionError(f"state {name!r}: unknown Type {kind!r}")
    state: Runnable = state_class(name, spec)
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


def _refuse_jsonata(document: dict[str, Any], where: str) -> None:
    if document.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise DefinitionError(
            f"{where}: QueryLanguage {document['QueryLanguage']!r} is not supported; the local "
            f"engine interprets JSONPath-mode ASL only"
        )
