"""What a Parallel carries out of its branches (planner/join.py), on a tree small enough to
write the expected ResultSelector by hand."""

from __future__ import annotations

from orchestrator.planner.join import JoinResults, joined
from orchestrator.planner.paths import path
from orchestrator.planner.structure import Leaf, Parallel, Series
from orchestrator.planner.tree_index import TreeIndex

# a, then (b then d) beside c, then e: e reads a, c and d.
FORK = Parallel((Series((Leaf("b"), Leaf("d"))), Leaf("c")))
TREE = Series((Leaf("a"), FORK, Leaf("e")))
READS = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": ["a", "c", "d"]}
GRAPH_ORDER = {k: i for i, k in enumerate("abcde")}


def join() -> JoinResults:
    steps = {k: path("", [k]) for k in GRAPH_ORDER}
    return JoinResults(TreeIndex(TREE, READS), GRAPH_ORDER, steps, seeds={})


def test_each_branch_keeps_the_live_results_it_produces_and_branch_0_the_pre_fork_ones() -> None:
    kept_by = join().kept_by_branch(FORK, known={"a"}, live={"a", "c", "d"}, bounded=False)
    assert kept_by == [{"a", "d"}, {"c"}]  # b is read by d only, inside its branch: dropped
    assert joined(kept_by) == {"a", "c", "d"}


def test_with_nothing_live_after_the_join_every_branch_keeps_what_it_produced() -> None:
    assert join().kept_by_branch(FORK, known={"a"}, live=set(), bounded=False) == [
        {"b", "d"},
        {"c"},
    ]


def test_the_selector_reads_each_result_from_its_branch_in_graph_order() -> None:
    results = join()
    selector = results.selector([{"d", "a"}, {"c"}])
    assert list(selector.items()) == [
        ("a.$", "$[0].results.a"),
        ("c.$", "$[1].results.c"),
        ("d.$", "$[0].results.d"),
    ]
    # The same result from another branch of another Parallel reads that branch.
    assert results.selector([{"a"}, {"d"}]) == {"a.$": "$[0].results.a", "d.$": "$[1].results.d"}
