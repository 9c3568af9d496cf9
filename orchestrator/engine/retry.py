"""Retry and Catch policies of Task, Parallel and Map states.

Attempt counting follows the ASL spec: a Retrier's MaxAttempts (default 3) is the number of
*retries* it allows, 0 disables it; the first Retrier whose ErrorEquals matches decides, and when
its budget is spent the error goes to Catch even if a later Retrier would also match. The n-th
retry by a Retrier (n from 0) waits IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds,
then with JitterStrategy FULL a uniform sample in [0, that].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ALL, DefinitionError, StatesError, matches
from .jsonpath import dumps
from .lane import Lane
from .spec import backoff_seconds
from .state import State, apply_result_path, result_path_field


@dataclass(frozen=True, slots=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval: float
    max_attempts: int
    backoff: float
    max_delay: float | None
    full_jitter: bool

    def delay(self, attempt: int, jitter: Callable[[float], float]) -> float:
        seconds = backoff_seconds(self.interval, self.backoff, self.max_delay, attempt)
        return jitter(seconds) if self.full_jitter else seconds


@dataclass(frozen=True, slots=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Any


def _error_equals(spec: dict[str, Any], where: str, last: bool) -> tuple[str, ...]:
    names = spec.get("ErrorEquals")
    if not isinstance(names, list) or not names:
        raise DefinitionError(f"{where}: ErrorEquals must be a non-empty list")
    if ALL in names and (len(names) > 1 or not last):
        raise DefinitionError(f"{where}: States.ALL must appear alone and in the last entry")
    return tuple(str(n) for n in names)


def compile_retriers(state: str, specs: list[dict[str, Any]]) -> tuple[Retrier, ...]:
    out = []
    for i, spec in enumerate(specs):
        where = f"state {state!r} Retry[{i}]"
        jitter = spec.get("JitterStrategy", "NONE")
        if jitter not in ("FULL", "NONE"):
            raise DefinitionError(f"{where}: JitterStrategy must be FULL or NONE")
        max_delay = spec.get("MaxDelaySeconds")
        out.append(
            Retrier(
                error_equals=_error_equals(spec, where, i == len(specs) - 1),
                interval=float(spec.get("IntervalSeconds", 1)),
                max_attempts=int(spec.get("MaxAttempts", 3)),
                backoff=float(spec.get("BackoffRate", 2.0)),
                max_delay=float(max_delay) if max_delay is not None else None,
                full_jitter=jitter == "FULL",
            )
        )
    return tuple(out)


def compile_catchers(state: str, specs: list[dict[str, Any]]) -> tuple[Catcher, ...]:
    return tuple(
        Catcher(
            error_equals=_error_equals(spec, f"state {state!r} Catch[{i}]", i == len(specs) - 1),
            next=str(spec["Next"]),
            result_path=result_path_field(spec),
        )
        for i, spec in enumerate(specs)
    )


class Policy:
    """Decides, error by error, whether to retry (after a backoff) or how to catch."""

    def __init__(self, retriers: tuple[Retrier, ...], catchers: tuple[Catcher, ...]) -> None:
        self.retriers = retriers
        self.catchers = catchers
        self.used = [0] * len(retriers)
        self.retries = 0

    def should_retry(self, lane: Lane, state: str, error: StatesError) -> bool:
        """True after sleeping the backoff when a matching Retrier has budget left."""
        for i, retrier in enumerate(self.retriers):
            if matches(retrier.error_equals, error.error):
                if self.used[i] >= retrier.max_attempts:
                    return False
                delay = retrier.delay(self.used[i], lane.run.clock.jitter)
                self.used[i] += 1
                self.retries += 1
                lane.sleep(state, delay)
                return True
        return False

    def catch(self, error: StatesError, raw_input: Any) -> tuple[str, Any] | None:
        for catcher in self.catchers:
            if matches(catcher.error_equals, error.error):
                info = {"Error": error.error, "Cause": error.cause}
                return catcher.next, apply_result_path(catcher.result_path, raw_input, info)
        return None


def failure_json(error: StatesError) -> str:
    return dumps({"Error": error.error, "Cause": error.cause})


class RecoverableState(State):
    """A state with Retry and Catch (Task, Parallel, Map): one attempt loop for all three.

    Subclasses implement `attempt`, which returns the state's result before ResultPath; a
    StatesError it raises is retried by the first matching retrier (each with its own budget)
    or routed by the first matching catcher, as the ASL specification describes.
    """

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.result_path = result_path_field(spec)
        self.retriers = compile_retriers(name, spec.get("Retry", []))
        self.catchers = compile_catchers(name, spec.get("Catch", []))

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        raise NotImplementedError

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        policy = Policy(self.retriers, self.catchers)
        while True:
            try:
                result = self.attempt(lane, value, entered, policy.retries)
                output = apply_result_path(self.result_path, value, result)
                return self.next, self.apply_output_path(output)
            except StatesError as exc:
                if policy.should_retry(lane, self.name, exc):
                    continue
                caught = policy.catch(exc, value)
                if caught is None:
                    raise
                return caught
