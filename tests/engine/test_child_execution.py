"""startExecution.sync:2: a Task that runs a child state machine and waits for it.

Per the developer guide ("Start a new AWS Step Functions state machine from a running
execution"; "Run a Job (.sync)"): the Task's result is DescribeExecution's response, with Input
and Output as JSON for `.sync:2`; a child that fails fails the Task with States.TaskFailed, the
response as JSON for Cause (moto's ASL parser, derived from LocalStack's AWS-recorded snapshots,
does the same).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator.engine import DefinitionError, VirtualClock, execute
from orchestrator.engine.child_execution import DOES_NOT_EXIST, StateMachines
from orchestrator.engine.spec import START_EXECUTION_SYNC2

CHILD = "arn:aws:states:us-east-1:123456789012:stateMachine:child"


def parent(arn: str = CHILD, **extra: Any) -> dict[str, Any]:
    return {
        "StartAt": "Run child",
        "States": {
            "Run child": {
                "Type": "Task",
                "Resource": START_EXECUTION_SYNC2,
                "Parameters": {"StateMachineArn": arn, "Input.$": "$"},
                "OutputPath": "$.Output",
                "End": True,
                **extra,
            }
        },
    }


ADD_ONE = {
    "StartAt": "Add",
    "States": {
        "Add": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "End": True}
    },
}
FAIL = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "why"}}}


def no_lambda(name: str, payload: Any) -> Any:
    raise AssertionError("no function is invoked")


def test_the_child_runs_and_its_output_is_the_task_result() -> None:
    machines = StateMachines({CHILD: ADD_ONE})
    run = execute(parent(), {"n": 1}, invoke=no_lambda, clock=VirtualClock(), machines=machines)
    assert run.status == "SUCCEEDED" and run.output == {"n": 2}
    types = [e.type for e in run.events]
    assert types[1:8] == [
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    succeeded = next(e for e in run.events if e.type == "TaskSucceeded")
    response = json.loads(succeeded.details["output"])
    assert response["Input"] == {"n": 1} and response["Output"] == {"n": 2}  # JSON, not text
    assert response["Status"] == "SUCCEEDED" and response["StateMachineArn"] == CHILD
    (child,) = machines.executions
    assert child.execution_arn.startswith("arn:aws:states:us-east-1:123456789012:execution:child:")
    assert response["ExecutionArn"] == child.execution_arn


def test_a_failed_child_fails_the_task_with_states_task_failed_and_its_description() -> None:
    machines = StateMachines({CHILD: FAIL})
    run = execute(parent(), {}, invoke=no_lambda, clock=VirtualClock(), machines=machines)
    assert run.status == "FAILED" and run.error == "States.TaskFailed"
    assert run.cause is not None
    cause = json.loads(run.cause)
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "E", "why")
    assert "Output" not in cause


def test_an_unknown_machine_fails_as_start_execution_does() -> None:
    run = execute(parent(), {}, invoke=no_lambda, machines=StateMachines({}))
    assert run.status == "FAILED" and run.error == DOES_NOT_EXIST


def test_the_parameters_are_start_executions() -> None:
    spec = parent()
    spec["States"]["Run child"]["Parameters"]["Payload"] = 1
    with pytest.raises(DefinitionError, match="StateMachineArn"):
        execute(spec, {}, invoke=no_lambda)
