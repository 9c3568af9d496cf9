"""DAG → series/parallel tree: the only concurrency Step Functions has is fork/join.

A `Parallel` state waits for all its branches, so the compiled machine can only express
series-parallel (SP) graphs. `decompose` finds the SP structure of a task DAG exactly when it
has one, and otherwise adds the synchronisation that lengthens the critical path least, reporting
each dependency it added so the planner can say so at compile time.

The algorithm, on a set of nodes S (kept in a topological order):
1. one node → a leaf;
2. several weakly connected components → a Parallel of them;
3. "clean" series cuts — prefixes P of S whose every node reaches every node of the rest — split S
   into a Series of segments without adding any dependency;
4. no clean cut (S is not SP at this level): cut S by longest-path level into P = levels ≤ L and
   Q = the rest, choosing L to minimise critical_path(P) + critical_path(Q) (unit task weights);
   Q's sources now wait for all of P, and those added dependencies are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


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
    added: list[tuple[str, str]] = field(default_factory=list)


def decompose(nodes: Sequence[str], deps: Mapping[str, Sequence[str]]) -> Decomposition:
    """The series-parallel tree of a DAG given as node ids (in a stable order) and their deps."""
    return _Decomposer(list(nodes), deps).run()


def leaves(tree: Tree) -> list[str]:
    if isinstance(tree, Leaf):
        return [tree.node]
    parts = tree.parts if isinstance(tree, Series) else tree.branches
    return [n for p in parts for n in leaves(p)]


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


class _Decomposer:
    def __init__(self, nodes: list[str], deps: Mapping[str, Sequence[str]]) -> None:
        self.order = _topological(nodes, deps)
        self.index = {n: i for i, n in enumerate(self.order)}
        self.preds = [[self.index[d] for d in deps.get(n, ())] for n in self.order]
        self.succs: list[list[int]] = [[] for _ in self.order]
        for i, ps in enumerate(self.preds):
            for p in ps:
                self.succs[p].append(i)
        # anc[i]: bitmask of every ancestor of node i (indices are a topological order).
        self.anc = [0] * len(self.order)
        for i, ps in enumerate(self.preds):
            mask = 0
            for p in ps:
                mask |= self.anc[p] | (1 << p)
            self.anc[i] = mask
        self.added: list[tuple[str, str]] = []

    def run(self) -> Decomposition:
        tree = self.split(list(range(len(self.order))))
        return Decomposition(tree, self.added)

    def split(self, s: list[int]) -> Tree:
        if len(s) == 1:
            return Leaf(self.order[s[0]])
        components = self.components(s)
        if len(components) > 1:
            return Parallel(tuple(self.split(c) for c in components))
        cuts = self.clean_cuts(s)
        if cuts:
            bounds = [0, *cuts, len(s)]
            parts = [self.split(s[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
            return _series(parts)
        p, q = self.forced_cut(s)
        return _series([self.split(p), self.split(q)])

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
        """Positions k where every node of s[:k] is an ancestor of every node of s[k:].

        It is enough to check the sources of s[k:] (nodes with no predecessor there): every
        other node of s[k:] descends from one of them and so has at least their ancestors.
        """
        members = set(s)
        preds_in_q = {i: sum(1 for p in self.preds[i] if p in members) for i in s}
        sources = {i for i in s if preds_in_q[i] == 0}
        cuts: list[int] = []
        prefix = 0
        for k in range(1, len(s)):
            moved = s[k - 1]
            prefix |= 1 << moved
            sources.discard(moved)
            for succ in self.succs[moved]:
                if succ in members:
                    preds_in_q[succ] -= 1
                    if preds_in_q[succ] == 0:
                        sources.add(succ)
            if all(self.anc[q] & prefix == prefix for q in sources):
                cuts.append(k)
        return cuts

    def forced_cut(self, s: list[int]) -> tuple[list[int], list[int]]:
        """Cut `s` between two longest-path levels, where critical_path(P) + critical_path(Q) is
        least. P (levels ≤ L) is closed under predecessors and Q under successors, so their
        critical paths are a prefix maximum of the longest path *ending* at each node and a
        suffix maximum of the longest path *starting* at each: every candidate cut is scored in
        O(1) after two passes over `s`, instead of two critical-path computations per cut."""
        members = set(s)
        level: dict[int, int] = {}
        ending: dict[int, int] = {}  # longest path (in tasks) within s that ends at i
        for i in s:
            preds = [p for p in self.preds[i] if p in members]
            level[i] = 1 + max((level[p] for p in preds), default=-1)
            ending[i] = 1 + max((ending[p] for p in preds), default=0)
        starting: dict[int, int] = {}  # longest path within s that starts at i
        for i in reversed(s):
            succs = [c for c in self.succs[i] if c in members]
            starting[i] = 1 + max((starting[c] for c in succs), default=0)
        top = max(level.values())
        up_to = [0] * (top + 1)  # critical path of the levels ≤ L
        from_ = [0] * (top + 2)  # critical path of the levels ≥ L
        for i in s:
            up_to[level[i]] = max(up_to[level[i]], ending[i])
            from_[level[i]] = max(from_[level[i]], starting[i])
        for lv in range(1, top + 1):
            up_to[lv] = max(up_to[lv], up_to[lv - 1])
        for lv in range(top - 1, -1, -1):
            from_[lv] = max(from_[lv], from_[lv + 1])
        cut = min(range(top), key=lambda c: (up_to[c] + from_[c + 1], c))
        p = [i for i in s if level[i] <= cut]
        q = [i for i in s if level[i] > cut]
        p_mask = sum(1 << i for i in p)
        q_set = set(q)
        for i in q:
            missing = p_mask & ~self.anc[i]
            has_pred_in_q = any(x in q_set for x in self.preds[i])
            if missing and not has_pred_in_q:
                self.added.extend((self.order[j], self.order[i]) for j in p if missing >> j & 1)
        return p, q


def _series(parts: list[Tree]) -> Tree:
    flat: list[Tree] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Series) else (part,))
    return flat[0] if len(flat) == 1 else Series(tuple(flat))


def _topological(nodes: list[str], deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Kahn's algorithm, ties broken by the given order so the result is deterministic."""
    import heapq

    position = {n: i for i, n in enumerate(nodes)}
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
