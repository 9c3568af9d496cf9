"""Orchestrator: Python workflows compiled to AWS Step Functions, run locally by the same ASL.

from orchestrator import task, flow, Flow, Parameter, unmapped, exponential_backoff
"""

from orchestrator.errors import (
    FlowDefinitionError,
    OrchestratorError,
    ParameterError,
    ScheduleError,
)
from orchestrator.sdk import (
    Flow,
    Parameter,
    RetryDelay,
    Task,
    exponential_backoff,
    exponential_delay,
    flow,
    task,
    unmapped,
)
from orchestrator.sdk.schedules import CronSchedule, IntervalSchedule
from orchestrator.sdk.triggers import (
    all_failed,
    all_finished,
    all_successful,
    always_run,
    any_failed,
    any_successful,
    manual_only,
)

__all__ = [
    "CronSchedule",
    "Flow",
    "FlowDefinitionError",
    "IntervalSchedule",
    "OrchestratorError",
    "Parameter",
    "ParameterError",
    "RetryDelay",
    "ScheduleError",
    "Task",
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "exponential_backoff",
    "exponential_delay",
    "flow",
    "manual_only",
    "task",
    "unmapped",
]
