"""The history events of one execution, estimated from the ASL, against the 25,000-event quota.

"Maximum execution history size: 25,000 events in a single state machine execution history"
(developer guide, "Step Functions service quotas"). The event types counted are the API
reference's `HistoryEvent` types (ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted,
TaskSucceeded, TaskStateExited, MapStateEntered, MapStateStarted, MapIterationStarted,
MapIterationSucceeded, MapStateSucceeded, MapStateExited, TaskSubmitted, MapRunStarted, …); each
expected count below is written by hand from them, then checked against the history the local
engine records for the same machine (which aims to match AWS's).
"""

from __future__ import annotations

import warnings

import pytest

from orchestrator import Flow, task
from orchestrator.engine.spec import STANDARD_HISTORY_EVENTS
from orchestrator.local import run_flow
from orchestrator.local.flowrun import LocalMachine
from orchestrator.planner import HistoryBudgetExceeded, plan_flow
from orchestrator.planner.history_budget import ASSUMED_ITEMS


@task
def first(n: int) -> int:
    return n


@task
def listing(n: int) -> list[int]:
    return [n, n + 1, n + 2, n + 3]


@task(expected_items=4)
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task(distributed=False)
def halve(x: int) -> int:
    return x // 2


@task(distributed=True)
def spread(x: int) -> int:
    return x // 2


@task(expected_items=1000)
def bump(x: int) -> int:
    return x + 1


def small_flow() -> Flow:
    """A chain of 3 tasks and an inline Map over 4 items."""
    with Flow("budget-small") as flow:
        total(square.map(listing(first(1))))
    return flow


def test_a_small_flow_counts_what_aws_records_and_the_engine_agrees() -> None:
    flow = small_flow()
    # By hand: ExecutionStarted + ExecutionSucceeded (2); first (which builds the state
    # document: no bookkeeping Pass state), listing and total: TaskStateEntered,
    # TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited (3 x 5 = 15); the inline
    # Map: MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited (4) and per
    # item MapIterationStarted, the item's Task (5) and MapIterationSucceeded (4 x 7 = 28).
    # 2 + 15 + 4 + 28 = 49.
    expected = 2 + 3 * 5 + 4 + 4 * (1 + 5 + 1)
    plan = flow.plan()
    assert plan.history is not None
    assert plan.history.events == expected == 49
    assert plan.history.assumed == ()
    run = flow.run(clock="virtual")
    assert run.succeeded
    assert len(run.events) == expected
    assert plan.history_summary() == (
        "history: about 49 events per execution, every task succeeding at its first attempt "
        "(Step Functions' quota for a Standard execution: 25,000)"
    )
    assert plan.history_warning() is None


def test_a_map_of_unknown_size_is_counted_at_the_stated_assumption() -> None:
    with Flow("budget-unknown") as flow:
        total(halve.map(listing(first(1))))
    plan = flow.plan()
    assert plan.history is not None
    # As above, the inline Map's 4 items counted as ASSUMED_ITEMS (40).
    assert plan.history.events == 2 + 3 * 5 + 4 + ASSUMED_ITEMS * 7
    assert plan.history.assumed == ("halve",)
    assert plan.history_summary() is not None
    assert (
        f"assumed {ASSUMED_ITEMS} items for each Map whose number of items is known only at "
        "run time ('halve')" in plan.history_summary()  # type: ignore[operator]
    )


def test_a_distributed_maps_items_are_not_in_the_parents_history() -> None:
    with Flow("budget-distributed") as flow:
        total(spread.map(listing(first(1))))
    plan = flow.plan()
    assert plan.history is not None
    # The Map: MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
    # MapStateSucceeded, MapStateExited (6), whatever the number of items.
    assert plan.history.events == 2 + 3 * 5 + 6
    run = flow.run(clock="virtual")
    assert run.succeeded
    # The local engine keeps a Distributed Map's child executions in the one history (4 items:
    # MapIterationStarted, the item's Task, MapIterationSucceeded); AWS gives each its own.
    assert len(run.events) - 4 * 7 == plan.history.events


def _wide(flow_type: str = "STANDARD") -> Flow:
    """Five chained inline Maps of 1,000 items, fused into one Map whose iteration runs the five
    tasks: it fits an inline Map, but not one history."""
    with Flow(f"budget-wide-{flow_type.lower()}", type=flow_type) as flow:
        xs = listing(first(1))
        bump.map(bump.map(bump.map(bump.map(bump.map(xs)))))
    return flow


def test_a_flow_over_the_quota_warns_with_the_fix() -> None:
    flow = _wide()
    plan = flow.plan()
    assert plan.history is not None
    # 2 + first and listing 10 + the fused Map's 4 + 1,000 x (MapIterationStarted, five Task
    # states of 5, MapIterationSucceeded) events.
    assert plan.history.events == 2 + 10 + 4 + 1000 * (1 + 5 * 5 + 1) > STANDARD_HISTORY_EVENTS
    with pytest.warns(HistoryBudgetExceeded) as caught:
        flow.asl()
    message = str(caught[0].message)
    assert message == plan.history_warning()
    assert message.startswith("flow 'budget-wide-standard': one execution of its machine records")
    assert "25,000-event quota" in message and "distributed=True" in message


def test_an_express_flow_has_no_history_quota_to_warn_about() -> None:
    flow = _wide("EXPRESS")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HistoryBudgetExceeded)
        flow.asl()
    assert flow.plan().history_warning() is None


def test_a_split_flows_estimate_is_per_machine_and_the_engine_agrees() -> None:
    with Flow("budget-split") as flow:
        x = first(1)
        for _ in range(12):
            x = first(x)
    plan = plan_flow(flow.graph, max_definition_bytes=6_000)
    assert plan.children and plan.history is not None
    # The parent: ExecutionStarted/Succeeded and per child a startExecution.sync:2 Task:
    # TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded,
    # TaskStateExited (6).
    assert plan.history.events == 2 + 6 * len(plan.children)
    assert [part for part, _ in plan.history.children] == [c.part for c in plan.children]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        machine = flow.local_machine()
    children = {c.arn_key: c.asl for c in plan.children}
    split = LocalMachine(machine.graph, plan.asl, machine.handlers, children=children)
    run = run_flow(split, {}, clock="virtual", store=False)
    assert run.succeeded
    assert len(run.events) == plan.history.events


def _task(next_state: str | None = None) -> dict[str, object]:
    state: dict[str, object] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def test_chains_choices_and_loops_count_their_longest_way() -> None:
    """A branch that is a plain chain is summed along it; a Choice met part way takes the walk
    over its ways on (the longest counts); a loop counts once round. Written by hand."""
    from orchestrator.graph import FlowGraph
    from orchestrator.planner.history_budget import estimate_history

    chain = {"StartAt": "t1", "States": {"t1": _task("t2"), "t2": _task()}}  # 2 × 5
    choosing = {
        "StartAt": "x",
        "States": {
            "x": _task("c"),
            "c": {"Type": "Choice", "Choices": [{"Next": "y"}], "Default": "z"},
            "y": _task("z"),
            "z": _task(),
        },
    }  # x 5, c 2, then y 5 and z 5 (longer than z alone)
    looping = {
        "StartAt": "a",
        "States": {"a": {"Type": "Pass", "Next": "b"}, "b": {"Type": "Pass", "Next": "a"}},
    }  # 2 + 2, once round
    asl = {
        "StartAt": "first",
        "States": {
            "first": _task("fork"),
            "fork": {"Type": "Parallel", "Branches": [chain, choosing, looping], "Next": "last"},
            "last": _task(),
        },
    }
    graph = FlowGraph(name="hand", resource_name="hand", nodes=())
    # execution 2; first 5; fork 4 + 10 + 17 + 4; last 5
    assert estimate_history(graph, asl).events == 2 + 5 + (4 + 10 + 17 + 4) + 5
