"""The record of one finished (or running) execution."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .history import HistoryEvent

SCHEDULED_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled")
_ENTERED_SUFFIX = "StateEntered"


@dataclass
class Execution:
    execution_arn: str
    name: str
    status: str  # "RUNNING" while in progress, then SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    input: Any
    output: Any | None
    error: str | None
    cause: str | None
    start_date: datetime
    stop_date: datetime
    events: list[HistoryEvent] = field(default_factory=list)
    state_machine: str = "local"
    recorded_delays: list[tuple[str, float]] = field(default_factory=list, repr=False)

    def attempts_by_state(self) -> dict[str, int]:
        """How many times each state's task was scheduled, summed over Map iterations.

        A scheduled event carries no state name, so it is attributed to the state whose entered
        event starts its chain of `previous_event_id`s (one chain per branch or iteration).
        """
        state_of: dict[int, str | None] = {}
        counts: dict[str, int] = {}
        for event in self.events:
            if event.type.endswith(_ENTERED_SUFFIX):
                state = event.details.get("name")
            else:
                state = state_of.get(event.previous_event_id)
            state_of[event.id] = state
            if event.type in SCHEDULED_EVENTS and state is not None:
                counts[state] = counts.get(state, 0) + 1
        return counts

    def delays(self) -> list[tuple[str, float]]:
        """(state, seconds) of every retry backoff and Wait, in the order they were taken."""
        return list(self.recorded_delays)
