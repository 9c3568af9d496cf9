"""A local run: a flow's state machine interpreted by the engine, tasks run by the runtime handler.

Nothing here calls task functions in DAG order: the engine walks the state machine (the planner's,
or the committed file), and each Task state invokes its task through
`orchestrator.runtime.handler.execute_task`, the code the task's Lambda runs. The input is plain
data — a `LocalMachine`: the graph, the ASL, and the function each Task state's `FunctionName`
stands for — and the result is read back into a `FlowRun`: state, the flow's result, one
`TaskRun` per task and the history.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.contract import LOCAL_RESULTS_BUCKET, RESULTS_BUCKET_SUBSTITUTION, substitution
from orchestrator.engine.child_execution import StateMachines
from orchestrator.engine.clock import Clock, RealClock, VirtualClock
from orchestrator.engine.errors import LambdaFunctionError
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import HistoryEvent, StateAttribution
from orchestrator.engine.interpreter import execute
from orchestrator.engine.lambda_response import LambdaResponse
from orchestrator.errors import ParameterError
from orchestrator.graph import FlowGraph, value_of
from orchestrator.local.children import child_machines
from orchestrator.local.recorder import Recorder
from orchestrator.local.store import RunStore
from orchestrator.planner.fusion import Fusion, fusion_of
from orchestrator.planner.start import failed_start_name
from orchestrator.runtime.error_payload import error_cause, error_payload
from orchestrator.runtime.handler import execute_task
from orchestrator.runtime.results import local_store, resolve_refs
from orchestrator.runtime.upstream import marker_state, strip_markers

_TERMINAL_FAILURES = {"TaskFailed": "FAILED", "TaskTimedOut": "TIMED_OUT"}
# What an event type says of its task: a state entered or exited, an attempt (a task scheduled),
# the item a Map iteration runs, a failure; or nothing (_PASSING: only its place in the history).
_ENTERED, _EXITED, _SCHEDULED, _ITERATION = "entered", "exited", "scheduled", "iteration"
_FAILURE, _MAP_FAILED, _PASSING = "failure", "map failed", "passing"
_ROLES = {
    "TaskScheduled": _SCHEDULED,
    "LambdaFunctionScheduled": _SCHEDULED,
    "MapIterationStarted": _ITERATION,
    **dict.fromkeys(_TERMINAL_FAILURES, _FAILURE),
    "MapStateFailed": _MAP_FAILED,
}


@dataclass(frozen=True)
class LocalMachine:
    """What a local run executes: plain data, no SDK objects."""

    graph: FlowGraph
    definition: dict[str, Any]
    #: A Task state's `FunctionName` as the ASL holds it (`${CleanFunctionArn}`) → the task's
    #: function, which the runtime handler calls as the Lambda would.
    handlers: Mapping[str, Callable[..., Any]]
    #: `definition` as JSON text, when the caller has it already (the planner's): a run then
    #: hands the engine this text instead of serialising a large definition again.
    text: str | None = None
    #: A split flow's child machines: the parent's placeholder key of each child's ARN → its ASL.
    children: Mapping[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class TaskRun:
    """One task of the flow as it ran: a Task state, or a Map state's iterations together."""

    id: str
    task: str
    #: SUCCEEDED | FAILED | TIMED_OUT | SKIPPED | TRIGGER_FAILED | NOT_RUN
    state: str = "NOT_RUN"
    attempts: int = 0
    iterations: int | None = None  # mapped tasks: how many items
    started: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    cause: str | None = None
    result: Any = None  # the task's return value (a mapped task: the list of them)

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return (self.finished - self.started).total_seconds()


#: What a FlowRun folds its history into when first asked: its task runs, and from them the
#: flow's result.
Fold = Callable[[], dict[str, TaskRun]]
_UNSET: Any = object()


@dataclass
class FlowRun:
    """The outcome of `flow.run()`.

    `task_runs` (and `result`, where it is read from them) are folded from the history when
    first read, not when the run ends: a run's caller often looks at its state only, and the
    fold costs about as much per state as the engine's own bookkeeping. The history is complete
    when the run returns, so the fold gives the same answer whenever it runs.
    """

    flow: str
    execution: Execution
    params: dict[str, Any]
    #: Folds the history into task runs on first use (None: they were given).
    fold: Fold | None = field(default=None, repr=False, compare=False)
    #: The flow's result, given its task runs (None: `result` was given).
    result_of: Callable[[Mapping[str, TaskRun]], Any] | None = field(
        default=None, repr=False, compare=False
    )
    _task_runs: dict[str, TaskRun] | None = field(default=None, repr=False)
    _result: Any = field(default=_UNSET, repr=False)

    @property
    def task_runs(self) -> dict[str, TaskRun]:
        if self._task_runs is None:
            self._task_runs = self.fold() if self.fold is not None else {}
        return self._task_runs

    @task_runs.setter
    def task_runs(self, runs: dict[str, TaskRun]) -> None:
        self._task_runs = runs

    @property
    def result(self) -> Any:
        if self._result is _UNSET:
            self._result = None if self.result_of is None else self.result_of(self.task_runs)
        return self._result

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value

    @property
    def state(self) -> str:
        return self.execution.status

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    @property
    def run_id(self) -> str:
        return self.execution.name

    @property
    def error(self) -> str | None:
        return self.execution.error

    @property
    def cause(self) -> str | None:
        return self.execution.cause

    @property
    def events(self) -> list[HistoryEvent]:
        return self.execution.events

    def delays(self) -> list[tuple[str, float]]:
        """(state, seconds) of every retry wait and Wait state, as the clock recorded them."""
        return self.execution.delays()

    def __repr__(self) -> str:
        return f"<FlowRun {self.flow!r} {self.state} {self.run_id}>"


def check_params(graph: FlowGraph, params: dict[str, Any]) -> dict[str, Any]:
    """The execution input for `params`: unknown or missing parameters are a ParameterError."""
    known = {p.name: p for p in graph.parameters}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(
            f"flow {graph.name!r} has no parameter {unknown[0]!r}; its parameters are: "
            + (", ".join(known) or "(none)")
        )
    missing = [p.name for p in graph.parameters if p.required and p.name not in params]
    if missing:
        raise ParameterError(
            f"flow {graph.name!r} needs parameter {missing[0]!r}; pass it, e.g. "
            f"--param {missing[0]}=... or flow.run({missing[0]}=...)"
        )
    try:
        return json.loads(json.dumps(params, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ParameterError(f"flow {graph.name!r}: parameters must be JSON ({err})") from None


def make_clock(clock: str | Clock) -> Clock:
    if clock == "real":
        return RealClock()
    if clock == "virtual":
        return VirtualClock()
    if isinstance(clock, str):
        raise ParameterError(f"clock={clock!r} is not a clock; use 'real' or 'virtual'")
    return clock


def invoker(machine: LocalMachine) -> Callable[[str, Any], Any]:
    """Each Task state's FunctionName resolved to its task, run through the runtime handler."""
    handlers, flow = machine.handlers, machine.graph.name

    def invoke(function_name: str, payload: Any) -> Any:
        fn = handlers.get(function_name)
        if fn is None:
            raise LambdaFunctionError(
                "Lambda.ResourceNotFoundException",
                f"no task of flow {flow!r} is deployed as {function_name}",
            )
        try:
            # The engine makes up the request id of a successful invocation (a cheap PRNG).
            return LambdaResponse(execute_task(fn, payload))
        except Exception as exc:  # a task's exception is its Lambda's unhandled error
            cause = error_cause(error_payload(exc, str(uuid.uuid4())))
            raise LambdaFunctionError(type(exc).__name__, cause) from exc
        except SystemExit as exc:  # on Lambda, an exiting handler fails its invocation
            details = error_payload(exc, str(uuid.uuid4()))
            details["errorMessage"] = (
                f"the task called sys.exit({exc.code!r}); a task ends by returning or raising"
            )
            raise LambdaFunctionError("SystemExit", error_cause(details)) from exc

    return invoke


def run_flow(
    machine: LocalMachine,
    params: dict[str, Any],
    *,
    clock: str | Clock = "real",
    store: RunStore | None | bool = True,
    on_event: Callable[[HistoryEvent], None] | None = None,
) -> FlowRun:
    """Run `machine` locally on `params` and summarise the execution."""
    graph = machine.graph
    execution_input = check_params(graph, params)
    recorder = Recorder(store)
    definition = local_definition(machine.definition if machine.text is None else machine.text)
    definition, machines = child_machines(definition, machine.children, graph.resource_name)
    try:
        try:
            execution = execute(
                definition,
                execution_input,
                invoke=invoker(machine),
                objects=local_store(),  # the results bucket of a Distributed Map's reader/writer
                clock=make_clock(clock),
                state_machine_name=graph.resource_name,
                state_machine_type=graph.type,
                on_record=recorder.record,
                on_event=on_event,
                machines=machines,
            )
        except KeyboardInterrupt as interrupt:
            aborted = recorder.aborted(graph.name)
            if aborted is None:
                raise
            raise aborted from interrupt
        # Summarised while the store's thread writes the end of the run.
        return summarise(graph, execution, execution_input, machines)
    finally:
        recorder.close()


def local_definition(definition: dict[str, Any] | str) -> dict[str, Any] | str:
    """The definition (a dict, or its JSON text) as a local run executes it: the results
    bucket's placeholder is the local results bucket, as DefinitionSubstitutions makes it the
    real one when deployed (function placeholders stay: the invoker resolves them). The engine
    never mutates the definition."""
    marker = substitution(RESULTS_BUCKET_SUBSTITUTION)
    text = definition if isinstance(definition, str) else json.dumps(definition)
    if marker in text:
        return text.replace(marker, LOCAL_RESULTS_BUCKET)
    return definition


def summarise(
    graph: FlowGraph,
    execution: Execution,
    params: dict[str, Any],
    machines: StateMachines | None = None,
) -> FlowRun:
    def fold() -> dict[str, TaskRun]:
        runs = task_runs(graph, execution)
        for child in machines.executions if machines is not None else ():
            # A split flow's tasks ran in child executions, each with a history of its own.
            ran = task_runs_of(graph, child.events)
            runs.update({k: r for k, r in ran.items() if r.state != "NOT_RUN"})
        return runs

    run = FlowRun(flow=graph.name, execution=execution, params=params, fold=fold)
    result = flow_result(graph, execution.status, execution.output, None)
    if result is _FROM_TASK_RUNS:
        run.result_of = lambda runs: flow_result(graph, execution.status, execution.output, runs)
    else:
        run.result = result
    return run


#: `flow_result` without task runs, for a result that is read from them.
_FROM_TASK_RUNS: Any = object()


def flow_result(
    graph: FlowGraph, status: str, output: Any, runs: Mapping[str, TaskRun] | None
) -> Any:
    """What the flow returned, read from an execution's output (local, moto or AWS); with
    `runs` None, `_FROM_TASK_RUNS` where it must be read from the task runs instead."""
    if status != "SUCCEEDED":
        return None
    document = output if isinstance(output, dict) else {}
    # Large results were stored by reference; skipped and failed tasks left markers.
    results = strip_markers(resolve_refs(document.get("results", {})))
    if graph.output is not None and results:
        return value_of(graph.output, results, document.get("params", {}))
    # The output keeps only the final results (docs/data-contract.md); every task's value is in
    # the history, where its state exited.
    if runs is None:
        return _FROM_TASK_RUNS
    return {k: t.result for k, t in runs.items() if t.state == "SUCCEEDED"}


def _parsed(output: Any) -> Any:
    try:
        return json.loads(output) if isinstance(output, str) else output
    except ValueError:
        return None


def _caught_error(doc: Any) -> bool:
    """Whether a task state's output is its caught error, not a state document: a caught first
    task's Catch leaves the error alone (planner/start.py), and the state after it records it."""
    return isinstance(doc, dict) and "Error" in doc and "results" not in doc


def _result_in(document: Any, node: str) -> Any:
    """The value a state that just exited stored for `node` in the state document."""
    try:
        doc = json.loads(document) if isinstance(document, str) else document
        return resolve_refs(doc["results"][node]["value"])
    except (TypeError, KeyError, ValueError, OSError):
        return None


def task_runs(graph: FlowGraph, execution: Execution) -> dict[str, TaskRun]:
    """Fold the history into one TaskRun per node: attempts, timing, outcome, last error."""
    return task_runs_of(graph, execution.events)


def task_runs_of(graph: FlowGraph, events: list[HistoryEvent]) -> dict[str, TaskRun]:
    """`task_runs` of any execution's history: a local one, or Step Functions' (moto, AWS).

    The tasks of a fused Map (`planner/fusion.py`) but its last have no state of their own:
    each starts with its first item, and ends with the Map; its result is read from its items'
    states where the history holds them (an inline Map's, not a Distributed Map's children on
    AWS). A fused Map that fails is the failure of the task whose item failed; the chain's other
    tasks stay NOT_RUN, as the Map stopped them."""
    layout = _layout_of(graph)
    fusion, mapped, node_of_state = layout.fusion, layout.mapped, layout.node_of_state
    fused_items: dict[str, dict[int, Any]] = {m: {} for m in fusion.inner}
    runs = {n.id: TaskRun(id=n.id, task=n.task_name) for n in graph.nodes}
    state_of = StateAttribution()
    # An iteration's first state follows its MapIterationStarted: which item it is, so an item
    # a redrive runs again is counted once.
    item_of: dict[int, int] = {}
    items_seen: set[tuple[str, int]] = set()
    outcome_of: dict[str | None, str | None] = {}  # _outcome_node, once per state name
    roles = dict(_ROLES)  # event type → what it says of its task; others are added once each
    for event in events:
        state = state_of(event)  # every event: a later one may follow it in its chain
        role = roles.get(event.type)
        if role is None:
            role = roles[event.type] = _role_of(event.type)
        if role is _PASSING:
            continue
        if role is _ITERATION:
            item_of[event.id] = int(event.details.get("index", -1))
            continue
        if role is _EXITED:
            if state in outcome_of:
                outcome = outcome_of[state]
            else:
                outcome = outcome_of[state] = _outcome_node(state, layout.outcome_of_state)
            if outcome is not None:
                _record(runs[outcome], event, outcome, mapped)
                continue
        node = node_of_state.get(state) if state is not None else None
        if node is None:
            continue
        run = runs[node]
        top_level = state == node
        if role is _ENTERED:
            if top_level or node in fused_items:
                run.started = run.started or event.timestamp
            if not top_level and event.type == "TaskStateEntered":  # a Map iteration's task
                item = item_of.get(event.previous_event_id)
                if item is None or (node, item) not in items_seen:
                    run.iterations = (run.iterations or 0) + 1
                if item is not None:
                    items_seen.add((node, item))
        elif role is _EXITED:
            if top_level:
                _record(run, event, node, mapped)
                for member in fusion.chain(node)[:-1]:
                    _record_fused(runs[member], run, fused_items[member])
            elif node in fused_items:
                _fused_item(fused_items[node], event, node)
        elif role is _SCHEDULED:
            run.attempts += 1
        elif role is _FAILURE:
            run.error = event.details.get("error")
            run.cause = event.details.get("cause")
            run.state = _TERMINAL_FAILURES[event.type]
            run.finished = event.timestamp
        elif role is _MAP_FAILED:
            run.finished = event.timestamp
            if run.state == "NOT_RUN" and not _chain_failed(fusion, node, runs):
                run.state = "FAILED"
    for run in runs.values():
        if run.state in ("SUCCEEDED", "SKIPPED"):  # earlier attempts failed, the last did not
            run.error = None
            run.cause = run.cause if run.state == "SKIPPED" else None
    return runs


@dataclass(frozen=True)
class _Layout:
    """What summarising a history needs of the graph alone: the same for every run of it."""

    fusion: Fusion
    mapped: frozenset[str]
    #: A state's name → the task it runs: the task's own, or a Map's iteration ("<id> item").
    node_of_state: dict[str, str]
    #: A gate's outcome states → the task they record as skipped or trigger-failed
    #: (planner/control.py).
    outcome_of_state: dict[str, str]


# The layouts of the graphs last summarised, by identity (graphs are frozen, but not hashable:
# their nodes hold dicts); each kept with its graph, so that an id is not reused while cached.
_LAYOUTS: dict[int, tuple[FlowGraph, _Layout]] = {}
_LAYOUTS_KEPT = 64


def _layout_of(graph: FlowGraph) -> _Layout:
    cached = _LAYOUTS.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    node_of_state = {n.id: n.id for n in graph.nodes}
    node_of_state.update({f"{n.id} item": n.id for n in graph.nodes if n.is_map})
    layout = _Layout(
        fusion=fusion_of(graph),
        mapped=frozenset(n.id for n in graph.nodes if n.is_map),
        node_of_state=node_of_state,
        # A gate's outcome states record the task as skipped or trigger-failed
        # (planner/control.py); the state after a caught first task that failed, as failed
        # (planner/start.py).
        outcome_of_state={
            name: n.id
            for n in graph.nodes
            for name in (f"{n.id} skipped", f"{n.id} trigger failed", failed_start_name(n.id))
        },
    )
    if len(_LAYOUTS) >= _LAYOUTS_KEPT:
        _LAYOUTS.clear()
    _LAYOUTS[id(graph)] = (graph, layout)
    return layout


def _role_of(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return _ENTERED
    if event_type.endswith("StateExited"):
        return _EXITED
    return _PASSING


def _outcome_node(state: str | None, outcome_of_state: dict[str, str]) -> str | None:
    if state is None:
        return None
    found = outcome_of_state.get(state)
    if found is None and state.endswith(")") and " trigger failed (" in state:
        found = outcome_of_state.get(state.partition(" (")[0])
    return found


def _record(run: TaskRun, event: HistoryEvent, node: str, mapped: AbstractSet[str]) -> None:
    """The task's state as its value in the document says (a marker, or a result)."""
    doc = _parsed(event.details.get("output"))
    if _caught_error(doc):  # its TaskFailed event recorded the failure
        return
    value = _result_in(doc, node)
    run.finished = event.timestamp
    run.state, error, cause = marker_state(value, mapped=node in mapped)
    if run.state != "SUCCEEDED":
        run.error, run.cause = error, cause
    run.result = strip_markers(value)


def _fused_item(items: dict[int, Any], event: HistoryEvent, node: str) -> None:
    """An item of a fused Map's inner task: its result, from the iteration's document."""
    try:
        output = event.details.get("output")
        doc: Any = json.loads(output) if isinstance(output, str) else output
        items[int(doc["index"])] = doc["results"][node]["value"]
    except (TypeError, KeyError, ValueError):
        return


def _record_fused(run: TaskRun, last: TaskRun, items: dict[int, Any]) -> None:
    """An inner task of a fused Map, once the Map has ended: its list, when the history held
    every item (the last task's list says how many)."""
    run.finished = last.finished
    count = len(last.result) if isinstance(last.result, list) else None
    if count is None or sorted(items) != list(range(count)):
        run.state = "SUCCEEDED"
        return
    value = resolve_refs([items[i] for i in range(count)])
    run.state, error, cause = marker_state(value, mapped=True)
    if run.state != "SUCCEEDED":
        run.error, run.cause = error, cause
    run.result = strip_markers(value)


def _chain_failed(fusion: Fusion, node: str, runs: Mapping[str, TaskRun]) -> bool:
    """Whether an inner task of the fused Map `node` failed it."""
    return any(runs[m].state in ("FAILED", "TIMED_OUT") for m in fusion.chain(node)[:-1])
