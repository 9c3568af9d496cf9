"""Payload templates: Parameters, ItemSelector and ResultSelector with `.$` keys.

A template is compiled once into closures mirroring the JSON; static subtrees are kept as the
original (shared, never mutated) values, so evaluating a mostly-static template allocates only
the dicts and lists that hold dynamic values, and walks no tree of node kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .context_object import LazyContext, MapItemContext
from .errors import RUNTIME, DefinitionError, StatesError
from .intrinsics import Call, evaluate, is_intrinsic, parse_intrinsic, uses_context
from .jsonpath import Path, PathNotFound, compile_path, dumps

ContextFn = Callable[[], Any]
#: A compiled template node: builds its value from the state's document and context.
Evaluator = Callable[[Any, ContextFn], Any]


#: A top-level entry of an object template: (key, static, value or evaluator, reads `$$`).
_Entry = tuple[str, bool, Any, bool]


class Template:
    """`evaluate(document, context)` builds the template's value; `context` is called lazily."""

    __slots__ = ("evaluate", "uses_context", "_entries")

    def __init__(self, template: Any) -> None:
        #: An object template's top-level fields, kept for `bind` (compiled once, here).
        self._entries: tuple[_Entry, ...] | None = None
        if isinstance(template, dict):
            entries = _entries(template)
            static, node, self.uses_context = _object(template, entries)
            if not static:
                self._entries = entries
        else:
            static, node, self.uses_context = _compile(template, "")
        self.evaluate: Evaluator = (lambda document, context: node) if static else node

    def bind(self, document: Any) -> Callable[[ContextFn], Any]:
        """The template over `document`, for many contexts (a Map's ItemSelector, once per
        item): the top-level fields that do not read `$$` are evaluated once, here, and shared
        by every value it gives (the engine never mutates a JSON value in place). A field that
        fails here fails each evaluation when it is reached, in field order, as it would have."""
        entries = self._entries
        if entries is None or not self.uses_context:
            evaluate = self.evaluate
            return lambda context: evaluate(document, context)
        bound: list[tuple[str, bool, Any]] = []
        for key, static, node, reads in entries:
            if static or reads:
                bound.append((key, static, node))
                continue
            try:
                bound.append((key, True, node(document, _no_context)))
            except StatesError as exc:
                bound.append((key, False, _raising(exc)))
        evaluate = _dict(tuple(bound))
        return lambda context: evaluate(document, context)


def _no_context() -> Any:
    raise AssertionError("a field that reads no context called for it")


def _raising(error: StatesError) -> Evaluator:
    def evaluate(document: Any, context: ContextFn) -> Any:
        raise StatesError(error.error, error.cause)

    return evaluate


def _entries(template: dict[str, Any]) -> tuple[_Entry, ...]:
    """An object template's fields, each compiled."""
    out: list[_Entry] = []
    for key, item in template.items():
        if key.endswith(".$"):
            if not isinstance(item, str):
                raise DefinitionError(f"the value of the field '{key}' must be a string")
            evaluator, reads = _compile_expression(item, key)
            out.append((key[:-2], False, evaluator, reads))
        else:
            static, node, reads = _compile(item, key)
            out.append((key, static, node, reads))
    return tuple(out)


def _object(value: dict[str, Any], entries: tuple[_Entry, ...]) -> tuple[bool, Any, bool]:
    """`_compile` of an object template from its compiled fields."""
    if all(static for _, static, _, _ in entries):
        return True, value, False
    return False, _dict(tuple(e[:3] for e in entries)), any(e[3] for e in entries)


def _compile(value: Any, field: str) -> tuple[bool, Any, bool]:
    """(static, the value or its evaluator, whether it reads the context). Static subtrees are
    kept as the original (shared, never mutated) values."""
    if isinstance(value, dict):
        return _object(value, _entries(value))
    if isinstance(value, list):
        nodes = [_compile(item, field) for item in value]
        if not all(static for static, _, _ in nodes):
            return False, _list(tuple(n[:2] for n in nodes)), any(n[2] for n in nodes)
    return True, value, False


def _dict(entries: tuple[tuple[str, bool, Any], ...]) -> Evaluator:
    def evaluate(document: Any, context: ContextFn) -> Any:
        out = {}
        for key, static, node in entries:
            out[key] = node if static else node(document, context)
        return out

    return evaluate


def _list(nodes: tuple[tuple[bool, Any], ...]) -> Evaluator:
    def evaluate(document: Any, context: ContextFn) -> Any:
        return [node if static else node(document, context) for static, node in nodes]

    return evaluate


def _compile_expression(text: str, field: str) -> tuple[Evaluator, bool]:
    if text.startswith("$$"):
        return _context_expression(compile_path(text[1:]), field, text), True
    if text.startswith("$"):
        get = compile_path(text).getter()

        def lookup(document: Any, context: ContextFn) -> Any:
            try:
                return get(document)
            except PathNotFound:
                raise StatesError(RUNTIME, not_found_cause(text, field, document)) from None

        return lookup, False
    if is_intrinsic(text):
        call = parse_intrinsic(text)
        return (lambda document, context: _call(call, document, context, text)), uses_context(call)
    raise DefinitionError(f"the value of the field '{field}' must be a JSONPath or an intrinsic")


def _context_expression(path: Path, field: str, text: str) -> Evaluator:
    """A `$$` path: answered from a `LazyContext`'s fields where it can (the paths every
    planned Task reads), else from the whole document."""

    def whole(document: Any, context: ContextFn) -> Any:
        return _lookup(path, context(), field, text)

    steps = path.steps
    if steps == ("Map", "Item", "Index") or steps == ("Map", "Item", "Value"):
        index = steps[2] == "Index"

        def map_item(document: Any, context: ContextFn) -> Any:
            if type(context) is MapItemContext:
                return context.index if index else context.value
            return whole(document, context)

        return map_item
    if steps == ("State", "Name"):

        def state_name(document: Any, context: ContextFn) -> Any:
            if type(context) is LazyContext:
                return context.state_name
            return whole(document, context)

        return state_name
    if steps == ("State", "RetryCount"):

        def retry_count(document: Any, context: ContextFn) -> Any:
            if type(context) is LazyContext and context.retry_count is not None:
                return context.retry_count
            return whole(document, context)  # not a Task state's: not found, as in AWS

        return retry_count
    if steps and steps[0] in ("Execution", "StateMachine"):

        def execution(document: Any, context: ContextFn) -> Any:
            if type(context) is LazyContext:
                try:
                    return path.get(context.execution)
                except PathNotFound:
                    pass  # the error names the whole document
            return whole(document, context)

        return execution
    return whole


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
