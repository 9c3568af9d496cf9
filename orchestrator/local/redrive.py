"""`redrive_run`: continue a failed local run from where it stopped, as RedriveExecution does.

The run store keeps, with each run, the definition it ran and where it stopped; the engine's
`redrive` continues it with AWS's semantics (`orchestrator/engine/redrive.py`): same run id and
ARN, same definition and input, only the unsuccessful states — and inside Parallel and Map states
only the unsuccessful branches and iterations — run again, and the history continues after an
`ExecutionRedriven` event. Task states call the flow's tasks as the code is now, as a redriven
execution on AWS invokes the Lambda functions as they are deployed now: fix the task, redrive.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

from orchestrator.engine.clock import Clock
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import HistoryEvent
from orchestrator.engine.redrive_execution import ExecutionNotRedrivable, redrive
from orchestrator.errors import OrchestratorError, ParameterError
from orchestrator.local.flowrun import (
    FlowRun,
    LocalMachine,
    invoker,
    local_definition,
    make_clock,
    summarise,
)
from orchestrator.local.recorder import Recorder
from orchestrator.local.store import PROCESS_EXITED, RunStore
from orchestrator.runtime.results import local_store


class RunNotRedrivable(OrchestratorError):
    """AWS's ExecutionNotRedrivable for a local run: the error's name, AWS's reason, the fix."""

    def __init__(self, run_id: str, reason: str, fix: str) -> None:
        self.run_id = run_id
        self.reason = reason
        super().__init__(f"ExecutionNotRedrivable: {reason} (run {run_id}). Fix: {fix}")


class RedriveUsesRecordedDefinition(UserWarning):
    """The flow's state machine changed since the run: the redrive runs the one it started with."""


def redrive_run(
    store: RunStore | None,
    run_id: str,
    machine: LocalMachine,
    *,
    clock: str | Clock = "real",
    on_event: Callable[[HistoryEvent], None] | None = None,
) -> FlowRun:
    """Redrive the run `run_id` (a run id, an ARN, or a unique prefix) of `machine`'s flow.

    `store` is the run store it is in (None: the default store). Returns the redriven run; raises
    RunNotRedrivable when AWS would refuse RedriveExecution (a SUCCEEDED or RUNNING run, one that
    ended over 14 days ago, ...), ParameterError when no such run exists or it is another flow's.
    """
    recorder = Recorder(store if store is not None else True)
    if recorder.store is None:  # the default store could not be opened: warned already
        raise ParameterError(f"run {run_id!r}: the run store cannot be opened")
    try:
        previous = _find(recorder.store, run_id)
        _check_machine(previous, machine)
        try:
            execution = redrive(
                previous,
                invoke=invoker(machine),
                objects=local_store(),
                clock=make_clock(clock),
                on_record=recorder.record,
                on_event=on_event,
            )
        except ExecutionNotRedrivable as refused:
            raise RunNotRedrivable(previous.name, str(refused), _fix(str(refused))) from None
        except KeyboardInterrupt as interrupt:
            aborted = recorder.aborted(machine.graph.name)
            if aborted is None:
                raise
            raise aborted from interrupt
    finally:
        recorder.close()
    return summarise(machine.graph, execution, execution.input)


def _find(store: RunStore, run_id: str) -> Execution:
    try:
        previous = store.get(run_id)
    except KeyError as err:
        raise ParameterError(
            f"{err.args[0]} in the run store {store.path}; see `orchestrator runs list`"
        ) from None
    if previous.error == PROCESS_EXITED and previous.progress is None:
        raise RunNotRedrivable(
            previous.name,
            "the process running it ended before it could record where the run stopped",
            "start a new run",
        )
    return previous


def _check_machine(previous: Execution, machine: LocalMachine) -> None:
    """The run must be this flow's; a changed state machine is worth a note, not a refusal."""
    graph = machine.graph
    if previous.state_machine != graph.resource_name:
        raise ParameterError(
            f"run {previous.name} is a run of state machine {previous.state_machine!r}, not of "
            f"flow {graph.name!r} ({graph.resource_name!r}); redrive it with its own flow"
        )
    if previous.definition is None:
        return  # refused by the engine, with AWS's reason
    current = local_definition(machine.definition)
    as_dict = json.loads(current) if isinstance(current, str) else current
    if as_dict != json.loads(previous.definition):
        warnings.warn(
            f"flow {graph.name!r} compiles to a different state machine than run "
            f"{previous.name} ran; the redrive runs the one it started with, as AWS does (its "
            "tasks run as the code is now). To run the new one, start a new run",
            RedriveUsesRecordedDefinition,
            stacklevel=3,
        )


def _fix(reason: str) -> str:
    if "SUCCEEDED" in reason:
        return "nothing to redrive: it succeeded. Start a new run to run the flow again"
    if "RUNNING" in reason:
        return "wait for the run to end (or stop it), then redrive it if it did not succeed"
    if "started before" in reason:
        return (
            "this run was recorded by an earlier orchestrator, which did not keep where runs "
            "stop; start a new run"
        )
    return "start a new run"
