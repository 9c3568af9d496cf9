"""The context object `$$`, as a state reads it: built only when a whole document is needed.

A state's Parameters typically read `$$.Execution.Id`, `$$.State.Name` and
`$$.State.RetryCount` — once per state. Building the whole object for that (a copy of the
execution's part, the state's part with its EnteredTime formatted) cost more than the rest of
the template; `LazyContext` answers those paths from its fields, and builds the document, once,
for any other path, an intrinsic or a JSONata expression (`__call__`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LazyContext:
    """Callable as a `ContextFn` (the whole `$$` document, built once); the fields a template
    reads directly (`template.py`)."""

    __slots__ = ("state_name", "retry_count", "execution", "_build", "_document")

    def __init__(
        self,
        state_name: str,
        retry_count: int | None,
        execution: dict[str, Any],
        build: Callable[[], dict[str, Any]],
    ) -> None:
        self.state_name = state_name
        #: None outside a Task state: `$$.State.RetryCount` is not there (AWS).
        self.retry_count = retry_count
        #: The execution's part of the document (`Execution`, `StateMachine`), shared by every
        #: state of the run: read, never written.
        self.execution = execution
        self._build = build
        self._document: dict[str, Any] | None = None

    def __call__(self) -> dict[str, Any]:
        document = self._document
        if document is None:
            document = self._document = self._build()
        return document


class MapItemContext:
    """`$$` as a Map's ItemSelector reads it for one item: the Map state's document plus
    `Map.Item`. `$$.Map.Item.Index` and `$$.Map.Item.Value` are answered from its fields; the
    document, for any other path, is built once (`__call__`)."""

    __slots__ = ("index", "value", "_base", "_document")

    def __init__(self, index: int, value: Any, base: dict[str, Any]) -> None:
        self.index = index
        self.value = value
        self._base = base  # the Map state's `$$`, shared by its items: read, never written
        self._document: dict[str, Any] | None = None

    def __call__(self) -> dict[str, Any]:
        document = self._document
        if document is None:
            item = {"Index": self.index, "Value": self.value}
            document = self._document = {**self._base, "Map": {"Item": item}}
        return document
