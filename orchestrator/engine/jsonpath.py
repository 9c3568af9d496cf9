"""JSONPath evaluation with ASL's rules, compiled once per path string.

ASL distinguishes *reference paths* (InputPath, ResultPath, OutputPath, ItemsPath, Choice
`Variable`, `*Path` fields) which must identify a single node, from the general JSONPath allowed
in `.$` template fields. Reference paths and the common `$.a.b[0]` shape of template paths are
walked directly (a tuple of keys: an order of magnitude faster than jsonpath-ng's `find`);
anything else (wildcards, slices, filters, recursive descent) goes to jsonpath-ng's extended
parser, whose results follow Jayway's (AWS's) convention: an indefinite path yields a list.
"""

from __future__ import annotations

import re
from _json import make_encoder as c_make_encoder
from collections.abc import Callable
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as _ng_parse

from .errors import DefinitionError

_MISSING: Any = object()

# `.name`, `['name']`, `["name"]` or `[int]`; names stop at `.` and `[` like Jayway's.
_STEP = re.compile(
    r"""\.([^.\[\]]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(-?\d+)\s*\]"""
)
_INDEFINITE = re.compile(r"\*|\.\.|\[[^\]]*[:,?][^\]]*\]")
# An indefinite path that selects nothing is `[]` only when it is a wildcard or a slice over an
# array (`$.a[*]`, `$.a[1:3]`, then plain steps); a filter, a union or a recursive descent that
# selects nothing is a States.Runtime error, as in AWS (LocalStack's snapshot-tested parser, which
# moto uses, has the same rule).
_EMPTY_ALLOWED = re.compile(r"\$(?:\.[^\[]+\[(?:\*|\d*:\d*)\]|\[\*\])(?:\.[^\[]+)*$")


class PathNotFound(Exception):
    """A path selected nothing; callers turn this into States.Runtime with their own wording."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One C encoder for the process, made once: `json.dumps` with options builds a JSONEncoder per
# call, and `JSONEncoder.encode` a C encoder per call, which cost as much as encoding a small
# document. No circular-reference markers: a shared marker table would be raced by the lanes
# encoding shared values at once (JSON values here are trees).
_ENCODE = c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", False, False, True)


def dumps(value: Any) -> str:
    """Compact JSON as Step Functions prints documents in events and error causes."""
    return "".join(_ENCODE(value, 0))


class Path:
    """A compiled JSONPath: `get(document)` returns the selected value or raises PathNotFound."""

    __slots__ = ("text", "steps", "_ng", "indefinite")

    def __init__(self, text: str) -> None:
        self.text = text
        self.steps = _simple_steps(text)
        self._ng: Any = None
        self.indefinite = False
        if self.steps is None:
            try:
                self._ng = _ng_parse(text)
            except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exception
                raise DefinitionError(f"invalid JSONPath {text!r}: {exc}") from exc
            self.indefinite = bool(_INDEFINITE.search(text))

    def get(self, document: Any) -> Any:
        steps = self.steps
        if steps is not None:
            node = document
            for step in steps:
                if isinstance(step, str):
                    if type(node) is not dict:
                        raise PathNotFound(self.text)
                    node = node.get(step, _MISSING)
                    if node is _MISSING:
                        raise PathNotFound(self.text)
                else:
                    if type(node) is not list or not -len(node) <= step < len(node):
                        raise PathNotFound(self.text)
                    node = node[step]
            return node
        found = [match.value for match in self._ng.find(document)]
        if not found and not (self.indefinite and _EMPTY_ALLOWED.match(self.text)):
            raise PathNotFound(self.text)
        if self.indefinite:
            return found
        return found[0] if len(found) == 1 else found

    def getter(self) -> Callable[[Any], Any]:
        """`get` as a function of its own; for the paths templates read most (one to three
        object keys), unrolled: no loop over steps, no method call."""
        steps = self.steps
        if (
            type(self) is not Path  # a variable's or the context's path reads elsewhere
            or steps is None
            or not 1 <= len(steps) <= 3
            or not all(isinstance(s, str) for s in steps)
        ):
            return self.get
        text = self.text
        if len(steps) == 1:
            (a,) = steps

            def get1(node: Any) -> Any:
                if type(node) is dict:
                    node = node.get(a, _MISSING)
                    if node is not _MISSING:
                        return node
                raise PathNotFound(text)

            return get1
        if len(steps) == 2:
            a, b = steps

            def get2(node: Any) -> Any:
                if type(node) is dict:
                    node = node.get(a, _MISSING)
                    if type(node) is dict:
                        node = node.get(b, _MISSING)
                        if node is not _MISSING:
                            return node
                raise PathNotFound(text)

            return get2
        a, b, c = steps

        def get3(node: Any) -> Any:
            if type(node) is dict:
                node = node.get(a, _MISSING)
                if type(node) is dict:
                    node = node.get(b, _MISSING)
                    if type(node) is dict:
                        node = node.get(c, _MISSING)
                        if node is not _MISSING:
                            return node
            raise PathNotFound(text)

        return get3

    def set(self, document: Any, value: Any) -> Any:
        """Return a copy of `document` with `value` at this (reference) path.

        Only the containers along the path are copied (shallowly): the engine never mutates a
        JSON value in place, so sharing the untouched parts between states and branches is safe.
        Missing intermediate objects are created, as ResultPath does in AWS.
        """
        if self.steps is None:
            raise DefinitionError(f"{self.text!r} is not a reference path")
        return _set(document, self.steps, 0, value, self.text)


def _set(node: Any, steps: tuple[str | int, ...], i: int, value: Any, text: str) -> Any:
    if i == len(steps):
        return value
    step = steps[i]
    if isinstance(step, str):
        if node is _MISSING:
            node = {}
        if type(node) is not dict:
            raise PathNotFound(text)
        copy = dict(node)
        copy[step] = _set(node.get(step, _MISSING), steps, i + 1, value, text)
        return copy
    if type(node) is not list or not -len(node) <= step < len(node):
        raise PathNotFound(text)
    items = list(node)
    items[step] = _set(node[step], steps, i + 1, value, text)
    return items


def _simple_steps(text: str) -> tuple[str | int, ...] | None:
    if not text.startswith("$"):
        raise DefinitionError(f"JSONPath {text!r} must start with '$'")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return None
        name, single, double, index = m.groups()
        if name is not None:
            if name.strip() != name or name == "*" or name.endswith("()"):
                return None
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(_unescape(single if single is not None else double))
        pos = m.end()
    return tuple(steps)


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted)


@lru_cache(maxsize=4096)
def compile_path(text: str) -> Path:
    """A compiled path, shared across states and executions (Path objects are immutable).

    `$name...` reads the workflow variable `name` ("Passing data between states with
    variables"): any field that takes a path or a template can reference variables."""
    variable = _VARIABLE.match(text)
    if variable is not None:
        return VariablePath(text, variable.group(1), compile_path("$" + text[variable.end() :]))
    return Path(text)


# `$` then an identifier (not `$.`, `$[` or `$$`): a variable reference.
_VARIABLE = re.compile(r"\$([^\W\d]\w*)")


class VariablePath(Path):
    """`$name.rest`: the path `$.rest` applied to the variable's value (never a ResultPath)."""

    __slots__ = ("name", "rest")

    def __init__(self, text: str, name: str, rest: Path) -> None:
        self.text = text
        self.name = name
        self.rest = rest
        self.steps = rest.steps
        self._ng = None
        self.indefinite = rest.indefinite

    def get(self, document: Any) -> Any:
        from .variables import MISSING, lookup  # variables imports this module

        value = lookup(self.name)
        if value is MISSING:
            raise PathNotFound(self.text)
        return self.rest.get(value)

    def set(self, document: Any, value: Any) -> Any:
        raise DefinitionError(f"{self.text!r} reads a variable: it cannot be written to")
