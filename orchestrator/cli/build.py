"""`orchestrator build [--check]` and `orchestrator validate`: the deploy commands.

Registered on the main app by `register(app)`. Errors in the user's flows are raised as
`OrchestratorError`, which the app reports on one line (exit 2); a stale `--check` or a failed
validation exits 1, like a failing test.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from orchestrator.cli.files import check_template

PROJECT_HELP = "Project root: the directory holding pyproject.toml with [tool.orchestrator]."
STALE_EXIT = 1
CURRENT_DIR = Path(".")
ProjectOption = typer.Option(CURRENT_DIR, "--project", "-p", help=PROJECT_HELP, file_okay=False)


def build(
    project: Path = ProjectOption,
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if template.yaml or an ASL file is stale."
    ),
) -> None:
    """Write infra/statemachines/*.asl.json and template.yaml for the project's flows."""
    from orchestrator.deploy.build import generate, stale, write
    from orchestrator.durations import DURATIONS_FILE, read_durations, unknown_flows
    from orchestrator.planner import HistoryBudgetExceeded

    artifacts = generate(project.resolve())
    for b in artifacts.builds:
        for note in b.plan.notes:
            typer.echo(f"note: {note}", err=True)
        over = b.plan.history_warning()
        if over is not None:  # a `note:` line (cli/app.py shows warnings so)
            warnings.warn(over, HistoryBudgetExceeded, stacklevel=1)
    recorded = read_durations(artifacts.config.root)
    for name in unknown_flows(recorded, [b.graph.name for b in artifacts.builds]):
        typer.echo(
            f"note: {DURATIONS_FILE} records flow {name!r}, which [tool.orchestrator] flows "
            "does not ship: nothing built reads its durations",
            err=True,
        )
    if check:
        problems = stale(artifacts)
        if problems:
            typer.echo("stale deploy artifacts (run `orchestrator build`):", err=True)
            for line in problems:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(STALE_EXIT)
        typer.echo(f"up to date: template.yaml and {len(artifacts.builds)} state machine(s)")
        return
    changed = write(artifacts)
    for rel in changed:
        typer.echo(f"wrote {rel.as_posix()}")
    if not changed:
        typer.echo("nothing changed")


def validate(
    project: Path = ProjectOption,
    sam: bool = typer.Option(True, "--sam/--no-sam", help="Also run `sam validate --lint`."),
) -> None:
    """statelint every ASL; translate template.yaml offline and cfn-lint it; sam validate."""
    from orchestrator.deploy.validate import validate_project

    check_template(project.resolve())
    failed = False
    for result in validate_project(project.resolve(), run_sam=sam):
        if result.skipped:
            typer.echo(f"skip {result.name}: {result.skipped}")
        elif result.ok:
            typer.echo(f"ok   {result.name}")
        else:
            failed = True
            typer.echo(f"FAIL {result.name}:", err=True)
            for problem in result.problems:
                typer.echo(f"  {problem}", err=True)
    if failed:
        raise typer.Exit(STALE_EXIT)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("validate")(validate)
