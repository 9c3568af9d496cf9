"""Workflow variables: scopes, `Assign`, and `$name` references in JSONPath fields.

What the developer guide documents ("Passing data between states with variables"):

* `Assign` (Pass, Task, Map, Parallel, Choice and its rules, Wait, and Catch clauses) sets
  variables when the state exits; every reference inside the state — its own `Assign`
  included — reads the values the variables had when the state was entered, so the
  assignments of one `Assign` are evaluated "in parallel" and may swap two variables.
* The states of the machine's `States` share one scope. Each Parallel branch and Map iteration
  runs in a scope of its own: it reads the variables of the scopes around it, and what it
  assigns stays inside it (an inner assignment of an outer name shadows it there); a
  Distributed Map's children cannot read outer variables at all. Data leaves an inner scope
  through the branch's output only.
* A name is a Unicode identifier (ID_Start, then ID_Continue) of at most 80 characters, and
  `$states` is reserved. One variable holds at most 256 KiB, one `Assign` sets at most 256 KiB,
  and an execution stores at most 10 MiB (`spec.py`).
* The exited event of a state that assigns lists the values, as JSON text, in
  `assignedVariables` (API reference, StateExitedEventDetails).

The states of one lane run on one thread, so the scope a state reads is kept per thread while it
runs (`entering`): JSONPath paths (`$name.field`, in any field that takes a path or a template)
and JSONata expressions find it there without every evaluator taking one more argument. A
machine without variables never creates a scope.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import DATA_LIMIT, DefinitionError, StatesError
from .jsonpath import dumps
from .spec import (
    ASSIGN_MAX_BYTES,
    RESERVED_VARIABLE_NAMES,
    VARIABLE_MAX_BYTES,
    VARIABLE_NAME_MAX_LENGTH,
    VARIABLES_MAX_TOTAL_BYTES,
)

_MISSING: Any = object()
_current = threading.local()


class Scope:
    """The variables of one scope, in front of those of the scopes around it."""

    __slots__ = ("values", "sizes", "parent")

    def __init__(self, parent: Scope | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The variable's value, or `MISSING` when no scope in reach has assigned it."""
        scope: Scope | None = self
        while scope is not None:
            value = scope.values.get(name, _MISSING)
            if value is not _MISSING:
                return value
            scope = scope.parent
        return _MISSING

    def visible(self) -> dict[str, Any]:
        """Every variable in reach, inner scopes over outer ones (JSONata's bindings)."""
        if self.parent is None:
            return self.values
        merged = dict(self.parent.visible())
        merged.update(self.values)
        return merged

    def stored_bytes(self) -> int:
        own = sum(self.sizes.values())
        return own if self.parent is None else own + self.parent.stored_bytes()

    def assign(self, values: dict[str, Any], sizes: dict[str, int]) -> None:
        self.values.update(values)
        self.sizes.update(sizes)


MISSING = _MISSING


def entering(scope: Scope) -> None:
    """The scope the state about to run on this thread reads."""
    _current.scope = scope


def current() -> Scope | None:
    return getattr(_current, "scope", None)


def lookup(name: str) -> Any:
    """A variable of the running state's scope, or MISSING."""
    scope = current()
    return _MISSING if scope is None else scope.lookup(name)


def check_name(name: str, where: str) -> None:
    if name in RESERVED_VARIABLE_NAMES:
        raise DefinitionError(f"{where}: the variable name {name!r} is reserved")
    # Python identifiers are XID_Start (or `_`) then XID_Continue: Unicode's rule, less the `_`
    # that ID_Start does not include.
    if not name.isidentifier() or name.startswith("_") or len(name) > VARIABLE_NAME_MAX_LENGTH:
        raise DefinitionError(
            f"{where}: {name!r} is not a variable name (a Unicode identifier that starts with a "
            f"letter, at most {VARIABLE_NAME_MAX_LENGTH} characters)"
        )


def commit(scope: Scope, values: dict[str, Any], state: str) -> dict[str, str]:
    """Store `values` in `scope`; the exited event's `assignedVariables` (name -> JSON text)."""
    texts = {name: dumps(value) for name, value in values.items()}
    sizes = {name: len(text.encode("utf-8")) for name, text in texts.items()}
    for name, size in sizes.items():
        if size > VARIABLE_MAX_BYTES:
            raise StatesError(
                DATA_LIMIT,
                f"The variable '{name}' assigned by the state '{state}' exceeds the maximum "
                f"size of {VARIABLE_MAX_BYTES} bytes.",
            )
    if sum(sizes.values()) > ASSIGN_MAX_BYTES:
        raise StatesError(
            DATA_LIMIT,
            f"The variables assigned by the state '{state}' exceed the maximum combined size of "
            f"{ASSIGN_MAX_BYTES} bytes.",
        )
    replaced = sum(scope.sizes.get(name, 0) for name in sizes)
    if scope.stored_bytes() - replaced + sum(sizes.values()) > VARIABLES_MAX_TOTAL_BYTES:
        raise StatesError(
            DATA_LIMIT,
            f"The state '{state}' would store more than {VARIABLES_MAX_TOTAL_BYTES} bytes of "
            f"variables in the execution.",
        )
    scope.assign(values, sizes)
    return texts


def names_of_jsonpath_assign(spec: Any, where: str) -> tuple[str, ...]:
    """The variable names of a JSONPath `Assign` object (`name` or `name.$`)."""
    if not isinstance(spec, dict):
        raise DefinitionError(f"{where}: Assign must be an object, got {dumps(spec)}")
    return tuple(key[:-2] if key.endswith(".$") else key for key in spec)
