"""Triggers, at their public path (`from orchestrator.triggers import any_failed`).

Prefect 1.x's `prefect.triggers`; the implementation lives beside the SDK in `sdk/triggers.py`.
"""

from orchestrator.sdk.triggers import (
    Trigger,
    all_failed,
    all_finished,
    all_successful,
    always_run,
    any_failed,
    any_successful,
    manual_only,
)

__all__ = [
    "Trigger",
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "manual_only",
]
