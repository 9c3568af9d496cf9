"""The ASL the planner writes: the data contract, Retry/Timeout fields, maps, determinism."""

from __future__ import annotations

import json
import warnings

import pytest

from orchestrator import (
    Flow,
    FlowDefinitionError,
    Parameter,
    exponential_backoff,
    flow,
    task,
    unmapped,
)
from orchestrator.planner import SynchronisationAdded, plan_flow
from orchestrator.planner.task_states import LAMBDA_TRANSIENT_ERRORS


class PaymentFailed(Exception):
    pass


@task
def extract() -> list[int]:
    return [1, 2, 3]


@task(retries=3, retry_delay=exponential_backoff(10, max_delay=300, jitter=True), timeout=120)
def clean(data: list[int]) -> list[int]:
    return data


@task(retries=2, retry_on=[PaymentFailed, TimeoutError])
def charge(amount: int) -> str:
    return "ok"


@task
def double(x: int, factor: int = 2) -> int:
    return x * factor


@task
def pair(a: int, b: int) -> list[int]:
    return [a, b]


@task
def total(xs: list[int], label: str = "") -> int:
    return sum(xs)


def states(asl: dict) -> dict:
    """Every state in the machine, nested ones included."""
    out: dict = {}

    def walk(machine: dict) -> None:
        for name, state in machine["States"].items():
            out[name] = state
            for branch in state.get("Branches", []):
                walk(branch)
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"])

    walk(asl)
    return out


def test_task_state_follows_the_data_contract() -> None:
    with Flow("ETL") as etl:
        n = Parameter("n", default=2)
        data = extract()
        total(data, label=clean(data))
        double(n)
    s = states(etl.asl())
    state = s["clean"]
    assert state["Resource"] == "arn:aws:states:::lambda:invoke"
    assert state["Parameters"]["FunctionName"] == "${CleanFunctionArn}"
    assert state["Parameters"]["Payload"]["inputs"] == {"data.$": "$.results.extract.value"}
    # extract's result is still read after clean, so clean adds to the results map...
    assert state["ResultSelector"] == {"value.$": "$.Payload"}
    assert state["ResultPath"] == "$.results.clean"
    # ...while total's is the only one needed after it: it replaces the map, dropping the dead
    # results of extract and clean from the document.
    assert s["total"]["ResultSelector"] == {"total": {"value.$": "$.Payload"}}
    assert s["total"]["ResultPath"] == "$.results"
    # double starts a branch of the first Parallel: its handler reads n, default merged in.
    payload = s["double"]["Parameters"]["Payload"]
    assert payload["inputs"] == {"x": {"__orchestrator_param__": ["n"]}}
    assert payload["start"] == {"params.$": "$.params", "defaults": {"n": 2}}
    assert "Defaults" not in s and "Start" not in s


def test_retry_and_timeout_fields() -> None:
    with Flow("r") as f:
        clean(extract())
        charge(5)
    s = states(f.asl())
    transient, user = s["clean"]["Retry"]
    assert transient["ErrorEquals"] == list(LAMBDA_TRANSIENT_ERRORS)
    assert user == {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": 10,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
        "MaxDelaySeconds": 300,
        "JitterStrategy": "FULL",
    }
    assert isinstance(user["BackoffRate"], float)
    assert s["clean"]["TimeoutSeconds"] == 120
    assert s["charge"]["Retry"][1]["ErrorEquals"] == ["PaymentFailed", "TimeoutError"]
    # No timeout=: the project default (none set here, so the built-in 60 s), as the Lambda's.
    assert s["extract"]["TimeoutSeconds"] == 60
    # Every task retries Lambda's transient errors, and nothing else, unless asked.
    assert s["extract"]["Retry"] == [s["clean"]["Retry"][0]]


def test_map_state_with_unmapped_constant_and_zipped_iterables() -> None:
    @flow
    def shards(k: int = 3):
        xs = extract()
        ys = double.map(xs, unmapped(k))
        zs = pair.map(xs, ys)
        return total(zs, label="sum")

    s = states(shards.asl())
    m = s["double"]
    assert m["Type"] == "Map"
    assert m["ItemsPath"] == "$.results.extract.value"
    assert m["ItemSelector"]["inputs"] == {"factor.$": "$.params.k", "x.$": "$$.Map.Item.Value"}
    assert m["MaxConcurrency"] == 40
    assert m["ItemProcessor"]["States"]["double item"]["OutputPath"] == "$.Payload"
    zipped = s["pair"]["ItemSelector"]["inputs"]
    assert zipped["b.$"] == "States.ArrayGetItem($.results.double.value, $$.Map.Item.Index)"
    # Zipped iterables are checked for equal length before the Map starts.
    assert s["pair same lengths?"]["Default"] == "pair length mismatch"
    assert s["pair length mismatch"]["Error"] == "orchestrator.MapLengthMismatch"
    assert s["total"]["Parameters"]["Payload"]["inputs"] == {
        "xs.$": "$.results.pair.value",
        "label": "sum",
    }


def test_independent_branches_become_a_parallel_that_merges_without_pass_states() -> None:
    with Flow("推荐系统") as f:
        a = extract()
        b = double(1)
        total(pair(a, b))
    asl = f.asl()
    par = asl["States"]["Parallel 1"]
    assert par["Type"] == "Parallel" and len(par["Branches"]) == 2
    # The first state: it hands its branches the document and rebuilds it from theirs.
    assert par["Parameters"] == {"params.$": "$", "results": {}}
    assert par["ResultSelector"] == {
        "params.$": "States.ArrayGetItem($[*].params, 0)",
        "results": {
            "extract.$": "$[0].results.extract",
            "double.$": "$[1].results.double",
        },
    }
    assert par["ResultPath"] == "$"
    assert [s["Type"] for s in states(asl).values()].count("Pass") == 0
    assert f.graph.resource_name.isascii()


def test_non_series_parallel_dag_is_compiled_with_a_warning() -> None:
    with Flow("N") as f:
        a, b = extract(), double(1)
        pair(a, b)
        total([b])
    with pytest.warns(SynchronisationAdded, match="total waits for extract"):
        f.asl()


def test_references_to_parts_lists_and_dicts_of_results() -> None:
    with Flow("refs") as f:
        a = pair(1, 2)
        total([a[0], a[1], 5, "x'{y}"], label=a[0])
        double({"first": a[0], "n": 1})  # type: ignore[arg-type]
    s = states(f.asl())
    inputs = s["total"]["Parameters"]["Payload"]["inputs"]
    assert inputs["xs.$"] == (
        "States.Array($.results.pair.value[0], $.results.pair.value[1], 5, 'x\\'\\{y\\}')"
    )
    assert inputs["label.$"] == "$.results.pair.value[0]"
    assert s["double"]["Parameters"]["Payload"]["inputs"]["x"] == {
        "first.$": "$.results.pair.value[0]",
        "n": 1,
    }


def test_same_task_twice_gets_unique_states_and_one_function() -> None:
    with Flow("twice") as f:
        double(double(1))
    plan = plan_flow(f.graph)
    assert list(states(plan.asl)) == ["double", "double_2"]
    assert list(plan.placeholders) == ["DoubleFunctionArn"]


def test_output_is_deterministic_and_byte_identical() -> None:
    def build() -> str:
        with Flow("d") as f:
            xs = extract()
            double.map(xs)
            total(xs)
            pair(1, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return json.dumps(f.asl(), indent=2)

    assert build() == build()


def test_flow_timeout_and_constant_map_items() -> None:
    @flow(timeout=3600)
    def consts():
        return double.map([1, 2, 3])

    asl = consts.asl()
    assert asl["TimeoutSeconds"] == 3600
    assert asl["States"]["Start"]["Parameters"]["consts"] == {"double_x": [1, 2, 3]}
    assert asl["States"]["double"]["ItemsPath"] == "$.consts.double_x"


def test_constant_keys_that_look_like_paths_are_refused() -> None:
    with Flow("k") as f:
        double({"a.$": 1})  # type: ignore[arg-type]
    with pytest.raises(FlowDefinitionError, match="reads as a path"):
        f.asl()


def test_idempotent_tasks_also_retry_an_attempt_still_in_progress() -> None:
    @task(idempotent=True)
    def write_once() -> str:
        return "ok"

    with Flow("idem") as f:
        write_once()
        extract()
    s = states(f.asl())
    assert s["write_once"]["Retry"][0]["ErrorEquals"][-1] == "IdempotencyAlreadyInProgressError"
    assert "IdempotencyAlreadyInProgressError" not in s["extract"]["Retry"][0]["ErrorEquals"]


def test_retry_on_alone_means_three_retries_and_retries_zero_with_retry_on_is_refused() -> None:
    @task(retry_on=[PaymentFailed])
    def pay() -> str:
        return "ok"

    assert pay.options.retries == 3
    with pytest.raises(FlowDefinitionError, match="retry_on is set but retries=0"):
        task(retries=0, retry_on=[PaymentFailed])(lambda: None)
    # Outside a flow a task is its function; upstream_tasks is a flow-building argument.
    assert pay(upstream_tasks=[]) == "ok"


def test_dead_results_are_dropped_so_a_chain_document_stays_small() -> None:
    with Flow("chain") as f:
        x = double(1)
        for _ in range(50):
            x = double(x)
    run = f.run(clock="virtual")
    assert run.state == "SUCCEEDED"
    assert run.execution.output["results"] == {"double_51": {"value": 2**51}}
    sizes = [len(e.details["output"]) for e in run.events if e.type == "TaskStateExited"]
    assert max(sizes) == sizes[-1] < 200  # no growth along the chain


def test_parallel_join_keeps_only_results_read_later() -> None:
    with Flow("fan") as f:
        a = extract()
        b = double(1)
        c = double(2)
        total(pair(b, c), label=a)
    par = f.asl()["States"]["Parallel 1"]
    # b and c are read inside the second branch only; after the join just extract and pair are.
    assert par["ResultSelector"]["results"] == {
        "extract.$": "$[0].results.extract",
        "pair.$": "$[1].results.pair",
    }
