"""`Path.getter()`: the unrolled lookups templates use select exactly what `Path.get` does."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orchestrator.engine.jsonpath import PathNotFound, compile_path

KEYS = st.sampled_from(["a", "b", "c", "d"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def outcome(get: Any, document: Any) -> tuple[str, Any]:
    try:
        return "found", get(document)
    except PathNotFound as exc:
        return "not found", exc.path


@given(st.lists(KEYS, min_size=1, max_size=4), JSON)
def test_the_getter_agrees_with_get(keys: list[str], document: Any) -> None:
    path = compile_path("$." + ".".join(keys))
    assert outcome(path.getter(), document) == outcome(path.get, document)


def test_paths_the_getter_does_not_unroll_are_read_by_get() -> None:
    for text in ("$.a[0]", "$.a.b.c.d", "$.a[*]"):
        path = compile_path(text)
        assert path.getter() == path.get
    assert outcome(compile_path("$.a[0]").getter(), {"a": [7]}) == ("found", 7)


def test_a_bracketed_key_is_unrolled_like_a_dotted_one() -> None:
    get = compile_path("$['a b'].c").getter()
    assert get({"a b": {"c": 1}}) == 1
