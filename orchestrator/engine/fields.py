"""Typed readers for ASL fields: each refuses what CreateStateMachine refuses.

Every state validates its fields where it parses them, through these helpers, so all refusals
share one shape naming the state and the field (`state 'T' Retry[0]: IntervalSeconds must be an
integer from 1 to 99999999, got 0`). Bounds come from the callers, which take them from `spec.py`;
no helper carries a number of its own. JSON booleans are never numbers here, though Python's
`bool` is an `int`.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any, TypeVar

from .errors import DefinitionError
from .jsonpath import Path, compile_path, dumps

Spec = dict[str, Any]
T = TypeVar("T")


def _is_integer(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def in_range(value: Any, low: float, high: float | None, integral: bool) -> bool:
    """Whether `value` is a JSON integer (or number) within [low, high]; also for runtime checks."""
    if not (_is_integer(value) if integral else _is_number(value)):
        return False
    return bool(low <= value and (high is None or value <= high))


def describe(low: float, high: float | None, integral: bool) -> str:
    kind = "an integer" if integral else "a number"
    return f"{kind} ≥ {low}" if high is None else f"{kind} from {low} to {high}"


def refuse_unknown(spec: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    """A field the state type does not define (a typo such as `Retries`) is refused, not ignored."""
    for key in spec:
        if key not in allowed:
            close = get_close_matches(key, allowed, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(sorted(allowed))}"
            )
            raise DefinitionError(f"{where}: unknown field {key!r} ({hint})")


def _bounded(
    spec: Spec, key: str, where: str, low: float, high: float | None, integral: bool
) -> Any:
    if key not in spec:
        return None
    value = spec[key]
    if not in_range(value, low, high, integral):
        wanted = describe(low, high, integral)
        raise DefinitionError(f"{where}: {key} must be {wanted}, got {dumps(value)}")
    return value


def integer(spec: Spec, key: str, where: str, low: int, high: int | None) -> int | None:
    """An optional integer field within [low, high] (high None: unbounded); None if absent."""
    return _bounded(spec, key, where, low, high, integral=True)


def number(spec: Spec, key: str, where: str, low: float, high: float | None) -> float | None:
    """An optional number field (integer or fraction) within [low, high]; None if absent."""
    value = _bounded(spec, key, where, low, high, integral=False)
    return None if value is None else float(value)


def given(value: T | None, default: T) -> T:
    """A field's value, or its documented default when the definition leaves it out."""
    return default if value is None else value


def enum(spec: dict[str, Any], key: str, where: str, allowed: tuple[str, ...], default: str) -> str:
    value = spec.get(key, default)
    if value not in allowed:
        raise DefinitionError(
            f"{where}: {key} must be one of {', '.join(allowed)}, got {dumps(value)}"
        )
    return str(value)


def one_of(
    spec: dict[str, Any], keys: tuple[str, ...], where: str, required: bool = False
) -> str | None:
    """The one of `keys` the state gives; two of them (or none, when required) is refused."""
    given = [key for key in keys if key in spec]
    if len(given) > 1 or (required and not given):
        need = "exactly" if required else "at most"
        raise DefinitionError(f"{where}: give {need} one of {', '.join(keys)} (got {len(given)})")
    return given[0] if given else None


def obj(spec: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, dict):
        raise DefinitionError(f"{where}: {key} must be an object, got {dumps(value)}")
    return value


def array(spec: dict[str, Any], key: str, where: str) -> list[Any]:
    """An optional array field, [] when absent (Retry, Catch, Branches, ...)."""
    value = spec.get(key, [])
    if not isinstance(value, list):
        raise DefinitionError(f"{where}: {key} must be an array, got {dumps(value)}")
    return value


def entries(
    spec: dict[str, Any], key: str, where: str, allowed: frozenset[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The objects of an array field with their own `where` (`... Retry[0]`), fields checked."""
    out = []
    for i, entry in enumerate(array(spec, key, where)):
        at = f"{where} {key}[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionError(f"{at} must be an object, got {dumps(entry)}")
        refuse_unknown(entry, allowed, at)
        out.append((at, entry))
    return out


def path(spec: dict[str, Any], key: str, where: str, reference: bool = True) -> Path | None:
    """An optional path field: a string starting with `$`, a single node when `reference`."""
    return parse_path(spec[key], key, where, reference) if key in spec else None


def parse_path(text: Any, key: str, where: str, reference: bool = True) -> Path:
    if not isinstance(text, str):
        raise DefinitionError(f"{where}: {key} must be a JSONPath string, got {dumps(text)}")
    try:
        compiled = compile_path(text)
    except DefinitionError as exc:
        raise DefinitionError(f"{where}: {key}: {exc}") from None
    if reference and compiled.steps is None:
        raise DefinitionError(
            f"{where}: {key} {text!r} must be a reference path (one node: no wildcards, slices "
            f"or filters)"
        )
    return compiled
