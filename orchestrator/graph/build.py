"""Building a FlowGraph from a traced flow body, with errors that name the flow and the task."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from orchestrator.errors import FlowDefinitionError
from orchestrator.graph.model import (
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParameterSpec,
    ParamInput,
    ResultInput,
    RetrySpec,
    ScheduleSpec,
    TaskNode,
)
from orchestrator.graph.names import function_id, node_id, resource_name

if TYPE_CHECKING:
    from orchestrator.sdk.flow import Flow
    from orchestrator.sdk.tracing import FlowBuilder, TaskCall


def build_graph(flow: Flow, builder: FlowBuilder, returned: Any) -> FlowGraph:
    """Validate what `flow` recorded and turn it into a FlowGraph (raises FlowDefinitionError)."""
    if not builder.calls:
        raise FlowDefinitionError(
            "the flow calls no task",
            flow=flow.name,
            fix="call at least one @task inside the flow body",
        )
    ids = _assign_ids(builder.calls)
    function_ids = _assign_function_ids(builder.calls)
    converter = _Converter(flow.name, ids, builder)
    nodes = [
        converter.node(call, ids[id(call)], function_ids[call.task.key], flow)
        for call in builder.calls
    ]
    output = None
    if returned is not None:
        output = converter.value(returned, task=None, arg="return value")
    schedule = flow.schedule
    graph = FlowGraph(
        name=flow.name,
        resource_name=flow.resource_name or resource_name(flow.name),
        description=flow.description,
        parameters=tuple(
            ParameterSpec(
                name=p.name,
                required=p.required,
                default=None
                if p.required
                else converter.const(p.default, None, f"default of parameter {p.name!r}"),
            )
            for p in builder.parameters.values()
        ),
        nodes=tuple(nodes),
        output=output,
        schedule=ScheduleSpec(expression=schedule.expression, timezone=schedule.timezone)
        if schedule
        else None,
        type=flow.type,
        max_concurrency=flow.max_concurrency,
        timeout_seconds=flow.timeout,
        source=_source_of(flow),
    )
    _check_resource_name(graph)
    _check_distributed(graph)
    check_acyclic(graph)
    return graph


def _source_of(flow: Flow) -> str | None:
    fn = flow._fn
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else None


def _check_resource_name(graph: FlowGraph) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", graph.resource_name):
        raise FlowDefinitionError(
            f"resource_name={graph.resource_name!r} is not a valid state machine name",
            flow=graph.name,
            fix="use at most 80 characters of A-Z a-z 0-9 - _",
        )


def _check_distributed(graph: FlowGraph) -> None:
    for node in graph.nodes:
        if node.is_map and node.distributed and graph.type == "EXPRESS":
            raise FlowDefinitionError(
                "a Distributed Map cannot run in an EXPRESS state machine",
                flow=graph.name,
                task=node.task_name,
                fix='use type="STANDARD" for the flow, or drop distributed=True',
            )


def _assign_ids(calls: list[TaskCall]) -> dict[int, str]:
    """Unique ids in call order: the second `clean` is `clean_2`, deterministically."""
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}  # so the k-th call of a task does not try k-1 names first
    out: dict[int, str] = {}
    for call in calls:
        base = node_id(call.task.name)
        candidate, n = base, next_suffix.get(base, 1)
        if n > 1:
            candidate = f"{base}_{n}"
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        next_suffix[base] = n + 1
        taken.add(candidate)
        out[id(call)] = candidate
    return out


def _assign_function_ids(calls: list[TaskCall]) -> dict[str, str]:
    """One Lambda per distinct task function; equal names of different functions get a suffix."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for call in calls:
        key = call.task.key
        if key in out:
            continue
        base = function_id(call.task.name)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate)
        out[key] = candidate
    return out


class _Converter:
    """Turns recorded argument values into graph inputs, with errors that name the argument."""

    def __init__(self, flow: str, ids: dict[int, str], builder: FlowBuilder) -> None:
        self.flow = flow
        self.ids = ids
        self.builder = builder

    def node(self, call: TaskCall, nid: str, fid: str, flow: Flow) -> TaskNode:
        from orchestrator.sdk.task import unmapped

        opts = call.task.options
        inputs: dict[str, Input] = {}
        mapped: dict[str, Input] = {}
        for arg, raw in call.args.items():
            if call.mapped and not isinstance(raw, unmapped):
                mapped[arg] = self.iterable(raw, opts.name, arg)
            else:
                inner = raw.value if isinstance(raw, unmapped) else raw
                inputs[arg] = self.value(inner, task=opts.name, arg=arg)
        if call.mapped and not mapped:
            raise FlowDefinitionError(
                ".map(...) was called with nothing to map over",
                flow=self.flow,
                task=opts.name,
                fix="pass at least one list or task result that is not wrapped in unmapped()",
            )
        _check_constant_lengths(self.flow, opts.name, mapped)
        retry = None
        if opts.retries:
            delay = opts.retry_delay
            retry = RetrySpec(
                error_equals=opts.retry_on or ("States.ALL",),
                max_attempts=opts.retries,
                interval_seconds=delay.interval,
                backoff_rate=float(delay.backoff_rate),
                max_delay_seconds=delay.max_delay,
                jitter=delay.jitter,
            )
        upstream = tuple(dict.fromkeys(self.ids[id(u)] for u in call.upstream))
        if nid in upstream:
            raise FlowDefinitionError(
                "the task is set upstream of itself",
                flow=self.flow,
                task=opts.name,
                fix="remove the set_upstream call that names the task itself",
            )
        return TaskNode(
            id=nid,
            task_name=opts.name,
            task_key=call.task.key,
            function_id=fid,
            inputs=inputs,
            mapped=mapped,
            upstream=upstream,
            retry=retry,
            timeout_seconds=opts.timeout,
            memory_mb=opts.memory or flow.default_memory,
            trigger=opts.trigger,
            tags=opts.tags,
            max_concurrency=opts.max_concurrency,
            idempotent=opts.idempotent,
            distributed=opts.distributed,
        )

    def iterable(self, raw: Any, task: str, arg: str) -> Input:
        from orchestrator.sdk.tracing import ParamRef, TaskRef

        if isinstance(raw, TaskRef | ParamRef | list | tuple):
            return self.value(raw, task=task, arg=arg)
        raise FlowDefinitionError(
            f"argument {arg!r} of .map(...) is of type {type(raw).__name__}, not a list",
            flow=self.flow,
            task=task,
            fix=f"pass a list or a task result, or wrap it: unmapped({raw!r})",
        )

    def value(self, raw: Any, *, task: str | None, arg: str) -> Input:
        from orchestrator.sdk.task import Task, unmapped
        from orchestrator.sdk.tracing import ParamRef, TaskRef

        if isinstance(raw, TaskRef):
            if id(raw.call) not in self.ids:
                raise FlowDefinitionError(
                    f"argument {arg!r} is the result of a task called in another flow",
                    flow=self.flow,
                    task=task,
                    fix="call the upstream task inside this flow",
                )
            return ResultInput(node=self.ids[id(raw.call)], path=raw.path)
        if isinstance(raw, ParamRef):
            return ParamInput(name=raw.name, path=raw.path)
        if isinstance(raw, unmapped):
            return self.value(raw.value, task=task, arg=arg)
        if isinstance(raw, Task):
            raise FlowDefinitionError(
                f"argument {arg!r} is the task {raw.name!r} itself, not its result",
                flow=self.flow,
                task=task,
                fix=f"call it: {raw.name}(...)",
            )
        if isinstance(raw, list | tuple) and _holds_refs(raw):
            return ListInput(items=tuple(self.value(v, task=task, arg=arg) for v in raw))
        if isinstance(raw, dict) and _holds_refs(raw):
            bad = [k for k in raw if not isinstance(k, str)]
            if bad:
                raise FlowDefinitionError(
                    f"argument {arg!r} is a dict with a non-string key {bad[0]!r}",
                    flow=self.flow,
                    task=task,
                    fix="JSON objects have string keys",
                )
            return DictInput(items={k: self.value(v, task=task, arg=arg) for k, v in raw.items()})
        return ConstInput(value=self.const(raw, task, f"argument {arg!r}"))

    def const(self, raw: Any, task: str | None, what: str) -> Any:
        try:
            text = json.dumps(raw, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise FlowDefinitionError(
                f"{what} is a {type(raw).__name__} ({_short(raw)}), which is not JSON ({err})",
                flow=self.flow,
                task=task,
                fix="pass JSON values (str, int, float, bool, None, list, dict) or produce the "
                "object inside a task",
            ) from None
        return json.loads(text)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _holds_refs(value: Any) -> bool:
    from orchestrator.sdk.task import unmapped
    from orchestrator.sdk.tracing import ParamRef, TaskRef

    if isinstance(value, TaskRef | ParamRef | unmapped):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_refs(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_refs(v) for v in value.values())
    return False


def _check_constant_lengths(flow: str, task: str, mapped: dict[str, Input]) -> None:
    lengths = {
        arg: len(v.value)
        for arg, v in mapped.items()
        if isinstance(v, ConstInput) and isinstance(v.value, list)
    }
    lengths.update({arg: len(v.items) for arg, v in mapped.items() if isinstance(v, ListInput)})
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{a} has {n}" for a, n in lengths.items())
        raise FlowDefinitionError(
            f".map(...) zips iterables of different lengths ({detail})",
            flow=flow,
            task=task,
            fix="give every mapped argument the same number of items, or wrap the ones to "
            "pass whole in unmapped()",
        )


def check_acyclic(graph: FlowGraph) -> None:
    """Raise a FlowDefinitionError naming the cycle if the dependencies have one."""
    deps = {n.id: n.dependencies() for n in graph.nodes}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in deps[node]:
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :] + [dep]
                raise FlowDefinitionError(
                    "its tasks form a cycle: " + " → ".join(reversed(cycle)),
                    flow=graph.name,
                    task=dep,
                    fix="remove one of these set_upstream/upstream_tasks edges",
                )
            if state.get(dep) is None:
                visit(dep)
        stack.pop()
        state[node] = 2

    for n in graph.nodes:
        if n.id not in state:
            visit(n.id)
