"""The FlowGraph model: nodes, inputs, options — pydantic, frozen, the single input downstream."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.options import TaskOptions

PathStep = str | int


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResultInput(_Model):
    """The result of another task run (or part of it, via `path`)."""

    kind: Literal["result"] = "result"
    node: str
    path: tuple[PathStep, ...] = ()


class ParamInput(_Model):
    """A flow parameter (or part of it)."""

    kind: Literal["param"] = "param"
    name: str
    path: tuple[PathStep, ...] = ()


class ConstInput(_Model):
    """A JSON constant written into the state machine."""

    kind: Literal["const"] = "const"
    value: Any


class ListInput(_Model):
    """A list holding at least one reference (compiled to `States.Array`)."""

    kind: Literal["list"] = "list"
    items: tuple[Input, ...]


class DictInput(_Model):
    """A dict holding at least one reference (compiled to a nested template)."""

    kind: Literal["dict"] = "dict"
    items: dict[str, Input]


Input = Annotated[
    ResultInput | ParamInput | ConstInput | ListInput | DictInput, Field(discriminator="kind")
]


class CaseCondition(_Model):
    """`with case(on, value):` around a task call: the task runs only when `on` equals `value`
    (a JSON scalar), and ends SKIPPED otherwise — Prefect 1.x's `case`, compiled to a Choice."""

    on: ResultInput | ParamInput
    value: str | bool | int | float | None


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
    mapped: dict[str, Input] = {}
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
        deps: list[str] = []
        for value in (*self.inputs.values(), *self.mapped.values()):
            deps.extend(result_nodes(value))
        return list(dict.fromkeys(deps))

    def case_dependencies(self) -> list[str]:
        """Ids of the nodes whose results decide this one's `case` conditions."""
        return [c.on.node for c in self.cases if isinstance(c.on, ResultInput)]

    def order_only_dependencies(self) -> list[str]:
        """Upstream edges that carry no data (`upstream_tasks=`, `set_upstream`)."""
        data = set(self.data_dependencies())
        return [u for u in self.upstream if u not in data]

    def dependencies(self) -> list[str]:
        """Ids of the nodes this one waits for: data inputs, case conditions, explicit edges."""
        return list(
            dict.fromkeys([*self.data_dependencies(), *self.case_dependencies(), *self.upstream])
        )


class ParameterSpec(_Model):
    name: str
    required: bool
    default: Any = None


class ScheduleSpec(_Model):
    expression: str
    timezone: str | None = None


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
