"""Choice rules compiled to predicates.

Comparison operators are false when the variable has the wrong type (a number compared with
StringEquals), as in AWS; a `Variable` (or `...Path` operand) that selects nothing is a
States.Runtime error, except under `IsPresent`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .errors import RUNTIME, DefinitionError, StatesError
from .jsonpath import Path, PathNotFound, compile_path

ContextFn = Callable[[], Any]
Predicate = Callable[[Any, ContextFn], bool]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as ASL accepts it (uppercase T, Z or an offset), else None."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    if "." in text:  # fromisoformat wants at most 6 fractional digits
        head, _, tail = text.partition(".")
        digits = re.match(r"\d+", tail)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{tail[digits.end() :]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _glob(pattern: str) -> re.Pattern[str]:
    # `*` matches any run of characters; `\*` and `\\` are a literal star and backslash.
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _cmp(op: str, a: Any, b: Any) -> bool:
    if op == "Equals":
        return bool(a == b)
    if op == "LessThan":
        return bool(a < b)
    if op == "GreaterThan":
        return bool(a > b)
    if op == "LessThanEquals":
        return bool(a <= b)
    return bool(a >= b)


_ORDER_OPS = ("Equals", "LessThanEquals", "GreaterThanEquals", "LessThan", "GreaterThan")
_TYPES: dict[str, Callable[[Any], bool]] = {
    "String": _is_string,
    "Numeric": _is_number,
    "Boolean": _is_bool,
    "Timestamp": lambda v: parse_timestamp(v) is not None,
}


def _invalid(path: str) -> StatesError:
    return StatesError(
        RUNTIME,
        f"Invalid path '{path}': The choice state's condition path references an invalid value.",
    )


def _reader(text: str) -> Callable[[Any, ContextFn], Any]:
    context = text.startswith("$$")
    path: Path = compile_path(text[1:] if context else text)

    def read(document: Any, ctx: ContextFn) -> Any:
        try:
            return path.get(ctx() if context else document)
        except PathNotFound:
            raise _invalid(text) from None

    return read


def compile_rule(rule: dict[str, Any]) -> Predicate:
    """One Choice rule (or nested boolean expression) as a predicate over (input, context)."""
    if "And" in rule or "Or" in rule:
        key = "And" if "And" in rule else "Or"
        parts = [compile_rule(sub) for sub in rule[key]]
        if not parts:
            raise DefinitionError(f"{key} needs at least one rule")
        if key == "And":
            return lambda doc, ctx: all(p(doc, ctx) for p in parts)
        return lambda doc, ctx: any(p(doc, ctx) for p in parts)
    if "Not" in rule:
        inner = compile_rule(rule["Not"])
        return lambda doc, ctx: not inner(doc, ctx)
    if "Variable" not in rule:
        raise DefinitionError(f"Choice rule without Variable: {rule}")
    variable = str(rule["Variable"])
    operators = [k for k in rule if k not in ("Variable", "Next", "Comment")]
    if len(operators) != 1:
        raise DefinitionError(f"Choice rule needs exactly one operator: {rule}")
    op = operators[0]
    operand = rule[op]
    if op == "IsPresent":
        context = variable.startswith("$$")
        path = compile_path(variable[1:] if context else variable)

        def present(doc: Any, ctx: ContextFn) -> bool:
            try:
                found = path.get(ctx() if context else doc)
            except PathNotFound:
                return operand is False
            # An indefinite path that matched nothing counts as absent.
            present = not (path.indefinite and found == [])
            return present is bool(operand)

        return present
    read = _reader(variable)
    if op.startswith("Is"):
        return _type_test(op, bool(operand), read)
    return _comparison(op, operand, read)


def _type_test(op: str, expected: bool, read: Callable[[Any, ContextFn], Any]) -> Predicate:
    tests: dict[str, Callable[[Any], bool]] = {
        "IsNull": lambda v: v is None,
        "IsNumeric": _is_number,
        "IsString": _is_string,
        "IsBoolean": _is_bool,
        "IsTimestamp": lambda v: parse_timestamp(v) is not None,
    }
    test = tests.get(op)
    if test is None:
        raise DefinitionError(f"unknown Choice operator {op}")
    return lambda doc, ctx: test(read(doc, ctx)) is expected


def _comparison(op: str, operand: Any, read: Callable[[Any, ContextFn], Any]) -> Predicate:
    by_path = op.endswith("Path")
    base = op[:-4] if by_path else op
    if base == "StringMatches":
        if by_path or not isinstance(operand, str):
            raise DefinitionError("StringMatches takes a string pattern")
        pattern = _glob(operand)
        return lambda doc, ctx: (
            isinstance(v := read(doc, ctx), str) and pattern.fullmatch(v) is not None
        )
    kind = next((t for t in _TYPES if base.startswith(t)), None)
    relation = base[len(kind) :] if kind else ""
    if kind is None or relation not in _ORDER_OPS or (kind == "Boolean" and relation != "Equals"):
        raise DefinitionError(f"unknown Choice operator {op}")
    is_type = _TYPES[kind]
    if by_path:
        other = _reader(str(operand))
    else:
        if not is_type(operand):
            raise DefinitionError(f"{op} needs a {kind.lower()} operand, got {operand!r}")
        constant = parse_timestamp(operand) if kind == "Timestamp" else operand
        other = lambda doc, ctx: constant  # noqa: E731
    timestamps = kind == "Timestamp"

    def compare(doc: Any, ctx: ContextFn) -> bool:
        value = read(doc, ctx)
        against = other(doc, ctx)
        if timestamps:
            value = parse_timestamp(value)
            if by_path:
                against = parse_timestamp(against)
            if value is None or against is None:
                return False
            return _cmp(relation, value, against)
        if not is_type(value) or (by_path and not is_type(against)):
            return False
        return _cmp(relation, value, against)

    return compare
