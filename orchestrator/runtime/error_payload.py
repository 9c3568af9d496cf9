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


def error_payload(exc: BaseException, request_id: str | None = None) -> dict[str, Any]:
    """Lambda's unhandled-error payload for `exc`: `errorMessage`, `errorType`, `requestId`
    (the invocation's, when known: Lambda's Python runtime writes it) and `stackTrace`, in the
    Python runtime's order."""
    frames = traceback.format_tb(exc.__traceback__) if exc.__traceback__ else []
    payload: dict[str, Any] = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    if request_id is not None:
        payload["requestId"] = request_id
    payload["stackTrace"] = [line.rstrip("\n") for line in frames]
    return payload


def error_cause(payload: dict[str, Any]) -> str:
    """An error payload as Lambda's response body carries it (the Python runtime's
    `json.dumps`); Step Functions re-encodes it compactly as the state's `Cause`."""
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
