"""Lambda's Invoke response, as a `lambda:invoke` Task state reports it.

A `LambdaInvoker` returns the function's result; one that knows more about the invocation (the
version that ran, its request id, the tail of its log) returns a `LambdaResponse` instead. Step
Functions gives the state the whole response (LocalStack's snapshots of `lambda:invoke` tasks,
recorded against AWS, e.g. services/test_lambda_task_service.snapshot.json)::

    {"ExecutedVersion": "$LATEST", "LogResult": "...", "Payload": <result>,
     "SdkHttpMetadata": {"AllHttpHeaders": {...}, "HttpHeaders": {...}, "HttpStatusCode": 200},
     "SdkResponseMetadata": {"RequestId": "..."}, "StatusCode": 200}

`LogResult` (and its `X-Amz-Log-Result` header) only with `"LogType": "Tail"`. The headers are
Lambda's response headers; `AllHttpHeaders` holds each as a one-element list. A function error's
`Cause` is Lambda's error payload re-encoded as compact JSON, keys in their order.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from .jsonpath import dumps

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class LambdaResponse:
    """What a `LambdaInvoker` may return instead of the bare result, when it knows more."""

    payload: Any
    #: The function version that ran ("$LATEST", or the version an alias resolved to).
    executed_version: str = LATEST
    #: Lambda's request id; None: the engine makes one up (a fresh UUID).
    request_id: str | None = None
    #: The base64 tail of the invocation's log (`LogType: Tail`); None: the engine writes
    #: the lines Lambda itself logs for every invocation (START, END, REPORT).
    log_result: str | None = None


def unpack(result: Any) -> LambdaResponse:
    return result if isinstance(result, LambdaResponse) else LambdaResponse(result)


def request_id(response: LambdaResponse) -> str:
    return response.request_id or _uuid4()


def _uuid4() -> str:
    """A random (version 4, RFC 4122 variant) UUID's text: `str(uuid.UUID(...))` without the
    UUID object, which cost more than the rest of the request id."""
    h = f"{_random.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


# Request ids need to be unique, not unpredictable: a seeded-once PRNG is several times cheaper
# than uuid4's os.urandom, and this runs once per task.
_random = random.Random()


def platform_log(request: str, version: str, seconds: float) -> str:
    """The lines Lambda writes to every invocation's log, base64-encoded like `LogResult`."""
    text = (
        f"START RequestId: {request} Version: {version}\n"
        f"END RequestId: {request}\n"
        f"REPORT RequestId: {request}\tDuration: {seconds * 1000:.2f} ms\t\n"
    )
    return base64.b64encode(text.encode()).decode()


@lru_cache(maxsize=4)
def _http_date(second: int) -> str:
    """The Date header for a Unix second (tasks finishing within one second share it)."""
    return format_datetime(datetime.fromtimestamp(second, UTC), usegmt=True)


def invoke_result(
    response: LambdaResponse,
    payload_text: str,
    request: str,
    now: datetime,
    log_result: str | None,
) -> tuple[dict[str, Any], str]:
    """The state's result (the Invoke response) and its JSON text, the payload encoded once.

    Written out field by field rather than sorted and serialised: it runs once per task state.
    Only the invoker's strings (version, request id, log) need JSON escaping."""
    version = response.executed_version
    length = str(len(payload_text) if payload_text.isascii() else len(payload_text.encode()))
    second = int(now.timestamp())
    date = _http_date(second)
    trace = f"Root=1-{second:08x}-{_random.getrandbits(96):024x};Sampled=0"
    v, rq = dumps(version), dumps(request)
    # Lambda's header order, as AWS reports AllHttpHeaders (each a one-element list);
    # HttpHeaders sorted by name.
    all_headers = {
        "X-Amz-Executed-Version": [version],
        "x-amzn-Remapped-Content-Length": ["0"],
        "Connection": ["keep-alive"],
        "x-amzn-RequestId": [request],
        "Content-Length": [length],
        "Date": [date],
        "X-Amzn-Trace-Id": [trace],
        "Content-Type": ["application/json"],
    }
    all_text = (
        f'"X-Amz-Executed-Version":[{v}],"x-amzn-Remapped-Content-Length":["0"],'
        f'"Connection":["keep-alive"],"x-amzn-RequestId":[{rq}],"Content-Length":["{length}"],'
        f'"Date":["{date}"],"X-Amzn-Trace-Id":["{trace}"],"Content-Type":["application/json"]}}'
    )
    sorted_headers = {
        "Connection": "keep-alive",
        "Content-Length": length,
        "Content-Type": "application/json",
        "Date": date,
        "X-Amz-Executed-Version": version,
    }
    result: dict[str, Any] = {"ExecutedVersion": version}
    log_header = log_field = ""
    if log_result is not None:
        log = dumps(log_result)
        all_headers = {"X-Amz-Log-Result": [log_result], **all_headers}
        all_text = f'"X-Amz-Log-Result":[{log}],' + all_text
        log_header = f'"X-Amz-Log-Result":{log},'
        log_field = f'"LogResult":{log},'
        sorted_headers["X-Amz-Log-Result"] = log_result
        result["LogResult"] = log_result
    sorted_headers["x-amzn-Remapped-Content-Length"] = "0"
    sorted_headers["x-amzn-RequestId"] = request
    sorted_headers["X-Amzn-Trace-Id"] = trace
    text = (
        f'{{"ExecutedVersion":{v},{log_field}"Payload":{payload_text},'
        f'"SdkHttpMetadata":{{"AllHttpHeaders":{{{all_text},'
        f'"HttpHeaders":{{"Connection":"keep-alive","Content-Length":"{length}",'
        f'"Content-Type":"application/json","Date":"{date}","X-Amz-Executed-Version":{v},'
        f'{log_header}"x-amzn-Remapped-Content-Length":"0","x-amzn-RequestId":{rq},'
        f'"X-Amzn-Trace-Id":"{trace}"}},"HttpStatusCode":200}},'
        f'"SdkResponseMetadata":{{"RequestId":{rq}}},"StatusCode":200}}'
    )
    result["Payload"] = json.loads(payload_text)
    result["SdkHttpMetadata"] = {
        "AllHttpHeaders": all_headers,
        "HttpHeaders": sorted_headers,
        "HttpStatusCode": 200,
    }
    result["SdkResponseMetadata"] = {"RequestId": request}
    result["StatusCode"] = 200
    return result, text


def compact_cause(cause: str) -> str:
    """A function error's Cause as Step Functions records it: Lambda's error payload (JSON)
    re-encoded compactly, keys in their order; any other text as it is."""
    if not cause.startswith("{"):
        return cause
    try:
        return dumps(json.loads(cause))
    except ValueError:
        return cause
