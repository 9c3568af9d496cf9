"""Weighted SP-ization: exact on SP graphs, the hand-found optimum on small non-SP ones, every
dependency kept and never slower than the level barrier on random DAGs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.planner import plan_flow
from orchestrator.planner import synchronisation as sync_module
from orchestrator.planner.structure import (
    Leaf,
    Parallel,
    Series,
    Tree,
    decompose,
    enforced_order,
    makespan,
)
from orchestrator.planner.synchronisation import synchronise
from tests.planner.test_structure import closure, dags, sp_edges, sp_trees

N_SHAPE = {"c": ["a", "b"], "d": ["b"]}


def longest(nodes: list[str], deps: dict[str, list[str]], w: dict[str, float]) -> float:
    """The critical path, by brute force over every path (small graphs only)."""

    def ending(n: str) -> float:
        return w.get(n, 1.0) + max((ending(d) for d in deps.get(n, [])), default=0.0)

    return max(ending(n) for n in nodes)


@settings(max_examples=200, deadline=None)
@given(sp_trees(), st.randoms(use_true_random=False))
def test_series_parallel_graphs_keep_their_order_whatever_the_durations(
    tree: Tree, rng: random.Random
) -> None:
    _, _, deps = sp_edges(tree)
    nodes = sorted(deps)
    w = {n: rng.choice([0.5, 1.0, 3.0, 40.0]) for n in nodes}
    result = synchronise(nodes, deps, w)
    assert list(result.added) == []
    assert enforced_order(result.tree) == closure(nodes, deps)
    assert result.makespan == result.critical_path == longest(nodes, deps, w)
    assert result.ratio == 1.0


def test_the_estimates_move_the_synchronisation_to_where_it_costs_nothing() -> None:
    # a 4, b 1, c 1, d 3: the critical path is a→c, 5. The downsets that make it SP (by hand):
    # {a,b} then {c,d}: 4 + 3 = 7 (the level barrier); {b} then a→c beside d: 1 + 5 = 6;
    # a beside b→d, then c: max(4, 4) + 1 = 5; {a} then b→(c, d): 4 + 1 + 3 = 8;
    # {a,b,c} then d: 4 + 1 + 3 = 8. The best is the third, at no cost: c waits for d.
    w = {"a": 4.0, "b": 1.0, "c": 1.0, "d": 3.0}
    result = synchronise(["a", "b", "c", "d"], N_SHAPE, w)
    assert result.tree == Series((Parallel((Leaf("a"), Series((Leaf("b"), Leaf("d"))))), Leaf("c")))
    assert list(result.added) == [("d", "c")]
    assert (result.makespan, result.critical_path) == (5.0, 5.0)
    assert makespan(decompose(["a", "b", "c", "d"], N_SHAPE).tree, w) == 7.0


def test_the_sweep_finds_the_same_cut_without_the_exhaustive_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same N by the threshold sweep: ef = a 4, b 1, d 4, c 5 and bl = a 5, b 4, d 3, c 1;
    # P = {ef ≤ 1} = {b} scores 1 + 5, P = {ef ≤ 4} = {a, b, d} scores 4 + 1: the optimum.
    monkeypatch.setattr(sync_module, "EXHAUSTIVE", 0)
    monkeypatch.setattr(sync_module, "LOOKAHEAD", 0)
    w = {"a": 4.0, "b": 1.0, "c": 1.0, "d": 3.0}
    result = synchronise(["a", "b", "c", "d"], N_SHAPE, w)
    assert list(result.added) == [("d", "c")] and result.makespan == 5.0


def test_a_tie_keeps_the_level_barrier() -> None:
    # a 2, b 1, c 1, d 2: critical path 3; every SP order takes at least 4 (the three best
    # cuts all give 4 by hand), so the level barrier stays and costs 4 / 3.
    w = {"a": 2.0, "b": 1.0, "c": 1.0, "d": 2.0}
    result = synchronise(["a", "b", "c", "d"], N_SHAPE, w)
    assert result.tree == decompose(["a", "b", "c", "d"], N_SHAPE).tree
    assert list(result.added) == [("a", "d")]
    assert (result.makespan, result.critical_path) == (4.0, 3.0)


def test_two_ns_in_a_row_are_each_cut_where_the_estimates_say() -> None:
    # a→c, b→c, b→d, then c→e, d→e, d→f: two N shapes sharing c and d.
    # With a 4, d 3 and the rest 1: the critical path is a→c→e = 6 (b→d→e = 5, b→d→f = 5).
    # By hand: a beside b→d, then c beside nothing... c waits for d (4), then c (5), then e
    # beside f, e after c and d: 6 = the critical path. The level barrier: 4 + 3 + 1 = 8.
    deps = {"c": ["a", "b"], "d": ["b"], "e": ["c", "d"], "f": ["d"]}
    w = {"a": 4.0, "b": 1.0, "c": 1.0, "d": 3.0, "e": 1.0, "f": 1.0}
    nodes = ["a", "b", "c", "d", "e", "f"]
    result = synchronise(nodes, deps, w)
    assert result.critical_path == 6.0
    assert result.makespan == 6.0
    assert makespan(decompose(nodes, deps).tree, w) == 8.0
    assert ("d", "c") in result.added


def test_transitive_edges_change_nothing() -> None:
    deps = {"c": ["a", "b"], "d": ["b"], "e": ["c", "d"], "f": ["d"]}
    w = {"a": 4.0, "b": 1.0, "c": 1.0, "d": 3.0, "e": 1.0, "f": 1.0}
    nodes = ["a", "b", "c", "d", "e", "f"]
    implied = {**deps, "e": ["c", "d", "a", "b"], "f": ["d", "b"]}
    plain, with_implied = synchronise(nodes, deps, w), synchronise(nodes, implied, w)
    assert (plain.tree, list(plain.added)) == (with_implied.tree, list(with_implied.added))


@settings(max_examples=300, deadline=None)
@given(dags(), st.integers(0, 2**32))
def test_random_dags_keep_every_dependency_and_never_lose_to_the_barrier(
    dag: tuple[list[str], dict[str, list[str]]], seed: int
) -> None:
    nodes, deps = dag
    rng = random.Random(seed)
    w = {n: rng.lognormvariate(0, 1) for n in nodes}
    result = synchronise(nodes, deps, w)
    required = closure(nodes, deps)
    enforced = enforced_order(result.tree)
    assert required <= enforced
    # Every ordering the tree adds follows from the DAG and the reported pairs.
    reported = closure(nodes, {n: deps[n] + [a for a, b in result.added if b == n] for n in nodes})
    assert enforced <= reported
    assert result.makespan == pytest.approx(makespan(result.tree, w))
    assert result.critical_path == pytest.approx(longest(nodes, deps, w))
    assert result.makespan <= makespan(decompose(nodes, deps).tree, w) + 1e-9
    assert result.makespan >= result.critical_path - 1e-9


def test_larger_random_dags_use_the_sweep_and_the_lookahead() -> None:
    # Beyond the exhaustive and the lookahead sizes: still every dependency, never worse.
    from tests.planner.random_graphs import layered_deps

    for seed in range(3):
        rng = random.Random(seed)
        raw = layered_deps(rng, 300, 10, 2)
        nodes = [f"t{i}" for i in range(len(raw))]
        deps = {f"t{i}": [f"t{j}" for j in ds] for i, ds in enumerate(raw)}
        w = {n: rng.lognormvariate(0, 1) for n in nodes}
        result = synchronise(nodes, deps, w)
        assert closure(nodes, deps) <= enforced_order(result.tree)
        assert result.makespan < makespan(decompose(nodes, deps).tree, w)


def test_the_planner_weighs_estimates_and_the_durations_it_is_given() -> None:
    from tests.planner.random_graphs import graph_of

    graph = graph_of([[], [], [0, 1], [1]])  # t0→t2, t1→t2, t1→t3: the N shape
    assert list(plan_flow(graph).added) == [("t0", "t3")]  # unit durations: the level barrier
    weighed = plan_flow(graph, {"t0": 4, "t1": 1, "t2": 1, "t3": 3})
    assert list(weighed.added) == [("t3", "t2")] and weighed.makespan_ratio == 1.0
    from dataclasses import replace

    estimated = replace(
        graph,
        nodes=tuple(
            replace(n, options=replace(n.options, estimate={"t0": 4.0, "t3": 3.0}.get(n.id)))
            for n in graph.nodes
        ),
    )
    assert list(plan_flow(estimated).added) == [("t3", "t2")]
    # An estimate= wins over a duration passed in.
    assert list(plan_flow(estimated, {"t0": 1, "t3": 1}).added) == [("t3", "t2")]


def test_a_report_names_the_first_added_dependencies_and_counts_the_rest() -> None:
    from orchestrator.planner import WAITS_NAMED, waits_text

    added = [(f"a{i}", f"b{i}") for i in range(WAITS_NAMED + 1_234)]
    text = waits_text(added)
    assert text.startswith("b0 waits for a0, b1 waits for a1, ")
    assert text.endswith(f"b{WAITS_NAMED - 1} waits for a{WAITS_NAMED - 1} and 1,234 more")
    assert waits_text(added[:2]) == "b0 waits for a0, b1 waits for a1"
