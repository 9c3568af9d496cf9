"""Upstream states as the runtime sees them: markers in a task's inputs (docs/control-flow.md).

A task that was skipped, failed (its failure caught) or trigger-failed leaves a marker instead
of a value (`orchestrator.contract.SKIPPED_KEY`, `FAILED_KEY`); a mapped task's list holds one per
child that did not succeed. A downstream task with the default trigger (`all_successful`) needs no
state of its own to react: its handler finds the markers in its inputs (and in the values of its
order-only upstreams, sent under `"after"`) and, as Prefect 1.x's task runner does —
`check_upstream_skipped`, then `check_task_trigger` — ends SKIPPED when an upstream was skipped
(unless `skip_on_upstream_skip=False`), else TRIGGER_FAILED when one failed, without calling the
task. A task whose trigger the state machine evaluated (a Choice gate: `"trigger_checked"`) runs,
and receives None where an upstream left a marker, as a Prefect task receives a skipped
upstream's None result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestrator.contract import (
    AFTER_KEY,
    FAILED_KEY,
    MARKER_SAFE_KEY,
    SKIP_ON_UPSTREAM_SKIP_KEY,
    SKIPPED_KEY,
    STORE_RESULT_KEY,
    TRIGGER_CHECKED_KEY,
    TRIGGER_FAILED_KEY,
)

__all__ = [
    "MarkerNotCompiled",
    "failed",
    "is_marker",
    "marker_state",
    "markers",
    "outcome_without_running",
    "skipped",
    "strip_markers",
    "trigger_failed",
]


class MarkerNotCompiled(RuntimeError):
    """A task would end skipped or trigger-failed, but the state machine reads its result itself
    and nothing downstream is gated to cope with a marker there."""


def skipped(reason: str) -> dict[str, Any]:
    return {SKIPPED_KEY: reason}


def failed(error: str, cause: str) -> dict[str, Any]:
    return {FAILED_KEY: {"Error": error, "Cause": cause}}


def trigger_failed(failure: dict[str, Any], verdict: str) -> dict[str, Any]:
    """A trigger-failed marker: the upstream failure that caused it, and the trigger's verdict."""
    return {FAILED_KEY: dict(failure), TRIGGER_FAILED_KEY: verdict}


def is_marker(value: Any) -> bool:
    return isinstance(value, dict) and (SKIPPED_KEY in value or FAILED_KEY in value)


def markers(value: Any) -> Iterator[dict[str, Any]]:
    """Every marker in `value`: itself, or inside lists and dicts (a mapped upstream's children,
    a list of several upstreams' results)."""
    if isinstance(value, dict):
        if SKIPPED_KEY in value or FAILED_KEY in value:
            yield value
            return
        for item in value.values():
            yield from markers(item)
    elif isinstance(value, list):
        for item in value:
            yield from markers(item)


def strip_markers(value: Any) -> Any:
    """`value` with every marker replaced by None (what the task function receives)."""
    if isinstance(value, dict):
        if SKIPPED_KEY in value or FAILED_KEY in value:
            return None
        return {k: strip_markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_markers(v) for v in value]
    return value


def outcome_without_running(event: dict[str, Any], inputs: dict[str, Any]) -> Any | None:
    """The marker this task ends with without running, or None if it runs."""
    if event.get(TRIGGER_CHECKED_KEY):
        return None
    found = list(markers([inputs, event.get(AFTER_KEY) or {}]))
    if not found:
        return None
    task = event.get("task", "task")
    if event.get(SKIP_ON_UPSTREAM_SKIP_KEY, True) and any(SKIPPED_KEY in m for m in found):
        return check_marker_safe(event, skipped(f"{task}: an upstream task was skipped"))
    failures = [m[FAILED_KEY] for m in found if FAILED_KEY in m]
    if failures:
        verdict = f"all_successful: an upstream task of {task} failed"
        return check_marker_safe(event, trigger_failed(failures[0], verdict))
    return None


def check_marker_safe(event: dict[str, Any], marker: dict[str, Any]) -> dict[str, Any]:
    """`marker`, unless the state machine reads this task's result and cannot take a marker."""
    read_by_machine = event.get("offload") is False or event.get(STORE_RESULT_KEY) is True
    if read_by_machine and not event.get(MARKER_SAFE_KEY):
        task = event.get("task", "task")
        state = "skipped" if SKIPPED_KEY in marker else "trigger-failed"
        raise MarkerNotCompiled(
            f"task {task} would end {state}, but the state machine reads its result itself "
            "(a .map over it or a part of it), which a marker would break in a flow without "
            "triggers, case or reference tasks; return a value instead of raising SKIP "
            "(an empty list maps over nothing)"
        )
    return marker


def marker_state(value: Any, *, mapped: bool = False) -> tuple[str, str | None, str | None]:
    """The state a task's stored value says it ended in: (state, error, cause).

    SUCCEEDED for a plain value; SKIPPED, FAILED or TRIGGER_FAILED for a marker. A mapped task's
    list: FAILED if an item failed, else TRIGGER_FAILED if one trigger-failed, else SKIPPED if
    every item was skipped (and there was one), else SUCCEEDED.
    """
    if mapped and isinstance(value, list):
        states = [marker_state(item) for item in value]
        for wanted in ("FAILED", "TRIGGER_FAILED"):
            found = next((s for s in states if s[0] == wanted), None)
            if found is not None:
                return found
        if states and all(s[0] == "SKIPPED" for s in states):
            return states[0]
        return ("SUCCEEDED", None, None)
    if not is_marker(value):
        return ("SUCCEEDED", None, None)
    if SKIPPED_KEY in value:
        return ("SKIPPED", None, str(value[SKIPPED_KEY]))
    failure = value[FAILED_KEY] if isinstance(value[FAILED_KEY], dict) else {}
    state = "TRIGGER_FAILED" if TRIGGER_FAILED_KEY in value else "FAILED"
    return (state, failure.get("Error"), failure.get("Cause"))
