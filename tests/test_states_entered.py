"""Issue 14, no bookkeeping states: a run of a shipped flow enters its task states, its Map and
Parallel states, and nothing else — except the control-flow states of a controlled flow.

The expected count is derived from the flow graph and the run's inputs, not from the ASL: one
Task state per task that runs, one Map state plus one item Task state per item for a mapped
task, one Parallel state per fork of the flow's series-parallel structure (the planner's
decomposition of the graph), and, for order_saga, the gates and final states its triggers and
reference task need. No state builds the state document: not even order_saga's, whose first
task has a Catch (its Pass states are entered only when that task fails: tests/control/).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from functions.dynamic_shards import get_data_shards
from orchestrator import Flow
from orchestrator.planner.start import FAILED_START_REASON, START_REASON
from orchestrator.planner.structure import Parallel, Series, Tree, decompose
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions
from tests.test_shipped_flows import SHIPPED

# Items each mapped task iterates on a run with the default parameters: dynamic_shards maps
# process_shard over get_data_shards(seed=42)'s shards.
ITEMS = {("dynamic_shards", "process_shard"): len(get_data_shards.fn(42))}
# Tasks of order_saga that do not run on its default input (the card is accepted): the
# compensations trigger on any_failed, and nothing failed.
NOT_RUN = {"order_saga": {"release_stock", "refund_card"}}


def parallels(tree: Tree) -> int:
    if isinstance(tree, Parallel):
        return 1 + sum(parallels(b) for b in tree.branches)
    if isinstance(tree, Series):
        return sum(parallels(p) for p in tree.parts)
    return 0


def expected_entered(name: str, flow: Flow, items_in_history: bool) -> int:
    """States a default run of `flow` enters. A Distributed Map's items are child executions:
    their states are in their own histories on AWS and in moto, while the local engine records
    them in the parent's history."""
    graph = flow.graph
    not_run = NOT_RUN.get(name, set())
    count = 0
    for node in graph.nodes:
        if node.is_map:
            in_history = items_in_history or not node.options.distributed
            count += 1 + (ITEMS[(name, node.id)] if in_history else 0)
        elif node.id not in not_run:
            count += 1
    tree = decompose([n.id for n in graph.nodes], {n.id: n.dependencies() for n in graph.nodes})
    count += parallels(tree.tree)
    if name == "order_saga":
        gated = [n for n in graph.nodes if n.options.trigger == "any_failed"]
        # Each compensation's gate (a Choice), then the Pass recording TRIGGER_FAILED; the run's
        # state: a Choice over the reference tasks, then Succeed.
        count += 2 * len(gated) + 2
    return count


def entered(types: Iterator[str]) -> int:
    return sum(1 for t in types if t.endswith("StateEntered"))


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions(record_sleeps=True) as s:
        yield s


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_local_run_enters_only_task_map_and_parallel_states(name: str) -> None:
    flow = SHIPPED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a stale committed file is not this test's concern
        run = flow.run(clock="virtual")
    assert run.state == "SUCCEEDED", run.error
    assert entered(e.type for e in run.events) == expected_entered(name, flow, True)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_moto_run_enters_only_task_map_and_parallel_states(
    name: str, sfn: MotoStepFunctions
) -> None:
    flow = SHIPPED[name]
    run = run_flow_in_moto(sfn, flow, {})
    assert run.status == "SUCCEEDED", run.cause
    events: list[dict[str, Any]] = run.events
    assert entered(e["type"] for e in events) == expected_entered(name, flow, False)


@pytest.mark.parametrize("name", sorted(set(SHIPPED) - set(NOT_RUN)))
def test_fail_fast_shipped_flows_have_no_pass_or_choice_state(name: str) -> None:
    plan = SHIPPED[name].plan()
    assert plan.control == {} and plan.control_summary() is None


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_no_shipped_flow_starts_with_states_building_the_document(name: str) -> None:
    plan = SHIPPED[name].plan()
    assert not [reason for reason in plan.control if reason.startswith(START_REASON)]


def test_order_saga_builds_the_document_on_its_first_tasks_failure_path_only() -> None:
    # Its first task's Catch leads to two Pass states (its parameter has a default) and a Fail
    # for a ParameterReadError: none of them on the success path counted above.
    plan = SHIPPED["order_saga"].plan()
    assert plan.control[FAILED_START_REASON] == 3
