"""Keeping a local run in the run store, without the store ever stopping or hiding the run."""

from __future__ import annotations

import os
import threading
import warnings

from orchestrator.contract import DEFAULT_STORE, STORE_ENV
from orchestrator.engine.execution import Execution
from orchestrator.errors import RunAborted, StoreError
from orchestrator.local.store import RunStore


def default_store(*, readonly: bool = False) -> RunStore:
    """The store runs are kept in: ORCHESTRATOR_STORE, else `.orchestrator/runs.sqlite`."""
    return RunStore(os.environ.get(STORE_ENV) or DEFAULT_STORE, readonly=readonly)


class RunStoreUnavailable(UserWarning):
    """The run store cannot be opened or written: the run goes on, but is not kept."""


#: While a run is going, the events recorded since the last write are added this often, or as
#: soon as there are BATCH_EVENTS of them (looked at every POLL_SECONDS): a quick run is
#: written when it starts and when it stops, a long one stays visible as it goes (a process
#: that dies loses at most this much of its history), and a large history is mostly written
#: while the run goes on instead of after it.
FLUSH_SECONDS = 1.0
BATCH_EVENTS = 1000
POLL_SECONDS = 0.05


class Recorder:
    """Keeps a run in the store (`store=True`: the default store) without ever stopping it.

    A store that cannot be opened or written is a warning, once, and the run goes on unrecorded:
    losing the history of one run is better than losing the run. The last execution recorded
    is kept, so an interrupted run can be closed with its cause.

    The execution is written when the engine first records it (it starts); after that, writes
    are the store's thread's (write-behind): the new events in batches (BATCH_EVENTS,
    FLUSH_SECONDS) while it runs and its end when the engine records it again, without the
    engine waiting for SQLite; each event encoded and written once, one transaction per write.
    `close()` waits for the last write, so a run is stored when `flow.run()` returns.
    """

    def __init__(self, store: RunStore | None | bool) -> None:
        self.owned = store is True
        self.store: RunStore | None = None
        self.last: Execution | None = None
        self._recorded: Execution | None = None  # the execution the store holds, as of:
        self._written = 0  # how many of its events are stored
        self._changed = False  # record() was called since the last write
        self._wake = threading.Event()
        self._lock = threading.Lock()  # one write at a time: the run's thread or the store's
        self._closing = False
        self._writer: threading.Thread | None = None
        if isinstance(store, RunStore):
            self.store = store
        elif store is True:
            try:
                self.store = default_store()
            except StoreError as err:
                self._disable(err)

    def record(self, execution: Execution) -> None:
        """Keep `execution` as it is now: the first time before returning, then by the store's
        thread, at once."""
        self.last = execution
        if self.store is None:
            return
        self._changed = True
        if self._writer is None:
            # The run is in the store before its first task runs: a task that ends the process
            # (os._exit) leaves a RUNNING run, read as ProcessExited, not a half-written one.
            self._write()
            self._writer = threading.Thread(
                target=self._write_behind, daemon=True, name="orchestrator-store"
            )
            self._writer.start()
            return
        self._wake.set()

    def _write_behind(self) -> None:
        waited = 0.0
        while True:
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()  # (a wake set between the wait and here is lost: see below)
            waited += POLL_SECONDS
            # Read before the write: the run's last record() comes before close(), so once
            # closing is seen its record is too, and written now.
            closing = self._closing
            execution = self.last
            pending = 0 if execution is None else len(execution.events) - self._written
            if (
                closing
                or self._changed  # record() was called: not `woken`, which can be lost
                or pending >= BATCH_EVENTS
                or (pending > 0 and waited >= FLUSH_SECONDS)
            ):
                self._write()
                waited = 0.0
            if closing or self.store is None:
                return

    def _write(self) -> None:
        with self._lock:
            self._write_locked()

    def _write_locked(self) -> None:
        execution, store = self.last, self.store
        if execution is None or store is None:
            return
        same = execution is self._recorded
        if same and not self._changed and len(execution.events) <= self._written:
            return  # nothing new (a long task is running)
        self._changed = False
        try:
            self._written = store.record(execution, self._written if same else 0)
            self._recorded = execution
        except StoreError as err:
            self._disable(err)

    def aborted(self, flow: str) -> RunAborted | None:
        """After Ctrl-C: the run recorded as ABORTED with its cause, and the error to raise."""
        execution = self.last
        if execution is None:
            return None
        where = next(
            (
                f"state {e.details.get('name')!r}"
                for e in reversed(list(execution.events))
                if e.type.endswith("StateEntered")
            ),
            None,
        )
        at = f" in {where}" if where else ""
        execution.status = "ABORTED"
        execution.error = "KeyboardInterrupt"
        execution.cause = f"interrupted{at} (Ctrl-C, or a task raised KeyboardInterrupt)"
        self.record(execution)
        return RunAborted(flow, execution.name, where)

    def close(self) -> None:
        """Wait for the last write; then close the store if this recorder opened it."""
        self._closing = True
        if self._writer is not None:
            self._wake.set()
            self._writer.join()
        if self.store is not None and self.owned:
            self.store.close()

    def _disable(self, err: StoreError) -> None:
        if self.owned and self.store is not None:
            self.store.close()
        self.store = None
        warnings.warn(
            f"this run is not kept in the run store: {err}", RunStoreUnavailable, stacklevel=4
        )
