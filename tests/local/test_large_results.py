"""Results over the offload limit travel by reference and arrive whole downstream."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws

from orchestrator import Flow, flow, task
from orchestrator.runtime.handler import execute_task
from orchestrator.runtime.results import (
    REF_KEY,
    LocalResultStore,
    S3ResultStore,
    is_ref,
    resolve_refs,
)
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions

BIG = 300_000  # characters: over Step Functions' 256 KiB state limit on its own


@task
def produce(n: int) -> str:
    return "x" * n


@task
def measure(text: str) -> int:
    return len(text)


@task
def rows(n: int) -> list[int]:
    return list(range(n))


@task
def count(item: int) -> int:
    return item


def big_flow() -> Flow:
    with Flow("big") as f:
        measure(produce(BIG))
    return f


def test_a_result_over_256_kib_reaches_the_next_task_by_reference() -> None:
    run = big_flow().run(clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == {"produce": "x" * BIG, "measure": BIG}
    produced = [e for e in run.events if e.type == "TaskSucceeded"][0]
    # The reference, in Lambda's Invoke response (about 1 KB with its HTTP metadata).
    assert REF_KEY in produced.details["output"] and len(produced.details["output"]) < 2000


def test_the_same_flow_runs_in_moto(tmp_path: Any) -> None:
    with MotoStepFunctions() as sfn:
        run = run_flow_in_moto(sfn, big_flow())
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["results"] == {"measure": {"value": BIG}}


def test_a_list_an_inline_map_iterates_stays_inline_and_is_limited_like_aws() -> None:
    inline_count = task(distributed=False)(count.fn)

    @flow
    def fan(n: int = 10):
        return inline_count.map(rows(n))

    asl = fan.asl()
    assert asl["States"]["rows"]["Parameters"]["Payload"]["offload"] is False
    assert fan.run(n=5, clock="virtual").result == [0, 1, 2, 3, 4]
    # 60,000 numbers are over 256 KiB of JSON: Step Functions must read them, so it fails.
    run = fan.run(n=60_000, clock="virtual")
    assert run.state == "FAILED" and run.error == "States.DataLimitExceeded"


def test_a_list_a_distributed_map_reads_is_stored_whatever_its_size() -> None:
    @flow
    def fan(n: int = 10):
        return count.map(rows(n))

    asl = fan.asl()
    assert asl["States"]["rows"]["Parameters"]["Payload"]["store"] is True
    assert fan.run(n=5, clock="virtual").result == [0, 1, 2, 3, 4]


def test_references_inside_lists_and_dicts_are_resolved(tmp_path: Any) -> None:
    store = LocalResultStore(tmp_path)
    uri = store.put("e/t/0.json", json.dumps({"a": [1, 2]}))
    value = {"x": [{REF_KEY: uri, "bytes": 12}, 3]}
    assert resolve_refs(value, store) == {"x": [{"a": [1, 2]}, 3]}


def test_handler_offloads_above_the_limit_and_not_when_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORCHESTRATOR_OFFLOAD_BYTES", "100")
    event: dict[str, Any] = {"task": "produce", "inputs": {"n": 500}, "context": {}}
    assert is_ref(execute_task(produce.fn, event))
    assert execute_task(produce.fn, {**event, "offload": False}) == "x" * 500
    assert execute_task(produce.fn, {**event, "inputs": {"n": 50}}) == "x" * 50


@mock_aws
def test_s3_store_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="results")
    monkeypatch.setenv("ORCHESTRATOR_RESULTS_BUCKET", "results")
    monkeypatch.setenv("ORCHESTRATOR_RESULTS_PREFIX", "other/,big/")
    monkeypatch.setenv("ORCHESTRATOR_OFFLOAD_BYTES", "100")
    # CloudFormation names the machine; the flow comes from the payload, not from that name.
    arn = "arn:aws:states:us-east-1:123456789012:execution:BigStateMachine-Q1W2E3R4T5Y6:run-1"
    context = {"execution_id": arn, "flow": "big"}
    event = {"task": "produce", "inputs": {"n": 500}, "context": context}
    ref = execute_task(produce.fn, event)
    assert ref[REF_KEY] == "s3://results/big/run-1/produce/0.json"  # this flow's prefix
    assert resolve_refs(ref, S3ResultStore("results")) == "x" * 500
    downstream = {"task": "measure", "inputs": {"text": ref}, "context": {}}
    assert execute_task(measure.fn, downstream) == 500


def test_the_local_stores_list_keys_as_s3_matches_a_prefix(tmp_path: Any) -> None:
    """A Distributed Map's ItemReader lists a prefix of the results bucket (`s3:listObjectsV2`):
    the local results folder and `orchestrator exec --objects` answer with the keys of the files
    under it, matching the prefix as S3 does (a part of a name too), nothing outside it."""
    from orchestrator.contract import LOCAL_RESULTS_BUCKET
    from orchestrator.local.lambda_functions import FolderObjects

    store = LocalResultStore(tmp_path / "results")
    for key in ("f/maps/m/run/SUCCEEDED_0.json", "f/maps/m/run/SUCCEEDED_1.json", "f/maps/m/x"):
        store.put_object(LOCAL_RESULTS_BUCKET, key, "[]")
    listed = store.list_keys(LOCAL_RESULTS_BUCKET, "f/maps/m/run/SUCCEEDED_")
    assert sorted(listed) == ["f/maps/m/run/SUCCEEDED_0.json", "f/maps/m/run/SUCCEEDED_1.json"]
    assert store.list_keys(LOCAL_RESULTS_BUCKET, "f/maps/none/") == []
    assert store.list_keys(LOCAL_RESULTS_BUCKET, "../") == []
    with pytest.raises(FileNotFoundError, match="not available in a local run"):
        store.list_keys("another-bucket", "")

    objects = FolderObjects(tmp_path / "objects")
    objects.put_object("b", "p/q.json", "[]")
    objects.put_object("b", "pq.json", "[]")
    objects.put_object("c", "p/r.json", "[]")
    assert sorted(objects.list_keys("b", "p")) == ["p/q.json", "pq.json"]
    assert objects.list_keys("b", "p/") == ["p/q.json"]
    assert objects.list_keys("d", "") == []
