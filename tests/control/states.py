"""Task states of a moto execution, read from its history by the same rule as a local run's."""

from __future__ import annotations

from orchestrator.local.flowrun import task_runs_of
from orchestrator.sdk.flow import Flow
from orchestrator.testing.moto import MotoRun, history_event


def moto_task_states(flow: Flow, run: MotoRun) -> dict[str, str]:
    """Task run id → SUCCEEDED / FAILED / SKIPPED / TRIGGER_FAILED / NOT_RUN / TIMED_OUT."""
    runs = task_runs_of(flow.graph, [history_event(e) for e in run.events])
    return {t.id: t.state for t in runs.values()}
