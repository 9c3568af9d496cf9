"""Signals a task raises to end in a state other than success — Prefect 1.x's
`prefect.engine.signals`, by the same names.

- `SKIP("reason")`: the task ends SKIPPED (a success: downstream triggers count it as one) and its
  result is None. Downstream tasks with `skip_on_upstream_skip=True` (the default) are skipped too.
- `FAIL("reason")`: the task fails at once, like any exception (Retry still applies, as in AWS).

The runtime turns SKIP into the marker of `orchestrator.contract.SKIPPED_KEY`, so it travels
through the state machine as data, identically in Lambda and in a local run.
"""

from __future__ import annotations

__all__ = ["FAIL", "SKIP", "Signal"]


class Signal(Exception):
    """Base of the signals: an exception that says which state the task should end in."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class SKIP(Signal):
    """End the task SKIPPED: `raise SKIP("nothing new since the last run")`."""


class FAIL(Signal):
    """Fail the task with this message: `raise FAIL("the file is empty")`."""
