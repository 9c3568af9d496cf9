"""Logs, metrics and traces of a task invocation, with Powertools for AWS Lambda.

* `Logger`: one JSON line when the attempt starts and one when it ends, carrying the flow, task,
  state, attempt (`$$.State.RetryCount`), map index, and the execution ARN as correlation id, so
  CloudWatch Logs Insights can follow one execution across every task Lambda.
* `Metrics`: CloudWatch EMF, namespace `POWERTOOLS_METRICS_NAMESPACE` (default "Orchestrator"),
  service = the flow; per attempt `TaskDuration` (ms) and `TaskFailures` (0 or 1, so its average
  is the failure rate), dimension `task`.
* `Tracer`: an X-Ray subsegment `## <task>` annotated with flow, task, execution and map index.
  Only created inside Lambda with tracing on: the X-Ray SDK is slow to import and useless
  elsewhere, and Powertools would disable it there anyway.

Imported on the first Lambda invocation, not by `orchestrator.runtime.handler`: the local engine
imports the handler too and needs none of this.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

from orchestrator.runtime.invocation import Invocation

NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
DEFAULT_NAMESPACE = "Orchestrator"
DEFAULT_SERVICE = "orchestrator"
DURATION_METRIC = "TaskDuration"
FAILURE_METRIC = "TaskFailures"

_cold_start = True


class _Stdout:
    """A stream that writes to whatever `sys.stdout` is *now*.

    Powertools binds its handler to a stream once per service name for the process; resolving
    stdout per write keeps logs going where the runtime (or a test's capture) currently wants.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@dataclass(frozen=True)
class Telemetry:
    logger: Logger
    metrics: Metrics
    tracer: Any  # aws_lambda_powertools.Tracer, or None when tracing is off


def tracing_enabled() -> bool:
    """Powertools' own rule: in Lambda (not SAM local / Chalice), unless switched off."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true", "yes")
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated and not disabled


@lru_cache(maxsize=8)
def telemetry(service: str, namespace: str, traced: bool) -> Telemetry:
    """The Powertools objects for one service; created once per Lambda container."""
    tracer = None
    if traced:
        from aws_lambda_powertools.tracing import Tracer

        tracer = Tracer(service=service)
    return Telemetry(
        logger=Logger(service=service, stream=_Stdout()),  # type: ignore[arg-type]
        metrics=Metrics(namespace=namespace, service=service),
        tracer=tracer,
    )


def current() -> Telemetry:
    """The telemetry for this function's environment (flow name, namespace, tracing)."""
    service = os.environ.get("ORCHESTRATOR_FLOW") or DEFAULT_SERVICE
    namespace = os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE
    return telemetry(service, namespace, tracing_enabled())


@contextmanager
def observe(invocation: Invocation, lambda_context: Any = None) -> Iterator[Telemetry]:
    """Log, time, count and trace the body as one task attempt; exceptions pass through."""
    global _cold_start
    cold, _cold_start = _cold_start, False
    tel = current()
    logger = tel.logger
    # A warm container serves many executions: drop the previous invocation's keys first.
    logger.clear_state()
    logger.append_keys(cold_start=cold, **invocation.log_keys(), **_lambda_keys(lambda_context))
    logger.set_correlation_id(invocation.execution_id)
    start = time.perf_counter()
    failed = False
    with ExitStack() as stack:
        if tel.tracer is not None:
            segment = stack.enter_context(
                tel.tracer.provider.in_subsegment(f"## {invocation.task}")
            )
            for key, value in _annotations(invocation, cold).items():
                segment.put_annotation(key, value)
        logger.info("task started")
        try:
            yield tel
        except Exception as exc:
            failed = True
            logger.exception("task failed", extra={"error_type": type(exc).__name__})
            raise
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            _emit_metrics(tel.metrics, invocation, elapsed_ms, failed)
        logger.info("task succeeded", extra={"duration_ms": round(elapsed_ms, 3)})


def _emit_metrics(
    metrics: Metrics, invocation: Invocation, elapsed_ms: float, failed: bool
) -> None:
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
    # Flushed per attempt: Metrics keeps class-level state that would leak into the next event.
    metrics.flush_metrics()


def _annotations(invocation: Invocation, cold: bool) -> dict[str, str | int | bool]:
    # X-Ray annotations (indexed for trace search) take only strings, numbers and booleans.
    found: dict[str, str | int | bool | None] = {
        "flow": invocation.flow,
        "task": invocation.task,
        "execution_id": invocation.execution_id,
        "map_index": invocation.map_index,
        "attempt": invocation.attempt,
        "ColdStart": cold,
    }
    return {k: v for k, v in found.items() if v is not None}


def _lambda_keys(context: Any) -> dict[str, Any]:
    # The fields Powertools' inject_lambda_context adds, read without requiring a real context.
    fields = {
        "function_name": "function_name",
        "function_memory_size": "memory_limit_in_mb",
        "function_arn": "invoked_function_arn",
        "function_request_id": "aws_request_id",
    }
    found = {key: getattr(context, attr, None) for key, attr in fields.items()}
    return {k: v for k, v in found.items() if v is not None}
