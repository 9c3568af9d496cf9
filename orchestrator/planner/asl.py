"""Series/parallel tree → Amazon States Language (JSONPath mode), per docs/data-contract.md.

Output is deterministic: states and keys are emitted in graph order, so the same flow always
compiles to byte-identical JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestrator.contract import OFFLOAD_SHARE_KEY, START_KEY
from orchestrator.graph import FlowGraph, TaskNode, result_nodes
from orchestrator.planner.control import (
    ControlPlan,
    GateWriter,
    catcher,
    final_sequence,
    item_catcher,
)
from orchestrator.planner.fusion import Fusion
from orchestrator.planner.join import JoinResults, joined
from orchestrator.planner.map_states import map_states
from orchestrator.planner.maps import plan_map_io
from orchestrator.planner.paths import path
from orchestrator.planner.start import (
    FAILED_START_REASON,
    START_REASON,
    Start,
    document,
    failed_start_states,
    pass_states,
    plan_start,
)
from orchestrator.planner.steps import Sequence, Step, link
from orchestrator.planner.structure import Leaf, Parallel, Series, Tree
from orchestrator.planner.task_states import TaskStates
from orchestrator.planner.tree_index import TreeIndex


class AslWriter:
    """Writes a flow's state machine from its series/parallel tree (planner/structure.py)."""

    def __init__(
        self, graph: FlowGraph, control: ControlPlan | None = None, fusion: Fusion | None = None
    ) -> None:
        self.graph = graph
        self.control = control or ControlPlan()
        self.fusion = fusion or Fusion()
        self.nodes = {n.id: n for n in graph.nodes}
        self.order = {n.id: i for i, n in enumerate(graph.nodes)}
        self.parallel_count = 0
        self.map_io = plan_map_io(graph, self.control.controlled, self.fusion)
        self.tasks = TaskStates(graph, self.control, self.map_io)
        # The results a task's states read: its inputs, its case conditions, and the values of
        # its order-only upstream tasks (sent under "after", for their markers).
        after = self.tasks.after
        self.data_deps = {
            n.id: {*n.data_dependencies(), *n.case_dependencies(), *after[n.id]}
            for n in graph.nodes
        }
        for last, chain in self.fusion.chains.items():  # a fused Map reads what its tasks read
            reads = {k for member in chain for k in self.data_deps[member]}
            self.data_deps[last] = reads - set(chain)
        self.key_steps = self.tasks.key_steps
        self.most_results = 1  # the most task results one state document holds at once
        self.added: dict[str, int] = {}  # control-flow states and Catches added, by reason
        self.added_types: dict[str, int] = {}  # control-flow states added, by state type
        self.start = Start()
        self.seeds: dict[str, Any] = {}
        # The first states' templates of the whole document: their constants are added last.
        self.start_extras: list[dict[str, Any]] = []
        self.defaults = self.tasks.defaults

    def final_results(self) -> set[str]:
        """What the execution output keeps: results no task reads, and the flow's return value.
        A controlled flow keeps every result: its gates and final state read them."""
        if self.control.controlled:
            return set(self.nodes)
        dropped = set().union(*self.data_deps.values(), self.fusion.inner)
        final = {n.id for n in self.graph.nodes if n.id not in dropped}
        if self.graph.output is not None:
            final |= set(result_nodes(self.graph.output))
        return final

    def machine(self, tree: Tree) -> dict[str, Any]:
        seeds = self.control.seeds(self.graph)
        self.seeds = seeds
        self.index = TreeIndex(tree, self.data_deps)
        self.join = JoinResults(self.index, self.order, self.key_steps, seeds)
        self.start = plan_start(tree, self.graph, self.control)
        known, live = set(seeds), self.final_results()
        # (A flow's return value may read a fused Map's inner task, which no part of the tree is.)
        bounded = live - known <= self.index.position.keys()
        body, _ = self.sequence(tree, known, live, bounded)
        seq = Sequence()
        if self.start.blocked:
            for name, state in self.start_states(seeds):
                seq.steps.append(Step(name, state))
            self.count(f"{START_REASON} ({self.start.blocked})", seq)
        if self.start_extras:  # the document's constants, known once all are
            document_extra = self.document_extra()
            for extra in self.start_extras:  # each its own copy, as document_extra() makes
                extra.update(
                    {k: dict(v) if k == "consts" else v for k, v in document_extra.items()}
                )
        seq.extend(body)
        end = final_sequence(self.graph, self.control)
        self.count("states deciding the run's state from the reference tasks", end)
        seq.extend(end)
        doc: dict[str, Any] = {
            "Comment": comment(self.graph),
            "QueryLanguage": "JSONPath",
        }
        if self.graph.timeout_seconds:
            doc["TimeoutSeconds"] = self.graph.timeout_seconds
        doc.update(link(seq))
        self.share_offload_limit()
        return doc

    def share_offload_limit(self) -> None:
        """Results that may sit in one state document together share the offload threshold,
        so together they stay within it (runtime/results.py): each task is told how many, in
        the payload it was written with (the machine's states share it), not by a walk."""
        if self.most_results < 2:
            return
        for payload in self.tasks.payloads:
            payload[OFFLOAD_SHARE_KEY] = self.most_results

    def count(self, reason: str, seq: Sequence) -> None:
        for step in (*seq.steps, *seq.side):
            self.added_types[step.state["Type"]] = self.added_types.get(step.state["Type"], 0) + 1
        self.note(reason, len(seq.steps) + len(seq.side))

    def note(self, reason: str, added: int) -> None:
        if added:
            self.added[reason] = self.added.get(reason, 0) + added

    def start_states(self, seeds: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return pass_states(self.defaults, {"results": seeds, **self.document_extra()})

    def document_extra(self) -> dict[str, Any]:
        """The state document's keys besides params and results: the counting sentinel, the
        constants."""
        extra = self.control.start(self.graph)
        if self.tasks.consts:
            extra["consts"] = dict(self.tasks.consts)
        return extra

    # -- tree walk -----------------------------------------------------------------------------
    # Each walk step gets the result keys that exist in the document before it (`known`) and the
    # keys that must still exist after it (`live`), and returns the keys that do. A task whose
    # result is the only one still needed replaces the whole `results` map instead of adding to
    # it, so results nobody will read again are dropped: a chain's document stays one result
    # long (Step Functions' 256 KiB limit) instead of growing with every task.
    #
    # `bounded`: every key of `live` not in `known` is a task of `tree` (true at the root, in a
    # branch, and in the last part of a series that is: live results are never dropped, so
    # those of the parts before are known by then). A Parallel then need not look for which of
    # them its span holds — all — which in a deep machine is most of its work.
    def sequence(
        self, tree: Tree, known: set[str], live: set[str], bounded: bool = False
    ) -> tuple[Sequence, set[str]]:
        if isinstance(tree, Leaf):
            return self.leaf(self.nodes[tree.node], known, live)
        if isinstance(tree, Series):
            return self.series(tree, known, live, bounded)
        name, state, exists = self.parallel(tree, known, live, bounded)
        return Sequence([Step(name, state)]), exists

    def series(
        self, tree: Series, known: set[str], live: set[str], bounded: bool = False
    ) -> tuple[Sequence, set[str]]:
        # last(k): the last part that reads result k. Part i must keep the results that exist
        # (known, or produced so far) and are read by a later part: `pending`, each with its
        # last part (asked once). The largest part is never scanned — whether it reads k is
        # asked of the index — so a deep tree is not rescanned at every level.
        parts, index = tree.parts, self.index
        heavy = max(range(len(parts)), key=lambda i: index.size(parts[i]))
        light_last: dict[str, int] = {}
        for i, part in enumerate(parts):
            if i != heavy:
                light_last.update(dict.fromkeys(index.read_keys(part), i))

        def last(key: str) -> int:
            i = light_last.get(key, -1)
            return heavy if i < heavy and index.reads(parts[heavy], key) else i

        # The known results a part reads, searched from whichever is fewer: the known results, or
        # the series' tasks (a branch of a G(n, p) DAG's Parallel knows thousands of results
        # still live, and its few tasks read a handful).
        if len(known) > index.size(tree):
            pending = {k: last(k) for k in index.read_keys(tree) & known}
        else:
            pending = {k: j for k in known if (j := last(k)) >= 0}
        seq = Sequence()
        for i, part in enumerate(parts):
            if i == heavy:
                produced = {k: j for k, j in light_last.items() if j > i and index.holds(part, k)}
            else:
                produced = {k: j for k in index.tasks(part) if (j := last(k)) > i}
            pending = {k: j for k, j in pending.items() if j > i} | produced
            last_part = bounded and i == len(parts) - 1
            part_live = live | pending.keys() if pending else live  # (no callee changes live)
            part_seq, known = self.sequence(part, known, part_live, last_part)
            seq.extend(part_seq)
        return seq, known

    def parallel(
        self, tree: Parallel, known: set[str], live: set[str], bounded: bool = False
    ) -> tuple[str, dict[str, Any], set[str]]:
        self.parallel_count += 1
        name = f"Parallel {self.parallel_count}"
        kept_by = self.join.kept_by_branch(tree, known, live, bounded)
        branches = []
        for i, branch in enumerate(tree.branches):
            # A one-task branch's `exists` is not read (it leaves kept_by[i]). Copying it was 21
            # of the 24 million set entries a 10,000-task G(n, p) DAG's tasks copied.
            if isinstance(branch, Leaf):
                seq, _ = self.leaf(self.nodes[branch.node], known, kept_by[i], discard=True)
            else:
                seq, _ = self.sequence(branch, known, kept_by[i], bounded=True)
            branches.append(link(seq))
        # Only `results` is rebuilt: ResultPath keeps the input's params and consts as they were.
        selector = self.join.selector(kept_by)
        state: dict[str, Any] = {
            "Type": "Parallel",
            "Branches": branches,
            "ResultSelector": selector,
            "ResultPath": "$.results",
        }
        first = self.start.parallels.get(id(tree))
        if first is not None:  # it starts the machine (or a first branch): it builds the document
            # Every branch's first task merged the defaults into its params: take branch 0's
            # (`$[0].params` is read as a list by moto 5, see Parallel branches in the contract).
            rebuilt = document("States.ArrayGetItem($[*].params, 0)", selector, {})
            state["ResultSelector"], state["ResultPath"] = rebuilt, "$"
            self.start_extras.append(rebuilt)
            if first:
                parameters = document("$", dict(self.seeds), {})
                state = {"Type": "Parallel", "Parameters": parameters, **state}
                self.start_extras.append(parameters)
        self.most_results = max(self.most_results, len(selector))
        return name, state, joined(kept_by)

    def store_result(
        self,
        state: dict[str, Any],
        node: TaskNode,
        value: str | dict[str, Any],
        known: set[str],
        live: set[str],
        discard: bool = False,
    ) -> set[str]:
        """Write the task's result (a path into the state's result, or a template over it) into
        the document, dropping dead results when it can. Returns the results the document then
        holds (a new set); with `discard` (the caller does not read it), `known` as it was."""
        record = {"value.$": value} if isinstance(value, str) else {"value": value}
        if not self.control.controlled and live & known <= {node.id}:
            # live keys produced later do not exist yet
            state["ResultSelector"] = {node.id: record}
            state["ResultPath"] = "$.results"
            return {node.id}
        state["ResultSelector"] = record
        state["ResultPath"] = path("$.results", [node.id])
        if discard:
            self.most_results = max(self.most_results, len(known) + (node.id not in known))
            return known
        exists = set(known)  # (a copy then an add: `known | {node.id}` copies more slowly)
        exists.add(node.id)
        self.most_results = max(self.most_results, len(exists))
        return exists

    def leaf(
        self,
        node: TaskNode,
        known: set[str],
        live: set[str],
        discard: bool = False,
    ) -> tuple[Sequence, set[str]]:
        """A task's states; and the results the document holds after them (`store_result`)."""
        if node.is_map:
            own, exists = map_states(self, node, known, live, discard)
        elif node.id in self.start.tasks:
            state, exists = self.start_task(node, known, live)  # (a first task: a copy)
            own = Sequence([Step(node.id, state)])
        else:
            inputs = self.tasks.template(node, node.inputs)
            body = {"inputs": inputs, "context": self.tasks.context}
            state = self.tasks.task_state(node, payload=self.tasks.payload(node, body))
            exists = self.store_result(state, node, "$.Payload", known, live, discard)
            own = Sequence([Step(node.id, state)])
        if node.id in self.control.caught:
            caught = own.steps[-1].state
            if node.is_map:  # each item catches its own failure: the children count one by one
                processor = caught["ItemProcessor"]
                item = processor["States"][processor["StartAt"]]
                item["Catch"], record = item_catcher(node)
                processor["States"][record.name] = record.state
                self.added_types["Pass"] = self.added_types.get("Pass", 0) + 1
                self.note("states recording a mapped item's failure", 1)
            elif node.id in self.start.tasks:  # no document yet to catch into
                caught["Catch"], failed = self.failed_start(node, caught)
                own.side.extend(failed)
                self.count(FAILED_START_REASON, Sequence(side=failed))
            else:
                caught["Catch"] = catcher(node)
            self.added_types["Catch"] = self.added_types.get("Catch", 0) + 1
            self.note("Catch on a task whose failure a trigger or the run's state observes", 1)
        if node.id not in self.control.gated:
            return own, exists
        gate = GateWriter(self.graph, node, own.steps[0].name).sequence()
        self.count("gate states (a trigger, a case, or a path into a result)", gate)
        gate.extend(own)
        return gate, exists

    def start_task(
        self, node: TaskNode, known: set[str], live: set[str]
    ) -> tuple[dict[str, Any], set[str]]:
        """A first task (planner/start.py): it reads the bare parameters, its handler merges
        the defaults, and its ResultSelector writes the whole state document."""
        base = self.start.tasks[node.id]
        self.tasks.param_base, self.tasks.starting = base, True
        try:
            inputs = self.tasks.template(node, node.inputs)
        finally:
            self.tasks.param_base, self.tasks.starting = "$.params", False
        start = {"params.$": base, "defaults": self.defaults}
        body = {"inputs": inputs, "context": self.tasks.context, START_KEY: start}
        state = self.tasks.task_state(node, payload=self.tasks.payload(node, body))
        exists = self.store_result(state, node, "$.Payload.value", known, live)
        selector = state["ResultSelector"]
        if state["ResultPath"] == "$.results":
            results = selector
        else:  # in graph order (the seeds'), so the same flow compiles to the same text
            results = {k: seed for k, seed in self.seeds.items() if k in known}
            results[node.id] = selector
        state["ResultSelector"] = document("$.Payload.params", results, {})
        state["ResultPath"] = "$"
        self.start_extras.append(state["ResultSelector"])
        return state, exists

    def failed_start(
        self, node: TaskNode, state: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[Step]]:
        """A caught first task's Catch, and the side states building the document with its
        failure (planner/start.py)."""
        results = state["ResultSelector"]["results"]
        catch, passes, invalid = failed_start_states(node.id, self.defaults, results)
        steps = [Step(name, st, chained=False) for name, st in passes]
        steps[-1].chained, steps[-1].then = True, node.id  # on where the task goes
        self.start_extras.append(steps[-1].state["Parameters"])  # the constants, the sentinel
        return catch, [*steps, Step(*invalid, chained=False)]


def comment(graph: FlowGraph) -> str:
    """The machine's Comment: the flow's name and its `description=` (or docstring), which the
    console shows beside the definition."""
    head = f"Orchestrator flow {graph.name!r}"
    return f"{head}: {graph.description.strip()}" if graph.description else head


def walk_states(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every state of a definition, inside Parallel branches and Map processors too: each state,
    then its branches' and its item processor's (a stack rather than nested generators, which
    would pass each state up through every level of a deeply nested machine)."""
    stack = [iter(definition.get("States", {}).values())]
    while stack:
        state = next(stack[-1], None)
        if state is None:
            stack.pop()
            continue
        yield state
        inner = [*state.get("Branches", [])]
        if "ItemProcessor" in state:
            inner.append(state["ItemProcessor"])
        stack.extend(iter(machine.get("States", {}).values()) for machine in reversed(inner))
