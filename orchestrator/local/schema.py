"""The run store's SQLite schema, and the migration of a store made by an earlier version.

A migration only ever adds (ALTER TABLE ADD COLUMN, CREATE TABLE IF NOT EXISTS): the store must
never lose history, and an older `orchestrator` reading a migrated store still finds every
column it knows. `PRAGMA user_version` says which schema a store has:

* 1: `executions` has the columns a redrive needs (`ADDED_COLUMNS`).
* 2: histories are written to `event_batches`, one row per write of a run holding all the events
  that write added, encoded once (a row per event cost as much as running the engine). The
  `events` rows of runs recorded before stay where they are and are read as they were. An older
  `orchestrator` reading a migrated store lists the runs recorded since, with their status,
  input, output and error, but shows them without history events (it does not know
  `event_batches`); were it to record such a run again (redrive it), its `events` rows are
  read as the newer record of each event id they hold.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS owners (
    execution TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS definitions (sha256 TEXT PRIMARY KEY, text TEXT NOT NULL);
"""
#: The history of a run, from schema 2 on: each row the events `first_id`..`last_id` (in id
#: order, without gaps) as one JSON array of `[id, previous_id, timestamp, type, details]`,
#: the timestamp in microseconds since the Unix epoch (UTC).
EVENT_BATCHES = """
CREATE TABLE IF NOT EXISTS event_batches (
    execution TEXT NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (execution, first_id)
)"""
SCHEMA += EVENT_BATCHES + ";\n"
#: Columns of `executions` added since the first schema (for redrive), with their declarations.
ADDED_COLUMNS = {
    "definition": "TEXT",  # sha256 of the definition's text, in `definitions`
    "progress": "TEXT",  # where an unsuccessful run stopped (engine.progress.frontier), JSON
    "redrive_count": "INTEGER NOT NULL DEFAULT 0",
    "redrive_date": "TEXT",
}
COLUMNS = (
    "arn",
    "name",
    "state_machine",
    "status",
    "input",
    "output",
    "error",
    "cause",
    "start",
    "stop",
    "delays",
    *ADDED_COLUMNS,
)
#: PRAGMA user_version of a store with every column and table above.
SCHEMA_VERSION = 2

INSERT_EXECUTION = (
    f"INSERT OR REPLACE INTO executions ({', '.join(COLUMNS)}) "  # noqa: S608 (our own names)
    f"VALUES ({','.join('?' * len(COLUMNS))})"
)
#: A recorded execution's row again, as it runs and stops: every column but its identity (arn,
#: name, state machine) and the definition it runs.
UPDATED_COLUMNS = tuple(
    c for c in COLUMNS if c not in ("arn", "name", "state_machine", "definition")
)
UPDATE_EXECUTION = (
    f"UPDATE executions SET {', '.join(f'{c} = ?' for c in UPDATED_COLUMNS)} "  # noqa: S608
    "WHERE arn = ?"
)
INSERT_EVENT_BATCH = "INSERT OR REPLACE INTO event_batches VALUES (?,?,?,?)"


def migrate(db: sqlite3.Connection) -> None:
    """Bring a store made by an earlier version up to this schema, keeping every row: only
    ALTER TABLE ADD COLUMN (old runs read the new columns as absent: not redrivable) and
    CREATE TABLE IF NOT EXISTS (old runs keep their `events` rows)."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION:
        return
    present = {row[1] for row in db.execute("PRAGMA table_info(executions)").fetchall()}
    for column, declaration in ADDED_COLUMNS.items():
        if column not in present:
            try:
                db.execute(f"ALTER TABLE executions ADD COLUMN {column} {declaration}")
            except sqlite3.OperationalError as err:
                if "duplicate column" not in str(err):
                    raise  # (another process migrating the same store at once added it first)
    db.execute(EVENT_BATCHES)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
