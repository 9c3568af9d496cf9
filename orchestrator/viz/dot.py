"""Graphviz DOT text of a flow's picture.

Labels are HTML-like (`<...>`) so the retries/timeout line can be set smaller; every piece of user
text goes through `html.escape`, and identifiers are quoted with `"` and `\\` escaped. A picture
of a run fills each task with its state's colour at half opacity, as Prefect 1.x does.
"""

from __future__ import annotations

import html

from orchestrator.viz.model import Picture, PictureEdge, PictureNode
from orchestrator.viz.palette import state_fill

_SHAPES = {
    "parameter": 'shape=ellipse, style="filled"',
    "task": 'shape=box, style="rounded,filled"',
    # box3d reads as "a stack of runs": the task runs once per item.
    "map": 'shape=box3d, style="filled"',
}
_FILLS = {"parameter": "#eef3fb", "task": "#ffffff", "map": "#fff6e0"}
_EDGES = {"data": "style=solid", "order": "style=dashed"}


def to_dot(picture: Picture) -> str:
    lines = [
        f"digraph {quote(picture.title)} {{",
        f"  graph [label={_html(picture.title, None, bold=True)}, labelloc=t, rankdir=TB, "
        'fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize=12];',
        '  edge [fontname="Helvetica", color="#555555"];',
    ]
    lines += [_node(n) for n in picture.nodes]
    lines += [_edge(e) for e in picture.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """A DOT quoted string: only `"` and `\\` need escaping (UTF-8 is the default charset)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(node: PictureNode) -> str:
    label = _html(node.title, node.caption)
    fill = _FILLS[node.kind] if node.state is None else state_fill(node.state)
    return f'  {quote(node.key)} [label={label}, {_SHAPES[node.kind]}, fillcolor="{fill}"];'


def _edge(edge: PictureEdge) -> str:
    return f"  {quote(edge.source)} -> {quote(edge.target)} [{_EDGES[edge.kind]}];"


def _html(title: str, detail: str | None, *, bold: bool = False) -> str:
    text = html.escape(title, quote=True)
    if bold:
        text = f"<B>{text}</B>"
    if detail:
        text += f'<BR/><FONT POINT-SIZE="9" COLOR="#666666">{html.escape(detail)}</FONT>'
    return f"<{text}>"
