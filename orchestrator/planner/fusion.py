"""Map fusion: `b.map(a.map(xs))` as one Map whose iteration runs a, then b.

Two Map states in a row are a barrier: every item's `a` ends before any item's `b` starts. When
b maps over exactly a's list, item i of b needs only item i of a, so the planner compiles the
chain into one Map state (named by the chain's last task) whose item processor runs `a item`,
then `b item`, then the next one: item i's b starts as soon as item i's a ends. Chains of any
length fuse (`c.map(b.map(a.map(xs)))`), and so do `unmapped(k)` arguments of the later tasks,
which the fused Map's ItemSelector carries into every iteration (`CARRIED`).

A link a → b is fused only when the fused machine does what the two Maps did, else the Maps stay
apart and `orchestrator plan` says why (`Fusion.notes`):

* b maps over a's whole list and nothing else (no zip, no path into it), and no other task, no
  case and not the flow's return value reads a's list: the fused Map produces only the last
  task's list, so a list read elsewhere keeps its own Map (we do not also collect a's list);
* the flow is fail-fast: triggers, `case` and reference tasks add Choice states that read every
  task's result, so a controlled flow is never fused;
* b waits for nothing the head of the chain does not already wait for (an `unmapped` result of
  a task not upstream of the chain's first map would make that map wait for it), and has no
  order-only upstream task;
* both Maps run in the same mode (inline or Distributed) with the same MaxConcurrency, and
  neither tolerates failures nor batches items (ToleratedFailure*, ItemBatcher count a Map's
  children, and a fused child runs two tasks).

Each task keeps its own Task state in the iteration, so its Retry, TimeoutSeconds, memory and
function are its own. Within an iteration the document is
`{"inputs", "index", "size", "carried": {<task>: {<arg>: value}}, "results": {<task>: {"value"}}}`:
each state but the last stores its result under `results` (replacing the previous one), the
next reads it from there, and the last keeps `OutputPath: $.Payload` — so the Map's value is the
last task's list, exactly what its own Map would have produced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from functools import cached_property

from orchestrator.graph import FlowGraph, ResultInput, TaskNode, references, result_nodes
from orchestrator.records import record

#: The ItemSelector key under which a fused Map carries the later tasks' unmapped arguments.
CARRIED = "carried"


@record
class Fusion:
    """Which Maps fuse into chains, and why the others do not."""

    #: The chain's last task → the chain, first task first (only chains of two or more).
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Every task of a chain but the last → that chain's last task.
    inner: dict[str, str] = field(default_factory=dict)
    #: The mapped task → why it is not fused with the Map producing its items.
    refused: dict[str, str] = field(default_factory=dict)

    def chain(self, node_id: str) -> tuple[str, ...]:
        return self.chains.get(node_id, (node_id,))


def plan_fusion(graph: FlowGraph, controlled: bool) -> Fusion:
    """Which Maps fuse, and why the others do not."""
    nodes = {n.id: n for n in graph.nodes}
    producers = {
        n.id: producer
        for n in graph.nodes
        if n.mapped and (producer := _producer(n, nodes)) is not None
    }
    fusion = Fusion()
    if not producers:  # no Map maps over a Map's results (most flows): nothing to look at
        return fusion
    readers: dict[str, list[str]] = {}  # result → the tasks (and cases) reading it
    for node in graph.nodes:
        for dep in node.dependencies():
            readers.setdefault(dep, []).append(node.id)
    returned = set(result_nodes(graph.output)) if graph.output is not None else set()
    ancestors = _Ancestors(graph)
    head_of: dict[str, str] = {}  # a task of a chain → its first task
    for node in graph.nodes:
        producer = producers.get(node.id)
        if producer is None:
            continue
        head = head_of.get(producer.id, producer.id)
        why = _refusal(node, producer, nodes[head], controlled, readers, returned, ancestors)
        if why is not None:
            fusion.refused[node.id] = why
            continue
        chain = (*fusion.chains.pop(producer.id, (producer.id,)), node.id)
        fusion.chains[node.id] = chain
        for member in chain:
            head_of[member] = head
        for member in chain[:-1]:
            fusion.inner[member] = node.id
    return fusion


def _producer(node: TaskNode, nodes: Mapping[str, TaskNode]) -> TaskNode | None:
    """The Map whose results `node` maps over, when it maps over a Map's results."""
    sources = [v for v in node.mapped.values() if isinstance(v, ResultInput)]
    found = [nodes[v.node] for v in sources if nodes[v.node].is_map]
    return found[0] if found else None


def _refusal(
    node: TaskNode,
    producer: TaskNode,
    head: TaskNode,
    controlled: bool,
    readers: Mapping[str, Sequence[str]],
    returned: set[str],
    ancestors: _Ancestors,
) -> str | None:
    """Why `node`'s Map cannot fuse with `producer`'s (whose chain starts at `head`), or None."""
    a, b = producer.options, node.options
    if controlled:
        return (
            "the flow has triggers, case or reference tasks, whose Choice states read every "
            "task's result"
        )
    if len(node.mapped) > 1:
        return f"it zips {len(node.mapped)} lists"
    (items,) = node.mapped.values()
    if not isinstance(items, ResultInput) or items.path:
        return f"it maps over a part of {a.name}'s results"
    others = [r for r in readers.get(producer.id, ()) if r != node.id]
    if others or any(
        isinstance(r, ResultInput) and r.node == producer.id
        for v in node.inputs.values()
        for r in references(v)
    ):
        return f"{a.name}'s list is also read whole elsewhere, so it keeps its own Map"
    if producer.id in returned:
        return f"the flow returns {a.name}'s list, so it keeps its own Map"
    if node.order_only_dependencies():
        return "it has an order-only upstream task"
    late = [d for d in node.dependencies() if d != producer.id and not ancestors.of(head.id, d)]
    if late:
        return (
            f"its argument from {late[0]!r} is not ready before {head.task_name}'s Map starts, "
            "and fusing would make that Map wait for it"
        )
    if a.distributed != b.distributed:
        kinds = {True: "a Distributed Map", False: "an inline Map"}
        return f"{a.name} is {kinds[bool(a.distributed)]} and it is {kinds[bool(b.distributed)]}"
    if a.max_concurrency != b.max_concurrency:
        return (
            f"MaxConcurrency differs ({a.name}: {_concurrency(a.max_concurrency)}, "
            f"{b.name}: {_concurrency(b.max_concurrency)})"
        )
    for options in (a, b):
        if options.tolerated_failure_count is not None:
            return f"{options.name} sets tolerated_failure_count"
        if options.tolerated_failure_percentage is not None:
            return f"{options.name} sets tolerated_failure_percentage"
        if options.batch_size is not None:
            return f"{options.name} sets batch_size"
    return None


def _concurrency(value: int | None) -> str:
    return "unset" if value is None else str(value)


class _Ancestors:
    """Each node's ancestors as a bit mask over the call order: a set per node would make a
    10,000-task chain hold 50 million entries. Computed when first asked, so only for a flow
    with a Map that could fuse (on a flow without, they were a tenth of its compile time)."""

    def __init__(self, graph: FlowGraph) -> None:
        self.graph = graph
        self.index = {node.id: i for i, node in enumerate(graph.nodes)}

    @cached_property
    def masks(self) -> dict[str, int]:
        masks: dict[str, int] = {}
        for node in self.graph.nodes:  # nodes are in call order: dependencies come first
            mask = 0
            for dep in node.dependencies():
                mask |= (1 << self.index[dep]) | masks.get(dep, 0)
            masks[node.id] = mask
        return masks

    def of(self, node_id: str, ancestor: str) -> bool:
        """Whether `ancestor` is upstream of `node_id`."""
        return bool(self.masks[node_id] >> self.index[ancestor] & 1)


def contract(
    order: Sequence[str], deps: Mapping[str, Sequence[str]], fusion: Fusion
) -> tuple[list[str], dict[str, list[str]]]:
    """The DAG with each fused chain as one node (its last task) waiting for what the chain's
    tasks wait for outside it."""
    if not fusion.chains:
        return list(order), {k: list(v) for k, v in deps.items()}
    contracted = [n for n in order if n not in fusion.inner]
    out: dict[str, list[str]] = {}
    for n in contracted:
        chain = fusion.chain(n)
        waits = [fusion.inner.get(d, d) for m in chain for d in deps.get(m, ())]
        out[n] = [d for d in dict.fromkeys(waits) if d not in chain]
    return contracted, out


def fusion_lines(graph: FlowGraph, fusion: Fusion) -> list[str]:
    """One line per fused chain and per Map left apart from its producer's, for `plan`."""
    names = {n.id: n.task_name for n in graph.nodes}
    lines = []
    for chain in fusion.chains.values():
        tasks = " → ".join(names[m] for m in chain)
        lines.append(
            f"{tasks}: fused into one Map state ({chain[-1]!r}); each item runs "
            f"{', then '.join(names[m] for m in chain)}, with no barrier between the Maps"
        )
    for node_id, why in fusion.refused.items():
        lines.append(f"{names[node_id]}: not fused with the Map producing its items, because {why}")
    return lines


def fusion_of(graph: FlowGraph) -> Fusion:
    """The fusion `plan_flow` applies to `graph` (for reading a run's history back)."""
    from orchestrator.planner.control import plan_control

    return plan_fusion(graph, plan_control(graph).controlled)
