"""Lowering a traced flow body to the graph's plain data (`FlowDraft`).

What a flow body records is made of SDK objects — task calls, `TaskRef`s, `ParamRef`s,
`unmapped(...)` wrappers, constants. Here each becomes a graph `Input`, each call a `TaskNode`
with a stable id, each distinct task function one Lambda id; errors name the flow, the task and
the argument. Imported when a flow's graph is first needed, not when a task module is: it loads
the graph model and the planner, which a task Lambda never needs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import (
    CaseCondition,
    ConstInput,
    DictInput,
    FlowDraft,
    Input,
    ListInput,
    ParameterSpec,
    ParamInput,
    ResultInput,
    ScheduleSpec,
    TaskNode,
    function_id,
    node_id,
)
from orchestrator.sdk.tracing import FlowBuilder, ParamRef, TaskCall, TaskRef, unmapped

if TYPE_CHECKING:
    from orchestrator.sdk.flow import Flow


def lower(flow: Flow, builder: FlowBuilder, returned: Any) -> FlowDraft:
    """The draft of `flow` from what tracing its body recorded in `builder`."""
    ids = _assign_ids(builder.calls)
    function_ids = _assign_function_ids(builder.calls)
    lowering = _Lowering(flow.name, ids)
    nodes = tuple(
        lowering.node(call, ids[id(call)], function_ids[call.task.key]) for call in builder.calls
    )
    schedule = flow.schedule
    return FlowDraft(
        name=flow.name,
        nodes=nodes,
        parameters=tuple(
            ParameterSpec(
                name=p.name,
                required=p.required,
                default=None
                if p.required
                else lowering.const(p.default, None, f"default of parameter {p.name!r}"),
            )
            for p in builder.parameters.values()
        ),
        output=None if returned is None else lowering.value(returned, None, "return value"),
        resource_name=flow.resource_name,
        description=flow.description,
        schedule=ScheduleSpec(expression=schedule.expression, timezone=schedule.timezone)
        if schedule
        else None,
        type=flow.type,
        max_concurrency=flow.max_concurrency,
        memory=flow.default_memory,
        timeout_seconds=flow.timeout,
        source=flow.source,
        reference_tasks=None
        if builder.reference is None
        else tuple(ids[id(call)] for call in builder.reference),
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


class _Lowering:
    """Turns recorded argument values into graph inputs, with errors that name the argument."""

    def __init__(self, flow: str, ids: dict[int, str]) -> None:
        self.flow = flow
        self.ids = ids

    def node(self, call: TaskCall, nid: str, fid: str) -> TaskNode:
        opts = call.task.options
        if call.max_items is not None:
            opts = replace(opts, expected_items=call.max_items)
        inputs: dict[str, Input] = {}
        mapped: dict[str, Input] = {}
        for arg, raw in call.args.items():
            if call.mapped and not isinstance(raw, unmapped):
                mapped[arg] = self.iterable(raw, opts.name, arg)
            else:
                inner = raw.value if isinstance(raw, unmapped) else raw
                inputs[arg] = self.value(inner, opts.name, arg)
        if call.mapped and not mapped:
            raise FlowDefinitionError(
                ".map(...) was called with nothing to map over",
                flow=self.flow,
                task=opts.name,
                fix="pass at least one list or task result that is not wrapped in unmapped()",
            )
        return TaskNode(
            id=nid,
            task_key=call.task.key,
            function_id=fid,
            options=opts,
            inputs=inputs,
            mapped=mapped,
            upstream=tuple(dict.fromkeys(self.ids[id(u)] for u in call.upstream)),
            cases=tuple(self.case(on, value, opts.name) for on, value in call.cases),
        )

    def case(self, on: Any, value: Any, task: str) -> CaseCondition:
        condition = self.value(on, task, "case")
        if not isinstance(condition, ResultInput | ParamInput):
            raise FlowDefinitionError(
                f"case({on!r}, ...) does not test a task result or a parameter",
                flow=self.flow,
                task=task,
                fix="write `with case(some_task_result, value):`",
            )
        return CaseCondition(on=condition, value=value)

    def iterable(self, raw: Any, task: str, arg: str) -> Input:
        if isinstance(raw, TaskRef | ParamRef | list | tuple):
            return self.value(raw, task, arg)
        raise FlowDefinitionError(
            f"argument {arg!r} of .map(...) is of type {type(raw).__name__}, not a list",
            flow=self.flow,
            task=task,
            fix=f"pass a list or a task result, or wrap it: unmapped({raw!r})",
        )

    def value(self, raw: Any, task: str | None, arg: str) -> Input:
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
            return self.value(raw.value, task, arg)
        if hasattr(raw, "fn") and hasattr(raw, "options"):  # a Task object, not its result
            raise FlowDefinitionError(
                f"argument {arg!r} is the task {raw.options.name!r} itself, not its result",
                flow=self.flow,
                task=task,
                fix=f"call it: {raw.options.name}(...)",
            )
        if isinstance(raw, list | tuple) and _holds_refs(raw):
            return ListInput(items=tuple(self.value(v, task, arg) for v in raw))
        if isinstance(raw, dict) and _holds_refs(raw):
            bad = [k for k in raw if not isinstance(k, str)]
            if bad:
                raise FlowDefinitionError(
                    f"argument {arg!r} is a dict with a non-string key {bad[0]!r}",
                    flow=self.flow,
                    task=task,
                    fix="JSON objects have string keys",
                )
            return DictInput(items={k: self.value(v, task, arg) for k, v in raw.items()})
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
    if isinstance(value, TaskRef | ParamRef | unmapped):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_refs(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_refs(v) for v in value.values())
    return False
