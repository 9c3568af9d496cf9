"""Where each node of a picture goes, top to bottom, without Graphviz.

A small layered layout (Sugiyama's steps, each in its simplest form): a node's rank is its
longest path from a source; an edge longer than one rank passes through a bend point on every
rank between, so it is routed around the nodes there; nodes and bend points are ordered within
their rank by the mean position of their neighbours (a few sweeps down and up, to cut
crossings); then each rank is packed left to right under its parents. Flows are tens of tasks,
so none of this needs to be clever, only deterministic: one picture, one drawing.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from orchestrator.viz.model import Picture

NODE_HEIGHT = 46.0
RANK_GAP = 56.0  # vertical space between ranks, for the edges
NODE_GAP = 28.0  # horizontal space between neighbours
MARGIN = 16.0
_BEND_WIDTH = 8.0
_SWEEPS = 4


@dataclass(frozen=True)
class Box:
    x: float  # centre
    y: float  # centre
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]  # node key → its box
    routes: list[list[tuple[float, float]]]  # per edge of the picture: the points it passes
    width: float
    height: float


def text_width(text: str, size: float) -> float:
    """About how wide `text` is set at `size` px: CJK characters are a full em, others ~0.6."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)
    return ems * size


def node_width(title: str, caption: str | None) -> float:
    return max(text_width(title, 13.0), text_width(caption or "", 11.0), 60.0) + 24.0


def layout(picture: Picture) -> Layout:
    keys = [n.key for n in picture.nodes]
    widths = {n.key: node_width(n.title, n.caption) for n in picture.nodes}
    rank = _ranks(keys, [(e.source, e.target) for e in picture.edges])
    # Long edges become chains through bend points, one per rank they cross.
    links: list[tuple[str, str]] = []
    chains: list[list[str]] = []
    for i, edge in enumerate(picture.edges):
        chain = [edge.source]
        for r in range(rank[edge.source] + 1, rank[edge.target]):
            bend = f"\0bend{i}_{r}"
            rank[bend], widths[bend] = r, _BEND_WIDTH
            chain.append(bend)
        chain.append(edge.target)
        links += list(zip(chain, chain[1:], strict=False))
        chains.append(chain)
    rows = _order(rank, links)
    xs = _place(rows, widths, links)
    left = min(xs[k] - widths[k] / 2 for k in xs)
    boxes = {
        k: Box(
            x=xs[k] - left + MARGIN,
            y=MARGIN + rank[k] * (NODE_HEIGHT + RANK_GAP) + NODE_HEIGHT / 2,
            width=widths[k],
            height=NODE_HEIGHT,
        )
        for k in xs
    }
    routes = [[(boxes[k].x, boxes[k].y) for k in chain] for chain in chains]
    width = max(b.x + b.width / 2 for b in boxes.values()) + MARGIN if boxes else 2 * MARGIN
    height = (max(rank.values()) + 1) * (NODE_HEIGHT + RANK_GAP) - RANK_GAP if rank else 0.0
    return Layout({k: boxes[k] for k in keys}, routes, width, height + 2 * MARGIN)


def _ranks(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a source, in the picture's order (the graph is acyclic: validated)."""
    parents: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        parents[target].append(source)
    rank: dict[str, int] = {}

    def of(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key not in rank:
            if key in seen:  # not a DAG after all: draw it anyway, on one rank
                return 0
            rank[key] = 1 + max((of(p, seen | {key}) for p in parents[key]), default=-1)
        return rank[key]

    for key in keys:
        of(key)
    return rank


def _order(rank: dict[str, int], links: list[tuple[str, str]]) -> list[list[str]]:
    """Each rank's nodes, left to right: barycentre sweeps from the insertion order."""
    rows: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for key, r in rank.items():  # insertion order: the picture's, then the bend points
        rows[r].append(key)
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for source, target in links:
        down[source].append(target)
        up[target].append(source)
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        span = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for r in span:
            fixed = {k: i for i, k in enumerate(rows[r - 1 if downward else r + 1])}
            rows[r] = _by_barycentre(rows[r], fixed, up if downward else down)
    return rows


def _by_barycentre(row: list[str], fixed: dict[str, int], near: dict[str, list[str]]) -> list[str]:
    """`row` sorted by the mean position of each node's neighbours in the fixed rank (a node
    with none keeps its place); the sort is stable, so ties keep their order."""

    def centre(key: str) -> float:
        spots = [fixed[n] for n in near[key] if n in fixed]
        return sum(spots) / len(spots) if spots else float(row.index(key))

    return sorted(row, key=centre)


def _place(
    rows: list[list[str]], widths: dict[str, float], links: list[tuple[str, str]]
) -> dict[str, float]:
    """x of every node's centre: under its parents where there is room, never overlapping."""
    parents: dict[str, list[str]] = defaultdict(list)
    for source, target in links:
        parents[target].append(source)
    xs: dict[str, float] = {}
    for row in rows:
        wanted = []
        for key in row:
            above = [xs[p] for p in parents[key] if p in xs]
            wanted.append(sum(above) / len(above) if above else None)
        placed = _pack(row, widths, wanted)
        xs.update(zip(row, placed, strict=True))
    return xs


def _pack(row: list[str], widths: dict[str, float], wanted: list[float | None]) -> list[float]:
    """Left to right at least NODE_GAP apart, then shifted so the row sits under its parents."""
    xs: list[float] = []
    for i, key in enumerate(row):
        low = xs[-1] + (widths[row[i - 1]] + widths[key]) / 2 + NODE_GAP if xs else 0.0
        want = wanted[i]
        xs.append(max(low, want) if want is not None else low)
    targets = [(x, w) for x, w in zip(xs, wanted, strict=True) if w is not None]
    if targets:
        shift = sum(w - x for x, w in targets) / len(targets)
        xs = [x + shift for x in xs]
    return xs
