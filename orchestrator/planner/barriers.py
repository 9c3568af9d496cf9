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

from orchestrator.records import record


@record(frozen=True)
class Barrier:
    """Tasks (indices in topological order) of `after` wait for those of `before`."""

    before: tuple[int, ...]
    after: tuple[int, ...]
    #: For each task before: the tasks after that it already reaches, as a bit mask of their
    #: indices less the least of them (what the DAG orders is not added).
    reached: tuple[int, ...]
    #: The pairs the DAG does not already order: what this barrier adds.
    count: int

    def adds(self, i: int, j: int) -> bool:
        """Whether the barrier makes task j wait for task i where the DAG did not."""
        if i not in self.before or j not in self.after:
            return False
        return not self.reached[self.before.index(i)] >> (j - min(self.after)) & 1

    def pairs(self) -> Iterator[tuple[int, int]]:
        """What the barrier adds, downstream task by downstream task."""
        low = min(self.after)
        for j in self.after:
            for i, reached in zip(self.before, self.reached, strict=True):
                if not reached >> (j - low) & 1:
                    yield i, j


class AddedDependencies:
    """The (upstream, downstream) pairs a tree enforces that its DAG does not imply: barrier by
    barrier in the order the cuts were made, each one downstream task by downstream task."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.names = names  # the DAG's tasks in topological order: what names a pair
        self.barriers: list[Barrier] = []
        self.count = 0

    def add(self, before: Sequence[int], after: Sequence[int], desc: Sequence[int]) -> None:
        """Every task of `after` now waits for every task of `before`; `desc` holds each task's
        descendants as a bit mask of indices (what decides whether the DAG orders a pair)."""
        if not before or not after:
            return
        targets = 0
        for j in after:
            targets |= 1 << j
        low = min(after)
        reached = tuple((desc[i] & targets) >> low for i in before)
        count = len(before) * len(after) - sum(r.bit_count() for r in reached)
        if count:
            self.barriers.append(Barrier(tuple(before), tuple(after), reached, count))
            self.count += count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        names = self.names
        for barrier in self.barriers:
            for i, j in barrier.pairs():
                yield names[i], names[j]

    def __len__(self) -> int:
        return self.count

    def __contains__(self, pair: object) -> bool:
        """Asked of the barriers, not by listing their pairs (millions, on a large DAG)."""
        if not isinstance(pair, tuple) or len(pair) != 2:
            return False
        position = {name: i for i, name in enumerate(self.names)}
        i, j = (position.get(name, -1) for name in pair)
        return any(barrier.adds(i, j) for barrier in self.barriers)

    def __repr__(self) -> str:
        return f"AddedDependencies({len(self.barriers)} barriers, {self.count} pairs)"
