"""Retry delay policies, the way Prefect 1.x users write them: `exponential_backoff(10)`.

Each builds an `orchestrator.options.RetryDelay`: data, not code, compiled to a Retrier's
`IntervalSeconds`, `BackoffRate`, `MaxDelaySeconds` and `JitterStrategy`.
"""

from __future__ import annotations

from datetime import timedelta

from orchestrator.errors import FlowDefinitionError
from orchestrator.options import RetryDelay
from orchestrator.sdk.durations import whole_seconds


def exponential_backoff(
    base: int | float | timedelta = 1,
    max_delay: int | float | timedelta | None = None,
    jitter: bool = False,
    *,
    backoff_rate: float = 2.0,
) -> RetryDelay:
    """Wait `base`, 2×`base`, 4×`base`, … seconds between attempts, capped at `max_delay`.

    `jitter=True` waits a random time between 0 and that delay (Step Functions' FULL jitter),
    which spreads the retries of many failing iterations apart.
    """
    return RetryDelay(
        interval=whole_seconds(base, option="exponential_backoff base"),
        backoff_rate=float(backoff_rate),
        max_delay=None if max_delay is None else whole_seconds(max_delay, option="max_delay"),
        jitter=bool(jitter),
    )


def exponential_delay(
    scale: int | float | timedelta = 1,
    max_delay: int | float | timedelta | None = None,
    jitter: bool = False,
) -> RetryDelay:
    """The seed article's spelling of `exponential_backoff(scale)`: `scale`, 2×`scale`, …"""
    return exponential_backoff(scale, max_delay=max_delay, jitter=jitter)


def as_retry_delay(value: object, *, task: str | None = None) -> RetryDelay:
    """Normalise a task's `retry_delay` option: seconds, timedelta or a policy."""
    if isinstance(value, RetryDelay):
        return value
    seconds = whole_seconds(value, option="retry_delay", task=task)
    try:
        return RetryDelay(interval=seconds)
    except FlowDefinitionError as err:
        raise FlowDefinitionError(err.problem, task=task, fix=err.fix) from None
