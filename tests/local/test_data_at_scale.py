"""Data at scale, run locally: no state document ever reaches Step Functions' 256 KiB.

Each case asserts the largest `input`/`output` of the execution's history events — what AWS
measures against its quota (256 KiB of UTF-8 per state input or output) — as well as the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator import flow, task
from orchestrator.engine.spec import MAX_PAYLOAD_BYTES
from orchestrator.local.flowrun import FlowRun


def largest_document(run: FlowRun) -> int:
    sizes = [
        len(text.encode("utf-8"))
        for event in run.execution.events
        for key in ("input", "output")
        if isinstance(text := event.details.get(key), str)
    ]
    return max(sizes)


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@task
def item_ids(n: int) -> list[int]:
    return list(range(n))


@task
def label(i: int) -> str:
    return f"item-{i:06d}-" + "x" * 30  # ~50 bytes, as in the report that led to this


@task
def check_labels(labels: list[str]) -> int:
    expected = [f"item-{i:06d}-" + "x" * 30 for i in range(len(labels))]
    if labels != expected:
        raise ValueError("the labels are not all there, in order")
    return len(labels)


@flow(name="labels")
def labels(n: int = 10):
    return check_labels(label.map(item_ids(n)))


def test_a_map_over_20000_items_succeeds_with_every_result_in_order() -> None:
    run = labels.run(n=20_000, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == 20_000
    assert run.task_runs["label"].iterations == 20_000
    # The collected results (~1 MB) never enter a state: the largest document is tiny.
    assert largest_document(run) < 4096


@task
def kib(i: int) -> str:
    return f"{i:08d}" + "k" * 1016  # 1 KiB


@task
def check_kib(values: list[str]) -> int:
    if [int(v[:8]) for v in values] != list(range(len(values))):
        raise ValueError("out of order")
    return sum(len(v) for v in values)


@flow(name="kib-map")
def kib_map(n: int = 10):
    return check_kib(kib.map(item_ids(n)))


def test_10000_mapped_results_of_1_kib_pass() -> None:
    run = kib_map.run(n=10_000, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == 10_000 * 1024
    assert largest_document(run) <= MAX_PAYLOAD_BYTES


@task(expected_items=1000)
def kib_inline(i: int) -> str:
    return f"{i:08d}" + "k" * 1016


@flow(name="kib-inline")
def kib_inline_map(n: int = 10):
    return check_kib(kib_inline.map(item_ids(n)))


def test_an_inline_maps_items_share_the_offload_threshold() -> None:
    # 1,000 results of 1 KiB are 1 MB: each item stores its result above 128 KiB / 1,000.
    run = kib_inline_map.run(n=1000, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == 1000 * 1024
    node = kib_inline_map.graph.node("kib_inline")
    assert node.options.distributed is False
    assert largest_document(run) <= MAX_PAYLOAD_BYTES


@task
def fifty_mb() -> str:
    return "m" * (50 * 1024 * 1024)


@task
def length(text: str) -> int:
    return len(text)


@flow(name="fifty-mb")
def fifty_mb_flow():
    return length(fifty_mb())


def test_a_50_mb_result_passes_by_reference() -> None:
    run = fifty_mb_flow.run(clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == 50 * 1024 * 1024
    assert largest_document(run) < 4096


@task
def part(i: int) -> str:
    return str(i) * (100 * 1024)  # 100 KiB: under the threshold alone, not three together


@task
def join(a: str, b: str, c: str) -> int:
    return len(a) + len(b) + len(c)


@flow(name="three-parts")
def three_parts():
    return join(part(1), part(2), part(3))


def test_results_held_together_share_the_offload_threshold() -> None:
    states = {
        name: state
        for name, state in three_parts.asl()["States"].items()
        if state.get("Type") == "Parallel"
    }
    assert states, "the three parts run in parallel"
    run = three_parts.run(clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == 3 * 100 * 1024
    assert largest_document(run) <= MAX_PAYLOAD_BYTES


@task(distributed=True, tolerated_failure_count=2)
def fragile(i: int) -> int:
    if i in (3, 7):
        raise ValueError(f"item {i} is broken")
    return i


@task
def keep(values: list[Any]) -> list[Any]:
    return values


@flow(name="tolerant")
def tolerant(n: int = 10):
    return keep(fragile.map(item_ids(n)))


def test_tolerated_failures_stand_as_error_and_cause_at_their_place() -> None:
    run = tolerant.run(n=10, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    values = run.result
    assert [v for i, v in enumerate(values) if i not in (3, 7)] == [0, 1, 2, 4, 5, 6, 8, 9]
    assert values[3]["Error"] == "ValueError" and "item 3 is broken" in values[3]["Cause"]


@task(distributed=True, tolerated_failure_count=1)
def less_tolerant(i: int) -> int:
    return fragile.fn(i)


@flow(name="intolerant")
def intolerant(n: int = 10):
    return keep(less_tolerant.map(item_ids(n)))


def test_more_failures_than_tolerated_fail_the_run() -> None:
    run = intolerant.run(n=10, clock="virtual")
    assert run.state == "FAILED"
    assert run.error == "States.ExceedToleratedFailureThreshold"
    assert run.task_runs["keep"].state == "NOT_RUN"


@task(batch_size=7)
def batched(i: int) -> int:
    return i * i


@flow(name="batches")
def batches(n: int = 10):
    return keep(batched.map(item_ids(n)))


def test_a_batched_map_calls_the_task_per_item_and_keeps_the_order() -> None:
    run = batches.run(n=50, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == [i * i for i in range(50)]
    attempts = run.execution.attempts_by_state()
    assert attempts["batched item"] == 8  # ceil(50 / 7) children, one invocation each


@task(distributed=True)
def plus_one(i: int) -> int:
    return i + 1


@task
def shuffle_back(values: list[int]) -> list[int]:
    return values


@flow(name="chained")
def chained(n: int = 10):
    return shuffle_back(plus_one.map(plus_one.map(item_ids(n))))


def test_a_map_over_a_distributed_maps_results_reads_them_from_its_export() -> None:
    run = chained.run(n=30, clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == [i + 2 for i in range(30)]
    assert largest_document(run) < 4096
