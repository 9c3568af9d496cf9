"""What one task invocation is about, read from its payload.

The planner puts `{"flow", "execution_id", "state", "retry_count", "map_index"}` in every payload's
`context` (docs/data-contract.md). Logs, metrics, traces and the idempotency key all read them
from here, so they agree. The state machine's name is not in the payload; it is the `<machine>`
of the execution ARN, `arn:aws:states:<region>:<account>:execution:<machine>:<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Where the execution ARN is in a payload, as a JMESPath (Powertools' `correlation_id_path`).
EXECUTION_ID_PATH = "context.execution_id"


@dataclass(frozen=True)
class Invocation:
    """One attempt of one task run: which task, execution, state, Map iteration and retry."""

    task: str
    #: The flow's resource name, from the payload (`context.flow`, a constant of the machine).
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
            flow=_str(ctx.get("flow")),
            execution_id=_str(ctx.get("execution_id")),
            state=_str(ctx.get("state")),
            attempt=_int(ctx.get("retry_count")),
            map_index=_int(ctx.get("map_index")),
        )

    @property
    def state_machine(self) -> str | None:
        """The name of the state machine running this execution, from its ARN."""
        return state_machine_name(self.execution_id)

    def log_keys(self) -> dict[str, Any]:
        """The structured-log fields; absent ones are left out rather than logged as null.

        The execution ARN is not among them: it is the log line's `correlation_id`.
        """
        keys = {
            "flow": self.flow,
            "state_machine": self.state_machine,
            "task": self.task,
            "state": self.state,
            "attempt": self.attempt,
            "map_index": self.map_index,
        }
        return {k: v for k, v in keys.items() if v is not None}


def state_machine_name(execution_arn: str | None) -> str | None:
    """`<machine>` of `arn:aws:states:<region>:<account>:execution:<machine>:<name>`, else None.

    Also for an Express execution (`...:express:<machine>:<name>:<id>`) and a Distributed Map
    child execution, whose machine part is `<machine>/<map run label>`.
    """
    parts = (execution_arn or "").split(":")
    if len(parts) < 8 or parts[0] != "arn" or parts[2] != "states":
        return None
    if parts[5] not in ("execution", "express") or not parts[6]:
        return None
    return parts[6].split("/", 1)[0]


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
