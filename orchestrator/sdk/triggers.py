"""Triggers: whether a task runs, as a plain function of its upstream tasks' states.

Prefect 1.x's trigger functions (`prefect/triggers.py`), by the same names and with the same
semantics. They are the reference the compiled Catch/Choice structure will be checked against;
the planner does not compile any trigger but `all_successful` yet.

Input — `upstream_states`: upstream task id → its final state name, one of `STATES`. A mapped
upstream's value is the list of its children's states, one per child: each child counts on its
own (Prefect 1.x expands `Mapped` into its `map_states`), and an empty map (`[]`) contributes no
state — though it is still an upstream task, which matters where Prefect tests `upstream_states`
itself (`any_*`, `some_*`: "no upstream tasks" runs, "only an empty map" is judged on no states).

Output — a `TriggerOutcome`. Prefect 1.x triggers return True to run and otherwise *raise* a
signal; here that signal is the returned outcome: `TRIGGERFAIL` → `TRIGGER_FAILED`, `SKIP` →
`SKIP`, `PAUSE` → `PAUSE`. Each outcome's value is the state the task ends in ("RUN" for none).

As in Prefect 1.x, `SKIPPED` is a success (`Skipped(Success)`) and `TRIGGER_FAILED` and
`TIMED_OUT` are failures (`TriggerFailed(Failed)`, `TimedOut(Failed)`). Every state here is
finished: Prefect evaluates a trigger only once all upstream tasks finished. Not modelled here:
Prefect's task runner skips a task with a skipped upstream *before* its trigger is evaluated
(`skip_on_upstream_skip=True`, `TaskRunner.check_upstream_skipped`) — that is the runner's rule,
not the trigger's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

__all__ = [
    "Trigger",
    "TriggerOutcome",
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "manual_only",
    "not_all_skipped",
    "some_failed",
    "some_successful",
]


class TriggerOutcome(StrEnum):
    """What a trigger decides; the value is the state the task ends in, if it does not run."""

    RUN = "RUN"  # Prefect: the trigger returned True
    TRIGGER_FAILED = "TRIGGER_FAILED"  # Prefect: raised TRIGGERFAIL (or returned False)
    SKIP = "SKIPPED"  # Prefect: raised SKIP
    PAUSE = "PAUSED"  # Prefect: raised PAUSE


UpstreamStates = Mapping[str, str | Sequence[str]]
Trigger = Callable[[UpstreamStates], TriggerOutcome]

SUCCESS_STATES = frozenset({"SUCCEEDED", "SKIPPED"})
FAILED_STATES = frozenset({"FAILED", "TIMED_OUT", "TRIGGER_FAILED"})
STATES = SUCCESS_STATES | FAILED_STATES

RUN, TRIGGER_FAILED = TriggerOutcome.RUN, TriggerOutcome.TRIGGER_FAILED


def _states(upstream_states: UpstreamStates) -> list[str]:
    """Every upstream state, a mapped upstream's children expanded (`_get_all_states_as_set`)."""
    flat: list[str] = []
    for state in upstream_states.values():
        flat.extend([state] if isinstance(state, str) else state)
    unknown = sorted(set(flat) - STATES)
    if unknown:
        raise ValueError(f"not a finished state: {', '.join(unknown)}; use one of {sorted(STATES)}")
    return flat


def _run_if(condition: bool) -> TriggerOutcome:
    return RUN if condition else TRIGGER_FAILED


def all_finished(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Run whatever the upstream states are, once finished (clean-up); alias `always_run`."""
    _states(upstream_states)
    return RUN


always_run = all_finished


def manual_only(upstream_states: UpstreamStates, *, resume: bool = False) -> TriggerOutcome:
    """Never run automatically: pause, unless the task is being resumed."""
    return RUN if resume else TriggerOutcome.PAUSE


def all_successful(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Run when every upstream task succeeded (the default); SKIPPED counts as success."""
    return _run_if(all(s in SUCCESS_STATES for s in _states(upstream_states)))


def all_failed(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Run when every upstream task failed; TRIGGER_FAILED and TIMED_OUT count as failures."""
    return _run_if(all(s in FAILED_STATES for s in _states(upstream_states)))


def any_successful(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Run when any upstream task succeeded, or when there is no upstream task."""
    states = _states(upstream_states)
    return _run_if(not upstream_states or any(s in SUCCESS_STATES for s in states))


def any_failed(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Run when any upstream task failed, or when there is no upstream task (compensation)."""
    states = _states(upstream_states)
    return _run_if(not upstream_states or any(s in FAILED_STATES for s in states))


def not_all_skipped(upstream_states: UpstreamStates) -> TriggerOutcome:
    """Skip when every upstream task was skipped (vacuously so with none); else all_successful."""
    states = _states(upstream_states)
    if all(s == "SKIPPED" for s in states):
        return TriggerOutcome.SKIP
    return _run_if(all(s in SUCCESS_STATES for s in states))


Bound = int | float


def _bound(bound: Bound | None, n: int, *, default: Bound) -> Bound:
    """A bound below 1 is a fraction of the `n` upstream states, otherwise an absolute count."""
    if bound is None:
        return default
    return n * bound if bound < 1 else bound


def _some(
    name: str, counted: frozenset[str], at_least: Bound | None, at_most: Bound | None
) -> Trigger:
    """A trigger running when the number of `counted` states lies within [at_least, at_most]."""

    def trigger(upstream_states: UpstreamStates) -> TriggerOutcome:
        if not upstream_states:
            return RUN
        states = _states(upstream_states)
        count, n = sum(s in counted for s in states), len(states)
        return _run_if(_bound(at_least, n, default=0) <= count <= _bound(at_most, n, default=n))

    trigger.__name__ = trigger.__qualname__ = name
    trigger.__dict__.update(__trigger_name__=name, at_least=at_least, at_most=at_most)
    return trigger


def some_successful(at_least: Bound | None = None, at_most: Bound | None = None) -> Trigger:
    """A trigger running when at_least..at_most upstream tasks succeeded (SKIPPED included)."""
    return _some("some_successful", SUCCESS_STATES, at_least, at_most)


def some_failed(at_least: Bound | None = None, at_most: Bound | None = None) -> Trigger:
    """A trigger running when at_least..at_most upstream tasks failed (TRIGGER_FAILED included)."""
    return _some("some_failed", FAILED_STATES, at_least, at_most)


TRIGGERS: dict[str, Trigger] = {
    fn.__name__: fn
    for fn in (
        all_successful,
        all_failed,
        any_successful,
        any_failed,
        all_finished,
        manual_only,
        not_all_skipped,
    )
}
TRIGGERS["always_run"] = always_run
# Trigger factories: what they return is a trigger, named by its `__trigger_name__`.
TRIGGER_FACTORIES = {"some_successful": some_successful, "some_failed": some_failed}


def trigger_name(trigger: object) -> str | None:
    """The registered name of `trigger`, or None if it is not one of the known triggers.

    A factory's result (`some_successful(at_least=2)`) is named after its factory.
    """
    if isinstance(trigger, str):
        return trigger if trigger in TRIGGERS else None
    made_by = getattr(trigger, "__trigger_name__", None)
    if made_by in TRIGGER_FACTORIES:
        return str(made_by)
    for name, fn in TRIGGERS.items():
        if fn is trigger:
            return "all_finished" if name == "always_run" else name
    return None
