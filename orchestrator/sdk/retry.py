"""Retry delay policies: how long to wait between attempts, as Step Functions' Retry fields.

A policy is data, not code: it compiles to `IntervalSeconds`, `BackoffRate`, `MaxDelaySeconds` and
`JitterStrategy`, so the local engine and AWS wait exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.durations import whole_seconds

# Step Functions' bounds on Retry fields.
MAX_INTERVAL_SECONDS = 99_999_999
MAX_BACKOFF_RATE = 100.0


@dataclass(frozen=True)
class RetryDelay:
    """Wait `interval` seconds before the first retry, then multiply by `backoff_rate` each time,
    never more than `max_delay` seconds; with `jitter`, wait a random time up to that delay."""

    interval: int = 1
    backoff_rate: float = 1.0
    max_delay: int | None = None
    jitter: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.interval <= MAX_INTERVAL_SECONDS:
            raise FlowDefinitionError(
                f"a retry delay of {self.interval} s is out of range",
                fix="Step Functions waits at least 1 s between attempts (IntervalSeconds ≥ 1)",
            )
        if not 1.0 <= self.backoff_rate <= MAX_BACKOFF_RATE:
            raise FlowDefinitionError(
                f"backoff rate {self.backoff_rate} is out of range",
                fix="use a BackoffRate between 1.0 and 100.0",
            )
        if self.max_delay is not None and not self.interval <= self.max_delay <= 31_622_400:
            raise FlowDefinitionError(
                f"max_delay={self.max_delay} s is out of range",
                fix="max_delay must be at least the first delay and at most 31622400 s (a year)",
            )

    def delays(self, attempts: int) -> list[float]:
        """The nominal (jitter-free) delay before each of `attempts` retries."""
        out: list[float] = []
        for n in range(attempts):
            delay = self.interval * self.backoff_rate**n
            if self.max_delay is not None:
                delay = min(delay, self.max_delay)
            out.append(delay)
        return out


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
