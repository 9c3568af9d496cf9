"""What a Parallel state carries out of its branches: the results each branch keeps for after
the join, and the ResultSelector that gathers them into the state document's `results`.

A machine whose DAG is not series-parallel nests Parallel states about one level per layer of
tasks, and a result read only by the execution output is carried out of every level it is
produced under: a 10,000-task layered DAG's selectors list 400,000 entries in all, mostly the
same results again. So each (branch, result) entry is made once and shared, and only results
that can come from a branch are looked for in it (`TreeIndex` spans).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from orchestrator.planner.structure import Parallel
from orchestrator.planner.tree_index import TreeIndex

#: A ResultSelector entry: the result's position in graph order, the entry's name and path.
Entry = tuple[int, str, str]
_POSITION = itemgetter(0)


class JoinResults:
    def __init__(
        self,
        index: TreeIndex,
        order: Mapping[str, int],
        key_steps: Mapping[str, str],
        seeds: Mapping[str, Any],
    ) -> None:
        self.index = index
        self.order = order  # graph order: the selector's entries are listed in it
        self.key_steps = key_steps  # `path(base, [k])` is `base + key_steps[k]`
        self.seeds = seeds
        self._entries: list[dict[str, Entry]] = []  # by branch: result → its entry

    def kept_by_branch(
        self, tree: Parallel, known: set[str], live: set[str], bounded: bool
    ) -> list[set[str]]:
        """The results each branch of `tree` leaves for after the join (disjoint sets): the
        live results its tasks produce, and the live pre-fork ones (branch 0's). None is live:
        every branch keeps what it produced.

        `bounded`: every live result not in `known` is a task of `tree` (see AslWriter)."""
        index, position = self.index, self.index.position
        start, end = index.spans[id(tree)]
        # Only a live result that does not exist yet (or a seeded one) can come from a branch,
        # and only a task of the Parallel's span: unless `bounded` says all are, whichever is
        # fewer is searched.
        produced = live - known
        if not bounded and len(produced) > end - start:
            produced.intersection_update(index.order[start:end])
        elif not bounded:
            produced = {k for k in produced if start <= position.get(k, -1) < end}
        if self.seeds:
            seeded = live & known & self.seeds.keys()
            produced |= {k for k in seeded if start <= position.get(k, -1) < end}
        spans = [index.spans[id(b)] for b in tree.branches]
        # Each branch but the largest picks its own; the largest takes the rest, so a task is
        # looked at only in the few branches smaller than a sibling it sits in (not once per
        # level of a deep machine).
        heavy = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
        kept_by: list[set[str]] = []
        for i, (lo, hi) in enumerate(spans):
            if i == heavy:
                kept_by.append(set())
            elif hi - lo < len(produced):
                kept_by.append(produced.intersection(index.order[lo:hi]))
            else:
                kept_by.append({k for k in produced if lo <= position[k] < hi})
        kept_by[heavy] = produced.difference(*kept_by)
        # The live pre-fork results go on from branch 0 (a seeded one its own branch produces).
        kept_by[0] |= (known & live) - produced
        if not any(kept_by):  # nothing is read after the join: keep what the branches produced
            return [set(index.tasks(b)) for b in tree.branches]
        return kept_by

    def selector(self, kept_by: list[set[str]]) -> dict[str, str]:
        """The ResultSelector rebuilding `results` from the branches' outputs: each result
        kept, read from the branch keeping it, in graph order (the same flow, the same text)."""
        entries: list[Entry] = []
        made_by_branch = self._entries
        while len(made_by_branch) < len(kept_by):
            made_by_branch.append({})
        for branch, kept in enumerate(kept_by):
            made = made_by_branch[branch]
            for key in kept:
                entry = made.get(key)
                if entry is None:
                    entry = made[key] = self._entry(branch, key)
                entries.append(entry)
        entries.sort(key=_POSITION)  # (ints compared directly: tuples compare slower)
        return {name: path for _, name, path in entries}

    def _entry(self, branch: int, key: str) -> Entry:
        return self.order[key], key + ".$", f"$[{branch}].results" + self.key_steps[key]


def joined(kept_by: list[set[str]]) -> set[str]:
    """The results the document holds after the join: all the branches keep."""
    largest = max(kept_by, key=len)  # copied whole (a set's copy is one memcpy), then added to
    return largest.union(*(kept for kept in kept_by if kept is not largest))
