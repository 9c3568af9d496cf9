"""How many history events one execution of a flow's machine records, against the quota.

"Maximum execution history size: 25,000 events in a single state machine execution history"
(developer guide, "Step Functions service quotas"; `spec.STANDARD_HISTORY_EVENTS`). An execution
that reaches it fails, so the planner estimates each machine's history from its ASL, counting per
state the events Step Functions records for it (the event types of the API's `HistoryEvent`), on
the path where every task succeeds at its first attempt:

* the execution: ExecutionStarted, and ExecutionSucceeded (or ExecutionFailed);
* a Task: TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited — and
  TaskSubmitted too for a `.sync` integration (`startExecution.sync:2` starting a child
  machine); a Task whose Resource is a Lambda function's ARN records LambdaFunction… events
  instead, as many;
* Pass, Choice, Wait, Succeed: …StateEntered and …StateExited; Fail: FailStateEntered;
* Parallel: ParallelStateEntered, ParallelStateStarted, each branch's states,
  ParallelStateSucceeded, ParallelStateExited;
* an inline Map: MapStateEntered, MapStateStarted, per item MapIterationStarted, the item's
  states and MapIterationSucceeded, then MapStateSucceeded, MapStateExited;
* a Distributed Map: its items run as child executions with histories of their own, so the
  parent records MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
  MapStateSucceeded, MapStateExited only.

A Choice counts its longest way on. Each retry of a task adds three events (TaskFailed, then
TaskScheduled and TaskStarted again), which the estimate leaves out. A Map's items are the flow's
known count (a literal list, `expected_items=`, `.map(max_items=)`); else, assumed, as many as an
inline Map runs at once (40), which the summary line says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engine.spec import (
    INLINE_MAP_MAX_CONCURRENCY,
    LAMBDA_INVOKE,
    STANDARD_HISTORY_EVENTS,
)
from orchestrator.graph import FlowGraph
from orchestrator.graph.map_mode import expected_items
from orchestrator.records import record

EXECUTION_EVENTS = 2  # ExecutionStarted, ExecutionSucceeded
TASK_EVENTS = 5  # TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited
SYNC_TASK_EVENTS = TASK_EVENTS + 1  # and TaskSubmitted
ENTERED_EXITED = 2  # Pass, Choice, Wait, Succeed
FAIL_EVENTS = 1  # FailStateEntered
FORK_EVENTS = 4  # …StateEntered, …StateStarted, …StateSucceeded, …StateExited
ITERATION_EVENTS = 2  # MapIterationStarted, MapIterationSucceeded
MAP_RUN_EVENTS = 2  # MapRunStarted, MapRunSucceeded
#: A Map whose number of items is unknown before the run is assumed to have this many.
ASSUMED_ITEMS = INLINE_MAP_MAX_CONCURRENCY


class HistoryBudgetExceeded(UserWarning):
    """One execution of the flow's machine would record more events than a Standard
    execution's history holds."""


@record(frozen=True)
class HistoryEstimate:
    """The events of one execution of each machine of a flow."""

    flow: str
    standard: bool
    #: The flow's own machine (a split flow's parent).
    events: int
    #: A split flow's child machines: part → the events of one execution of it.
    children: tuple[tuple[str, int], ...] = ()
    #: Map states whose number of items is unknown, counted as ASSUMED_ITEMS.
    assumed: tuple[str, ...] = ()

    @property
    def largest(self) -> tuple[str | None, int]:
        """The machine with the longest history (None: the flow's own) and its events."""
        return max([(None, self.events), *self.children], key=lambda pair: pair[1])

    @property
    def over(self) -> bool:
        return self.standard and self.largest[1] > STANDARD_HISTORY_EVENTS

    def summary(self) -> str:
        """One line: the estimate, its assumptions and the quota."""
        part, events = self.largest
        where = "per execution" if part is None else f"in its largest execution ({part})"
        line = (
            f"history: about {events:,} events {where}, every task succeeding at its first "
            f"attempt (Step Functions' quota for a Standard execution: "
            f"{STANDARD_HISTORY_EVENTS:,})"
        )
        if self.assumed:
            maps = ", ".join(repr(name) for name in self.assumed)
            line += (
                f"; assumed {ASSUMED_ITEMS} items for each Map whose number of items is known "
                f"only at run time ({maps})"
            )
        return line

    def warning(self) -> str | None:
        """One line naming the flow and the fix when the estimate is over the quota."""
        if not self.over:
            return None
        part, events = self.largest
        machine = "its machine" if part is None else f"its child machine {part}"
        return (
            f"flow {self.flow!r}: one execution of {machine} records about {events:,} history "
            f"events, over Step Functions' {STANDARD_HISTORY_EVENTS:,}-event quota for a "
            "Standard execution, and would fail; fix: map the large lists with "
            "distributed=True (a Distributed Map's items run as child executions with "
            "histories of their own), or split the flow into smaller flows"
        )


def map_items(graph: FlowGraph) -> dict[str, int]:
    """Each Map state (named by its task's node id) → its number of items, when known."""
    nodes = {n.id: n for n in graph.nodes}
    counts = {}
    for node in graph.nodes:
        if node.is_map:
            count = expected_items(node, nodes)
            if count is not None:
                counts[node.id] = count
    return counts


def estimate_history(
    graph: FlowGraph, asl: dict[str, Any], children: Mapping[str, dict[str, Any]] = {}
) -> HistoryEstimate:
    """The estimate for `asl` (the flow's machine) and its child machines, by part."""
    counter = _Counter(map_items(graph))
    events = counter.execution(asl)
    parts = tuple((part, counter.execution(child)) for part, child in children.items())
    return HistoryEstimate(
        flow=graph.name,
        standard=graph.type == "STANDARD",
        events=events,
        children=parts,
        assumed=tuple(sorted(counter.assumed)),
    )


class _Counter:
    def __init__(self, items: Mapping[str, int]) -> None:
        self.items = items
        self.assumed: set[str] = set()

    def execution(self, machine: dict[str, Any]) -> int:
        return EXECUTION_EVENTS + self.machine(machine)

    def machine(self, machine: dict[str, Any]) -> int:
        """The events of the states of `machine` (or a branch, an item processor) on its
        longest way from StartAt."""
        states: dict[str, Any] = machine.get("States", {})
        # Most machines and branches are a plain chain (each state goes on by Next alone, if at
        # all): its states add up in one pass. A Choice, or a loop, takes the general walk.
        events: dict[str, int] = {}  # each state's own events, counted once
        total, name = 0, machine["StartAt"]
        for _ in states:
            state = states[name]
            if "Choices" in state or "Default" in state or name in events:
                break
            events[name] = self.state(name, state)
            total += events[name]
            name = state.get("Next", "")
            if name not in states:
                return total
        return self.longest(machine, events)

    def longest(self, machine: dict[str, Any], events: dict[str, int]) -> int:
        """`machine` for any machine (`events`: the states already counted): each state's
        longest way on, in post-order without recursion along a chain, since a large flow's
        chain has thousands of states."""
        states: dict[str, Any] = machine.get("States", {})
        longest: dict[str, int] = {}
        on_path: set[str] = set()  # a loop (which our planner never emits) counts once round
        stack: list[tuple[str, bool]] = [(machine["StartAt"], False)]
        while stack:
            name, expanded = stack.pop()
            if name in longest or (not expanded and name in on_path):
                continue
            nexts = [n for n in _next_states(states[name]) if n in states]
            if not expanded:
                on_path.add(name)
                stack.append((name, True))
                stack.extend((n, False) for n in nexts if n not in longest)
                continue
            on_path.discard(name)
            after = max((longest.get(n, 0) for n in nexts), default=0)
            own = events[name] if name in events else self.state(name, states[name])
            longest[name] = own + after
        return longest[machine["StartAt"]]

    def state(self, name: str, state: dict[str, Any]) -> int:
        kind = state["Type"]
        if kind == "Task":
            resource = str(state.get("Resource", ""))
            sync = resource.startswith("arn:aws:states:::") and ".sync" in resource
            return SYNC_TASK_EVENTS if sync and resource != LAMBDA_INVOKE else TASK_EVENTS
        if kind == "Fail":
            return FAIL_EVENTS
        if kind == "Parallel":
            return FORK_EVENTS + sum(self.machine(branch) for branch in state["Branches"])
        if kind == "Map":
            return self.map(name, state)
        return ENTERED_EXITED

    def map(self, name: str, state: dict[str, Any]) -> int:
        processor = state.get("ItemProcessor") or state["Iterator"]
        if processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
            return FORK_EVENTS + MAP_RUN_EVENTS
        items = self.items.get(name)
        if items is None:
            self.assumed.add(name)
            items = ASSUMED_ITEMS
        return FORK_EVENTS + items * (ITERATION_EVENTS + self.machine(processor))


def _next_states(state: dict[str, Any]) -> list[str]:
    """Where a state goes on when it succeeds (a Choice: any of its rules or its Default)."""
    out = [state["Next"]] if "Next" in state else []
    out.extend(rule["Next"] for rule in state.get("Choices", ()))
    if "Default" in state:
        out.append(state["Default"])
    return out


__all__ = ["HistoryBudgetExceeded", "HistoryEstimate", "estimate_history", "map_items"]
