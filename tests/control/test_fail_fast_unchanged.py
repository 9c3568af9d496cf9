"""Trigger support adds nothing to a fail-fast flow: no Catch, no gate, no final Choice.

A flow whose tasks all keep the default trigger, with no `case` and no reference tasks, must
compile to the states it compiled to before control flow existed: one state per task (a Map's
item state inside it), the zipped-map length check, and Parallel states — and Start (and
Defaults) only when its first state is a Map, which cannot build the state document itself.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from orchestrator.graph import FlowGraph
from orchestrator.loader import load_project_flows
from orchestrator.options import DEFAULT_TRIGGER
from orchestrator.sdk.flow import Flow
from tests.flowgen import GeneratedFlow, random_flows

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_project_flows(ROOT / "pyproject.toml")


def fail_fast(graph: FlowGraph) -> bool:
    return graph.reference_tasks is None and all(
        n.options.trigger == DEFAULT_TRIGGER and not n.cases for n in graph.nodes
    )


def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of the machine, nested ones (Parallel branches, Map processors) included."""
    out: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        out[name] = state
        for branch in state.get("Branches", []):
            out.update(states(branch))
        if "ItemProcessor" in state:
            out.update(states(state["ItemProcessor"]))
    return out


def allowed_states(graph: FlowGraph) -> set[str]:
    names = {"Start", "Defaults"}
    for node in graph.nodes:
        names.add(node.id)
        if node.is_map:
            names |= {f"{node.id} item", f"{node.id} lengths", f"{node.id} same lengths?"}
            names.add(f"{node.id} length mismatch")
    return names


def check_unchanged(flow: Flow) -> None:
    graph = flow.graph
    assert fail_fast(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        definition = flow.asl()
    found = states(definition)
    extra = {
        name
        for name in found
        if name not in allowed_states(graph) and not name.startswith("Parallel ")
    }
    assert not extra, f"{graph.name}: states beyond a fail-fast flow's: {sorted(extra)}"
    assert '"Catch"' not in json.dumps(definition)
    assert flow.plan().control == {}
    text = json.dumps(definition)
    for key in (
        "trigger_checked",
        "marker_safe",
        "orchestrator_skipped",
        "orchestrator_failed",
        '"gate"',
    ):
        assert key not in text


@pytest.mark.parametrize(
    "flow", [f for f in SHIPPED if fail_fast(f.graph)], ids=lambda f: f.graph.resource_name
)
def test_shipped_fail_fast_flows_gain_nothing(flow: Flow) -> None:
    check_unchanged(flow)


def test_every_shipped_flow_but_the_saga_is_fail_fast() -> None:
    controlled = sorted(f.graph.resource_name for f in SHIPPED if not fail_fast(f.graph))
    assert controlled == ["order_saga"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_flows())
def test_random_fail_fast_flows_gain_nothing(gen: GeneratedFlow) -> None:
    check_unchanged(gen.flow)
