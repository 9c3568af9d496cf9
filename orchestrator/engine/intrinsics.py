"""ASL intrinsic functions (`States.Format(...)` and friends): parsing and evaluation.

An intrinsic is parsed once into a small tree of `Call`, literal and path nodes; evaluating it
against a document and the context object is then a plain recursive walk. Errors in arguments are
reported as States.Runtime, like path errors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import RUNTIME, DefinitionError, StatesError
from .jsonpath import Path, compile_path, dumps
from .spec import MATH_ADD_MAX, MATH_ADD_MIN

# Private-use characters stand in for escaped braces so Format can tell `\{` from `{`.
_LBRACE, _RBRACE = "\ue000", "\ue001"


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class PathArg:
    path: Path
    context: bool  # `$$...`: read from the context object


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Literal | PathArg | Call, ...]


Node = Literal | PathArg | Call
ContextFn = Callable[[], Any]


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.")


@lru_cache(maxsize=2048)
def parse_intrinsic(text: str) -> Call:
    parser = _Parser(text)
    node = parser.call()
    parser.skip_ws()
    if parser.pos != len(text):
        raise DefinitionError(f"unexpected text after intrinsic function in {text!r}")
    return node


def uses_context(node: Node) -> bool:
    if isinstance(node, PathArg):
        return node.context
    if isinstance(node, Call):
        return any(uses_context(arg) for arg in node.args)
    return False


def evaluate(node: Node, document: Any, context: ContextFn) -> Any:
    if isinstance(node, Literal):
        value = node.value
        return _unbrace(value) if isinstance(value, str) else value
    if isinstance(node, PathArg):
        return node.path.get(context() if node.context else document)
    args = [
        arg.value
        if isinstance(arg, Literal) and node.name == "States.Format" and i == 0
        else evaluate(arg, document, context)
        for i, arg in enumerate(node.args)
    ]
    function = _FUNCTIONS.get(node.name)
    if function is None:  # checked at parse time; kept for safety
        raise StatesError(RUNTIME, f"Unknown intrinsic function {node.name}")
    try:
        return function(*args)
    except StatesError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as exc:
        raise StatesError(RUNTIME, f"{node.name}: {exc}") from exc


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> DefinitionError:
        return DefinitionError(f"{message} at position {self.pos} in intrinsic {self.text!r}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "._"
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        if name not in _FUNCTIONS:
            raise self.fail(f"unknown intrinsic function {name!r}")
        self.skip_ws()
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise self.fail("expected '('")
        self.pos += 1
        args: list[Node] = []
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
            return Call(name, ())
        while True:
            args.append(self.argument())
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.fail("unterminated argument list")
            char = self.text[self.pos]
            self.pos += 1
            if char == ")":
                return Call(name, tuple(args))
            if char != ",":
                raise self.fail(f"expected ',' or ')' but found {char!r}")

    def argument(self) -> Node:
        self.skip_ws()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.fail("missing argument")
        char = text[pos]
        if char == "'":
            return Literal(self.string())
        if char == "$":
            raw = self.raw_path()
            if not _grammar_path(raw):
                raise self.fail(f"invalid path argument {raw!r}")
            context = raw.startswith("$$")
            return PathArg(compile_path(raw[1:] if context else raw), context)
        if text.startswith("States.", pos):
            return self.call()
        end = pos
        while end < len(text) and text[end] not in ",)" and not text[end].isspace():
            end += 1
        token = text[pos:end]
        self.pos = end
        if not _LITERAL.fullmatch(token):
            # Not a string, number or boolean as the grammar spells them: no null, no
            # double-quoted string, no object or array, no leading zero in an exponent (1e-09).
            raise self.fail(f"invalid argument {token!r}")
        return Literal(json.loads(token))

    def string(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\" and self.pos + 1 < len(text):
                escaped = text[self.pos + 1]
                out.append({"{": _LBRACE, "}": _RBRACE}.get(escaped, escaped))
                self.pos += 2
                continue
            self.pos += 1
            if char == "'":
                return "".join(out)
            if char < " ":
                raise self.fail(f"control character {char!r} in a string literal (escape it)")
            out.append(char)
        raise self.fail("unterminated string literal")

    def raw_path(self) -> str:
        # A path runs to the next top-level ',' or ')', skipping brackets and quotes inside it.
        text, start, depth, quote = self.text, self.pos, 0, ""
        while self.pos < len(text):
            char = text[self.pos]
            if quote:
                if char == "\\":  # `\'` inside a bracket key: the quote does not end it
                    self.pos += 2
                    continue
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.pos += 1
        return text[start : self.pos].strip()


# What the intrinsic-function grammar accepts as an argument, after LocalStack's ASLIntrinsicLexer
# (recorded against AWS): INT `-?(0|[1-9][0-9]*)`, NUMBER (INT, a fraction, an exponent whose
# digits are an INT) and true/false; a string in single quotes with no raw control character; a
# path `$` or `$$` followed by bracket groups and `.identifier` steps of [0-9A-Za-z_].
_INT = r"-?(?:0|[1-9][0-9]*)"
_LITERAL = re.compile(rf"true|false|{_INT}(?:\.[0-9]+)?(?:[eE][+-]?{_INT})?")
_IDENTIFIER = re.compile(r"[0-9A-Za-z_]+")
# A variable's name after `$` (variables.py holds the naming rule; this is only the lexing).
_VARIABLE_NAME = re.compile(r"[^\W\d]\w*")


def _grammar_path(raw: str) -> bool:
    """Whether `raw` lexes as the grammar's JSON_PATH_STRING, CONTEXT_PATH_STRING or (a
    workflow variable, `$name.field`) STRING_VARIABLE."""
    pos = 2 if raw.startswith("$$") else 1
    variable = _VARIABLE_NAME.match(raw, pos) if pos == 1 else None
    if variable:
        pos = variable.end()
    pos = _brackets(raw, pos)
    while pos < len(raw):
        if raw[pos] != ".":
            return False
        match = _IDENTIFIER.match(raw, pos + 1)
        pos = match.end() if match else pos + 1
        pos = _brackets(raw, pos)
        if pos < 0:
            return False
    return pos >= 0


def _brackets(raw: str, pos: int) -> int:
    """The end of an optional bracket group (nested groups allowed) at `pos`; -1 if unclosed."""
    if pos < 0 or pos >= len(raw) or raw[pos] != "[":
        return pos
    depth = 0
    for end in range(pos, len(raw)):
        if raw[end] == "[":
            depth += 1
        elif raw[end] == "]":
            depth -= 1
            if depth == 0:
                return end + 1
    return -1


def _unbrace(text: str) -> str:
    return text.replace(_LBRACE, "{").replace(_RBRACE, "}")


def _render(value: Any) -> str:
    """How Step Functions prints a Format argument: Java's toString for objects and arrays
    (`{a=1, b=[x, 2]}`), JSON for other scalars."""
    if isinstance(value, str):
        return _unbrace(value)
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    return dumps(value)


def _format(template: str, *args: Any) -> str:
    parts = template.split("{}")
    if len(parts) - 1 != len(args):
        raise ValueError(f"expected {len(parts) - 1} arguments for the template, got {len(args)}")
    out = [parts[0]]
    for arg, part in zip(args, parts[1:], strict=True):
        out.append(_render(arg))
        out.append(part)
    return _unbrace("".join(out))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _int(value: Any, what: str) -> int:
    _require(isinstance(value, int) and not isinstance(value, bool), f"{what} must be an integer")
    return int(value)


def _list(value: Any, what: str = "argument") -> list[Any]:
    _require(isinstance(value, list), f"{what} must be an array")
    return list(value)


def _partition(items: Any, size: Any) -> list[list[Any]]:
    values, n = _list(items), _int(size, "chunk size")
    _require(n > 0, "chunk size must be positive")
    return [values[i : i + n] for i in range(0, len(values), n)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    a, b, s = _int(start, "start"), _int(end, "end"), _int(step, "step")
    _require(s != 0, "step must not be 0")
    out = list(range(a, b + (1 if s > 0 else -1), s))
    _require(len(out) <= 1000, "ArrayRange may produce at most 1000 items")
    return out


def _unique(items: Any) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in _list(items):
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _get_item(items: Any, index: Any) -> Any:
    values, i = _list(items), _int(index, "index")
    _require(0 <= i < len(values), f"index {i} out of range")
    return values[i]


def _string(value: Any, what: str = "argument") -> str:
    _require(isinstance(value, str), f"{what} must be a string")
    return str(value)


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384"}
_HASHES["SHA-512"] = "sha512"


def _hash(data: Any, algorithm: Any) -> str:
    name = _HASHES.get(_string(algorithm, "algorithm"))
    _require(name is not None, f"unsupported hash algorithm {algorithm!r}")
    text = data if isinstance(data, str) else dumps(data)
    return hashlib.new(str(name), text.encode()).hexdigest()


def _merge(left: Any, right: Any, deep: Any) -> dict[str, Any]:
    _require(isinstance(left, dict) and isinstance(right, dict), "JsonMerge merges two objects")
    # AWS supports only shallow merging; `true` is rejected there too.
    _require(deep is False, "JsonMerge supports only shallow merging (deep must be false)")
    return {**left, **right}


def _whole(value: Any, what: str) -> int:
    """A Math intrinsic's argument: "If you specify a non-integer value ... Step Functions will
    round it off to the nearest integer" (developer guide, "Intrinsics for Math operations").
    Step Functions runs on the JVM: Java's Math.round, halves toward positive infinity (2.5 → 3,
    -2.5 → -2), not Python's banker's rounding."""
    _require(
        isinstance(value, int | float) and not isinstance(value, bool), f"{what} must be a number"
    )
    return value if isinstance(value, int) else math.floor(value + 0.5)


def _random(start: Any, end: Any, seed: Any = None) -> int:
    # "a random number between the specified start number (inclusive) and end number
    # (exclusive)" (developer guide). moto's executor draws the end too (randint).
    low, high = _whole(start, "start"), _whole(end, "end")
    _require(low < high, "the start number must be less than the end number")
    rng = random.Random(_whole(seed, "seed")) if seed is not None else random
    return rng.randrange(low, high)


def _add(a: Any, b: Any) -> int:
    # "You must specify integer values in the range of -2147483648 and 2147483647"; other
    # numbers are rounded to the nearest integer first (developer guide).
    values = [_whole(v, "MathAdd argument") for v in (a, b)]
    for v in values:
        _require(MATH_ADD_MIN <= v <= MATH_ADD_MAX, f"{v} is outside the range of a 32-bit integer")
    return values[0] + values[1]


def _string_to_json(text: Any) -> Any:
    # An empty or blank string parses to null (LocalStack's executor, recorded against AWS).
    value = _string(text)
    return json.loads(value) if value.strip() else None


def _split(text: Any, delimiters: Any) -> list[str]:
    s, chars = _string(text), _string(delimiters, "delimiter")
    _require(chars != "", "delimiter must not be empty")
    parts = [s]
    for char in chars:
        parts = [piece for part in parts for piece in part.split(char)]
    return [part for part in parts if part]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": dumps,
    "States.Array": lambda *args: list(args),
    "States.ArrayPartition": _partition,
    "States.ArrayContains": lambda items, value: value in _list(items),
    "States.ArrayRange": _range,
    "States.ArrayGetItem": _get_item,
    "States.ArrayLength": lambda items: len(_list(items)),
    "States.ArrayUnique": _unique,
    "States.Base64Encode": lambda s: base64.b64encode(_string(s).encode()).decode(),
    "States.Base64Decode": lambda s: base64.b64decode(_string(s), validate=True).decode(),
    "States.Hash": _hash,
    "States.JsonMerge": _merge,
    "States.MathRandom": _random,
    "States.MathAdd": _add,
    "States.StringSplit": _split,
    "States.UUID": lambda: str(uuid.uuid4()),
}
