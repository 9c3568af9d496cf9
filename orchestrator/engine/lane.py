"""Per-execution runtime state (`Run`) and one thread of control through it (`Lane`).

The top-level state list runs on one lane; every Parallel branch and Map iteration gets its own,
which carries its chain of `previous_event_id`s, its abort scope, its `$$.Map.Item` and its track
(where it stands, for a redrive: `progress.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .errors import TIMEOUT, BranchAborted, ExecutionTimedOut, StatesError
from .history import AbortScope, Recorder
from .objects import ObjectStore
from .progress import LaneTrack
from .steps import Call
from .variables import Scope

if TYPE_CHECKING:
    from .child_execution import StateMachines

LambdaInvoker = Callable[[str, Any], Any]


def iso(moment: datetime) -> str:
    """Timestamps as `$$` shows them: ISO 8601, milliseconds, `Z`."""
    # isoformat is several times cheaper than strftime, and this runs once per state.
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@dataclass(kw_only=True, eq=False)
class Run:
    """What every lane of one execution shares."""

    recorder: Recorder
    clock: Clock
    invoke: LambdaInvoker
    execution_context: dict[str, Any]
    deadline: datetime | None
    #: Where Distributed Maps' ItemReader and ResultWriter read and write (None: not given).
    objects: ObjectStore | None = None
    delays: list[tuple[str, float]] = field(default_factory=list)
    #: The execution's region (its ARN's), where its Task states call services.
    region: str = ""
    #: The longest Wait the execution may take, in seconds (its type's maximum duration).
    max_wait: float = float("inf")
    #: The machines its startExecution.sync:2 Tasks may start (child_execution.py).
    machines: StateMachines | None = None
    root: AbortScope = field(default_factory=AbortScope)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> bool:
        """True the first time: the one caller that closes the execution (its thread, or the
        caller's on Ctrl-C)."""
        with self._lock:
            if self._stopped:
                return False
            self._stopped = True
            return True

    def record_delay(self, state: str, seconds: float) -> None:
        with self._lock:
            self.delays.append((state, seconds))

    def remaining(self) -> float | None:
        """Seconds left before the machine's TimeoutSeconds, or None without one."""
        if self.deadline is None:
            return None
        return (self.deadline - self.clock.now()).total_seconds()


class Lane:
    __slots__ = ("run", "previous", "scope", "map_item", "track", "variables", "assigned")

    def __init__(
        self,
        run: Run,
        previous: int,
        scope: AbortScope,
        map_item: dict[str, Any] | None = None,
        track: LaneTrack | None = None,
        variables: Scope | None = None,
    ) -> None:
        self.run = run
        self.previous = previous
        self.scope = scope
        self.map_item = map_item
        self.track = track or LaneTrack()
        #: The lane's variable scope (`variables.py`); None when the machine has no variables.
        self.variables = variables
        #: What the running state's `Assign` evaluated to, stored when the state exits.
        self.assigned: dict[str, Any] | None = None

    def emit(self, type_: str, details: dict[str, Any]) -> int:
        self.previous = self.run.recorder.emit(self.previous, type_, details, self.scope)
        return self.previous

    def join(self) -> None:
        """After a fan-out, the next event follows the latest one recorded (as in AWS)."""
        self.previous = len(self.run.recorder.events)

    def child(
        self,
        scope: AbortScope,
        map_item: dict[str, Any] | None = None,
        track: LaneTrack | None = None,
        isolated: bool = False,
    ) -> Lane:
        """A Parallel branch's or Map iteration's lane, in a variable scope of its own that
        reads the enclosing ones (`isolated`: none, as a Distributed Map's children)."""
        variables = self.variables
        if variables is not None:
            variables = Scope(None if isolated else variables)
        return Lane(self.run, self.previous, scope, map_item or self.map_item, track, variables)

    def check(self) -> None:
        """Between states: stop if aborted or past the machine's deadline."""
        if self.scope.event.is_set():
            raise BranchAborted()
        remaining = self.run.remaining()
        if remaining is not None and remaining <= 0:
            raise ExecutionTimedOut()

    def context(self, state: str, entered: datetime, retry_count: int | None) -> dict[str, Any]:
        """The context object `$$` as a state sees it (`RetryCount`: Task states only)."""
        context = dict(self.run.execution_context)
        context["State"] = {"Name": state, "EnteredTime": iso(entered)}
        if retry_count is not None:
            context["State"]["RetryCount"] = retry_count
        if self.map_item is not None:
            context["Map"] = {"Item": self.map_item}
        return context

    def sleep(self, state: str, seconds: float) -> None:
        """A retry backoff or Wait: recorded, then spent on the clock (capped by the deadline)."""
        self.run.record_delay(state, seconds)
        remaining = self.run.remaining()
        if remaining is not None and seconds >= remaining:
            self.run.clock.sleep(max(remaining, 0.0), self.scope.event)
            if self.scope.event.is_set():
                raise BranchAborted()
            raise ExecutionTimedOut()
        self.run.clock.sleep(seconds, self.scope.event)
        if self.scope.event.is_set():
            raise BranchAborted()

    def call(self, fn: Callable[[], Any], timeout: float | None) -> Call:
        """A task's work as a step, bounded by its TimeoutSeconds and the machine's deadline:
        whichever comes first decides the error the lane gets if the call overruns."""
        remaining = self.run.remaining()
        if timeout is None and remaining is None:
            return Call(fn, None, _task_timed_out)
        if remaining is not None and (timeout is None or remaining < timeout):
            return Call(fn, remaining, ExecutionTimedOut)
        return Call(fn, timeout, _task_timed_out)


def _task_timed_out() -> StatesError:
    return StatesError(TIMEOUT, "")
