"""Mermaid `flowchart` text of a flow's picture (renders in GitHub, GitLab and most docs sites).

Labels are always double-quoted; inside them Mermaid reads `#name;` entity codes, so `"`, `#`,
`<`, `>` and `&` are written as codes. Identifiers are the picture's ASCII keys. A picture of a
run gets one class per task state, filled like the DOT drawing.
"""

from __future__ import annotations

import json
import re

from orchestrator.viz.model import Picture, PictureEdge, PictureNode
from orchestrator.viz.palette import state_fill, state_hex

# Mermaid node shapes: stadium for parameters, rounded box for tasks, subroutine ([[ ]]) for
# mapped tasks, so a Map state stands out as DOT's box3d does.
_SHAPES = {"parameter": ("([", "])"), "task": ("(", ")"), "map": ("[[", "]]")}
_ARROWS = {"data": "-->", "order": "-.->"}
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def to_mermaid(picture: Picture) -> str:
    # The title goes in YAML front matter; a JSON string is a valid YAML double-quoted scalar.
    lines = [
        "---",
        f"title: {json.dumps(picture.title, ensure_ascii=False)}",
        "---",
        "flowchart TD",
    ]
    lines += [_node(n) for n in picture.nodes]
    lines += [_edge(e) for e in picture.edges]
    lines += [
        "  classDef parameter fill:#eef3fb,stroke:#6b8cc7",
        "  classDef map fill:#fff6e0,stroke:#c79a3b",
    ]
    for kind in ("parameter", "map"):
        keys = [n.key for n in picture.nodes if n.kind == kind and n.state is None]
        if keys:
            lines.append(f"  class {','.join(keys)} {kind}")
    states = list(dict.fromkeys(n.state for n in picture.nodes if n.state is not None))
    for state in states:
        name = "state_" + re.sub(r"\W", "_", state.lower(), flags=re.ASCII)
        keys = [n.key for n in picture.nodes if n.state == state]
        lines.append(f"  classDef {name} fill:{state_fill(state)},stroke:{state_hex(state)}")
        lines.append(f"  class {','.join(keys)} {name}")
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def _node(node: PictureNode) -> str:
    label = escape(node.title)
    if node.caption:
        label += f"<br/><small>{escape(node.caption)}</small>"
    opening, closing = _SHAPES[node.kind]
    return f'  {node.key}{opening}"{label}"{closing}'


def _edge(edge: PictureEdge) -> str:
    return f"  {edge.source} {_ARROWS[edge.kind]} {edge.target}"
