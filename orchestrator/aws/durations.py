"""Task durations from a deployed stage's executions (`orchestrator durations record --aws`).

The flow's latest successful executions, listed by `ListExecutions` (every version and alias of
its state machine), each history read whole and summarised as a local run's is
(`orchestrator.local.durations`).
"""

from __future__ import annotations

from orchestrator.aws.deployment import Deployment
from orchestrator.aws.errors import aws_calls
from orchestrator.aws.executions import list_runs
from orchestrator.aws.history import history_event, read_history
from orchestrator.graph import FlowGraph
from orchestrator.local.durations import Samples


def aws_samples(deployment: Deployment, graph: FlowGraph, runs: int) -> Samples:
    """The durations of `graph`'s tasks in its latest `runs` successful executions."""
    flow = deployment.flow(graph.name)
    sfn = deployment.client("stepfunctions")
    samples = Samples()
    for execution in list_runs(deployment, [flow], status="SUCCEEDED", limit=runs):
        arn = execution.execution_arn
        with aws_calls(f"reading the history of {arn}", "states"):
            events = read_history(sfn, arn)
        samples.add(graph, [history_event(e) for e in events])
    return samples
