"""JSONPath and intrinsic-function text for the state document (docs/data-contract.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f]")


def path(base: str, steps: Sequence[str | int] = ()) -> str:
    """`base` followed by `steps`: dot notation for plain keys, brackets otherwise."""
    out = base
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.match(step):
            out += f".{step}"
        else:
            out += "['" + step.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def result_path(node: str, steps: Sequence[str | int] = ()) -> str:
    return path(path("$.results", [node]) + ".value", steps)


def param_path(name: str, steps: Sequence[str | int] = ()) -> str:
    return path(path("$.params", [name]), steps)


def const_path(key: str) -> str:
    return path("$.consts", [key])


def intrinsic_literal(value: Any) -> str | None:
    """A JSON constant as an intrinsic-function argument, in the forms both AWS's documentation
    and the grammar moto uses (LocalStack's, recorded against AWS) agree on — a string, a whole
    number, a boolean — else None, and the planner puts the constant in the document instead:
    that grammar has no `null` literal and no exponent (`1e-09`), moto's parser fails on a float
    argument, and an object or a list would need escaped braces. Nor a string holding a control
    character (a newline): the grammar's string literal holds none raw, and `quote` escapes none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and not _CONTROL.search(value):
        return quote(value)
    return None


def quote(text: str) -> str:
    """An intrinsic string literal: the characters ' { } \\ are escaped with a backslash."""
    return "'" + re.sub(r"([\\'{}])", r"\\\1", text) + "'"
