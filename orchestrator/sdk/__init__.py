"""The user-facing SDK: tasks, flows, parameters and retry policies."""

from orchestrator.sdk.flow import Flow, flow
from orchestrator.sdk.retry import RetryDelay, exponential_backoff, exponential_delay
from orchestrator.sdk.task import Task, task, unmapped
from orchestrator.sdk.tracing import Parameter

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
