"""The committed text's size, counted without writing it, is the size of the text written."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.planner import asl_text, plan_flow
from orchestrator.planner.definition_size import indented_bytes
from orchestrator.planner.split import definition_bytes, machine_bytes, state_sizes
from tests.flowgen import random_flows

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_indented_bytes_is_the_size_json_dumps_writes(value: Any) -> None:
    assert indented_bytes(value) == len(json.dumps(value, indent=2, ensure_ascii=False).encode())


@settings(max_examples=25, deadline=None)
@given(gen=random_flows(max_tasks=7))
def test_a_planned_machine_counts_as_its_committed_text(gen: Any) -> None:
    asl = plan_flow(gen.flow.graph).asl
    assert definition_bytes(asl) == definition_bytes(asl_text(asl))


@settings(max_examples=25, deadline=None)
@given(gen=random_flows(max_tasks=7))
def test_a_machine_s_size_follows_from_its_states_sizes(gen: Any) -> None:
    asl = plan_flow(gen.flow.graph).asl
    sizes = state_sizes(asl)
    assert machine_bytes(asl, sizes.indented) == definition_bytes(asl_text(asl))
    compact = asl_text(asl, compact=True)
    assert machine_bytes(asl, sizes.compact, compact=True) == definition_bytes(compact)
    assert definition_bytes(asl, compact=True) == definition_bytes(compact)
    assert json.loads(compact) == asl and "\n" not in compact[:-1]


def test_a_machine_deeper_than_the_c_encoder_goes_is_measured_by_the_walk() -> None:
    import sys

    from orchestrator.contract import PLACEHOLDER
    from orchestrator.planner.definition_size import measure

    deep: Any = {"Resource": "${DeepFunctionArn}"}
    for _ in range(3000):  # beyond the C encoder's own recursion bound
        deep = {"Branches": [{"States": deep}]}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # what plan_flow allows a large flow (json.dumps needs it too)
    try:
        expected = len(json.dumps(deep, indent=2, ensure_ascii=False).encode())
        assert measure(deep, PLACEHOLDER) == (expected, 1)
    finally:
        sys.setrecursionlimit(limit)


@settings(max_examples=200, deadline=None)
@given(value=json_values, cap=st.integers(0, 400))
def test_a_capped_measure_is_exact_under_the_cap_and_over_it_above(value: Any, cap: int) -> None:
    from orchestrator.planner.definition_size import measure

    exact = len(json.dumps(value, indent=2, ensure_ascii=False).encode())
    size, _ = measure(value, None, cap)
    assert size == exact if exact <= cap else size > cap


def test_a_deep_machine_far_over_the_cap_is_not_walked_whole() -> None:
    import sys

    from orchestrator.planner.definition_size import measure

    deep: Any = {"Comment": "x" * 100}
    for _ in range(3000):
        deep = {"Branches": [{"States": deep, "Comment": "y" * 100}]}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        size, _ = measure(deep, None, 1_000)
        # Stopped just past the cap: at most one leaf (101 B) and some brackets beyond it.
        assert 1_000 < size < 1_200
    finally:
        sys.setrecursionlimit(limit)


def test_a_deep_machine_is_measured_piece_by_piece_exactly() -> None:
    """States nested beyond the C encoder's bound, each beside a wide flat member (a Parallel's
    ResultSelector), and a value nesting deeply under no state key (walked when the C encoder
    gives up on it): the same size and placeholders as the text written."""
    import sys

    from orchestrator.contract import PLACEHOLDER
    from orchestrator.planner.definition_size import measure

    deep: Any = {"Type": "Task", "Resource": "${DeepFunctionArn}", "Parameters": {"x": [[1]]}}
    lists: Any = "${ListFunctionArn}"
    for _ in range(3000):
        lists = [lists, {"k": None}]
    deep["Parameters"]["deeper"] = lists
    for i in range(600):
        selector = {f"t{k}.$": f"$[0].results.t{k}" for k in range(i % 7)}
        deep = {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Parallel", "Branches": [{"StartAt": "s", "States": {"s": deep}}]},
                "Q": {"Type": "Pass", "ResultSelector": selector, "Comment": "é ${NotAnArn"},
            },
        }
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(30_000)
    try:
        expected = len(json.dumps(deep, indent=2, ensure_ascii=False).encode())
        assert measure(deep, PLACEHOLDER) == (expected, 2)
    finally:
        sys.setrecursionlimit(limit)


state_like = st.dictionaries(
    st.sampled_from(["Type", "Branches", "Resource", "Parameters", "Comment", "é ${A_b}"]),
    json_values | st.just("\0orchestrator size mark\0") | st.just("${SomeFunctionArn}"),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    entries=st.dictionaries(st.text(), state_like | json_values, max_size=6),
    cap=st.none() | st.integers(0, 400),
)
def test_entries_measured_together_are_measured_as_each_alone(
    entries: dict[str, Any], cap: int | None
) -> None:
    """The batch (one C encoder call for the values that nest no states, cut apart at a mark)
    gives each value what measuring it alone gives: also for a value holding the mark itself,
    for values nesting states, and under a cap (exact under it, over it above)."""
    from orchestrator.contract import PLACEHOLDER
    from orchestrator.planner.definition_size import measure_both, measure_entries

    together = measure_entries("States", entries, PLACEHOLDER, cap)
    assert len(together) == len(entries)
    for (name, value), (size, compact, found) in zip(entries.items(), together, strict=True):
        wrapped = {"States": {name: value}}
        exact = len(json.dumps(wrapped, indent=2, ensure_ascii=False).encode())
        text = json.dumps(wrapped, ensure_ascii=False, separators=(",", ":"))
        if cap is None or len(text.encode()) <= cap:  # (over a cap, measuring may stop past it)
            assert compact == len(text.encode())
            assert found == len(PLACEHOLDER.findall(text))
        else:
            assert compact > cap
        if cap is None or exact <= cap:
            assert size == exact
        else:
            assert size > cap
        if cap is None:
            assert (size, compact, found) == measure_both(wrapped, PLACEHOLDER)


def test_values_holding_the_mark_between_commas_are_encoded_one_by_one() -> None:
    """The batch is cut apart at `,<mark>,`: a value whose own text holds that (the mark as a
    list item) makes the pieces more than the values, and each is then encoded alone."""
    from orchestrator.planner.definition_size import _MARK, _encode_each, compact_text

    values: list[Any] = [{"a": [1, _MARK, 2]}, {"b": "é"}, [_MARK], {"c": {"d": _MARK}}]
    assert _encode_each(values) == [compact_text(v) for v in values]
    assert _encode_each([]) == []
    plain: list[Any] = [{"x": 1}, {"y": [2, 3]}, "z"]
    assert _encode_each(plain) == [compact_text(v) for v in plain]


def test_asl_text_writes_a_machine_nested_past_the_c_encoder_at_the_default_limit() -> None:
    """`orchestrator plan` prints the text of a machine that cannot deploy too (a 10,000-task
    layered DAG nests ~1,500 Parallel states): past the C encoder's own bound, the Python
    encoder recurses per level, and `asl_text` makes room for it — the text is what
    `json.dumps` writes, read back equal."""
    import sys

    from orchestrator.planner.definition_size import json_depth

    deep: Any = {"Type": "Succeed"}
    for _ in range(3000):  # beyond the C encoder's own recursion bound
        deep = {"Type": "Parallel", "Branches": [{"StartAt": "p", "States": {"p": deep}}]}
    asl = {"StartAt": "p", "States": {"p": deep}}
    assert json_depth(asl) == 4 * 3000 + 3 and json_depth(1) == 0 and json_depth([]) == 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default: what a plain process has
    try:
        compact = asl_text(asl, compact=True)
        indented = asl_text(asl)
        assert sys.getrecursionlimit() == 1000
        sys.setrecursionlimit(60_000)  # the standard library's own encoders, for the expected text
        stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        assert compact == "".join(stdlib.iterencode(asl)) + "\n"  # (json.dumps: the C encoder)
        assert indented == json.dumps(asl, indent=2, ensure_ascii=False) + "\n"
    finally:
        sys.setrecursionlimit(limit)
