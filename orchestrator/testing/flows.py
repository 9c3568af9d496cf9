"""Run a flow's compiled state machine in moto, its Lambdas running the real task handler.

with MotoStepFunctions() as sfn:
    run = run_flow_in_moto(sfn, my_flow, {"n": 3})
    assert run.status == "SUCCEEDED"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.runtime.handler import execute_task
from orchestrator.sdk.flow import Flow
from orchestrator.testing.moto import MotoRun, MotoStepFunctions, StateMachine


def flow_handlers(flow: Flow) -> dict[str, Callable[[Any], Any]]:
    """Placeholder name → an in-process Lambda handler running that task through the runtime."""
    plan = flow.plan()
    tasks = flow.tasks()
    return {
        key: (lambda fn: lambda event: execute_task(fn, event))(tasks[task_key].fn)
        for key, task_key in plan.placeholders.items()
    }


def deploy_flow(sfn: MotoStepFunctions, flow: Flow) -> StateMachine:
    return sfn.deploy(flow.asl(), flow_handlers(flow), name=flow.graph.resource_name)


def run_flow_in_moto(
    sfn: MotoStepFunctions, flow: Flow, params: dict[str, Any] | None = None
) -> MotoRun:
    """Deploy `flow` into the running moto and execute it with `params` as the input.

    The run reads like `flow.run()`'s FlowRun: `state`, `result`, `task_runs` (state, attempts,
    error per task), `error`/`cause`; plus moto's own `output`, `events` and invocations.
    """
    from orchestrator.local.flowrun import flow_result, task_runs_of
    from orchestrator.testing.moto import history_event

    run = sfn.execute(deploy_flow(sfn, flow), params or {})
    graph = flow.graph
    run.flow = graph.name
    run.task_runs = task_runs_of(graph, [history_event(e) for e in run.events])
    run.result = flow_result(graph, run.status, run.output, run.task_runs)
    return run
