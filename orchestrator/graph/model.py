"""The FlowGraph model: nodes, inputs, options — frozen dataclasses, the single input downstream.

Plain dataclasses, not pydantic models: the graph is built from data the SDK has checked
already (`build.py` validates the whole), and the first plan in a fresh process should not pay
for importing pydantic and building validators it never runs. The pydantic spellings the code
and its tests use are kept: `model_copy(update=...)`, `model_dump()`,
`FlowGraph.model_validate(data)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, Literal, Self

from orchestrator.options import RetryDelay, TaskOptions
from orchestrator.records import record

PathStep = str | int


class _Model:
    """The pydantic spellings every model of the graph has (a plain base: `record`s have no
    dataclass base)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # each model's own

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with `update`'s fields replaced (not validated, as in pydantic)."""
        return dataclasses.replace(self, **(update or {}))

    def model_dump(self) -> dict[str, Any]:
        """The model as plain data (nested models and options as dicts, tuples kept)."""
        return dataclasses.asdict(self)


@record(frozen=True, kw_only=True)
class ResultInput(_Model):
    """The result of another task run (or part of it, via `path`)."""

    kind: Literal["result"] = "result"
    node: str
    path: tuple[PathStep, ...] = ()


@record(frozen=True, kw_only=True)
class ParamInput(_Model):
    """A flow parameter (or part of it)."""

    kind: Literal["param"] = "param"
    name: str
    path: tuple[PathStep, ...] = ()


@record(frozen=True, kw_only=True)
class ConstInput(_Model):
    """A JSON constant written into the state machine."""

    kind: Literal["const"] = "const"
    value: Any


@record(frozen=True, kw_only=True)
class ListInput(_Model):
    """A list holding at least one reference (compiled to `States.Array`)."""

    kind: Literal["list"] = "list"
    items: tuple[Input, ...]


@record(frozen=True, kw_only=True)
class DictInput(_Model):
    """A dict holding at least one reference (compiled to a nested template)."""

    kind: Literal["dict"] = "dict"
    items: dict[str, Input]


Input = ResultInput | ParamInput | ConstInput | ListInput | DictInput


@record(frozen=True, kw_only=True)
class CaseCondition(_Model):
    """`with case(on, value):` around a task call: the task runs only when `on` equals `value`
    (a JSON scalar), and ends SKIPPED otherwise — Prefect 1.x's `case`, compiled to a Choice."""

    on: ResultInput | ParamInput
    value: str | bool | int | float | None


@record(frozen=True, kw_only=True)
class TaskNode(_Model):
    """One task run of the flow: a Task state, or a Map state when `mapped` is non-empty.

    `options` are settled (`orchestrator.options.settle`): timeout and memory are set, and
    they are what the planner, the template and the engine all read.
    """

    id: str
    task_key: str
    function_id: str
    options: TaskOptions
    inputs: dict[str, Input]
    mapped: dict[str, Input] = field(default_factory=dict)
    upstream: tuple[str, ...] = ()
    cases: tuple[CaseCondition, ...] = ()
    #: Why a mapped node runs as an inline or a Distributed Map (`graph/map_mode.py`).
    map_reason: str = ""

    @property
    def task_name(self) -> str:
        return self.options.name

    @property
    def timeout(self) -> int:
        """The settled timeout: the Task state's TimeoutSeconds and the Lambda's Timeout."""
        assert self.options.timeout is not None, f"{self.id}: options were not settled"
        return self.options.timeout

    @property
    def memory(self) -> int:
        assert self.options.memory is not None, f"{self.id}: options were not settled"
        return self.options.memory

    @property
    def is_map(self) -> bool:
        return bool(self.mapped)

    def data_dependencies(self) -> list[str]:
        """Ids of the nodes whose results this one reads."""
        return list(self._data_dependency_ids)

    def case_dependencies(self) -> list[str]:
        """Ids of the nodes whose results decide this one's `case` conditions."""
        return [c.on.node for c in self.cases if isinstance(c.on, ResultInput)]

    def order_only_dependencies(self) -> list[str]:
        """Upstream edges that carry no data (`upstream_tasks=`, `set_upstream`)."""
        data = self._data_dependency_ids
        return [u for u in self.upstream if u not in data]

    def dependencies(self) -> list[str]:
        """Ids of the nodes this one waits for: data inputs, case conditions, explicit edges."""
        return list(self._dependency_ids)

    # Computed once per node: the planner asks each node for its dependencies several times,
    # and the node is frozen (a changed node is a new one, `model_copy`).
    @cached_property
    def _data_dependency_ids(self) -> dict[str, None]:
        """`data_dependencies()` as the keys of a dict (ordered, and quick to test)."""
        deps: list[str] = []
        for value in (*self.inputs.values(), *self.mapped.values()):
            deps.extend(result_nodes(value))
        return dict.fromkeys(deps)

    @cached_property
    def _dependency_ids(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys([*self._data_dependency_ids, *self.case_dependencies(), *self.upstream])
        )


@record(frozen=True, kw_only=True)
class ParameterSpec(_Model):
    """A flow parameter: its name, and its default when it is not required."""

    name: str
    required: bool
    default: Any = None


@record(frozen=True, kw_only=True)
class ScheduleSpec(_Model):
    """When the flow runs: an EventBridge Scheduler expression, in a time zone."""

    expression: str
    timezone: str | None = None


@record(frozen=True, kw_only=True)
class FlowGraph(_Model):
    """A validated flow: the single input of the planner, deploy and viz."""

    name: str
    resource_name: str
    description: str | None = None
    parameters: tuple[ParameterSpec, ...] = ()
    nodes: tuple[TaskNode, ...]
    output: Input | None = None
    schedule: ScheduleSpec | None = None
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    timeout_seconds: int | None = None
    source: str | None = None
    #: Prefect 1.x's reference tasks: the tasks whose states decide the run's. None: the
    #: terminal tasks (no downstream task), as in Prefect.
    reference_tasks: tuple[str, ...] | None = None

    def node(self, node_id: str) -> TaskNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def terminal_tasks(self) -> tuple[str, ...]:
        """Ids of the nodes no other node waits for."""
        waited_for = {dep for n in self.nodes for dep in n.dependencies()}
        return tuple(n.id for n in self.nodes if n.id not in waited_for)

    def reference_ids(self) -> tuple[str, ...]:
        """The tasks whose states decide the run's: set explicitly, else the terminal tasks."""
        if self.reference_tasks is not None:
            return self.reference_tasks
        return self.terminal_tasks()

    def edges(self) -> list[tuple[str, str]]:
        """(upstream id, downstream id) for every dependency, in node order."""
        return [(dep, n.id) for n in self.nodes for dep in n.dependencies()]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters if not p.required}

    @classmethod
    def model_validate(cls, data: Mapping[str, Any]) -> FlowGraph:
        """A graph from `model_dump()`'s plain data (lists read as tuples)."""
        output = data.get("output")
        schedule = data.get("schedule")
        reference = data.get("reference_tasks")
        return cls(
            name=data["name"],
            resource_name=data["resource_name"],
            description=data.get("description"),
            parameters=tuple(ParameterSpec(**p) for p in data.get("parameters", ())),
            nodes=tuple(_node(n) for n in data["nodes"]),
            output=None if output is None else _input(output),
            schedule=None if schedule is None else ScheduleSpec(**schedule),
            type=data.get("type", "STANDARD"),
            timeout_seconds=data.get("timeout_seconds"),
            source=data.get("source"),
            reference_tasks=None if reference is None else tuple(reference),
        )


def _node(data: Mapping[str, Any]) -> TaskNode:
    options = dict(data["options"])
    options["retry_delay"] = RetryDelay(**options.get("retry_delay", {}))
    for key, value in options.items():
        if isinstance(value, list):
            options[key] = tuple(value)
    return TaskNode(
        id=data["id"],
        task_key=data["task_key"],
        function_id=data["function_id"],
        options=TaskOptions(**options),
        inputs={k: _input(v) for k, v in data["inputs"].items()},
        mapped={k: _input(v) for k, v in data.get("mapped", {}).items()},
        upstream=tuple(data.get("upstream", ())),
        cases=tuple(
            CaseCondition(on=_reference(c["on"]), value=c["value"]) for c in data.get("cases", ())
        ),
        map_reason=data.get("map_reason", ""),
    )


def _reference(data: Mapping[str, Any]) -> ResultInput | ParamInput:
    found = _input(data)
    if not isinstance(found, ResultInput | ParamInput):
        raise ValueError(f"a case condition is on a task result or a parameter, not {data!r}")
    return found


def _input(data: Mapping[str, Any]) -> Input:
    """An input from its plain data, told apart by `kind` (pydantic's discriminator)."""
    kind = data.get("kind")
    if kind == "result":
        return ResultInput(node=data["node"], path=tuple(data.get("path", ())))
    if kind == "param":
        return ParamInput(name=data["name"], path=tuple(data.get("path", ())))
    if kind == "const":
        return ConstInput(value=data["value"])
    if kind == "list":
        return ListInput(items=tuple(_input(v) for v in data["items"]))
    if kind == "dict":
        return DictInput(items={k: _input(v) for k, v in data["items"].items()})
    raise ValueError(f"an input's kind is result, param, const, list or dict, not {kind!r}")


def references(value: Input) -> Iterator[ResultInput | ParamInput]:
    """Every task-result and parameter reference in `value`, at any depth."""
    if isinstance(value, ResultInput | ParamInput):
        yield value
    elif isinstance(value, ListInput):
        for item in value.items:
            yield from references(item)
    elif isinstance(value, DictInput):
        for item in value.items.values():
            yield from references(item)


def result_nodes(value: Input) -> list[str]:
    """Ids of the task results `value` refers to."""
    return [ref.node for ref in references(value) if isinstance(ref, ResultInput)]


def value_of(value: Input, results: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    """The value `value` stands for, given the tasks' results (`{node: {"value": ...}}`, as the
    state document holds them) and the flow's parameters."""
    if isinstance(value, ResultInput):
        return _walk(results[value.node]["value"], value.path)
    if isinstance(value, ParamInput):
        return _walk(params.get(value.name), value.path)
    if isinstance(value, ConstInput):
        return value.value
    if isinstance(value, ListInput):
        return [value_of(v, results, params) for v in value.items]
    if isinstance(value, DictInput):
        return {k: value_of(v, results, params) for k, v in value.items.items()}
    raise TypeError(value)


def _walk(value: Any, path: tuple[PathStep, ...]) -> Any:
    for step in path:
        value = value[step]
    return value
