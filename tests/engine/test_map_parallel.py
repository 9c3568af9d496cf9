"""Parallel and Map: results, failures, tolerance, concurrency, batching."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from orchestrator.engine import LambdaFunctionError, RealClock
from orchestrator.engine.context_object import MapItemContext
from orchestrator.engine.template import Template

from .conftest import machine, run, task


def pass_branch(result: Any) -> dict[str, Any]:
    return machine(P={"Type": "Pass", "Result": result, "End": True})


def mapped(inner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": machine(I=inner), "End": True, **fields}


def distributed(inner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A Distributed Map: the only kind with ToleratedFailure* and ItemBatcher fields."""
    config = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    spec = mapped(inner, **fields)
    spec["ItemProcessor"] = {**spec["ItemProcessor"], "ProcessorConfig": config}
    return spec


def test_parallel_outputs_in_branch_order_with_result_selector() -> None:
    ex = run(
        machine(
            P={
                "Type": "Parallel",
                "Branches": [pass_branch(1), pass_branch({"b": 2})],
                "ResultSelector": {"first.$": "$[0]", "second.$": "$[1].b"},
                "ResultPath": "$.out",
                "End": True,
            }
        ),
        {"in": True},
    )
    assert ex.output == {"in": True, "out": {"first": 1, "second": 2}}


def test_parallel_branch_failure_is_caught_and_siblings_stop() -> None:
    def invoke(name: str, payload: Any) -> Any:
        if name == "bad":
            raise LambdaFunctionError("Boom", "{}")
        time.sleep(0.3)
        return payload

    ex = run(
        machine(
            P={
                "Type": "Parallel",
                "Branches": [
                    machine(S=task("slow", Next="S2"), S2=task("slow")),
                    machine(B=task("bad")),
                ],
                "Catch": [{"ErrorEquals": ["Boom"], "Next": "H"}],
                "End": True,
            },
            H={"Type": "Pass", "End": True},
        ),
        {},
        invoke,
    )
    assert ex.status == "SUCCEEDED"
    assert ex.output["Error"] == "Boom"
    types = [e.type for e in ex.events]
    assert "ParallelStateFailed" in types
    assert ex.attempts_by_state().get("S2") is None


def test_map_items_path_item_selector_and_context() -> None:
    ex = run(
        machine(
            M=mapped(
                {"Type": "Pass", "End": True},
                ItemsPath="$.xs",
                ItemSelector={"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
                ResultPath="$.out",
            )
        ),
        {"xs": ["a", "b"], "k": 9},
    )
    assert ex.output["out"] == [{"i": 0, "v": "a", "k": 9}, {"i": 1, "v": "b", "k": 9}]


def test_item_selector_fields_with_and_without_the_item_context() -> None:
    """`$.k` and an intrinsic over `$` are the same for every item; `$$.Map.Item.*` and a `$$`
    intrinsic differ per item."""
    ex = run(
        machine(
            M=mapped(
                {"Type": "Pass", "End": True},
                ItemsPath="$.xs",
                ItemSelector={
                    "v.$": "$$.Map.Item.Value",
                    "n.$": "States.ArrayLength($.xs)",
                    "pair.$": "States.Array($.k, $.k)",
                    "ctx.$": "States.Array($$.Map.Item.Index, $$.State.Name)",
                    "deep": {"value.$": "$$.Map.Item.Value.name", "k.$": "$.k"},
                    "fixed": {"k.$": "$.k"},
                },
            )
        ),
        {"xs": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "k": 9},
    )
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == [
        {
            "v": {"name": x},
            "n": 3,
            "pair": [9, 9],
            "ctx": [i, "M"],
            "deep": {"value": x, "k": 9},
            "fixed": {"k": 9},
        }
        for i, x in enumerate("abc")
    ]


def test_a_bound_selector_evaluates_fields_without_context_once() -> None:
    """`Template.bind` (a Map's ItemSelector over the Map's input): the fields that read no
    `$$` are evaluated once and shared by every item's value."""
    selector = Template(
        {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "pair.$": "States.Array($.k, 1)"}
    )
    bound = selector.bind({"k": 9})
    first, second = (bound(MapItemContext(i, v, {})) for i, v in enumerate("ab"))
    assert first == {"v": "a", "i": 0, "pair": [9, 1]}
    assert second == {"v": "b", "i": 1, "pair": [9, 1]}
    assert first["pair"] is second["pair"]
    # Unbound, each evaluation builds its own.
    again = selector.evaluate({"k": 9}, MapItemContext(0, "a", {}))
    assert again == first and again["pair"] is not first["pair"]


@pytest.mark.parametrize(
    ("selector", "path"),
    [
        # Fields are evaluated in order: the first that fails names the error, whether or not
        # it reads the context.
        ({"v.$": "$$.Map.Item.Value.missing", "k.$": "$.missing"}, "$$.Map.Item.Value.missing"),
        ({"k.$": "$.missing", "v.$": "$$.Map.Item.Value.missing"}, "$.missing"),
        ({"v.$": "$$.Map.Item.Value", "k.$": "$.missing"}, "$.missing"),
    ],
)
def test_a_failing_item_selector_field_fails_in_field_order(
    selector: dict[str, str], path: str
) -> None:
    ex = run(
        machine(M=mapped({"Type": "Pass", "End": True}, ItemsPath="$.xs", ItemSelector=selector)),
        {"xs": [{"name": "a"}, {"name": "b"}]},
    )
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert f"The JSONPath '{path}' specified for the field" in (ex.cause or "")


def test_an_item_selector_that_would_fail_is_not_evaluated_for_no_item() -> None:
    """ItemSelector applies to each item (developer guide, "ItemSelector (Map)"): a Map of no
    item evaluates it never, so a path it lacks is no error."""
    ex = run(
        machine(
            M=mapped(
                {"Type": "Pass", "End": True},
                ItemsPath="$.xs",
                ItemSelector={"v.$": "$$.Map.Item.Value", "k.$": "$.missing"},
            )
        ),
        {"xs": []},
    )
    assert ex.status == "SUCCEEDED"
    assert ex.output == []


def test_map_legacy_iterator_and_parameters() -> None:
    ex = run(
        machine(
            M={
                "Type": "Map",
                "Iterator": machine(I={"Type": "Pass", "End": True}),
                "Parameters": {"v.$": "$$.Map.Item.Value"},
                "End": True,
            }
        ),
        [1, 2],
    )
    assert ex.output == [{"v": 1}, {"v": 2}]


def test_map_iteration_failure_fails_the_map_and_counts_attempts() -> None:
    def invoke(name: str, payload: Any) -> Any:
        if payload == 3:
            raise LambdaFunctionError("Bad", "{}")
        return payload

    ex = run(
        machine(M=mapped(task(Retry=[{"ErrorEquals": ["Bad"], "MaxAttempts": 1}]))),
        [1, 2, 3],
        invoke,
    )
    assert ex.status == "FAILED" and ex.error == "Bad"
    assert ex.attempts_by_state()["I"] >= 3


@pytest.mark.parametrize(
    ("fields", "failures", "ok"),
    [
        ({"ToleratedFailureCount": 2}, 2, True),
        ({"ToleratedFailureCount": 1}, 2, False),
        ({"ToleratedFailurePercentage": 50}, 2, True),
        ({"ToleratedFailurePercentage": 49}, 2, False),
    ],
)
def test_map_tolerated_failures(fields: dict[str, Any], failures: int, ok: bool) -> None:
    def invoke(name: str, payload: Any) -> Any:
        if payload < failures:
            raise LambdaFunctionError("Bad", "cause")
        return payload

    ex = run(machine(M=distributed(task(), **fields)), [0, 1, 2, 3], invoke)
    if ok:
        assert ex.status == "SUCCEEDED"
        assert ex.output[failures:] == list(range(failures, 4))
        assert ex.output[0] == {"Error": "Bad", "Cause": "cause"}
    else:
        assert ex.error == "States.ExceedToleratedFailureThreshold"


def test_distributed_map_runs_in_process() -> None:
    processor = {
        **machine(I=task()),
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    }
    ex = run(machine(M={"Type": "Map", "ItemProcessor": processor, "End": True}), [1, 2, 3])
    assert ex.output == [1, 2, 3]
    types = [e.type for e in ex.events]
    assert "MapRunStarted" in types and "MapRunSucceeded" in types


@pytest.mark.parametrize("limit", [1, 3])
def test_max_concurrency_is_honoured(limit: int) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]

    def invoke(name: str, payload: Any) -> Any:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return payload

    ex = run(machine(M=mapped(task(), MaxConcurrency=limit)), list(range(12)), invoke)
    assert ex.output == list(range(12))
    assert peak[0] == limit


def test_unlimited_concurrency_runs_iterations_together() -> None:
    barrier = threading.Barrier(8, timeout=5)

    def invoke(name: str, payload: Any) -> Any:
        barrier.wait()
        return payload

    ex = run(machine(M=mapped(task(), MaxConcurrency=0)), list(range(8)), invoke)
    assert ex.status == "SUCCEEDED"


def test_item_batcher() -> None:
    ex = run(
        machine(
            M=distributed(
                {"Type": "Pass", "End": True},
                ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"tag": "t"}},
            )
        ),
        [1, 2, 3],
    )
    # "ItemBatcher (Map)": each child receives `{"BatchInput": {...}, "Items": [...]}`.
    assert ex.output == [
        {"BatchInput": {"tag": "t"}, "Items": [1, 2]},
        {"BatchInput": {"tag": "t"}, "Items": [3]},
    ]


def test_map_iteration_events() -> None:
    ex = run(machine(M=mapped({"Type": "Pass", "End": True})), ["a"])
    types = [e.type for e in ex.events]
    assert types[1:-1] == [
        "MapStateEntered",
        "MapStateStarted",
        "MapIterationStarted",
        "PassStateEntered",
        "PassStateExited",
        "MapIterationSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
    ]
    assert ex.events[3].details == {"name": "M", "index": 0}


def test_items_path_must_be_an_array() -> None:
    ex = run(machine(M=mapped({"Type": "Pass", "End": True}, ItemsPath="$.x")), {"x": 1})
    assert ex.error == "States.Runtime"


def test_concurrent_lanes_record_ids_and_timestamps_in_one_order() -> None:
    """Events of a Map's concurrent iterations, on the real clock: ids consecutive, previous
    ids earlier, and timestamps never decreasing in id order (AWS's history is one sequence)."""
    ex = run(
        machine(M=mapped(task(), ItemsPath="$.xs", MaxConcurrency=8)),
        {"xs": list(range(200))},
        clock=RealClock(),
    )
    assert ex.status == "SUCCEEDED"
    assert [e.id for e in ex.events] == list(range(1, len(ex.events) + 1))
    assert all(e.previous_event_id < e.id for e in ex.events)
    stamps = [e.timestamp for e in ex.events]
    assert stamps == sorted(stamps)
    assert all(s.tzinfo is not None for s in stamps)
