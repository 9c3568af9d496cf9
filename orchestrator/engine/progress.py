"""Where each lane of an execution stands: the frontier a redrive continues from.

Step Functions redrives an execution "from the unsuccessful step", with that step's original
input; inside a Parallel or Map it "reschedules and redrives only those branches/iterations that
failed or aborted" (developer guide, "Restarting state machine executions with redrive"). The
history says the same thing, as AWS reads it for a Map Run: a state with a `...StateEntered` and
no `...StateExited` is unsuccessful. But with branches and iterations running at once, which
lane an event belongs to cannot be read back reliably from `previous_event_id`s, so the engine
keeps the frontier itself as it runs:

* one `LaneTrack` per lane (the execution, a Parallel branch, a Map iteration): the state it is
  at — entered, or about to be — and that state's input text;
* for a Parallel or Map state, a `FanOut` per attempt: the outputs of the branches or iterations
  that succeeded (the same objects the state collects, not copies) and the lanes of those that
  started and did not.

A lane drops a state's track when it moves on, so the frontier holds only what a redrive needs.
`frontier()` snapshots it as JSON when an execution stops unsuccessfully (the run store keeps
it); `read_frontier()` turns the snapshot into the `StatePlan`s `redrive` hands back to the
states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import DATA_LIMIT, RUNTIME


class LaneTrack:
    """One lane's position: the state it is at, or None before its first state."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at: StateTrack | None = None

    def enter(self, name: str, text: str, plan: StatePlan | None) -> StateTrack:
        self.at = StateTrack(name, text, plan)
        return self.at


class StateTrack:
    """The state a lane is at: its name and input; the error it failed with; for a Parallel or
    Map, its latest attempt's fan-out; on a redrive, the plan its first attempt follows."""

    __slots__ = ("name", "input", "error", "fan_out", "plan")

    def __init__(self, name: str, text: str, plan: StatePlan | None) -> None:
        self.name = name
        self.input = text
        self.error: str | None = None
        self.fan_out: FanOut | None = None
        self.plan = plan

    def take_plan(self) -> StatePlan | None:
        """The redrive plan, for the first attempt only: a Retry runs the state afresh."""
        plan, self.plan = self.plan, None
        return plan

    def attempt(self) -> FanOut:
        """A new attempt of a Parallel or Map: its branches or iterations start over."""
        self.fan_out = FanOut()
        return self.fan_out


class FanOut:
    """One attempt of a Parallel or Map state: what became of each branch or iteration.

    Each child writes only its own index, so no lock is needed (dict item assignment is atomic).
    """

    __slots__ = ("outputs", "lanes", "map_run_arn", "map_run_redrives")

    def __init__(self) -> None:
        self.outputs: dict[int, Any] = {}
        self.lanes: dict[int, LaneTrack] = {}
        self.map_run_arn: str | None = None
        self.map_run_redrives = 0

    def start(self, index: int) -> LaneTrack:
        track = LaneTrack()
        self.lanes[index] = track
        return track

    def succeed(self, index: int, output: Any) -> None:
        self.outputs[index] = output
        self.lanes.pop(index, None)


@dataclass(frozen=True)
class StatePlan:
    """Where a redrive re-enters a lane: the state, its original input, and for a Parallel or
    Map the children of its last attempt (`outputs` None: it never fanned out)."""

    name: str
    input: str
    error: str | None = None
    outputs: dict[int, Any] | None = None
    #: Children that started and did not succeed → where they stopped (None: before any state).
    lanes: dict[int, StatePlan | None] = field(default_factory=dict)
    map_run_arn: str | None = None
    map_run_redrives: int = 0

    def children(self, *, distributed: bool) -> StatePlan | None:
        """This plan if its branches or iterations are to be kept, else None (run them all).

        AWS: a Parallel or Inline Map that failed with States.DataLimitExceeded "is rerun,
        including the branches [iterations] that were successful in the original execution
        attempt"; for a Distributed Map, "a new Map Run is started and the existing Map Run
        isn't redriven" when it failed with States.DataLimitExceeded or States.Runtime.
        """
        if self.outputs is None:
            return None
        anew = (DATA_LIMIT, RUNTIME) if distributed else (DATA_LIMIT,)
        return None if self.error in anew else self


def frontier(track: LaneTrack) -> dict[str, Any]:
    """The lane's position as JSON data ({} before its first state)."""
    at = track.at
    if at is None:
        return {}
    out: dict[str, Any] = {"state": at.name, "input": at.input}
    if at.error is not None:
        out["error"] = at.error
    fan = at.fan_out
    if fan is not None:
        # Snapshots (list(...)) because abandoned children may still be writing their slot.
        out["outputs"] = {str(i): value for i, value in list(fan.outputs.items())}
        out["lanes"] = {str(i): frontier(lane) for i, lane in list(fan.lanes.items())}
        if fan.map_run_arn is not None:
            out["mapRun"] = {"arn": fan.map_run_arn, "redrives": fan.map_run_redrives}
    return out


def read_frontier(data: dict[str, Any]) -> StatePlan | None:
    """A `frontier()` snapshot back as the plan of its lane (None: start from the beginning)."""
    if not data:
        return None
    outputs = data.get("outputs")
    map_run = data.get("mapRun") or {}
    return StatePlan(
        name=str(data["state"]),
        input=str(data["input"]),
        error=data.get("error"),
        outputs=None if outputs is None else {int(i): v for i, v in outputs.items()},
        lanes={int(i): read_frontier(lane) for i, lane in (data.get("lanes") or {}).items()},
        map_run_arn=map_run.get("arn"),
        map_run_redrives=int(map_run.get("redrives", 0)),
    )
