"""Query languages: which one a state uses, which fields each allows, and JSONata templates.

"QueryLanguage" (developer guide, "Transforming data with JSONata"; ASL "Common state fields"):
JSONPath unless the machine's top-level field says JSONata; a state may set its own, but in a
JSONata machine it cannot go back to JSONPath ("'QueryLanguage' can not be 'JSONPath' if set to
'JSONata' for whole state machine"). A state of a Parallel branch or a Map's item processor
falls back to the machine's language, not to its enclosing state's.

A JSONata field holds JSON whose strings may be `{% expression %}`: a string that is one
expression is replaced by the expression's value, anything else is kept as written (no `.$`
keys). An expression that fails names its field as AWS does (`Output/v`, `Arguments/Input[0]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import variables
from .errors import DefinitionError
from .jsonata import Expression, is_expression
from .jsonpath import dumps

JSONPATH, JSONATA = "JSONPath", "JSONata"
LANGUAGES = (JSONPATH, JSONATA)

# The fields of one language that a state of the other may not have ("Transforming data with
# JSONata": five JSONPath fields become Arguments and Output; Assign belongs to both).
JSONPATH_ONLY = frozenset(
    {
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Result",
        "ItemsPath",
        "Iterator",
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "SecondsPath",
        "TimestampPath",
        "ErrorPath",
        "CausePath",
    }
)
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})


def machine_language(document: dict[str, Any], where: str) -> str:
    language = document.get("QueryLanguage", JSONPATH)
    if language not in LANGUAGES:
        raise DefinitionError(
            f"{where}: QueryLanguage must be one of JSONPath, JSONata, got {dumps(language)}"
        )
    return str(language)


def state_language(spec: dict[str, Any], machine: str, where: str) -> str:
    language = machine_language(spec, where) if "QueryLanguage" in spec else machine
    if machine == JSONATA and language == JSONPATH:
        raise DefinitionError(
            f"{where}: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole "
            f"state machine"
        )
    wrong = JSONPATH_ONLY if language == JSONATA else JSONATA_ONLY
    for field in spec:
        if field in wrong:
            other = JSONPATH if language == JSONATA else JSONATA
            raise DefinitionError(
                f"{where}: The QueryLanguage is set to '{language}', but field '{field}' is only "
                f"supported for the '{other}' QueryLanguage"
            )
    return language


# Compiled node kinds of a JSONata template.
_STATIC, _EXPRESSION, _DICT, _LIST = range(4)


class JsonataTemplate:
    """A JSONata-mode field: `evaluate(states)` builds its value with `$states` = `states`
    and the running state's variables in scope."""

    __slots__ = ("root", "reads_context")

    def __init__(self, value: Any, field: str, where: str, states: frozenset[str]) -> None:
        self.root = _compile(value, field, where, states)
        self.reads_context = _reads_context(self.root)

    @property
    def constant(self) -> Any:
        """The value when the field holds no expression (else the `NOT_CONSTANT` marker)."""
        return self.root[1] if self.root[0] == _STATIC else NOT_CONSTANT

    def evaluate(self, states: dict[str, Any]) -> Any:
        return _evaluate(self.root, bindings(states))


NOT_CONSTANT: Any = object()


def bindings(states: dict[str, Any]) -> dict[str, Any]:
    """`$states` and the variables in reach of the running state."""
    scope = variables.current()
    found = dict(scope.visible()) if scope is not None else {}
    found["states"] = states
    return found


def states_of(input: Any, context: Callable[[], Any], reads_context: bool) -> dict[str, Any]:
    """`$states` for fields that see the input and the context (the context only if read)."""
    return {"input": input, "context": context()} if reads_context else {"input": input}


def _compile(value: Any, field: str, where: str, states: frozenset[str]) -> tuple[Any, ...]:
    if is_expression(value):
        return (_EXPRESSION, Expression(value, field, where, states))
    if isinstance(value, dict):
        entries = tuple(
            (key, _compile(item, f"{field}/{key}", where, states)) for key, item in value.items()
        )
        if any(node[0] != _STATIC for _, node in entries):
            return (_DICT, entries)
    elif isinstance(value, list):
        nodes = tuple(
            _compile(item, f"{field}[{i}]", where, states) for i, item in enumerate(value)
        )
        if any(node[0] != _STATIC for node in nodes):
            return (_LIST, nodes)
    return (_STATIC, value)


# `$states` other than `$states.input`, `.result` or `.errorOutput` may read the context.
_CONTEXT_READ = re.compile(r"\$states(?!\s*\.\s*(?:input|result|errorOutput)\b)")


def _reads_context(node: tuple[Any, ...]) -> bool:
    kind = node[0]
    if kind == _EXPRESSION:
        return _CONTEXT_READ.search(node[1].text) is not None
    if kind == _DICT:
        return any(_reads_context(child) for _, child in node[1])
    if kind == _LIST:
        return any(_reads_context(child) for child in node[1])
    return False


def _evaluate(node: tuple[Any, ...], found: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == _STATIC:
        return node[1]
    if kind == _EXPRESSION:
        return node[1].evaluate(found)
    if kind == _DICT:
        return {key: _evaluate(child, found) for key, child in node[1]}
    return [_evaluate(child, found) for child in node[1]]
