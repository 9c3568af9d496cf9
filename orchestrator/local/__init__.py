"""Local runs: a flow's state machine on the engine, its Task states calling the runtime handler.

The layer between the pure interpreter (`orchestrator.engine`) and the user: it runs a
`LocalMachine` (the graph, the ASL, the function behind each Task state — plain data, no SDK
objects), keeps executions in the run store, and reads a finished execution back into a
`FlowRun`. It also knows the committed ASL, to say when it is stale and to run it as deployed,
and redrives a failed run from where it stopped (`redrive_run`).
"""

from orchestrator.local.committed import (
    StaleStateMachine,
    committed_asl,
    committed_children,
    stale_note,
)
from orchestrator.local.flowrun import (
    FlowRun,
    LocalMachine,
    TaskRun,
    run_flow,
)
from orchestrator.local.recorder import RunStoreUnavailable, default_store
from orchestrator.local.redrive import RedriveUsesRecordedDefinition, RunNotRedrivable, redrive_run
from orchestrator.local.store import ExecutionSummary, RunStore

__all__ = [
    "ExecutionSummary",
    "FlowRun",
    "LocalMachine",
    "RedriveUsesRecordedDefinition",
    "RunNotRedrivable",
    "RunStore",
    "RunStoreUnavailable",
    "StaleStateMachine",
    "TaskRun",
    "committed_asl",
    "committed_children",
    "default_store",
    "redrive_run",
    "run_flow",
    "stale_note",
]
