"""Orchestrator: Python workflows compiled to AWS Step Functions, run locally by the same ASL.

from orchestrator import task, flow, Flow, Parameter, unmapped, exponential_backoff
"""

from orchestrator import sdk as _sdk
from orchestrator.errors import (
    FlowDefinitionError,
    OrchestratorError,
    ParameterError,
    ScheduleError,
)
from orchestrator.sdk import *  # noqa: F403 - the SDK's public names are the package's
from orchestrator.sdk import triggers as _triggers
from orchestrator.sdk.schedules import CronSchedule, IntervalSchedule
from orchestrator.sdk.triggers import *  # noqa: F403 - every trigger, at the top level too

__all__ = [
    "CronSchedule",
    "FlowDefinitionError",
    "IntervalSchedule",
    "OrchestratorError",
    "ParameterError",
    "ScheduleError",
]
__all__ += _sdk.__all__
__all__ += _triggers.__all__
