"""Task durations from past runs: what `orchestrator durations record` reads.

A flow's latest successful executions — from the local run store here, from a stage's Step
Functions in `orchestrator.aws.durations` — each summarised by `task_runs_of`, the same reading
`flow.run()` and `orchestrator runs` give: a task's duration runs from its state's entry to its
exit (a Map's, over all its items), retries and their delays included.

Only executions that SUCCEEDED are read: a failed run stops early or times out, and its timings
are not what the flow typically takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orchestrator.engine.history import HistoryEvent
from orchestrator.graph import FlowGraph
from orchestrator.local.flowrun import TaskRun, task_runs_of
from orchestrator.local.store import RunStore
from orchestrator.planner.fusion import fusion_of


@dataclass
class Samples:
    """Each task's durations (seconds) in the runs read, newest first."""

    runs: int = 0
    tasks: dict[str, list[float]] = field(default_factory=dict)

    def add(self, graph: FlowGraph, events: list[HistoryEvent]) -> None:
        """One more successful execution of `graph`, from its history."""
        self.runs += 1
        for task, seconds in task_seconds(graph, task_runs_of(graph, events)).items():
            self.tasks.setdefault(task, []).append(seconds)


def task_seconds(graph: FlowGraph, runs: Mapping[str, TaskRun]) -> dict[str, float]:
    """How long each task that succeeded took in one run.

    The tasks of a fused chain of Maps (`planner/fusion.py`: one Map running a then b per
    item) have no time of their own in the history: each spans the whole Map. They share the
    Map's time equally, so that the chain — which the planner weighs as the sum of its
    tasks — weighs what the Map took.
    """
    out: dict[str, float] = {}
    fusion = fusion_of(graph)
    for task, run in runs.items():
        if task in fusion.inner or run.state != "SUCCEEDED" or run.duration is None:
            continue
        chain = fusion.chain(task)
        for member in chain:
            out[member] = run.duration / len(chain)
    return out


def local_samples(store: RunStore, graph: FlowGraph, runs: int) -> Samples:
    """The durations of `graph`'s tasks in its latest `runs` successful runs in `store`."""
    samples = Samples()
    for arn in _latest_successes(store, graph.resource_name, runs):
        samples.add(graph, store.get(arn).events)
    return samples


def _latest_successes(store: RunStore, machine: str, wanted: int) -> Iterable[str]:
    """The ARNs of the latest `wanted` successful executions of `machine`, newest first.

    The store lists every flow's executions together, newest first: read a longer list while
    too few of them are this flow's successes and older ones remain."""
    limit = max(wanted * 4, 100)
    while True:
        listed = store.list(limit)
        found = [
            s.execution_arn
            for s in listed
            if s.state_machine == machine and s.status == "SUCCEEDED"
        ]
        if len(found) >= wanted or len(listed) < limit:
            return found[:wanted]
        limit *= 4
