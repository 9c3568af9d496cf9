"""`arn:aws:states:::lambda:invoke`: the Invoke response AWS gives the state, the payload the
function receives, and a function error's cause (LocalStack's AWS-recorded snapshots:
services/test_lambda_task_service, error_handling/test_task_service_lambda)."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from typing import Any

import pytest

from orchestrator.engine import DefinitionError, LambdaFunctionError, LambdaResponse

from .conftest import machine, run, task

KEYS = ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"]


def invoke_task(**parameters: Any) -> dict[str, Any]:
    spec = task(Parameters={"FunctionName": "fn", "Payload.$": "$", **parameters})
    del spec["OutputPath"]
    return machine(T=spec)


def test_the_whole_invoke_response_in_aws_key_order() -> None:
    ex = run(invoke_task(), {"a": 1})
    out = ex.output
    assert list(out) == KEYS
    assert out["Payload"] == {"a": 1} and out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    request = out["SdkResponseMetadata"]["RequestId"]
    meta = out["SdkHttpMetadata"]
    assert meta["HttpStatusCode"] == 200
    headers = meta["HttpHeaders"]
    assert list(headers) == [
        "Connection",
        "Content-Length",
        "Content-Type",
        "Date",
        "X-Amz-Executed-Version",
        "x-amzn-Remapped-Content-Length",
        "x-amzn-RequestId",
        "X-Amzn-Trace-Id",
    ]
    assert headers["x-amzn-RequestId"] == request
    assert headers["Content-Length"] == str(len('{"a":1}'))
    assert headers["Date"].endswith(" GMT")
    assert meta["AllHttpHeaders"] == {name: [value] for name, value in headers.items()}
    assert list(meta["AllHttpHeaders"])[0] == "X-Amz-Executed-Version"
    # The TaskSucceeded event carries the same document, encoded once.
    succeeded = next(e for e in ex.events if e.type == "TaskSucceeded")
    assert json.loads(succeeded.details["output"]) == out


def test_an_invoker_that_knows_the_version_and_request_id_says_so() -> None:
    ex = run(
        invoke_task(),
        {"a": 1},
        lambda name, payload: LambdaResponse(payload, executed_version="7", request_id="r-1"),
    )
    out = ex.output
    assert out["ExecutedVersion"] == "7"
    assert out["SdkResponseMetadata"] == {"RequestId": "r-1"}
    assert out["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Executed-Version"] == "7"


def test_log_type_tail_adds_log_result() -> None:
    ex = run(invoke_task(LogType="Tail"), {}, lambda n, p: LambdaResponse(p, request_id="r-2"))
    out = ex.output
    assert list(out) == ["ExecutedVersion", "LogResult", *KEYS[1:]]
    log = base64.b64decode(out["LogResult"]).decode()
    assert log.startswith("START RequestId: r-2 Version: $LATEST\nEND RequestId: r-2\nREPORT")
    assert list(out["SdkHttpMetadata"]["AllHttpHeaders"])[0] == "X-Amz-Log-Result"
    given = run(invoke_task(LogType="Tail"), {}, lambda n, p: LambdaResponse(p, log_result="eA=="))
    assert given.output["LogResult"] == "eA=="
    assert "LogResult" not in run(invoke_task(LogType="None"), {}).output


@pytest.mark.parametrize(
    ("payload", "received"),
    [("[1,2]", [1, 2]), ("null", None), ('"s"', "s"), ("hello", "hello")],
)
def test_a_string_payload_is_sent_as_raw_text(payload: str, received: Any) -> None:
    seen: list[Any] = []
    spec = task(Parameters={"FunctionName": "fn", "Payload": payload})
    run(machine(T=spec), {}, lambda name, p: seen.append(p))
    assert seen == [received]


def test_a_function_error_cause_is_re_encoded_compactly() -> None:
    cause = json.dumps(
        {"errorMessage": "boom", "errorType": "E", "requestId": "r", "stackTrace": ["  File x"]}
    )

    def fail(name: str, payload: Any) -> Any:
        raise LambdaFunctionError("E", cause)

    ex = run(invoke_task(), {}, fail)
    assert ex.error == "E"
    assert ex.cause == (
        '{"errorMessage":"boom","errorType":"E","requestId":"r","stackTrace":["  File x"]}'
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Qualifier": "1"}, "Qualifier is not supported locally"),
        ({"ClientContext": "e30="}, "ClientContext is not supported locally"),
        ({"InvocationType": "Event"}, "InvocationType is not supported locally"),
        ({"LogType": "All"}, "LogType must be one of None, Tail"),
        ({"Paylod": {}}, "'Paylod' is not a parameter"),
    ],
)
def test_invoke_parameters_not_honoured_locally_are_refused(
    parameters: dict[str, Any], message: str
) -> None:
    with pytest.raises(DefinitionError, match=message):
        run(invoke_task(**parameters), {})


def test_invocation_type_request_response_is_the_default_and_accepted() -> None:
    assert run(invoke_task(InvocationType="RequestResponse"), {"a": 1}).output["Payload"] == {
        "a": 1
    }


def test_the_event_text_and_the_result_agree_whatever_the_invoker_says() -> None:
    def invoke(name: str, payload: Any) -> Any:
        return LambdaResponse({"é": '"'}, executed_version='7"', request_id="r\\1", log_result="a'")

    ex = run(invoke_task(LogType="Tail"), {}, invoke)
    succeeded = next(e for e in ex.events if e.type == "TaskSucceeded")
    document = json.loads(succeeded.details["output"])
    assert document == ex.output and list(document) == list(ex.output)
    for key in ("AllHttpHeaders", "HttpHeaders"):
        assert list(document["SdkHttpMetadata"][key]) == list(ex.output["SdkHttpMetadata"][key])
    assert list(document["SdkHttpMetadata"]["HttpHeaders"])[5] == "X-Amz-Log-Result"


def test_made_up_request_and_trace_ids_are_version_4_uuids_never_repeated() -> None:
    from orchestrator.engine.lambda_response import _trace_id, _uuid4

    ids = [_uuid4() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for made in ids[:100]:
        parsed = uuid.UUID(made)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, made)
    traces = {_trace_id(0x6B0D7AE1) for _ in range(1_000)}
    assert len(traces) == 1_000
    assert all(re.fullmatch(r"Root=1-6b0d7ae1-[0-9a-f]{24};Sampled=0", t) for t in traces)


# The child only draws an id and exits: the threads it does not inherit hold nothing it uses.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_makes_up_request_ids_of_its_own() -> None:
    from orchestrator.engine.lambda_response import _uuid4

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(write, _uuid4().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert child[:24] != _uuid4()[:24]
