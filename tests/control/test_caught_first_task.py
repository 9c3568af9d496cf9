"""A first task with a Catch builds the state document itself (planner/start.py).

It succeeds: the run enters no state that builds the document. It fails: its Catch leads to
Pass states that build the document a Catch into it would have left — the execution input with
the defaults merged under it, the failure marker in place of the task's value — and the
compensation reads its parameters and the failure from it, on the local engine as in moto. In a
branch of a first Parallel the same holds. An input lacking what the first task reads
(ParameterReadError) is not a failure to compensate: it ends the run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator import Flow, Parameter, any_failed, task
from orchestrator.local import FlowRun, run_flow
from orchestrator.planner.start import START_REASON
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoRun, MotoStepFunctions
from tests.control.states import moto_task_states


@task
def reserve(base: int, n: int) -> int:
    if n < 0:
        raise ValueError(f"cannot reserve {n}")
    return base + n


@task
def count(n: int) -> int:
    return n


@task(trigger=any_failed)
def compensate(cfg: dict[str, Any], n: int, reserved: int | None) -> dict[str, Any]:
    return {"cfg": cfg, "n": n, "reserved": reserved}


def saga(name: str, *, default: bool, parallel: bool = False) -> Flow:
    """reserve → compensate (on its failure); with `parallel`, `count` forks beside them."""
    with Flow(name) as flow:
        cfg = Parameter("cfg", default={"base": 10}) if default else Parameter("cfg")
        n = Parameter("n")
        reserved = reserve(cfg["base"], n)
        if parallel:
            count(n)
        compensate(cfg, n, reserved)
        flow.set_reference_tasks([reserved])
    return flow


WITH_DEFAULT = saga("caught_first_with_default", default=True)
NO_DEFAULT = saga("caught_first_no_default", default=False)
IN_A_BRANCH = saga("caught_first_in_a_branch", default=True, parallel=True)


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions(record_sleeps=True) as s:
        yield s


def both(sfn: MotoStepFunctions, flow: Flow, params: dict[str, Any]) -> tuple[FlowRun, MotoRun]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), params, clock="virtual", store=False)
        return local, run_flow_in_moto(sfn, flow, params)


def local_entered(run: FlowRun) -> list[str]:
    return [e.details["name"] for e in run.events if e.type.endswith("StateEntered")]


def moto_entered(run: MotoRun) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in run.events if e["type"].endswith("Entered")
    ]


def states(run: FlowRun) -> dict[str, str]:
    return {t.task: t.state for t in run.task_runs.values()}


@pytest.mark.parametrize("flow", [WITH_DEFAULT, NO_DEFAULT, IN_A_BRANCH], ids=lambda f: f.name)
def test_the_first_task_builds_the_document_and_no_pass_state_runs_on_success(
    flow: Flow, sfn: MotoStepFunctions
) -> None:
    assert not [r for r in flow.plan().control if r.startswith(START_REASON)]
    local, aws = both(sfn, flow, {"cfg": {"base": 1}, "n": 2})
    assert local.state == aws.status == "SUCCEEDED", aws.cause
    assert local.task_runs["reserve"].result == 3
    assert states(local) == moto_task_states(flow, aws)
    building = {"Start", "Defaults", "reserve failed: defaults", "reserve failed"}
    for entered in (local_entered(local), moto_entered(aws)):
        assert "reserve" in entered and not building & set(entered)


@pytest.mark.parametrize(
    ("flow", "params", "cfg", "path"),
    [
        # The input's parameters with the defaults merged under them, as Defaults/Start did.
        (WITH_DEFAULT, {"n": -1}, {"base": 10}, ["reserve failed: defaults", "reserve failed"]),
        (WITH_DEFAULT, {"n": -1, "cfg": {"base": 5}}, {"base": 5}, None),
        (NO_DEFAULT, {"n": -1, "cfg": {"base": 5}}, {"base": 5}, ["reserve failed"]),
        (IN_A_BRANCH, {"n": -1}, {"base": 10}, ["reserve failed: defaults", "reserve failed"]),
    ],
    ids=["default", "given", "no default", "in a branch"],
)
def test_a_failed_first_task_is_compensated_from_the_document_with_its_failure(
    flow: Flow,
    params: dict[str, Any],
    cfg: dict[str, Any],
    path: list[str] | None,
    sfn: MotoStepFunctions,
) -> None:
    local, aws = both(sfn, flow, params)
    assert (local.state, local.error) == (aws.status, aws.error) == ("FAILED", "ValueError")
    assert states(local) == moto_task_states(flow, aws)
    assert local.task_runs["reserve"].state == "FAILED"
    assert local.task_runs["reserve"].error == "ValueError"
    assert "cannot reserve -1" in (local.task_runs["reserve"].cause or "")
    assert local.task_runs["compensate"].result == {"cfg": cfg, "n": -1, "reserved": None}
    # In moto too: the parameters, and the failure marker (which the handler reads as None).
    compensated = [p["inputs"] for _, p in aws.invocations if p["task"] == "compensate"]
    assert [(i["cfg"], i["n"]) for i in compensated] == [(cfg, -1)]
    assert compensated[0]["reserved"]["orchestrator_failed"]["Error"] == "ValueError"
    if path is not None:
        for entered in (local_entered(local), moto_entered(aws)):
            # (A Parallel's other branch interleaves its states with these.)
            after = entered[entered.index("reserve") + 1 :]
            building = ("reserve failed: defaults", "reserve failed")
            assert [name for name in after if name in building] == path


def test_an_input_lacking_what_the_first_task_reads_ends_the_run_uncompensated(
    sfn: MotoStepFunctions,
) -> None:
    local, aws = both(sfn, WITH_DEFAULT, {"n": 1, "cfg": {"other": 1}})
    assert (local.state, local.error) == (aws.status, aws.error) == ("FAILED", "ParameterReadError")
    assert "cfg['base']" in (aws.cause or "")
    assert states(local)["compensate"] == moto_task_states(WITH_DEFAULT, aws)["compensate"]
    assert states(local)["compensate"] == "NOT_RUN"
    assert [p["task"] for _, p in aws.invocations] == ["reserve"]
