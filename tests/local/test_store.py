"""RunStore round trip, listing and lookup by prefix; live events via on_event."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestrator import Flow
from orchestrator import task as sdk_task
from orchestrator.contract import STORE_ENV
from orchestrator.engine import HistoryEvent
from orchestrator.errors import StoreError
from orchestrator.local import store as store_module
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


def test_a_running_flow_is_visible_with_its_history_and_each_event_is_written_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store is written when the run starts, as it goes (the events since the last write,
    every FLUSH_SECONDS) and when it stops: never one transaction per event, never an event
    twice; a reader sees the run RUNNING with the history so far."""
    written: list[int] = []
    encode_batch = store_module._event_batch

    def spy(events: list[HistoryEvent]) -> tuple[int, int, str] | None:
        written.extend(e.id for e in events)
        return encode_batch(events)

    monkeypatch.setattr(store_module, "_event_batch", spy)
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "runs.sqlite"))
    release = threading.Event()

    @sdk_task
    def quick(x: int) -> int:
        return x + 1

    @sdk_task
    def blocked(x: int) -> int:
        assert release.wait(60), "the test never released the task"
        return x

    with Flow("visible while running") as flow:
        blocked(quick(quick(0)))

    runs: list[object] = []
    runner = threading.Thread(target=lambda: runs.append(flow.run()))
    runner.start()
    try:
        seen = None
        for _ in range(600):  # the flushing thread writes within FLUSH_SECONDS; wait up to 60 s
            reader = RunStore(tmp_path / "runs.sqlite", readonly=True)
            try:
                listed = reader.list()
            except StoreError:  # the file exists, its tables do not yet
                listed = []
            if listed:
                seen = reader.get(listed[0].name)
                if seen.events and seen.events[-1].type == "TaskStarted":
                    break
            reader.close()
            threading.Event().wait(0.1)
        assert seen is not None and seen.status == "RUNNING"
        assert [e.type for e in seen.events][:2] == ["ExecutionStarted", "TaskStateEntered"]
        assert seen.events[-1].type == "TaskStarted"  # blocked's: its Lambda is running
    finally:
        release.set()
        runner.join(60)
    (done,) = runs
    stored = RunStore(tmp_path / "runs.sqlite").get(done.run_id)  # type: ignore[attr-defined]
    assert stored.status == "SUCCEEDED"
    assert [(e.id, e.type, e.details) for e in stored.events] == [
        (e.id, e.type, e.details)
        for e in done.events  # type: ignore[attr-defined]
    ]
    assert sorted(written) == [e.id for e in stored.events]  # each event written once
