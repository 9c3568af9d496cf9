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
from .fields import entries, enum, given, integer, number
from .jsonpath import dumps
from .lane import Lane
from .spec import (
    JITTER_STRATEGIES,
    RETRY_DEFAULT_BACKOFF_RATE,
    RETRY_DEFAULT_INTERVAL_SECONDS,
    RETRY_DEFAULT_JITTER_STRATEGY,
    RETRY_DEFAULT_MAX_ATTEMPTS,
    RETRY_MAX_ATTEMPTS,
    RETRY_MAX_DELAY_SECONDS,
    RETRY_MAX_INTERVAL_SECONDS,
    RETRY_MIN_BACKOFF_RATE,
    backoff_seconds,
)
from .state import (
    COMMON_FIELDS,
    TRANSITION_FIELDS,
    State,
    apply_result_path,
    assign_field,
    report_evaluation,
    result_path_field,
)
from .steps import Steps

# The fields of a retrier and a catcher ("Handling errors in Step Functions workflows").
RETRIER_FIELDS = frozenset(
    {
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Comment",
    }
)
CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"})


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
    #: Its Assign (a Template in JSONPath, whose `$` is the error output) and, in JSONata,
    #: its Output; both evaluated by the state that catches (`RecoverableState.recover`).
    assign: Any = None
    output: Any = None


def _error_equals(spec: dict[str, Any], where: str, last: bool) -> tuple[str, ...]:
    """A non-empty array of error names; States.ALL only alone, in the last retrier/catcher."""
    names = spec.get("ErrorEquals")
    if not isinstance(names, list) or not names:
        raise DefinitionError(f"{where}: ErrorEquals must be a non-empty array of error names")
    for name in names:
        if not isinstance(name, str):
            raise DefinitionError(f"{where}: ErrorEquals holds {dumps(name)}, not an error name")
    if ALL in names and (len(names) > 1 or not last):
        raise DefinitionError(f"{where}: States.ALL must appear alone and in the last entry")
    return tuple(names)


def compile_retriers(state: str, spec: dict[str, Any]) -> tuple[Retrier, ...]:
    """The state's Retry field, each retrier field checked against AWS's bounds (spec.py)."""
    retriers = entries(spec, "Retry", f"state {state!r}", RETRIER_FIELDS)
    out = []
    for i, (where, r) in enumerate(retriers):
        interval = integer(r, "IntervalSeconds", where, 1, RETRY_MAX_INTERVAL_SECONDS)
        attempts = integer(r, "MaxAttempts", where, 0, RETRY_MAX_ATTEMPTS)
        backoff = number(r, "BackoffRate", where, RETRY_MIN_BACKOFF_RATE, None)
        max_delay = integer(r, "MaxDelaySeconds", where, 1, RETRY_MAX_DELAY_SECONDS)
        jitter = enum(r, "JitterStrategy", where, JITTER_STRATEGIES, RETRY_DEFAULT_JITTER_STRATEGY)
        out.append(
            Retrier(
                error_equals=_error_equals(r, where, i == len(retriers) - 1),
                interval=given(interval, RETRY_DEFAULT_INTERVAL_SECONDS),
                max_attempts=given(attempts, RETRY_DEFAULT_MAX_ATTEMPTS),
                backoff=given(backoff, RETRY_DEFAULT_BACKOFF_RATE),
                max_delay=max_delay,
                full_jitter=jitter == "FULL",
            )
        )
    return tuple(out)


def compile_catchers(
    state: str, spec: dict[str, Any], fields: frozenset[str] = CATCHER_FIELDS
) -> tuple[Catcher, ...]:
    """The state's Catch field; that each Next names a state in scope is the compiler's check."""
    catchers = entries(spec, "Catch", f"state {state!r}", fields)
    out = []
    for i, (where, catcher) in enumerate(catchers):
        target = catcher.get("Next")
        if not isinstance(target, str) or not target:
            raise DefinitionError(
                f"{where}: Next must name the state to go to, got {dumps(target)}"
            )
        out.append(
            Catcher(
                error_equals=_error_equals(catcher, where, i == len(catchers) - 1),
                next=target,
                result_path=result_path_field(catcher, where),
                assign=assign_field(catcher, where),
            )
        )
    return tuple(out)


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

    def catcher(self, error: StatesError) -> Catcher | None:
        for catcher in self.catchers:
            if matches(catcher.error_equals, error.error):
                return catcher
        return None


def failure_json(error: StatesError) -> str:
    return dumps({"Error": error.error, "Cause": error.cause})


class RecoverableState(State):
    """A state with Retry and Catch (Task, Parallel, Map): one attempt loop for all three.

    Subclasses implement `attempt`, which returns the state's result before ResultPath; a
    StatesError it raises is retried by the first matching retrier (each with its own budget)
    or routed by the first matching catcher, as the ASL specification describes.
    """

    fields = (
        COMMON_FIELDS
        | TRANSITION_FIELDS
        | {
            "ResultPath",
            "ResultSelector",
            "Retry",
            "Catch",
            "Assign",
        }
    )
    catcher_fields = CATCHER_FIELDS

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.result_path = result_path_field(spec, self.where)
        self.retriers = compile_retriers(name, spec)
        self.catchers = compile_catchers(name, spec, self.catcher_fields)
        self.assign = assign_field(spec, self.where)

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        raise NotImplementedError

    def attempt_steps(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Steps[Any]:
        """One attempt as steps (a Task's yields its call): `attempt`, for those that make none."""
        return self.attempt(lane, value, entered, retry_count)
        yield  # a generator, finishing in one step

    def steps(self, lane: Lane, value: Any, entered: int) -> Steps[tuple[str | None, Any]]:
        policy = Policy(self.retriers, self.catchers)
        while True:
            try:
                result = yield from self.attempt_steps(lane, value, entered, policy.retries)
                return self.next, self.finish(lane, value, result, entered, policy.retries)
            except StatesError as exc:
                report_evaluation(lane, exc, self.name)
                if policy.should_retry(lane, self.name, exc):
                    continue
                catcher = policy.catcher(exc)
                if catcher is None:
                    raise
                return catcher.next, self.recover(
                    lane, value, exc, catcher, entered, policy.retries
                )

    def finish(self, lane: Lane, value: Any, result: Any, entered: int, retries: int) -> Any:
        """The output of a successful attempt (and its Assign, whose `$` is the result)."""
        if self.assign is not None:
            context = self.context_fn(lane, entered, retries)
            lane.assigned = self.assign.evaluate(result, context)
        return self.apply_output_path(apply_result_path(self.result_path, value, result))

    def recover(
        self,
        lane: Lane,
        value: Any,
        error: StatesError,
        catcher: Catcher,
        entered: int,
        retries: int,
    ) -> Any:
        """The output a catcher gives (and its Assign, whose `$` is the error output)."""
        info = {"Error": error.error, "Cause": error.cause}
        lane.assigned = None  # a state that is caught assigns only what its catcher does
        if catcher.assign is not None:
            context = self.context_fn(lane, entered, retries)
            lane.assigned = catcher.assign.evaluate(info, context)
        return apply_result_path(catcher.result_path, value, info)
