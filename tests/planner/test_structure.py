"""DAG → series/parallel tree: every dependency holds, SP graphs get no extra synchronisation."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.planner.structure import (
    Leaf,
    Parallel,
    Series,
    Tree,
    decompose,
    enforced_order,
    leaves,
)


def closure(nodes: list[str], deps: dict[str, list[str]]) -> set[tuple[str, str]]:
    anc: dict[str, set[str]] = {}

    def ancestors(n: str) -> set[str]:
        if n not in anc:
            anc[n] = set()
            for d in deps.get(n, []):
                anc[n] |= {d} | ancestors(d)
        return anc[n]

    return {(a, n) for n in nodes for a in ancestors(n)}


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    n = draw(st.integers(1, 14))
    nodes = [f"n{i}" for i in range(n)]
    deps = {
        node: draw(st.lists(st.sampled_from(nodes[:i]), unique=True)) if i else []
        for i, node in enumerate(nodes)
    }
    order = draw(st.permutations(nodes))  # the planner must not rely on call order
    return list(order), deps


@st.composite
def sp_trees(draw: st.DrawFn, depth: int = 0) -> Tree:
    counter = draw(st.shared(st.builds(lambda: [0]), key="counter"))
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        counter[0] += 1
        return Leaf(f"n{counter[0]}")
    kids = tuple(draw(st.lists(sp_trees(depth + 1), min_size=2, max_size=3)))
    return Series(kids) if draw(st.booleans()) else Parallel(kids)


def sp_edges(tree: Tree) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(sources, sinks, deps) of the SP graph a tree describes."""
    if isinstance(tree, Leaf):
        return [tree.node], [tree.node], {tree.node: []}
    parts = [sp_edges(p) for p in (tree.parts if isinstance(tree, Series) else tree.branches)]
    deps: dict[str, list[str]] = {}
    for _, _, d in parts:
        deps.update(d)
    if isinstance(tree, Parallel):
        return [s for p in parts for s in p[0]], [s for p in parts for s in p[1]], deps
    for before, after in zip(parts, parts[1:], strict=False):
        for src in after[0]:
            deps[src] = deps[src] + before[1]
    return parts[0][0], parts[-1][1], deps


@settings(max_examples=300, deadline=None)
@given(dags())
def test_every_dependency_holds_in_the_tree(dag: tuple[list[str], dict[str, list[str]]]) -> None:
    nodes, deps = dag
    result = decompose(nodes, deps)
    assert sorted(leaves(result.tree)) == sorted(nodes)
    enforced = enforced_order(result.tree)
    required = closure(nodes, deps)
    assert required <= enforced
    # Whatever the tree adds beyond the DAG's own order is reported.
    extra = enforced - required
    reported = set(result.added)
    assert not extra or reported
    assert reported <= enforced


@settings(max_examples=300, deadline=None)
@given(sp_trees())
def test_series_parallel_graphs_get_no_added_synchronisation(tree: Tree) -> None:
    _, _, deps = sp_edges(tree)
    nodes = sorted(deps)
    result = decompose(nodes, deps)
    assert list(result.added) == []
    assert enforced_order(result.tree) == closure(nodes, deps)


def test_n_shaped_dag_adds_the_cheapest_synchronisation() -> None:
    # a→c, b→c, b→d is the smallest DAG that is not series-parallel.
    result = decompose(["a", "b", "c", "d"], {"c": ["a", "b"], "d": ["b"]})
    assert result.tree == Series(
        (Parallel((Leaf("a"), Leaf("b"))), Parallel((Leaf("c"), Leaf("d")))),
    )
    assert list(result.added) == [("a", "d")]


def test_chain_is_a_flat_series_and_scales() -> None:
    nodes = [f"t{i}" for i in range(2000)]
    deps = {n: [nodes[i - 1]] if i else [] for i, n in enumerate(nodes)}
    tree = decompose(nodes, deps).tree
    assert isinstance(tree, Series) and len(tree.parts) == 2000


def test_independent_tasks_run_in_parallel_and_diamond_keeps_its_shape() -> None:
    assert decompose(["a", "b"], {}).tree == Parallel((Leaf("a"), Leaf("b")))
    diamond = decompose(["s", "l", "r", "j"], {"l": ["s"], "r": ["s"], "j": ["l", "r"]})
    assert diamond.tree == Series((Leaf("s"), Parallel((Leaf("l"), Leaf("r"))), Leaf("j")))
    assert list(diamond.added) == []


def test_a_forced_cut_peels_the_sources_level_by_level() -> None:
    # Two crossing N shapes in a row: each level waits for all of the level before, and only
    # the dependencies the DAG lacks are reported.
    deps = {"c": ["a", "b"], "d": ["b"], "e": ["c", "d"], "f": ["d"]}
    result = decompose(["a", "b", "c", "d", "e", "f"], deps)
    assert result.tree == Series(
        (
            Parallel((Leaf("a"), Leaf("b"))),
            Parallel((Leaf("c"), Leaf("d"))),
            Parallel((Leaf("e"), Leaf("f"))),
        )
    )
    assert list(result.added) == [("a", "d"), ("c", "f")]


def test_a_deeply_nested_dag_compiles() -> None:
    # 10,000 tasks in layers of 10, each on 2 random tasks of the layer before: the machine
    # nests about 1,750 Parallel states (the recursive planner hit Python's recursion limit).
    from orchestrator.planner import plan_flow
    from orchestrator.planner.asl import walk_states
    from tests.planner.random_graphs import graph_of, layered_deps

    plan = plan_flow(graph_of(layered_deps(random.Random(1), 10_000, 10, 2)))
    tasks = [s for s in walk_states(plan.asl) if s["Type"] == "Task"]
    assert sorted(t["Parameters"]["Payload"]["task"] for t in tasks) == sorted(
        f"t{i}" for i in range(10_000)
    )
