"""Steps of a compiled sequence, and how they are chained into an ASL `States` map."""

from __future__ import annotations

from typing import Any

# Plain slotted classes, written out: a plan makes a Step and a Sequence per task, where a
# generic `records.record` __init__ is several times slower, and a `@dataclass` would compile
# its methods at every import (start-up, `tests/test_startup.py`).


class Step:
    """One state of a sequence, with how it continues."""

    __slots__ = ("name", "state", "chained", "then")

    def __init__(
        self, name: str, state: dict[str, Any], chained: bool = True, then: str | None = None
    ) -> None:
        self.name = name
        self.state = state
        #: False: the state already names its successors (Choice) or ends (Fail).
        self.chained = chained
        #: For a side step: continue where the main step of this name continues (its Next, or
        #: End).
        self.then = then

    def __repr__(self) -> str:
        return f"Step({self.name!r}, chained={self.chained}, then={self.then!r})"


class Sequence:
    """The steps chained one after another, and side steps off that chain (`Step.then`)."""

    __slots__ = ("steps", "side")

    def __init__(self, steps: list[Step] | None = None, side: list[Step] | None = None) -> None:
        self.steps: list[Step] = [] if steps is None else steps
        self.side: list[Step] = [] if side is None else side

    def extend(self, other: Sequence) -> None:
        self.steps.extend(other.steps)
        self.side.extend(other.side)

    def __repr__(self) -> str:
        return f"Sequence({self.steps!r}, side={self.side!r})"


#: Where a state goes after `name`: placeholder resolved by `link` (a Catch's or Choice's Next).
def after(name: str) -> str:
    return f"\0after\0{name}"


def link(seq: Sequence) -> dict[str, Any]:
    """Chain the steps with Next (the last one Ends) and return {StartAt, States}.

    A side step with `then` continues where that main step continues; a `Next` written as
    `after(name)` (in a Catch or a Choice rule) is resolved the same way.
    """
    steps = seq.steps
    successor: dict[str, str | None] = {
        step.name: steps[i + 1].name if i + 1 < len(steps) else None for i, step in enumerate(steps)
    }
    states: dict[str, Any] = {}
    ends: dict[str, Any] = {}
    for step in [*steps, *seq.side]:
        state = _resolve(dict(step.state), successor, ends)
        if step.chained:
            following = successor[step.then] if step.then is not None else successor[step.name]
            if following is not None:
                state["Next"] = following
            else:
                state["End"] = True
        states[step.name] = state
    states.update(ends)
    return {"StartAt": steps[0].name, "States": states}


def _resolve(
    state: dict[str, Any], successor: dict[str, str | None], ends: dict[str, Any]
) -> dict[str, Any]:
    """Replace `after(name)` targets in Catch and Choice rules by the real successor; past the
    end of the sequence, that is a Succeed state (it ends a branch, or the execution)."""

    def target(next_name: str) -> str:
        if not next_name.startswith("\0after\0"):
            return next_name
        name = next_name.removeprefix("\0after\0")
        following = successor[name]
        if following is None:
            following = f"{name} done"
            ends[following] = {"Type": "Succeed"}
        return following

    for key in ("Catch", "Choices"):
        if key in state:
            state[key] = [{**rule, "Next": target(rule["Next"])} for rule in state[key]]
    if "Default" in state:
        state["Default"] = target(state["Default"])
    return state
