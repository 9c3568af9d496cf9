"""What an invocation is about, read from its payload: what logs, metrics and traces report."""

from __future__ import annotations

import pytest

from orchestrator.contract import RESULTS_BUCKET_ENV, RESULTS_PREFIX_ENV
from orchestrator.runtime.invocation import Invocation, state_machine_name
from orchestrator.runtime.results import S3ResultStore, UnknownFlowError, store_from_env

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:etl:run-1"


@pytest.mark.parametrize(
    ("arn", "machine"),
    [
        (EXECUTION, "etl"),
        ("arn:aws-cn:states:cn-north-1:123456789012:execution:etl:run-1", "etl"),
        ("arn:aws:states:us-east-1:123456789012:express:etl:run-1:0a1b2c", "etl"),
        # A Distributed Map child execution: `<machine>/<map run label>`.
        ("arn:aws:states:us-east-1:123456789012:execution:etl/shards:6f1d0c2e", "etl"),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:etl", None),
        ("arn:execution:a", None),
        ("", None),
        (None, None),
    ],
)
def test_state_machine_from_the_execution_arn(arn: str | None, machine: str | None) -> None:
    assert state_machine_name(arn) == machine


def test_log_keys_leave_out_what_the_payload_lacks() -> None:
    full = Invocation.from_event(
        {
            "task": "clean_2",
            "context": {
                "execution_id": EXECUTION,
                "state": "clean_2 item",
                "retry_count": "3",
                "map_index": 7,
            },
        },
        default_task="clean",
    )
    assert full.log_keys() == {
        "state_machine": "etl",
        "task": "clean_2",
        "state": "clean_2 item",
        "attempt": 3,
        "map_index": 7,
    }
    bare = Invocation.from_event(["not", "a", "payload"], default_task="clean")
    assert bare.log_keys() == {"task": "clean"}
    assert bare.execution_id is None and bare.state_machine is None


def test_results_go_under_the_payloads_flow_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    # The flow comes from the payload (`context.flow`), never from the state machine's name,
    # which CloudFormation generates (`<LogicalId>-<suffix>`) and which says nothing here.
    monkeypatch.setenv(RESULTS_BUCKET_ENV, "results")
    monkeypatch.setenv(RESULTS_PREFIX_ENV, "checkout/,etl/")
    for flow, prefix in (("etl", "etl/"), ("checkout", "checkout/")):
        store = store_from_env(flow)
        assert isinstance(store, S3ResultStore) and store.prefix == prefix
    with pytest.raises(UnknownFlowError, match="names no flow"):
        store_from_env(None)  # a shared function cannot guess
    with pytest.raises(UnknownFlowError, match="not among this function's flows"):
        store_from_env("billing")
    monkeypatch.setenv(RESULTS_PREFIX_ENV, "etl/")
    single = store_from_env(None)  # a hand-made event to a single-flow function
    assert isinstance(single, S3ResultStore) and single.prefix == "etl/"
