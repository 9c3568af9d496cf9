"""Typed payloads round-trip through the state machine identically on the engine and in moto:
datetime, date, Decimal, UUID, bytes, dataclasses and pydantic models out of one task and into
the next (converted to its parameters' annotations); NaN and sets refused with the task's name."""

from __future__ import annotations

import dataclasses
import math
import uuid
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from orchestrator import Flow, task
from orchestrator.local import run_flow
from orchestrator.runtime.handler import execute_task
from orchestrator.runtime.payloads import TaskResultError
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions

WHEN = datetime(2024, 11, 11, 20, 0, tzinfo=UTC)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


@dataclasses.dataclass
class Order:
    id: uuid.UUID
    placed: datetime
    amount: Decimal


class Receipt(BaseModel):
    # A model serialises with its own config: bytes as base64, like bytes elsewhere.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    order: uuid.UUID
    day: date
    blob: bytes


@task
def make() -> dict[str, Any]:
    return {
        "order": Order(ID, WHEN, Decimal("19.90")),
        "receipt": Receipt(order=ID, day=WHEN.date(), blob=b"\x00\xff binary"),
    }


@task
def check(order: Order, receipt: Receipt, when: datetime, day: date, raw: bytes) -> str:
    assert isinstance(order, Order) and order.amount == Decimal("19.90") and order.id == ID
    assert isinstance(receipt, Receipt) and receipt.blob == b"\x00\xff binary"
    assert when == WHEN and day == WHEN.date() and raw == b"\x00\xff binary"
    return "typed"


with Flow("typed") as typed:
    made = make()
    check(
        made["order"],
        made["receipt"],
        made["order"]["placed"],
        made["receipt"]["day"],
        made["receipt"]["blob"],
    )


def test_typed_values_round_trip_on_the_engine_and_in_moto() -> None:
    with warnings.catch_warnings(), MotoStepFunctions() as sfn:
        warnings.simplefilter("ignore")
        local = run_flow(typed.local_machine(), {}, clock="virtual", store=False)
        remote = run_flow_in_moto(sfn, typed, {})
    assert local.state == remote.state == "SUCCEEDED", (local.cause, remote.cause)
    assert local.result["check"] == remote.result["check"] == "typed"
    assert local.execution.output == remote.output  # the same JSON in both state documents


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (math.nan, "NaN or Infinity"),
        ({"x": [math.inf]}, "NaN or Infinity"),
        ({1, 2}, "a set has no order"),
        ({"tags": frozenset({"a"})}, "a set has no order"),
        (object(), "cannot travel as JSON"),
    ],
)
def test_what_is_not_json_is_refused_with_the_tasks_name(value: Any, why: str) -> None:
    def produce() -> Any:
        return value

    with pytest.raises(TaskResultError, match=f"task 'produce'.*{why}"):
        execute_task(produce, {"task": "produce", "inputs": {}, "context": {}})


def test_plain_json_tasks_do_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from orchestrator.runtime.handler import execute_task\n"
        "def add(a: int, b: list[int]) -> int: return a + sum(b)\n"
        "assert execute_task(add, {'task': 'add', 'inputs': {'a': 1, 'b': [2]}}) == 3\n"
        "print('pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
