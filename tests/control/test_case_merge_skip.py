"""SKIP, skip_on_upstream_skip, case and merge: on the local engine and in moto, the same states.

Expected states follow Prefect 1.x's docs: a task raising SKIP ends Skipped (a success), tasks
downstream of it are skipped unless `skip_on_upstream_skip=False` (they then get None for the
skipped result); a task in `case(c, v)` is skipped when c's result is not v; `merge` returns the
first result of a branch that was not skipped.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from orchestrator import SKIP, Flow, Parameter, case, merge, task
from orchestrator.errors import FlowDefinitionError
from orchestrator.local import FlowRun, run_flow
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions
from tests.control.states import moto_task_states


@pytest.fixture(scope="module")
def moto_sfn() -> Any:
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn


def both(sfn: MotoStepFunctions, flow: Flow, params: dict[str, Any]) -> tuple[FlowRun, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), params, clock="virtual", store=False)
        remote = run_flow_in_moto(sfn, flow, params)
    assert moto_task_states(flow, remote) == {t.id: t.state for t in local.task_runs.values()}
    assert remote.status == local.state
    # run_flow_in_moto reads like flow.run(): the result, and per task its state and attempts.
    assert remote.state == local.state and remote.result == local.result
    assert {k: (t.state, t.attempts, t.error) for k, t in remote.task_runs.items()} == {
        k: (t.state, t.attempts, t.error) for k, t in local.task_runs.items()
    }
    return local, remote


@task
def check(n: int) -> str:
    return "big" if n > 10 else "small"


@task
def maybe_skip(n: int) -> int:
    if n == 0:
        raise SKIP("nothing to process")
    return n


@task
def double(x: int) -> int:
    return 2 * x


@task(skip_on_upstream_skip=False)
def report(x: int | None) -> str:
    return "nothing" if x is None else f"got {x}"


@task
def big(n: int) -> str:
    return f"big {n}"


@task
def small(n: int) -> str:
    return f"small {n}"


@task
def announce(text: str) -> str:
    return text.upper()


with Flow("skips") as skips:
    n = Parameter("n", default=0)
    value = maybe_skip(n)
    doubled = double(value)
    after_doubled = double(doubled)
    reported = report(value)


with Flow("branches") as branches:
    n = Parameter("n", default=3)
    size = check(n)
    with case(size, "big"):
        b = big(n)
    with case(size, "small"):
        s = small(n)
    chosen = merge(b, s)
    announce(chosen)


def test_skip_ends_the_task_skipped_and_skips_downstream(moto_sfn: MotoStepFunctions) -> None:
    local, remote = both(moto_sfn, skips, {"n": 0})
    states = {t.id: t.state for t in local.task_runs.values()}
    assert states == {
        "maybe_skip": "SKIPPED",
        "double": "SKIPPED",
        "double_2": "SKIPPED",
        "report": "SUCCEEDED",
    }
    assert local.state == "SUCCEEDED"  # Skipped is a success
    assert local.task_runs["report"].result == "nothing"
    assert local.task_runs["maybe_skip"].cause == "nothing to process"


def test_without_a_skip_everything_runs(moto_sfn: MotoStepFunctions) -> None:
    local, _ = both(moto_sfn, skips, {"n": 4})
    assert all(t.state == "SUCCEEDED" for t in local.task_runs.values())
    assert local.task_runs["report"].result == "got 4"


@pytest.mark.parametrize(
    ("n", "taken", "skipped", "said"),
    [(3, "small", "big", "SMALL 3"), (30, "big", "small", "BIG 30")],
)
def test_case_runs_one_branch_and_merge_takes_it(
    moto_sfn: MotoStepFunctions, n: int, taken: str, skipped: str, said: str
) -> None:
    local, remote = both(moto_sfn, branches, {"n": n})
    runs = {t.task: t for t in local.task_runs.values()}
    assert runs[taken].state == "SUCCEEDED"
    assert runs[skipped].state == "SKIPPED"
    assert runs["merge"].state == "SUCCEEDED"
    assert runs["announce"].result == said
    assert local.state == remote.status == "SUCCEEDED"


def test_case_compiles_to_a_choice() -> None:
    asl = branches.plan().asl
    gate = asl["States"]["Parallel 1"]["Branches"][0]["States"]["big gate"]
    assert gate["Type"] == "Choice"
    rule = gate["Choices"][-1]
    assert rule["Not"]["And"][1] == {
        "Variable": "$.results.check.value",
        "StringEquals": "big",
    }


def test_a_skip_the_state_machine_cannot_carry_fails_with_a_clear_error() -> None:
    @task
    def listing(n: int) -> list[int]:
        raise SKIP("no items today")

    @task
    def each(x: int) -> int:
        return x

    with Flow("skip_into_map") as flow:
        each.map(listing(Parameter("n", default=1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
    assert (run.state, run.error) == ("FAILED", "MarkerNotCompiled")
    assert "return a value instead of raising SKIP" in (run.cause or "")


def test_case_refuses_a_value_a_choice_cannot_compare() -> None:
    with pytest.raises(FlowDefinitionError, match="compares with a dict"):
        with Flow("bad_case"):
            with case(check(1), {"a": 1}):
                pass


def test_a_fraction_over_a_mapped_upstream_is_refused() -> None:
    from orchestrator import some_failed

    @task(trigger=some_failed(at_most=0.5))
    def tolerate(xs: list[int]) -> int:
        return 1

    with Flow("fraction") as flow:
        tolerate(double.map([1, 2]))
    with pytest.raises(FlowDefinitionError, match="fraction.*count of tasks"):
        flow.plan()


def test_a_trigger_that_reads_a_part_of_a_failed_result_ends_trigger_failed() -> None:
    from orchestrator import any_failed

    @task
    def charge() -> dict[str, str]:
        raise ValueError("declined")

    @task(trigger=any_failed)
    def void(charge_id: str | None) -> str:
        return "voided"

    with Flow("part_of_failed") as flow:
        void(charge()["id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
    assert run.task_runs["void"].state == "TRIGGER_FAILED"
    assert run.task_runs["void"].error == "ValueError"  # the failure that made it fail
    assert (run.state, run.error) == ("FAILED", "ValueError")
