"""Payload templates: Parameters, ItemSelector and ResultSelector with `.$` keys.

A template is compiled once into a tree mirroring the JSON; static subtrees are kept as the
original (shared, never mutated) values, so evaluating a mostly-static template allocates only
the dicts and lists that hold dynamic values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import RUNTIME, DefinitionError, StatesError
from .intrinsics import Call, evaluate, is_intrinsic, parse_intrinsic, uses_context
from .jsonpath import Path, PathNotFound, compile_path, dumps

ContextFn = Callable[[], Any]

# Compiled node kinds.
_STATIC, _PATH, _CTX, _CALL, _DICT, _LIST = range(6)


class Template:
    """`evaluate(document, context)` builds the template's value; `context` is called lazily."""

    __slots__ = ("root", "uses_context")

    def __init__(self, template: Any) -> None:
        self.root = _compile(template, "")
        self.uses_context = _uses_context(self.root)

    def evaluate(self, document: Any, context: ContextFn) -> Any:
        return _eval(self.root, document, context)


def _compile(value: Any, field: str) -> tuple[Any, ...]:
    if isinstance(value, dict):
        entries: list[tuple[str, tuple[Any, ...]]] = []
        dynamic = False
        for key, item in value.items():
            if key.endswith(".$"):
                if not isinstance(item, str):
                    raise DefinitionError(f"the value of the field '{key}' must be a string")
                entries.append((key[:-2], _compile_expression(item, key)))
                dynamic = True
            else:
                node = _compile(item, key)
                entries.append((key, node))
                dynamic = dynamic or node[0] != _STATIC
        return (_DICT, tuple(entries)) if dynamic else (_STATIC, value)
    if isinstance(value, list):
        nodes = tuple(_compile(item, field) for item in value)
        if any(node[0] != _STATIC for node in nodes):
            return (_LIST, nodes)
    return (_STATIC, value)


def _compile_expression(text: str, field: str) -> tuple[Any, ...]:
    if text.startswith("$$"):
        return (_CTX, compile_path(text[1:]), field, text)
    if text.startswith("$"):
        return (_PATH, compile_path(text), field, text)
    if is_intrinsic(text):
        return (_CALL, parse_intrinsic(text), field, text)
    raise DefinitionError(f"the value of the field '{field}' must be a JSONPath or an intrinsic")


def _uses_context(node: tuple[Any, ...]) -> bool:
    kind = node[0]
    if kind == _CTX:
        return True
    if kind == _CALL:
        return uses_context(node[1])
    if kind == _DICT:
        return any(_uses_context(child) for _, child in node[1])
    if kind == _LIST:
        return any(_uses_context(child) for child in node[1])
    return False


def _eval(node: tuple[Any, ...], document: Any, context: ContextFn) -> Any:
    kind = node[0]
    if kind == _STATIC:
        return node[1]
    if kind == _DICT:
        return {key: _eval(child, document, context) for key, child in node[1]}
    if kind == _PATH:
        return _lookup(node[1], document, node[2], node[3])
    if kind == _CTX:
        return _lookup(node[1], context(), node[2], node[3])
    if kind == _CALL:
        return _call(node[1], document, context, node[3])
    return [_eval(child, document, context) for child in node[1]]


def _lookup(path: Path, document: Any, field: str, text: str) -> Any:
    try:
        return path.get(document)
    except PathNotFound:
        raise StatesError(RUNTIME, not_found_cause(text, field, document)) from None


def _call(call: Call, document: Any, context: ContextFn, text: str) -> Any:
    try:
        return evaluate(call, document, context)
    except PathNotFound as exc:
        raise StatesError(RUNTIME, argument_not_found_cause(text, exc.path, document)) from None


def argument_not_found_cause(function: str, path: str, document: Any) -> str:
    """An intrinsic whose path argument selects nothing: AWS names the whole expression, not
    the inner call that took the argument (AWS's texts, as floci's
    StepFunctionsIntrinsicMissingArgumentIntegrationTest and the developer community quote
    them)."""
    return (
        f"The function '{function}' had the following error: The JsonPath argument for the "
        f"field '{path}' could not be found in the input '{dumps(document)}'"
    )


def not_found_cause(path: str, field: str, document: Any) -> str:
    return (
        f"The JSONPath '{path}' specified for the field '{field}' "
        f"could not be found in the input '{dumps(document)}'"
    )
