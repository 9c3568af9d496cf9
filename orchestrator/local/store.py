"""RunStore: executions and their histories in SQLite, for `orchestrator runs` and reports.

The store must never lose or hide history, and never be the reason a command shows a traceback:

* Every SQLite failure (a corrupt or truncated file, a read-only folder, a directory where the
  file should be, a lock held too long) becomes a `StoreError` naming the file and the fix.
* Several runs may write at once (threads, or `orchestrator run` in two terminals): each
  RunStore has its own connection, and a writer waits up to `BUSY_TIMEOUT_SECONDS` for another's
  short transaction. The journal stays SQLite's default rollback journal, not WAL: a WAL
  database cannot even be read from a read-only folder, and `runs list` must work there.
* A run whose process died without finishing it (a task calling `os._exit`, `kill -9`) would
  stay RUNNING forever. The store keeps the host and pid of each running execution, and reads
  a RUNNING execution whose process is gone as FAILED with error `ProcessExited`.
* What a redrive needs is kept with each run: the definition it ran (once per distinct text,
  in `definitions`), where it stopped (`progress`), its redrive count and date. A store made
  before redrive gets these columns when it is next opened for writing (`schema.migrate`),
  keeping every row; opened read-only, it reads them as absent.
* A run's history is written as it goes in batches (`schema.EVENT_BATCHES`): each write of a
  run adds one row holding all its new events, encoded by one call of the C JSON encoder with
  timestamps as integers (a row per event, or an ISO date per event, cost as much as running
  the engine). Histories an earlier version wrote one row per event are read as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
from _json import make_encoder as c_make_encoder
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from orchestrator.contract import STORE_ENV
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import HistoryEvent
from orchestrator.errors import StoreError
from orchestrator.local.schema import (
    COLUMNS,
    INSERT_EVENT_BATCH,
    INSERT_EXECUTION,
    SCHEMA,
    UPDATE_EXECUTION,
    migrate,
)

BUSY_TIMEOUT_SECONDS = 30.0
# (`list` is a method name inside RunStore)
_Rows = list[tuple[Any, ...]]
_History = list[HistoryEvent]
PROCESS_EXITED = "ProcessExited"

_OTHER_FILE = f", or set {STORE_ENV} to another file"


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One C encoder for every batch of events, made once (`json.dumps` with options builds a
# JSONEncoder, and that a C encoder, per call); no markers, so that the threads writing runs can
# share it (events are trees).
_ENCODE_EVENTS = c_make_encoder(
    None, _not_json, encode_basestring, None, ": ", ", ", False, False, True
)


@dataclass(frozen=True)
class ExecutionSummary:
    execution_arn: str
    name: str
    state_machine: str
    status: str
    start_date: datetime
    stop_date: datetime | None


class RunStore:
    """One SQLite file; each instance one connection, safe to share between threads.

    `readonly=True` (for `orchestrator runs`) never creates or changes anything: a store that
    does not exist yet reads as empty.
    """

    def __init__(
        self, path: str | Path = ".orchestrator/runs.sqlite", *, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._tables: set[str] = set()
        self._columns: set[str] = set()
        if self.path.is_dir():
            raise StoreError(
                self.path,
                "is a directory, not the run store's SQLite file",
                fix=f"set {STORE_ENV} to a file, e.g. {self.path / 'runs.sqlite'}",
            )
        if readonly and not self.path.exists():
            return
        with self._errors():
            if readonly:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
                )
                self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self._create_folder()
                self._db = sqlite3.connect(
                    str(self.path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
                )
                with self._db:
                    self._db.executescript(SCHEMA)
                    migrate(self._db)
            self._tables = {
                row[0]
                for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            self._columns = {
                row[1] for row in self._db.execute("PRAGMA table_info(executions)").fetchall()
            }

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()

    def record(self, execution: Execution, since: int = 0) -> int:
        """Insert or replace the execution and its history (and who is running it), in one
        transaction; returns how many of its events are stored.

        With `since`, the first `since` events are stored already (by an earlier `record` of
        the same execution) and only the rest are written: each event is encoded and written
        once however often a running execution is recorded.
        """
        definition = execution.definition if since == 0 else None
        digest = hashlib.sha256(definition.encode()).hexdigest() if definition else None
        row = (
            execution.execution_arn,
            execution.name,
            execution.state_machine,
            execution.status,
            json.dumps(execution.input),
            json.dumps(execution.output),
            execution.error,
            execution.cause,
            execution.start_date.isoformat(),
            execution.stop_date.isoformat(),
            json.dumps(execution.recorded_delays),
            digest,
            None if execution.progress is None else json.dumps(execution.progress),
            execution.redrive_count,
            None if execution.redrive_date is None else execution.redrive_date.isoformat(),
        )
        arn = execution.execution_arn
        events = list(execution.events)  # a snapshot: other lanes may still be appending
        batch = _event_batch(events[since:])
        with self._errors(), self._lock, self._writable() as db:
            if digest is not None:
                db.execute("INSERT OR IGNORE INTO definitions VALUES (?,?)", (digest, definition))
            if since == 0:
                db.execute(INSERT_EXECUTION, row)
                db.execute("DELETE FROM events WHERE execution = ?", (arn,))
                db.execute("DELETE FROM event_batches WHERE execution = ?", (arn,))
            else:  # the definition column keeps the digest written with the first record
                db.execute(UPDATE_EXECUTION, row[3:11] + row[12:] + (arn,))
            if batch is not None:
                db.execute(INSERT_EVENT_BATCH, (arn, *batch))
            if execution.status == "RUNNING":
                owner = (arn, socket.gethostname(), os.getpid())
                db.execute("INSERT OR REPLACE INTO owners VALUES (?,?,?)", owner)
            else:
                db.execute("DELETE FROM owners WHERE execution = ?", (arn,))
        return len(events)

    def list(self, limit: int = 20) -> list[ExecutionSummary]:
        """The most recent executions first."""
        with self._errors(), self._lock:
            if self._db is None:
                return []
            rows = self._db.execute(
                "SELECT arn, name, state_machine, status, start, stop FROM executions "
                "ORDER BY start DESC LIMIT ?",
                (limit,),
            ).fetchall()
            gone = self._gone({row[0] for row in rows if row[3] == "RUNNING"})
        return [
            ExecutionSummary(
                arn,
                name,
                machine,
                "FAILED" if arn in gone else status,
                datetime.fromisoformat(start),
                _when(stop),
            )
            for arn, name, machine, status, start, stop in rows
        ]

    def get(self, key: str) -> Execution:
        """By ARN, by name, or by a prefix of either that identifies exactly one execution."""
        with self._errors(), self._lock:
            rows = self._matching(key)
            if len(rows) != 1:
                problem = "no execution matches" if not rows else "several executions match"
                raise KeyError(f"{problem} {key!r}")
            record = dict(zip(COLUMNS, rows[0], strict=True))
            arn, status = record["arn"], record["status"]
            events = self._events(arn)
            definition = self._definition(record["definition"])
            gone = self._gone({arn} if status == "RUNNING" else set())
        start_date = datetime.fromisoformat(record["start"])
        execution = Execution(
            execution_arn=arn,
            name=record["name"],
            status=status,
            input=_loads(record["input"]),
            output=_loads(record["output"]),
            error=record["error"],
            cause=record["cause"],
            start_date=start_date,
            stop_date=_when(record["stop"]) or start_date,
            events=events,
            state_machine=record["state_machine"],
            recorded_delays=[(s, float(d)) for s, d in _loads(record["delays"]) or []],
            redrive_count=int(record["redrive_count"] or 0),
            redrive_date=_when(record["redrive_date"]),
            definition=definition,
            progress=_loads(record["progress"]),
        )
        return _process_exited(execution, gone[arn]) if arn in gone else execution

    # -- internals -------------------------------------------------------------------------

    def _matching(self, key: str) -> _Rows:
        """The rows (in `COLUMNS` order; NULL for a column an old store lacks) matching key."""
        if self._db is None:
            return []
        columns = ", ".join(c if c in self._columns else "NULL" for c in COLUMNS)
        select = f"SELECT {columns} FROM executions WHERE "  # noqa: S608 (our own names)
        rows = self._db.execute(select + "arn = ? OR name = ?", (key, key)).fetchall()
        if not rows:
            pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self._db.execute(
                select + "arn LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\'",
                (pattern, pattern),
            ).fetchall()
        return rows

    def _events(self, arn: str) -> _History:
        """The execution's history in id order: its batches, and the rows of an earlier version's
        `events` table (an older `orchestrator` writes them, also into a migrated store)."""
        assert self._db is not None  # the execution was found
        one_per_row = [
            HistoryEvent(i, p, datetime.fromisoformat(t), type_, json.loads(d))
            for i, p, t, type_, d in self._db.execute(
                "SELECT id, previous_id, timestamp, type, details FROM events "
                "WHERE execution = ? ORDER BY id",
                (arn,),
            )
        ]
        if not self._has_table("event_batches"):
            return one_per_row
        batched = [
            HistoryEvent(i, p, _EPOCH + _MICROSECOND * t, type_, details)
            for (text,) in self._db.execute(
                "SELECT events FROM event_batches WHERE execution = ? ORDER BY first_id", (arn,)
            )
            for i, p, t, type_, details in json.loads(text)
        ]
        if not one_per_row:
            return batched
        if not batched:
            return one_per_row
        # Both only when an older orchestrator recorded again a run this version recorded: its
        # rows are the later record of the events they hold.
        by_id = {e.id: e for e in batched} | {e.id: e for e in one_per_row}
        return [by_id[i] for i in sorted(by_id)]

    def _has_table(self, name: str) -> bool:
        """Whether the store has the table, looked up again while it does not (another process
        may have migrated the store since this read-only one opened it)."""
        if name not in self._tables and self._db is not None:
            found = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            if found:
                self._tables.add(name)
        return name in self._tables

    def _definition(self, digest: str | None) -> str | None:
        if digest is None or self._db is None or "definitions" not in self._tables:
            return None
        row = self._db.execute("SELECT text FROM definitions WHERE sha256 = ?", (digest,))
        found = row.fetchone()
        return str(found[0]) if found else None

    def _gone(self, running: set[str]) -> dict[str, int]:
        """Of the RUNNING executions `running`, those whose process has ended → its pid."""
        if not running or self._db is None or "owners" not in self._tables:
            return {}
        marks = ",".join("?" * len(running))
        owners = self._db.execute(
            f"SELECT execution, host, pid FROM owners WHERE execution IN ({marks})",  # noqa: S608
            tuple(running),
        ).fetchall()
        host = socket.gethostname()
        return {arn: pid for arn, h, pid in owners if h == host and not _alive(pid)}

    def _writable(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(self.path, "was opened read-only", fix="open a RunStore to write")
        return self._db

    def _create_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(
                self.path.parent,
                f"cannot create the run store's folder ({err.strerror or err})",
                fix=f"make the folder above it writable{_OTHER_FILE}",
            ) from None

    def _errors(self) -> _TranslateErrors:
        return _TranslateErrors(self.path)


class _TranslateErrors:
    """A context manager turning sqlite3 errors into a StoreError naming the file and the fix."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, _: Any) -> None:
        if isinstance(err, sqlite3.Error):
            raise store_error(self.path, err) from None
        if isinstance(err, ValueError | TypeError) and not isinstance(err, StoreError):
            raise StoreError(
                self.path,
                f"holds a run that cannot be read ({err})",
                fix=f"move the file aside to start a new history{_OTHER_FILE}",
            ) from None


def store_error(path: Path, err: sqlite3.Error) -> StoreError:
    """What an sqlite3 error means for the user, and what to do about it."""
    text = str(err).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            path,
            "is not a readable SQLite database (corrupt or truncated)",
            fix=f"move it aside (mv {path} {path}.broken) to start a new history{_OTHER_FILE}",
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            path,
            f"stayed locked by another run for {BUSY_TIMEOUT_SECONDS:.0f} s",
            fix="wait for the other `orchestrator run` to finish, then try again",
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreError(
            path,
            f"cannot be opened for writing ({err})",
            fix=f"make the file and its folder writable{_OTHER_FILE}",
        )
    return StoreError(path, f"SQLite failed: {err}", fix=f"check the file{_OTHER_FILE}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _process_exited(execution: Execution, pid: int) -> Execution:
    return replace(
        execution,
        status="FAILED",
        error=PROCESS_EXITED,
        cause=(
            f"the process running this run (pid {pid}) ended before the run finished: a task "
            "called os._exit(), or the process was killed; the history ends where it was last "
            "recorded"
        ),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _event_batch(events: Sequence[HistoryEvent]) -> tuple[int, int, str] | None:
    """A row of `event_batches` without its execution: the first and last event id, and the
    events as one JSON array (None for no events)."""
    if not events:
        return None
    epoch, microsecond = _EPOCH, _MICROSECOND
    compact = [
        [e.id, e.previous_event_id, (e.timestamp - epoch) // microsecond, e.type, e.details]
        for e in events
    ]
    return events[0].id, events[-1].id, "".join(_ENCODE_EVENTS(compact, 0))


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text is not None else None
