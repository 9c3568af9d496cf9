"""The shipped order saga, on the local engine and in moto's Step Functions.

A declined card: the charge fails with PaymentFailed; the refund runs exactly once, the stock is
released, the order is closed, and the run is FAILED with PaymentFailed. A paid order: no
compensation runs (both end TRIGGER_FAILED, which does not fail the run), and the run SUCCEEDS.
An order out of stock fails the first task, whose Catch builds the state document on its own
path (planner/start.py): the compensations read the document they always did.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from functions.order_saga import order_saga
from orchestrator.engine.history import HistoryEvent
from orchestrator.local import FlowRun, run_flow
from orchestrator.planner.start import FAILED_START_REASON, START_REASON
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoRun, MotoStepFunctions, history_event
from tests.control.states import moto_task_states

PAID = {"order_id": "o-1", "sku": "SKU-1", "quantity": 2, "amount": 10.0, "card": "tok_4242"}
DECLINED = {**PAID, "order_id": "o-2", "card": "tok_4000000000000002"}
UNSHIPPABLE = {**PAID, "order_id": "o-3", "sku": "HAZ-9"}
OUT_OF_STOCK = {**PAID, "order_id": "o-4", "quantity": 101}


@pytest.fixture(scope="module")
def moto_sfn() -> Any:
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn


def local(order: dict[str, Any]) -> FlowRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_flow(order_saga.local_machine(), {"order": order}, clock="virtual", store=False)


def remote(sfn: MotoStepFunctions, order: dict[str, Any]) -> MotoRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_flow_in_moto(sfn, order_saga, {"order": order})


def calls(run: MotoRun, task: str) -> int:
    return run.attempts_by_state().get(task, 0)


def test_a_declined_card_is_compensated_and_the_run_fails_with_payment_failed(
    moto_sfn: MotoStepFunctions,
) -> None:
    run = local(DECLINED)
    assert (run.state, run.error) == ("FAILED", "PaymentFailed")
    assert "card declined" in (run.cause or "")
    states = {t.task: t.state for t in run.task_runs.values()}
    assert states == {
        "reserve_stock": "SUCCEEDED",
        "charge_card": "FAILED",
        "ship_order": "TRIGGER_FAILED",
        "release_stock": "SUCCEEDED",
        "refund_card": "SUCCEEDED",
        "close_order": "SUCCEEDED",
    }
    assert run.task_runs["refund_card"].attempts == 1
    assert run.task_runs["release_stock"].result["released"] is True
    assert run.task_runs["close_order"].result["status"] == "cancelled"
    # ship_order reports the failure that stopped it, as the run does.
    assert run.task_runs["ship_order"].error == "PaymentFailed"

    aws = remote(moto_sfn, DECLINED)
    assert (aws.status, aws.error) == ("FAILED", "PaymentFailed")
    assert moto_task_states(order_saga, aws) == states
    assert calls(aws, "refund_card") == 1
    assert calls(aws, "release_stock") == 1
    assert calls(aws, "close_order") == 1


def test_a_paid_order_runs_no_compensation_and_succeeds(moto_sfn: MotoStepFunctions) -> None:
    run = local(PAID)
    assert run.state == "SUCCEEDED"
    states = {t.task: t.state for t in run.task_runs.values()}
    assert states == {
        "reserve_stock": "SUCCEEDED",
        "charge_card": "SUCCEEDED",
        "ship_order": "SUCCEEDED",
        "release_stock": "TRIGGER_FAILED",
        "refund_card": "TRIGGER_FAILED",
        "close_order": "SUCCEEDED",
    }
    assert run.task_runs["refund_card"].attempts == 0
    assert run.task_runs["close_order"].result["status"] == "shipped"

    aws = remote(moto_sfn, PAID)
    assert aws.status == "SUCCEEDED"
    assert moto_task_states(order_saga, aws) == states
    assert calls(aws, "refund_card") == calls(aws, "release_stock") == 0
    assert aws.output == local(PAID).execution.output


def test_a_failed_shipment_refunds_the_captured_charge(moto_sfn: MotoStepFunctions) -> None:
    run = local(UNSHIPPABLE)
    assert (run.state, run.error) == ("FAILED", "RuntimeError")
    refund = run.task_runs["refund_card"].result
    assert refund["refunded"] is True and refund["amount"] == 10.0
    aws = remote(moto_sfn, UNSHIPPABLE)
    assert (aws.status, aws.error) == ("FAILED", "RuntimeError")
    assert calls(aws, "refund_card") == 1


def entered(events: list[HistoryEvent]) -> list[tuple[str, Any]]:
    """Each state the run entered, in order, with the input it was given."""
    return [
        (e.details["name"], json.loads(e.details["input"]))
        for e in events
        if e.type.endswith("StateEntered")
    ]


def first_failure(events: list[HistoryEvent]) -> dict[str, str]:
    failed = next(e for e in events if e.type == "TaskFailed")
    return {"Error": failed.details["error"], "Cause": failed.details["cause"]}


def test_an_order_out_of_stock_fails_the_first_task_and_is_compensated_from_the_same_document(
    moto_sfn: MotoStepFunctions,
) -> None:
    run = local(OUT_OF_STOCK)
    aws = remote(moto_sfn, OUT_OF_STOCK)
    assert (run.state, run.error) == ("FAILED", "OutOfStock")
    assert (aws.status, aws.error) == ("FAILED", "OutOfStock")
    states = {t.task: t.state for t in run.task_runs.values()}
    assert states == {
        "reserve_stock": "FAILED",
        "charge_card": "TRIGGER_FAILED",
        "ship_order": "TRIGGER_FAILED",
        "release_stock": "SUCCEEDED",
        "refund_card": "SUCCEEDED",
        "close_order": "SUCCEEDED",
    }
    assert run.task_runs["reserve_stock"].error == "OutOfStock"
    assert moto_task_states(order_saga, aws) == states
    assert run.task_runs["release_stock"].result == {"released": False}
    assert run.task_runs["refund_card"].result["voided"] is True

    for events in (run.events, [history_event(e) for e in aws.events]):
        states_entered = entered(events)
        names = [name for name, _ in states_entered]
        # Only the failure path builds the document, and then goes where the task goes.
        assert names[:4] == [
            "reserve_stock",
            "reserve_stock failed: defaults",
            "reserve_stock failed",
            "charge_card",
        ]
        # What the Pass states Defaults and Start built before the first task, and its Catch
        # then wrote its failure into: the parameters (the input's order wins over the
        # default), an empty value where each task's Catch writes, the failure in the first's.
        empty = {"value": {}}
        assert states_entered[3][1] == {
            "params": {"order": OUT_OF_STOCK},
            "results": {
                "reserve_stock": {"value": {"orchestrator_failed": first_failure(events)}},
                "charge_card": empty,
                "ship_order": empty,
                "release_stock": empty,
                "refund_card": empty,
                "close_order": empty,
            },
        }


def test_plan_prints_what_the_control_flow_added() -> None:
    from typer.testing import CliRunner

    from orchestrator.cli.app import app

    result = CliRunner().invoke(app, ["plan", "functions.order_saga:order_saga"])
    assert result.exit_code == 0, result.output
    assert "control flow added" in result.output
    assert "6 Catch" in result.output and "Choice" in result.output
    # No state builds the document before the first task: two Pass states (and a Fail for a
    # ParameterReadError) follow its Catch, on its failure path only.
    assert START_REASON not in result.output
    assert f"3 {FAILED_START_REASON}" in result.output


def test_the_cli_shows_compensated_runs_and_exits_1(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from orchestrator.cli.app import app
    from orchestrator.contract import STORE_ENV

    monkeypatch.setenv(STORE_ENV, str(tmp_path / "runs.sqlite"))
    runner = CliRunner()
    spec = "functions.order_saga:order_saga"
    result = runner.invoke(app, ["run", spec, "--param", "order=" + json.dumps(DECLINED)])
    assert result.exit_code == 1, result.output
    assert "TRIGGER_FAILED" in result.output and "PaymentFailed" in result.output
    listed = runner.invoke(app, ["runs", "list"])
    assert listed.exit_code == 0, listed.output
    assert "FAILED" in listed.output
