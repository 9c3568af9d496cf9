"""The hand-written machines of examples/asl run end to end on the engine, with real Python
handlers behind their Lambda tasks: one in JSONata mode, one keeping its data in variables."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engine import Execution, ExecutionNotRedrivable, VirtualClock, execute, redrive

EXAMPLES = Path(__file__).parents[2] / "examples" / "asl"


def _handlers(flaky_failures: int = 1) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("asl_handlers", EXAMPLES / "handlers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handlers: dict[str, Any] = module.make_handlers(flaky_failures)
    return handlers


def _run(machine: str, input: Any, flaky_failures: int = 1) -> Execution:
    handlers = _handlers(flaky_failures)
    definition = json.loads((EXAMPLES / machine).read_text())
    return execute(
        definition,
        input,
        invoke=lambda name, payload: handlers[name](payload),
        clock=VirtualClock(seed=0),
    )


ORDER = {
    "id": "o-7",
    "customer": "ada@example.com",
    "items": [{"sku": "melon", "qty": 4}, {"sku": "apple", "qty": 4}, {"sku": "pear", "qty": 4}],
}


def test_jsonata_order_with_discount() -> None:
    execution = _run("jsonata_orders.asl.json", ORDER)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {
        "orderId": "o-7",
        "lines": [
            {"line": 1, "sku": "melon", "amount": 120.0},
            {"line": 2, "sku": "apple", "amount": 2.0},
            {"line": 3, "sku": "pear", "amount": 3.0},
        ],
        "discount": 0.1,
        "total": 112.5,
        "notified": True,
    }
    # Each line's first price call failed (PriceServiceBusy) and was retried once.
    assert execution.attempts_by_state()["PriceLine"] == 6
    notify = next(
        e for e in execution.events if e.type == "TaskScheduled" and "notify" in str(e.details)
    )
    assert json.loads(notify.details["parameters"])["Payload"] == {
        "to": "ada@example.com",
        "message": "Order o-7: 3 line(s), total 112.5",
    }


def test_jsonata_order_default_branch_and_caught_notification() -> None:
    order = {"id": "o-8", "customer": "full@example.com", "items": [{"sku": "apple", "qty": 2}]}
    execution = _run("jsonata_orders.asl.json", order)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["discount"] == 0
    assert execution.output["total"] == 1.0
    assert execution.output["notified"] is False
    exited = [
        e for e in execution.events if e.type == "TaskStateExited" and e.details["name"] == "Notify"
    ]
    assert exited[0].details["assignedVariables"] == {"notified": "false"}


def test_jsonata_order_validation_failure() -> None:
    execution = _run("jsonata_orders.asl.json", {"id": "o-9", "customer": "x", "items": []})
    assert (execution.status, execution.error) == ("FAILED", "ValueError")


def test_variables_machine_reads_profile_after_retries() -> None:
    execution = _run("variables_retry.asl.json", {"customerId": "c-1", "amount": 100})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {
        "receipt": "Ada: 80.0 (100 EUR for c-1)",
        "customer": "Ada",
        "tier": "gold",
    }
    assert execution.attempts_by_state()["FetchProfile"] == 2
    assert execution.delays() == [("FetchProfile", 2.0)]


def test_variables_machine_default_rate() -> None:
    execution = _run("variables_retry.asl.json", {"customerId": "c-2", "amount": 10}, 0)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["receipt"] == "Bob: 10 (10 EUR for c-2)"


def test_variables_machine_declined_charge_fails_with_the_recorded_cause() -> None:
    execution = _run("variables_retry.asl.json", {"customerId": "c-2", "amount": 5000}, 0)
    assert (execution.status, execution.error) == ("FAILED", "PaymentDeclined")
    assert execution.cause == "5000 is over the limit"


def test_redrive_of_a_machine_with_variables_is_refused() -> None:
    execution = _run("variables_retry.asl.json", {"customerId": "c-2", "amount": 5000}, 0)
    with pytest.raises(ExecutionNotRedrivable, match="variables"):
        redrive(execution, invoke=lambda name, payload: payload, clock=VirtualClock(seed=0))
