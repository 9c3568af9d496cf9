"""`redrive`: continue an unsuccessful execution from where it stopped, as RedriveExecution does.

What AWS documents (developer guide, "Restarting state machine executions with redrive in Step
Functions"; API reference, RedriveExecution), and what this module does:

* "Step Functions continues the failed execution from the unsuccessful step and uses the same
  input. [...] Redriven executions use the same state machine definition and execution ARN":
  the caller passes the definition the execution ran; the execution keeps its ARN, name, input
  and start date, and each lane re-enters the state it stopped in with that state's original
  input (`progress.py` keeps where each lane stopped).
* Parallel and Inline Map states "reschedule and redrive only those branches [iterations] that
  failed or aborted"; a Distributed Map redrives its Map Run (`MapRunRedriven`) and re-runs its
  unsuccessful children. Each re-entered state runs afresh: "the retry attempt count for these
  states is reset to 0", a Task's TimeoutSeconds starts over, and "the state machine level
  timeout, if defined, is reset".
* "Redriven executions append their event history to the existing event history": the history
  continues with an `ExecutionRedriven` event (`redriveCount`), then the redriven states' events.
  `$$.Execution.RedriveCount` is the number of redrives (0 before the first) and
  `$$.Execution.RedriveTime` the time of the last one ("only available if you've redriven an
  execution"); DescribeExecution's redriveCount/redriveDate are `Execution.redrive_count/_date`.
* Eligibility: refused with `ExecutionNotRedrivable`, whose message is the `redriveStatusReason`
  DescribeExecution documents for that case (`redrive_refusal`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta

from .clock import Clock, RealClock
from .compiler import compile_definition
from .execution import Execution
from .history import HistoryEvent
from .interpreter import OnRecord, drive, start_lane
from .jsonpath import dumps
from .lane import LambdaInvoker
from .objects import ObjectStore
from .progress import read_frontier
from .spec import EXECUTION_MAX_OPEN_DAYS, REDRIVABLE_PERIOD_DAYS, REDRIVE_MAX_HISTORY_EVENTS

# DescribeExecution's redriveStatusReason values, verbatim from the API reference.
RUNNING = "Execution is RUNNING and cannot be redriven"
SUCCEEDED = "Execution is SUCCEEDED and cannot be redriven"
BEFORE_REDRIVE = "Execution was started before the launch of RedriveExecution"
HISTORY_LIMIT = "Execution history event limit exceeded"
MAX_TIME = "Execution has exceeded the max execution time"
PERIOD_EXCEEDED = "Execution redrivable period exceeded"
# Not a redriveStatusReason: the API reference says "This API action is not supported by EXPRESS
# state machines" (Express executions keep no history to continue).
EXPRESS = "RedriveExecution is not supported by EXPRESS state machines"


class ExecutionNotRedrivable(Exception):
    """RedriveExecution's error "ExecutionNotRedrivable": "The execution Amazon Resource Name
    (ARN) that you specified for executionArn cannot be redriven." The message says why."""

    error = "ExecutionNotRedrivable"


def redrive_refusal(execution: Execution, now: datetime) -> str | None:
    """Why `execution` cannot be redriven at `now` (AWS's reason), or None if it can."""
    if ":express:" in execution.execution_arn:
        return EXPRESS
    if execution.status == "RUNNING":
        return RUNNING
    if execution.status == "SUCCEEDED":
        return SUCCEEDED
    if execution.progress is None:
        # Run before this engine kept where executions stop: AWS's reason for executions
        # started before RedriveExecution existed.
        return BEFORE_REDRIVE
    if len(execution.events) >= REDRIVE_MAX_HISTORY_EVENTS:
        return HISTORY_LIMIT
    if execution.stop_date - execution.start_date > timedelta(days=EXECUTION_MAX_OPEN_DAYS):
        return MAX_TIME
    if now - execution.stop_date > timedelta(days=REDRIVABLE_PERIOD_DAYS):
        return PERIOD_EXCEEDED
    return None


def redrive(
    execution: Execution,
    *,
    invoke: LambdaInvoker,
    clock: Clock | None = None,
    on_record: OnRecord | None = None,
    on_event: Callable[[HistoryEvent], None] | None = None,
    objects: ObjectStore | None = None,
) -> Execution:
    """Continue `execution` (unsuccessful, with its `definition` and `progress`) and return the
    redriven execution: same ARN, history continued, `redrive_count` one higher.

    Raises ExecutionNotRedrivable (before anything runs) when AWS would. `execution` itself is
    not changed. The other arguments are `execute`'s.
    """
    clock = clock or RealClock()
    now = clock.now()
    reason = redrive_refusal(execution, now)
    if reason is None and not execution.definition:
        reason = BEFORE_REDRIVE
    if reason is not None:
        raise ExecutionNotRedrivable(reason)
    assert execution.definition is not None and execution.progress is not None
    machine = compile_definition(execution.definition)
    if machine.uses_variables:
        # Where each lane stopped is kept, but not the variables each scope held then.
        raise ExecutionNotRedrivable(
            "The local engine does not redrive executions of state machines that use "
            "variables (Assign or $name references): the variables' values are not kept"
        )
    resume = read_frontier(execution.progress)
    redriven = Execution(
        execution_arn=execution.execution_arn,
        name=execution.name,
        status="RUNNING",
        input=copy.deepcopy(execution.input),
        output=None,
        error=None,
        cause=None,
        start_date=execution.start_date,
        stop_date=now,
        events=list(execution.events),
        state_machine=execution.state_machine,
        recorded_delays=list(execution.recorded_delays),
        redrive_count=execution.redrive_count + 1,
        redrive_date=now,
        definition=machine.text,
        # Until it stops, where it stood: a redrive whose process dies can be redriven again.
        progress=execution.progress,
    )
    lane = start_lane(
        machine,
        redriven,
        invoke=invoke,
        clock=clock,
        objects=objects,
        on_event=on_event,
        role_arn=started_role(execution),
        redriven=now,
    )
    if on_record is not None:
        on_record(redriven)
    lane.emit("ExecutionRedriven", {"redriveCount": redriven.redrive_count})
    return drive(machine, redriven, lane, dumps(redriven.input), resume, on_record)


def started_role(execution: Execution) -> str:
    """The role the execution started with (its ExecutionStarted event's roleArn)."""
    first = execution.events[0] if execution.events else None
    if first is not None and first.type == "ExecutionStarted" and first.details.get("roleArn"):
        return str(first.details["roleArn"])
    account = execution.execution_arn.split(":")[4]
    return f"arn:aws:iam::{account}:role/orchestrator-local"
