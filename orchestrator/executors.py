"""Prefect 1.x's `prefect.executors`, at the same path here; see `compat/executors.py`."""

from orchestrator.compat.executors import (
    DaskExecutor,
    LocalDaskExecutor,
    LocalExecutor,
)

__all__ = [
    "DaskExecutor",
    "LocalDaskExecutor",
    "LocalExecutor",
]
