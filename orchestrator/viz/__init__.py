"""Drawings of a flow's task graph: DOT, Mermaid, and SVG/PNG through Graphviz.

    render_graph(graph)            # DOT text
    render_graph(graph, "g.mmd")   # writes Mermaid; .dot, .svg, .png work too

Reads only the `FlowGraph`, like the planner and the deploy step.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.graph import FlowGraph
from orchestrator.viz.dot import to_dot
from orchestrator.viz.graphviz import IMAGE_FORMATS, RenderError, render_image
from orchestrator.viz.mermaid import to_mermaid
from orchestrator.viz.model import picture_of

TEXT_FORMATS = {"dot": to_dot, "gv": to_dot, "mmd": to_mermaid, "mermaid": to_mermaid}
FILE_TYPES = (".dot", ".gv", ".mmd", ".mermaid", ".svg", ".png")

__all__ = ["FILE_TYPES", "RenderError", "render_graph", "render_text"]


def render_text(graph: FlowGraph, fmt: str = "dot") -> str:
    """The drawing as text: `fmt` is "dot" or "mermaid"."""
    renderer = TEXT_FORMATS.get(fmt.lower())
    if renderer is None:
        raise RenderError(f"unknown drawing format {fmt!r}. Fix: use dot or mermaid")
    return renderer(picture_of(graph))


def render_graph(graph: FlowGraph, filename: str | None = None) -> str:
    """DOT text of `graph`; with `filename`, also write it in the format its suffix names.

    Returns the text written (Mermaid for .mmd, DOT for .dot and for the images drawn from it).
    """
    if filename is None:
        return render_text(graph, "dot")
    path = Path(filename)
    suffix = path.suffix.lstrip(".").lower()
    if suffix in TEXT_FORMATS:
        text = render_text(graph, suffix)
        path.write_text(text, encoding="utf-8")
        return text
    if suffix in IMAGE_FORMATS:
        text = render_text(graph, "dot")
        render_image(text, path)
        return text
    raise RenderError(
        f"cannot draw {path.name}: unknown file type {path.suffix or '(none)'!r}. "
        f"Fix: use one of {', '.join(FILE_TYPES)}"
    )
