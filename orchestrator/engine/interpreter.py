"""`execute`: run one execution of a state machine to completion, in-process.

`drive` is the part `execute` shares with `redrive` (redrive_execution.py): run the machine on
a lane, from its start or from where a redrive resumes it, and close the execution.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import Clock, RealClock
from .compiler import Machine, compile_definition
from .errors import BranchAborted, DefinitionError, ExecutionTimedOut, StatesError
from .execution import Execution
from .history import HistoryEvent, Recorder
from .jsonpath import dumps
from .lane import LambdaInvoker, Lane, Run, iso
from .objects import ObjectStore
from .program import run_program
from .progress import StatePlan, frontier
from .spec import (
    EXECUTION_MAX_OPEN_DAYS,
    EXPRESS_MAX_SECONDS,
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    STATE_MACHINE_TYPES,
)
from .state import check_size
from .steps import Steps, run_detached
from .variables import Scope

if TYPE_CHECKING:
    from .child_execution import StateMachines

OnRecord = Callable[[Execution], None]


def execute(
    definition: dict[str, Any] | str,
    input: Any = None,
    *,
    invoke: LambdaInvoker,
    clock: Clock | None = None,
    name: str | None = None,
    state_machine_name: str = "local",
    state_machine_type: str = "STANDARD",
    account: str = LOCAL_ACCOUNT,
    region: str = LOCAL_REGION,
    role_arn: str | None = None,
    on_record: OnRecord | None = None,
    on_event: Callable[[HistoryEvent], None] | None = None,
    objects: ObjectStore | None = None,
    machines: StateMachines | None = None,
) -> Execution:
    """Run `definition` on `input` and return the finished execution.

    Raises DefinitionError for a malformed or unsupported definition (before anything runs).
    A failing flow does not raise: the execution's `status` is FAILED with `error` and `cause`,
    and its `progress` says where it stopped (what `redrive` continues from).
    `on_record` is called with the execution when it starts and when it stops (a run store
    keeps it); `on_event` with every history event as it is recorded. `objects` is the store
    Distributed Maps' ItemReader and ResultWriter read and write (S3's place); without one, a Map
    that reads or exports through S3 fails with States.ItemReaderFailed/ResultWriterFailed.
    `machines` are those a startExecution.sync:2 Task may start, by ARN (child_execution.py).
    """
    if state_machine_type not in STATE_MACHINE_TYPES:
        raise DefinitionError(
            f"state_machine_type must be one of {', '.join(STATE_MACHINE_TYPES)}, "
            f"got {state_machine_type!r}"
        )
    machine = compile_definition(definition)
    clock = clock or RealClock()
    role_arn = role_arn or f"arn:aws:iam::{account}:role/orchestrator-local"
    name = name or str(uuid.uuid4())
    # Step Functions receives the input as JSON text: an absent input is `{}`.
    input_text = dumps({} if input is None else input)
    value = json.loads(input_text)
    prefix = f"arn:aws:states:{region}:{account}"
    if state_machine_type == "EXPRESS":
        # An Express execution's ARN: `express:<machine>:<name>:<id>` (Step Functions API,
        # StartExecution / DescribeExecution of an Express workflow).
        arn = f"{prefix}:express:{state_machine_name}:{name}:{uuid.uuid4()}"
    else:
        arn = f"{prefix}:execution:{state_machine_name}:{name}"
    start = clock.now()
    execution = Execution(
        execution_arn=arn,
        name=name,
        status="RUNNING",
        input=value,
        output=None,
        error=None,
        cause=None,
        start_date=start,
        stop_date=start,
        state_machine=state_machine_name,
        definition=machine.text,
    )
    lane = start_lane(
        machine,
        execution,
        invoke=invoke,
        clock=clock,
        objects=objects,
        on_event=on_event,
        role_arn=role_arn,
        machines=machines,
    )
    if on_record is not None:
        on_record(execution)
    lane.emit(
        "ExecutionStarted",
        {"input": input_text, "inputDetails": {"truncated": False}, "roleArn": role_arn},
    )
    # As in AWS, the first state's entered event has previous id 0, not ExecutionStarted's.
    lane.previous = 0
    return drive(machine, execution, lane, input_text, None, on_record)


def start_lane(
    machine: Machine,
    execution: Execution,
    *,
    invoke: LambdaInvoker,
    clock: Clock,
    objects: ObjectStore | None,
    on_event: Callable[[HistoryEvent], None] | None,
    role_arn: str,
    redriven: datetime | None = None,
    machines: StateMachines | None = None,
) -> Lane:
    """The runtime state of `execution` (whose `events` the recorder appends to, and whose
    delays it continues) and its top-level lane. The machine's TimeoutSeconds counts from now:
    from the start, or — "reset" by a redrive — from the redrive. Its region, account and type
    are read from its ARN."""
    recorder = Recorder(clock, on_event, execution.events)
    execution.events = recorder.events
    timeout = machine.timeout_seconds
    context: dict[str, Any] = {
        "Id": execution.execution_arn,
        "Name": execution.name,
        "Input": execution.input,
        "StartTime": iso(execution.start_date),
        "RoleArn": role_arn,
        "RedriveCount": execution.redrive_count,
    }
    if redriven is not None:
        # "RedriveTime Context object is only available if you've redriven an execution."
        context["RedriveTime"] = iso(redriven)
    machine_arn = ":".join(execution.execution_arn.split(":")[:5])
    _, _, _, region, _, kind, *_ = execution.execution_arn.split(":")
    run = Run(
        recorder=recorder,
        clock=clock,
        invoke=invoke,
        execution_context={
            "Execution": context,
            "StateMachine": {
                "Id": f"{machine_arn}:stateMachine:{execution.state_machine}",
                "Name": execution.state_machine,
            },
        },
        deadline=clock.now() + timedelta(seconds=timeout) if timeout is not None else None,
        objects=objects,
        delays=execution.recorded_delays,
        # "The maximum wait time that you can specify for Standard Workflows and Express
        # workflows is one year and five minutes respectively" (Wait state).
        max_wait=EXPRESS_MAX_SECONDS if kind == "express" else EXECUTION_MAX_OPEN_DAYS * 86_400,
        region=region,
        machines=machines,
    )
    variables = Scope() if machine.uses_variables else None
    return Lane(run, len(recorder.events), run.root, variables=variables)


def drive(
    machine: Machine,
    execution: Execution,
    lane: Lane,
    input_text: str,
    resume: StatePlan | None,
    on_record: OnRecord | None,
) -> Execution:
    """Run the machine on `lane` (from StartAt, or from `resume`) and close the execution.

    The lane runs on a thread of its own while this one waits (`steps.run_detached`): a task
    call that overruns its limit is left behind on its thread, and the execution goes on, and
    returns here, from another. Ctrl-C while waiting aborts the execution.
    """
    try:
        return run_detached(_drive(machine, execution, lane, input_text, resume, on_record))
    except KeyboardInterrupt:
        if _finish(execution, lane, "ABORTED", "ExecutionAborted", None, None):
            if on_record is not None:
                on_record(execution)
        raise


def _drive(
    machine: Machine,
    execution: Execution,
    lane: Lane,
    input_text: str,
    resume: StatePlan | None,
    on_record: OnRecord | None,
) -> Steps[Execution]:
    try:
        check_size(input_text, "ExecutionStarted", "input")
        output, output_text = yield from run_program(
            machine.program, lane, execution.input, input_text, resume
        )
    except StatesError as exc:
        _finish(execution, lane, "FAILED", "ExecutionFailed", exc.error, exc.cause)
    except ExecutionTimedOut:
        _finish(execution, lane, "TIMED_OUT", "ExecutionTimedOut", None, None)
    except (KeyboardInterrupt, BranchAborted):
        if _finish(execution, lane, "ABORTED", "ExecutionAborted", None, None):
            if on_record is not None:
                on_record(execution)
        raise
    else:
        if not lane.run.stop():
            return execution  # aborted meanwhile (Ctrl-C): that closed it
        recorder = lane.run.recorder
        execution.status = "SUCCEEDED"
        recorder.emit(
            lane.previous,
            "ExecutionSucceeded",
            {"output": output_text, "outputDetails": {"truncated": False}},
            None,
        )
        recorder.close()
        execution.output = json.loads(output_text) if output is not None else None
        execution.progress = None
        execution.stop_date = lane.run.clock.now()
    lane.run.root.abort()
    if on_record is not None:
        on_record(execution)
    return execution


def _finish(
    execution: Execution,
    lane: Lane,
    status: str,
    event: str,
    error: str | None,
    cause: str | None,
) -> bool:
    """Close the execution unsuccessfully; False if it was closed already."""
    # Stop abandoned branches and timed-out calls from adding events after the end.
    lane.run.root.abort()
    if not lane.run.stop():
        return False
    # An empty Error/Cause (a Fail state without them, a timeout) is absent, as in AWS.
    error, cause = error or None, cause or None
    execution.status = status
    execution.error = error
    execution.cause = cause
    details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    # No scope: the final event must be recorded even though the root scope is now aborted.
    lane.run.recorder.emit(lane.previous, event, details, None)
    lane.run.recorder.close()
    execution.progress = frontier(lane.track)
    execution.stop_date = lane.run.clock.now()
    return True
