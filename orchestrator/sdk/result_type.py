"""What a task's return annotation says about `result["key"]` while the flow is built.

`t()["missing"]` compiles to a JSONPath step Step Functions evaluates when the flow runs. When
the task's return type says the key cannot be there — a TypedDict, a dataclass or a pydantic
model without that field, a number, a string, a fixed-size tuple too short — the flow is refused
at definition time, naming the task and the key. Types that do not say (no annotation, `Any`,
`dict[str, ...]`, a union) are left to the run, where the task checks the paths the flow's
result reads (`RESULT_READS_KEY`) and Step Functions the ones other tasks read.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_UNKNOWN: Any = object()
_SCALARS = {int: "a number", float: "a number", bool: "a boolean", str: "a string"}


def result_type(fn: Callable[..., Any], mapped: bool) -> Any:
    """The declared type of a call's result (a list of it for a mapped call), or unknown."""
    try:
        hint = typing.get_type_hints(fn).get("return", _UNKNOWN)
    except Exception:  # an unresolvable forward reference: the annotation says nothing usable
        return _UNKNOWN
    if hint is _UNKNOWN:
        return _UNKNOWN
    return list[hint] if mapped else hint  # type: ignore[valid-type]


def step_type(declared: Any, step: str | int) -> tuple[Any, str | None]:
    """The type of `value[step]` for a value of type `declared`, and why the step cannot exist
    (None when it may)."""
    if declared is _UNKNOWN or declared is Any:
        return _UNKNOWN, None
    if declared is None or declared is type(None):
        return _UNKNOWN, "it returns None"
    if declared in _SCALARS:
        return _UNKNOWN, f"it returns {_SCALARS[declared]}"
    origin = typing.get_origin(declared)
    if origin in (typing.Union, types.UnionType) or origin is typing.Literal:
        return _UNKNOWN, None
    if typing.is_typeddict(declared) or dataclasses.is_dataclass(declared):
        return _fields(declared, step, typing.get_type_hints(declared))
    model_fields = getattr(declared, "model_fields", None)
    if isinstance(model_fields, dict):  # a pydantic model, serialised by field name
        hints = {name: info.annotation for name, info in model_fields.items()}
        return _fields(declared, step, hints)
    container = origin or declared
    args = typing.get_args(declared)
    if container is tuple and args and args[-1] is not Ellipsis:
        if not isinstance(step, int):
            return _UNKNOWN, "it returns a tuple (a list in JSON), not an object"
        if step >= len(args):
            return _UNKNOWN, f"it returns a tuple of {len(args)} item(s)"
        return args[step], None
    if isinstance(container, type) and issubclass(container, Mapping):
        if isinstance(step, int):
            return _UNKNOWN, "it returns a dict (an object in JSON), not a list"
        return (args[1] if len(args) == 2 else _UNKNOWN), None
    if isinstance(container, type) and issubclass(container, Sequence | set | frozenset):
        if isinstance(step, str):
            return _UNKNOWN, "it returns a list, not an object"
        return (args[0] if args else _UNKNOWN), None
    return _UNKNOWN, None


def _fields(declared: Any, step: str | int, hints: dict[str, Any]) -> tuple[Any, str | None]:
    name = getattr(declared, "__name__", "its result type")
    if isinstance(step, int):
        return _UNKNOWN, f"it returns {name} (an object in JSON), not a list"
    if step not in hints:
        known = ", ".join(sorted(hints)) or "none"
        return _UNKNOWN, f"it returns {name}, whose fields are {known}"
    return hints[step], None
