"""The run store's history as batches (schema 2): exact round trips, appends without duplicates
or gaps, the histories of a store written before batches read completely after migration, and
the recorder writing a run's batches while it goes and its end however the threads interleave."""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import Flow
from orchestrator import task as sdk_task
from orchestrator.contract import STORE_ENV
from orchestrator.engine import HistoryEvent
from orchestrator.engine.execution import Execution
from orchestrator.local import recorder
from orchestrator.local.recorder import Recorder
from orchestrator.local.schema import SCHEMA_VERSION
from orchestrator.local.store import RunStore

ARN = "arn:aws:states:us-east-1:123456789012:execution:flow:run-1"
START = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def execution(events: list[HistoryEvent], status: str = "SUCCEEDED") -> Execution:
    return Execution(
        execution_arn=ARN,
        name="run-1",
        status=status,
        input={"n": 1},
        output=None,
        error=None,
        cause=None,
        start_date=START,
        stop_date=START,
        events=events,
        state_machine="flow",
    )


def event(id_: int, timestamp: datetime = START, **details: Any) -> HistoryEvent:
    return HistoryEvent(id_, id_ - 1, timestamp, "PassStateEntered", details)


def as_tuples(events: list[HistoryEvent]) -> list[tuple[Any, ...]]:
    return [(e.id, e.previous_event_id, e.timestamp, e.type, e.details) for e in events]


def batch_rows(path: Path) -> list[tuple[int, int]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(
            "SELECT first_id, last_id FROM event_batches WHERE execution = ? ORDER BY first_id",
            (ARN,),
        ).fetchall()
    finally:
        db.close()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)  # NaN is kept too, but is not equal to itself
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
TIMESTAMPS = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(TIMESTAMPS, st.text(min_size=1), st.dictionaries(st.text(), JSON, max_size=5)),
        min_size=1,
        max_size=6,
    )
)
def test_a_history_round_trips_exactly(drawn: list[tuple[datetime, str, dict[str, Any]]]) -> None:
    events = [
        HistoryEvent(i, i - 1, timestamp, type_, details)
        for i, (timestamp, type_, details) in enumerate(drawn, start=1)
    ]
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "runs.sqlite")
        store.record(execution(events))
        loaded = store.get("run-1").events
        store.close()
    assert as_tuples(loaded) == as_tuples(events)
    assert all(e.timestamp.tzinfo is UTC for e in loaded)


def test_timestamps_keep_their_microseconds_and_instant(tmp_path: Path) -> None:
    pacific = timezone(timedelta(hours=-8))
    stamps = [
        START,
        START + timedelta(microseconds=1),
        datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=UTC),  # past 2**63 ns
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before the epoch
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=pacific),  # read back in UTC, same instant
    ]
    store = RunStore(tmp_path / "runs.sqlite")
    store.record(execution([event(i, t) for i, t in enumerate(stamps, start=1)]))
    loaded = [e.timestamp for e in store.get("run-1").events]
    assert loaded == stamps
    assert loaded[-1].utcoffset() == timedelta(0)


def test_a_running_execution_recorded_again_and_again_adds_one_row_each_time(
    tmp_path: Path,
) -> None:
    """As the recorder writes a run while it goes: each write the events since the last."""
    store = RunStore(tmp_path / "runs.sqlite")
    running = execution([], status="RUNNING")
    written = 0
    for count in (1, 1, 4, 9, 10):  # a write with nothing new adds no row
        running.events.extend(event(i, x=i) for i in range(len(running.events) + 1, count + 1))
        written = store.record(running, written)
        assert written == count
        assert as_tuples(store.get("run-1").events) == as_tuples(running.events)
    assert batch_rows(tmp_path / "runs.sqlite") == [(1, 1), (2, 4), (5, 9), (10, 10)]
    running.status = "SUCCEEDED"
    running.events.append(event(11))
    store.record(running, written)
    loaded = store.get("run-1")
    assert loaded.status == "SUCCEEDED"
    assert [e.id for e in loaded.events] == list(range(1, 12))

    # Recorded from the start again (a redrive, its own Execution): the old rows go.
    store.record(execution(running.events[:3]))
    assert batch_rows(tmp_path / "runs.sqlite") == [(1, 3)]
    assert [e.id for e in store.get("run-1").events] == [1, 2, 3]


# The run store as version 1 of the schema left it (before batches), with a run in it.
SCHEMA_1 = """
CREATE TABLE executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT, output TEXT, error TEXT, cause TEXT, start TEXT NOT NULL, stop TEXT,
    delays TEXT, definition TEXT, progress TEXT, redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_date TEXT
);
CREATE INDEX executions_start ON executions (start);
CREATE TABLE events (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, type TEXT NOT NULL, details TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
CREATE TABLE owners (execution TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL);
CREATE TABLE definitions (sha256 TEXT PRIMARY KEY, text TEXT NOT NULL);
PRAGMA user_version = 1;
"""
OLD_EVENTS = [
    (1, 0, "2024-01-01T00:00:00.000001+00:00", "ExecutionStarted", {"input": '{"n": 1}'}),
    (2, 1, "2024-01-01T00:00:00.250000+00:00", "TaskStateEntered", {"name": "ü", "n": 1.5}),
    (3, 2, "2024-01-01T00:00:01+00:00", "ExecutionFailed", {"error": "E", "cause": "C"}),
]


def old_store(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    db.execute(
        "INSERT INTO executions (arn, name, state_machine, status, input, output, start, stop, "
        "delays) VALUES (?, 'old-run', 'flow', 'FAILED', '{\"n\": 1}', 'null', "
        "'2024-01-01T00:00:00+00:00', '2024-01-01T00:00:01+00:00', '[]')",
        (ARN.replace("run-1", "old-run"),),
    )
    db.executemany(
        "INSERT INTO events VALUES (?,?,?,?,?,?)",
        [
            (ARN.replace("run-1", "old-run"), i, p, t, type_, json.dumps(d))
            for i, p, t, type_, d in OLD_EVENTS
        ],
    )
    db.commit()
    db.close()


def test_a_store_written_before_batches_is_read_completely_after_migration(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    old_store(path)
    expected = [(i, p, datetime.fromisoformat(t), type_, d) for i, p, t, type_, d in OLD_EVENTS]

    assert as_tuples(RunStore(path, readonly=True).get("old-run").events) == expected
    store = RunStore(path)  # writable: migrated
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (2,)
    assert db.execute("SELECT count(*) FROM events").fetchone() == (3,)  # left where they were
    db.close()
    assert as_tuples(store.get("old-run").events) == expected
    store.record(execution([event(1, x="new"), event(2)]))  # a new run, in a batch
    assert as_tuples(store.get("old-run").events) == expected
    assert [e.details for e in store.get("run-1").events] == [{"x": "new"}, {}]
    assert {s.name for s in store.list()} == {"old-run", "run-1"}
    # A reader that opened the store before it was migrated still finds the batches.
    assert [e.id for e in RunStore(path, readonly=True).get("run-1").events] == [1, 2]


def test_events_an_older_orchestrator_wrote_for_a_batched_run_are_read_with_its_batches(
    tmp_path: Path,
) -> None:
    """An older orchestrator only knows `events`: recording a run of this version again, its
    rows are the later record of their ids; no event is shown twice, none is hidden."""
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    store.record(execution([event(1, x="batched"), event(2, x="batched"), event(3)]))
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO events VALUES (?,?,?,?,?,?)",
        [
            (ARN, 2, 1, START.isoformat(), "PassStateEntered", '{"x": "older"}'),
            (ARN, 4, 3, START.isoformat(), "PassStateEntered", '{"x": "older"}'),
        ],
    )
    db.commit()
    db.close()
    loaded = store.get("run-1").events
    assert [(e.id, e.details.get("x")) for e in loaded] == [
        (1, "batched"),
        (2, "older"),
        (3, None),
        (4, "older"),
    ]


def test_a_flow_written_while_it_runs_has_batches_without_duplicates_or_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each task waits until the store shows it scheduled: the recorder wrote the run at least
    once per task while it went, each write one row following the last."""
    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.setattr(recorder, "BATCH_EVENTS", 1)  # write what is new at every poll

    @sdk_task
    def step(x: int) -> int:
        for _ in range(600):  # the store's thread writes within POLL_SECONDS; wait up to 60 s
            reader = RunStore(path, readonly=True)
            try:
                (listed,) = reader.list()
                events = reader.get(listed.name).events
            finally:
                reader.close()
            if sum(e.type == "TaskScheduled" for e in events) > x:
                return x + 1
            threading.Event().wait(0.1)
        raise AssertionError("the run's history was not written while it ran")

    with Flow("written while running") as flow:
        step(step(step(0)))

    done = flow.run()
    assert done.state == "SUCCEEDED"
    db = sqlite3.connect(path)
    rows = db.execute("SELECT first_id, last_id FROM event_batches ORDER BY first_id").fetchall()
    db.close()
    assert len(rows) > 3  # the start, a write while each task ran, the end
    assert rows[0][0] == 1 and rows[-1][1] == len(done.events)
    assert all(later[0] == earlier[1] + 1 for earlier, later in itertools.pairwise(rows))
    stored = RunStore(path).get(done.run_id).events
    assert as_tuples(stored) == as_tuples(done.events)


class _TimedOutWake:
    """The store thread's wake, its first wait timing out just as the run ends and the recorder
    closes (before the thread clears the wake, which so loses their wake-ups): the interleaving
    a loaded machine makes, played in order."""

    def __init__(self, recorder: Recorder, running: Execution) -> None:
        self.recorder, self.running, self.waits = recorder, running, 0

    def wait(self, timeout: float) -> bool:
        self.waits += 1
        if self.waits == 1:
            self.running.events.append(event(len(self.running.events) + 1))
            self.running.status = "SUCCEEDED"
            self.recorder.record(self.running)  # the engine's last record
            self.recorder._closing = True  # close(), before its join
        return False

    def set(self) -> None:
        return None

    def clear(self) -> None:
        return None


def test_the_end_of_a_run_recorded_as_the_store_thread_times_out_is_still_written(
    tmp_path: Path,
) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    running = execution([event(1)], status="RUNNING")
    keeper = Recorder(store)
    keeper._wake = _TimedOutWake(keeper, running)  # type: ignore[assignment]
    keeper.record(running)  # written at once; then the store's thread starts
    assert keeper._writer is not None
    keeper._writer.join(60)
    stored = store.get("run-1")
    assert stored.status == "SUCCEEDED"
    assert [e.id for e in stored.events] == [1, 2]
