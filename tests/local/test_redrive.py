"""`redrive_run`: a failed local run of a flow continued from where it stopped, tasks counted.

The flows' tasks fail on the first run only (a flag the test clears, as a user fixes the task)
and count their calls: a redrive must call only what did not succeed, then what comes after.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator import flow, task
from orchestrator.engine.history import HistoryEvent
from orchestrator.errors import ParameterError
from orchestrator.local import (
    FlowRun,
    RedriveUsesRecordedDefinition,
    RunNotRedrivable,
    RunStore,
    redrive_run,
    run_flow,
)
from orchestrator.local.schema import SCHEMA_VERSION
from orchestrator.local.store import PROCESS_EXITED

CALLS: list[object] = []
SUCCEEDED: list[int] = []
BROKEN: set[object] = set()
LOCK = threading.Lock()
FAILING = {3, 17, 42}
# Set when the `right` branch's task state has exited: the broken `left` fails only then, so
# the first run always ends with `right` done and a redrive must not run it again.
RIGHT_DONE = threading.Event()


@pytest.fixture(autouse=True)
def _fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the local results bucket
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(tmp_path / "runs.sqlite"))
    CALLS.clear()
    SUCCEEDED.clear()
    BROKEN.clear()
    RIGHT_DONE.clear()


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def work(i: int) -> int:
    with LOCK:
        CALLS.append(i)
    if i in BROKEN:
        # Fail only once the 47 good items are done: the Map Run then stops with nothing left
        # unstarted, so what must run again is exactly the three failed items.
        deadline = time.monotonic() + 10
        while len(SUCCEEDED) < 47 and time.monotonic() < deadline:
            time.sleep(0.005)
        raise ValueError(f"item {i} failed")
    with LOCK:
        SUCCEEDED.append(i)
    return i * 2


@task
def total(values: list[int]) -> int:
    CALLS.append("total")
    return sum(values)


@flow(name="mapped")
def mapped(n: int = 50):
    return total(work.map(numbers(n)))


@task
def left(n: int) -> int:
    CALLS.append("left")
    if "left" in BROKEN:
        RIGHT_DONE.wait(timeout=60)
        raise ConnectionError("left is down")
    return n + 1


@task
def right(n: int) -> int:
    CALLS.append("right")
    return n + 2


@task
def both(a: int, b: int) -> int:
    CALLS.append("both")
    return a + b


@flow(name="forked")
def forked(n: int = 1):
    return both(left(n), right(n))


def run_forked() -> FlowRun:
    """`forked.run()`, telling the broken `left` when `right`'s state has exited."""

    def on_event(event: HistoryEvent) -> None:
        if event.type == "TaskStateExited" and event.details.get("name") == "right":
            RIGHT_DONE.set()

    return run_flow(forked.local_machine(), {}, on_event=on_event)


def test_a_map_failing_on_3_of_50_items_redrives_only_those_and_what_follows() -> None:
    BROKEN.update(FAILING)
    failed = mapped.run(clock="virtual")
    assert failed.state == "FAILED"
    assert sorted(c for c in CALLS if c != "total") == list(range(50))
    assert "total" not in CALLS

    BROKEN.clear()  # the task is fixed
    CALLS.clear()
    store = RunStore(Path("runs.sqlite"))
    redriven = redrive_run(store, failed.run_id, mapped.local_machine(), clock="virtual")
    assert redriven.state == "SUCCEEDED", redriven.cause
    assert sorted(c for c in CALLS if c != "total") == sorted(FAILING)
    assert CALLS.count("total") == 1
    assert redriven.result == sum(i * 2 for i in range(50))
    assert redriven.run_id == failed.run_id
    assert redriven.execution.execution_arn == failed.execution.execution_arn
    assert redriven.execution.redrive_count == 1
    assert redriven.task_runs["work"].iterations == 50  # each item once, re-run or not
    assert redriven.task_runs["work"].state == "SUCCEEDED"
    kept = store.get(failed.run_id)
    assert kept.status == "SUCCEEDED" and kept.redrive_count == 1
    assert [e.type for e in kept.events].count("ExecutionRedriven") == 1

    # API RedriveExecution: "You can redrive executions if [...] The execution status isn't
    # SUCCEEDED"; DescribeExecution's reason for it: "Execution is SUCCEEDED and cannot be
    # redriven". The error is ExecutionNotRedrivable.
    with pytest.raises(RunNotRedrivable) as refused:
        redrive_run(store, failed.run_id, mapped.local_machine())
    assert str(refused.value).startswith(
        "ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven"
    )
    assert store.get(failed.run_id).redrive_count == 1  # nothing changed


def test_a_parallel_with_one_failed_branch_redrives_only_that_branch() -> None:
    BROKEN.add("left")
    failed = run_forked()
    assert failed.state == "FAILED" and failed.error == "ConnectionError"
    assert sorted(CALLS) == ["left", "right"]

    BROKEN.clear()
    CALLS.clear()
    redriven = redrive_run(None, failed.run_id, forked.local_machine())
    assert redriven.state == "SUCCEEDED"
    assert CALLS == ["left", "both"]
    assert redriven.result == (1 + 1) + (1 + 2)
    assert redriven.task_runs["right"].attempts == 1
    assert redriven.task_runs["left"].attempts == 2


def test_a_run_fails_again_and_is_redriven_again_from_the_store() -> None:
    BROKEN.add("left")
    failed = run_forked()
    again = redrive_run(None, failed.run_id, forked.local_machine())
    assert again.state == "FAILED" and again.execution.redrive_count == 1
    BROKEN.clear()
    CALLS.clear()
    # A new store object, as a second `orchestrator redrive` would open.
    third = redrive_run(RunStore(Path("runs.sqlite")), failed.run_id[:8], forked.local_machine())
    assert third.state == "SUCCEEDED" and third.execution.redrive_count == 2
    assert CALLS == ["left", "both"]
    redriven = [e for e in third.events if e.type == "ExecutionRedriven"]
    assert [e.details for e in redriven] == [{"redriveCount": 1}, {"redriveCount": 2}]


def test_a_redrive_runs_the_definition_the_run_started_with() -> None:
    # DG: "Redriven executions use the same state machine definition [...] you must start a new
    # execution if you update your state machine definition."
    BROKEN.add("left")
    failed = run_forked()
    BROKEN.clear()
    machine = forked.local_machine()
    changed = replace(machine, definition={**machine.definition, "Comment": "changed"})
    with pytest.warns(RedriveUsesRecordedDefinition, match="start a new run"):
        redriven = redrive_run(None, failed.run_id, changed)
    assert redriven.state == "SUCCEEDED"


def test_unknown_runs_and_other_flows_runs_are_refused() -> None:
    BROKEN.add("left")
    failed = run_forked()
    with pytest.raises(ParameterError, match="no execution matches 'nope'"):
        redrive_run(None, "nope", forked.local_machine())
    with pytest.raises(ParameterError, match="not of flow 'mapped'"):
        redrive_run(None, failed.run_id, mapped.local_machine())


# The run store as it was before redrive: what an earlier orchestrator left behind.
OLD_SCHEMA = """
CREATE TABLE executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT, output TEXT, error TEXT, cause TEXT, start TEXT NOT NULL, stop TEXT,
    delays TEXT
);
CREATE INDEX executions_start ON executions (start);
CREATE TABLE events (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, type TEXT NOT NULL, details TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
CREATE TABLE owners (execution TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL);
INSERT INTO executions VALUES ('arn:aws:states:us-east-1:123456789012:execution:forked:old-run',
    'old-run', 'forked', 'FAILED', '{"n": 1}', 'null', 'ConnectionError', 'left is down',
    '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:01+00:00', '[]');
INSERT INTO events VALUES
    ('arn:aws:states:us-east-1:123456789012:execution:forked:old-run', 1, 0,
     '2024-01-01T00:00:00+00:00', 'ExecutionStarted', '{"input": "{}"}'),
    ('arn:aws:states:us-east-1:123456789012:execution:forked:old-run', 2, 1,
     '2024-01-01T00:00:01+00:00', 'ExecutionFailed', '{"error": "ConnectionError"}');
"""


def test_an_old_store_is_migrated_without_losing_history(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()

    old = RunStore(path, readonly=True).get("old-run")  # read-only: read as it is
    assert (old.status, old.redrive_count, old.progress) == ("FAILED", 0, None)

    store = RunStore(path)  # writable: migrated
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(executions)")}
    assert {"definition", "progress", "redrive_count", "redrive_date"} <= columns
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    db.close()
    kept = store.get("old-run")
    assert [(e.id, e.type) for e in kept.events] == [
        (1, "ExecutionStarted"),
        (2, "ExecutionFailed"),
    ]
    assert (kept.input, kept.error, kept.cause) == ({"n": 1}, "ConnectionError", "left is down")
    assert [s.name for s in store.list()] == ["old-run"]
    # AWS's reason for an execution from before redrive existed.
    with pytest.raises(RunNotRedrivable, match="started before the launch of RedriveExecution"):
        redrive_run(store, "old-run", forked.local_machine())
    assert len(store.get("old-run").events) == 2
    RunStore(path).close()  # opening a migrated store again changes nothing


def test_the_store_keeps_one_copy_of_each_definition(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    from orchestrator.local.flowrun import run_flow

    machine = forked.local_machine()
    first = run_flow(machine, {"n": 1}, store=store)
    second = run_flow(machine, {"n": 2}, store=store)
    assert store.get(first.run_id).definition == store.get(second.run_id).definition
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    assert db.execute("SELECT count(*) FROM definitions").fetchone() == (1,)
    db.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no note: the definition did not change
        with pytest.raises(RunNotRedrivable, match="SUCCEEDED"):
            redrive_run(store, first.run_id, machine)


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            pass
        pid += 1


def test_a_run_whose_process_died_is_redriven_from_where_it_was_last_recorded() -> None:
    # A redrive records, while it runs, where it started from: if its process dies (os._exit,
    # kill -9), the run reads as FAILED with ProcessExited and can be redriven again.
    BROKEN.add("left")
    failed = run_forked()
    store = RunStore(Path("runs.sqlite"))
    running = replace(store.get(failed.run_id), status="RUNNING")
    store.record(running)
    db = sqlite3.connect("runs.sqlite")
    with db:
        db.execute("UPDATE owners SET pid = ?", (_dead_pid(),))
    db.close()
    assert store.get(failed.run_id).error == PROCESS_EXITED
    BROKEN.clear()
    CALLS.clear()
    assert redrive_run(store, failed.run_id, forked.local_machine()).state == "SUCCEEDED"
    assert CALLS == ["left", "both"]

    # A first run that died recorded nothing of where it stopped: it cannot be continued.
    store.record(replace(running, name="died", execution_arn=running.execution_arn + "-2"))
    db = sqlite3.connect("runs.sqlite")
    with db:
        db.execute("UPDATE owners SET pid = ?", (_dead_pid(),))
        db.execute("UPDATE executions SET progress = NULL WHERE name = 'died'")
    db.close()
    with pytest.raises(RunNotRedrivable, match="ended before it could record where"):
        redrive_run(store, "died", forked.local_machine())
