"""`orchestrator run FLOW --param k=v` runs a flow locally, live; `orchestrator runs` looks back.

The run executes the flow's ASL in the embedded engine (see orchestrator/local/); progress is
printed as states start and finish, then a summary table of the task runs. Exit code 0 when the
run SUCCEEDED, 1 when it FAILED or TIMED_OUT, 2 for a user error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orchestrator.cli.flows import load_graph
from orchestrator.engine.history import HistoryEvent, StateAttribution
from orchestrator.errors import ParameterError
from orchestrator.loader import load_project_flows
from orchestrator.local import FlowRun, default_store, run_flow

FAILED_RUN_EXIT = 1
_STYLE = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "ABORTED": "red",
    "TRIGGER_FAILED": "magenta",
    "SKIPPED": "yellow",
    "RUNNING": "cyan",
    "NOT_RUN": "dim",
}


def state_text(state: str, *, bold: bool = False) -> Text:
    """A state, coloured; a Text, never markup, so no state name can break the output."""
    style = _STYLE.get(state, "")
    return Text(state, style=f"bold {style}".strip() if bold else style)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; each value is read as JSON when it parses (3, true, [1,2]), else a string."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param {pair!r} is not key=value; e.g. --param n=3")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


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


def report(console: Console, run: FlowRun) -> None:
    console.print(summary_table(run))
    console.print(state_text(run.state, bold=True), end="")
    if run.succeeded:
        text = " result: " + json.dumps(run.result, ensure_ascii=False, default=str)[:500]
    else:
        text = f" {run.error}: {(run.cause or '')[:500]}"
    console.print(Text(text))


def run(
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
) -> None:
    """Run FLOW locally: its compiled state machine, in-process, with live progress.

    The flow is compiled from the code as it is now; a note says when the committed state
    machine (what `orchestrator build` wrote and SAM deploys) differs. --committed runs the
    committed file itself.
    """
    console = Console()
    if all_flows:
        flows = load_project_flows(Path("pyproject.toml"))
        if param:
            raise ParameterError("--param cannot be combined with --all")
    elif flow is not None:
        flows = [load_graph(flow)[0]]
    else:
        raise ParameterError("name a flow to run (path/to/file.py:flow) or pass --all")
    failed = 0
    for each in flows:
        console.rule(f"[bold]{each.name}[/bold]")
        result = run_flow(
            each.local_machine(committed=committed),
            parse_params(param or []),
            clock=clock,
            on_event=None if quiet else Progress(console),
        )
        report(console, result)
        failed += not result.succeeded
    if failed:
        raise typer.Exit(FAILED_RUN_EXIT)


runs_app = typer.Typer(help="Look at past local runs (the run store).", no_args_is_help=True)


@runs_app.command("list")
def runs_list(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List recent local runs."""
    store = default_store()
    try:
        summaries = store.list(limit)
    finally:
        store.close()
    table = Table()
    table.add_column("run id", overflow="fold", min_width=36)  # ids must stay copyable
    for column in ("flow", "state", "started", "seconds"):
        table.add_column(column)
    for s in summaries:
        seconds = (s.stop_date - s.start_date).total_seconds() if s.stop_date else None
        table.add_row(
            s.name,
            s.state_machine,
            state_text(s.status),
            s.start_date.isoformat(timespec="seconds"),
            "" if seconds is None else f"{seconds:.3f}",
        )
    Console().print(table)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of it).")],
    events: Annotated[bool, typer.Option(help="Also print the execution history.")] = False,
) -> None:
    """Show one local run: state, output and (with --events) its history."""
    store = default_store()
    try:
        execution = store.get(run_id)
    except KeyError as err:
        raise ParameterError(
            f"{err.args[0]} in the run store; see `orchestrator runs list`"
        ) from None
    finally:
        store.close()
    console = Console()
    head = Text(execution.name, style="bold")
    head.append(f" {execution.state_machine} ")
    head.append_text(state_text(execution.status))
    console.print(head)
    if execution.status == "SUCCEEDED":
        console.print_json(json.dumps(execution.output, ensure_ascii=False))
    else:
        console.print(Text(f"{execution.error}: {execution.cause}"))
    if events:
        for event in execution.events:
            console.print(f"{event.id:>4} {event.timestamp.isoformat()} {event.type}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.add_typer(runs_app, name="runs")
