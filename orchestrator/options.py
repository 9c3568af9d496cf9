"""A task's options: declared once by `@task(...)`, settled once before the planner.

`TaskOptions` is the one representation of what a task asks for. The SDK builds it from the
decorator's keywords (validating each, `sdk/task.py`); `settle` fills in what the task left
unsaid from the flow and the project (`[tool.orchestrator] default_timeout`, `default_memory`),
and the graph carries the settled options on every node. The planner writes them into the ASL
(`Retry`, `TimeoutSeconds`, `MaxConcurrency`) and the deploy layer into the template (`Timeout`,
`MemorySize`) from that same object, so a Task state's `TimeoutSeconds` and its function's
`Timeout` cannot disagree, and the local engine times a task out exactly when AWS would.

Plain frozen dataclasses, no pydantic: a task module imports this on every Lambda cold start.
"""

from __future__ import annotations

from dataclasses import field, replace

from orchestrator.engine.spec import (
    RETRY_MAX_DELAY_SECONDS,
    RETRY_MAX_INTERVAL_SECONDS,
    RETRY_MIN_BACKOFF_RATE,
)
from orchestrator.errors import FlowDefinitionError
from orchestrator.records import record

#: A task without `timeout=` still needs a Lambda Timeout: 60 s rather than Lambda's 3 s default,
#: because a cold start of pydantic + Powertools alone can take a second or two.
DEFAULT_TIMEOUT_SECONDS = 60
#: Lambda memory of a task without `memory=` (MB); also its share of CPU.
DEFAULT_MEMORY_MB = 256
DEFAULT_TRIGGER = "all_successful"
#: Step Functions' name for every error; AWS accepts it only alone in a retrier's ErrorEquals.
ANY_ERROR = "States.ALL"


@record(frozen=True)
class RetryDelay:
    """Wait `interval` seconds before the first retry, then multiply by `backoff_rate` each time,
    never more than `max_delay` seconds; with `jitter`, wait a random time up to that delay.

    Compiles to a Retrier's `IntervalSeconds`, `BackoffRate`, `MaxDelaySeconds` and
    `JitterStrategy`, so the local engine and AWS wait exactly the same way.
    """

    interval: int = 1
    backoff_rate: float = 1.0
    max_delay: int | None = None
    jitter: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.interval <= RETRY_MAX_INTERVAL_SECONDS:
            raise FlowDefinitionError(
                f"a retry delay of {self.interval} s is out of range",
                fix="Step Functions waits at least 1 s between attempts (IntervalSeconds ≥ 1)",
            )
        if not self.backoff_rate >= RETRY_MIN_BACKOFF_RATE:
            raise FlowDefinitionError(
                f"backoff rate {self.backoff_rate} is out of range",
                fix=f"Step Functions needs a BackoffRate of at least {RETRY_MIN_BACKOFF_RATE}",
            )
        if self.max_delay is not None and not (
            self.interval <= self.max_delay <= RETRY_MAX_DELAY_SECONDS
        ):
            raise FlowDefinitionError(
                f"max_delay={self.max_delay} s is out of range",
                fix="max_delay must be at least the first delay and at most "
                f"{RETRY_MAX_DELAY_SECONDS} s (MaxDelaySeconds)",
            )


@record(frozen=True)
class TaskOptions:
    """Everything a task asks of the planner and the deploy: validated, hashable, comparable.

    `timeout` and `memory` are None until `settle` fills them in; on a graph node they are set.
    """

    name: str
    retries: int = 0
    retry_delay: RetryDelay = field(default_factory=RetryDelay)
    retry_on: tuple[str, ...] = ()
    timeout: int | None = None
    memory: int | None = None
    trigger: str = DEFAULT_TRIGGER
    #: `some_successful`/`some_failed`'s (at_least, at_most): a count, or below 1 a fraction.
    trigger_bounds: tuple[int | float | None, int | float | None] = (None, None)
    #: Prefect 1.x's `skip_on_upstream_skip`: end SKIPPED when an upstream task was skipped.
    skip_on_upstream_skip: bool = True
    tags: tuple[str, ...] = ()
    max_concurrency: int | None = None
    idempotent: bool = False
    #: `.map` as a Distributed Map (True), an inline one (False), or as the planner decides
    #: (None, `orchestrator.graph.map_mode`); settled to True/False on a graph node.
    distributed: bool | None = None
    #: How many items a `.map` of this task is expected to have at most: the planner's size hint.
    expected_items: int | None = None
    #: A Distributed Map's ToleratedFailureCount / ToleratedFailurePercentage.
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None
    #: A Distributed Map's ItemBatcher MaxItemsPerBatch: items per child execution.
    batch_size: int | None = None
    #: The task's expected duration in seconds: the planner's weight when it must add
    #: synchronisation to a DAG that is not series-parallel (None: 1 s, as for any other task).
    estimate: float | None = None

    @property
    def error_equals(self) -> tuple[str, ...]:
        """The errors the user's retrier matches: `retry_on`, or every error."""
        return self.retry_on or (ANY_ERROR,)


@record(frozen=True)
class TaskDefaults:
    """What a task gets for an option it leaves out: the project's `[tool.orchestrator]`."""

    timeout: int = DEFAULT_TIMEOUT_SECONDS
    memory: int = DEFAULT_MEMORY_MB


def settle(
    options: TaskOptions,
    defaults: TaskDefaults,
    *,
    flow_memory: int | None = None,
    flow_max_concurrency: int | None = None,
) -> TaskOptions:
    """The effective options of one task run: the task's own, else the flow's, else the
    project's. The only place a default is applied."""
    return replace(
        options,
        timeout=options.timeout if options.timeout is not None else defaults.timeout,
        memory=options.memory or flow_memory or defaults.memory,
        max_concurrency=(
            options.max_concurrency if options.max_concurrency is not None else flow_max_concurrency
        ),
    )
