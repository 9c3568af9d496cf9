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

Both sizes come out of one measurement: a machine whose indented text is over Step Functions'
quota is written compact (`asl_text`), and the indentation of a machine nesting Parallel states
grows with their depth — a non-series-parallel DAG of 300 tasks is 1.7 MB indented, 0.23 MB
compact.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: No check for cycles: a definition is a tree (planner-built or parsed JSON), and the check is a
#: fifth of the encoder's time on a large machine.
COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def compact_text(value: Any) -> str:
    """`value` as JSON without whitespace (the C encoder)."""
    return COMPACT_ENCODER.encode(value)


def json_depth(value: Any) -> int:
    """How deep containers nest in `value` (a scalar: 0), by a walk that does not recurse."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            deepest = max(deepest, depth)
            stack.extend(
                (member, depth + 1) for member in (item.values() if kind is dict else item)
            )
    return deepest


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
    indented, _, found = measure_both(value, pattern, cap)
    return indented, found


def measure_both(
    value: Any, pattern: re.Pattern[str] | None = None, cap: int | None = None
) -> tuple[int, int, int]:
    """`measure`'s indent=2 size, the compact text's size (`compact_text`), and how many times
    `pattern` occurs: one walk. Under `cap` as `measure` is (the compact text is measured up to
    it, and the indented one only when the compact one is under it)."""
    walk = _Walk(pattern, cap)
    try:
        size = walk.part(value)
    except _OverCap:
        return walk.size, walk.size, walk.found
    if cap is not None and size > cap:  # the indented text is longer still
        return size, size, walk.found
    return size + _whitespace(value, 0), size, walk.found


def measure_entries(
    key: str,
    entries: dict[str, Any],
    pattern: re.Pattern[str] | None = None,
    cap: int | None = None,
) -> list[tuple[int, int, int]]:
    """`[measure_both({key: {name: value}}, pattern, cap) for name, value in entries.items()]`:
    each state of a machine as a machine of its own, say. The C encoder writes all the values that
    nest no states in one call (a call per value costs more than its encoding: a 10,000-task
    chain's states), and the wrapper's share comes from measuring it once around a stub."""
    stub, stub_compact, stub_found = measure_both({key: {"": 0}}, pattern)
    wrapper = stub - len('"":0')  # the wrapper's bytes and whitespace, less the stub member's
    compact_wrapper = stub_compact - len('"":0')
    flat = [n for n, v in entries.items() if type(v) is dict and _NESTING.isdisjoint(v)]
    try:
        names, texts = _encode_each(flat), _encode_each([entries[n] for n in flat])
    except RecursionError:  # one nests beyond the C encoder's bound: each is walked
        flat, names, texts = [], [], []
    measured: dict[str, tuple[int, int, int]] = {}
    for name, name_text, text in zip(flat, names, texts, strict=True):
        own = _utf8_size(name_text) + 1 + _utf8_size(text)
        size, compact = wrapper + own, compact_wrapper + own
        found = stub_found
        if pattern is not None:
            found += len(pattern.findall(name_text)) + len(pattern.findall(text))
        if cap is None or compact <= cap:  # (over it, the indented text is longer still)
            size += _whitespace(entries[name], 2)  # {key: {name: value}}: value at depth 2
        measured[name] = (size, compact, found)
    return [
        measured[n] if n in measured else measure_both({key: {n: v}}, pattern, cap)
        for n, v in entries.items()
    ]


#: Written between the values `_encode_each` encodes in one call, to cut the text apart again.
_MARK = "\0orchestrator size mark\0"
_SEPARATOR = f",{compact_text(_MARK)},"


def _encode_each(values: list[Any]) -> list[str]:
    """`[compact_text(v) for v in values]` by one call of the C encoder."""
    batch: list[Any] = []
    for value in values:
        batch += (value, _MARK)
    pieces = compact_text(batch[:-1])[1:-1].split(_SEPARATOR) if values else []
    if len(pieces) != len(values):  # a value holds the mark itself: one call each
        return [compact_text(v) for v in values]
    return pieces


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


class _OverCap(Exception):
    pass


#: The members through which a state machine nests (a Parallel's branches, a Map's processor,
#: each one's states): walked member by member, where the C encoder would meet its bound.
_NESTING = frozenset({"Branches", "States", "ItemProcessor", "Iterator"})


class _Walk:
    """The compact text's byte size, piece by piece: the C encoder writes each piece that does
    not nest states (a Task state, a ResultSelector) whole, and the walk goes member by member
    only down the members that do. A piece the C encoder still finds too deep is walked too."""

    def __init__(self, pattern: re.Pattern[str] | None, cap: int | None) -> None:
        self.pattern, self.cap = pattern, cap
        self.size = 0  # bytes counted so far
        self.found = 0

    def part(self, value: Any) -> int:
        kind = type(value)
        if kind is list or (kind is dict and not _NESTING.isdisjoint(value)):
            return self.bytes(value)
        try:
            return self.leaf(value)
        except RecursionError:
            return self.bytes(value)

    def bytes(self, value: Any) -> int:
        if isinstance(value, dict):
            size = 2 + max(len(value) - 1, 0)  # braces, commas
            self.add(size)
            for key, member in value.items():
                # A `States` map is walked whatever its states are: each is a part of its own.
                inner = self.bytes(member) if key == "States" else self.part(member)
                size += self.leaf(key) + 1 + inner
                self.add(1)
            return size
        if isinstance(value, list):
            size = 2 + max(len(value) - 1, 0)
            self.add(size)
            for item in value:
                size += self.part(item)
            return size
        return self.leaf(value)

    def leaf(self, value: Any) -> int:
        """A piece written whole by the C encoder (RecursionError when it nests too deep)."""
        text = compact_text(value)
        if self.pattern is not None:
            self.found += len(self.pattern.findall(text))
        size = len(text.encode())
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
