"""`run_on_lambda(flow, memory=...)`: the seed article's Serverless deploy, here a flow option.

Every Orchestrator task already runs on Lambda; this sets the flow's default Lambda memory.
"""

from __future__ import annotations

from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.flow import Flow
from orchestrator.sdk.task import _memory

__all__ = [
    "run_on_lambda",
]


def run_on_lambda(flow: Flow, memory: int | None = None) -> Flow:
    """Give every task of `flow` without its own `memory=` this much Lambda memory (MB)."""
    if not isinstance(flow, Flow):
        raise FlowDefinitionError(
            f"run_on_lambda was given {flow!r}, not a flow", fix="pass the Flow object"
        )
    try:
        flow.default_memory = _memory(flow.name, memory)
    except FlowDefinitionError as err:
        raise FlowDefinitionError(err.problem, flow=flow.name, fix=err.fix) from None
    flow._graph = None
    return flow
