"""The flow graph: nodes, edges and options, validated — the one input of everything downstream.

`build_graph` turns what a traced flow body recorded (task calls, parameters, the returned
reference) into a `FlowGraph` of pydantic models. The planner, the deploy step and the visualiser
read only this model, never the SDK objects.
"""

from orchestrator.graph.build import build_graph, check_acyclic
from orchestrator.graph.model import (
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParameterSpec,
    ParamInput,
    PathStep,
    ResultInput,
    RetrySpec,
    ScheduleSpec,
    TaskNode,
    references,
    result_nodes,
)
from orchestrator.graph.names import MAX_RESOURCE_NAME, function_id, node_id, resource_name

__all__ = [
    "MAX_RESOURCE_NAME",
    "ConstInput",
    "DictInput",
    "FlowGraph",
    "Input",
    "ListInput",
    "ParamInput",
    "ParameterSpec",
    "PathStep",
    "ResultInput",
    "RetrySpec",
    "ScheduleSpec",
    "TaskNode",
    "build_graph",
    "check_acyclic",
    "function_id",
    "node_id",
    "references",
    "resource_name",
    "result_nodes",
]
