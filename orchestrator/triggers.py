"""Triggers, at their public path (`from orchestrator.triggers import any_failed`).

Prefect 1.x's `prefect.triggers`; the implementation lives beside the SDK in `sdk/triggers.py`.
"""

from orchestrator.sdk.triggers import *  # noqa: F403
from orchestrator.sdk.triggers import __all__ as __all__
