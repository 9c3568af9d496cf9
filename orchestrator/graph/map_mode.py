"""How each `.map` runs — an inline Map or a Distributed Map — decided once, at graph build.

An inline Map keeps every iteration in its execution's history (at most 25,000 events) and its
collected results in the state document (at most 256 KiB); a Distributed Map runs each item as a
child execution and exports the results to S3 (`ResultWriter`), so neither limit applies. The
inline Map is cheaper and starts faster, so it is chosen when the number of items is known to be
small: a literal list, an `expected_items=` hint, or the results of an inline Map of known size.
Otherwise — the list is a task's result or a parameter, whose length is known only at run time —
the map is distributed, because a list that outgrows an inline Map fails the run. `distributed=`
forces either mode; an EXPRESS flow cannot run a Distributed Map at all, and says why when a map
needs one.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.contract import DEFAULT_OFFLOAD_BYTES
from orchestrator.engine.spec import STANDARD_HISTORY_EVENTS
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph.model import ConstInput, ResultInput, TaskNode
from orchestrator.options import TaskOptions
from orchestrator.records import record

#: History events one inline item of ours costs: MapIterationStarted, TaskStateEntered,
#: TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited, MapIterationSucceeded.
INLINE_ITEM_EVENTS = 7
#: The room a stored item's reference takes in the collected list (`{"__orchestrator_ref__":
#: "s3://bucket/flow/execution/task/123.json", "bytes": n}`, with a long bucket name).
ITEM_REFERENCE_BYTES = 128


def inline_capacity(options: TaskOptions) -> int:
    """The most items an inline Map of this task is given: every attempt's events within half
    the history budget (the rest is for the flow's other states), and one stored reference per
    item within the offload threshold of the state document."""
    by_history = STANDARD_HISTORY_EVENTS // 2 // (INLINE_ITEM_EVENTS * (1 + options.retries))
    by_data = DEFAULT_OFFLOAD_BYTES // ITEM_REFERENCE_BYTES
    return min(by_history, by_data)


@record(frozen=True)
class MapMode:
    """How a mapped node runs (a Distributed Map, or inline) and why."""

    distributed: bool
    reason: str


def expected_items(node: TaskNode, settled: Mapping[str, TaskNode]) -> int | None:
    """The number of items the map will see, when it is known before the run."""
    for value in node.mapped.values():
        if isinstance(value, ConstInput) and isinstance(value.value, list):
            return len(value.value)
    if node.options.expected_items is not None:
        return node.options.expected_items
    for value in node.mapped.values():
        if not isinstance(value, ResultInput) or value.path:
            continue
        producer = settled.get(value.node)
        if producer is not None and producer.is_map:
            known = expected_items(producer, settled)
            if known is not None:
                return known
    return None


def _needs_distributed(node: TaskNode, settled: Mapping[str, TaskNode]) -> list[str]:
    options = node.options
    needs: list[str] = []
    if options.tolerated_failure_count is not None:
        needs.append("tolerated_failure_count is a Distributed Map's")
    if options.tolerated_failure_percentage is not None:
        needs.append("tolerated_failure_percentage is a Distributed Map's")
    if options.batch_size is not None:
        needs.append("batch_size (ItemBatcher) is a Distributed Map's")
    for value in node.mapped.values():
        producer = settled.get(value.node) if isinstance(value, ResultInput) else None
        if producer is not None and producer.is_map and producer.options.distributed:
            needs.append(
                f"its items are the results of {producer.task_name!r}'s Distributed Map, which "
                "are stored in S3"
            )
    return needs


def decide(
    node: TaskNode, settled: Mapping[str, TaskNode], *, flow: str, flow_type: str
) -> MapMode:
    """The mode of `node`'s Map, given the nodes before it (already decided)."""
    options = node.options
    needs = _needs_distributed(node, settled)
    count = expected_items(node, settled)
    capacity = inline_capacity(options)
    express = flow_type == "EXPRESS"
    if express and (options.distributed or needs):
        raise FlowDefinitionError(
            "a Distributed Map cannot run in an EXPRESS state machine"
            + (f", and {needs[0]}" if needs and not options.distributed else ""),
            flow=flow,
            task=node.task_name,
            fix='use type="STANDARD" for the flow, or drop distributed=True (and the '
            "Distributed Map options)",
        )
    if options.distributed is True:
        return MapMode(True, "distributed=True")
    if options.distributed is False:
        if needs:
            raise FlowDefinitionError(
                f"distributed=False, but {needs[0]}",
                flow=flow,
                task=node.task_name,
                fix="drop distributed=False (or the option that needs a Distributed Map)",
            )
        return MapMode(False, "distributed=False")
    if express:
        if count is not None and count > capacity:
            raise FlowDefinitionError(
                f"{count:,} items are more than an inline Map holds ({capacity:,}), and an "
                "EXPRESS state machine cannot run a Distributed Map",
                flow=flow,
                task=node.task_name,
                fix='use type="STANDARD" for the flow, or map over fewer items',
            )
        return MapMode(False, "an EXPRESS flow runs inline Maps only")
    if needs:
        return MapMode(True, needs[0])
    if count is None:
        return MapMode(
            True,
            "its number of items is known only at run time; expected_items=N with N ≤ "
            f"{capacity:,} makes it an inline Map",
        )
    if count > capacity:
        return MapMode(True, f"{count:,} items are more than an inline Map holds ({capacity:,})")
    return MapMode(False, f"{count:,} items fit an inline Map (at most {capacity:,})")
