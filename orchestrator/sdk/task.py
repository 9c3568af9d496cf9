"""`@task`: a Python function that becomes one Step Functions Task state and one Lambda.

Calling a task inside a flow body does not run it: the call is recorded in the active flow and a
`TaskRef` is returned, to be passed to other tasks. Outside a flow, a task is its plain function,
so it can be unit-tested directly.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar, overload

from orchestrator.engine.spec import (
    DISTRIBUTED_MAP_MAX_CONCURRENCY,
    LAMBDA_MAX_TIMEOUT_SECONDS,
    LAMBDA_MEMORY_MB,
    MAP_MAX_TOLERATED_FAILURE_PERCENTAGE,
    MAX_TAG_VALUE,
    RETRY_DEFAULT_MAX_ATTEMPTS,
)
from orchestrator.errors import FlowDefinitionError
from orchestrator.options import ANY_ERROR, DEFAULT_TRIGGER, RetryDelay, TaskOptions
from orchestrator.sdk.durations import whole_seconds
from orchestrator.sdk.retry import as_retry_delay
from orchestrator.sdk.tracing import active_builder, require_builder
from orchestrator.sdk.triggers import TRIGGER_FACTORIES, TRIGGERS, trigger_name

P = ParamSpec("P")
R = TypeVar("R")

MAX_RETRIES = 100  # each attempt adds history events; an execution holds at most 25,000
#: Prefect 1.x spellings of a TaskOptions field.
ALIASES = {"max_retries": "retries"}
_TAG = r"[\w.:/=+\-@]+"  # compiled (and cached by `re`) for the first task with tags


class Task(Generic[P, R]):
    """A decorated function plus its options. Call it in a flow to add a task run."""

    def __init__(self, fn: Callable[P, R], options: TaskOptions) -> None:
        self.fn = fn
        self.options = options
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def key(self) -> str:
        """`module:qualname`, how the Lambda runtime imports this task."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    @property
    def where(self) -> str:
        try:
            file = inspect.getsourcefile(self.fn) or "?"
            line = inspect.getsourcelines(self.fn)[1]
        except (OSError, TypeError):
            return self.key
        return f"{file}:{line}"

    def __repr__(self) -> str:
        return f"<Task {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = active_builder()
        upstream = kwargs.pop("upstream_tasks", None)
        if builder is None:  # outside a flow a task is its plain function
            return self.fn(*args, **kwargs)
        return builder.add_call(self, args, kwargs, mapped=False, upstream=upstream)

    def map(self, *args: Any, **kwargs: Any) -> Any:
        """Run this task once per item of its iterable arguments (a Map state).

        Arguments wrapped in `unmapped(...)` are passed whole to every iteration; several iterable
        arguments are zipped and must have the same length. `max_items=N` says this call maps
        over at most N items (the planner's hint, like `@task(expected_items=N)`), unless the
        task itself takes an argument named `max_items`.
        """
        builder = active_builder()
        if builder is None:
            raise FlowDefinitionError(
                f"{self.name}.map(...) was called outside a flow",
                task=self.name,
                fix="call .map inside a @flow function or a `with Flow(...)` block",
            )
        upstream = kwargs.pop("upstream_tasks", None)
        max_items = None
        if "max_items" in kwargs and "max_items" not in self.signature.parameters:
            max_items = _count(self.name, "max_items", kwargs.pop("max_items"), low=1)
        return builder.add_call(
            self, args, kwargs, mapped=True, upstream=upstream, max_items=max_items
        )

    def set_upstream(self, upstream: Any) -> None:
        """Make every call of this task in the active flow wait for `upstream` (ref or list)."""
        require_builder(f"{self.name}.set_upstream").set_task_upstream(self, upstream)

    def set_downstream(self, downstream: Any) -> None:
        require_builder(f"{self.name}.set_downstream").set_task_downstream(self, downstream)


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    retries: int | None = None,
    max_retries: int | None = None,
    retry_delay: int | float | timedelta | RetryDelay | None = None,
    retry_on: type[BaseException] | str | Iterable[type[BaseException] | str] | None = None,
    timeout: int | float | timedelta | None = None,
    memory: int | None = None,
    trigger: Any = None,
    skip_on_upstream_skip: bool = True,
    tags: Iterable[str] | None = None,
    max_concurrency: int | None = None,
    idempotent: bool = False,
    distributed: bool | None = None,
    expected_items: int | None = None,
    tolerated_failure_count: int | None = None,
    tolerated_failure_percentage: float | None = None,
    batch_size: int | None = None,
    estimate: int | float | timedelta | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(fn: Any = None, /, **options: Any) -> Any:
    """Declare a task. Options (all validated here, at definition time):

    - `retries` (alias `max_retries`): how many times to retry a failed attempt (0–100).
    - `retry_delay`: seconds, a `timedelta`, or a policy such as `exponential_backoff(10)`.
    - `retry_on`: exception classes (or their names) worth retrying; default: any error.
      `retry_delay` or `retry_on` without `retries` means 3 retries, Step Functions' default.
    - `timeout`: seconds or `timedelta`, at most 900 (Lambda's limit).
    - `memory`: Lambda memory in MB (128–10240).
    - `trigger`: when the task runs, from its upstream tasks' states (`orchestrator.triggers`,
      Prefect 1.x's names); compiled to a Choice before the task (docs/control-flow.md).
    - `skip_on_upstream_skip`: end SKIPPED when an upstream task was skipped (default True).
    - `name`, `tags`; `max_concurrency` for `.map`.
    - `idempotent`: repeat invocations of a completed attempt return the stored result.
    - `distributed`: how `.map` runs. Left out, the planner decides (docs/data-at-scale.md):
      an inline Map for a list known to be short, else a Distributed Map (each item a child
      execution, results exported to S3). True or False forces it.
    - `expected_items`: the most items a `.map` of this task will see (the planner's hint).
    - `tolerated_failure_count`, `tolerated_failure_percentage`: how many items of a Distributed
      Map may fail before the map does; a failed item's result is `{"Error", "Cause"}`.
    - `batch_size`: items per child execution of a Distributed Map (ItemBatcher): the function
      is invoked once per batch and calls the task for each item.
    - `estimate`: the task's expected duration (seconds or `timedelta`). When the flow is not
      series-parallel, the planner adds the synchronisation that lengthens the estimated
      critical path least; a task without one weighs its duration recorded in the project's
      durations.json (`orchestrator durations record`), else 1 s.
    """
    if fn is not None:
        if not callable(fn):
            raise FlowDefinitionError(
                f"@task was given {fn!r}, not a function",
                fix="write @task or @task(retries=3, ...) directly above a def",
            )
        return Task(fn, build_options(fn, {}))

    def decorate(func: Callable[..., Any]) -> Task[Any, Any]:
        return Task(func, build_options(func, options))

    return decorate


def build_options(fn: Callable[..., Any], options: dict[str, Any]) -> TaskOptions:
    name = options.pop("name", None) or getattr(fn, "__name__", "task")
    if not isinstance(name, str) or not name.strip():
        raise FlowDefinitionError(f"task name {name!r} is empty", fix="give name='some_name'")
    known = set(TaskOptions.__dataclass_fields__) | set(ALIASES)
    unknown = sorted(set(options) - known)
    if unknown:
        import difflib  # only for a misspelt option

        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise FlowDefinitionError(
            f"unknown task option {unknown[0]!r}",
            task=name,
            fix=(f"did you mean {close[0]!r}? " if close else "")
            + "options are: "
            + ", ".join(sorted(known)),
        )
    retries = _retries(name, options.get("retries"), options.get("max_retries"))
    delay = options.get("retry_delay")
    retry_delay = RetryDelay() if delay is None else as_retry_delay(delay, task=name)
    retry_on = _retry_on(name, options.get("retry_on"))
    if retries is None:
        # Saying how (retry_delay) or on what (retry_on) to retry means "retry": AWS's default 3.
        retries = RETRY_DEFAULT_MAX_ATTEMPTS if delay is not None or retry_on else 0
    elif retries == 0 and retry_on:
        raise FlowDefinitionError(
            "retry_on is set but retries=0, so nothing would be retried",
            task=name,
            fix="give retries=N (or leave it out for 3 retries)",
        )
    trigger, bounds = _trigger(name, options.get("trigger"))
    return TaskOptions(
        name=name,
        retries=retries,
        retry_delay=retry_delay,
        retry_on=retry_on,
        timeout=_timeout(name, options.get("timeout")),
        memory=_memory(name, options.get("memory")),
        trigger=trigger,
        trigger_bounds=bounds,
        skip_on_upstream_skip=_flag(name, "skip_on_upstream_skip", options, default=True),
        tags=_tags(name, options.get("tags")),
        max_concurrency=_max_concurrency(name, options.get("max_concurrency")),
        idempotent=_flag(name, "idempotent", options, default=False),
        distributed=_optional_flag(name, "distributed", options),
        expected_items=_count(name, "expected_items", options.get("expected_items"), low=1),
        tolerated_failure_count=_count(
            name, "tolerated_failure_count", options.get("tolerated_failure_count"), low=0
        ),
        tolerated_failure_percentage=_percentage(name, options.get("tolerated_failure_percentage")),
        batch_size=_count(name, "batch_size", options.get("batch_size"), low=1),
        estimate=_estimate(name, options.get("estimate")),
    )


def _retries(name: str, retries: Any, max_retries: Any) -> int | None:
    if retries is not None and max_retries is not None and retries != max_retries:
        raise FlowDefinitionError(
            f"retries={retries} and max_retries={max_retries} disagree",
            task=name,
            fix="give only one of them",
        )
    value = retries if retries is not None else max_retries
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FlowDefinitionError(
            f"retries={value!r} is not a whole number", task=name, fix="use e.g. retries=3"
        )
    if not 0 <= value <= MAX_RETRIES:
        raise FlowDefinitionError(
            f"retries={value} is out of range",
            task=name,
            fix=f"use 0 to {MAX_RETRIES} retries (each attempt adds history events; "
            "an execution holds at most 25,000)",
        )
    return value


def _retry_on(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    if not items:
        raise FlowDefinitionError(
            "retry_on is empty", task=name, fix="omit retry_on to retry any error"
        )
    names: list[str] = []
    for item in items:
        if item in (Exception, BaseException) or item == ANY_ERROR:
            # Lambda reports an exception by its own class name, so `Exception` would match only
            # errors raised as exactly `Exception`; the user means any error. And AWS refuses
            # `States.ALL` beside other names ("must appear alone"): it covers them anyway.
            return (ANY_ERROR,)
        if isinstance(item, type) and issubclass(item, BaseException):
            names.append(item.__name__)
        elif isinstance(item, str) and item.strip():
            names.append(item.strip())
        else:
            raise FlowDefinitionError(
                f"retry_on contains {item!r}, which is not an exception class",
                task=name,
                fix="use exception classes, e.g. retry_on=[TimeoutError, PaymentFailed]",
            )
    return tuple(sorted(set(names)))


def _timeout(name: str, value: Any) -> int | None:
    if value is None:
        return None
    seconds = whole_seconds(value, option="timeout", task=name)
    if not 1 <= seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
        raise FlowDefinitionError(
            f"timeout={seconds} s is out of range",
            task=name,
            fix=f"a Lambda task runs at most {LAMBDA_MAX_TIMEOUT_SECONDS} s; "
            f"use 1–{LAMBDA_MAX_TIMEOUT_SECONDS}",
        )
    return seconds


def _memory(name: str, value: Any) -> int | None:
    if value is None:
        return None
    low, high = LAMBDA_MEMORY_MB
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FlowDefinitionError(
            f"memory={value!r} is not a Lambda memory size",
            task=name,
            fix=f"use a whole number of MB from {low} to {high}",
        )
    return value


Bounds = tuple[int | float | None, int | float | None]


def _trigger(name: str, value: Any) -> tuple[str, Bounds]:
    if value is None:
        return DEFAULT_TRIGGER, (None, None)
    found = trigger_name(value)
    if found is None:
        raise FlowDefinitionError(
            f"trigger={value!r} is not a known trigger",
            task=name,
            fix="use one of orchestrator.triggers: "
            + ", ".join([*TRIGGERS, *(f"{name}(...)" for name in TRIGGER_FACTORIES)]),
        )
    if found == "manual_only":
        # Accepted and ignored would be the worst defect: a pause needs a resume mechanism
        # (a task token and `orchestrator resume`), which is not built.
        raise FlowDefinitionError(
            "trigger=manual_only (pause until a person resumes the run) is not compiled to "
            "Step Functions yet, so it would be ignored",
            task=name,
            fix="split the flow in two and start the second one by hand (`orchestrator run FLOW`)",
        )
    if found not in TRIGGER_FACTORIES:
        return found, (None, None)
    bounds = (getattr(value, "at_least", None), getattr(value, "at_most", None))
    for label, bound in zip(("at_least", "at_most"), bounds, strict=True):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int | float) or not bound >= 0
        ):
            raise FlowDefinitionError(
                f"{found}({label}={bound!r}) is not a count or a fraction",
                task=name,
                fix=f"give {label} a whole number of tasks, or a fraction below 1",
            )
    return found, bounds


def _flag(name: str, option: str, options: dict[str, Any], *, default: bool) -> bool:
    value = options.get(option, default)
    if not isinstance(value, bool):
        raise FlowDefinitionError(
            f"{option}={value!r} is not True or False", task=name, fix=f"use {option}=True"
        )
    return value


def _optional_flag(name: str, option: str, options: dict[str, Any]) -> bool | None:
    if options.get(option) is None:
        return None
    return _flag(name, option, options, default=False)


def _count(name: str, option: str, value: Any, *, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise FlowDefinitionError(
            f"{option}={value!r} is not a whole number of at least {low}",
            task=name,
            fix=f"use e.g. {option}={max(low, 10)}",
        )
    return value


def _estimate(name: str, value: Any) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 < seconds < math.inf  # also refuses NaN
    ):
        raise FlowDefinitionError(
            f"estimate={value!r} is not a positive duration",
            task=name,
            fix="give the task's expected duration in seconds (e.g. estimate=30 or 0.5) or as "
            "a datetime.timedelta",
        )
    return float(seconds)


def _percentage(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAP_MAX_TOLERATED_FAILURE_PERCENTAGE
    ):
        raise FlowDefinitionError(
            f"tolerated_failure_percentage={value!r} is not a percentage",
            task=name,
            fix=f"use a number from 0 to {MAP_MAX_TOLERATED_FAILURE_PERCENTAGE}, e.g. 5 for 5 %",
        )
    return float(value)


def _tags(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    tags = list(value)
    if not all(isinstance(t, str) for t in tags):
        raise FlowDefinitionError("tags must be strings", task=name, fix='e.g. tags=["etl"]')
    # They become the function's `orchestrator:tags` Lambda tag, space-separated: AWS allows
    # letters, digits, spaces and _ . : / = + - @ in a tag value, at most 256 characters.
    bad = [t for t in tags if not re.fullmatch(_TAG, t)]
    if bad:
        raise FlowDefinitionError(
            f"tag {bad[0]!r} cannot be an AWS tag value",
            task=name,
            fix="use letters, digits and _ . : / = + - @ (no spaces), e.g. tags=['etl', 'pii']",
        )
    if len(" ".join(tags)) > MAX_TAG_VALUE:
        raise FlowDefinitionError(
            f"the tags {tags} are longer than an AWS tag value ({MAX_TAG_VALUE} characters)",
            task=name,
            fix="use fewer or shorter tags",
        )
    return tuple(dict.fromkeys(tags))


def _max_concurrency(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= DISTRIBUTED_MAP_MAX_CONCURRENCY
    ):
        raise FlowDefinitionError(
            f"max_concurrency={value!r} is not a whole number from 0 to "
            f"{DISTRIBUTED_MAP_MAX_CONCURRENCY:,}",
            task=name,
            fix="use e.g. max_concurrency=10 (0 means as many as Step Functions allows; a "
            f"Distributed Map runs at most {DISTRIBUTED_MAP_MAX_CONCURRENCY:,} items at once)",
        )
    return value
