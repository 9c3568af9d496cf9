"""What one task invocation is about, read from its payload and the function's environment.

The planner puts `{"execution_id", "state", "retry_count", "map_index"}` in every payload's
`context` (docs/data-contract.md); the deploy layer sets `ORCHESTRATOR_FLOW` on every task
function. Logs, metrics, traces and the idempotency key all read them from here, so they agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

FLOW_ENV = "ORCHESTRATOR_FLOW"


@dataclass(frozen=True)
class Invocation:
    """One attempt of one task run: which flow, task, execution, Map iteration and retry."""

    task: str
    flow: str | None = None
    execution_id: str | None = None
    state: str | None = None
    #: `$$.State.RetryCount`: 0 on the first attempt, n on the n-th retry of the state.
    attempt: int | None = None
    #: `$$.Map.Item.Index` for an iteration of a mapped task, else None.
    map_index: int | None = None

    @classmethod
    def from_event(cls, event: Any, default_task: str) -> Invocation:
        """Read the payload leniently: logging must not be what fails a malformed event."""
        body = event if isinstance(event, dict) else {}
        ctx = body.get("context")
        ctx = ctx if isinstance(ctx, dict) else {}
        task = body.get("task")
        return cls(
            task=task if isinstance(task, str) and task else default_task,
            flow=os.environ.get(FLOW_ENV) or None,
            execution_id=_str(ctx.get("execution_id")),
            state=_str(ctx.get("state")),
            attempt=_int(ctx.get("retry_count")),
            map_index=_int(ctx.get("map_index")),
        )

    def log_keys(self) -> dict[str, Any]:
        """The structured-log fields; absent ones are left out rather than logged as null."""
        keys = {
            "flow": self.flow,
            "task": self.task,
            "state": self.state,
            "attempt": self.attempt,
            "map_index": self.map_index,
        }
        return {k: v for k, v in keys.items() if v is not None}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():  # a hand-made event may carry "3"
        return int(value)
    return None
