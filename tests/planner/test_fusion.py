"""Map fusion (planner/fusion.py): `b.map(a.map(xs))` compiles to one Map running a then b."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator import Flow, flow, task, unmapped
from orchestrator.deploy.validate import statelint_problems
from orchestrator.planner.fusion import contract, fusion_of
from orchestrator.testing.moto import MotoStepFunctions
from orchestrator.triggers import all_finished
from tests.planner.test_moto_accepts_random_flows import substituted


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def config() -> int:
    return 3


@task
def count_from(k: int, n: int) -> list[int]:
    return list(range(k, k + n))


@task(retries=2, timeout=30, expected_items=10)
def inc(x: int) -> int:
    return x + 1


@task(timeout=45)
def scale(y: int, k: int) -> int:
    return y * k


@task
def show(z: int) -> str:
    return str(z)


@task
def total(xs: list[Any]) -> int:
    return len(xs)


@task(max_concurrency=5)
def narrow(x: int) -> int:
    return x


@task(distributed=True)
def far(x: int) -> int:
    return x


@task(distributed=True)
def far_too(x: int) -> int:
    return x


@task(tolerated_failure_count=2)
def tolerant(x: int) -> int:
    return x


@task(trigger=all_finished)
def finished(x: int) -> int:
    return x


def states_of(asl: dict[str, Any]) -> dict[str, Any]:
    """Every top-level state, and those inside Parallel branches."""
    out: dict[str, Any] = {}
    pending = [asl]
    while pending:
        machine = pending.pop()
        for name, state in machine["States"].items():
            out[name] = state
            pending.extend(state.get("Branches", []))
    return out


def maps_of(asl: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in states_of(asl).items() if v["Type"] == "Map"}


@flow(name="fused-chain")
def fused_chain(n: int = 4):  # type: ignore[no-untyped-def]
    k = config()  # upstream of the first map: ready before the fused Map starts
    return total(show.map(scale.map(inc.map(count_from(k, n)), unmapped(k))))


def test_a_chain_of_three_maps_is_one_map_running_each_task_in_turn() -> None:
    asl = fused_chain.asl()
    maps = maps_of(asl)
    assert list(maps) == ["show"]
    processor = maps["show"]["ItemProcessor"]
    assert processor["StartAt"] == "inc item"
    states = processor["States"]
    assert list(states) == ["inc item", "scale item", "show item"]
    assert states["inc item"]["Next"] == "scale item"
    assert states["scale item"]["Next"] == "show item"
    assert states["show item"]["End"] is True and states["show item"]["OutputPath"] == "$.Payload"
    # Each task keeps its own options: function, Retry, TimeoutSeconds.
    assert states["inc item"]["TimeoutSeconds"] == 30
    assert states["inc item"]["Retry"][-1]["MaxAttempts"] == 2
    assert states["scale item"]["TimeoutSeconds"] == 45
    assert len(states["scale item"]["Retry"]) == 1  # only Lambda's transient errors
    assert states["scale item"]["Parameters"]["FunctionName"] == "${ScaleFunctionArn}"
    # An inner result replaces the previous one in the iteration; the next task reads it.
    assert states["inc item"]["ResultSelector"] == {"inc": {"value.$": "$.Payload"}}
    assert states["inc item"]["ResultPath"] == "$.results"
    payload = states["scale item"]["Parameters"]["Payload"]
    assert payload["inputs"] == {"y.$": "$.results.inc.value", "k.$": "$.carried.scale.k"}
    # The unmapped task result is carried into every iteration by the ItemSelector.
    selector = maps["show"]["ItemSelector"]
    assert selector["carried"] == {"scale": {"k.$": "$.results.config.value"}}
    assert states["show item"]["Parameters"]["Payload"]["inputs"] == {
        "z.$": "$.results.scale.value"
    }
    # The Map's value is the last task's list, where the next task reads it.
    assert maps["show"]["ResultSelector"] == {"show": {"value.$": "$"}}
    plan = fused_chain.plan()
    assert any(
        line.startswith("inc → scale → show: fused into one Map state ('show')")
        for line in plan.maps
    )


def test_a_fused_chain_waits_for_its_unmapped_results_and_keeps_the_critical_path() -> None:
    deps = {"config": [], "count_from": ["config"], "inc": ["count_from"]}
    deps |= {"scale": ["inc", "config"], "show": ["scale"], "total": ["show"]}
    fusion = fusion_of(fused_chain.graph)
    assert fusion.chains == {"show": ("inc", "scale", "show")}
    assert fusion.inner == {"inc": "show", "scale": "show"}
    order, contracted = contract(list(deps), deps, fusion)
    assert order == ["config", "count_from", "show", "total"]
    assert contracted["show"] == ["count_from", "config"]


def test_the_fused_machine_passes_statelint_and_moto_creates_it() -> None:
    with Flow("fused-distributed") as distributed_flow:
        far_too.map(far.map(numbers(3)))
    fusion = fusion_of(distributed_flow.graph)
    assert fusion.chains == {"far_too": ("far", "far_too")}
    for asl in (fused_chain.asl(), distributed_flow.asl()):
        assert statelint_problems(json.loads(json.dumps(asl))) == []
    with MotoStepFunctions() as sfn:
        for i, f in enumerate((fused_chain, distributed_flow)):
            text = substituted(json.dumps(f.asl()), sfn.results_bucket)
            created = sfn.sfn.create_state_machine(
                name=f"fused-{i}", definition=text, roleArn=sfn.role_arn
            )
            assert created["stateMachineArn"]


def test_a_distributed_chain_reads_the_first_items_and_exports_the_last_results() -> None:
    with Flow("fused-distributed") as f:
        total(far_too.map(far.map(numbers(3))))
    maps = maps_of(f.asl())
    assert list(maps) == ["far_too"]
    state = maps["far_too"]
    assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert state["ItemReader"]["Parameters"]["Key.$"] == "$.results.numbers.value.key"
    assert state["ResultWriter"]["Parameters"]["Prefix"].endswith("/maps/far_too")
    assert list(state["ItemProcessor"]["States"]) == ["far item", "far_too item"]
    lines = f.plan().maps
    assert (
        "far: Distributed Map, because distributed=True; runs inside the fused Map 'far_too'"
        in (lines)
    )


def refusal(build: Any, task_id: str) -> str:
    with Flow("refused") as f:
        build()
    fusion = fusion_of(f.graph)
    assert task_id not in fusion.chains
    line = next(line for line in f.plan().maps if "not fused" in line)
    assert fusion.refused[task_id] in line
    return fusion.refused[task_id]


def test_a_list_read_whole_elsewhere_keeps_its_own_map() -> None:
    def build() -> None:
        incs = inc.map([1, 2])
        show.map(incs)
        total(incs)

    assert "inc's list is also read whole elsewhere" in refusal(build, "show")
    with Flow("returned") as f:
        incs = inc.map([1, 2])
        show.map(incs)
    assert fusion_of(f.graph).chains == {"show": ("inc", "show")}  # a final result: not read

    @flow(name="returns-the-inner-list")
    def returns():  # type: ignore[no-untyped-def]
        incs = inc.map([1, 2])
        show.map(incs)
        return incs

    assert "the flow returns inc's list" in fusion_of(returns.graph).refused["show"]
    assert len(maps_of(returns.asl())) == 2


@pytest.mark.parametrize(
    ("build", "task_id", "why"),
    [
        (
            lambda: narrow.map(inc.map([1, 2])),
            "narrow",
            "MaxConcurrency differs (inc: 40, narrow: 5)",
        ),
        (
            lambda: far.map(inc.map([1, 2])),
            "far",
            "inc is an inline Map and it is a Distributed Map",
        ),
        (
            lambda: tolerant.map(far.map([1, 2])),
            "tolerant",
            "tolerant sets tolerated_failure_count",
        ),
        (lambda: scale.map(inc.map([1, 2]), inc.map([3, 4])), "scale", "it zips 2 lists"),
        (
            lambda: show.map(scale.map(inc.map([1, 2]), unmapped(config()))),
            "scale",
            "from 'config'",
        ),
        (lambda: finished.map(inc.map([1, 2])), "finished", "the flow has triggers"),
        (lambda: show.map(inc.map([1, 2]), upstream_tasks=[config()]), "show", "order-only"),
    ],
)
def test_maps_that_cannot_fuse_stay_apart_and_the_plan_says_why(
    build: Any, task_id: str, why: str
) -> None:
    assert why in refusal(build, task_id)
