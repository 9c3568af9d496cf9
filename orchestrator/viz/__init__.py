"""Drawings of a flow's task graph (DOT, Mermaid, SVG/PNG through Graphviz) and of its runs.

    render_graph(graph)                      # DOT text
    render_graph(graph, "g.mmd")             # writes Mermaid; .dot, .svg, .png work too
    render_graph(graph, states={"a": "FAILED"})   # a run's tasks filled by their final state
    run_report(graph, summary, events, tasks)     # the HTML run report (viz/run_report.py)

Reads only plain data — the `FlowGraph`, a run's history — like the planner and the deploy step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orchestrator.graph import FlowGraph
from orchestrator.viz.dot import to_dot
from orchestrator.viz.graphviz import IMAGE_FORMATS, RenderError, render_image
from orchestrator.viz.mermaid import to_mermaid
from orchestrator.viz.model import picture_of

TEXT_FORMATS = {"dot": to_dot, "gv": to_dot, "mmd": to_mermaid, "mermaid": to_mermaid}
FILE_TYPES = (".dot", ".gv", ".mmd", ".mermaid", ".svg", ".png")

__all__ = ["FILE_TYPES", "RenderError", "render_graph", "render_text"]


States = Mapping[str, str]  # task id → its final state in a run


def render_text(graph: FlowGraph, fmt: str = "dot", states: States | None = None) -> str:
    """The drawing as text: `fmt` is "dot" or "mermaid"; `states` colours a run's tasks."""
    renderer = TEXT_FORMATS.get(fmt.lower())
    if renderer is None:
        raise RenderError(f"unknown drawing format {fmt!r}. Fix: use dot or mermaid")
    return renderer(picture_of(graph, states))


def render_graph(
    graph: FlowGraph, filename: str | None = None, states: States | None = None
) -> str:
    """DOT text of `graph`; with `filename`, also write it in the format its suffix names.

    Returns the text written (Mermaid for .mmd, DOT for .dot and for the images drawn from it).
    """
    if filename is None:
        return render_text(graph, "dot", states)
    path = Path(filename)
    suffix = path.suffix.lstrip(".").lower()
    if suffix in TEXT_FORMATS:
        text = render_text(graph, suffix, states)
        path.write_text(text, encoding="utf-8")
        return text
    if suffix in IMAGE_FORMATS:
        text = render_text(graph, "dot", states)
        render_image(text, path)
        return text
    raise RenderError(
        f"cannot draw {path.name}: unknown file type {path.suffix or '(none)'!r}. "
        f"Fix: use one of {', '.join(FILE_TYPES)}"
    )
