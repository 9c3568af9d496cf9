"""A mapped task's Map state (and a fused chain's, planner/fusion.py): over its own items or a
stored result (a Distributed Map's ItemReader), each iteration running the task's Task state (or
the chain's, one after the other), per docs/data-contract.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.contract import BATCH_KEY, MAP_SIZE_KEY
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import ConstInput, Input, ParamInput, ResultInput, TaskNode
from orchestrator.planner.fusion import CARRIED
from orchestrator.planner.maps import (
    distributed_fields,
    item_reader,
    read_item,
    result_writer,
    results_reference,
)
from orchestrator.planner.paths import const_path, param_path, path, result_path
from orchestrator.planner.steps import Sequence, Step

if TYPE_CHECKING:
    from orchestrator.planner.asl import AslWriter

MAP_LENGTH_MISMATCH = "orchestrator.MapLengthMismatch"


def map_states(
    w: AslWriter, node: TaskNode, known: set[str], live: set[str], discard: bool = False
) -> tuple[Sequence, set[str]]:
    """The Map state of `node`, named by it: over its own items, or for the last task of a
    fused chain (`planner/fusion.py`), over the chain's first task's items."""
    io = w.map_io
    chain = [w.nodes[m] for m in w.fusion.chain(node.id)]
    head = chain[0]
    source = io.reads.get(head.id)
    first = next(iter(head.mapped))
    inputs = w.tasks.template(head, head.inputs)
    selector: dict[str, Any] = {"inputs": inputs, "index.$": "$$.Map.Item.Index"}
    state: dict[str, Any] = {"Type": "Map"}
    seq = Sequence()
    if source is not None:  # one whole stored result: read it from S3
        exported = source in io.writes
        read = read_item(from_map=exported)
        inputs[first + ".$"] = read.pop("value")
        selector.update({k + ".$": v for k, v in read.items()})
        state["ItemReader"] = item_reader(source, exported)
    else:
        iterables = {arg: iterable_path(w, head, arg, v) for arg, v in head.mapped.items()}
        if len(iterables) > 1:
            seq = zip_check(head, iterables, node.id)
            w.count("states checking that zipped iterables have the same length", seq)
        for arg, items in iterables.items():
            if arg == first:
                inputs[arg + ".$"] = "$$.Map.Item.Value"
            else:
                inputs[arg + ".$"] = f"States.ArrayGetItem({items}, $$.Map.Item.Index)"
        state["ItemsPath"] = iterables[first]
    context: dict[str, Any] = {**w.tasks.context, "map_index.$": "$.index"}
    if not node.options.distributed:
        # Each item stores a result above its share of the offload threshold, so the
        # collected list fits the state document (runtime/results.py).
        selector["size.$"] = f"States.ArrayLength({state['ItemsPath']})"
        context[MAP_SIZE_KEY + ".$"] = "$.size"
    if node.options.batch_size:  # a child runs a batch: {"Items": [selector outputs]}
        context.pop("map_index.$")
        body: dict[str, Any] = {BATCH_KEY + ".$": "$.Items", "context": context}
    else:
        body = {"inputs.$": "$.inputs", "context": context}
    states: dict[str, Any] = {}
    carried: dict[str, Any] = {}
    for i, member in enumerate(chain):
        if i > 0:
            body = {
                "inputs": fed_inputs(w, member, chain[i - 1], carried),
                "context": context,
            }
        item_state = w.tasks.task_state(member, payload=w.tasks.payload(member, body))
        if member is node:
            item_state["OutputPath"] = "$.Payload"
            item_state["End"] = True
        else:  # the next task of the chain reads it from the iteration's document
            item_state["ResultSelector"] = {member.id: {"value.$": "$.Payload"}}
            item_state["ResultPath"] = "$.results"
            item_state["Next"] = f"{chain[i + 1].id} item"
        states[f"{member.id} item"] = item_state
    if carried:
        selector[CARRIED] = carried
    state["ItemSelector"] = selector
    state["MaxConcurrency"] = node.options.max_concurrency
    state["ItemProcessor"] = {
        "ProcessorConfig": (
            # Each item a child execution: its events are not in this history.
            {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
            if node.options.distributed
            else {"Mode": "INLINE"}
        ),
        "StartAt": f"{head.id} item",
        "States": states,
    }
    if node.options.distributed:
        state.update(distributed_fields(node))
    value: str | dict[str, Any] = "$"
    if node.id in io.writes:
        state["ResultWriter"] = result_writer(w.graph.resource_name, node)
        value = results_reference(w.graph.resource_name, node)
    exists = w.store_result(state, node, value, known, live, discard)
    seq.steps.append(Step(node.id, state))
    return seq, exists


def fed_inputs(
    w: AslWriter, node: TaskNode, previous: TaskNode, carried: dict[str, Any]
) -> dict[str, Any]:
    """The inputs of a fused chain's later task: the item is the previous task's result in
    the iteration's document; an unmapped argument is carried into the iteration by the
    ItemSelector (`carried`), a constant written in place."""
    (arg,) = node.mapped
    inputs: dict[str, Any] = {arg + ".$": result_path(previous.id)}
    mine: dict[str, Any] = {}
    for key, value in node.inputs.items():
        if isinstance(value, ConstInput):
            w.tasks.put(inputs, key, value, node)
        else:
            w.tasks.put(mine, key, value, node)
            inputs[key + ".$"] = path(f"$.{CARRIED}", [node.id, key])
    if mine:
        carried[node.id] = mine
    return inputs


def iterable_path(w: AslWriter, node: TaskNode, arg: str, value: Input) -> str:
    if isinstance(value, ResultInput):
        return result_path(value.node, value.path)
    if isinstance(value, ParamInput):
        return param_path(value.name, value.path)
    if isinstance(value, ConstInput):
        key = f"{node.id}_{arg}"
        w.tasks.consts[key] = value.value
        return const_path(key)
    raise FlowDefinitionError(
        f"argument {arg!r} of .map(...) is a literal list of task results",
        flow=w.graph.name,
        task=node.task_name,
        fix="return the list from a task and map over that task's result",
    )


def zip_check(node: TaskNode, iterables: dict[str, str], map_name: str) -> Sequence:
    """Pass + Choice + Fail: zipped iterables of different lengths fail the run clearly.
    The lengths are written where the Map (`map_name`) then writes its results."""
    check = f"{node.id} lengths"
    choice = f"{node.id} same lengths?"
    fail = f"{node.id} length mismatch"
    keys = list(iterables)
    lengths = {f"{k}.$": f"States.ArrayLength({p})" for k, p in iterables.items()}
    base = path("$.results", [map_name])
    rules = [
        {"Variable": path(base, [k]), "NumericEqualsPath": path(base, [keys[0]])} for k in keys[1:]
    ]
    rule: dict[str, Any] = rules[0] if len(rules) == 1 else {"And": rules}
    names = ", ".join(keys)
    return Sequence(
        steps=[
            Step(check, {"Type": "Pass", "Parameters": lengths, "ResultPath": base}),
            Step(
                choice,
                {"Type": "Choice", "Choices": [{**rule, "Next": map_name}], "Default": fail},
                chained=False,
            ),
        ],
        side=[
            Step(
                fail,
                {
                    "Type": "Fail",
                    "Error": MAP_LENGTH_MISMATCH,
                    "Cause": f"{node.task_name}.map(...) zips {names}, which must have "
                    "the same length",
                },
                chained=False,
            )
        ],
    )
