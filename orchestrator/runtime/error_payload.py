"""How a failed task is reported: the shape of Lambda's unhandled-error payload.

Step Functions' `lambda:invoke` integration turns an unhandled Lambda error into a state failure
whose `Error` is the payload's `errorType` (the exception's class name) and whose `Cause` is the
payload itself as a JSON string. The local engine and the moto harness both encode errors here,
so the two report failures identically.
"""

from __future__ import annotations

import json
import traceback
from typing import Any


def error_payload(exc: BaseException) -> dict[str, Any]:
    """Lambda's unhandled-error payload for `exc` (`errorMessage`, `errorType`, `stackTrace`)."""
    frames = traceback.format_tb(exc.__traceback__) if exc.__traceback__ else []
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": [line.rstrip("\n") for line in frames],
    }


def error_cause(payload: dict[str, Any]) -> str:
    """The `Cause` string Step Functions records for an error payload."""
    return json.dumps(payload, ensure_ascii=False)


def read_error_payload(cause: str | None) -> dict[str, Any] | None:
    """The error payload a `Cause` string holds, or None when the cause is not one (a
    States.* error's plain text, a timeout)."""
    if not cause or not cause.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(cause)
    except ValueError:
        return None
    if isinstance(value, dict) and ("errorType" in value or "errorMessage" in value):
        return value
    return None
