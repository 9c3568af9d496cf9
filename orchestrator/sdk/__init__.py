"""The user-facing SDK: tasks, flows, parameters and retry policies."""

from orchestrator.options import RetryDelay
from orchestrator.sdk.flow import Flow, flow
from orchestrator.sdk.retry import exponential_backoff, exponential_delay
from orchestrator.sdk.task import Task, task
from orchestrator.sdk.tracing import Parameter, unmapped

__all__ = [
    "Flow",
    "Parameter",
    "RetryDelay",
    "Task",
    "exponential_backoff",
    "exponential_delay",
    "flow",
    "task",
    "unmapped",
]
