"""The byte size of a state machine's committed text, without writing the text.

`asl_text` (planner/__init__.py) writes a definition as `json.dumps(asl, indent=2,
ensure_ascii=False)`. With `indent`, the standard library falls back to its pure-Python encoder,
whose nested generators re-yield every piece through each enclosing level: a machine nesting
Parallel states a thousand deep costs seconds to encode. Its size needs neither: it is the
compact text (written by the C encoder) plus the whitespace `indent=2` adds, which depends only
on the shape — each member of a non-empty container goes on its own line indented two spaces per
level, the container's closing bracket on a line at its own level, and every key's `:` gains a
space.

The C encoder has a recursion bound of its own that `sys.setrecursionlimit` does not raise, so
a machine nested deeper than it is measured by a walk in Python instead (same result, slower).
"""

from __future__ import annotations

import json
import re
from typing import Any

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_text(value: Any) -> str:
    """`value` as JSON without whitespace (the C encoder)."""
    return _COMPACT.encode(value)


def indented_bytes(value: Any) -> int:
    """len(json.dumps(value, indent=2, ensure_ascii=False).encode()), computed from the
    compact text's size and the shape of `value`."""
    return measure(value)[0]


def measure(
    value: Any, pattern: re.Pattern[str] | None = None, cap: int | None = None
) -> tuple[int, int]:
    """The byte size of `value`'s indent=2 text and how many times `pattern` occurs in its
    strings (keys and values). With `cap`, a size over it may be returned as any figure over
    it (measuring stops there: a deep machine far over the quota need not be walked whole)."""
    try:
        text = compact_text(value)
    except RecursionError:
        walk = _Walk(pattern, cap)
        try:
            size = walk.bytes(value)
        except _OverCap:
            return walk.size, walk.found
        return size + _whitespace(value, 0), walk.found
    matches = len(pattern.findall(text)) if pattern is not None else 0
    size = len(text.encode())
    if cap is not None and size > cap:  # the indented text is longer still
        return size, matches
    return size + _whitespace(value, 0), matches


class _OverCap(Exception):
    pass


class _Walk:
    """The compact text's byte size, container by container (`compact_text` for each leaf)."""

    def __init__(self, pattern: re.Pattern[str] | None, cap: int | None) -> None:
        self.pattern, self.cap = pattern, cap
        self.size = 0  # bytes counted so far
        self.found = 0

    def bytes(self, value: Any) -> int:
        if isinstance(value, dict):
            size = 2 + max(len(value) - 1, 0)  # braces, commas
            self.add(size)
            for key, member in value.items():
                size += self.leaf(key) + 1 + self.bytes(member)
                self.add(1)
            return size
        if isinstance(value, list):
            size = 2 + max(len(value) - 1, 0)
            self.add(size)
            for item in value:
                size += self.bytes(item)
            return size
        return self.leaf(value)

    def leaf(self, value: Any) -> int:
        if self.pattern is not None and isinstance(value, str):
            self.found += len(self.pattern.findall(value))
        size = len(compact_text(value).encode())
        self.add(size)
        return size

    def add(self, size: int) -> None:
        self.size += size
        if self.cap is not None and self.size > self.cap:
            raise _OverCap


#: What `_whitespace` descends into: a definition is plain data (built by the planner or read
#: by `json.loads`), so the exact type is asked, which is quicker than `isinstance`.
_CONTAINERS = frozenset({dict, list})


def _whitespace(value: Any, depth: int) -> int:
    # Called once per container of every state: the empty and scalar members, most of them,
    # are passed over by their truthiness or type before any call.
    kind = type(value)
    if kind is dict:
        if not value:
            return 0
        # Per member: newline + indentation, and the space after ':'; then the closing line.
        inner = depth + 1
        total = len(value) * (1 + 2 * inner + 1) + 1 + 2 * depth
        for member in value.values():
            if member and type(member) in _CONTAINERS:
                total += _whitespace(member, inner)
        return total
    if kind is list:
        if not value:
            return 0
        inner = depth + 1
        total = len(value) * (1 + 2 * inner) + 1 + 2 * depth
        for item in value:
            if item and type(item) in _CONTAINERS:
                total += _whitespace(item, inner)
        return total
    return 0
