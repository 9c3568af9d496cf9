"""`orchestrator run FLOW --param k=v` runs a flow locally, live (`orchestrator runs` looks back).

The run executes the flow's ASL in the embedded engine (see orchestrator/local/); progress is
printed as states start and finish, then a summary table of the task runs. Exit code 0 when the
run SUCCEEDED; 1 when it FAILED or TIMED_OUT, with one `error:` line naming the flow, the task,
the error and the user's line; 2 for a user error; 130 for Ctrl-C (the run is kept as ABORTED).

`--aws` runs the flow on a deployed stage (`orchestrator.aws`): the same progress, table and
exit codes, read from the execution's Step Functions history; Ctrl-C leaves the execution
running on AWS and says how to stop it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orchestrator.cli.app import is_debug
from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
)
from orchestrator.cli.causes import run_cause
from orchestrator.cli.flows import load_graph
from orchestrator.cli.params import parse_params, raw_values
from orchestrator.cli.report import FAILED_EXIT, note, report_error
from orchestrator.engine.history import HistoryEvent, StateAttribution
from orchestrator.errors import ParameterError
from orchestrator.loader import load_project_flows
from orchestrator.local import FlowRun, run_flow
from orchestrator.sdk.flow import Flow
from orchestrator.sdk.params import typed_params
from orchestrator.viz.palette import TERMINAL_STYLES

if TYPE_CHECKING:
    from orchestrator.aws import Deployment

FAILED_RUN_EXIT = FAILED_EXIT


def state_text(state: str, *, bold: bool = False) -> Text:
    """A state, coloured; a Text, never markup, so no state name can break the output."""
    style = TERMINAL_STYLES.get(state, "")
    return Text(state, style=f"bold {style}".strip() if bold else style)


class Progress:
    """Prints one line per task state as it starts and ends (live, from the engine's event hook).

    Map iterations are not printed one by one: the Map's line counts them when it ends.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.state_of = StateAttribution()
        self.in_iteration: dict[int, bool] = {}
        self.items: dict[str, int] = {}

    def __call__(self, event: HistoryEvent) -> None:
        details = event.details
        name = escape(self.state_of(event) or "")
        nested = event.type == "MapIterationStarted" or self.in_iteration.get(
            event.previous_event_id, False
        )
        self.in_iteration[event.id] = nested and event.type != "MapIterationSucceeded"
        if event.type in ("MapIterationSucceeded", "MapIterationFailed"):
            key = str(details.get("name"))
            self.items[key] = self.items.get(key, 0) + 1
        at = f"[dim]{event.timestamp.strftime('%H:%M:%S.%f')[:-3]}[/dim]"
        if event.type in ("TaskFailed", "TaskTimedOut"):
            error = escape(str(details.get("error", "")))
            self.console.print(f"{at} [red]✗ {name}: {error}[/red]")
        elif nested or not name:
            return
        elif event.type in ("TaskStateEntered", "MapStateEntered"):
            self.console.print(f"{at} ▶ {name}")
        elif event.type == "TaskStateExited":
            self.console.print(f"{at} [green]✓ {name}[/green]")
        elif event.type == "MapStateExited":
            count = self.items.get(name, 0)
            self.console.print(f"{at} [green]✓ {name} ({count} items)[/green]")


def summary_table(run: FlowRun) -> Table:
    table = Table(title=f"{run.flow} · {run.run_id}", title_justify="left")
    for column in ("task", "state", "attempts", "items", "seconds", "error"):
        table.add_column(column)
    for task_run in run.task_runs.values():
        duration = task_run.duration
        table.add_row(
            task_run.id,
            state_text(task_run.state),
            str(task_run.attempts),
            "" if task_run.iterations is None else str(task_run.iterations),
            "" if duration is None else f"{duration:.3f}",
            Text(task_run.error or ""),
        )
    return table


def report(console: Console, run: FlowRun, *, debug: bool = False) -> None:
    """The summary table, then the outcome: the result, or the cause as a person reads it."""
    console.print(summary_table(run))
    console.print(state_text(run.state, bold=True), end="")
    if run.succeeded:
        text = " result: " + json.dumps(run.result, ensure_ascii=False, default=str)[:500]
        console.print(Text(text))
        return
    cause = run_cause(run.state, run.error, run.cause, _seconds(run))
    console.print(Text(f" {cause.headline}"))
    for frame in cause.frames:
        console.print(Text(f"  {frame}"))
    if debug and run.cause:
        console.print(Text(run.cause), soft_wrap=True)


def _seconds(run: FlowRun) -> float:
    execution = run.execution
    return (execution.stop_date - execution.start_date).total_seconds()


def failure_line(run: FlowRun, show_flags: str = "") -> str:
    """The one `error:` line of a run that did not succeed: flow, task, error, the user's line.

    `show_flags` are the options `runs show` needs to find the run again (`--aws --stage S`)."""
    cause = run_cause(run.state, run.error, run.cause, _seconds(run))
    failed = [t for t in run.task_runs.values() if t.state in ("FAILED", "TIMED_OUT")]
    task = next((t for t in failed if t.error == run.error), failed[0] if failed else None)
    places = [f"task {task.id!r}"] if task else []
    places += [cause.where] if cause.where else []
    at = f" ({', '.join(places)})" if places else ""
    return (
        f"flow {run.flow!r} {run.state}: {cause.headline}{at}; "
        f"the run's history: orchestrator runs show {run.run_id}{show_flags}"
    )


def run(
    ctx: typer.Context,
    flow: Annotated[str | None, typer.Argument(metavar="[FLOW]", show_default=False)] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A flow parameter, key=value.")
    ] = None,
    clock: Annotated[
        str, typer.Option(help="'real', or 'virtual' to record retry/Wait delays, not sleep.")
    ] = "real",
    all_flows: Annotated[
        bool, typer.Option("--all", help="Run every flow in [tool.orchestrator] flows.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
    committed: Annotated[
        bool,
        typer.Option(
            "--committed",
            help="Run the committed infra/statemachines/<flow>.asl.json (what deploys) instead "
            "of compiling the code as it is now.",
        ),
    ] = False,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="With --aws: print the execution ARN and exit."),
    ] = False,
) -> None:
    """Run FLOW with live progress: locally, in-process, or (--aws) on a deployed stage.

    The flow is compiled from the code as it is now; a note says when the committed state
    machine (what `orchestrator build` wrote and SAM deploys) differs. --committed runs the
    committed file itself.

    --aws runs FLOW on a deployed stage instead: an execution started through the flow's
    alias (from the stage's stack outputs), followed with the same progress and table.
    """
    target = AwsTarget(aws, stage, profile, region)
    if not target.check("run") and no_wait:
        raise ParameterError("--no-wait applies to `orchestrator run --aws`")
    if target.aws and (committed or clock != "real"):
        raise ParameterError(
            "--committed and --clock apply to local runs; `run --aws` runs what the stage "
            "has deployed, on AWS's clock"
        )
    console = Console()
    params = parse_params(param or [])
    if all_flows:
        if param:
            raise ParameterError("--param cannot be combined with --all")
        flows = load_project_flows(Path("pyproject.toml"))
    elif flow is not None:
        flows = [load_graph(flow)[0]]
        params = typed_params(flows[0], params, raw_values(param or []))
    else:
        raise ParameterError("name a flow to run (path/to/file.py:flow) or pass --all")
    failed: list[FlowRun] = []
    show_flags = ""
    if target.aws:
        failed, show_flags = _run_on_aws(ctx, console, flows, params, target, no_wait, quiet)
    else:
        for each in flows:
            console.rule(Text(each.name, style="bold"))
            result = run_flow(
                each.local_machine(committed=committed),
                params,
                clock=clock,
                on_event=None if quiet else Progress(console),
            )
            report(console, result, debug=is_debug(ctx))
            if not result.succeeded:
                failed.append(result)
    if len(failed) == 1:
        report_error(failure_line(failed[0], show_flags), debug=False)
    elif failed:
        names = ", ".join(f"{r.flow!r} ({r.state})" for r in failed)
        report_error(f"{len(failed)} of {len(flows)} flows did not succeed: {names}", debug=False)
    if failed:
        raise typer.Exit(FAILED_RUN_EXIT)


def _run_on_aws(
    ctx: typer.Context,
    console: Console,
    flows: list[Flow],
    params: dict[str, Any],
    target: AwsTarget,
    no_wait: bool,
    quiet: bool,
) -> tuple[list[FlowRun], str]:
    """Each flow run on the stage: started through its alias, followed, reported as locally."""
    from orchestrator.aws import StepFunctionsExecutor, remote_flow_run
    from orchestrator.aws.executions import follow

    executor = StepFunctionsExecutor(target.stage, profile=target.profile, region=target.region)
    failed: list[FlowRun] = []
    flags = ""
    for each in flows:
        deployment = executor.deployment(each)
        flags = target.flags(deployment)
        if not no_wait:
            console.rule(Text(each.name, style="bold"))
        arn = executor.start(each, params)
        if no_wait:
            typer.echo(arn)
            continue
        console.print(Text(f"started {arn} on {deployment.where}", style="dim"), soft_wrap=True)
        try:
            execution = follow(
                deployment, arn, None if quiet else _shown(Progress(console), deployment)
            )
        except KeyboardInterrupt:
            note(
                f"the execution goes on in AWS; stop it with `orchestrator stop "
                f"{arn.rsplit(':', 1)[1]}{flags}`"
            )
            raise
        result = remote_flow_run(deployment, each.graph, execution)
        report(console, result, debug=is_debug(ctx))
        if not result.succeeded:
            failed.append(result)
    return failed, flags


def _shown(progress: Progress, deployment: Deployment) -> Callable[[dict[str, Any]], None]:
    """The progress view fed Step Functions' history events. A Distributed Map's iterations
    are child executions, outside this history: its line counts the items of its map run."""
    from orchestrator.aws.executor import map_run_items
    from orchestrator.aws.history import history_event

    state_of = StateAttribution()
    map_runs: dict[str, str] = {}

    def show(raw: dict[str, Any]) -> None:
        event = history_event(raw)
        state = state_of(event) or ""
        if event.type == "MapRunStarted" and event.details.get("mapRunArn"):
            map_runs[state] = str(event.details["mapRunArn"])
        elif event.type == "MapStateExited" and state in map_runs:
            progress.items[state] = map_run_items(deployment, map_runs.pop(state))
        progress(event)

    return show


def register(app: typer.Typer) -> None:
    app.command("run")(run)
