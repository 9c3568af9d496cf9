"""Build-time tracing: what a flow body records when it calls tasks.

Inside a flow body, task calls return references (`TaskRef`), parameters are `ParamRef`s, and every
call is appended to the active `FlowBuilder`. `sdk/lowering.py` turns the recorded calls into the
graph's plain data, and `orchestrator.graph` validates it.
"""

from __future__ import annotations

import contextvars
from dataclasses import field
from typing import TYPE_CHECKING, Any

from orchestrator.errors import FlowDefinitionError
from orchestrator.records import record
from orchestrator.sdk.result_type import result_type, step_type

if TYPE_CHECKING:
    from orchestrator.sdk.task import Task

_ACTIVE: contextvars.ContextVar[FlowBuilder | None] = contextvars.ContextVar(
    "orchestrator_flow_builder", default=None
)

REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "<required>"})()


def active_builder() -> FlowBuilder | None:
    return _ACTIVE.get()


def require_builder(what: str) -> FlowBuilder:
    builder = _ACTIVE.get()
    if builder is None:
        raise FlowDefinitionError(
            f"{what}(...) was called outside a flow",
            fix="call it inside a @flow function or a `with Flow(...)` block",
        )
    return builder


class _Traced:
    """Behaviour shared by build-time references: refuse to be used as values."""

    def _describe(self) -> str:
        raise NotImplementedError

    def _task(self) -> str | None:
        return None

    def __bool__(self) -> bool:
        builder = _ACTIVE.get()
        raise FlowDefinitionError(
            f"{self._describe()} was used in an `if` or boolean test while the flow was being "
            "built; its value only exists when the flow runs",
            flow=builder.flow_name if builder else None,
            task=self._task(),
            fix="move the decision into a task (tasks receive real values)",
        )

    def __iter__(self) -> Any:
        builder = _ACTIVE.get()
        raise FlowDefinitionError(
            f"{self._describe()} was iterated while the flow was being built",
            flow=builder.flow_name if builder else None,
            task=self._task(),
            fix="use some_task.map(result) to run a task per item",
        )


@record(frozen=True)
class unmapped:  # noqa: N801 - Prefect's spelling
    """Pass `value` whole to every iteration of a `.map(...)` instead of mapping over it."""

    value: Any


@record(eq=False)
class TaskCall:
    """One call of a task in a flow body: a future node of the graph."""

    task: Task[Any, Any]
    args: dict[str, Any]
    mapped: bool
    upstream: list[TaskCall] = field(default_factory=list)
    #: The `with case(on, value):` blocks the call was made in, outermost first.
    cases: tuple[tuple[Any, Any], ...] = ()
    #: `.map(..., max_items=N)`: this call's size hint, over the task's `expected_items`.
    max_items: int | None = None


class TaskRef(_Traced):
    """The result of a task call, to be passed to other tasks. `ref["key"]`, `ref[0]` select
    part of it (a JSONPath step, evaluated by Step Functions)."""

    def __init__(
        self, call: TaskCall, path: tuple[str | int, ...] = (), declared: Any = None
    ) -> None:
        self.call = call
        self.path = path
        # The declared type of the value at `path` (sdk/result_type.py), found on first `[]`.
        self._declared = declared

    def _describe(self) -> str:
        return "its result"

    def _task(self) -> str | None:
        return self.call.task.name

    def __getitem__(self, key: str | int) -> TaskRef:
        step = _path_step(key, self._describe())
        declared = self._declared
        if declared is None:
            declared = result_type(self.call.task.fn, self.call.mapped)
        inner, impossible = step_type(declared, step)
        if impossible is not None:
            builder = _ACTIVE.get()
            selected = "".join(f"[{s!r}]" for s in (*self.path, step))
            raise FlowDefinitionError(
                f"{self.call.task.name}(){selected} cannot exist: {impossible}",
                flow=builder.flow_name if builder else None,
                task=self.call.task.name,
                fix="select a key the task's return type has, or change its annotation",
            )
        return TaskRef(self.call, self.path + (step,), inner)

    def __repr__(self) -> str:
        return f"<TaskRef {self.call.task.name}{''.join(f'[{k!r}]' for k in self.path)}>"

    def set_upstream(self, upstream: Any) -> None:
        """This task run waits for `upstream` (a result or a list of them), data or not."""
        self.call.upstream.extend(
            r.call for r in _refs(upstream, f"{self.call.task.name}.set_upstream")
        )

    def set_downstream(self, downstream: Any) -> None:
        for ref in _refs(downstream, f"{self.call.task.name}.set_downstream"):
            ref.call.upstream.append(self.call)


class ParamRef(_Traced):
    """A flow parameter, as seen while the flow is built."""

    def __init__(self, name: str, default: Any = REQUIRED, path: tuple[str | int, ...] = ()):
        self.name = name
        self.default = default
        self.path = path

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def _describe(self) -> str:
        return f"parameter {self.name!r}"

    def __getitem__(self, key: str | int) -> ParamRef:
        return ParamRef(self.name, self.default, self.path + (_path_step(key, self._describe()),))

    def __repr__(self) -> str:
        return f"<Parameter {self.name}>"


def Parameter(name: str, default: Any = REQUIRED, required: bool | None = None) -> Any:  # noqa: N802
    """A flow parameter (Prefect 1.x style): `n = Parameter("n", default=5)`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise FlowDefinitionError(
            f"parameter name {name!r} is not an identifier",
            fix="use letters, digits and _ (it becomes a key of the execution input)",
        )
    if required:
        default = REQUIRED
    ref = ParamRef(name, default)
    builder = _ACTIVE.get()
    if builder is not None:
        builder.add_parameter(ref)
    return ref


class FlowBuilder:
    """Collects the calls and parameters of one flow body while it is traced."""

    def __init__(self, flow_name: str) -> None:
        self.flow_name = flow_name
        self.calls: list[TaskCall] = []
        self.parameters: dict[str, ParamRef] = {}
        #: The open `with case(...)` blocks: (condition, value), outermost first.
        self.cases: list[tuple[Any, Any]] = []
        #: `set_reference_tasks(...)`: the calls whose states decide the run's (None: terminal).
        self.reference: list[TaskCall] | None = None
        self._token: contextvars.Token[FlowBuilder | None] | None = None

    def __enter__(self) -> FlowBuilder:
        if _ACTIVE.get() is not None:
            raise FlowDefinitionError(
                "flows cannot be nested while they are built",
                flow=self.flow_name,
                fix="define each flow on its own",
            )
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _ACTIVE.reset(self._token)
        self._token = None

    def add_parameter(self, ref: ParamRef) -> None:
        known = self.parameters.get(ref.name)
        if known is not None and known.default is not ref.default and known.default != ref.default:
            raise FlowDefinitionError(
                f"parameter {ref.name!r} is declared twice with different defaults",
                flow=self.flow_name,
                fix="declare each parameter once",
            )
        self.parameters.setdefault(ref.name, ref)

    def add_call(
        self,
        task: Task[Any, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        mapped: bool,
        upstream: Any,
        max_items: int | None = None,
    ) -> TaskRef:
        try:
            bound = task.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise FlowDefinitionError(
                f"called with arguments its function does not accept: {err}",
                flow=self.flow_name,
                task=task.name,
                fix=f"match the signature {task.name}{task.signature}",
                where=task.where,
            ) from None
        for value in bound.arguments.values():
            self._note_parameters(value)
        call = TaskCall(
            task, dict(bound.arguments), mapped, cases=tuple(self.cases), max_items=max_items
        )
        if upstream is not None:
            call.upstream.extend(r.call for r in _refs(upstream, f"{task.name}(upstream_tasks=)"))
        self.calls.append(call)
        return TaskRef(call)

    def _note_parameters(self, value: Any) -> None:
        if isinstance(value, unmapped):
            value = value.value
        if isinstance(value, ParamRef):
            self.add_parameter(ParamRef(value.name, value.default))
        elif isinstance(value, list | tuple):
            for item in value:
                self._note_parameters(item)
        elif isinstance(value, dict):
            for item in value.values():
                self._note_parameters(item)

    def set_reference(self, tasks: Any) -> None:
        """Prefect 1.x's `flow.set_reference_tasks`: results or Task objects (every call)."""
        items = tasks if isinstance(tasks, list | tuple | set) else [tasks]
        calls: list[TaskCall] = []
        for item in items:
            if isinstance(item, TaskRef):
                calls.append(item.call)
            elif self.calls_of(item):
                calls.extend(self.calls_of(item))
            else:
                raise FlowDefinitionError(
                    f"set_reference_tasks was given {item!r}, not a task of this flow",
                    flow=self.flow_name,
                    fix="pass what task calls returned (or tasks the flow calls)",
                )
        self.reference = list(dict.fromkeys(calls))

    def calls_of(self, task: object) -> list[TaskCall]:
        return [c for c in self.calls if c.task is task]

    def set_task_upstream(self, task: Task[Any, Any], upstream: Any) -> None:
        for call in self._calls_or_new(task):
            TaskRef(call).set_upstream(upstream)

    def set_task_downstream(self, task: Task[Any, Any], downstream: Any) -> None:
        for call in self._calls_or_new(task):
            TaskRef(call).set_downstream(downstream)

    def _calls_or_new(self, task: Task[Any, Any]) -> list[TaskCall]:
        # Prefect 1.x adds a task that was never called; here it must take no arguments.
        return self.calls_of(task) or [
            self.add_call(task, (), {}, mapped=False, upstream=None).call
        ]


def _refs(value: Any, what: str) -> list[TaskRef]:
    items = value if isinstance(value, list | tuple | set) else [value]
    out: list[TaskRef] = []
    for item in items:
        if isinstance(item, TaskRef):
            out.append(item)
        else:
            builder = _ACTIVE.get()
            calls = builder.calls_of(item) if builder is not None else []
            if calls:  # a Task object that was called in this flow: every call of it
                out.extend(TaskRef(c) for c in calls)
                continue
            raise FlowDefinitionError(
                f"{what} was given {item!r}, not the result of a task call",
                fix="pass what a task call returned, e.g. b.set_upstream(a_result)",
            )
    return out


def _path_step(key: Any, what: str) -> str | int:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise FlowDefinitionError(
            f"{what} was indexed with {key!r}", fix="index with a string key or an int position"
        )
    if isinstance(key, int) and key < 0:
        raise FlowDefinitionError(
            f"{what} was indexed with a negative position {key}",
            fix="Step Functions paths take positions from 0",
        )
    return key
