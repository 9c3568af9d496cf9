"""A compiled state list (the machine, a Parallel branch or a Map's item processor) and the
loop that walks it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import StatesError
from .lane import Lane
from .progress import StatePlan
from .steps import Steps


class Runnable(Protocol):
    name: str

    def run(self, lane: Lane, value: Any, text: str) -> Steps[tuple[str | None, Any, str]]: ...


@dataclass(frozen=True)
class Program:
    start_at: str
    states: dict[str, Runnable]


def run_program(
    program: Program, lane: Lane, value: Any, text: str, resume: StatePlan | None = None
) -> Steps[tuple[Any, str]]:
    """Run states from StartAt until one ends; returns the last output and its JSON text.

    The steps of a lane (`steps.py`): its position is this generator's, so a lane whose call
    overran goes on from that call on another thread.

    With `resume` (a redrive), start at the state the lane stopped in, with the input it was
    entered with, and hand that state the plan for its branches or iterations. The lane's track
    follows along: each state is recorded as the lane's position before it runs.
    """
    states = program.states
    name = program.start_at
    if resume is not None:
        name, text = resume.name, resume.input
        value = json.loads(text)
    track = lane.track
    plan = resume
    while True:
        at = track.enter(name, text, plan)
        plan = None
        lane.check()
        try:
            next_, value, text = yield from states[name].run(lane, value, text)
        except StatesError as exc:
            at.error = exc.error
            raise
        if next_ is None:
            return value, text
        name = next_
