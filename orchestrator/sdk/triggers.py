"""Triggers: whether a task runs, as a plain function of its upstream tasks' states.

Prefect 1.x's trigger functions, by the same names. Each takes a mapping of upstream task id to
state name (`"SUCCEEDED"`, `"FAILED"`, `"SKIPPED"`, …) and returns whether the task should run.
The planner compiles a task's trigger into Catch/Choice structure; these functions are the
reference semantics the compiled machine and its tests are checked against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Trigger = Callable[[Mapping[str, str]], bool]

__all__ = [
    "Trigger",
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "manual_only",
]


SUCCESS_STATES = frozenset({"SUCCEEDED", "SKIPPED"})
FAILED_STATES = frozenset({"FAILED", "TIMED_OUT"})


def all_successful(upstream_states: Mapping[str, str]) -> bool:
    """Run when every upstream task succeeded (the default)."""
    return all(s in SUCCESS_STATES for s in upstream_states.values())


def all_failed(upstream_states: Mapping[str, str]) -> bool:
    """Run when every upstream task failed."""
    return all(s in FAILED_STATES for s in upstream_states.values())


def any_successful(upstream_states: Mapping[str, str]) -> bool:
    """Run when at least one upstream task succeeded."""
    return not upstream_states or any(s in SUCCESS_STATES for s in upstream_states.values())


def any_failed(upstream_states: Mapping[str, str]) -> bool:
    """Run when at least one upstream task failed (a compensation step)."""
    return not upstream_states or any(s in FAILED_STATES for s in upstream_states.values())


def all_finished(upstream_states: Mapping[str, str]) -> bool:
    """Run once every upstream task finished, whatever its outcome (clean-up)."""
    return True


always_run = all_finished


def manual_only(upstream_states: Mapping[str, str]) -> bool:
    """Never run automatically (Prefect 1.x pauses for approval; here the task is skipped)."""
    return False


TRIGGERS: dict[str, Trigger] = {
    fn.__name__: fn
    for fn in (all_successful, all_failed, any_successful, any_failed, all_finished, manual_only)
}
TRIGGERS["always_run"] = always_run


def trigger_name(trigger: object) -> str | None:
    """The registered name of `trigger`, or None if it is not one of the known triggers."""
    if isinstance(trigger, str):
        return trigger if trigger in TRIGGERS else None
    for name, fn in TRIGGERS.items():
        if fn is trigger:
            return "all_finished" if name == "always_run" else name
    return None
