"""Whole-second durations, as Step Functions and Lambda want them."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.errors import FlowDefinitionError


def whole_seconds(value: object, *, option: str, task: str | None = None) -> int:
    """`value` (int seconds, a whole float, or a timedelta) as an int, else a clear error."""
    if isinstance(value, bool):
        raise FlowDefinitionError(
            f"{option}={value!r} is not a duration", task=task, fix=f"give {option} in seconds"
        )
    if isinstance(value, timedelta):
        seconds: float = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
    else:
        raise FlowDefinitionError(
            f"{option}={value!r} is not a duration",
            task=task,
            fix=f"give {option} as seconds (int) or a datetime.timedelta",
        )
    if seconds != int(seconds):
        raise FlowDefinitionError(
            f"{option}={value!r} is not a whole number of seconds",
            task=task,
            fix=f"Step Functions counts {option} in whole seconds; round it",
        )
    return int(seconds)
