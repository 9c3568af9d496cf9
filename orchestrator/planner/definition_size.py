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


def measure(value: Any, pattern: re.Pattern[str] | None = None) -> tuple[int, int]:
    """The byte size of `value`'s indent=2 text and how many times `pattern` occurs in its
    strings (keys and values)."""
    try:
        text = compact_text(value)
    except RecursionError:
        found = [0]
        size = _walk_bytes(value, pattern, found)
        return size + _whitespace(value, 0), found[0]
    matches = len(pattern.findall(text)) if pattern is not None else 0
    return len(text.encode()) + _whitespace(value, 0), matches


def _walk_bytes(value: Any, pattern: re.Pattern[str] | None, found: list[int]) -> int:
    """The compact text's byte size, container by container (`compact_text` for each leaf)."""
    if isinstance(value, dict):
        size = 2 + max(len(value) - 1, 0)  # braces, commas
        for key, member in value.items():
            size += _leaf_bytes(key, pattern, found) + 1 + _walk_bytes(member, pattern, found)
        return size
    if isinstance(value, list):
        size = 2 + max(len(value) - 1, 0)
        for item in value:
            size += _walk_bytes(item, pattern, found)
        return size
    return _leaf_bytes(value, pattern, found)


def _leaf_bytes(value: Any, pattern: re.Pattern[str] | None, found: list[int]) -> int:
    if pattern is not None and isinstance(value, str):
        found[0] += len(pattern.findall(value))
    return len(compact_text(value).encode())


def _whitespace(value: Any, depth: int) -> int:
    if isinstance(value, dict):
        if not value:
            return 0
        # Per member: newline + indentation, and the space after ':'; then the closing line.
        inner = depth + 1
        total = len(value) * (1 + 2 * inner + 1) + 1 + 2 * depth
        for member in value.values():
            if isinstance(member, dict | list) and member:
                total += _whitespace(member, inner)
        return total
    if isinstance(value, list):
        if not value:
            return 0
        inner = depth + 1
        total = len(value) * (1 + 2 * inner) + 1 + 2 * depth
        for item in value:
            if isinstance(item, dict | list) and item:
                total += _whitespace(item, inner)
        return total
    return 0
