"""Only ASL that AWS accepts: constants in intrinsic arguments only in the forms AWS documents,
and `States.ALL` alone in a retrier (AWS: "States.ALL must appear alone in ErrorEquals")."""

from __future__ import annotations

import warnings
from typing import Any

from orchestrator import Flow, task
from orchestrator.local import run_flow
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions


@task
def seed() -> int:
    return 7


@task
def echo(values: list[Any]) -> list[Any]:
    return values


class BadInput(Exception):
    pass


def values_flow(values: list[Any]) -> Flow:
    with Flow("constants") as flow:
        echo([*values, seed()])
    return flow


def intrinsic_argument(flow: Flow) -> str:
    text: str = flow.plan().asl["States"]["echo"]["Parameters"]["Payload"]["inputs"]["values.$"]
    return text


def test_exponent_floats_stay_out_of_intrinsic_arguments() -> None:
    flow = values_flow([1e-09, 1e20])
    assert "e-09" not in intrinsic_argument(flow) and "e+20" not in intrinsic_argument(flow)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
    assert local.result["echo"] == [1e-09, 1e20, 7]
    # (moto's definition parser rejects an exponent number anywhere in a definition, even as a
    # plain JSON value, which AWS's JSON accepts; so this one is not created in moto.)


def test_constants_without_an_intrinsic_literal_travel_in_the_document() -> None:
    values = [None, {"a": None}, [1, 2], "s", 0.5, True]
    flow = values_flow(values)
    array = intrinsic_argument(flow)
    # null, floats, objects and lists are read from the document; the rest are literals.
    assert "null" not in array and "StringToJson" not in array
    assert "'s'" in array and "true" in array and "0.5" not in array
    with warnings.catch_warnings(), MotoStepFunctions() as sfn:
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
        remote = run_flow_in_moto(sfn, flow, {})  # moto's CreateStateMachine accepts it
    assert local.result["echo"] == remote.result["echo"] == [*values, 7]


def test_a_string_with_a_control_character_travels_in_the_document() -> None:
    flow = values_flow(["line\nbreak", "tab\there"])
    assert "\n" not in intrinsic_argument(flow) and "\t" not in intrinsic_argument(flow)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
    assert local.result["echo"] == ["line\nbreak", "tab\there", 7]


def test_any_error_in_retry_on_is_states_all_alone() -> None:
    for retry_on in ([BadInput, Exception], [Exception], ["States.ALL", "BadInput"]):
        t = task(retry_on=retry_on)(lambda: 1)
        assert t.options.retry_on == ("States.ALL",), retry_on
    assert task(retry_on=[BadInput])(lambda: 1).options.retry_on == ("BadInput",)
