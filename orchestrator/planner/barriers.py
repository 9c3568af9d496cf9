"""The dependencies a series-parallel tree adds to a DAG, kept per barrier rather than per pair.

Each forced cut makes one group of tasks wait for another: every task `after` the cut for every
task `before` it, less the pairs the DAG already orders. Listed pair by pair that is up to
|before| × |after| per cut, 8.3 million pairs for a G(n, p) DAG of 10,000 tasks, and building
them was most of its compile time; yet a report names only the first few and counts the rest.
So a cut keeps its two groups: its count is arithmetic (the product, less the ordered pairs,
counted with one popcount per task before the cut) and its pairs are produced only when iterated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Barrier:
    """Tasks (indices in topological order) of `after` wait for those of `before`."""

    before: tuple[int, ...]
    after: tuple[int, ...]
    #: The pairs the DAG does not already order: what this barrier adds.
    count: int


class AddedDependencies:
    """The (upstream, downstream) pairs a tree enforces that its DAG does not imply: barrier by
    barrier in the order the cuts were made, each one downstream task by downstream task."""

    def __init__(self, names: Sequence[str] = (), desc: Sequence[int] = ()) -> None:
        #: The DAG's tasks in topological order, and each one's descendants as a bit mask of
        #: those indices: what names a pair, and what decides whether the DAG orders it.
        self.names = names
        self.desc = desc
        self.barriers: list[Barrier] = []
        self.count = 0

    def add(self, before: Sequence[int], after: Sequence[int]) -> None:
        """Every task of `after` now waits for every task of `before`."""
        targets = 0
        for j in after:
            targets |= 1 << j
        ordered = sum((self.desc[i] & targets).bit_count() for i in before)
        count = len(before) * len(after) - ordered
        if count:
            self.barriers.append(Barrier(tuple(before), tuple(after), count))
            self.count += count

    def pairs(self, barrier: Barrier) -> Iterator[tuple[str, str]]:
        """What `barrier` adds, downstream task by downstream task."""
        names, desc = self.names, self.desc
        for j in barrier.after:
            for i in barrier.before:
                if not desc[i] >> j & 1:
                    yield names[i], names[j]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for barrier in self.barriers:
            yield from self.pairs(barrier)

    def __len__(self) -> int:
        return self.count

    def __contains__(self, pair: object) -> bool:
        return any(p == pair for p in self)

    def __repr__(self) -> str:
        return f"AddedDependencies({len(self.barriers)} barriers, {self.count} pairs)"
