"""A Distributed Map over another Distributed Map's export of no item.

AWS's ResultWriter ("ResultWriter (Map)", developer guide) "exports executions with the same
status to their respective files": a status with no execution has no file and an empty list in
`manifest.json`'s `ResultFiles`. A run of zero items therefore writes a manifest whose
`SUCCEEDED` is `[]` and no `SUCCEEDED_0.json`; whatever reads the export must expect that.
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


@pytest.mark.xfail(strict=True, reason="the reading Map's ItemReader finds no SUCCEEDED_0.json")
def test_a_map_over_an_empty_export_returns_no_item_locally() -> None:
    run = chained_over_nothing().run()
    assert run.state == "SUCCEEDED", run.cause
    assert run.result == EXPECTED


@pytest.mark.xfail(strict=True, reason="the reading Map's ItemReader finds no SUCCEEDED_0.json")
def test_a_map_over_an_empty_export_returns_no_item_in_moto(sfn: MotoStepFunctions) -> None:
    run = run_flow_in_moto(sfn, chained_over_nothing(), {})
    assert run.status == "SUCCEEDED", run.cause
