"""A compiled state list (the machine, a Parallel branch or a Map's item processor) and the
loop that walks it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .lane import Lane


class Runnable(Protocol):
    name: str

    def run(self, lane: Lane, value: Any, text: str) -> tuple[str | None, Any, str]: ...


@dataclass(frozen=True)
class Program:
    start_at: str
    states: dict[str, Runnable]


def run_program(program: Program, lane: Lane, value: Any, text: str) -> tuple[Any, str]:
    """Run states from StartAt until one ends; returns the last output and its JSON text."""
    states = program.states
    name = program.start_at
    while True:
        lane.check()
        next_, value, text = states[name].run(lane, value, text)
        if next_ is None:
            return value, text
        name = next_
