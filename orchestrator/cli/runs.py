"""`orchestrator runs list|show`: past local runs, read from the run store.

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

from orchestrator.cli.app import is_debug
from orchestrator.cli.causes import read_cause
from orchestrator.cli.run import state_text
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import StateAttribution
from orchestrator.errors import ParameterError
from orchestrator.local import default_store

runs_app = typer.Typer(
    help="Look at past local runs (the run store).", no_args_is_help=True, rich_markup_mode=None
)


@runs_app.command("list")
def runs_list(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List recent local runs."""
    store = default_store(readonly=True)
    try:
        summaries = store.list(limit)
    finally:
        store.close()
    if not summaries:
        typer.echo(f"no runs yet in {store.path}")
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
) -> None:
    """Show one local run: state, output or error and (with --events) its history."""
    store = default_store(readonly=True)
    try:
        execution = store.get(run_id)
    except KeyError as err:
        raise ParameterError(
            f"{err.args[0]} in the run store; see `orchestrator runs list`"
        ) from None
    finally:
        store.close()
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
        cause = read_cause(execution.error, execution.cause)
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
