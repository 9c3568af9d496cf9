"""Where to synchronise a DAG that is not series-parallel, knowing how long its tasks take.

`synchronise` returns the series-parallel tree the planner emits, with its estimated makespan
and the DAG's critical path under the same durations (each task's `estimate=`, else its
recorded duration from `durations.json`, else 1 s). It computes two trees and keeps the
shorter (the level barrier on a tie):

* the level barrier (`structure.decompose`): exact on series-parallel graphs, and optimal when
  every task takes as long as every other (its makespan is then the number of levels, the
  critical path);
* a weighted search (`_Weighted`): the same recursion — components run in parallel, clean series
  cuts cost nothing — but each forced cut of a connected set S with no clean cut is chosen by
  duration.

A forced cut splits S into a downset P (closed under predecessors in S) and the rest Q, and the
tree runs P, then Q: Q's sources wait for all of P. Every SP-ization of S has that shape at its
top, so the search is over downsets. Its score is cp(P) + cp(Q), a lower bound on what P then Q
can achieve; and with ef(v) the earliest finish of v in S and bl(v) the longest path from v to a
sink of S (its own duration included), cp(P) = max ef over P and cp(Q) = max bl over Q (P is a
downset, Q an upset, so the paths stay inside them). For a given max ef = T the best Q is the
smallest, so the score's minimum over all downsets is reached by a threshold P = {ef ≤ T}: one
sweep over S sorted by ef, with a running maximum of bl from the other end, scores every
threshold in O(|S| log |S|) — no critical path recomputed per candidate. The sweep over bl
thresholds (Q = {bl ≤ T}) and the level barrier's own cut (P = S's sources) add candidates that
score worse now but may split better later. Then:

* a small S (at most `EXHAUSTIVE` tasks) is solved exactly: the least makespan over every
  downset, recursively, memoised by bit mask;
* a middling one (at most `LOOKAHEAD` tasks) looks ahead: the best few candidates by score are
  each decomposed the greedy way, and the one whose P then Q is shortest wins;
* a large one takes the best score; above `BALANCED` tasks, the best among the cuts that leave
  at least a quarter of the set on each side, so the recursion halves large sets (O(n log n))
  rather than peeling one small piece at a time (quadratic).

An edge the DAG implies (a→c beside a→b→c) changes nothing: every step reads reachability and
longest paths, which it leaves alone, so the DAG needs no transitive reduction first. What is
reported is reduced instead: for each forced cut, P's last tasks × Q's first tasks, less the
pairs the DAG already orders — every other pair the cut adds follows from those.

Literature: Valdes, Tarjan & Lawler 1982 (recognising SP graphs), González-Escribano, van Gemund
& Cardeñoso-Payo 2002 (the cost of SP-ization), Salamon & Galpin 2009.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator.planner.barriers import AddedDependencies
from orchestrator.planner.structure import (
    Decomposer,
    Tree,
    indices_of,
    makespan,
    mask_of,
    series,
)

#: Sets of at most this many tasks get the exact least makespan (every downset, memoised).
EXHAUSTIVE = 6
#: Sets of at most this many tasks compare their best few cuts by decomposing each.
LOOKAHEAD = 60
#: Sets of more than this many tasks take the best cut that leaves a quarter on each side.
BALANCED = 200
#: How many of the best-scoring cuts the lookahead compares.
LOOKAHEAD_CUTS = 10


@dataclass
class Structure:
    """The tree the planner emits, what it added, and how long it is estimated to run."""

    tree: Tree
    #: (upstream, downstream) pairs the tree enforces that the DAG does not imply: each forced
    #: cut's last tasks before it × its first tasks after it (the rest follows from those).
    added: AddedDependencies = field(default_factory=AddedDependencies)
    #: The tree's estimated makespan and the DAG's critical path, in the same seconds.
    makespan: float = 0.0
    critical_path: float = 0.0

    @property
    def ratio(self) -> float:
        """Estimated makespan ÷ critical path: 1.0 when the synchronisation costs nothing."""
        return self.makespan / self.critical_path if self.critical_path else 1.0


def synchronise(
    nodes: Sequence[str],
    deps: Mapping[str, Sequence[str]],
    durations: Mapping[str, float] | None = None,
) -> Structure:
    """The series-parallel tree of a DAG (node ids in a stable order, their deps) that keeps its
    estimated critical path shortest, with tasks taking `durations` seconds (else 1)."""
    weight = dict(durations or {})
    dag = Decomposer(list(nodes), deps)
    barrier = dag.run()
    cp = critical_path(dag, weight)
    best = Structure(barrier.tree, barrier.added, makespan(barrier.tree, weight), cp)
    if not barrier.added or best.makespan <= cp * (1 + 1e-9):
        return best  # series-parallel, or the barrier already meets the critical path
    weighted = _Weighted(list(nodes), deps, weight)
    tree = weighted.tree()
    span = makespan(tree, weight)
    if span < best.makespan * (1 - 1e-9):
        return Structure(tree, weighted.added, span, cp)
    return best


def critical_path(dag: Decomposer, duration: Mapping[str, float]) -> float:
    """The DAG's longest path, each task taking its duration (else 1): one pass over the
    topological order and the predecessor lists the decomposer already holds."""
    finish = [0.0] * len(dag.order)
    for i, n in enumerate(dag.order):
        start = 0.0
        for p in dag.preds[i]:
            if finish[p] > start:
                start = finish[p]
        finish[i] = duration.get(n, 1.0) + start
    return max(finish, default=0.0)


class _Weighted(Decomposer):
    """`Decomposer`'s recursion with each forced cut chosen by duration (the module says how)."""

    def __init__(
        self, nodes: list[str], deps: Mapping[str, Sequence[str]], weight: Mapping[str, float]
    ) -> None:
        super().__init__(nodes, deps)
        self.w = [weight.get(n, 1.0) for n in self.order]
        self.spans: dict[tuple[int, ...], float] = {}

    def tree(self) -> Tree:
        return self.split(list(range(len(self.order))))

    def forced(self, s: list[int]) -> Tree:
        p, q = self.cut(s)
        last, first = set(p), set(q)
        maxima = [i for i in p if not any(c in last for c in self.succs[i])]
        minima = [i for i in q if not any(d in first for d in self.preds[i])]
        self.added.add(maxima, minima, self.desc)
        return series([self.split(p), self.split(q)])

    def cut(self, s: list[int]) -> tuple[list[int], list[int]]:
        """The downset P of `s` to run first, and the rest: both in topological order."""
        if len(s) <= EXHAUSTIVE:
            _, first = _least(s, self.preds, self.w)
            p = frozenset(first)
        elif len(s) > LOOKAHEAD:
            (p,) = self.candidates(s, 1, balanced=len(s) > BALANCED) or self.candidates(s, 1)
        else:
            cuts = self.candidates(s, LOOKAHEAD_CUTS)
            p = min(cuts, key=lambda c: self.greedy_span(s, c))
        return [i for i in s if i in p], [i for i in s if i not in p]

    def candidates(self, s: list[int], best: int, balanced: bool = False) -> list[frozenset[int]]:
        """The `best` downsets of `s` by score cp(P) + cp(Q), best first, each once
        (`balanced`: only those that leave at least a quarter of `s` on each side)."""
        members = set(s)
        w, ef, bl = self.w, dict.fromkeys(s, 0.0), dict.fromkeys(s, 0.0)
        for i in s:  # earliest finish: a task's own duration after its latest predecessor
            start = 0.0
            for p in self.preds[i]:
                if p in ef and ef[p] > start:
                    start = ef[p]
            ef[i] = start + w[i]
        for i in reversed(s):  # longest path to a sink, the task's own duration included
            rest = 0.0
            for c in self.succs[i]:
                if c in bl and bl[c] > rest:
                    rest = bl[c]
            bl[i] = rest + w[i]
        # (score, which sweep, prefix length): a prefix up to a change of key of the tasks
        # ranked by ef is a P; of those ranked by bl, a Q (then P is the rest).
        scored: list[tuple[float, int, int]] = []
        low, high = (len(s) // 4, len(s) - len(s) // 4) if balanced else (1, len(s) - 1)
        ranked = [sorted(s, key=ef.__getitem__), sorted(s, key=bl.__getitem__)]
        for sweep, (order, key, other) in enumerate(((ranked[0], ef, bl), (ranked[1], bl, ef))):
            tail = 0.0  # the other side's maximum over order[k:]
            for k in range(len(order) - 1, 0, -1):
                tail = max(tail, other[order[k]])
                if key[order[k]] != key[order[k - 1]] and low <= k <= high:
                    scored.append((key[order[k - 1]] + tail, sweep, k))
        sources = [i for i in s if not any(p in members for p in self.preds[i])]
        first = set(sources)
        score = max(ef[i] for i in sources) + max(bl[i] for i in s if i not in first)
        scored.append((score, 2, len(sources)))
        scored.sort()
        out: list[frozenset[int]] = []
        for _, sweep, k in scored:
            if sweep == 0:
                cut = frozenset(ranked[0][:k])
            elif sweep == 1:
                cut = frozenset(members.difference(ranked[1][:k]))
            else:
                cut = frozenset(first)
            if cut not in out:
                out.append(cut)
                if len(out) == best:
                    break
        return out

    def greedy_span(self, s: list[int], p: frozenset[int]) -> float:
        """The makespan of P then Q, each decomposed by best score (no lookahead)."""
        return self.span([i for i in s if i in p]) + self.span([i for i in s if i not in p])

    def span(self, s: list[int]) -> float:
        """The makespan of the greedy tree of `s`, without building it or reporting cuts
        (memoised: the cuts the lookahead compares share most of their pieces)."""
        if len(s) == 1:
            return self.w[s[0]]
        key = tuple(s)
        if key not in self.spans:
            self.spans[key] = self.greedy(s)
        return self.spans[key]

    def greedy(self, s: list[int]) -> float:
        components = self.components(s)
        if len(components) > 1:
            return max(self.span(c) for c in components)
        cuts = self.clean_cuts(s)
        if cuts:
            bounds = [0, *cuts, len(s)]
            return sum(self.span(s[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
        if len(s) <= EXHAUSTIVE:
            return _least(s, self.preds, self.w)[0]
        (p,) = self.candidates(s, 1)
        return self.greedy_span(s, p)


def _least(s: list[int], preds: list[list[int]], w: list[float]) -> tuple[float, list[int]]:
    """The least makespan of the small set `s` over every SP-ization, and the downset P its
    best top cut runs first: every downset tried, recursively, memoised by bit mask (bit k is
    `s[k]`)."""
    local = {g: k for k, g in enumerate(s)}
    need = [mask_of(local[p] for p in preds[g] if p in local) for g in s]
    touch = list(need)  # each task's neighbours, either way
    for k, m in enumerate(need):
        for j in indices_of(m):
            touch[j] |= 1 << k
    memo: dict[int, tuple[float, int]] = {}

    def least(mask: int) -> float:
        if mask in memo:
            return memo[mask][0]
        bits = indices_of(mask)
        if len(bits) == 1:
            memo[mask] = (w[s[bits[0]]], 0)
            return memo[mask][0]
        component, grown = 1 << bits[0], 0
        while grown != component:
            grown = component
            for k in indices_of(component):
                component |= touch[k] & mask
        if component != mask:  # not connected: its parts run in parallel
            value = max(least(component), least(mask ^ component))
            memo[mask] = (value, 0)
            return value
        downsets = [0]
        for k in bits:
            downsets += [d | 1 << k for d in downsets if d & need[k] & mask == need[k] & mask]
        best, best_p = float("inf"), 0
        for p in downsets:
            if p and p != mask:
                value = least(p) + least(mask ^ p)
                if value < best:
                    best, best_p = value, p
        memo[mask] = (best, best_p)
        return best

    whole = (1 << len(s)) - 1
    value = least(whole)
    return value, [g for k, g in enumerate(s) if memo[whole][1] >> k & 1]


__all__ = ["Structure", "critical_path", "synchronise"]
