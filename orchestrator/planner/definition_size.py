"""The byte size of a state machine's committed text, without writing the text.

`asl_text` (planner/__init__.py) writes a definition as `json.dumps(asl, indent=2,
ensure_ascii=False)`. With `indent`, the standard library falls back to its pure-Python encoder,
whose nested generators re-yield every piece through each enclosing level: a machine nesting
Parallel states a thousand deep costs seconds to encode. Its size needs neither: it is the
compact text (written by the C encoder) plus the whitespace `indent=2` adds, which depends only
on the shape — each member of a non-empty container goes on its own line indented two spaces per
level, the container's closing bracket on a line at its own level, and every key's `:` gains a
space.
"""

from __future__ import annotations

import json
from typing import Any

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_text(value: Any) -> str:
    """`value` as JSON without whitespace (the C encoder)."""
    return _COMPACT.encode(value)


def indented_bytes(value: Any) -> int:
    """len(json.dumps(value, indent=2, ensure_ascii=False).encode()), computed from the
    compact text's size and the shape of `value`."""
    return len(compact_text(value).encode()) + _whitespace(value, 0)


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
