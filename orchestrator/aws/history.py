"""Step Functions execution histories: read whole, or followed while the execution runs.

`GetExecutionHistory` pages hold at most 1,000 events and a `nextToken`; an execution holds up to
25,000. Reading a finished history pages forward once. Following a running one must not re-read
it from the start on every poll (quadratic in its length), and cannot keep a forward token (the
last page has none): each poll reads newest-first (`reverseOrder`) and stops at the first page
that reaches an event already seen. Events are returned in id order either way, so a service
that ignores `reverseOrder` (moto does) gives the same result, only with more reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from orchestrator.engine.history import HistoryEvent

PAGE = 1000  # GetExecutionHistory's largest maxResults

#: The terminal history events and the execution status each one means.
TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def history_event(event: dict[str, Any]) -> HistoryEvent:
    """A `GetExecutionHistory` event as the engine's `HistoryEvent` (details flattened)."""
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    return HistoryEvent(
        id=event["id"],
        previous_event_id=event.get("previousEventId", 0),
        timestamp=event["timestamp"],
        type=event["type"],
        details=dict(details),
    )


def pages(sfn: Any, execution_arn: str, *, newest_first: bool = False) -> Iterator[list[Any]]:
    """The history's pages, in the order asked for."""
    kwargs: dict[str, Any] = {
        "executionArn": execution_arn,
        "maxResults": PAGE,
        "reverseOrder": newest_first,
    }
    while True:
        page = sfn.get_execution_history(**kwargs)
        yield list(page["events"])
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def read_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, in id order."""
    events = [e for page in pages(sfn, execution_arn) for e in page]
    return sorted(events, key=lambda e: e["id"])


class HistoryFollower:
    """The events of a running execution that were not returned by an earlier `poll`."""

    def __init__(self, sfn: Any, execution_arn: str) -> None:
        self.sfn = sfn
        self.execution_arn = execution_arn
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        new: dict[int, dict[str, Any]] = {}
        for page in pages(self.sfn, self.execution_arn, newest_first=True):
            new.update((e["id"], e) for e in page if e["id"] > self.last_id)
            if any(e["id"] <= self.last_id for e in page):
                break  # the rest was returned before
        fresh = [new[i] for i in sorted(new)]
        if fresh:
            self.last_id = fresh[-1]["id"]
            self.events.extend(fresh)
        return fresh

    @property
    def status(self) -> str:
        """RUNNING until a terminal event has been polled, then what it says."""
        if self.events:
            return TERMINAL_EVENTS.get(self.events[-1]["type"], "RUNNING")
        return "RUNNING"


def final_output(events: list[dict[str, Any]]) -> Any:
    """The execution's output, from its ExecutionSucceeded event (JSON-encoded there, as AWS
    sends it; moto's DescribeExecution sends a string output unencoded)."""
    for event in reversed(events):
        details = event.get("executionSucceededEventDetails")
        if details is not None and "output" in details:
            return json.loads(details["output"])
    return None


def final_error(events: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(error, cause) of a failed, timed-out or aborted execution, from its terminal event."""
    for event in reversed(events):
        for key in (
            "executionFailedEventDetails",
            "executionTimedOutEventDetails",
            "executionAbortedEventDetails",
        ):
            if key in event:
                details = event[key]
                return details.get("error"), details.get("cause")
    return None, None
