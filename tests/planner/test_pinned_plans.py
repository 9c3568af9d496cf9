"""The planner's output is pinned: for 65 random graphs (seeded; tests/planner/pinned_plans.py)
the ASL, notes and summaries equal those recorded in fixtures/pinned_plans.json before the
planner was optimised for compile speed. Making it faster must not change what it emits."""

from __future__ import annotations

import json

import pytest

from orchestrator.graph import FlowGraph
from tests.planner.pinned_plans import FIXTURE, digest, pinned_graphs

RECORDED: dict[str, str] = json.loads(FIXTURE.read_text())
GRAPHS = pinned_graphs()


def test_the_fixture_covers_every_graph() -> None:
    assert sorted(RECORDED) == sorted(g.name for g in GRAPHS)


@pytest.mark.parametrize("graph", GRAPHS, ids=lambda g: g.name)
def test_plan_is_unchanged(graph: FlowGraph) -> None:
    assert digest(graph) == RECORDED[graph.name]
