"""`orchestrator runs list|show`: past local runs, read from the run store, or (`--aws`) the
executions of a deployed stage, read from Step Functions.

Reading never changes the store (it is opened read-only, and a store that does not exist yet
is empty), so looking at history works in a read-only checkout and never competes with a run
that is writing. A corrupt or unreadable store is one `error:` line naming the file and the fix.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from orchestrator.aws.executions import STATUSES
from orchestrator.cli.app import is_debug
from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
    parse_since,
)
from orchestrator.cli.causes import run_cause
from orchestrator.cli.run import state_text
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import StateAttribution
from orchestrator.errors import ParameterError
from orchestrator.local import ExecutionSummary, default_store

runs_app = typer.Typer(
    help="Look at past runs: local ones (the run store), or a stage's (--aws).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
    flow: Annotated[
        str | None, typer.Option("--flow", help="With --aws: only this flow's executions.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help=f"With --aws: only executions in this state ({', '.join(STATUSES)})."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="With --aws: only executions started since (30m, 2h, 7d, a date)."
        ),
    ] = None,
) -> None:
    """List recent local runs, or (--aws) the executions of a deployed stage."""
    target = AwsTarget(aws, stage, profile, region)
    if target.check("runs list"):
        summaries, where = _aws_summaries(target, limit, flow, status, since)
    else:
        if flow is not None or status is not None or since is not None:
            raise ParameterError(
                "--flow, --status and --since filter `orchestrator runs list --aws`"
            )
        store = default_store(readonly=True)
        try:
            summaries = store.list(limit)
        finally:
            store.close()
        where = str(store.path)
    if not summaries:
        typer.echo(f"no runs yet in {where}")
        return
    table = Table()
    table.add_column("run id", overflow="fold", min_width=36)  # ids must stay copyable
    for column in ("flow", "state", "started", "seconds"):
        table.add_column(column)
    for s in summaries:
        seconds = (s.stop_date - s.start_date).total_seconds() if s.stop_date else None
        table.add_row(
            Text(s.name),
            Text(s.state_machine),
            state_text(s.status),
            s.start_date.isoformat(timespec="seconds"),
            "" if seconds is None else f"{seconds:.3f}",
        )
    Console().print(table)


def _aws_summaries(
    target: AwsTarget, limit: int, flow: str | None, status: str | None, since: str | None
) -> tuple[list[ExecutionSummary], str]:
    from orchestrator.aws.executions import list_runs

    wanted = status.upper() if status else None
    if wanted is not None and wanted not in STATUSES:
        raise ParameterError(f"--status {status!r} is not one of {', '.join(STATUSES)}")
    after = parse_since(since) if since else None
    deployment = target.connect()
    flows = [deployment.flow(flow)] if flow else list(deployment.flows.values())
    found = list_runs(deployment, flows, status=wanted, since=after, limit=limit)
    return found, deployment.where


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of it).")],
    events: Annotated[
        bool, typer.Option(help="Also print the execution history, with each event's state.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the whole run as JSON (the error's cause unabridged)."),
    ] = False,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Show one run: state, output or error and (with --events) its history.

    A local run from the run store, or (--aws) an execution of a deployed stage: RUN_ID is its
    name, its ARN, or a unique prefix of a recent one's name.
    """
    target = AwsTarget(aws, stage, profile, region)
    if target.check("runs show"):
        from orchestrator.aws import executions

        deployment = target.connect()
        execution = executions.read(deployment, executions.find(deployment, run_id))
    else:
        store = default_store(readonly=True)
        try:
            execution = store.get(run_id)
        except KeyError as err:
            raise ParameterError(
                f"{err.args[0]} in the run store; see `orchestrator runs list`"
            ) from None
        finally:
            store.close()
    print_execution(ctx, execution, events=events, as_json=as_json)


def print_execution(
    ctx: typer.Context, execution: Execution, *, events: bool, as_json: bool
) -> None:
    """A run as `runs show` prints it: head line, output or cause, and the history if asked."""
    if as_json:
        typer.echo(json.dumps(execution_json(execution), indent=2, ensure_ascii=False))
        return
    console = Console()
    head = Text(execution.name, style="bold")
    head.append(f" {execution.state_machine} ")
    head.append_text(state_text(execution.status))
    console.print(head)
    if execution.status == "SUCCEEDED":
        console.print_json(json.dumps(execution.output, ensure_ascii=False))
    elif execution.status != "RUNNING":
        took = (execution.stop_date - execution.start_date).total_seconds()
        cause = run_cause(execution.status, execution.error, execution.cause, took)
        console.print(Text(cause.headline))
        for frame in cause.frames:
            console.print(Text(f"  {frame}"))
        if is_debug(ctx) and execution.cause:
            console.print(Text(execution.cause), soft_wrap=True)
    if events:
        state_of = StateAttribution()
        for event in execution.events:
            state = state_of(event) or ""
            line = f"{event.id:>4} {event.timestamp.isoformat()} {event.type:<28} {state}"
            console.print(Text(line.rstrip()))


def execution_json(execution: Execution) -> dict[str, Any]:
    """The run as Step Functions' DescribeExecution + GetExecutionHistory would show it."""
    state_of = StateAttribution()
    return {
        "executionArn": execution.execution_arn,
        "name": execution.name,
        "stateMachine": execution.state_machine,
        "status": execution.status,
        "startDate": execution.start_date.isoformat(),
        "stopDate": execution.stop_date.isoformat(),
        "input": execution.input,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "events": [
            {
                "id": e.id,
                "previousEventId": e.previous_event_id,
                "timestamp": e.timestamp.isoformat(),
                "type": e.type,
                "state": state_of(e),
                "details": e.details,
            }
            for e in execution.events
        ],
    }


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")
