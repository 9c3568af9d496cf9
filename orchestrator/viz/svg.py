"""An SVG drawing of a flow's picture, made in Python: for the run report, which must work
offline and without Graphviz.

Same vocabulary as the DOT drawing: parameters as ellipses, tasks as rounded boxes, mapped tasks
as a stack of boxes; data edges solid, ordering-only edges dashed; a run's tasks filled with
their state's colour at half opacity (palette.py). Every piece of user text is escaped for XML;
each task's group carries `data-task` (its id) and `data-state`, for the report's script.
"""

from __future__ import annotations

from html import escape

from orchestrator.viz.layout import Box, Layout, layout
from orchestrator.viz.model import Picture, PictureNode
from orchestrator.viz.palette import state_fill, state_hex

_FILLS = {"parameter": "#eef3fb", "task": "#ffffff", "map": "#fff6e0"}
_STROKE = "#5f6368"
_STACK = 4.0  # how far each box of a map's stack is offset


def to_svg(picture: Picture, *, element_id: str = "flow-graph") -> str:
    """The picture as one `<svg>` element, sized to its drawing."""
    drawn = layout(picture)
    title = escape(picture.title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(element_id)}" class="flow-graph" '
        f'role="img" aria-label="{title}" width="{drawn.width:.0f}" height="{drawn.height:.0f}" '
        f'viewBox="0 0 {drawn.width:.0f} {drawn.height:.0f}">',
        f"<title>{title}</title>",
        "<defs>"
        f'<marker id="{escape(element_id)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{_STROKE}"/></marker></defs>',
    ]
    arrow = f"url(#{escape(element_id)}-arrow)"
    for edge, points in zip(picture.edges, drawn.routes, strict=True):
        dash = ' stroke-dasharray="5 4"' if edge.kind == "order" else ""
        path = _path(points, drawn.boxes[edge.source], drawn.boxes[edge.target])
        parts.append(
            f'<path class="edge {edge.kind}" d="{path}" fill="none" stroke="{_STROKE}" '
            f'stroke-width="1.3"{dash} marker-end="{arrow}"/>'
        )
    parts += [_node(node, drawn) for node in picture.nodes]
    parts.append("</svg>")
    return "\n".join(parts)


def _node(node: PictureNode, drawn: Layout) -> str:
    box = drawn.boxes[node.key]
    fill = _FILLS[node.kind] if node.state is None else state_fill(node.state)
    stroke = _STROKE if node.state is None else state_hex(node.state)
    attrs = f'class="node {node.kind}"'
    if node.kind != "parameter":
        attrs += f' data-task="{escape(node.key.removeprefix("task_"))}"'
    if node.state is not None:
        attrs += f' data-state="{escape(node.state)}"'
    tooltip = node.title + (f"\n{node.caption}" if node.caption else "")
    shapes = _shapes(node.kind, box, fill, stroke)
    text = _label(node, box)
    return f"<g {attrs}><title>{escape(tooltip)}</title>{shapes}{text}</g>"


def _shapes(kind: str, box: Box, fill: str, stroke: str) -> str:
    left, top = box.x - box.width / 2, box.y - box.height / 2
    if kind == "parameter":
        return (
            f'<ellipse cx="{box.x:.1f}" cy="{box.y:.1f}" rx="{box.width / 2:.1f}" '
            f'ry="{box.height / 2:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
        )
    rect = (
        '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{r}" '
        f'fill="{{fill}}" stroke="{stroke}" stroke-width="1.2"/>'
    )
    radius = 8 if kind == "task" else 3
    layers = []
    if kind == "map":  # two boxes behind, offset up and right: a stack of runs
        for step in (2, 1):
            layers.append(
                rect.format(
                    x=left + step * _STACK,
                    y=top - step * _STACK,
                    w=box.width,
                    h=box.height,
                    r=radius,
                    fill="#ffffff",
                )
            )
    # White under the translucent fill, so the boxes behind do not show through.
    for colour in ("#ffffff", fill):
        layers.append(rect.format(x=left, y=top, w=box.width, h=box.height, r=radius, fill=colour))
    return "".join(layers)


def _label(node: PictureNode, box: Box) -> str:
    caption = node.caption
    title_y = box.y + (-3 if caption else 4.5)
    text = (
        f'<text x="{box.x:.1f}" y="{title_y:.1f}" text-anchor="middle" font-size="13" '
        f'fill="#202124">{escape(node.title)}</text>'
    )
    if caption:
        text += (
            f'<text class="caption" x="{box.x:.1f}" y="{box.y + 13:.1f}" text-anchor="middle" '
            f'font-size="11" fill="#3c4043">{escape(caption)}</text>'
        )
    return text


def _path(points: list[tuple[float, float]], source: Box, target: Box) -> str:
    """From the bottom of the source through each bend point to the top of the target, as
    vertical-tangent cubic curves (they read as flowing down, like Graphviz's splines)."""
    xy = [(points[0][0], source.y + source.height / 2)]
    xy += points[1:-1]
    xy.append((points[-1][0], target.y - target.height / 2 - 1))
    d = f"M{xy[0][0]:.1f},{xy[0][1]:.1f}"
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        mid = (y0 + y1) / 2
        d += f" C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}"
    return d
