"""A fused Map runs item by item with no barrier, locally and in moto, with the same results.

The overlap is forced, not timed: item 0's first task blocks until item 1's second task has
started. With a barrier between the Maps that second task cannot start before every first task
has ended, so the wait would time out (and the run fail with `Barrier`); without one it returns
as soon as item 1 reaches its second task.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import Flow, task, unmapped
from orchestrator.engine.history import HistoryEvent
from orchestrator.planner.fusion import fusion_of
from orchestrator.runtime.results import REF_KEY
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions, history_event

SECOND_STARTED = threading.Event()
#: Only a barrier makes item 0's first task wait this long: the test fails then, never passes.
BARRIER_TIMEOUT = 20


class Barrier(Exception):
    """Item 0's first task ended before item 1's second task started."""


@task
def first(x: int) -> int:
    if x == 0 and not SECOND_STARTED.wait(BARRIER_TIMEOUT):
        raise Barrier("item 1's second task did not start while item 0's first task ran")
    return x + 10


@task
def second(y: int) -> int:
    if y == 11:  # item 1
        SECOND_STARTED.set()
    return y * 2


def overlap_flow() -> Flow:
    with Flow("fused-overlap") as f:
        second.map(first.map([0, 1]))
    return f


def item_event(events: list[HistoryEvent], kind: str, state: str, index: int) -> HistoryEvent:
    """The inner state's event of one iteration, told by the iteration document's index."""
    for event in events:
        if event.type != kind or event.details.get("name") != state:
            continue
        document = event.details.get("input") or event.details.get("output")
        if isinstance(document, str):
            document = json.loads(document)
        if document.get("index") == index:
            return event
    raise AssertionError(f"no {kind} of {state!r} for item {index}")


def assert_overlap(events: list[HistoryEvent]) -> None:
    second_of_1 = item_event(events, "TaskStateEntered", "second item", 1)
    first_of_0 = item_event(events, "TaskStateExited", "first item", 0)
    assert second_of_1.id < first_of_0.id
    assert second_of_1.timestamp <= first_of_0.timestamp


def test_the_chain_is_fused() -> None:
    assert fusion_of(overlap_flow().graph).chains == {"second": ("first", "second")}


def test_locally_an_items_second_task_starts_before_another_items_first_task_ends() -> None:
    SECOND_STARTED.clear()
    run = overlap_flow().run()
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == {"first": [10, 11], "second": [20, 22]}
    assert_overlap(run.events)
    runs = run.task_runs
    assert (runs["first"].state, runs["first"].iterations, runs["first"].attempts) == (
        "SUCCEEDED",
        2,
        2,
    )
    assert runs["second"].iterations == 2


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions() as harness:
        yield harness


def test_in_moto_an_items_second_task_starts_before_another_items_first_task_ends(
    sfn: MotoStepFunctions,
) -> None:
    # moto's executor runs an inline Map's iterations on threads of their own and records
    # each iteration's states in the execution's history, as AWS does.
    SECOND_STARTED.clear()
    run = run_flow_in_moto(sfn, overlap_flow())
    assert run.status == "SUCCEEDED", run.cause
    assert run.result == {"first": [10, 11], "second": [20, 22]}
    assert_overlap([history_event(e) for e in run.events])
    assert run.attempts_by_state() == {"first item": 2, "second item": 2}


BIG = 200_000  # characters: each item's intermediate result is stored by reference


@task
def rows(n: int) -> list[int]:
    return list(range(n))


@task(distributed=True)
def inflate(x: int) -> str:
    return str(x) * BIG


@task(distributed=True)
def deflate(text: str, extra: int) -> int:
    return len(text) + extra


@task
def summed(xs: list[int]) -> int:
    return sum(xs)


def distributed_flow() -> Flow:
    with Flow("fused-distributed-run") as f:
        summed(deflate.map(inflate.map(rows(3)), unmapped(1)))
    return f


def test_a_fused_distributed_map_passes_large_items_by_reference_locally_and_in_moto(
    sfn: MotoStepFunctions,
) -> None:
    f = distributed_flow()
    assert fusion_of(f.graph).chains == {"deflate": ("inflate", "deflate")}
    expected = sum(len(str(x) * BIG) + 1 for x in range(3))
    local = f.run()
    assert local.state == "SUCCEEDED", local.cause
    assert local.task_runs["summed"].result == expected
    # Each item's large intermediate result travelled to the next task as a reference.
    inner = [e for e in local.events if e.type == "TaskStateExited"]
    inflated = [e for e in inner if e.details.get("name") == "inflate item"]
    assert len(inflated) == 3 and all(REF_KEY in json.dumps(e.details) for e in inflated)
    assert local.task_runs["inflate"].result == [str(x) * BIG for x in range(3)]
    moto = run_flow_in_moto(sfn, f)
    assert moto.status == "SUCCEEDED", moto.cause
    assert moto.task_runs["summed"].result == expected
    assert moto.attempts_by_state() == {
        "rows": 1,
        "inflate item": 3,
        "deflate item": 3,
        "summed": 1,
    }


# -- results: fused as the plain-Python meaning of the flow --------------------------------------


@task
def add(x: int, k: int) -> int:
    return x + k


@task(retries=1)
def mul(x: int, k: int) -> int:
    return x * k


@task
def neg(x: int) -> int:
    return -x


@task(expected_items=8)
def listed(n: int) -> list[int]:
    return list(range(n))


@task
def total(xs: list[int]) -> int:
    return sum(xs)


OPS: dict[str, Any] = {"add": (add, lambda x, k: x + k), "mul": (mul, lambda x, k: x * k)}


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[int] | int, list[tuple[str, int | None]], int | None]:
    """Items (a literal list, or n for a task's list), the chain's steps (op, constant), and
    which step's list a `total` task also reads (fusion stops there)."""
    # A task's list makes Distributed Maps, an empty one too: a Distributed Map over another
    # one's export of no item reads no item (tests/planner/test_empty_exports.py).
    items: list[int] | int = draw(
        st.one_of(st.lists(st.integers(-5, 5), max_size=5), st.integers(0, 6))
    )
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(["add", "mul", "neg"]), st.integers(-3, 3)),
            min_size=1,
            max_size=4,
        )
    )
    read = draw(st.one_of(st.none(), st.integers(0, len(steps) - 1)))
    return items, [(op, None if op == "neg" else k) for op, k in steps], read


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_fused_chains_give_the_results_of_plain_python(
    chain: tuple[list[int] | int, list[tuple[str, int | None]], int | None],
) -> None:
    items, steps, read = chain
    with Flow("random-chain") as f:
        ref: Any = listed(items) if isinstance(items, int) else items
        refs = []
        for op, k in steps:
            ref = neg.map(ref) if op == "neg" else OPS[op][0].map(ref, unmapped(k))
            refs.append(ref)
        if read is not None:
            total(refs[read])
    values = list(range(items)) if isinstance(items, int) else list(items)
    expected: dict[str, Any] = {}
    if isinstance(items, int):
        expected["listed"] = values
    seen: dict[str, int] = {}
    lists = []
    for op, k in steps:
        seen[op] = seen.get(op, 0) + 1
        node = op if seen[op] == 1 else f"{op}_{seen[op]}"
        values = [-v if op == "neg" else OPS[op][1](v, k) for v in values]
        expected[node] = values
        lists.append(values)
    if read is not None:
        expected["total"] = sum(lists[read])
    fused = fusion_of(f.graph)
    assert len(fused.chains) >= (1 if len(steps) > 1 and read != 0 else 0)
    run = f.run()
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == expected


# -- options and failures inside a fused Map -----------------------------------------------------

ATTEMPTS: dict[int, int] = {}
_attempts_lock = threading.Lock()


class Flaky(Exception):
    pass


@task(retries=1)
def flaky(x: int) -> int:
    with _attempts_lock:
        ATTEMPTS[x] = ATTEMPTS.get(x, 0) + 1
        if ATTEMPTS[x] == 1:
            raise Flaky(f"item {x}'s first attempt")
    return x


@task
def breaks(x: int) -> int:
    if x == 2:
        raise ValueError("item 2 is bad")
    return x


def test_each_task_of_a_fused_map_keeps_its_retries_and_its_failure_is_its_own() -> None:
    ATTEMPTS.clear()
    with Flow("fused-retries") as retried:
        neg.map(flaky.map([1, 2, 3]))
    run = retried.run(clock="virtual")
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == {"flaky": [1, 2, 3], "neg": [-1, -2, -3]}
    assert run.task_runs["flaky"].attempts == 6 and run.task_runs["neg"].attempts == 3
    assert [seconds for _, seconds in run.delays()] == [1.0, 1.0, 1.0]

    with Flow("fused-failure") as failing:
        neg.map(breaks.map([1, 2, 3]))
    run = failing.run(clock="virtual")
    assert run.state == "FAILED" and run.error == "ValueError"
    assert run.task_runs["breaks"].state == "FAILED"
    assert run.task_runs["breaks"].error == "ValueError"
    assert run.task_runs["neg"].state == "NOT_RUN"  # the Map stopped it; it did not fail
