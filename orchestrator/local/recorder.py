"""Keeping a local run in the run store, without the store ever stopping or hiding the run."""

from __future__ import annotations

import os
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


class Recorder:
    """Keeps a run in the store (`store=True`: the default store) without ever stopping it.

    A store that cannot be opened or written is a warning, once, and the run goes on unrecorded:
    losing the history of one run is better than losing the run. The last execution recorded
    is kept, so an interrupted run can be closed with its cause.
    """

    def __init__(self, store: RunStore | None | bool) -> None:
        self.owned = store is True
        self.store: RunStore | None = None
        self.last: Execution | None = None
        if isinstance(store, RunStore):
            self.store = store
        elif store is True:
            try:
                self.store = default_store()
            except StoreError as err:
                self._disable(err)

    def record(self, execution: Execution) -> None:
        self.last = execution
        if self.store is None:
            return
        try:
            self.store.record(execution)
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
        if self.store is not None and self.owned:
            self.store.close()

    def _disable(self, err: StoreError) -> None:
        if self.owned and self.store is not None:
            self.store.close()
        self.store = None
        warnings.warn(
            f"this run is not kept in the run store: {err}", RunStoreUnavailable, stacklevel=4
        )
