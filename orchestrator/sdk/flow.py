"""`@flow` and `with Flow(name)`: a set of task calls that compiles to one state machine.

The flow object is the user's handle on everything else: `graph` (the validated `FlowGraph`),
`asl()` (the state machine), `run()` (a local run), `visualize()`. The SDK sits on top of those
layers and none of them imports it back; the methods load their layer on first use, so a task
module — what a Lambda imports — loads neither pydantic nor the planner.
"""

from __future__ import annotations

import inspect
import json
import sys
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, overload

from orchestrator.engine.spec import INLINE_MAP_MAX_CONCURRENCY
from orchestrator.errors import FlowDefinitionError, ParameterError
from orchestrator.sdk.durations import whole_seconds
from orchestrator.sdk.schedules import Schedule, parse_schedule
from orchestrator.sdk.task import Task, _max_concurrency, _memory
from orchestrator.sdk.tracing import REQUIRED, FlowBuilder, ParamRef

if TYPE_CHECKING:
    from orchestrator.durations import Weights
    from orchestrator.graph import FlowGraph
    from orchestrator.local import FlowRun, LocalMachine
    from orchestrator.planner import Plan
    from orchestrator.settings import ProjectSettings

FlowType = Literal["STANDARD", "EXPRESS"]


class Flow:
    """A flow: built from a decorated function or a `with Flow(name) as f:` block."""

    def __init__(
        self,
        name: str,
        schedule: Any = None,
        *,
        fn: Callable[..., Any] | None = None,
        max_concurrency: int = INLINE_MAP_MAX_CONCURRENCY,
        type: FlowType = "STANDARD",  # noqa: A002 - the Step Functions field is called Type
        timeout: int | timedelta | None = None,
        memory: int | None = None,
        resource_name: str | None = None,
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise FlowDefinitionError(f"flow name {name!r} is empty", fix='e.g. Flow("ETL")')
        self.name = name.strip()
        self._fn = fn
        try:
            self._schedule = parse_schedule(schedule)
            self.max_concurrency = _max_concurrency(self.name, max_concurrency) or 0
            self.default_memory = _memory(self.name, memory)
        except FlowDefinitionError as err:
            raise FlowDefinitionError(err.problem, flow=self.name, fix=err.fix) from None
        if type not in ("STANDARD", "EXPRESS"):
            raise FlowDefinitionError(
                f"type={type!r} is not a state machine type",
                flow=self.name,
                fix='use type="STANDARD" or type="EXPRESS"',
            )
        self.type: FlowType = type
        self.timeout = None if timeout is None else whole_seconds(timeout, option="flow timeout")
        self.resource_name = resource_name
        self.description = description or (inspect.getdoc(fn) if fn else None)
        code = getattr(fn, "__code__", None)
        #: The file and line the flow is defined at: a @flow's function, else set by `with`.
        self.source: str | None = f"{code.co_filename}:{code.co_firstlineno}" if code else None
        #: The module the flow is defined in (how `[tool.orchestrator] flows` names it).
        self.module: str | None = getattr(fn, "__module__", None)
        self._builder: FlowBuilder | None = None
        self._graph: FlowGraph | None = None
        self._plan: tuple[FlowGraph, Plan, Weights] | None = None
        self._project: tuple[ProjectSettings | None] | None = None
        self._return: Any = None
        self.executor: Any = None

    # -- Prefect 1.x context-manager style ---------------------------------------------------
    def __enter__(self) -> Flow:
        if self._fn is not None:
            raise FlowDefinitionError(
                "a @flow function cannot also be used as `with` block", flow=self.name
            )
        self._builder = FlowBuilder(self.name)
        self._builder.__enter__()
        self._graph = None
        caller = sys._getframe(1)
        self.source = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        self.module = caller.f_globals.get("__name__")
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        assert self._builder is not None
        self._builder.__exit__(exc_type, *rest)

    # -- options that Prefect 1.x code assigns -------------------------------------------------
    @property
    def schedule(self) -> Schedule | None:
        return self._schedule

    @schedule.setter
    def schedule(self, value: Any) -> None:
        try:
            self._schedule = parse_schedule(value)
        except FlowDefinitionError as err:
            raise err.in_flow(self.name) from None
        self._graph = None

    def __setattr__(self, key: str, value: Any) -> None:
        # `flow.executor = StepFunctionsExecutor(...)` makes `run()` run on AWS; a Prefect 1.x
        # executor (`LocalDaskExecutor()`, …) is accepted, and changes nothing.
        if key == "executor" and value is not None and not _runs_flows(value):
            _executor_has_no_effect(self.name, value, stacklevel=3)
        super().__setattr__(key, value)

    # -- the graph -----------------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, ParamRef]:
        return self._trace().parameters

    def _trace(self) -> FlowBuilder:
        if self._builder is not None:
            return self._builder
        if self._fn is None:
            raise FlowDefinitionError(
                "the flow has no tasks yet",
                flow=self.name,
                fix="call tasks inside `with Flow(...) as flow:`",
            )
        builder = FlowBuilder(self.name)
        params = _function_parameters(self.name, self._fn)
        for ref in params.values():
            builder.add_parameter(ref)
        with builder:
            self._return = self._fn(**params)
        self._builder = builder
        return builder

    @property
    def graph(self) -> FlowGraph:
        """The validated task graph (built once, on first use)."""
        if self._graph is None:
            from orchestrator.graph import build_graph
            from orchestrator.options import TaskDefaults
            from orchestrator.sdk.lowering import lower

            builder = self._trace()
            draft = lower(self, builder, self._return)
            project = self.project()
            defaults = project.task_defaults if project is not None else TaskDefaults()
            self._graph = build_graph(draft, defaults)
        return self._graph

    def project(self) -> ProjectSettings | None:
        """The project the flow belongs to: the nearest pyproject.toml with [tool.orchestrator]
        above its file (else above the working directory); its task defaults apply.

        Found once, with the graph it settled: a run never walks the file system again, and
        the committed-ASL check reads the very project whose defaults the graph holds.
        """
        from orchestrator.settings import project_of

        if self._project is None:
            self._project = (project_of(self.source_file),)
        return self._project[0]

    @property
    def source_file(self) -> str | None:
        return self.source.rpartition(":")[0] if self.source else None

    def set_reference_tasks(self, tasks: Any) -> None:
        """Prefect 1.x's reference tasks: the run's state is FAILED when one of these fails
        (or trigger-fails), whatever the other tasks did. Default: the terminal tasks."""
        self._trace().set_reference(tasks)
        self._graph = None

    def tasks(self) -> dict[str, Task[Any, Any]]:
        """Every task the flow calls, by task key (`module:qualname`)."""
        return {call.task.key: call.task for call in self._trace().calls}

    def plan(self) -> Plan:
        """The planner's output for this flow (ASL, notes, placeholders), computed once.

        Tasks are weighed as `orchestrator build` weighs them (`weights()`), so the machine a
        local run compiles is the one that deploys."""
        graph = self.graph
        if self._plan is None or self._plan[0] is not graph:
            from orchestrator.durations import weights_of
            from orchestrator.planner import plan_flow

            project = self.project()
            weights = weights_of(graph, project.root if project is not None else None)
            self._plan = (graph, plan_flow(graph, weights.durations), weights)
        return self._plan[1]

    def weights(self) -> Weights:
        """What the planner weighs each task by: its `estimate=`, else its duration recorded in
        the project's durations.json (`orchestrator durations record`), else 1 s."""
        self.plan()
        assert self._plan is not None
        return self._plan[2]

    def asl(self) -> dict[str, Any]:
        """The Step Functions state machine (ASL, JSONPath mode) this flow compiles to.

        Warns (`SynchronisationAdded`) when the flow is not series-parallel and the planner had
        to make some tasks wait for more than they depend on, (`HistoryBudgetExceeded`)
        when one execution would record more history events than Step Functions allows, and
        (`DefinitionOverQuota`) when the machine is too large to deploy.
        """
        plan = self.plan()
        for message, category in plan.warnings():
            warnings.warn(message, category, stacklevel=2)
        # A copy, so the caller may change it without changing the plan the flow runs; through
        # JSON, which is what the ASL is, at a third of deepcopy's cost (its memo of every object).
        return json.loads(json.dumps(plan.asl))

    def run(
        self, clock: Any = "real", committed: bool = False, executor: Any = None, **params: Any
    ) -> FlowRun:
        """Run the compiled state machine locally, in-process, and return the FlowRun.

        The ASL is compiled in memory from the code as it is now; if the project's committed
        `infra/statemachines/<flow>.asl.json` (what deploys) differs, a `StaleStateMachine`
        warning says so. `committed=True` runs the committed file itself instead, to reproduce
        what is deployed. `clock="virtual"` records Retry and Wait delays instead of sleeping
        them (for tests). The run's history is kept in the run store
        (`.orchestrator/runs.sqlite`, or the file named by ORCHESTRATOR_STORE).

        With `executor=StepFunctionsExecutor(stage="prod")` (`orchestrator.aws`), or one
        assigned to `flow.executor`, the flow runs on that deployed stage instead, and the
        FlowRun is read from its execution. A Prefect 1.x executor changes nothing (a warning
        says so): the run is local.
        """
        from orchestrator.local import run_flow
        from orchestrator.sdk.params import typed_params

        chosen = self.executor if executor is None else executor
        params = typed_params(self, params)  # `n: int` refuses n="abc" before anything runs
        if chosen is not None and _runs_flows(chosen):
            if clock != "real" or committed:
                raise ParameterError(
                    f"flow {self.name!r}: clock= and committed= apply to local runs; "
                    f"{chosen!r} runs what the stage has deployed"
                )
            return chosen.run_flow(self, params)
        if executor is not None:  # (one assigned to flow.executor warned then)
            _executor_has_no_effect(self.name, executor, stacklevel=3)
        return run_flow(self.local_machine(committed=committed), params, clock=clock)

    def local_machine(self, committed: bool = False) -> LocalMachine:
        """What a local run executes: the ASL (compiled, or the committed file) and, for each
        Task state's function, the task it runs."""
        from orchestrator.contract import placeholder
        from orchestrator.local import (
            LocalMachine,
            StaleStateMachine,
            committed_asl,
            committed_children,
            stale_note,
        )
        from orchestrator.settings import lists_flow

        graph, plan = self.graph, self.plan()
        tasks = self.tasks()
        handlers = {placeholder(n.function_id): tasks[n.task_key].fn for n in graph.nodes}
        # Only a flow the project ships has a committed machine; another flow that happens to
        # share its name (a copy in a test, a notebook) is not what deploys.
        project = self.project()
        shipped = project is not None and lists_flow(project, self.module, self.source_file)
        root = project.root if project is not None and shipped else None
        if committed:
            definition = committed_asl(graph, root)
            assert root is not None  # committed_asl refuses a flow the project does not ship
            children = committed_children(graph, root, definition)
            return LocalMachine(graph, definition, handlers, children=children)
        note = stale_note(graph, plan.text, root)
        if note is not None:
            warnings.warn(note, StaleStateMachine, stacklevel=3)
        children = {child.arn_key: child.asl for child in plan.children}
        return LocalMachine(graph, plan.asl, handlers, text=plan.text, children=children)

    def visualize(self, filename: str | None = None, *, flow_state: FlowRun | None = None) -> str:
        """Draw the task graph: DOT text, or a file (.dot, .mmd, .svg, .png).

        `flow_state=run` — the FlowRun `run()` returned, as Prefect 1.x's
        `flow.visualize(flow_state=state)` — draws that run: each task filled with its final
        state's colour at half opacity, the state written under its name. A mapped task stays
        one node, coloured by the map's outcome (Prefect 1.x drew a node per item; a map here
        may have 100,000: `orchestrator report` shows its items counted).
        """
        from orchestrator.local import FlowRun
        from orchestrator.viz import render_graph

        if isinstance(filename, FlowRun):
            raise TypeError("pass the run by name, flow.visualize(flow_state=run)")
        states = None
        if flow_state is not None:
            if not isinstance(flow_state, FlowRun):
                raise TypeError(
                    f"flow_state= takes the FlowRun that flow.run() returns, "
                    f"not {type(flow_state).__name__}"
                )
            if flow_state.flow != self.name:
                raise ParameterError(
                    f"flow_state is a run of flow {flow_state.flow!r}, not of {self.name!r}"
                )
            states = {task_id: run.state for task_id, run in flow_state.task_runs.items()}
        return render_graph(self.graph, filename, states)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"flow {self.name!r} is not called like a function: run it locally with "
            f".run(**params) (or `orchestrator run`), deploy it with `orchestrator build`"
        )

    def __repr__(self) -> str:
        return f"<Flow {self.name!r}>"


def _function_parameters(flow: str, fn: Callable[..., Any]) -> dict[str, ParamRef]:
    params: dict[str, ParamRef] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise FlowDefinitionError(
                f"parameter {p.name!r} of the flow function is *args, **kwargs or positional-only",
                flow=flow,
                fix="flow parameters are keys of the execution input: name each one",
            )
        default = REQUIRED if p.default is p.empty else p.default
        params[p.name] = ParamRef(p.name, default)
    return params


def _runs_flows(executor: Any) -> bool:
    """An executor that runs a flow itself (`run_flow(flow, params) -> FlowRun`), such as
    `orchestrator.aws.StepFunctionsExecutor`; Prefect 1.x executors do not."""
    return callable(getattr(executor, "run_flow", None))


def _executor_has_no_effect(flow: str, executor: Any, stacklevel: int) -> None:
    warnings.warn(
        f"flow {flow!r}: {type(executor).__name__} has no effect; Step Functions runs "
        "the flow (Parallel and Map states give it concurrency). To run on a deployed stage: "
        "flow.run(executor=orchestrator.aws.StepFunctionsExecutor(stage=...))",
        stacklevel=stacklevel,
    )


@overload
def flow(fn: Callable[..., Any], /) -> Flow: ...


@overload
def flow(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    schedule: Any = None,
    max_concurrency: int = INLINE_MAP_MAX_CONCURRENCY,
    type: FlowType = "STANDARD",  # noqa: A002
    timeout: int | timedelta | None = None,
    memory: int | None = None,
    resource_name: str | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], Flow]: ...


def flow(fn: Any = None, /, **options: Any) -> Any:
    """Declare a flow: its parameters are the function's parameters; its body calls tasks.

    Options: `name` (any Unicode; the AWS name is an ASCII slug of it), `schedule`
    ("rate(1 hour)", "cron(...)", IntervalSchedule, CronSchedule), `max_concurrency` of maps
    (default 40), `type` ("STANDARD" | "EXPRESS"), `timeout` of the whole run, default `memory`.
    """
    if fn is not None:
        return Flow(getattr(fn, "__name__", "flow"), fn=fn)

    def decorate(func: Callable[..., Any]) -> Flow:
        name = options.pop("name", None) or func.__name__
        return Flow(name, fn=func, **options)

    return decorate
