"""Data at scale in moto: the planner's ASL — stored lists read by an ItemReader, results exported
by a ResultWriter and read back in order by the consumer's handler — runs in moto's executor with
no state document over Step Functions' 256 KiB.

moto runs a Distributed Map child with a Lambda task in about 30 ms here (threads, a boto3 round
trip and an event history per child), and its parser has no ItemBatcher: the flows here map 300
and 1,000 items; `bench/data_scale.py` runs the 20,000-item flow in moto (minutes), and
`tests/conformance/test_moto_map_io.py` a 20,000-item Distributed Map with a Pass processor and
the same ItemReader/ResultWriter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator import flow, task
from orchestrator.engine.spec import MAX_PAYLOAD_BYTES
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoGap, MotoRun, MotoStepFunctions


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions() as harness:
        yield harness


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def largest_document(run: MotoRun) -> int:
    sizes = [0]
    for event in run.events:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for field in ("input", "output"):
                    if isinstance(details.get(field), str):
                        sizes.append(len(details[field].encode("utf-8")))
    return max(sizes)


@task
def item_ids(n: int) -> list[int]:
    return list(range(n))


def label_of(i: int) -> str:
    return f"item-{i:06d}-" + "x" * 30


@task(distributed=True)
def label_each(i: int) -> str:
    return label_of(i)


@task
def check_labels(labels: list[str]) -> int:
    if labels != [label_of(i) for i in range(len(labels))]:
        raise ValueError("the labels are not all there, in order")
    return len(labels)


@flow(name="labels-each-moto")
def labels_each(n: int = 10):
    return check_labels(label_each.map(item_ids(n)))


def test_an_unbatched_distributed_map_runs_in_moto(sfn: MotoStepFunctions) -> None:
    run = run_flow_in_moto(sfn, labels_each, {"n": 300})
    assert run.status == "SUCCEEDED", run.cause
    assert run.result == 300
    assert largest_document(run) < 4096


@task(distributed=True)
def kib(i: int) -> str:
    return f"{i:08d}" + "k" * 1016


@task
def check_kib(values: list[str]) -> int:
    if [int(v[:8]) for v in values] != list(range(len(values))):
        raise ValueError("out of order")
    return sum(len(v) for v in values)


@flow(name="kib-moto")
def kib_map(n: int = 10):
    return check_kib(kib.map(item_ids(n)))


def test_mapped_results_of_1_kib_pass_in_moto(sfn: MotoStepFunctions) -> None:
    run = run_flow_in_moto(sfn, kib_map, {"n": 1000})  # 1 MB of results: over 256 KiB
    assert run.status == "SUCCEEDED", run.cause
    assert run.result == 1000 * 1024
    assert largest_document(run) <= MAX_PAYLOAD_BYTES


@task
def fifty_mb() -> str:
    return "m" * (50 * 1024 * 1024)


@task
def length(text: str) -> int:
    return len(text)


@flow(name="fifty-mb-moto")
def fifty_mb_flow():
    return length(fifty_mb())


def test_a_50_mb_result_passes_by_reference_in_moto(sfn: MotoStepFunctions) -> None:
    run = run_flow_in_moto(sfn, fifty_mb_flow, {})
    assert run.status == "SUCCEEDED", run.cause
    assert run.result == 50 * 1024 * 1024
    assert largest_document(run) < 4096
    stored = run.output["results"]["length"]["value"]
    assert json.dumps(stored) == str(50 * 1024 * 1024)


@task(batch_size=10)
def batched(i: int) -> int:
    return i


@flow(name="batched-moto")
def batched_flow(n: int = 3):
    return batched.map(item_ids(n))


def test_moto_refuses_a_batched_map_clearly(sfn: MotoStepFunctions) -> None:
    with pytest.raises(MotoGap, match="cannot run a Map with an ItemBatcher"):
        run_flow_in_moto(sfn, batched_flow, {"n": 3})
