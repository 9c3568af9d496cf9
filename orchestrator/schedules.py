"""Schedules, at their public path (`from orchestrator.schedules import CronSchedule`).

Prefect 1.x's `prefect.schedules`; the implementation lives beside the SDK in `sdk/schedules.py`.
"""

from orchestrator.sdk.schedules import *  # noqa: F403
from orchestrator.sdk.schedules import __all__ as __all__
