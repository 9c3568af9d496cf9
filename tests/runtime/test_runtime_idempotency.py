"""`@task(idempotent=True)` in moto: a lost response is retried without repeating the side effect.

The flow is compiled by the planner and runs in moto's Step Functions executor; its Lambda runs
`orchestrator.runtime.lambda_entry.lambda_handler` in-process. On the first invocation the
function runs to completion (writing an S3 object) and then its response is lost: Lambda's API
answers `ServiceException` instead, which Step Functions reports as `Lambda.ServiceException`,
and the planner's transient-error retrier invokes the function again. With idempotency the retry
returns the stored first result and writes nothing; without it the object is written twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from moto.core.exceptions import JsonRESTError

from orchestrator import flow, task
from orchestrator.contract import IDEMPOTENCY_TABLE_ENV, TASK_ENV
from orchestrator.planner import plan_flow
from orchestrator.runtime import idempotency
from orchestrator.runtime.lambda_entry import lambda_handler
from orchestrator.sdk.flow import Flow
from orchestrator.sdk.task import Task
from orchestrator.testing.lambda_context import LambdaContext
from orchestrator.testing.moto import MotoRun, MotoStepFunctions

BUCKET = "orchestrator-test-side-effects"
TABLE = "orchestrator-idempotency"


def write_receipt(order: str) -> dict[str, Any]:
    """The side effect: one new S3 object per call, however often the call is repeated."""
    s3 = boto3.client("s3")
    key = f"{order}/{uuid.uuid4()}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"paid")
    return {"order": order, "receipt": key}


@task(idempotent=True)
def pay_once(order: str) -> dict[str, Any]:
    return write_receipt(order)


@task
def pay(order: str) -> dict[str, Any]:
    return write_receipt(order)


@flow(name="checkout-idempotent")
def checkout_idempotent(order: str = "o-1") -> Any:
    return pay_once(order)


@flow(name="checkout")
def checkout(order: str = "o-1") -> Any:
    return pay(order)


def FakeLambdaContext() -> LambdaContext:  # noqa: N802 - reads like the class it stands for
    return LambdaContext(function_name="checkout-pay", aws_request_id="req-1")


class ServiceException(JsonRESTError):
    """Lambda's API failing after the function ran: HTTP 500, `Lambda.ServiceException`."""

    code = 500

    def __init__(self) -> None:
        super().__init__("ServiceException", "the response was lost on the way back")


class LoseResponses:
    """Wraps the harness's patched Lambda invoke: the function runs, then its answer is lost.

    The harness turns any handler exception into a function error (`Unhandled`); a lost
    response is an error of Lambda's API instead, so it is raised one level up, from the
    backend's `invoke` after the handler returned, where moto answers with an HTTP error and
    its Step Functions executor names the failure `Lambda.<Code>`.
    """

    def __init__(self) -> None:
        self.remaining = 0

    def patch(self) -> Any:
        original = MotoStepFunctions._make_invoke
        plan = self

        def make_invoke(harness: MotoStepFunctions) -> Callable[..., bytes | None]:
            invoke = original(harness)

            def lossy(*args: Any, **kwargs: Any) -> bytes | None:
                response = invoke(*args, **kwargs)
                if plan.remaining > 0:
                    plan.remaining -= 1
                    raise ServiceException()
                return response

            return lossy

        return mock.patch.object(MotoStepFunctions, "_make_invoke", make_invoke)


@pytest.fixture(scope="module")
def lose() -> LoseResponses:
    return LoseResponses()


@pytest.fixture(scope="module")
def sfn(lose: LoseResponses) -> Iterator[MotoStepFunctions]:
    # Persistence layers cache a boto3 client; one made outside moto would talk to AWS.
    idempotency._persistence.cache_clear()
    with lose.patch(), MotoStepFunctions(record_sleeps=True) as harness:
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        # The table as Powertools' DynamoDBPersistenceLayer expects it by default.
        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield harness
    idempotency._persistence.cache_clear()


def receipts(order: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"{order}/")
    return [obj["Key"] for obj in listing.get("Contents", [])]


def run_losing_first_response(
    sfn: MotoStepFunctions,
    lose: LoseResponses,
    monkeypatch: pytest.MonkeyPatch,
    checkout_flow: Flow,
    pay_task: Task[Any, Any],
    order: str,
) -> tuple[MotoRun, list[Any]]:
    """Deploy the flow with the real handler as its Lambda; lose the first response."""
    # What `orchestrator build` sets on the task's function (the table only on idempotent ones,
    # but the code decides: `pay` ignores it).
    monkeypatch.setenv(TASK_ENV, pay_task.key)
    monkeypatch.setenv(IDEMPOTENCY_TABLE_ENV, TABLE)
    returned: list[Any] = []

    def handler(event: Any) -> Any:
        result = lambda_handler(event, FakeLambdaContext())
        returned.append(result)
        return result

    (placeholder,) = plan_flow(checkout_flow.graph).placeholders
    machine = sfn.deploy(checkout_flow.asl(), {placeholder: handler}, name=checkout_flow.name)
    lose.remaining = 1
    run = sfn.execute(machine, {"order": order})
    assert lose.remaining == 0, "the response was never lost: the test proves nothing"
    return run, returned


def task_failures(run: MotoRun) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in run.events if e["type"] == "TaskFailed"]


def test_idempotent_task_runs_its_side_effect_once(
    sfn: MotoStepFunctions, lose: LoseResponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, returned = run_losing_first_response(
        sfn, lose, monkeypatch, checkout_idempotent, pay_once, "idem"
    )
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert task_failures(run) == ["Lambda.ServiceException"]
    assert len(run.invocations) == 2 and run.sleeps == [1.0]  # the planner's retrier, 1 s
    first, retried = returned
    assert retried == first  # the retry got the stored result ...
    # The first task returns the parameters beside its result (runtime/start.py).
    assert first["params"] == {"order": "idem"}
    assert run.output["results"]["pay_once"] == {"value": first["value"]}
    assert receipts("idem") == [first["value"]["receipt"]]  # ... and wrote nothing
    records = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert [r["status"]["S"] for r in records] == ["COMPLETED"]


def test_without_idempotency_the_side_effect_repeats(
    sfn: MotoStepFunctions, lose: LoseResponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, returned = run_losing_first_response(sfn, lose, monkeypatch, checkout, pay, "plain")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert task_failures(run) == ["Lambda.ServiceException"]
    first, retried = (r["value"] for r in returned)  # a first task: {"params", "value"}
    assert retried != first
    assert run.output["results"]["pay"] == {"value": retried}
    assert sorted(receipts("plain")) == sorted([first["receipt"], retried["receipt"]])


def test_key_is_execution_task_and_map_index_not_the_retry(
    sfn: MotoStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TASK_ENV, pay_once.key)
    monkeypatch.setenv(IDEMPOTENCY_TABLE_ENV, TABLE)

    def invoke(execution: str, retry_count: int, map_index: int | None) -> Any:
        context = {"execution_id": execution, "state": "pay_once item", "retry_count": retry_count}
        if map_index is not None:
            context["map_index"] = map_index
        event = {"task": "pay_once", "inputs": {"order": "keys"}, "context": context}
        return lambda_handler(event, FakeLambdaContext())

    first = invoke("arn:execution:a", 0, 0)
    assert invoke("arn:execution:a", 2, 0) == first  # a retry of the same work
    assert invoke("arn:execution:a", 0, 1) != first  # another Map iteration
    assert invoke("arn:execution:b", 0, 0) != first  # another execution
    assert len(receipts("keys")) == 3
