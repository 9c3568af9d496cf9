"""The flow graph: nodes, edges and options, validated — the one input of everything downstream.

`build_graph` turns the plain data of a traced flow (a `FlowDraft`, which the SDK lowers its
references into) into a `FlowGraph` of frozen dataclasses, every task's options settled. The
planner, the deploy step and the visualiser read only this model; the graph imports nothing of
the SDK.
"""

from orchestrator.graph.build import FlowDraft, build_graph, check_acyclic
from orchestrator.graph.model import (
    CaseCondition,
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParameterSpec,
    ParamInput,
    PathStep,
    ResultInput,
    ScheduleSpec,
    TaskNode,
    references,
    result_nodes,
    value_of,
)
from orchestrator.graph.names import MAX_RESOURCE_NAME, function_id, node_id, resource_name

__all__ = [
    "MAX_RESOURCE_NAME",
    "CaseCondition",
    "ConstInput",
    "DictInput",
    "FlowDraft",
    "FlowGraph",
    "Input",
    "ListInput",
    "ParamInput",
    "ParameterSpec",
    "PathStep",
    "ResultInput",
    "ScheduleSpec",
    "TaskNode",
    "build_graph",
    "check_acyclic",
    "function_id",
    "node_id",
    "references",
    "resource_name",
    "result_nodes",
    "value_of",
]
