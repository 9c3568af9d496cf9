"""`return t()["missing"]`: a key the task's result lacks is an error naming the task and the key.

At definition time where the task's return annotation says the key cannot exist; otherwise the
task fails its run (TaskResultError) — on the engine and in moto alike, since the check runs in
the task's handler — instead of a run that succeeds with a result the caller cannot read.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest
from pydantic import BaseModel

from orchestrator import Flow, flow, task
from orchestrator.errors import FlowDefinitionError
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions


class Order(TypedDict):
    id: str
    total: float


@dataclass
class Point:
    x: int


class Model(BaseModel):
    name: str


@task
def order() -> Order:
    return {"id": "o-1", "total": 9.5}


@task
def point() -> Point:
    return Point(1)


@task
def model() -> Model:
    return Model(name="m")


@task
def count() -> int:
    return 3


@task
def pair() -> tuple[int, str]:
    return 1, "a"


@task
def orders() -> list[Order]:
    return [{"id": "a", "total": 1.0}]


@task
def untyped():  # type: ignore[no-untyped-def]
    return {"a": {"b": [1, 2]}}


@task
def loose() -> dict[str, Any]:
    return {"a": 1}


@task
def item(n: int) -> dict[str, int]:
    return {"n": n} if n != 2 else {}


def build(body: Any) -> Flow:
    return flow(name="paths")(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda: order()["missing"], "order()['missing'] cannot exist: it returns Order"),
        (lambda: point()["y"], "point()['y'] cannot exist: it returns Point, whose fields are x"),
        (lambda: model()["nope"], "it returns Model, whose fields are name"),
        (lambda: count()["x"], "count()['x'] cannot exist: it returns a number"),
        (lambda: pair()[2], "it returns a tuple of 2 item(s)"),
        (lambda: pair()["a"], "not an object"),
        (lambda: orders()["id"], "it returns a list, not an object"),
        (lambda: orders()[0]["nope"], "orders()[0]['nope'] cannot exist"),
        (lambda: order()[0], "it returns Order (an object in JSON), not a list"),
    ],
)
def test_a_key_the_return_type_cannot_have_is_refused_at_definition(
    body: Any, message: str
) -> None:
    with pytest.raises(FlowDefinitionError) as err:
        _ = build(body).graph
    assert message in str(err.value)
    assert "flow 'paths'" in str(err.value)


@pytest.mark.parametrize(
    "body",
    [
        lambda: order()["total"],
        lambda: point()["x"],
        lambda: model()["name"],
        lambda: pair()[1],
        lambda: orders()[0]["id"],
        lambda: untyped()["anything"][0],
        lambda: loose()["whatever"],
    ],
)
def test_keys_the_type_allows_or_does_not_say_compile(body: Any) -> None:
    assert build(body).graph is not None


def test_a_missing_key_fails_the_run_naming_task_and_key() -> None:
    f = build(lambda: untyped()["a"]["missing"])
    run = f.run()
    assert run.state == "FAILED"
    assert run.error == "TaskResultError"
    payload = json.loads(run.cause or "{}")
    assert "task 'untyped' returned a result without ['a']['missing']" in payload["errorMessage"]
    assert "its keys are 'b'" in payload["errorMessage"]


def test_a_present_key_is_the_flow_result() -> None:
    run = build(lambda: untyped()["a"]["b"][1]).run()
    assert run.state == "SUCCEEDED"
    assert run.result == 2


def test_a_mapped_item_without_the_key_fails_its_iteration() -> None:
    run = build(lambda: item.map([1, 2, 3])[1]["n"]).run()
    assert run.state == "FAILED"
    assert run.error == "TaskResultError"
    assert "['n']: its keys are none" in json.loads(run.cause or "{}")["errorMessage"]
    ok = build(lambda: item.map([1, 2, 3])[2]["n"]).run()
    assert ok.state == "SUCCEEDED"
    assert ok.result == 3


def test_moto_fails_the_same_way() -> None:
    f = build(lambda: untyped()["a"]["missing"])
    with warnings.catch_warnings(), MotoStepFunctions() as sfn:
        warnings.simplefilter("ignore")
        remote = run_flow_in_moto(sfn, f, {})
    assert remote.state == "FAILED"
    assert remote.error == "TaskResultError"
    assert "['a']['missing']" in json.loads(remote.cause or "{}")["errorMessage"]
