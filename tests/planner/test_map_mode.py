"""The planner picks each map's mode and data path: inline for a short known list, distributed
(results exported to S3, items read from S3) otherwise; `distributed=` forces it."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import Flow, FlowDefinitionError, flow, task, unmapped
from orchestrator.graph.map_mode import inline_capacity
from orchestrator.options import TaskOptions
from orchestrator.triggers import all_finished


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task(expected_items=100)
def double_few(x: int) -> int:
    return 2 * x


@task(expected_items=50_000)
def double_many(x: int) -> int:
    return 2 * x


@task(distributed=True)
def double_distributed(x: int) -> int:
    return 2 * x


@task(distributed=False)
def double_inline(x: int) -> int:
    return 2 * x


@task(tolerated_failure_percentage=5)
def double_tolerant(x: int) -> int:
    return 2 * x


@task(batch_size=100)
def double_batched(x: int) -> int:
    return 2 * x


def mode(f: Flow, task_id: str) -> tuple[bool, str]:
    node = next(n for n in f.graph.nodes if n.id == task_id)
    return bool(node.options.distributed), node.map_reason


def states_of(asl: dict[str, Any]) -> dict[str, Any]:
    """Every state by name, inside Parallel branches too."""
    out: dict[str, Any] = {}
    for name, state in asl["States"].items():
        out[name] = state
        for branch in state.get("Branches", []):
            out.update(states_of(branch))
    return out


def stored_value(state: dict[str, Any], task_id: str) -> Any:
    selector = state["ResultSelector"]
    return selector[task_id]["value"] if task_id in selector else selector["value"]


def processor_mode(state: dict[str, Any]) -> str:
    return str(state["ItemProcessor"]["ProcessorConfig"]["Mode"])


def test_the_inline_capacity_is_the_smaller_of_the_history_and_the_data_budget() -> None:
    # 25,000 events (AWS's Standard-execution quota), half for the map, 7 events an item;
    # 128 KiB of the state document for 128-byte references.
    assert inline_capacity(TaskOptions(name="t")) == min(25_000 // 2 // 7, 131_072 // 128) == 1024
    assert inline_capacity(TaskOptions(name="t", retries=3)) == 25_000 // 2 // (7 * 4) == 446


def test_a_short_literal_list_is_an_inline_map() -> None:
    with Flow("literal") as f:
        double.map([1, 2, 3])
    distributed, reason = mode(f, "double")
    assert not distributed and reason == "3 items fit an inline Map (at most 1,024)"
    assert processor_mode(f.asl()["States"]["double"]) == "INLINE"


def test_a_long_literal_list_is_a_distributed_map() -> None:
    with Flow("long-literal") as f:
        double.map(list(range(2000)))
    distributed, reason = mode(f, "double")
    assert distributed and reason == "2,000 items are more than an inline Map holds (1,024)"


def test_a_task_result_of_unknown_length_is_a_distributed_map_read_from_s3() -> None:
    with Flow("unknown") as f:
        total(double.map(numbers(10)))
    distributed, reason = mode(f, "double")
    assert distributed and "known only at run time" in reason
    states = f.asl()["States"]
    producer = states["numbers"]["Parameters"]["Payload"]
    assert producer["store"] is True and "offload" not in producer
    state = states["double"]
    assert processor_mode(state) == "DISTRIBUTED"
    assert state["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] == "STANDARD"
    # The shape the AWS guide documents for a JSON array in S3 ("ItemReader (Map)").
    assert state["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {
            "Bucket.$": "$.results.numbers.value.bucket",
            "Key.$": "$.results.numbers.value.key",
        },
    }
    assert "ItemsPath" not in state
    # ... and the export the guide documents ("ResultWriter (Map)", exporting to Amazon S3).
    assert state["ResultWriter"] == {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "${ResultsBucketName}", "Prefix": "unknown/maps/double"},
    }
    ref = stored_value(state, "double")
    assert ref["__orchestrator_ref__.$"] == (
        "States.Format('s3://{}/{}', $.ResultWriterDetails.Bucket, $.ResultWriterDetails.Key)"
    )
    # <Prefix>/<map run id>/manifest.json: the run id is the 4th '/'-separated part; the
    # succeeded children's files, SUCCEEDED_0.json, SUCCEEDED_1.json ... if any, start with
    # <Prefix>/<map run id>/SUCCEEDED_.
    assert ref["prefix.$"] == (
        "States.Format('unknown/maps/double/{}/SUCCEEDED_', "
        "States.ArrayGetItem(States.StringSplit($.ResultWriterDetails.Key, '/'), 3))"
    )


def test_a_hint_within_the_capacity_is_an_inline_map_whose_items_share_the_offload_limit() -> None:
    with Flow("hinted") as f:
        total(double_few.map(numbers(10)))
    distributed, reason = mode(f, "double_few")
    assert not distributed and reason == "100 items fit an inline Map (at most 1,024)"
    states = f.asl()["States"]
    state = states["double_few"]
    assert processor_mode(state) == "INLINE"
    assert state["ItemsPath"] == "$.results.numbers.value"
    assert states["numbers"]["Parameters"]["Payload"]["offload"] is False
    assert state["ItemSelector"]["size.$"] == "States.ArrayLength($.results.numbers.value)"
    item = state["ItemProcessor"]["States"]["double_few item"]
    assert item["Parameters"]["Payload"]["context"]["map_size.$"] == "$.size"
    assert "ResultWriter" not in state and "ItemReader" not in state


def test_a_hint_over_the_capacity_is_a_distributed_map() -> None:
    with Flow("hinted-many") as f:
        double_many.map(numbers(10))
    distributed, reason = mode(f, "double_many")
    assert distributed and reason == "50,000 items are more than an inline Map holds (1,024)"


def test_distributed_forces_either_mode() -> None:
    with Flow("forced") as f:
        double_distributed.map([1, 2])
        double_inline.map(numbers(10))
    assert mode(f, "double_distributed") == (True, "distributed=True")
    assert mode(f, "double_inline") == (False, "distributed=False")


def test_distributed_map_options_compile_to_their_fields() -> None:
    with Flow("options") as f:
        double_tolerant.map(numbers(10))
        double_batched.map(numbers(10))
    states = states_of(f.asl())
    assert states["double_tolerant"]["ToleratedFailurePercentage"] == 5.0
    assert states["double_batched"]["ItemBatcher"] == {"MaxItemsPerBatch": 100}
    item = states["double_batched"]["ItemProcessor"]["States"]["double_batched item"]
    assert item["Parameters"]["Payload"]["batch.$"] == "$.Items"
    assert stored_value(states["double_batched"], "double_batched")["map_results"] == "batches"
    assert mode(f, "double_tolerant") == (
        True,
        "tolerated_failure_percentage is a Distributed Map's",
    )


def test_a_map_over_a_distributed_maps_results_reads_its_export() -> None:
    with Flow("chained") as f:
        doubled = double_distributed.map(numbers(10))
        double.map(doubled)
        total(doubled)  # read whole elsewhere too: not fused (planner/fusion.py)
    distributed, reason = mode(f, "double")
    assert distributed and "results of 'double_distributed'" in reason
    state = states_of(f.asl())["double"]
    # Every object listed under the export's SUCCEEDED_ prefix, each a JSON array of records
    # ("ItemReader (Map)": s3:listObjectsV2 with LOAD_AND_FLATTEN): none when no child
    # succeeded, several when AWS split the file.
    assert state["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
        "Parameters": {
            "Bucket.$": "$.results.double_distributed.value.bucket",
            "Prefix.$": "$.results.double_distributed.value.prefix",
        },
    }
    selector = state["ItemSelector"]
    assert selector["inputs"]["x.$"] == "States.StringToJson($$.Map.Item.Value.Output)"
    assert selector["source.$"] == "$$.Map.Item.Value.Input"


def test_a_map_over_an_inline_map_of_known_size_stays_inline() -> None:
    with Flow("chained-inline") as f:
        double.map(double.map([1, 2, 3]))
    assert [n.options.distributed for n in f.graph.nodes] == [False, False]


def test_forcing_inline_over_a_distributed_maps_results_is_refused() -> None:
    with Flow("refused") as f:
        double_inline.map(double_distributed.map(numbers(3)))
    with pytest.raises(FlowDefinitionError, match="distributed=False, but its items are"):
        f.graph  # noqa: B018


def test_a_zipped_or_path_read_result_stays_in_the_document() -> None:
    @task
    def pairs(n: int) -> dict[str, list[int]]:
        return {"xs": list(range(n))}

    @task
    def add(x: int, y: int) -> int:
        return x + y

    with Flow("in-document") as f:
        got = pairs(3)
        xs = numbers(3)
        add.map(xs, xs)
        double.map(got["xs"])
    states = states_of(f.asl())
    assert states["numbers"]["Parameters"]["Payload"]["offload"] is False
    assert states["pairs"]["Parameters"]["Payload"]["offload"] is False
    for name in ("add", "double"):
        assert "ItemReader" in states[name] or "ItemsPath" in states[name]
        assert "ItemReader" not in states[name]


def test_a_controlled_flow_keeps_its_map_results_in_the_document() -> None:
    @task(trigger=all_finished)
    def report(xs: list[int]) -> int:
        return len(xs)

    with Flow("controlled") as f:
        report(double.map(numbers(3)))
    state = f.asl()["States"]["double"]
    assert processor_mode(state) == "DISTRIBUTED"
    assert "ResultWriter" not in state and "ItemReader" not in state


@pytest.mark.parametrize(
    ("task_", "message"),
    [
        (double_distributed, "a Distributed Map cannot run in an EXPRESS state machine"),
        (double_tolerant, "EXPRESS state machine, and tolerated_failure_percentage"),
        (double_many, r"50,000 items are more than an inline Map holds \(1,024\), and an EXPRESS"),
    ],
)
def test_express_flows_refuse_what_needs_a_distributed_map(task_: Any, message: str) -> None:
    with Flow("fast", type="EXPRESS") as f:
        task_.map(numbers(3))
    with pytest.raises(FlowDefinitionError, match=message):
        f.graph  # noqa: B018


def test_express_flows_map_inline() -> None:
    @flow(name="fast-inline", type="EXPRESS")
    def fast(n: int = 3):
        return double.map(numbers(n))

    assert mode(fast, "double") == (False, "an EXPRESS flow runs inline Maps only")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"expected_items": 0}, "expected_items=0 is not a whole number of at least 1"),
        ({"batch_size": True}, "batch_size=True is not a whole number"),
        ({"tolerated_failure_percentage": 101}, "tolerated_failure_percentage=101 is not a"),
        ({"tolerated_failure_count": -1}, "tolerated_failure_count=-1 is not a whole number"),
        ({"max_concurrency": 10_001}, "max_concurrency=10001 is not a whole number from 0"),
        ({"distributed": "yes"}, "distributed='yes' is not True or False"),
    ],
)
def test_bad_map_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowDefinitionError, match=message):
        task(**options)(lambda x: x)


def test_unmapped_arguments_do_not_stop_an_item_reader() -> None:
    @task
    def scale(x: int, factor: int) -> int:
        return x * factor

    with Flow("unmapped") as f:
        scale.map(numbers(3), factor=unmapped(10))
    state = f.asl()["States"]["scale"]
    assert "ItemReader" in state
    assert state["ItemSelector"]["inputs"]["factor"] == 10


def test_a_map_calls_max_items_is_its_size_hint() -> None:
    with Flow("per-call") as f:
        few = double.map(numbers(10), max_items=50)
        double.map(few)
    first, second = (n for n in f.graph.nodes if n.is_map)
    assert (first.options.distributed, first.map_reason) == (
        False,
        "50 items fit an inline Map (at most 1,024)",
    )
    # The results of an inline map of known size are as many: the next map is inline too.
    assert second.options.distributed is False


def test_max_items_is_an_argument_of_a_task_that_takes_one() -> None:
    @task
    def clip(x: int, max_items: int) -> int:
        return min(x, max_items)

    with Flow("argument") as f:
        clip.map(numbers(3), max_items=unmapped(2))
    node = f.graph.node("clip")
    assert "max_items" in node.inputs and node.options.expected_items is None


def test_a_bad_max_items_is_refused() -> None:
    with Flow("bad-hint"), pytest.raises(FlowDefinitionError, match="max_items=0 is not"):
        double.map(numbers(3), max_items=0)
