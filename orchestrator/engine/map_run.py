"""One Map Run of a Distributed Map: its ARN, its children's names and, when exported, outcomes.

Step Functions names a Map Run `arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`
and each child execution `...:execution:<machine>/<label>:<name>` of the state machine
`...:stateMachine:<machine>/<label>` ("Distributed Map state fields", Label; "ResultWriter
(Map)", whose NONE records show these ARNs). The label is the Map's Label, or its state name.

A ResultWriter needs each child's outcome after the run, including when the run fails (succeeded,
failed, aborted while running, never started). `Outcomes` keeps, per child, its status, its
output (the one copy the engine holds: the iteration returns nothing else), its error and its
start and stop times; the export builds every record from these when it writes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .clock import Clock
from .errors import StatesError

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
ABORTED = "ABORTED"
RUNNING = "RUNNING"


class MapRun:
    def __init__(self, state_machine: dict[str, Any], label: str, arn: str | None = None) -> None:
        """`state_machine` is `$$.StateMachine` (Id and Name): the region and account are the
        execution's own. `arn`: the run already exists (a redrive continues it), keep its id."""
        _, _, _, region, account, *_ = str(state_machine["Id"]).split(":")
        machine = state_machine["Name"]
        prefix = f"arn:aws:states:{region}:{account}"
        self.id = uuid.UUID(arn.rsplit(":", 1)[1]) if arn is not None else uuid.uuid4()
        self.arn = f"{prefix}:mapRun:{machine}/{label}:{self.id}"
        self.state_machine_arn = f"{prefix}:stateMachine:{machine}/{label}"
        self._execution_prefix = f"{prefix}:execution:{machine}/{label}:"

    def child_name(self, index: int) -> str:
        """A child execution's name: a UUID derived from the run's (AWS's are version 3 too),
        so nothing per child is stored to name it."""
        return str(uuid.uuid3(self.id, str(index)))

    def child_arn(self, name: str) -> str:
        return self._execution_prefix + name


class Outcomes:
    """What became of each child of one run (thread-safe: each child writes only its slot)."""

    def __init__(self, inputs: list[Any], clock: Clock) -> None:
        count = len(inputs)
        self.inputs = inputs
        self.clock = clock
        self.status: list[str | None] = [None] * count  # None: never started (PENDING)
        self.outputs: list[Any] = [None] * count
        self.errors: dict[int, tuple[str, str]] = {}
        self.started: list[datetime | None] = [None] * count
        self.stopped: list[datetime | None] = [None] * count
        self.frozen = False

    def start(self, index: int) -> None:
        if self.frozen:
            return
        self.started[index] = self.clock.now()
        self.status[index] = RUNNING

    def succeed(self, index: int, output: Any) -> None:
        if self.frozen:
            return
        self.outputs[index] = output
        self.stopped[index] = self.clock.now()
        self.status[index] = SUCCEEDED

    def fail(self, index: int, error: StatesError) -> None:
        if self.frozen:
            return
        self.errors[index] = (error.error, error.cause)
        self.stopped[index] = self.clock.now()
        self.status[index] = FAILED

    def freeze(self) -> None:
        """The run failed: children still running are aborted now (AWS stops them), and later
        news from them no longer counts."""
        self.frozen = True
        now = self.clock.now()
        status = list(self.status)
        for index, state in enumerate(status):
            if state == RUNNING:
                status[index] = ABORTED
                self.stopped[index] = now
        self.status = status

    def indices(self, *statuses: str | None) -> Iterator[int]:
        """The children with one of `statuses`, in item order."""
        for index, state in enumerate(self.status):
            if state in statuses:
                yield index
