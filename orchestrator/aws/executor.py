"""`StepFunctionsExecutor`: run a flow on a deployed stage and get the `FlowRun` a local run gives.

    from orchestrator.aws import StepFunctionsExecutor

    run = etl.run(executor=StepFunctionsExecutor(stage="prod"), day="2024-11-11")
    etl.executor = StepFunctionsExecutor(stage="prod")   # Prefect 1.x's spelling: every run

The execution starts through the flow's `live` alias, found in the stage's stack outputs, and is
followed until it ends; its history is read into a `FlowRun` by the very code that reads a local
run (`orchestrator.local.flowrun`): state, result, one `TaskRun` per task. A Distributed Map's
iterations run as child executions outside the parent's history: their count comes from
`DescribeMapRun`, one attempt per item (retries inside the children are not read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.aws import executions
from orchestrator.aws.deployment import Deployment, connect, default_stage
from orchestrator.aws.errors import aws_calls
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import StateAttribution
from orchestrator.graph import FlowGraph
from orchestrator.local.flowrun import FlowRun, TaskRun, check_params, flow_result, task_runs_of

if TYPE_CHECKING:
    from orchestrator.sdk.flow import Flow

OnEvent = Callable[[dict[str, Any]], None]


class StepFunctionsExecutor:
    """Runs flows on the Step Functions of a deployed stage (`orchestrator deploy --stage S`).

    `stage` defaults to ORCHESTRATOR_STAGE, else "dev"; `profile` and `region` are boto3's
    (the region defaults to the one the stage was deployed to); `project` is the project root
    whose `[project] name` names the stack (default: the flow's project, else the current
    directory); `session` replaces profile and region with a boto3 Session of your own.
    `timeout` (seconds) bounds the wait for an execution; None waits for as long as it runs.
    """

    def __init__(
        self,
        stage: str | None = None,
        *,
        profile: str | None = None,
        region: str | None = None,
        project: str | Path | None = None,
        session: Any = None,
        poll_interval: float = executions.FIRST_POLL,
        timeout: float | None = None,
    ) -> None:
        self.stage = stage or default_stage()
        self.profile = profile
        self.region = region
        self.project = Path(project) if project is not None else None
        self.session = session
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._deployments: dict[Path, Deployment] = {}

    def __repr__(self) -> str:
        return f"StepFunctionsExecutor(stage={self.stage!r})"

    def deployment(self, flow: Flow | None = None) -> Deployment:
        """The stage's deployment, for the project of `flow` (read once per project)."""
        root = self._root(flow)
        if root not in self._deployments:
            self._deployments[root] = connect(
                self.stage,
                root=root,
                profile=self.profile,
                region=self.region,
                session=self.session,
            )
        return self._deployments[root]

    def _root(self, flow: Flow | None) -> Path:
        if self.project is not None:
            return self.project.resolve()
        project = flow.project() if flow is not None else None
        return (project.root if project is not None else Path.cwd()).resolve()

    def start(self, flow: Flow, params: dict[str, Any] | None = None) -> str:
        """Start `flow` on `params` (checked as a local run checks them); the execution ARN."""
        graph = flow.graph
        execution_input = check_params(graph, dict(params or {}))
        deployment = self.deployment(flow)
        return executions.start(deployment, deployment.flow(graph.name), execution_input)

    def run_flow(
        self, flow: Flow, params: dict[str, Any], on_event: OnEvent | None = None
    ) -> FlowRun:
        """Start `flow`, follow it to its end (each new history event to `on_event`), and read
        it into a FlowRun. What `flow.run(executor=self)` calls."""
        arn = self.start(flow, params)
        deployment = self.deployment(flow)
        execution = executions.follow(
            deployment, arn, on_event, first_poll=self.poll_interval, timeout=self.timeout
        )
        return remote_flow_run(deployment, flow.graph, execution)

    def flow_run(self, flow: Flow, execution_arn: str) -> FlowRun:
        """The FlowRun of an execution of `flow` that already started (running or done)."""
        deployment = self.deployment(flow)
        return remote_flow_run(deployment, flow.graph, executions.read(deployment, execution_arn))


def remote_flow_run(deployment: Deployment, graph: FlowGraph, execution: Execution) -> FlowRun:
    """What `flow.run()` returns, for an execution on AWS."""
    params = execution.input if isinstance(execution.input, dict) else {}
    run = FlowRun(flow=graph.name, execution=execution, params=params)
    run.task_runs = task_runs_of(graph, execution.events)
    _count_map_runs(deployment, execution, run.task_runs)
    run.result = flow_result(graph, execution.status, execution.output, run.task_runs)
    return run


def _count_map_runs(deployment: Deployment, execution: Execution, runs: dict[str, TaskRun]) -> None:
    """Each Distributed Map's items, from its map run: one attempt per item."""
    state_of = StateAttribution()
    for event in execution.events:
        state = state_of(event)
        arn = event.details.get("mapRunArn")
        if event.type != "MapRunStarted" or not arn or state not in runs:
            continue
        items = map_run_items(deployment, arn)
        run = runs[state]
        run.iterations = (run.iterations or 0) + items
        run.attempts += items


def map_run_items(deployment: Deployment, map_run_arn: str) -> int:
    """How many items a Distributed Map's run had (`DescribeMapRun`)."""
    sfn = deployment.client("stepfunctions")
    with aws_calls(f"reading map run {map_run_arn}", "states"):
        return int(sfn.describe_map_run(mapRunArn=map_run_arn)["itemCounts"]["total"])
