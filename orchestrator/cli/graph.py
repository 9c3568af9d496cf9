"""`orchestrator graph FLOW`: draw a flow's task graph (DOT, Mermaid, SVG, PNG)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.files import check_output
from orchestrator.cli.flows import FlowSpec, load_graph
from orchestrator.viz import render_graph, render_text


class Format(StrEnum):
    dot = "dot"
    mermaid = "mermaid"


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the drawing; its suffix picks the format: .dot, .mmd, .svg, .png.",
        dir_okay=False,
    ),
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Format printed on stdout (without -o).")
]


def graph(flow: FlowSpec, output: OutputOption = None, fmt: FormatOption = Format.dot) -> None:
    """Draw FLOW's tasks, parameters and dependencies (DOT on stdout by default)."""
    if output is not None:
        check_output(output)
    _, flow_graph = load_graph(flow)
    if output is None:
        typer.echo(render_text(flow_graph, fmt.value), nl=False)
        return
    render_graph(flow_graph, str(output))
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)
