"""A run's history read as attempts: what the run report's timeline draws.

Each Lambda invocation of a Task state is one attempt (TaskScheduled, then TaskSucceeded,
TaskFailed or TaskTimedOut; the `LambdaFunction...` spellings of older histories too), so a task
retried twice has three attempts with the backoff between them. A Map state's iterations are
counted, not listed one by one: a map over 100,000 items is one `MapItems` with its counts, its
errors by type and each item attempt's start and outcome (for the timeline's density strip).

Plain data in — the `FlowGraph` and `HistoryEvent`s, from the local run store or read back from
Step Functions — and plain data out. A task's state is named by the task's id and a mapped
task's per-item state is `"<id> item"` (the planner's names, orchestrator/planner/map_states.py);
the attempt chain of an event is found through `previous_event_id`, as Step Functions links
them, so attempts of concurrent iterations never mix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.engine.history import SCHEDULED_EVENTS, HistoryEvent, StateAttribution
from orchestrator.graph import FlowGraph

#: How an attempt ended, by the event that ends it (named like task states: palette.py).
ENDINGS = {
    "TaskSucceeded": "SUCCEEDED",
    "LambdaFunctionSucceeded": "SUCCEEDED",
    "TaskFailed": "FAILED",
    "TaskStartFailed": "FAILED",
    "TaskSubmitFailed": "FAILED",
    "LambdaFunctionFailed": "FAILED",
    "LambdaFunctionStartFailed": "FAILED",
    "TaskTimedOut": "TIMED_OUT",
    "LambdaFunctionTimedOut": "TIMED_OUT",
}
#: Events between an attempt's start and its end: they carry the attempt's chain forward.
_PROGRESS = ("TaskStarted", "TaskSubmitted", "LambdaFunctionStarted")
#: An attempt with no end in the history: the run was still going, or its process died.
UNFINISHED = "RUNNING"
_ITERATION_ENDS = {
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "aborted",
}


@dataclass
class Attempt:
    """One invocation of a task's Lambda function."""

    number: int  # 1, 2, ... within its task (for a map's items: within the whole map)
    scheduled: datetime
    ended: datetime | None = None
    outcome: str = UNFINISHED
    error: str | None = None
    cause: str | None = None
    request_bytes: int | None = None  # the Lambda request as the history records it
    response_bytes: int | None = None  # the Lambda response (a succeeded attempt)

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else (self.ended - self.scheduled).total_seconds()


@dataclass
class ErrorGroup:
    """Attempts that failed with one error name, and the first one's cause."""

    count: int
    cause: str | None


@dataclass
class MapItems:
    """A Map state's iterations, counted."""

    length: int | None = None  # how many items the map was given (MapStateStarted)
    started: int = 0  # iterations begun
    ended: Counter[str] = field(default_factory=Counter)  # succeeded | failed | aborted
    scheduled: int = 0  # item attempts begun
    attempts: Counter[str] = field(default_factory=Counter)  # item attempts ended, by outcome
    errors: dict[str, ErrorGroup] = field(default_factory=dict)  # by error name
    #: (scheduled, outcome) of every item attempt: the timeline buckets them.
    starts: list[tuple[datetime, str]] = field(default_factory=list)
    last_end: datetime | None = None
    max_request_bytes: int | None = None
    max_response_bytes: int | None = None
    request_bytes: int = 0  # all item requests together
    response_bytes: int = 0

    @property
    def retries(self) -> int:
        """Attempts beyond each iteration's first."""
        return max(self.scheduled - self.started, 0)

    @property
    def unfinished(self) -> int:
        """Item attempts the history never saw end."""
        return self.scheduled - sum(self.attempts.values())


@dataclass
class TaskHistory:
    """One task of the graph in the history: its state's span, sizes and attempts."""

    id: str
    entered: datetime | None = None
    exited: datetime | None = None
    input_bytes: int | None = None  # the state's input document (256 KiB at most)
    output_bytes: int | None = None  # the state's output document
    attempts: list[Attempt] = field(default_factory=list)
    items: MapItems | None = None  # a mapped task: its iterations

    @property
    def end(self) -> datetime | None:
        """When the task's state ended: its exit, else the end of its last attempt."""
        if self.exited is not None:
            return self.exited
        ends = [a.ended for a in self.attempts if a.ended is not None]
        if self.items is not None and self.items.last_end is not None:
            ends.append(self.items.last_end)
        return max(ends, default=None)


@dataclass
class RunHistory:
    tasks: dict[str, TaskHistory]
    input_bytes: int | None = None  # the execution's input
    output_bytes: int | None = None  # its output, when it succeeded
    first: datetime | None = None  # the first and last event
    last: datetime | None = None
    redriven: list[datetime] = field(default_factory=list)  # each ExecutionRedriven


def read_history(graph: FlowGraph, events: Iterable[HistoryEvent]) -> RunHistory:
    """Every task's attempts (and a map's items, counted) from one execution's history."""
    tasks = {n.id: TaskHistory(n.id, items=MapItems() if n.is_map else None) for n in graph.nodes}
    items_of = {f"{n.id} item": n.id for n in graph.nodes if n.is_map}
    run = RunHistory(tasks)
    reader = _Reader(tasks, items_of)
    for event in events:
        run.first = run.first or event.timestamp
        run.last = event.timestamp
        if event.type == "ExecutionStarted":
            run.input_bytes = _size(event.details.get("input"))
        elif event.type == "ExecutionSucceeded":
            run.output_bytes = _size(event.details.get("output"))
        elif event.type == "ExecutionRedriven":
            run.redriven.append(event.timestamp)
        reader.read(event)
    reader.close()
    return run


class _Reader:
    def __init__(self, tasks: dict[str, TaskHistory], items_of: dict[str, str]) -> None:
        self.tasks = tasks
        self.items_of = items_of
        self.state_of = StateAttribution()
        #: The open attempts, by the id of the last event of their chain.
        self.open: dict[int, tuple[str, Attempt]] = {}

    def read(self, event: HistoryEvent) -> None:
        state = self.state_of(event) or ""
        kind, details = event.type, event.details
        if kind.startswith("MapIteration"):
            self._iteration(event)
            return
        task = self.tasks.get(state)
        item_of = self.items_of.get(state)
        if task is None and item_of is None:
            return
        if kind in SCHEDULED_EVENTS:
            self._schedule(event, state, task, item_of)
        elif kind in _PROGRESS:
            opened = self.open.pop(event.previous_event_id, None)
            if opened is not None:
                self.open[event.id] = opened
        elif kind in ENDINGS:
            self._end(event, state)
        elif task is not None and kind.endswith("StateEntered"):
            task.entered = task.entered or event.timestamp
            task.input_bytes = _size(details.get("input"))
        elif task is not None and kind.endswith("StateExited"):
            task.exited = event.timestamp
            task.output_bytes = _size(details.get("output"))
        elif task is not None and kind == "MapStateStarted" and task.items is not None:
            length = details.get("length")
            task.items.length = length if isinstance(length, int) else None

    def _schedule(
        self, event: HistoryEvent, state: str, task: TaskHistory | None, item_of: str | None
    ) -> None:
        request = _size(event.details.get("parameters"))
        if task is not None:
            attempt = Attempt(len(task.attempts) + 1, event.timestamp, request_bytes=request)
            task.attempts.append(attempt)
        else:
            items = self._items(item_of)
            items.scheduled += 1
            attempt = Attempt(items.scheduled, event.timestamp, request_bytes=request)
        self.open[event.id] = (state, attempt)

    def close(self) -> None:
        """The item attempts that never ended still show on the timeline, as running."""
        for state, attempt in self.open.values():
            item_of = self.items_of.get(state)
            if item_of is not None:
                self._items(item_of).starts.append((attempt.scheduled, UNFINISHED))

    def _end(self, event: HistoryEvent, state: str) -> None:
        opened = self.open.pop(event.previous_event_id, None)
        if opened is None:  # a history that does not chain its events: the state's last one
            key = next((k for k, (s, _) in reversed(self.open.items()) if s == state), None)
            opened = self.open.pop(key) if key is not None else None
        if opened is None:
            return
        _, attempt = opened
        attempt.ended = event.timestamp
        attempt.outcome = ENDINGS[event.type]
        attempt.error = event.details.get("error")
        attempt.cause = event.details.get("cause")
        if attempt.outcome == "SUCCEEDED":
            attempt.response_bytes = _size(event.details.get("output"))
        item_of = self.items_of.get(state)
        if item_of is not None:
            self._count_item(self._items(item_of), attempt)

    def _count_item(self, items: MapItems, attempt: Attempt) -> None:
        items.attempts[attempt.outcome] += 1
        items.starts.append((attempt.scheduled, attempt.outcome))
        assert attempt.ended is not None
        items.last_end = max(items.last_end or attempt.ended, attempt.ended)
        items.request_bytes += attempt.request_bytes or 0
        items.response_bytes += attempt.response_bytes or 0
        items.max_request_bytes = _larger(items.max_request_bytes, attempt.request_bytes)
        items.max_response_bytes = _larger(items.max_response_bytes, attempt.response_bytes)
        if attempt.outcome != "SUCCEEDED":
            name = attempt.error or attempt.outcome
            group = items.errors.get(name)
            if group is None:
                items.errors[name] = ErrorGroup(1, attempt.cause)
            else:
                group.count += 1

    def _iteration(self, event: HistoryEvent) -> None:
        # Iteration events carry the Map state's own name, whatever state precedes them.
        task = self.tasks.get(str(event.details.get("name")))
        if task is None or task.items is None:
            return
        if event.type == "MapIterationStarted":
            task.items.started += 1
        elif event.type in _ITERATION_ENDS:
            task.items.ended[_ITERATION_ENDS[event.type]] += 1

    def _items(self, item_of: str | None) -> MapItems:
        items = self.tasks[item_of or ""].items
        assert items is not None  # items_of names mapped tasks only
        return items


def _size(text: object) -> int | None:
    """Bytes of a payload as Step Functions counts them: its UTF-8 JSON text."""
    return len(text.encode("utf-8")) if isinstance(text, str) else None


def _larger(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
