"""A Distributed Map over another Distributed Map's export of no item.

AWS's ResultWriter ("ResultWriter (Map)", developer guide) "exports executions with the same
status to their respective files": a status with no execution has no file and an empty list in
`manifest.json`'s `ResultFiles`. A run of zero items therefore writes a manifest whose
`SUCCEEDED` is `[]` and no `SUCCEEDED_0.json`; whatever reads the export must expect that.
The reading Map lists the files under `<prefix>/<run>/SUCCEEDED_` and reads them all
("ItemReader (Map)": s3:listObjectsV2 with LOAD_AND_FLATTEN): none is no item, with no state
added to the machine to check for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator import Flow, task
from orchestrator.planner.fusion import fusion_of
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions


@task
def none_listed() -> list[int]:
    return []


@task(distributed=True, max_concurrency=2)
def plus_one(x: int) -> int:
    return x + 1


@task(distributed=True, max_concurrency=3)
def doubled(x: int) -> int:
    return 2 * x


def chained_over_nothing() -> Flow:
    """Two Distributed Maps, not fused (their MaxConcurrency differ): the second reads the
    first's export with an ItemReader."""
    with Flow("empty-export") as f:
        doubled.map(plus_one.map(none_listed()))
    return f


EXPECTED = {"none_listed": [], "plus_one": [], "doubled": []}


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions() as s:
        yield s


def test_the_chain_is_not_fused() -> None:
    assert not fusion_of(chained_over_nothing().graph).chains


def test_a_map_over_an_empty_export_returns_no_item_locally() -> None:
    run = chained_over_nothing().run()
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == EXPECTED


def test_a_map_over_an_empty_export_returns_no_item_in_moto(sfn: MotoStepFunctions) -> None:
    run = run_flow_in_moto(sfn, chained_over_nothing(), {})
    assert run.status == "SUCCEEDED", run.cause
    assert run.result == EXPECTED


def test_no_state_guards_the_reading_map() -> None:
    """The machine enters only its Task and Map states (issue 14): no Choice counts items."""
    states = chained_over_nothing().asl()["States"]
    assert {s["Type"] for s in states.values()} == {"Task", "Map"}
    assert states["doubled"]["ItemReader"]["Resource"] == "arn:aws:states:::s3:listObjectsV2"


@task
def four_listed() -> list[int]:
    return [1, 2, 3, 4]


@task(distributed=True, max_concurrency=2, tolerated_failure_count=1)
def fails_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("two")
    return 10 * x


def chained_over_a_tolerated_failure() -> Flow:
    with Flow("tolerant-export") as f:
        doubled.map(fails_on_two.map(four_listed()))
    return f


def check_tolerated(result: dict[str, list[object]]) -> None:
    """The tolerant map's own result holds the failure at its item's place; the map reading its
    export runs over the succeeded children's records only (`SUCCEEDED_n.json`, not
    `FAILED_n.json`), so its result is shorter, in the order of the items that succeeded."""
    tolerant = result["fails_on_two"]
    assert tolerant[0] == 10 and tolerant[2:] == [30, 40]
    assert isinstance(tolerant[1], dict) and tolerant[1]["Error"] == "ValueError"
    assert result["doubled"] == [20, 60, 80]


def test_a_map_over_an_export_with_a_tolerated_failure_reads_the_succeeded_items_locally() -> None:
    run = chained_over_a_tolerated_failure().run()
    assert run.state == "SUCCEEDED", run.cause
    check_tolerated(run.result)


def test_a_map_over_an_export_with_a_tolerated_failure_reads_the_succeeded_items_in_moto(
    sfn: MotoStepFunctions,
) -> None:
    run = run_flow_in_moto(sfn, chained_over_a_tolerated_failure(), {})
    assert run.status == "SUCCEEDED", run.cause
    check_tolerated(run.result)
