"""Every trigger × every upstream outcome, run on the local engine and in moto's Step Functions.

The expected cell is the reference trigger function (`orchestrator.sdk.triggers`), whose own
values are checked against Prefect 1.x's source and docs in tests/sdk/test_trigger_semantics.py;
here the compiled machine (Catch, Choice gates, markers in the data) must decide the same on both
executors. Downstream tasks use `skip_on_upstream_skip=False`, so a skipped upstream reaches the
trigger itself; the Prefect task runner's earlier skip rule has its own row at the end.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from orchestrator import SKIP, Flow, task
from orchestrator.local import run_flow
from orchestrator.sdk.triggers import (
    Trigger,
    TriggerOutcome,
    all_failed,
    all_finished,
    all_successful,
    always_run,
    any_failed,
    any_successful,
    not_all_skipped,
    some_failed,
    some_successful,
)
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions
from tests.control.states import moto_task_states

TRIGGERS: dict[str, Trigger] = {
    "all_successful": all_successful,
    "all_failed": all_failed,
    "any_successful": any_successful,
    "any_failed": any_failed,
    "all_finished": all_finished,
    "always_run": always_run,
    "not_all_skipped": not_all_skipped,
    "some_successful_at_least_1": some_successful(at_least=1),
    "some_successful_at_most_1": some_successful(at_most=1),
    "some_successful_at_least_2_at_most_3": some_successful(at_least=2, at_most=3),
    "some_failed_at_least_1": some_failed(at_least=1),
    "some_failed_at_most_0_5": some_failed(at_most=0.5),
}
# Fractions need the number of a mapped upstream's items, which Step Functions cannot multiply:
# refused at compile time (tests/control/test_refusals.py), so not in the mapped columns.
FRACTIONS = {"some_failed_at_most_0_5"}


def ok(x: Any = None) -> int:
    return 1


def boom(x: Any = None) -> int:
    raise ValueError("upstream failed on purpose")


def skip(x: Any = None) -> int:
    raise SKIP("nothing to do")


def fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("item 2 failed on purpose")
    return x


def ran(x: Any) -> str:
    return "ran"


# Upstream outcome → (how the flow body makes it, its state(s) as the reference sees them).
Build = Callable[[], Any]
OUTCOMES: dict[str, tuple[Build, str | list[str]]] = {
    "succeeded": (lambda: task(name="up")(ok)(), "SUCCEEDED"),
    "failed": (lambda: task(name="up")(boom)(), "FAILED"),
    "skipped": (lambda: task(name="up")(skip)(), "SKIPPED"),
    "trigger_failed": (lambda: task(name="up")(ok)(task(name="cause")(boom)()), "TRIGGER_FAILED"),
    "mapped_one_failed": (
        lambda: task(name="up")(fail_on_two).map([1, 2, 3]),
        ["SUCCEEDED", "FAILED", "SUCCEEDED"],
    ),
    "empty_map": (lambda: task(name="up")(fail_on_two).map([]), []),
}
OBSERVED = {
    TriggerOutcome.RUN: "SUCCEEDED",
    TriggerOutcome.TRIGGER_FAILED: "TRIGGER_FAILED",
    TriggerOutcome.SKIP: "SKIPPED",
}


def table_flow(outcome: str, *, skip_on_upstream_skip: bool = False) -> tuple[Flow, list[str]]:
    build, _ = OUTCOMES[outcome]
    names = [
        t
        for t in TRIGGERS
        if not (outcome.endswith("map") or "mapped" in outcome) or t not in FRACTIONS
    ]
    with Flow(f"triggers_{outcome}") as flow:
        up = build()
        for name in names:
            task(
                name=f"on_{name}",
                trigger=TRIGGERS[name],
                skip_on_upstream_skip=skip_on_upstream_skip,
            )(ran)(up)
    return flow, names


def expected(outcome: str, names: list[str]) -> dict[str, str]:
    _, state = OUTCOMES[outcome]
    return {f"on_{n}": OBSERVED[TRIGGERS[n]({"up": state})] for n in names}


@pytest.fixture(scope="module")
def moto_sfn() -> Any:
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_local_engine_decides_every_trigger_as_the_reference(outcome: str) -> None:
    flow, names = table_flow(outcome)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
    got = {t.task: t.state for t in run.task_runs.values() if t.task.startswith("on_")}
    assert got == expected(outcome, names)


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_moto_decides_every_trigger_as_the_reference(
    moto_sfn: MotoStepFunctions, outcome: str
) -> None:
    flow, names = table_flow(outcome)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        remote = run_flow_in_moto(moto_sfn, flow, {})
    got = moto_task_states(flow, remote)
    assert {k: v for k, v in got.items() if k.startswith("on_")} == expected(outcome, names)


def test_an_upstream_skip_skips_every_trigger_first_as_prefects_task_runner_does(
    moto_sfn: MotoStepFunctions,
) -> None:
    # TaskRunner.check_upstream_skipped runs before check_task_trigger: with the default
    # skip_on_upstream_skip=True a skipped upstream skips the task whatever its trigger.
    flow, names = table_flow("skipped", skip_on_upstream_skip=True)
    want = {f"on_{n}": "SKIPPED" for n in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), {}, clock="virtual", store=False)
        remote = run_flow_in_moto(moto_sfn, flow, {})
    assert {t.task: t.state for t in local.task_runs.values() if t.task != "up"} == want
    assert {k: v for k, v in moto_task_states(flow, remote).items() if k != "up"} == want
