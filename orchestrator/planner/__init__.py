"""The planner: FlowGraph → series/parallel structure → ASL document."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from orchestrator.contract import DEFAULT_OFFLOAD_BYTES, MAX_PAYLOAD_BYTES, placeholder_key
from orchestrator.graph import FlowGraph
from orchestrator.planner.asl import AslWriter
from orchestrator.planner.control import plan_control
from orchestrator.planner.fusion import contract, plan_fusion
from orchestrator.planner.maps import map_lines
from orchestrator.planner.structure import decompose


class SynchronisationAdded(UserWarning):
    """The flow is not series-parallel; the planner made some tasks wait for more than they need."""


@dataclass
class Plan:
    asl: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    #: DefinitionSubstitutions key (`CleanFunctionArn`) → the task key (`module:qualname`).
    placeholders: dict[str, str] = field(default_factory=dict)
    #: What triggers, skips, case and reference tasks added, and why: reason → how many.
    control: dict[str, int] = field(default_factory=dict)
    #: The same, by kind: state type (Choice, Pass, Fail, Succeed) or "Catch" → how many.
    control_kinds: dict[str, int] = field(default_factory=dict)
    #: Each map: how it runs and where its data goes, one line (`orchestrator plan` prints it).
    maps: list[str] = field(default_factory=list)
    #: The most task results one state document holds at once, and the constants' JSON size:
    #: what bounds the largest state document, with the run's parameters.
    most_results: int = 1
    consts_bytes: int = 0

    def state_size_summary(self) -> str:
        """One line: the bound on the largest state document this machine can produce."""
        share = DEFAULT_OFFLOAD_BYTES // self.most_results
        return (
            f"largest state document: at most {share * self.most_results:,} B of task results "
            f"({self.most_results} at once, each stored by reference above {share:,} B), "
            f"{self.consts_bytes:,} B of constants, and the run's parameters "
            f"(Step Functions' limit: {MAX_PAYLOAD_BYTES:,} B)"
        )

    def control_summary(self) -> str | None:
        """One line: what control flow added to the machine, and why (None for a fail-fast flow)."""
        if not self.control:
            return None
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.control_kinds.items()))
        why = "; ".join(f"{n} {reason}" for reason, n in self.control.items())
        return f"control flow added {kinds} — {why}"

    @cached_property
    def text(self) -> str:
        """The ASL as `orchestrator plan` prints it and `orchestrator build` commits it."""
        return asl_text(self.asl)


def asl_text(asl: dict[str, Any]) -> str:
    """The one serialisation of a state machine: what is committed, deployed and compared."""
    return json.dumps(asl, indent=2, ensure_ascii=False) + "\n"


def plan_flow(graph: FlowGraph) -> Plan:
    """Compile a flow graph to its state machine, with notes on what the planner had to add."""
    with _compiling(len(graph.nodes)):
        return _plan(graph)


@contextmanager
def _compiling(tasks: int) -> Iterator[None]:
    """Room for a large flow. A DAG that is not series-parallel can nest Parallel states about
    as deep as it has levels (1,500 for 10,000 tasks in layers of 10), and the planner's walks
    (and the JSON encoder's) recurse once per level. And the cyclic garbage collector is paused:
    the planner builds acyclic data only, and a collection pass per few hundred new dicts would
    re-traverse all of them — 40% of the time of a 10,000-task flow."""
    limit = sys.getrecursionlimit()
    collecting = gc.isenabled()
    sys.setrecursionlimit(max(limit, 1000 + 2 * tasks))
    gc.disable()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
        if collecting:
            gc.enable()


def _plan(graph: FlowGraph) -> Plan:
    control = plan_control(graph)
    fusion = plan_fusion(graph, control.controlled)
    # A fused chain of Maps is one node of the structure (planner/fusion.py).
    order, deps = contract(
        [n.id for n in graph.nodes], {n.id: n.dependencies() for n in graph.nodes}, fusion
    )
    structure = decompose(order, deps)
    writer = AslWriter(graph, control, fusion)
    asl = writer.machine(structure.tree)
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
        control=writer.added,
        control_kinds=writer.added_types,
        maps=map_lines(graph, writer.map_io, fusion),
        most_results=writer.most_results,
        consts_bytes=len(json.dumps(writer.consts)) if writer.consts else 0,
        placeholders={placeholder_key(n.function_id): n.task_key for n in graph.nodes},
    )


__all__ = ["Plan", "SynchronisationAdded", "asl_text", "plan_flow"]
