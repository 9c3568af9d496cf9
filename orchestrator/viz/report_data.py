"""What a run report shows, as plain JSON-able data: the page's model, tested on its own.

In: the flow's graph, the run's summary (what DescribeExecution says), its history events and
each task's final state — plain data, so a run of the local store and one read back from Step
Functions make the same report. Times are seconds from the run's start; sizes are bytes of the
payloads as the history records them (large results travel as references, so these are what
counts against Step Functions' 256 KiB). A map's items are summed up, never listed: counts, the
errors by name and, for the timeline, the item attempts bucketed over the map's span.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrator.engine.execution import Execution
from orchestrator.engine.history import HistoryEvent
from orchestrator.graph import FlowGraph
from orchestrator.viz.attempts import Attempt, MapItems, TaskHistory, read_history
from orchestrator.viz.model import task_titles
from orchestrator.viz.palette import STATE_COLOURS

#: At most this many buckets in a map's density strip, whatever the number of items.
BUCKETS = 48


@dataclass(frozen=True)
class RunSummary:
    """The run as a whole: what the report's header says."""

    run_id: str
    flow: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    started: datetime
    stopped: datetime | None = None
    error: str | None = None
    cause: str | None = None
    arn: str | None = None

    @classmethod
    def of(cls, execution: Execution, flow: str) -> RunSummary:
        """The summary of an engine `Execution` (a local run, or one read back from AWS)."""
        return cls(
            run_id=execution.name,
            flow=flow,
            status=execution.status,
            started=execution.start_date,
            stopped=None if execution.status == "RUNNING" else execution.stop_date,
            error=execution.error,
            cause=execution.cause,
            arn=execution.execution_arn,
        )


class TaskOutcome(Protocol):
    """A task's final state: `orchestrator.local.TaskRun` is one (`task_runs_of`)."""

    @property
    def state(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    @property
    def cause(self) -> str | None: ...


def report_data(
    graph: FlowGraph,
    summary: RunSummary,
    events: Iterable[HistoryEvent],
    outcomes: Mapping[str, TaskOutcome],
) -> dict[str, Any]:
    history = read_history(graph, events)
    origin = min(summary.started, history.first or summary.started)
    end = summary.stopped or history.last or origin
    if history.last is not None:
        end = max(end, history.last)
    clock = _Clock(origin)
    titles = task_titles(graph.nodes)
    tasks = []
    for node in graph.nodes:
        outcome = outcomes.get(node.id)
        task = history.tasks[node.id]
        state = outcome.state if outcome is not None else "NOT_RUN"
        tasks.append(
            {
                "id": node.id,
                "title": titles[node.id],
                "kind": "map" if node.is_map else "task",
                "state": state,
                "error": outcome.error if outcome is not None else None,
                "cause": outcome.cause if outcome is not None else None,
                "start": clock(task.entered),
                "end": clock(task.end),
                "duration": _seconds(task.entered, task.end),
                "inputBytes": task.input_bytes,
                "outputBytes": task.output_bytes,
                "attempts": _attempts(task, state, clock),
                "items": None if task.items is None else _items(task.items, clock),
            }
        )
    return {
        "run": {
            "id": summary.run_id,
            "flow": summary.flow,
            "status": summary.status,
            "arn": summary.arn,
            "started": origin.isoformat(),
            "duration": (end - origin).total_seconds(),
            "error": summary.error,
            "cause": summary.cause,
            "inputBytes": history.input_bytes,
            "outputBytes": history.output_bytes,
        },
        "span": (end - origin).total_seconds(),
        "redrives": [clock(when) for when in history.redriven],
        "tasks": tasks,
        "palette": {state: colour.hex for state, colour in STATE_COLOURS.items()},
    }


class _Clock:
    """Seconds since the run's start, rounded to the microsecond the history keeps."""

    def __init__(self, origin: datetime) -> None:
        self.origin = origin

    def __call__(self, when: datetime | None) -> float | None:
        return None if when is None else round((when - self.origin).total_seconds(), 6)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds(), 6)


def _attempts(task: TaskHistory, state: str, clock: _Clock) -> list[dict[str, Any]]:
    rows = []
    previous: Attempt | None = None
    for attempt in task.attempts:
        outcome = attempt.outcome
        # A task that raised SKIP returned normally: its last attempt ended it SKIPPED.
        if attempt is task.attempts[-1] and outcome == "SUCCEEDED" and state == "SKIPPED":
            outcome = "SKIPPED"
        wait = None
        if previous is not None and previous.ended is not None:
            wait = round((attempt.scheduled - previous.ended).total_seconds(), 6)
        rows.append(
            {
                "n": attempt.number,
                "start": clock(attempt.scheduled),
                "end": clock(attempt.ended),
                "duration": attempt.duration,
                "outcome": outcome,
                "error": attempt.error,
                "cause": attempt.cause,
                "requestBytes": attempt.request_bytes,
                "responseBytes": attempt.response_bytes,
                "waitBefore": wait,  # the retry's backoff, as the timestamps show it
            }
        )
        previous = attempt
    return rows


def _items(items: MapItems, clock: _Clock) -> dict[str, Any]:
    return {
        "length": items.length,
        "iterations": items.started,
        "succeeded": items.ended["succeeded"],
        "failed": items.ended["failed"],
        "aborted": items.ended["aborted"],
        "attempts": items.scheduled,
        "retries": items.retries,
        "unfinished": items.unfinished,
        "outcomes": dict(sorted(items.attempts.items())),
        "errors": [
            {"error": name, "count": group.count, "cause": group.cause}
            for name, group in sorted(items.errors.items(), key=lambda kv: -kv[1].count)
        ],
        "requestBytes": items.request_bytes,
        "responseBytes": items.response_bytes,
        "maxRequestBytes": items.max_request_bytes,
        "maxResponseBytes": items.max_response_bytes,
        "buckets": _buckets(items, clock),
    }


def _buckets(items: MapItems, clock: _Clock) -> dict[str, Any] | None:
    """Item attempts by when they began, in at most BUCKETS equal slices of the map's span."""
    if not items.starts:
        return None
    first = min(when for when, _ in items.starts)
    last = max([when for when, _ in items.starts] + [items.last_end or first])
    span = (last - first).total_seconds()
    count = max(1, min(BUCKETS, len(items.starts)))
    width = span / count if span > 0 else 0.0
    slices: list[Counter[str]] = [Counter() for _ in range(count)]
    for when, outcome in items.starts:
        offset = (when - first).total_seconds()
        index = min(int(offset / width), count - 1) if width > 0 else 0
        slices[index][outcome] += 1
    return {
        "start": clock(first),
        "width": round(width, 6),
        "counts": [dict(sorted(s.items())) for s in slices],
    }
