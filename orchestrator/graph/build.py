"""Building a FlowGraph from a traced flow, with errors that name the flow and the task.

The SDK lowers what a flow body recorded into a `FlowDraft` — plain data: nodes with the options
their tasks declared, parameters, the returned value — and `build_graph` settles every node's
options (`orchestrator.options.settle`) and validates the whole: names, Express limits, cycles,
the lengths of zipped constant lists. The graph imports nothing of the SDK.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import replace
from typing import Literal

from orchestrator.engine.spec import STATE_MACHINE_NAME_PATTERN
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph.map_mode import decide
from orchestrator.graph.model import (
    ConstInput,
    FlowGraph,
    Input,
    ListInput,
    ParameterSpec,
    ScheduleSpec,
    TaskNode,
)
from orchestrator.graph.names import resource_name as ascii_resource_name
from orchestrator.options import TaskDefaults, settle
from orchestrator.records import record


@record(frozen=True)
class FlowDraft:
    """A traced flow as plain data; its nodes carry the options as their tasks declared them."""

    name: str
    nodes: tuple[TaskNode, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    output: Input | None = None
    resource_name: str | None = None
    description: str | None = None
    schedule: ScheduleSpec | None = None
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    max_concurrency: int | None = None  # of the flow's maps, unless a task sets its own
    memory: int | None = None  # of the flow's tasks, unless a task sets its own
    timeout_seconds: int | None = None  # of a whole run
    source: str | None = None
    reference_tasks: tuple[str, ...] | None = None


def build_graph(draft: FlowDraft, defaults: TaskDefaults) -> FlowGraph:
    """Settle every node's options and validate the flow (raises FlowDefinitionError)."""
    if not draft.nodes:
        raise FlowDefinitionError(
            "the flow calls no task",
            flow=draft.name,
            fix="call at least one @task inside the flow body",
        )
    nodes = []
    decided: dict[str, TaskNode] = {}
    for node in draft.nodes:
        if node.id in node.upstream:
            raise FlowDefinitionError(
                "the task is set upstream of itself",
                flow=draft.name,
                task=node.task_name,
                fix="remove the set_upstream call that names the task itself",
            )
        _check_constant_lengths(draft.name, node)
        options = settle(
            node.options,
            defaults,
            flow_memory=draft.memory,
            flow_max_concurrency=draft.max_concurrency,
        )
        settled = node.model_copy(update={"options": options})
        if settled.is_map:
            # Nodes come in call order: the producers of this map's items are decided already.
            mode = decide(settled, decided, flow=draft.name, flow_type=draft.type)
            settled = settled.model_copy(
                update={
                    "options": replace(options, distributed=mode.distributed),
                    "map_reason": mode.reason,
                }
            )
        else:
            settled = settled.model_copy(update={"options": replace(options, distributed=False)})
        decided[settled.id] = settled
        nodes.append(settled)
    graph = FlowGraph(
        name=draft.name,
        resource_name=draft.resource_name or ascii_resource_name(draft.name),
        description=draft.description,
        parameters=draft.parameters,
        nodes=tuple(nodes),
        output=draft.output,
        schedule=draft.schedule,
        type=draft.type,
        timeout_seconds=draft.timeout_seconds,
        source=draft.source,
        reference_tasks=draft.reference_tasks,
    )
    _check_resource_name(graph)
    check_acyclic(graph)
    return graph


def _check_resource_name(graph: FlowGraph) -> None:
    if not re.fullmatch(STATE_MACHINE_NAME_PATTERN, graph.resource_name):
        raise FlowDefinitionError(
            f"resource_name={graph.resource_name!r} is not a valid state machine name",
            flow=graph.name,
            fix="use at most 80 characters of A-Z a-z 0-9 - _",
        )


def _check_constant_lengths(flow: str, node: TaskNode) -> None:
    lengths = {
        arg: len(v.value)
        for arg, v in node.mapped.items()
        if isinstance(v, ConstInput) and isinstance(v.value, list)
    }
    lengths.update(
        {arg: len(v.items) for arg, v in node.mapped.items() if isinstance(v, ListInput)}
    )
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{a} has {n}" for a, n in lengths.items())
        raise FlowDefinitionError(
            f".map(...) zips iterables of different lengths ({detail})",
            flow=flow,
            task=node.task_name,
            fix="give every mapped argument the same number of items, or wrap the ones to "
            "pass whole in unmapped()",
        )


def check_acyclic(graph: FlowGraph) -> None:
    """Raise a FlowDefinitionError naming the cycle if the dependencies have one."""
    sorter = graphlib.TopologicalSorter({n.id: n.dependencies() for n in graph.nodes})
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        # graphlib gives the cycle as [a, b, ..., a] where each node depends on the next.
        cycle: list[str] = err.args[1]
        raise FlowDefinitionError(
            "its tasks form a cycle: " + " → ".join(reversed(cycle)),
            flow=graph.name,
            task=graph.node(cycle[0]).task_name,
            fix="remove one of these set_upstream/upstream_tasks edges",
        ) from None
