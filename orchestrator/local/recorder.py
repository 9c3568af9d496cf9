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


#: While a run is going, the events recorded since the last write are added this often (one
#: transaction each): a quick run is written twice (when it starts and when it stops), a long
#: one stays visible as it goes, and a process that dies loses at most this much history.
FLUSH_SECONDS = 1.0


class Recorder:
    """Keeps a run in the store (`store=True`: the default store) without ever stopping it.

    A store that cannot be opened or written is a warning, once, and the run goes on unrecorded:
    losing the history of one run is better than losing the run. The last execution recorded
    is kept, so an interrupted run can be closed with its cause.

    The engine records the execution when it starts and when it stops; in between, a daemon
    thread adds the new events every FLUSH_SECONDS, so the engine never waits for SQLite while
    it runs and each event is encoded and written once.
    """

    def __init__(self, store: RunStore | None | bool) -> None:
        self.owned = store is True
        self.store: RunStore | None = None
        self.last: Execution | None = None
        self._written = 0  # events of `last` already in the store
        self._write = threading.Lock()
        self._stop: threading.Event | None = None  # set: the flushing thread ends
        self._closed = False
        if isinstance(store, RunStore):
            self.store = store
        elif store is True:
            try:
                self.store = default_store()
            except StoreError as err:
                self._disable(err)

    def record(self, execution: Execution) -> None:
        with self._write:
            same = self.last is execution
            self.last = execution
            if self.store is None:
                return
            try:
                self._written = self.store.record(execution, self._written if same else 0)
            except StoreError as err:
                self._disable(err)
                return
        if execution.status == "RUNNING":
            self._start_flushing()
        else:
            self._stop_flushing()

    def flush(self) -> None:
        """Add the events recorded since the last write to the store."""
        with self._write:
            execution, store = self.last, self.store
            if execution is None or store is None or self._closed:
                return
            count = len(execution.events)
            if count <= self._written:
                return
            try:
                store.append(execution.execution_arn, execution.events[self._written : count])
                self._written = count
            except StoreError as err:
                self._disable(err)

    def _start_flushing(self) -> None:
        if self._stop is not None:
            return
        stop = self._stop = threading.Event()

        def flush_until_stopped() -> None:
            while not stop.wait(FLUSH_SECONDS):
                self.flush()

        threading.Thread(target=flush_until_stopped, daemon=True, name="orchestrator-store").start()

    def _stop_flushing(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None

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
        self._stop_flushing()
        with self._write:
            self._closed = True
            if self.store is not None and self.owned:
                self.store.close()

    def _disable(self, err: StoreError) -> None:
        if self.owned and self.store is not None:
            self.store.close()
        self.store = None
        warnings.warn(
            f"this run is not kept in the run store: {err}", RunStoreUnavailable, stacklevel=4
        )
