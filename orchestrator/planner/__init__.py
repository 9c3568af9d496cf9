"""The planner: FlowGraph → series/parallel structure → ASL document."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from orchestrator.graph import FlowGraph
from orchestrator.planner.asl import AslWriter, placeholder
from orchestrator.planner.structure import decompose


class SynchronisationAdded(UserWarning):
    """The flow is not series-parallel; the planner made some tasks wait for more than they need."""


@dataclass
class Plan:
    asl: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)  # placeholder -> task key


def plan_flow(graph: FlowGraph) -> Plan:
    """Compile a flow graph to its state machine, with notes on what the planner had to add."""
    order = [n.id for n in graph.nodes]
    deps = {n.id: n.dependencies() for n in graph.nodes}
    structure = decompose(order, deps)
    asl = AslWriter(graph).machine(structure.tree)
    notes = []
    if structure.added:
        pairs = ", ".join(f"{b} waits for {a}" for a, b in structure.added)
        notes.append(
            f"flow {graph.name!r} is not series-parallel; Step Functions can only fork and join, "
            f"so the planner added the synchronisation that lengthens the critical path least: "
            f"{pairs}"
        )
    return Plan(
        asl=asl,
        notes=notes,
        placeholders={placeholder(n): n.task_key for n in graph.nodes},
    )


def compile_flow(graph: FlowGraph) -> dict[str, Any]:
    """The ASL document of `graph`; warns (SynchronisationAdded) when dependencies were added."""
    plan = plan_flow(graph)
    for note in plan.notes:
        warnings.warn(note, SynchronisationAdded, stacklevel=2)
    return plan.asl


__all__ = ["Plan", "SynchronisationAdded", "compile_flow", "plan_flow"]
