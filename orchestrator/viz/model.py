"""What a drawing of a flow shows, independent of the drawing language.

DOT, Mermaid and the run report's SVG render the same `Picture`: parameters and tasks as nodes,
data and ordering-only edges, in the order of the graph, so two renders of one flow are
byte-identical. A picture of a run also carries each task's final state, which the renderers
colour (orchestrator/viz/palette.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from orchestrator.graph import (
    FlowGraph,
    Input,
    ParameterSpec,
    ParamInput,
    TaskNode,
    references,
    result_nodes,
)
from orchestrator.options import DEFAULT_TIMEOUT_SECONDS, DEFAULT_TRIGGER

NodeKind = Literal["parameter", "task", "map"]
EdgeKind = Literal["data", "order"]


@dataclass(frozen=True)
class PictureNode:
    key: str  # unique, ASCII: usable as an identifier in both languages
    kind: NodeKind
    title: str  # any Unicode; the renderers escape it
    detail: str | None = None  # the small second line: retries, timeout, trigger
    state: str | None = None  # a task's final state in the run drawn, if a run is drawn

    @property
    def caption(self) -> str | None:
        """The second line as drawn: a run's state first (readable without colour), then detail."""
        return " · ".join(p for p in (self.state, self.detail) if p) or None


@dataclass(frozen=True)
class PictureEdge:
    source: str
    target: str
    kind: EdgeKind


@dataclass(frozen=True)
class Picture:
    title: str
    nodes: tuple[PictureNode, ...]
    edges: tuple[PictureEdge, ...]


def picture_of(graph: FlowGraph, states: Mapping[str, str] | None = None) -> Picture:
    """The picture of `graph`; with `states` (task id → final state), the picture of a run."""
    param_keys = {p.name: f"param_{i}" for i, p in enumerate(graph.parameters)}
    nodes = [_parameter_node(param_keys[p.name], p) for p in graph.parameters]
    titles = task_titles(graph.nodes)
    nodes += [
        PictureNode(
            key=f"task_{n.id}",
            kind="map" if n.is_map else "task",
            title=titles[n.id] + (" [map]" if n.is_map else ""),
            detail=_detail(n),
            state=None if states is None else states.get(n.id, "NOT_RUN"),
        )
        for n in graph.nodes
    ]
    edges: list[PictureEdge] = []
    for n in graph.nodes:
        used = list(dict.fromkeys(p for v in _inputs(n) for p in _param_names(v)))
        # A parameter used only inside a constant default is not drawn: it has no node.
        edges += [
            PictureEdge(param_keys[p], f"task_{n.id}", "data") for p in used if p in param_keys
        ]
        data = {dep for v in _inputs(n) for dep in result_nodes(v)}
        edges += [
            PictureEdge(f"task_{dep}", f"task_{n.id}", "data" if dep in data else "order")
            for dep in n.dependencies()
        ]
    return Picture(title=graph.name, nodes=tuple(nodes), edges=tuple(edges))


def _parameter_node(key: str, spec: ParameterSpec) -> PictureNode:
    detail = None if spec.required else f"default {_short_json(spec.default)}"
    return PictureNode(key=key, kind="parameter", title=spec.name, detail=detail)


def task_titles(nodes: tuple[TaskNode, ...]) -> dict[str, str]:
    """Display names; a task called twice is told apart by its call number ("clean #2")."""
    totals = Counter(n.task_name for n in nodes)
    seen: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for n in nodes:
        seen[n.task_name] += 1
        suffix = f" #{seen[n.task_name]}" if totals[n.task_name] > 1 else ""
        titles[n.id] = n.task_name + suffix
    return titles


def _detail(node: TaskNode) -> str | None:
    parts: list[str] = []
    options = node.options
    if options.retries:
        parts.append(f"retries {options.retries}")
    if node.timeout != DEFAULT_TIMEOUT_SECONDS:  # every task has one; draw the unusual ones
        parts.append(f"timeout {node.timeout}s")
    if options.trigger != DEFAULT_TRIGGER:
        parts.append(options.trigger)
    return " · ".join(parts) or None


def _inputs(node: TaskNode) -> list[Input]:
    return [*node.inputs.values(), *node.mapped.values()]


def _param_names(value: Input) -> list[str]:
    return [ref.name for ref in references(value) if isinstance(ref, ParamInput)]


def _short_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 24 else text[:21] + "..."
