"""`orchestrator plan FLOW`: print or write the state machine (ASL) a flow compiles to."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.files import check_output, write_output
from orchestrator.cli.flows import FlowSpec, load_graph
from orchestrator.cli.report import warning

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the ASL to this file (e.g. etl.asl.json).", dir_okay=False
    ),
]


def plan(flow: FlowSpec, output: OutputOption = None) -> None:
    """Compile FLOW to Amazon States Language and print it."""
    if output is not None:
        check_output(output)  # before compiling: a typo in -o should not cost a build
    compiled, _ = load_graph(flow)
    from orchestrator.planner import DefinitionOverQuota

    plan_ = compiled.plan()
    for message, category in plan_.warnings():  # `note:` lines (cli/app.py shows warnings so)
        if category is not DefinitionOverQuota:  # (a `warning:` line, below)
            warnings.warn(message, category, stacklevel=1)
    text = plan_.text  # what `orchestrator build` commits, byte for byte
    summary = plan_.control_summary()
    if summary:  # on stderr: stdout stays the ASL document
        typer.echo(summary, err=True)
    typer.echo(compiled.weights().summary(), err=True)  # what the synchronisation weighed
    typer.echo(plan_.synchronisation_summary(), err=True)
    slow = plan_.synchronisation_warning()
    if slow:
        warning(slow)
    for line in plan_.maps:
        typer.echo(line, err=True)
    typer.echo(plan_.state_size_summary(), err=True)
    typer.echo(plan_.history_summary(), err=True)
    split = plan_.split_summary()
    if split:  # stdout is the parent machine; `orchestrator build` writes the children too
        typer.echo(split, err=True)
    oversize = plan_.oversize_warning()
    if oversize:
        warning(oversize)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
