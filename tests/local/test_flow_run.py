"""`flow.run()`: the compiled ASL, run locally, tasks invoked through the runtime handler."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from functions.dynamic_shards import dynamic_shards, get_data_shards, process_shard
from orchestrator import Flow, Parameter, ParameterError, exponential_backoff, flow, task
from orchestrator.local import default_store, flowrun
from orchestrator.local.store import RunStore


class PaymentFailed(Exception):
    pass


ATTEMPTS: list[str] = []


@task(retries=5, retry_delay=exponential_backoff(60))
def always_down() -> None:
    ATTEMPTS.append("down")
    raise ConnectionError("service unavailable")


@task(retries=2, retry_on=[PaymentFailed])
def charge(amount: int) -> str:
    ATTEMPTS.append("charge")
    raise PaymentFailed(f"card declined for {amount}")


@task(retries=3)
def wrong_type() -> None:
    ATTEMPTS.append("wrong")
    raise KeyError("not retried? it is: retries cover every error")


@task(timeout=1)
def hangs() -> str:
    time.sleep(60)
    return "too late"


@task
def add(x: int, y: int) -> int:
    return x + y


def test_dynamic_shards_runs_the_compiled_machine_and_returns_the_flow_result() -> None:
    run = dynamic_shards.run(seed=7, clock="virtual")
    assert run.state == "SUCCEEDED"
    shards = get_data_shards.fn(7)
    assert run.result["shards"] == len(shards)
    assert run.result["records"] == sum(process_shard.fn(s)["records"] for s in shards)
    mapped = run.task_runs["process_shard"]
    assert mapped.state == "SUCCEEDED"
    assert mapped.iterations == len(shards) and mapped.attempts == len(shards)
    assert run.task_runs["get_data_shards"].attempts == 1
    assert run.task_runs["get_data_shards"].duration is not None


def test_virtual_clock_records_exponential_backoff_without_sleeping() -> None:
    ATTEMPTS.clear()
    with Flow("backoff") as f:
        always_down()
    started = time.perf_counter()
    run = f.run(clock="virtual")
    assert time.perf_counter() - started < 60  # 1,860 s of backoff, recorded not slept
    assert run.state == "FAILED"
    assert run.error == "ConnectionError"
    assert len(ATTEMPTS) == 6
    assert [d for _, d in run.delays()] == [60, 120, 240, 480, 960]
    assert run.task_runs["always_down"].attempts == 6
    assert run.task_runs["always_down"].state == "FAILED"


def test_retry_on_matches_the_exception_class_name() -> None:
    ATTEMPTS.clear()
    with Flow("pay") as f:
        charge(10)
    run = f.run(clock="virtual")
    assert run.state == "FAILED" and run.error == "PaymentFailed"
    assert "card declined for 10" in (run.cause or "")
    assert ATTEMPTS == ["charge"] * 3


def test_timeout_fails_the_task_with_states_timeout_after_about_a_second() -> None:
    with Flow("hang") as f:
        hangs()
    started = time.perf_counter()
    run = f.run()
    elapsed = time.perf_counter() - started
    assert run.state == "FAILED"
    assert run.error == "States.Timeout"
    assert run.task_runs["hangs"].state == "TIMED_OUT"
    assert elapsed < 30  # the 60 s call was abandoned at 1 s


def test_parameters_defaults_overrides_and_errors() -> None:
    @flow
    def adder(x: int, y: int = 2):
        return add(x, y)

    assert adder.run(x=1, clock="virtual").result == 3
    assert adder.run(x=1, y=5, clock="virtual").result == 6
    with pytest.raises(ParameterError, match="needs parameter 'x'"):
        adder.run()
    with pytest.raises(ParameterError, match="no parameter 'z'"):
        adder.run(x=1, z=3)


def test_with_flow_result_is_every_task_result_and_runs_are_stored() -> None:
    with Flow("store me") as f:
        n = Parameter("n", default=1)
        add(add(n, 1), 10)
    run = f.run(clock="virtual")
    assert run.result == {"add": 2, "add_2": 12}
    assert run.task_runs["add"].result == 2
    # The state document itself keeps only what is still needed: the final result.
    assert run.execution.output["results"] == {"add_2": {"value": 12}}
    store: RunStore = default_store()
    try:
        stored = store.get(run.run_id)
    finally:
        store.close()
    assert stored.status == "SUCCEEDED"
    assert [e.type for e in stored.events] == [e.type for e in run.events]
    assert stored.events[0].type == "ExecutionStarted"
    assert stored.events[-1].type == "ExecutionSucceeded"


def test_calling_a_flow_like_a_function_says_how_to_run_it() -> None:
    with pytest.raises(TypeError, match=r"\.run\(\*\*params\)"):
        dynamic_shards(seed=1)


def test_a_graph_summarised_again_reads_the_same_and_its_layout_is_kept() -> None:
    with Flow("summarised twice") as f:
        add(add(1, 1), 10)
    first = f.run(clock="virtual")
    graph = f.graph
    layout = flowrun._layout_of(graph)
    assert flowrun._layout_of(graph) is layout  # computed once per graph
    again = flowrun.task_runs(graph, first.execution)
    assert again == first.task_runs
    copy = replace(graph)  # an equal graph, another object: its own layout, the same summary
    assert flowrun._layout_of(copy) is not layout
    assert flowrun.task_runs(copy, first.execution) == first.task_runs


def test_task_runs_and_the_result_are_folded_from_the_history_when_first_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """flow.run() returns without folding the history; the first read folds it, once, into
    what an eager fold of the same history gives."""
    with Flow("lazy fold") as lazy:
        add(add(1, 2), 4)
    folds: list[int] = []
    real = flowrun.task_runs_of

    def counted(graph, events):  # type: ignore[no-untyped-def]
        folds.append(len(events))
        return real(graph, events)

    monkeypatch.setattr(flowrun, "task_runs_of", counted)
    run = lazy.run()
    assert run.succeeded and folds == []
    # A `with Flow` block returns nothing: its result is every task's value, from the history.
    assert run.result == {"add": 3, "add_2": 7}
    assert folds == [len(run.events)]
    assert {k: (r.state, r.result) for k, r in run.task_runs.items()} == {
        k: (r.state, r.result) for k, r in real(lazy.graph, run.events).items()
    }
    assert folds == [len(run.events)]  # folded once
