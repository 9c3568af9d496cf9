"""Compiled flows run in moto's Step Functions executor, Lambdas running the real task handler."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from functions.dynamic_shards import dynamic_shards, get_data_shards, process_shard
from orchestrator import Flow, task
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions(record_sleeps=True) as s:
        yield s


def test_dynamic_shards_flow_succeeds_with_one_iteration_per_shard(sfn) -> None:  # type: ignore[no-untyped-def]
    run = run_flow_in_moto(sfn, dynamic_shards, {"seed": 7})
    assert run.status == "SUCCEEDED", run.cause
    shards = get_data_shards.fn(7)
    results = run.output["results"]
    assert list(results) == ["summarize_shards"]  # the intermediate results were dropped
    processed = [payload["inputs"]["shard"] for _, payload in run.invocations[1:-1]]
    assert sorted(processed) == sorted(shards)
    summary = results["summarize_shards"]["value"]
    assert summary["shards"] == len(shards)
    assert summary["records"] == sum(process_shard.fn(s)["records"] for s in shards)
    assert run.attempts_by_state()["process_shard item"] == len(shards)
    # The parameter default applies when the input leaves it out.
    default = run_flow_in_moto(sfn, dynamic_shards, {})
    assert default.output["params"] == {"seed": 42}


@task
def a() -> str:
    return "a"


@task
def b() -> str:
    return "b"


@task
def c(x: str, y: str) -> str:
    return x + y + "c"


@task
def d(y: str) -> str:
    return y + "d"


def test_n_shaped_dag_succeeds_with_every_dependency_honoured(sfn) -> None:  # type: ignore[no-untyped-def]
    with Flow("N-shape") as n_flow:
        ra, rb = a(), b()
        c(ra, rb)
        d(rb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_flow_in_moto(sfn, n_flow)
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["results"] == {"c": {"value": "abc"}, "d": {"value": "bd"}}
    order = [payload["task"] for _, payload in run.invocations]
    assert order.index("c") > max(order.index("a"), order.index("b"))
    assert order.index("d") > order.index("b")
    assert run.attempts_by_state() == {"a": 1, "b": 1, "c": 1, "d": 1}


CALLS: list[int] = []


@task(retries=2)
def flaky() -> str:
    CALLS.append(1)
    if len(CALLS) < 3:
        raise ConnectionError(f"attempt {len(CALLS)} failed")
    return f"succeeded on attempt {len(CALLS)}"


@task(retries=1)
def always_fails() -> str:
    CALLS.append(1)
    raise ConnectionError("down")


def test_task_failing_twice_succeeds_on_its_third_attempt_under_retries_2(sfn) -> None:  # type: ignore[no-untyped-def]
    CALLS.clear()
    with Flow("flaky") as f:
        flaky()
    run = run_flow_in_moto(sfn, f)
    assert run.status == "SUCCEEDED", run.cause
    assert len(CALLS) == 3
    assert run.output["results"]["flaky"]["value"] == "succeeded on attempt 3"
    assert run.attempts_by_state() == {"flaky": 3}
    assert run.sleeps == [1.0, 1.0]  # IntervalSeconds 1, BackoffRate 1.0


def test_retries_exhausted_fails_with_the_exception_class_as_error(sfn) -> None:  # type: ignore[no-untyped-def]
    CALLS.clear()
    with Flow("down") as f:
        always_fails()
    run = run_flow_in_moto(sfn, f)
    assert run.status == "FAILED"
    assert run.error == "ConnectionError"
    assert "down" in (run.cause or "")
    assert len(CALLS) == 2
