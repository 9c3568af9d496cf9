"""Where the tasks of each subtree of a series/parallel tree are, and which subtrees read a result.

The ASL writer asks, at every level of the tree, which tasks a part holds and which results it
reads. Recomputing that per question costs the subtree's size each time — quadratic on a deep
tree (a non-series-parallel DAG of 10,000 tasks nests about 1,500 levels deep). Instead, one
walk lays the tasks out in depth-first order: every subtree is then a span of that order, so
"does this part hold task k" is a comparison, and "does it read result k" a binary search among
the positions of k's readers.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping

from orchestrator.planner.structure import Leaf, Series, Tree


class TreeIndex:
    def __init__(self, tree: Tree, reads_of: Mapping[str, Iterable[str]]) -> None:
        self.reads_of = reads_of
        self.order: list[str] = []  # the tasks, depth first
        self.spans: dict[int, tuple[int, int]] = {}  # id(subtree) → its span of `order`
        stack: list[tuple[Tree, int]] = [(tree, -1)]  # (subtree, its start once entered)
        while stack:
            node, start = stack.pop()
            if start >= 0:
                self.spans[id(node)] = (start, len(self.order))
            elif isinstance(node, Leaf):
                self.spans[id(node)] = (len(self.order), len(self.order) + 1)
                self.order.append(node.node)
            else:
                stack.append((node, len(self.order)))
                parts = node.parts if isinstance(node, Series) else node.branches
                stack.extend((part, -1) for part in reversed(parts))
        self.position = {task: i for i, task in enumerate(self.order)}
        self.readers: dict[str, list[int]] = {}  # result → positions of the tasks reading it
        for i, task in enumerate(self.order):
            for key in reads_of[task]:
                self.readers.setdefault(key, []).append(i)

    def size(self, tree: Tree) -> int:
        start, end = self.spans[id(tree)]
        return end - start

    def tasks(self, tree: Tree) -> list[str]:
        start, end = self.spans[id(tree)]
        return self.order[start:end]

    def holds(self, tree: Tree, task: str) -> bool:
        start, end = self.spans[id(tree)]
        return start <= self.position.get(task, -1) < end

    def reads(self, tree: Tree, key: str) -> bool:
        """Whether a task of `tree` reads the result `key`."""
        positions = self.readers.get(key)
        if not positions:
            return False
        start, end = self.spans[id(tree)]
        i = bisect_left(positions, start)
        return i < len(positions) and positions[i] < end

    def read_keys(self, tree: Tree) -> set[str]:
        """The results the tasks of `tree` read."""
        return {key for task in self.tasks(tree) for key in self.reads_of[task]}
