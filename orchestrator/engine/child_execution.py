"""`arn:aws:states:::states:startExecution.sync:2`: a Task state that runs another state machine.

The caller supplies the machines a Task may start, by ARN (`StateMachines`); the engine runs the
child execution itself — in-process, on the parent's clock, invoker and object store — and
records it in `StateMachines.executions`, as Step Functions keeps each child's own history.

What the parent's history shows follows the developer guide's "Run a Job (.sync)" pattern as
Step Functions records it for this integration (the snapshots LocalStack recorded against AWS,
which moto's parser reproduces): TaskScheduled, TaskStarted, TaskSubmitted (StartExecution's
response), then TaskSucceeded with DescribeExecution's response — `Input` and `Output` parsed
JSON, that is what `:2` changes — or TaskFailed with `States.TaskFailed` and that response as
JSON text for `Cause` (the child's own `Error` and `Cause` are in it). An ARN the caller does not
know fails the Task with `StepFunctions.StateMachineDoesNotExistException`, as StartExecution
does.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import RUNTIME, TASK_FAILED, StatesError
from .jsonpath import dumps
from .spec import START_EXECUTION_SYNC2
from .state import check_size
from .steps import Steps

if TYPE_CHECKING:
    from .execution import Execution
    from .lane import Lane

_RESOURCE = {"resourceType": "states", "resource": START_EXECUTION_SYNC2.rsplit(":::states:")[1]}
_PARAMETERS = frozenset({"StateMachineArn", "Input", "Name"})
DOES_NOT_EXIST = "StepFunctions.StateMachineDoesNotExistException"


@dataclass
class StateMachines:
    """The state machines a startExecution.sync:2 Task may start (ARN → definition, a dict or
    its JSON text), and every child execution started so far, in start order."""

    definitions: Mapping[str, dict[str, Any] | str]
    executions: list[Execution] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, execution: Execution) -> None:
        with self._lock:
            self.executions.append(execution)


def check_parameters(parameters: Any, where: str) -> None:
    """StartExecution's parameters, and nothing else (the API takes no other)."""
    from .errors import DefinitionError

    if not isinstance(parameters, dict):
        raise DefinitionError(f"{where}: {START_EXECUTION_SYNC2} needs Parameters (an object)")
    names = {k.removesuffix(".$") for k in parameters}
    unknown = sorted(names - _PARAMETERS)
    if unknown or "StateMachineArn" not in names:
        raise DefinitionError(
            f"{where}: the Parameters of {START_EXECUTION_SYNC2} are StateMachineArn (required), "
            f"Input and Name; got {', '.join(sorted(names))}"
        )


def run_child(lane: Lane, parameters: Any, timeout: int | None) -> Steps[Any]:
    """Start the child execution, wait for it, and return DescribeExecution's response (or fail
    the Task as Step Functions does)."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("StateMachineArn"), str):
        raise StatesError(RUNTIME, f"StartExecution needs a StateMachineArn: {dumps(parameters)}")
    text = dumps(parameters)
    check_size(text, "StartExecution", "input")
    run = lane.run
    lane.emit(
        "TaskScheduled",
        {**_RESOURCE, "region": run.region, "parameters": text}
        | ({"timeoutInSeconds": timeout} if timeout is not None else {}),
    )
    lane.emit("TaskStarted", dict(_RESOURCE))
    arn: str = parameters["StateMachineArn"]
    machines: StateMachines | None = run.machines
    definition = None if machines is None else machines.definitions.get(arn)
    if definition is None:
        cause = f"State Machine Does Not Exist: '{arn}'"
        lane.emit("TaskFailed", {**_RESOURCE, "error": DOES_NOT_EXIST, "cause": cause})
        raise StatesError(DOES_NOT_EXIST, cause)
    assert machines is not None
    child_input = parameters.get("Input", {})
    if isinstance(child_input, str):  # a string Input is the JSON text of the input
        child_input = json.loads(child_input)
    name = parameters.get("Name") or str(uuid.uuid4())
    _, _, _, region, account, _, machine_name = arn.split(":", 6)
    started = run.clock.now()
    execution_arn = f"arn:aws:states:{region}:{account}:execution:{machine_name}:{name}"
    submitted = {"ExecutionArn": execution_arn, "StartDate": _millis(started)}
    lane.emit("TaskSubmitted", {**_RESOURCE, "output": dumps(submitted)})

    def child() -> Execution:
        from .interpreter import execute  # the interpreter runs the Task that runs this

        return execute(
            definition,
            child_input,
            invoke=run.invoke,
            clock=run.clock,
            name=name,
            state_machine_name=machine_name,
            account=account,
            region=region,
            objects=run.objects,
            machines=machines,
        )

    execution: Execution = yield lane.call(child, timeout)
    machines.add(execution)
    response = describe(execution, arn)
    if execution.status != "SUCCEEDED":
        cause = dumps(response)
        lane.emit("TaskFailed", {**_RESOURCE, "error": TASK_FAILED, "cause": cause})
        raise StatesError(TASK_FAILED, cause)
    output = dumps(response)
    check_size(output, "states")
    lane.emit(
        "TaskSucceeded", {**_RESOURCE, "output": output, "outputDetails": {"truncated": False}}
    )
    return response


def describe(execution: Execution, state_machine_arn: str) -> dict[str, Any]:
    """DescribeExecution's response as the `.sync:2` integration returns it: Input and Output
    as JSON, dates in epoch milliseconds."""
    out: dict[str, Any] = {
        "ExecutionArn": execution.execution_arn,
        "Input": execution.input,
        "InputDetails": {"Included": True},
        "Name": execution.name,
    }
    if execution.status == "SUCCEEDED":
        out["Output"] = execution.output
        out["OutputDetails"] = {"Included": True}
    out.update(
        {
            "StartDate": _millis(execution.start_date),
            "StateMachineArn": state_machine_arn,
            "Status": execution.status,
            "StopDate": _millis(execution.stop_date),
        }
    )
    if execution.error is not None:
        out["Error"] = execution.error
    if execution.cause is not None:
        out["Cause"] = execution.cause
    return out


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
