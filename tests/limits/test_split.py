"""A flow over Step Functions' definition size quota runs as a parent and child machines.

"Maximum size of state machine definition: 1 MB", a hard quota (developer guide, "Step Functions
service quotas"). Most tests lower the limit through `plan_flow(..., max_definition_bytes=)` so
that a small flow splits; one compiles a flow over the real quota.
"""

from __future__ import annotations

import json
import random
import warnings
from typing import Any

import pytest

from orchestrator import Flow, task
from orchestrator.contract import substitution
from orchestrator.engine.spec import MAX_DEFINITION_BYTES, START_EXECUTION_SYNC2
from orchestrator.errors import FlowDefinitionError
from orchestrator.local import run_flow
from orchestrator.local.flowrun import FlowRun, LocalMachine
from orchestrator.planner import Plan, asl_text, plan_flow
from orchestrator.planner.split import definition_bytes
from orchestrator.testing.moto import MotoStepFunctions
from orchestrator.triggers import all_finished
from tests.planner.random_graphs import gnp_deps, graph_of, layered_deps


class Refused(Exception):
    pass


@task
def start(n: int) -> int:
    return n


@task
def inc(x: int) -> int:
    return x + 1


@task
def explode(x: int) -> int:
    raise Refused(f"no {x}")


@task
def halves(x: int) -> list[int]:
    return [x, x // 2]


@task(trigger=all_finished)
def report(x: int = 0, ys: list[int] | None = None) -> int:
    return x + sum(ys or [])


def big_flow(chain: int, fail_at: int | None = None) -> Flow:
    with Flow("big") as flow:
        x = start(3)
        for i in range(chain):
            x = explode(x) if i == fail_at else inc(x)
            if i % 10 == 5:
                # A Map, and a trigger: a Choice gate before the task.
                x = report(x, inc.map(halves(x)))
    return flow


def split_plan(flow: Flow, limit: int) -> Plan:
    return plan_flow(flow.graph, max_definition_bytes=limit)


def compact_bytes(flow: Flow) -> int:
    """The flow's whole machine as deployed, written without whitespace: a split cuts by that."""
    return definition_bytes(asl_text(flow.plan().asl, compact=True))


def written(plan: Plan) -> list[str]:
    """The texts `orchestrator build` commits for a plan: its machine's, and each child's."""
    return [plan.text, *(asl_text(c.asl, c.compact) for c in plan.children)]


def run(flow: Flow, plan: Plan | None = None) -> FlowRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        machine = flow.local_machine()
    if plan is not None:
        children = {c.arn_key: c.asl for c in plan.children}
        machine = LocalMachine(machine.graph, plan.asl, machine.handlers, children=children)
    return run_flow(machine, {}, clock="virtual", store=False)


def test_a_small_flow_is_not_split() -> None:
    plan = plan_flow(big_flow(3).graph)
    assert plan.children == () and plan.split_summary() is None


def test_each_machine_of_a_split_flow_is_under_the_limit() -> None:
    flow = big_flow(40)
    limit = compact_bytes(flow) // 4
    plan = split_plan(flow, limit)
    assert len(plan.children) >= 4
    for text in written(plan):
        assert definition_bytes(text) <= limit
        assert json.loads(text) in (plan.asl, *(c.asl for c in plan.children))
    # Chunks are cut by compact size; a child is indented when that fits too (the last,
    # smaller one here), and each compact one would be over the limit indented.
    assert not plan.children[-1].compact
    for child in plan.children:
        if child.compact:
            assert definition_bytes(asl_text(child.asl)) > limit
    tasks = [s for s in plan.asl["States"].values() if s["Type"] == "Task"]
    assert [t["Resource"] for t in tasks] == [START_EXECUTION_SYNC2] * len(plan.children)
    assert plan.split_summary() is not None
    # Every state of the flow is in exactly one child.
    names = [n for c in plan.children for n in c.asl["States"] if n != "Chunk end"]
    assert sorted(names) == sorted(flow.plan().asl["States"])


def test_a_split_run_gives_the_unsplit_runs_result() -> None:
    flow = big_flow(40)
    plan = split_plan(flow, compact_bytes(flow) // 4)
    whole, split = run(flow), run(flow, plan)
    assert whole.state == split.state == "SUCCEEDED"
    assert split.result == whole.result
    assert {k: r.state for k, r in split.task_runs.items()} == {
        k: r.state for k, r in whole.task_runs.items()
    }
    assert split.task_runs["inc_40"].result == whole.task_runs["inc_40"].result


def test_a_child_failure_fails_the_parent_with_the_childs_error() -> None:
    flow = big_flow(40, fail_at=38)
    plan = split_plan(flow, compact_bytes(flow) // 4)
    whole, split = run(flow), run(flow, plan)
    assert whole.state == split.state == "FAILED"
    assert split.error == whole.error == "Refused"
    assert split.cause is not None and whole.cause is not None
    message = json.loads(split.cause)["errorMessage"]
    assert message == json.loads(whole.cause)["errorMessage"]
    assert message.startswith("no ")
    assert split.task_runs["explode"].state == "FAILED"


def test_moto_accepts_the_parent_and_its_children() -> None:
    flow = big_flow(20)
    plan = split_plan(flow, compact_bytes(flow) // 3)
    with MotoStepFunctions() as sfn:
        arns = {}
        for child in plan.children:
            text = _filled(json.dumps(child.asl))
            made = sfn.sfn.create_state_machine(
                name=f"big-{child.part}", definition=text, roleArn=sfn.role_arn
            )
            arns[child.arn_key] = made["stateMachineArn"]
        parent = json.dumps(plan.asl)
        for key, arn in arns.items():
            parent = parent.replace(substitution(key), arn)
        made = sfn.sfn.create_state_machine(name="big", definition=parent, roleArn=sfn.role_arn)
        assert made["stateMachineArn"].endswith(":stateMachine:big")


def _filled(text: str) -> str:
    import re

    return re.sub(r"\$\{(\w+)\}", r"arn:aws:lambda:us-east-1:123456789012:function:\1", text)


def test_a_state_too_big_for_any_child_is_refused_clearly() -> None:
    plan = split_plan(big_flow(4), 500)
    assert plan.children == ()  # it still runs locally; `orchestrator build` refuses it
    with pytest.raises(FlowDefinitionError, match="flow 'big'.*cannot be split.*Fix:"):
        raise plan.oversize or AssertionError("not refused")


def long_chain(tasks: int) -> Flow:
    # Long task names make each Task state large.
    def named(i: int) -> Any:
        return task(name=f"step_{i:04d}_" + "x" * 50)(_add)

    with Flow("huge") as flow:
        x = start(0)
        for i in range(tasks):
            x = named(i)(x)
    return flow


def test_a_flow_over_the_real_quota_even_compact_splits() -> None:
    plan = long_chain(2_000).plan()
    assert plan.unsplit_bytes > MAX_DEFINITION_BYTES
    assert len(plan.children) >= 2
    for text in written(plan):  # each as deployed: its bytes, a placeholder a full ARN
        assert definition_bytes(text) <= MAX_DEFINITION_BYTES
    assert "without whitespace" in (plan.split_summary() or "")


def test_a_flow_over_the_real_quota_only_indented_is_written_compact() -> None:
    """Indentation is not part of the definition: a machine over the quota indented but not
    compact deploys whole, written without whitespace, rather than as child machines."""
    plan = long_chain(700).plan()
    assert plan.unsplit_bytes > MAX_DEFINITION_BYTES  # indented
    assert plan.children == () and plan.oversize is None and plan.compact
    assert definition_bytes(plan.text) <= MAX_DEFINITION_BYTES
    assert plan.text.count("\n") == 1 and json.loads(plan.text) == plan.asl
    summary = plan.split_summary() or ""
    assert f"{len(plan.text.encode()):,} B" in summary and "without whitespace" in summary
    with MotoStepFunctions() as sfn:
        made = sfn.sfn.create_state_machine(
            name="huge", definition=_filled(plan.text), roleArn=sfn.role_arn
        )
        assert made["stateMachineArn"].endswith(":stateMachine:huge")


@pytest.mark.parametrize(
    "deps",
    [
        layered_deps(random.Random(1), 300, 10, 2),
        gnp_deps(random.Random(2), 400, 0.01),
    ],
    ids=["layered", "gnp"],
)
def test_a_non_series_parallel_dag_of_hundreds_of_tasks_deploys_whole(
    deps: list[list[int]],
) -> None:
    """Such a DAG nests Parallel states about as deep as it has levels, and indentation grows
    with the depth: indented, the text of these (300 and 400 tasks) was 1.7 and 1.3 MB and
    could not be split (one top-level Parallel holds nearly every task). Compact, each is
    under half the quota."""
    plan = plan_flow(graph_of(deps))
    assert plan.unsplit_bytes > MAX_DEFINITION_BYTES
    assert plan.oversize is None and plan.children == () and plan.compact
    assert definition_bytes(plan.text) <= MAX_DEFINITION_BYTES // 2


def _add(x: int) -> int:
    return x + 1
