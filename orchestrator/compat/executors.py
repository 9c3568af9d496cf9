"""Prefect 1.x executor names, accepted so seed code runs unchanged.

In Orchestrator, Step Functions is the executor: concurrency comes from Parallel and Map states,
locally from the embedded engine's threads. Assigning one of these to `flow.executor` warns that it
has no effect.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DaskExecutor",
    "LocalDaskExecutor",
    "LocalExecutor",
]


class _Executor:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LocalExecutor(_Executor):
    """Accepted for compatibility; has no effect."""


class LocalDaskExecutor(_Executor):
    """Accepted for compatibility; has no effect."""


class DaskExecutor(_Executor):
    """Accepted for compatibility; has no effect."""
