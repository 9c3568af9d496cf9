"""The added dependencies kept per barrier: counted arithmetically, expanded to the right pairs."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.planner import WAITS_NAMED, waits_text
from orchestrator.planner.barriers import AddedDependencies
from orchestrator.planner.structure import decompose
from orchestrator.planner.synchronisation import synchronise
from tests.planner.test_structure import closure, dags


def zigzag(k: int) -> tuple[list[str], dict[str, list[str]]]:
    """Tops t0…t(k-1), bottoms b0…b(k-1), b_i after t_i and t_(i+1): connected, with no clean
    cut, so the level barrier makes every bottom wait for every top."""
    tops, bottoms = [f"t{i}" for i in range(k)], [f"b{i}" for i in range(k)]
    deps = {b: tops[i : i + 2] for i, b in enumerate(bottoms)}
    return tops + bottoms, deps


def test_a_crown_adds_what_its_edges_leave_out() -> None:
    # a→d, b→d, b→e, c→e, c→f: one barrier, {a, b, c} before {d, e, f}. Of its 9 pairs the 5
    # edges are ordered already; the other 4, downstream task by downstream task, are added.
    deps = {"d": ["a", "b"], "e": ["b", "c"], "f": ["c"]}
    added = decompose(["a", "b", "c", "d", "e", "f"], deps).added
    assert len(added.barriers) == 1 and len(added) == 4
    assert list(added) == [("c", "d"), ("a", "e"), ("a", "f"), ("b", "f")]
    assert ("a", "f") in added and ("a", "d") not in added


def test_an_implied_pair_is_not_added() -> None:
    # a→b→d and a→c: d is ordered after a through b, so a barrier {a, c} → {d} adds c only.
    desc = [0b1110, 0b1000, 0, 0]  # a reaches b, c, d; b reaches d
    added = AddedDependencies(["a", "b", "c", "d"])
    added.add([0, 2], [3], desc)
    assert (len(added), list(added)) == (1, [("c", "d")])
    added.add([1], [3], desc)  # ordered already: nothing to add, no barrier kept
    assert (len(added), len(added.barriers)) == (1, 1)


def test_a_wide_barrier_is_counted_without_listing_its_pairs() -> None:
    # k² pairs less the 2k - 1 edges; the report names the first WAITS_NAMED (b0 waits for t2,
    # t3, …: b0's own t0 and t1 are edges) and counts the rest.
    k = 1_000
    nodes, deps = zigzag(k)
    added = decompose(nodes, deps).added
    assert len(added) == k * k - (2 * k - 1)
    text = waits_text(added)
    named = ", ".join(f"b0 waits for t{i}" for i in range(2, 2 + WAITS_NAMED))
    assert text == f"{named} and {len(added) - WAITS_NAMED:,} more"


@settings(max_examples=300, deadline=None)
@given(dags(), st.integers(0, 2**32))
def test_each_barrier_expands_to_its_groups_less_what_the_dag_orders(
    dag: tuple[list[str], dict[str, list[str]]], seed: int
) -> None:
    nodes, deps = dag
    rng = random.Random(seed)
    weights = {n: rng.lognormvariate(0, 1) for n in nodes}
    ordered = closure(nodes, deps)
    for added in (decompose(nodes, deps).added, synchronise(nodes, deps, weights).added):
        names = added.names
        expected = [
            (names[i], names[j])
            for barrier in added.barriers
            for j in barrier.after
            for i in barrier.before
            if (names[i], names[j]) not in ordered
        ]
        assert list(added) == expected
        assert len(added) == len(expected) == sum(b.count for b in added.barriers)
        assert all(b.count > 0 for b in added.barriers)
        assert bool(added) == bool(expected)
        # Membership, asked of the barriers, agrees with the listing for every pair of tasks.
        assert {(a, b) for a in nodes for b in nodes if (a, b) in added} == set(expected)
