"""The record of one finished (or running) execution."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .history import HistoryEvent, attempts_by_state


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
    #: DescribeExecution's redriveCount and redriveDate: how often, and when last, it was
    #: redriven (0 and None before its first redrive).
    redrive_count: int = 0
    redrive_date: datetime | None = None
    #: The definition it runs, as JSON text (a redrive runs the same one, as in AWS).
    definition: str | None = field(default=None, repr=False)
    #: Where each lane stopped (`progress.frontier`), once it stopped unsuccessfully: what a
    #: redrive continues from. None after success or if never recorded; while a redrive runs,
    #: where it started from.
    progress: dict[str, Any] | None = field(default=None, repr=False)

    def attempts_by_state(self) -> dict[str, int]:
        """How many times each state's task was scheduled, summed over Map iterations."""
        return attempts_by_state(self.events)

    def delays(self) -> list[tuple[str, float]]:
        """(state, seconds) of every retry backoff and Wait, in the order they were taken."""
        return list(self.recorded_delays)
