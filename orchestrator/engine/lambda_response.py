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
import itertools
import json
import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from .jsonpath import dumps

LATEST = "$LATEST"
_SCALARS = (int, float, str, bool, type(None))


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
    """A version 4 (RFC 4122 variant) UUID's text, unique in the process: a random prefix drawn
    once and a 48-bit counter from a random start, instead of 122 fresh random bits per call
    (request ids must be unique, not unpredictable, and this runs once per task)."""
    return f"{_REQUEST_PREFIX}{next(_requests) & _LOW_48:012x}"


def _trace_id(second: int) -> str:
    """An X-Ray trace id (`Root=1-<epoch second>-<96 bits>`), unique in the process the same
    way as the request ids."""
    return f"Root=1-{second:08x}-{_TRACE_PREFIX}{next(_traces) & _LOW_48:012x};Sampled=0"


_LOW_48 = (1 << 48) - 1
_REQUEST_PREFIX = _TRACE_PREFIX = ""
_requests = _traces = itertools.count()


def _seed() -> None:
    """Draw the prefixes and counters' starts: at import, and again in a forked child, whose
    ids must not repeat its parent's."""
    global _REQUEST_PREFIX, _TRACE_PREFIX, _requests, _traces
    r = random.Random()
    _REQUEST_PREFIX = (
        f"{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-4{r.getrandbits(12):03x}"
        f"-{'89ab'[r.getrandbits(2)]}{r.getrandbits(12):03x}-"
    )
    _TRACE_PREFIX = f"{r.getrandbits(48):012x}"
    _requests = itertools.count(r.getrandbits(48))
    _traces = itertools.count(r.getrandbits(48))


_seed()
os.register_at_fork(after_in_child=_seed)


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
    trace = _trace_id(second)
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
    payload = response.payload
    # The state's own copy, as it would get bytes over the wire (the function may keep and
    # change what it returned); a scalar is its own copy.
    result["Payload"] = payload if type(payload) in _SCALARS else json.loads(payload_text)
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
