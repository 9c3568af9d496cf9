"""The execution history: Step Functions-named events, recorded in order from many threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import Clock
from .errors import BranchAborted


@dataclass(slots=True)
class HistoryEvent:
    """One history event. `details` holds the fields of Step Functions' `...EventDetails`
    (flattened): `name`, `input`/`output` as JSON strings, `error`, `cause`, `resource`, ..."""

    id: int
    previous_event_id: int
    timestamp: datetime
    type: str
    details: dict[str, Any] = field(default_factory=dict)


_NO_TIME = datetime.min


class StateAttribution:
    """Which state each history event belongs to, fed the events in id order.

    `...StateEntered`/`...StateExited` events name their state; every other event (a task
    scheduled, a retry, a Map iteration) carries no name and belongs to the state of the event
    before it in its chain of `previous_event_id`s (one chain per branch or iteration). The one
    place this rule lives: run summaries, the live progress view, attempt counts and the moto
    harness all read states through it.
    """

    __slots__ = ("_state",)

    def __init__(self) -> None:
        self._state: dict[int, str | None] = {}

    def __call__(self, event: HistoryEvent) -> str | None:
        if event.type.endswith(_NAMED_SUFFIXES):
            state = event.details.get("name")
        else:
            state = self._state.get(event.previous_event_id)
        self._state[event.id] = state
        return state


_NAMED_SUFFIXES = ("StateEntered", "StateExited")
SCHEDULED_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled")


def attempts_by_state(events: list[HistoryEvent]) -> dict[str, int]:
    """How many times each state's task was scheduled, summed over retries and Map iterations."""
    state_of = StateAttribution()
    counts: dict[str, int] = {}
    for event in events:
        state = state_of(event)
        if event.type in SCHEDULED_EVENTS and state is not None:
            counts[state] = counts.get(state, 0) + 1
    return counts


class AbortScope:
    """Stops the branches of a Parallel/Map (or a whole execution) at their next step.

    Scopes nest: aborting one aborts every scope opened inside it, and its event wakes real
    sleeps (Wait states, retry backoffs) in those branches.
    """

    def __init__(self, parent: AbortScope | None = None) -> None:
        self.event = threading.Event()
        self._children: list[AbortScope] = []
        self._lock = threading.Lock()
        if parent is not None:
            parent._adopt(self)

    def _adopt(self, child: AbortScope) -> None:
        with self._lock:
            self._children.append(child)
            if self.event.is_set():
                child.abort()

    def abort(self) -> None:
        self.event.set()
        with self._lock:
            children = list(self._children)
        for child in children:
            child.abort()


class Recorder:
    """Assigns event ids in emission order; thread-safe; closed once the execution stops, after
    which abandoned threads (timed-out tasks, aborted branches) can no longer add events.
    `events` is the history so far: a redrive appends to it, ids continuing."""

    def __init__(
        self,
        clock: Clock,
        on_event: Callable[[HistoryEvent], None] | None,
        events: list[HistoryEvent] | None = None,
    ) -> None:
        self.events: list[HistoryEvent] = events if events is not None else []
        self._now = clock.now
        self._on_event = on_event
        self._lock = threading.Lock()
        self.closed = False

    def emit(
        self, previous: int, type_: str, details: dict[str, Any], scope: AbortScope | None
    ) -> int:
        if scope is not None and scope.event.is_set():
            raise BranchAborted()
        # Made outside the lock, numbered and stamped inside it by C calls only: Python code
        # under the lock (a dataclass __init__, a clock method) lets the interpreter switch
        # threads while the lock is held, and every other lane then queues behind it.
        event = HistoryEvent(0, previous, _NO_TIME, type_, details)
        with self._lock:
            if self.closed:
                raise BranchAborted()
            events = self.events
            event.id = len(events) + 1
            event.timestamp = self._now()
            events.append(event)
            # Called under the lock so observers see events in id order; keep hooks quick.
            if self._on_event is not None:
                self._on_event(event)
            return event.id

    def close(self) -> None:
        with self._lock:
            self.closed = True
