"""The state document, built by the machine's first states themselves (docs/data-contract.md).

Every state after the first reads `{"params", "results", "consts"}`. No Pass state builds it:

- a first **Task** reads the bare execution input (`$.<param>`); its payload carries the input
  and the parameter defaults (`START_KEY`), a parameter with a default is a `PARAM_KEY` marker
  its handler resolves (runtime/start.py), and its `ResultSelector` writes the whole document
  from the handler's `{"params", "value"}` with `ResultPath: "$"`;
- a first **Parallel** passes `{"params": <input>, "results", "consts"}` to its branches with
  `Parameters`, each branch starts the same way (a branch's first task reads `$.params`), and
  its `ResultSelector` rebuilds the document with the merged parameters of branch 0.

Where the first state can do neither — a Map (its `ItemsPath` reads the document), a gate
(Choice), a task with a Catch (its failure would be written into the bare input), a parameter
with a default inside a list (`States.Array` cannot hold a marker) — the machine starts with the
Pass states `Defaults` (when parameters have defaults) and `Start`, and `orchestrator plan`
says so (`Plan.control`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.contract import START_KEY
from orchestrator.graph import (
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParamInput,
    TaskNode,
)
from orchestrator.planner.control import ControlPlan
from orchestrator.planner.paths import intrinsic_literal
from orchestrator.planner.structure import Parallel, Series, Tree

#: Why the machine starts with Pass states: `orchestrator plan` prints it.
START_REASON = "states building the state document before a first state that cannot"


@dataclass
class Start:
    """Which states begin the machine, and whether they build the state document themselves."""

    #: The first task of the machine, or of each branch of a first Parallel, by task id → the
    #: path its payload reads the bare parameters from (`$`, or `$.params` in a branch).
    tasks: dict[str, str] = field(default_factory=dict)
    #: The first Parallel states (by `id()` of their tree) → whether it is the machine's first
    #: state (it builds its branches' document with `Parameters`) or a branch's.
    parallels: dict[int, bool] = field(default_factory=dict)
    #: Why the first states cannot build the document (None: they do).
    blocked: str | None = None


def plan_start(tree: Tree, graph: FlowGraph, control: ControlPlan) -> Start:
    start = Start()
    nodes = {n.id: n for n in graph.nodes}
    defaults = graph.defaults()

    def visit(part: Tree, base: str) -> None:
        if start.blocked:
            return
        if isinstance(part, Series):
            visit(part.parts[0], base)
        elif isinstance(part, Parallel):
            start.parallels[id(part)] = base == "$"
            for branch in part.branches:
                visit(branch, "$.params")
        else:
            start.blocked = _blocked(nodes[part.node], control, defaults)
            start.tasks[part.node] = base

    visit(tree, "$")
    if start.blocked:
        return Start(blocked=start.blocked)
    return start


def _blocked(node: TaskNode, control: ControlPlan, defaults: dict[str, Any]) -> str | None:
    if node.is_map:
        return f"the Map {node.id!r} reads its items from the document"
    if node.id in control.gated:
        return f"the gate of {node.id!r} (a Choice) reads the document"
    if node.id in control.caught:
        return f"{node.id!r} catches its failure into the document"
    if any(_list_reads(v, defaults) for v in node.inputs.values()):
        return f"{node.id!r} reads a parameter default or a constant inside a list"
    return None


def _list_reads(value: Input, defaults: dict[str, Any], in_list: bool = False) -> bool:
    """Whether a list in `value` holds a defaulted parameter or a constant of the document."""
    if isinstance(value, ListInput):
        return any(_list_reads(v, defaults, True) for v in value.items)
    if isinstance(value, DictInput):
        return any(_list_reads(v, defaults, in_list) for v in value.items.values())
    if not in_list:
        return False
    if isinstance(value, ParamInput):
        return value.name in defaults
    if isinstance(value, ConstInput):
        return intrinsic_literal(value.value) is None
    return False


def start_payload(base: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """The first task's START_KEY entry: the bare parameters and their defaults."""
    return {"params.$": base, "defaults": defaults}


def document(params: str, results: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A ResultSelector writing the whole state document (with `ResultPath: "$"`)."""
    return {"params.$": params, "results": results, **extra}


def pass_states(defaults: dict[str, Any], init: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """`Defaults` (when parameters have defaults) and `Start`, for a blocked first state."""
    init = {"params.$": "$", **init}
    if not defaults:
        return [("Start", {"Type": "Pass", "Parameters": init})]
    init["params.$"] = "States.JsonMerge($.defaults, $.input, false)"
    return [
        ("Defaults", {"Type": "Pass", "Parameters": {"defaults": defaults, "input.$": "$"}}),
        ("Start", {"Type": "Pass", "Parameters": init}),
    ]


__all__ = ["START_KEY", "START_REASON", "Start", "document", "pass_states", "plan_start"]
