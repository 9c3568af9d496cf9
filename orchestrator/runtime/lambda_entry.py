"""The Lambda entry point of every task function, `lambda_handler`.

The function runs the task named by its `ORCHESTRATOR_TASK` variable (`package.module:qualname`)
through `orchestrator.runtime.handler.execute_task`, the code local runs use too, inside
Powertools' logging, metrics and tracing (`orchestrator.runtime.telemetry`). For
`@task(idempotent=True)` the Powertools idempotency record turns a repeat into the stored result
(`orchestrator.runtime.idempotency`, imported only then: it pulls in boto3).

The handler is built once, at import: Lambda's Init phase pays for Powertools, invocations do
not. Local runs never import this module. An exception propagates unchanged, so Lambda reports
its class name as `errorType` and the state's Retry/Catch match it as in the code.
"""

from __future__ import annotations

import os
from typing import Any

from orchestrator.contract import TASK_ENV
from orchestrator.runtime.handler import execute_task
from orchestrator.runtime.invocation import Invocation
from orchestrator.runtime.resolve import is_idempotent, resolve_task_object, task_function
from orchestrator.runtime.telemetry import Handler, Telemetry

__all__ = ["TELEMETRY", "lambda_handler", "make_handler", "run_task"]


def run_task(spec: str, event: Any, context: Any, invocation: Invocation) -> Any:
    """One attempt of the task `spec` names for `event`: its JSON result, or its exception."""
    target = resolve_task_object(spec)
    fn = task_function(target)
    # The code decides (`@task(idempotent=True)`); the environment only names the table, and
    # run_idempotent raises IdempotencyNotConfigured when a stale deploy left it out.
    if not is_idempotent(target):
        return execute_task(fn, event)
    from orchestrator.runtime.idempotency import run_idempotent

    inputs = event.get("inputs") if isinstance(event, dict) else None
    return run_idempotent(
        spec, invocation, inputs, lambda: execute_task(fn, event), lambda_context=context
    )


def make_handler(telemetry: Telemetry) -> Handler:
    """The entry point: `run_task` as one observed attempt, wrapped in Powertools' decorators."""

    def task_handler(event: Any, context: Any) -> Any:
        # Named for the X-Ray subsegment Powertools opens around it: `## task_handler`.
        spec = os.environ.get(TASK_ENV) or ""
        invocation = Invocation.from_event(event, default_task=spec.rpartition(":")[2] or "task")
        with telemetry.attempt(invocation):  # a missing spec is a failed attempt too
            if not spec:
                raise RuntimeError(f"{TASK_ENV} is not set: it names the task this function runs")
            return run_task(spec, event, context, invocation)

    return telemetry.instrument(task_handler)


TELEMETRY = Telemetry.from_env()
lambda_handler = make_handler(TELEMETRY)
