"""Prefect 1.x's `prefect.executors`, at the same path here; see `compat/executors.py`."""

from orchestrator.compat.executors import *  # noqa: F403
from orchestrator.compat.executors import __all__ as __all__
