"""The user-facing SDK: tasks, flows, parameters and retry policies."""

from orchestrator.options import RetryDelay
from orchestrator.sdk.control import case, merge, set_reference_tasks
from orchestrator.sdk.flow import Flow, flow
from orchestrator.sdk.retry import exponential_backoff, exponential_delay
from orchestrator.sdk.task import Task, task
from orchestrator.sdk.tracing import Parameter, unmapped
from orchestrator.signals import FAIL, SKIP

__all__ = [
    "FAIL",
    "SKIP",
    "Flow",
    "Parameter",
    "RetryDelay",
    "Task",
    "exponential_backoff",
    "exponential_delay",
    "case",
    "flow",
    "merge",
    "set_reference_tasks",
    "task",
    "unmapped",
]
