"""Logs, metrics and traces of a task Lambda, through Powertools for AWS Lambda's own decorators.

`Telemetry.instrument` wraps the entry point once, at import:

* `Metrics.log_metrics(capture_cold_start_metric=True)`: CloudWatch EMF, namespace
  `POWERTOOLS_METRICS_NAMESPACE` (default "Orchestrator"), flushed after every invocation, and
  the `ColdStart` metric on a container's first one.
* `Logger.inject_lambda_context(correlation_id_path=..., clear_state=True)`: JSON log lines with
  the Lambda context (function name, ARN, memory, request id), `cold_start`, and the execution
  ARN as `correlation_id`, so CloudWatch Logs Insights follows one execution across every task
  Lambda; the previous invocation's keys are dropped first.
* `Tracer.capture_lambda_handler`: an X-Ray subsegment per invocation (`ColdStart`, `Service`,
  an exception as metadata; not the result). Created only inside Lambda with tracing on: the
  X-Ray SDK and its patches are slow to import and useless elsewhere.

The service is `POWERTOOLS_SERVICE_NAME`, which the template sets and Powertools reads itself.
`Telemetry.attempt` adds what is ours, per attempt: the log keys of the payload's context, a
"task started"/"task succeeded"/"task failed" line, `TaskDuration` (ms) and `TaskFailures` (0 or
1, so its average is the failure rate) with dimension `task`, and the X-Ray annotations.

Imports Powertools: only `orchestrator.runtime.lambda_entry` imports this module, never a local
run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.shared import constants as powertools_env
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

from orchestrator.contract import METRICS_NAMESPACE, METRICS_NAMESPACE_ENV
from orchestrator.runtime.invocation import EXECUTION_ID_PATH, Invocation

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

DURATION_METRIC = "TaskDuration"
FAILURE_METRIC = "TaskFailures"

#: A Lambda handler: `(event, context) -> result`.
Handler = Callable[[Any, Any], Any]


class _Stdout:
    """A stream that writes to whatever `sys.stdout` is *now*.

    Powertools binds its log handler to a stream once per service name for the process; resolving
    stdout per write keeps logs going where the runtime (or a test's capture) currently wants.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def tracing_enabled() -> bool:
    """Powertools' own rule: in Lambda (not SAM local / Chalice), unless switched off."""
    disabled = resolve_truthy_env_var_choice(
        env=os.getenv(powertools_env.TRACER_DISABLED_ENV, "false")
    )
    in_lambda = bool(os.getenv(powertools_env.LAMBDA_TASK_ROOT_ENV))
    emulated = bool(
        os.getenv(powertools_env.SAM_LOCAL_ENV) or os.getenv(powertools_env.CHALICE_LOCAL_ENV)
    )
    return in_lambda and not emulated and not disabled


@dataclass(frozen=True)
class Telemetry:
    """The Powertools objects of one task Lambda; made once per container."""

    logger: Logger
    metrics: Metrics
    tracer: Tracer | None = None  # None unless tracing_enabled()

    @classmethod
    def from_env(cls) -> Telemetry:
        """Logger, Metrics and (inside Lambda with tracing on) Tracer for this environment."""
        tracer = None
        if tracing_enabled():
            from aws_lambda_powertools.tracing import Tracer

            tracer = Tracer()
        return cls(
            logger=Logger(stream=_Stdout()),  # type: ignore[arg-type]
            metrics=Metrics(namespace=os.getenv(METRICS_NAMESPACE_ENV) or METRICS_NAMESPACE),
            tracer=tracer,
        )

    def instrument(self, handler: Handler) -> Handler:
        """`handler` wrapped in Powertools' tracer, logger and metrics decorators (outermost)."""
        traced = handler
        if self.tracer is not None:
            # Not the result as trace metadata: Step Functions' history has it already, and a
            # result near the payload limit would overflow X-Ray's 64 KB segment document.
            traced = self.tracer.capture_lambda_handler(handler, capture_response=False)
        logged = self.logger.inject_lambda_context(
            correlation_id_path=EXECUTION_ID_PATH, clear_state=True
        )(traced)
        instrumented: Handler = self.metrics.log_metrics(capture_cold_start_metric=True)(logged)
        return instrumented

    @contextmanager
    def attempt(self, invocation: Invocation) -> Iterator[None]:
        """Log, time, count and annotate the body as one task attempt; exceptions pass through."""
        self.logger.append_keys(**invocation.log_keys())
        if self.tracer is not None:
            for key, value in trace_annotations(invocation).items():
                # int is a numbers.Number by registration, which mypy does not see.
                self.tracer.put_annotation(key=key, value=value)  # type: ignore[arg-type]
        self.logger.info("task started")
        start = time.perf_counter()
        failed = True
        try:
            yield
            failed = False
        except Exception as exc:
            self.logger.exception("task failed", extra={"error_type": type(exc).__name__})
            raise
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            self._add_metrics(invocation, elapsed_ms, failed)
        self.logger.info("task succeeded", extra={"duration_ms": round(elapsed_ms, 3)})

    def _add_metrics(self, invocation: Invocation, elapsed_ms: float, failed: bool) -> None:
        # Flushed by log_metrics when the invocation ends, which also clears the dimension.
        metrics = self.metrics
        metrics.add_dimension(name="task", value=invocation.task)
        metrics.add_metric(name=DURATION_METRIC, unit=MetricUnit.Milliseconds, value=elapsed_ms)
        metrics.add_metric(name=FAILURE_METRIC, unit=MetricUnit.Count, value=1 if failed else 0)
        # Metadata, not dimensions: one CloudWatch metric per execution would be unbounded cost.
        if invocation.execution_id:
            metrics.add_metadata(key="execution_id", value=invocation.execution_id)
        if invocation.map_index is not None:
            metrics.add_metadata(key="map_index", value=invocation.map_index)
        if invocation.attempt is not None:
            metrics.add_metadata(key="attempt", value=invocation.attempt)


def trace_annotations(invocation: Invocation) -> dict[str, str | int]:
    """X-Ray annotations (indexed for trace search: strings, numbers, booleans only)."""
    found: dict[str, str | int | None] = {
        "flow": invocation.flow,
        "task": invocation.task,
        "state_machine": invocation.state_machine,
        "execution_id": invocation.execution_id,
        "map_index": invocation.map_index,
        "attempt": invocation.attempt,
    }
    return {k: v for k, v in found.items() if v is not None}
