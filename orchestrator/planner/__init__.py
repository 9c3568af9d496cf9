"""The planner: FlowGraph → series/parallel structure → ASL document."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import field, replace
from functools import cached_property
from itertools import islice
from typing import Any

from orchestrator.contract import DEFAULT_OFFLOAD_BYTES, MAX_PAYLOAD_BYTES, placeholder_key
from orchestrator.engine.spec import MAX_DEFINITION_BYTES
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import FlowGraph
from orchestrator.planner.asl import AslWriter
from orchestrator.planner.barriers import AddedDependencies
from orchestrator.planner.control import plan_control
from orchestrator.planner.definition_size import COMPACT_ENCODER, compact_text, json_depth
from orchestrator.planner.fusion import contract, plan_fusion
from orchestrator.planner.history_budget import (
    HistoryBudgetExceeded,
    HistoryEstimate,
    estimate_history,
)
from orchestrator.planner.maps import map_lines
from orchestrator.planner.split import Child, machine_bytes, split_machine, state_sizes
from orchestrator.planner.synchronisation import synchronise
from orchestrator.records import record

#: `orchestrator plan` warns when the estimated makespan exceeds the critical path by more.
SLOW_SYNCHRONISATION = 1.25


class DefinitionOverQuota(UserWarning):
    """The flow's machine is over Step Functions' definition quota even compact, and cannot be
    split into child machines: it runs locally, and `orchestrator build` refuses it."""


class SynchronisationAdded(UserWarning):
    """The flow is not series-parallel; the planner made some tasks wait for more than they need."""


@record
class Plan:
    """The planner's output for one flow: the ASL and what the planner says about it."""

    asl: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    #: DefinitionSubstitutions key (`CleanFunctionArn`) → the task key (`module:qualname`).
    placeholders: dict[str, str] = field(default_factory=dict)
    #: What triggers, skips, case and reference tasks added, and why: reason → how many.
    control: dict[str, int] = field(default_factory=dict)
    #: The same, by kind: state type (Choice, Pass, Fail, Succeed) or "Catch" → how many.
    control_kinds: dict[str, int] = field(default_factory=dict)
    #: Each map: how it runs and where its data goes, one line (`orchestrator plan` prints it).
    maps: list[str] = field(default_factory=list)
    #: The most task results one state document holds at once, and the constants' JSON size:
    #: what bounds the largest state document, with the run's parameters.
    most_results: int = 1
    consts_bytes: int = 0
    #: Over the definition size quota: the child machines `asl` (then their parent) starts.
    children: tuple[Child, ...] = ()
    #: The indented text's size, when it is over the quota (the machine is then written
    #: compact, or split).
    unsplit_bytes: int = 0
    #: Written without whitespace: indented, the text would be over the quota (`asl_text`).
    compact: bool = False
    #: Over the quota and impossible to split: why (what `orchestrator build` raises).
    oversize: FlowDefinitionError | None = None
    #: (upstream, downstream) pairs the planner made wait that the flow does not order.
    added: AddedDependencies = field(default_factory=AddedDependencies)
    #: The machine's estimated makespan ÷ the flow's critical path, tasks taking their
    #: `estimate=` (else their recorded duration, else 1 s): 1.0 unless the added
    #: synchronisation costs time.
    makespan_ratio: float = 1.0
    #: The history events of one execution of each machine (`planner/history_budget.py`).
    history: HistoryEstimate | None = None

    def split_summary(self) -> str | None:
        """One line when the machine is written compact or was split into child machines
        (None otherwise, and for a machine that cannot deploy: `oversize_warning`)."""
        if self.oversize is not None:
            return None
        if self.compact:
            return (
                f"definition of {self.unsplit_bytes:,} B indented is over Step Functions' "
                f"{MAX_DEFINITION_BYTES:,}-byte limit: written without whitespace "
                f"({len(self.text.encode()):,} B)"
            )
        if not self.children:
            return None
        written = sum(c.compact for c in self.children)
        compact = f", {written} of them without whitespace" if written else ""
        return (
            f"definition of {self.unsplit_bytes:,} B is over Step Functions' "
            f"{MAX_DEFINITION_BYTES:,}-byte limit even without whitespace: split into "
            f"{len(self.children)} child state machines that the flow's machine starts in turn "
            f"(startExecution.sync:2){compact}"
        )

    def warnings(self) -> list[tuple[str, type[UserWarning]]]:
        """What `flow.asl()` warns about this plan, and as what: the synchronisation added, the
        history over its quota, a machine too large to deploy."""
        found: list[tuple[str, type[UserWarning]]] = [
            (note, SynchronisationAdded) for note in self.notes
        ]
        over = self.history_warning()
        if over is not None:
            found.append((over, HistoryBudgetExceeded))
        oversize = self.oversize_warning()
        if oversize is not None:
            found.append((oversize, DefinitionOverQuota))
        return found

    def oversize_warning(self) -> str | None:
        """One line when the machine is over the definition quota and cannot be split."""
        if self.oversize is None:
            return None
        return f"{self.oversize} (it runs locally; `orchestrator build` refuses it)"

    def state_size_summary(self) -> str:
        """One line: the bound on the largest state document this machine can produce."""
        share = DEFAULT_OFFLOAD_BYTES // self.most_results
        return (
            f"largest state document: at most {share * self.most_results:,} B of task results "
            f"({self.most_results} at once, each stored by reference above {share:,} B), "
            f"{self.consts_bytes:,} B of constants, and the run's parameters "
            f"(Step Functions' limit: {MAX_PAYLOAD_BYTES:,} B)"
        )

    def synchronisation_summary(self) -> str:
        """One line: the synchronisation the planner added and what it is estimated to cost."""
        added = (
            f"{len(self.added)} {'dependency' if len(self.added) == 1 else 'dependencies'} added "
            f"({waits_text(self.added)})"
            if self.added
            else "no dependency added"
        )
        return (
            f"synchronisation: {added}; estimated makespan ÷ critical path "
            f"{self.makespan_ratio:.2f} (each task its estimate=, else its recorded duration, "
            "else 1 s)"
        )

    def synchronisation_warning(self) -> str | None:
        """A warning when the added synchronisation makes the flow markedly slower."""
        if self.makespan_ratio <= SLOW_SYNCHRONISATION:
            return None
        return (
            f"the synchronisation Step Functions needs makes this flow's estimated makespan "
            f"{self.makespan_ratio:.2f}× its critical path (above {SLOW_SYNCHRONISATION}); "
            f"give its tasks estimate= if they are unequal (or record their durations: "
            f"`orchestrator durations record`), or reshape the flow so that tasks sharing an "
            f"upstream share all of it"
        )

    def history_summary(self) -> str | None:
        """One line: the history events of one execution, against the quota."""
        return None if self.history is None else self.history.summary()

    def history_warning(self) -> str | None:
        """One line when one execution would record more events than the quota allows."""
        return None if self.history is None else self.history.warning()

    def control_summary(self) -> str | None:
        """One line: what control flow added to the machine, and why (None for a fail-fast flow)."""
        if not self.control:
            return None
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.control_kinds.items()))
        why = "; ".join(f"{n} {reason}" for reason, n in self.control.items())
        return f"control flow added {kinds} — {why}"

    @cached_property
    def text(self) -> str:
        """The ASL as `orchestrator plan` prints it and `orchestrator build` commits it."""
        return asl_text(self.asl, self.compact)


def asl_text(asl: dict[str, Any], compact: bool = False) -> str:
    """The one serialisation of a state machine: what is committed, deployed and compared.
    Indented; `compact` (a machine whose indented text is over the quota: the indentation of
    nested Parallel states grows with their depth), without whitespace."""
    # The Python encoder (indent=2, or past the C encoder's own bound) recurses per level.
    with _recursion_room(1000 + 4 * json_depth(asl)):
        if not compact:
            return json.dumps(asl, indent=2, ensure_ascii=False) + "\n"
        try:
            return compact_text(asl) + "\n"
        except RecursionError:  # nested beyond the C encoder's own bound
            return "".join(COMPACT_ENCODER.iterencode(asl)) + "\n"


def plan_flow(
    graph: FlowGraph,
    durations: Mapping[str, float] | None = None,
    max_definition_bytes: int = MAX_DEFINITION_BYTES,
) -> Plan:
    """Compile a flow graph to its state machine, with notes on what the planner had to add.

    `durations` (node id → seconds: the project's recorded durations, `orchestrator.durations`)
    are what the planner weighs when it must add synchronisation, for the tasks without
    `estimate=`; any other task counts as 1 s.
    A machine over `max_definition_bytes` (Step Functions' quota unless lowered, for tests) is
    split into child machines that its parent starts one after the other (`planner/split.py`).
    """
    with _compiling(len(graph.nodes)):
        plan = _plan(graph, durations or {})
        # Each state measured once, only as far as the limit (a state far over it is not
        # walked whole); the machine's size follows from its states', and so does a split.
        sizes = state_sizes(plan.asl, cap=max_definition_bytes)
        size = machine_bytes(plan.asl, sizes.indented)  # exact unless a state is over the limit
        if size <= max_definition_bytes:
            plan.history = estimate_history(graph, plan.asl)  # (keeps the cached text)
            return plan
        if machine_bytes(plan.asl, sizes.compact, compact=True) <= max_definition_bytes:
            history = estimate_history(graph, plan.asl)
            return replace(plan, unsplit_bytes=size, compact=True, history=history)
        try:
            parent, children = split_machine(graph, plan.asl, max_definition_bytes, sizes)
        except FlowDefinitionError as err:
            # Still runs locally (and benchmarks plan such flows); `orchestrator build` refuses it,
            # and `orchestrator plan` warns (printing it compact, the smaller text).
            history = estimate_history(graph, plan.asl)
            # (`size` is then only known to be over the limit: it was measured up to it.)
            return replace(plan, unsplit_bytes=size, oversize=err, history=history, compact=True)
        history = estimate_history(graph, parent, {c.part: c.asl for c in children})
        # Exact (a split leaves every state under the limit): `orchestrator plan` prints it.
        return replace(plan, asl=parent, children=children, unsplit_bytes=size, history=history)


#: How many added dependencies a note or summary names; past that, how many more there are (a
#: G(n, p) DAG of 10,000 tasks gains hundreds of thousands: a line naming each one is no report).
WAITS_NAMED = 20


def waits_text(added: Collection[tuple[str, str]]) -> str:
    """`b waits for a, …` for the dependencies the planner added, the first WAITS_NAMED named."""
    named = ", ".join(f"{b} waits for {a}" for a, b in islice(added, WAITS_NAMED))
    more = len(added) - WAITS_NAMED
    return f"{named} and {more:,} more" if more > 0 else named


@contextmanager
def _compiling(tasks: int) -> Iterator[None]:
    """Room for a large flow. A DAG that is not series-parallel can nest Parallel states about
    as deep as it has levels (1,500 for 10,000 tasks in layers of 10), and the planner's walks
    (and the JSON encoder's) recurse once per level. And the cyclic garbage collector is paused:
    the planner builds acyclic data only, and a collection pass per few hundred new dicts would
    re-traverse all of them — 40% of the time of a 10,000-task flow."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _recursion_room(1000 + 2 * tasks):
            yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def _recursion_room(frames: int) -> Iterator[None]:
    """At least `frames` of Python recursion, then the limit as it was."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, frames))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _plan(graph: FlowGraph, durations: Mapping[str, float]) -> Plan:
    control = plan_control(graph)
    fusion = plan_fusion(graph, control.controlled)
    # A fused chain of Maps is one node of the structure (planner/fusion.py).
    order, deps = contract(
        [n.id for n in graph.nodes], {n.id: n.dependencies() for n in graph.nodes}, fusion
    )
    estimates = {
        **durations,
        **{n.id: n.options.estimate for n in graph.nodes if n.options.estimate},
    }
    # A fused chain weighs what its tasks take one after the other (unknown ones 1 s each).
    weights: dict[str, float] = {n: w for n, w in estimates.items() if n not in fusion.inner}
    for last, chain in fusion.chains.items():
        weights[last] = sum(estimates.get(m, 1.0) for m in chain)
    structure = synchronise(order, deps, weights)
    writer = AslWriter(graph, control, fusion)
    asl = writer.machine(structure.tree)
    notes = []
    if structure.added:
        pairs = waits_text(structure.added)
        notes.append(
            f"flow {graph.name!r} is not series-parallel; Step Functions can only fork and join, "
            f"so the planner added the synchronisation that lengthens the critical path least: "
            f"{pairs}"
        )
    return Plan(
        asl=asl,
        notes=notes,
        control=writer.added,
        control_kinds=writer.added_types,
        maps=map_lines(graph, writer.map_io, fusion),
        most_results=writer.most_results,
        consts_bytes=len(json.dumps(writer.tasks.consts)) if writer.tasks.consts else 0,
        placeholders={placeholder_key(n.function_id): n.task_key for n in graph.nodes},
        added=structure.added,
        makespan_ratio=structure.ratio,
    )


__all__ = [
    "DefinitionOverQuota",
    "HistoryBudgetExceeded",
    "Plan",
    "SynchronisationAdded",
    "asl_text",
    "plan_flow",
]
