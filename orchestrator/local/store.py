"""RunStore: executions and their histories in SQLite, for `orchestrator runs` and reports."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.engine.execution import Execution
from orchestrator.engine.history import HistoryEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, state_machine TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT, output TEXT, error TEXT, cause TEXT, start TEXT NOT NULL, stop TEXT,
    delays TEXT
);
CREATE INDEX IF NOT EXISTS executions_start ON executions (start);
CREATE TABLE IF NOT EXISTS events (
    execution TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, type TEXT NOT NULL, details TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
"""


@dataclass(frozen=True)
class ExecutionSummary:
    execution_arn: str
    name: str
    state_machine: str
    status: str
    start_date: datetime
    stop_date: datetime | None


class RunStore:
    """One SQLite file; safe for one writer thread with concurrent readers in-process."""

    def __init__(self, path: str | Path = ".orchestrator/runs.sqlite") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, execution: Execution) -> None:
        """Insert or replace the execution and its full history."""
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
        )
        events = [
            (
                execution.execution_arn,
                e.id,
                e.previous_event_id,
                e.timestamp.isoformat(),
                e.type,
                json.dumps(e.details, ensure_ascii=False),
            )
            for e in list(execution.events)
        ]
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO executions VALUES (?,?,?,?,?,?,?,?,?,?,?)", row
            )
            self._db.execute("DELETE FROM events WHERE execution = ?", (execution.execution_arn,))
            self._db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?)", events)

    def list(self, limit: int = 20) -> list[ExecutionSummary]:
        """The most recent executions first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT arn, name, state_machine, status, start, stop FROM executions "
                "ORDER BY start DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            ExecutionSummary(arn, name, machine, status, datetime.fromisoformat(start), _when(stop))
            for arn, name, machine, status, start, stop in rows
        ]

    def get(self, key: str) -> Execution:
        """By ARN, by name, or by a prefix of either that identifies exactly one execution."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM executions WHERE arn = ? OR name = ?", (key, key)
            ).fetchall()
            if not rows:
                pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                rows = self._db.execute(
                    "SELECT * FROM executions WHERE arn LIKE ? ESCAPE '\\' "
                    "OR name LIKE ? ESCAPE '\\'",
                    (pattern, pattern),
                ).fetchall()
            if len(rows) != 1:
                problem = "no execution matches" if not rows else "several executions match"
                raise KeyError(f"{problem} {key!r}")
            arn, name, machine, status, input_, output, error, cause, start, stop, delays = rows[0]
            events = self._db.execute(
                "SELECT id, previous_id, timestamp, type, details FROM events "
                "WHERE execution = ? ORDER BY id",
                (arn,),
            ).fetchall()
        start_date = datetime.fromisoformat(start)
        return Execution(
            execution_arn=arn,
            name=name,
            status=status,
            input=_loads(input_),
            output=_loads(output),
            error=error,
            cause=cause,
            start_date=start_date,
            stop_date=_when(stop) or start_date,
            events=[
                HistoryEvent(i, p, datetime.fromisoformat(t), type_, json.loads(d))
                for i, p, t, type_, d in events
            ],
            state_machine=machine,
            recorded_delays=[(s, float(d)) for s, d in _loads(delays) or []],
        )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text is not None else None
