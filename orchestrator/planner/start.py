"""The state document, built by the machine's first states themselves (docs/data-contract.md).

Every state after the first reads `{"params", "results", "consts"}`. No Pass state builds it:

- a first **Task** reads the bare execution input (`$.<param>`); its payload carries the input
  and the parameter defaults (`START_KEY`), a parameter with a default is a `PARAM_KEY` marker
  its handler resolves (runtime/start.py), and its `ResultSelector` writes the whole document
  from the handler's `{"params", "value"}` with `ResultPath: "$"`;
- a first **Parallel** passes `{"params": <input>, "results", "consts"}` to its branches with
  `Parameters`, each branch starts the same way (a branch's first task reads `$.params`), and
  its `ResultSelector` rebuilds the document with the merged parameters of branch 0.

A first task with a **Catch** (a saga's first step, whose failure the compensations observe)
builds the document the same way when it succeeds. A ResultSelector applies only to a result,
so when it fails there is no document to write its failure into: its Catch (`ResultPath: "$"`)
leads to the Pass states `<task> failed: defaults` (when parameters have defaults) and
`<task> failed`, which build the very document a Catch into it would have left — the execution
input (`$$.Execution.Input`, the bare parameters of every first task) with the defaults merged,
the failure marker where the task's value would be — and go on where the task does. A successful
run enters neither; `orchestrator plan` lists them as entered only when the first task fails.
Its handler's ParameterReadError (the input lacks what the flow reads) is not a task failure to
compensate: a first rule of the Catch ends the run with it, as an uncaught first task does.

Where the first state can do none of this — a Map (its `ItemsPath` reads the document), a gate
(Choice), a parameter with a default inside a list (`States.Array` cannot hold a marker) — the
machine starts with the Pass states `Defaults` (when parameters have defaults) and `Start`, and
`orchestrator plan` says so (`Plan.control`).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from orchestrator.contract import FAILED_KEY, PARAMETER_READ_ERROR, START_KEY
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
from orchestrator.records import record

#: Why the machine starts with Pass states: `orchestrator plan` prints it.
START_REASON = "states building the state document before a first state that cannot"
#: Why a caught first task's Catch leads to Pass states (and a Fail): `orchestrator plan` prints it.
FAILED_START_REASON = (
    "states building the state document when the first task fails (entered only then)"
)
#: Where every first task reads its parameters from, also once it has failed: the bare input.
EXECUTION_INPUT = "$$.Execution.Input"


@record
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


def failed_start_name(task: str) -> str:
    """The state after a caught first task that fails: its output is the state document, with
    the task's failure marker (local/flowrun.py records the task's state from it)."""
    return f"{task} failed"


def failed_start_states(
    task: str, defaults: dict[str, Any], results: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]], tuple[str, dict[str, Any]]]:
    """A caught first task's Catch; the Pass states it leads to, chained but for the last (which
    goes on where the task does), whose Parameters are the document; and the Fail state ending
    the run on a ParameterReadError. `results` are those the task's ResultSelector writes: its
    own entry becomes the failure marker."""
    last = failed_start_name(task)
    error = "$.error" if defaults else "$"
    doc = {
        "params.$": EXECUTION_INPUT,
        "results": {**results, task: {"value": {f"{FAILED_KEY}.$": error}}},
    }
    passes: list[tuple[str, dict[str, Any]]] = []
    if defaults:
        merge = {"defaults": defaults, "input.$": EXECUTION_INPUT, "error.$": "$"}
        passes.append((f"{last}: defaults", {"Type": "Pass", "Parameters": merge, "Next": last}))
        doc["params.$"] = "States.JsonMerge($.defaults, $.input, false)"
    passes.append((last, {"Type": "Pass", "Parameters": doc}))
    invalid = f"{task} input invalid"
    catch = [
        {"ErrorEquals": [PARAMETER_READ_ERROR], "Next": invalid},
        # `$`: the error alone, so no parameter of the input is overwritten, whatever its name.
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": passes[0][0]},
    ]
    fail = {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"}
    return catch, passes, (invalid, fail)


__all__ = [
    "EXECUTION_INPUT",
    "FAILED_START_REASON",
    "START_KEY",
    "START_REASON",
    "Start",
    "document",
    "failed_start_name",
    "failed_start_states",
    "pass_states",
    "plan_start",
]
