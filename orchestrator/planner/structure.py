"""DAG → series/parallel tree: the only concurrency Step Functions has is fork/join.

A `Parallel` state waits for all its branches, so the compiled machine can only express
series-parallel (SP) graphs. `decompose` finds the SP structure of a task DAG exactly when it
has one, and otherwise adds the level barrier: each forced cut runs a set's sources first. That
is optimal when every task takes as long as any other; `synchronisation.py` weighs the tasks'
estimates and keeps whichever of its tree and this one is shorter.

The algorithm, on a set of nodes S (kept in a topological order):
1. one node → a leaf;
2. several weakly connected components → a Parallel of them;
3. "clean" series cuts — prefixes P of S whose every node reaches every node of the rest — split S
   into a Series of segments without adding any dependency;
4. no clean cut (S is not SP at this level): cut S by longest-path level into P = levels ≤ L and
   Q = the rest, choosing L to minimise critical_path(P) + critical_path(Q) (unit task weights);
   Q's sources now wait for all of P, and those added dependencies are reported. With unit
   weights every L scores the same — critical_path(P) = L + 1 and critical_path(Q) = the longest
   path from a node of level > L, which is the critical path of S minus L + 1 — so the first
   (least) L wins: P is S's sources. Q's levels are S's levels minus one, so a run of such cuts
   is walked level by level in one pass over S (`Decomposer.peel`) rather than recomputed per
   cut: that keeps a 10,000-task DAG of 1,000 levels linear-time rather than quadratic.

Every set the recursion meets is convex (a path between two of its nodes stays inside it), so
"reaches" can be read from the whole DAG's descendant sets, kept as bit masks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator.planner.barriers import AddedDependencies


@dataclass(frozen=True)
class Leaf:
    node: str


@dataclass(frozen=True)
class Series:
    parts: tuple[Tree, ...]


@dataclass(frozen=True)
class Parallel:
    branches: tuple[Tree, ...]


Tree = Leaf | Series | Parallel


@dataclass
class Decomposition:
    tree: Tree
    # (upstream, downstream) pairs the tree enforces that the DAG did not ask for.
    added: AddedDependencies = field(default_factory=AddedDependencies)


def decompose(nodes: Sequence[str], deps: Mapping[str, Sequence[str]]) -> Decomposition:
    """The series-parallel tree of a DAG given as node ids (in a stable order) and their deps."""
    return Decomposer(list(nodes), deps).run()


def leaves(tree: Tree) -> list[str]:
    if isinstance(tree, Leaf):
        return [tree.node]
    parts = tree.parts if isinstance(tree, Series) else tree.branches
    return [n for p in parts for n in leaves(p)]


def makespan(tree: Tree, duration: Mapping[str, float], default: float = 1.0) -> float:
    """How long the tree runs when each task takes its duration (`default` if not given):
    a Series the sum of its parts, a Parallel its longest branch. Iterative: a tree can nest
    deeper than Python's recursion limit."""
    done: dict[int, float] = {}
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, Leaf):
            done[id(node)] = duration.get(node.node, default)
            continue
        parts = node.parts if isinstance(node, Series) else node.branches
        if not expanded:
            stack.append((node, True))
            stack.extend((p, False) for p in parts)
            continue
        times = [done.pop(id(p)) for p in parts]
        done[id(node)] = sum(times) if isinstance(node, Series) else max(times)
    return done[id(tree)]


def enforced_order(tree: Tree) -> set[tuple[str, str]]:
    """Every (a, b) such that the tree makes b wait for a (for tests of correctness)."""
    if isinstance(tree, Leaf):
        return set()
    if isinstance(tree, Parallel):
        return set().union(*(enforced_order(b) for b in tree.branches))
    out: set[tuple[str, str]] = set().union(*(enforced_order(p) for p in tree.parts))
    for i, before in enumerate(tree.parts):
        for after in tree.parts[i + 1 :]:
            out |= {(a, b) for a in leaves(before) for b in leaves(after)}
    return out


class Decomposer:
    def __init__(self, nodes: list[str], deps: Mapping[str, Sequence[str]]) -> None:
        self.order = topological(nodes, deps)
        index = {n: i for i, n in enumerate(self.order)}
        self.preds = [sorted({index[d] for d in deps.get(n, ())}) for n in self.order]
        self.succs: list[list[int]] = [[] for _ in self.order]
        for i, ps in enumerate(self.preds):
            for p in ps:
                self.succs[p].append(i)
        # desc[i]: bit mask of every descendant of node i (indices are a topological order);
        # reach[i] the same with i itself, so that an edge costs one big-int operation.
        self.desc = [0] * len(self.order)
        reach = [0] * len(self.order)
        for i in range(len(self.order) - 1, -1, -1):
            mask = 0
            for c in self.succs[i]:
                mask |= reach[c]
            self.desc[i] = mask
            reach[i] = mask | 1 << i
        self.added = AddedDependencies(self.order)

    def run(self) -> Decomposition:
        tree = self.split(list(range(len(self.order))))
        return Decomposition(tree, self.added)

    def split(self, s: list[int], connected: bool = False) -> Tree:
        """The tree of `s`: node indices in increasing (so topological) order (`connected`: it
        is known to be weakly connected, so its components are not searched again)."""
        if len(s) == 1:
            return Leaf(self.order[s[0]])
        components = [s] if connected else self.components(s)
        if len(components) > 1:
            return Parallel(tuple([self.split(c, connected=True) for c in components]))
        cuts = self.clean_cuts(s)
        if cuts:
            bounds = [0, *cuts, len(s)]
            parts = [self.split(s[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
            return series(parts)
        return self.forced(s)

    def forced(self, s: list[int]) -> Tree:
        """The tree of a connected `s` with no clean cut: here, the level barrier (`peel`)."""
        return self.peel(s)

    def components(self, s: list[int]) -> list[list[int]]:
        members = set(s)
        parent = {i: i for i in s}

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in s:
            for p in self.preds[i]:
                if p in members:
                    parent[find(i)] = find(p)
        groups: dict[int, list[int]] = {}
        for i in s:  # s is topologically ordered, so each group is too
            groups.setdefault(find(i), []).append(i)
        return sorted(groups.values(), key=lambda g: g[0])

    def clean_cuts(self, s: list[int]) -> list[int]:
        """Positions k where every node of s[:k] is an ancestor of every node of s[k:]."""
        cuts: list[int] = []
        rest = mask_of(s)
        common = -1  # the descendants every node of the prefix has: all ones to begin with
        sinks = mask_of(i for i in s if not self.desc[i] & rest)
        for k in range(1, len(s)):
            moved = s[k - 1]
            common &= self.desc[moved]
            rest ^= 1 << moved
            if common & sinks != sinks:
                break  # the rest always holds the sinks: no later prefix reaches them all
            if not rest & ~common:
                cuts.append(k)
        return cuts

    def peel(self, s: list[int]) -> Tree:
        """The forced cut of a connected `s` with no clean cut: its sources (level 0) run first
        and the rest waits for all of them (the module's docstring says why level 0).

        The rest is S's levels ≥ 1, and the components of S's levels ≥ L are nested in those of
        its levels ≥ L - 1; one pass from the top level down builds that forest of components
        (`_Level`), and the cuts are then walked down it (`walk`) instead of recomputing levels,
        components and cuts for every cut."""
        preds, succs = self.preds, self.succs
        level: dict[int, int] = {}  # (s is in topological order: a predecessor in s has one)
        layers: list[list[int]] = []  # each level's nodes, in order
        for i in s:
            lv = 0
            for p in preds[i]:
                if p in level and level[p] >= lv:
                    lv = level[p] + 1
            level[i] = lv
            if lv == len(layers):
                layers.append([])
            layers[lv].append(i)
        parent: dict[int, int] = {}  # a union-find forest over the levels seen so far

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        above: list[_Level] = []  # the components of the levels above lv
        for lv in range(len(layers) - 1, -1, -1):
            for i in layers[lv]:
                root = parent[i] = i
                for c in succs[i]:  # every successor is on a higher level (in s: in `parent`)
                    if c in parent:
                        other = find(c)
                        if other != root:
                            parent[other] = root
            grown: dict[int, _Level] = {}
            for i in layers[lv]:  # every component of levels ≥ lv has a node on level lv
                root = find(i)
                if root in grown:
                    grown[root].sources.append(i)
                else:
                    grown[root] = _Level(sources=[i])
            for component in above:
                grown[find(component.sources[0])].above.append(component)
            for component in grown.values():
                component.mask = mask_of(component.sources)
                component.size = len(component.sources)
                for inner in component.above:
                    component.mask |= inner.mask
                    component.size += inner.size
            above = sorted(grown.values(), key=lambda c: c.sources[0])
        # (A sink of a convex s is a node with no successor in it.)
        sinks = mask_of(i for i in s if not any(c in level for c in succs[i]))
        (top,) = above
        return self.walk(top, sinks, cut=True)

    def walk(self, component: _Level, sinks: int, cut: bool = False) -> Tree:
        """The tree of one component of a peeled set: `split`'s steps, with its components
        and levels read from the forest (`cut`: it is known to have no clean cut)."""
        parts: list[Tree] = []
        while True:
            if component.size == 1:
                parts.append(Leaf(self.order[component.sources[0]]))
                break
            if not cut and self.has_clean_cut(component.mask, sinks & component.mask):
                parts.append(self.split(indices_of(component.mask), connected=True))
                break
            cut = False
            sources = component.sources
            parts.append(
                Leaf(self.order[sources[0]])
                if len(sources) == 1
                else Parallel(tuple([Leaf(self.order[i]) for i in sources]))
            )
            after = sorted([i for c in component.above for i in c.sources])
            self.added.add(sources, after, self.desc)
            if len(component.above) > 1:
                parts.append(Parallel(tuple([self.walk(c, sinks) for c in component.above])))
                break
            (component,) = component.above
        return series(parts)

    def has_clean_cut(self, rest: int, sinks: int) -> bool:
        """Whether the nodes of the mask `rest` have a clean cut: `clean_cuts`' sweep, stopped as
        soon as no later cut can be clean."""
        common = -1
        remaining = rest
        while remaining:
            low = remaining & -remaining
            remaining ^= low
            common &= self.desc[low.bit_length() - 1]
            rest ^= low
            if common & sinks != sinks:
                return False
            if not rest & ~common:
                return rest != 0
        return False


@dataclass
class _Level:
    """A weakly connected component of the levels ≥ L of a peeled set: its nodes on level L,
    the components of the levels ≥ L + 1 it holds (by first node), and all its nodes."""

    sources: list[int]
    above: list[_Level] = field(default_factory=list)
    mask: int = 0
    size: int = 0


def indices_of(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def mask_of(indices: Iterable[int]) -> int:
    mask = 0
    for i in indices:
        mask |= 1 << i
    return mask


def series(parts: list[Tree]) -> Tree:
    """The Series of `parts`, nested Series flattened (one part: that part)."""
    flat: list[Tree] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Series) else (part,))
    return flat[0] if len(flat) == 1 else Series(tuple(flat))


def topological(nodes: list[str], deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Kahn's algorithm, ties broken by the given order so the result is deterministic."""
    import heapq

    position = {n: i for i, n in enumerate(nodes)}
    if all(position[d] < i for i, n in enumerate(nodes) for d in deps.get(n, ())):
        return list(nodes)  # already topological: Kahn's algorithm would return it unchanged
    indegree = {n: len(set(deps.get(n, ()))) for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for n in nodes:
        for d in set(deps.get(n, ())):
            children[d].append(n)
    ready = [position[n] for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        n = nodes[heapq.heappop(ready)]
        out.append(n)
        for c in children[n]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, position[c])
    if len(out) != len(nodes):
        raise ValueError("the graph has a cycle")  # graph validation reports it first
    return out
