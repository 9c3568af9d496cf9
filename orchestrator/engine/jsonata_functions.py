"""The `jsonata-python` library behind `jsonata.py`, and the functions Step Functions adds.

Importing this module imports the library: `jsonata.py` does so only when a definition holds a
JSONata expression. The functions follow the developer guide's "JSONata functions provided by
Step Functions" (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`), with the
argument handling observed on AWS where the guide is silent (non-integer sizes and bounds are
truncated towards zero; a chunk size below one, or a `$range` step of zero or pointing away from
`end`, gives undefined, which fails the field with States.QueryEvaluationError). `$eval` is
refused when the expression is compiled (`jsonata.py`).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from typing import Any

from jsonata import JException, Jsonata, Timebox, Utils

#: `$hash` algorithms ("JSONata functions provided by Step Functions"), names as AWS spells them.
_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class FunctionError(ValueError):
    """A Step Functions-provided function called with arguments it does not accept."""


class Compiled:
    """A parsed expression and the frame holding the Step Functions functions.

    The library evaluates on one instance per thread (the one last constructed there) and
    moves that instance's `environment` around while it evaluates, so evaluation here starts
    from the frame captured when the expression was compiled, never from `environment` — an
    expression evaluated by several Map iterations at once then shares nothing mutable — and
    sets the thread's instance's timestamp, which `$now()` and `$millis()` read.
    """

    __slots__ = ("expression", "functions", "ast")

    def __init__(self, text: str) -> None:
        self.expression = Jsonata(text)  # raises JException on a syntax error
        self.functions = Jsonata.Frame(self.expression.environment)
        for name, function in _FUNCTIONS.items():
            self.functions.bind(name, Jsonata.JLambda(function))
        self.ast = self.expression.ast

    def evaluate(self, bindings: dict[str, Any]) -> Any:
        """The raw value (None when undefined, the library's null marker for null)."""
        frame = Jsonata.Frame(self.functions)
        for name, value in bindings.items():
            frame.bind(name, value)
        frame.bind("$", None)
        expression = self.expression
        expression.get_per_thread_instance().timestamp = Timebox.current_milli_time()
        return expression.eval(self.ast, None, frame)


def compile(text: str) -> Compiled:
    """A parsed expression with the Step Functions functions bound; raises on a syntax error."""
    return Compiled(text)


def plain(value: Any) -> Any:
    """The library's value as plain JSON: its null marker is None, its sequences are lists."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise FunctionError(f"the number {value} cannot be represented in JSON")
    if callable(value) or isinstance(value, Jsonata.JFunctionCallable):
        raise FunctionError("a function cannot be represented in JSON")
    return value


def describe(exc: Exception) -> str:
    """An evaluation error as AWS quotes it in a cause: `T2001: The left side ...`."""
    if isinstance(exc, JException):
        return f"{exc.error}: {exc}"
    return str(exc) or type(exc).__name__


def top_level_name(compiled: Any) -> str | None:
    """The first field name read from the (absent) context item at the top level, if any."""
    return _top_name(compiled.ast)


def _top_name(node: Any) -> str | None:
    if node is None:
        return None
    kind = getattr(node, "type", None)
    if kind == "name":
        return str(node.value)
    if kind == "path":
        steps = node.steps or []
        return _top_name(steps[0]) if steps else None
    children: list[Any] = []
    if kind in ("binary", "apply", "bind"):
        children = [getattr(node, "lhs", None), getattr(node, "rhs", None)]
        if kind == "bind":
            children = children[1:]
    elif kind == "unary":
        children = [getattr(node, "expression", None), *(getattr(node, "expressions", None) or [])]
        for pair in getattr(node, "lhs_object", None) or []:
            children.extend(pair)
    elif kind == "condition":
        children = [node.condition, getattr(node, "then", None), getattr(node, "_else", None)]
    elif kind == "block":
        children = list(getattr(node, "expressions", None) or [])
    elif kind in ("function", "partial"):
        children = list(getattr(node, "arguments", None) or [])
    elif kind == "lambda":
        children = [getattr(node, "body", None)]
    for child in children:
        found = _top_name(child)
        if found is not None:
            return found
    return None


def _arguments(args: tuple[Any, ...]) -> list[Any]:
    return [plain(arg) for arg in args]


def _number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FunctionError(f"{what} must be a number, got {json.dumps(value)}")
    return math.trunc(value)


def _partition(*args: Any) -> Any:
    if len(args) != 2:
        raise FunctionError("$partition takes an array and a chunk size")
    items, size = _arguments(args)
    if not isinstance(items, list):
        items = [items]
    chunk = _number(size, "$partition's chunk size")
    if chunk < 1 or not items:
        return None
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _range(*args: Any) -> Any:
    if len(args) != 3:
        raise FunctionError("$range takes a start, an end and a step")
    start, end, step = (
        _number(v, f"$range's {w}") for v, w in zip(_arguments(args), _NAMES, strict=True)
    )
    if step == 0 or (step > 0 and start > end) or (step < 0 and start < end):
        return None
    values = list(range(start, end + (1 if step > 0 else -1), step))
    # One value is a JSONata singleton sequence, which collapses to the value itself.
    return values[0] if len(values) == 1 else values


_NAMES = ("start", "end", "step")


def _hash(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise FunctionError("$hash takes a value and an algorithm")
    if len(args) == 1:
        return None
    data, algorithm = _arguments(args)
    if algorithm not in _HASHES:
        raise FunctionError(
            f"$hash's algorithm must be one of {', '.join(_HASHES)}, got {json.dumps(algorithm)}"
        )
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def _random(*args: Any) -> Any:
    if len(args) > 1:
        raise FunctionError("$random takes at most one seed")
    if not args:
        return random.random()
    return random.Random(_number(plain(args[0]), "$random's seed")).random()


def _uuid(*args: Any) -> Any:
    if args:
        raise FunctionError("$uuid takes no arguments")
    return str(uuid.uuid4())


def _parse(*args: Any) -> Any:
    if len(args) != 1 or not isinstance(plain(args[0]), str):
        raise FunctionError("$parse takes one string of JSON")
    try:
        value = json.loads(plain(args[0]))
    except ValueError as exc:
        raise FunctionError(f"$parse: the string is not valid JSON ({exc})") from None
    return Utils.NULL_VALUE if value is None else value


_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}
