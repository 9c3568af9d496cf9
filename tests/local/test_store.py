"""RunStore round trip, listing and lookup by prefix; live events via on_event."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engine import HistoryEvent
from orchestrator.local.store import RunStore
from tests.engine.conftest import machine, run, task


def test_round_trip(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    seen: list[HistoryEvent] = []
    spec = machine(
        W={"Type": "Wait", "Seconds": 5, "Next": "T"},
        T=task(),
    )
    ex = run(spec, {"x": "ü"}, on_record=store.record, name="first-run", on_event=seen.append)
    run(spec, {"x": 2}, on_record=store.record, name="second-run")
    assert [e.id for e in seen] == [e.id for e in ex.events]

    loaded = store.get("first-run")
    assert loaded.status == "SUCCEEDED"
    assert loaded.output == {"x": "ü"} and loaded.input == {"x": "ü"}
    assert [(e.id, e.previous_event_id, e.type, e.details) for e in loaded.events] == [
        (e.id, e.previous_event_id, e.type, e.details) for e in ex.events
    ]
    assert loaded.events[0].timestamp == ex.events[0].timestamp
    assert loaded.attempts_by_state() == {"T": 1}
    assert loaded.delays() == [("W", 5.0)]
    assert store.get(ex.execution_arn).name == "first-run"
    assert store.get("first").name == "first-run"
    with pytest.raises(KeyError):
        store.get("nothing")
    summaries = store.list()
    assert {s.name for s in summaries} == {"first-run", "second-run"}
    assert summaries[0].status == "SUCCEEDED"


def test_prefix_must_be_unique(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    run(machine(P={"Type": "Pass", "End": True}), on_record=store.record, name="abc-1")
    run(machine(P={"Type": "Pass", "End": True}), on_record=store.record, name="abc-2")
    with pytest.raises(KeyError, match="several"):
        store.get("abc")
    failed = run(
        machine(F={"Type": "Fail", "Error": "E", "Cause": "C"}), on_record=store.record, name="f"
    )
    assert (store.get("f").error, store.get("f").cause) == (failed.error, failed.cause)
