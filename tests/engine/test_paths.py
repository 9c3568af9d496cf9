"""Paths, the context object and path errors (States.Runtime with AWS's wording)."""

from __future__ import annotations

from .conftest import machine, run, task


def test_context_object() -> None:
    ex = run(
        machine(
            A={
                "Type": "Pass",
                "Parameters": {
                    "id.$": "$$.Execution.Id",
                    "name.$": "$$.Execution.Name",
                    "input.$": "$$.Execution.Input",
                    "start.$": "$$.Execution.StartTime",
                    "role.$": "$$.Execution.RoleArn",
                    "sm.$": "$$.StateMachine.Name",
                    "smid.$": "$$.StateMachine.Id",
                    "state.$": "$$.State.Name",
                    "entered.$": "$$.State.EnteredTime",
                },
                "End": True,
            }
        ),
        {"k": 1},
        name="run-1",
        state_machine_name="flow",
    )
    out = ex.output
    assert out["id"] == "arn:aws:states:us-east-1:123456789012:execution:flow:run-1"
    assert out["name"] == "run-1" and out["input"] == {"k": 1}
    assert out["sm"] == "flow" and out["smid"].endswith(":stateMachine:flow")
    assert out["state"] == "A"
    assert out["start"].endswith("Z") and out["entered"] >= out["start"]
    assert out["role"] == "arn:aws:iam::123456789012:role/orchestrator-local"


def test_context_object_where_the_caller_says_it_runs() -> None:
    ex = run(
        machine(A={"Type": "Pass", "InputPath": "$$", "End": True}),
        {"k": 1},
        name="run-1",
        state_machine_name="flow",
        account="111122223333",
        region="eu-west-3",
        role_arn="arn:aws:iam::111122223333:role/runner",
    )
    assert ex.execution_arn == "arn:aws:states:eu-west-3:111122223333:execution:flow:run-1"
    assert ex.events[0].details["roleArn"] == "arn:aws:iam::111122223333:role/runner"
    context = ex.output
    assert context["Execution"]["RoleArn"] == "arn:aws:iam::111122223333:role/runner"
    assert context["StateMachine"] == {
        "Id": "arn:aws:states:eu-west-3:111122223333:stateMachine:flow",
        "Name": "flow",
    }
    # A Pass state's context has no RetryCount (LocalStack's AWS-recorded context_object
    # snapshot: State holds Name and EnteredTime).
    assert set(context["State"]) == {"Name", "EnteredTime"}


def test_retry_count_is_a_task_states_only() -> None:
    ex = run(
        machine(
            T=task(Parameters={"FunctionName": "f", "Payload": {"n.$": "$$.State.RetryCount"}}),
        )
    )
    assert ex.output == {"n": 0}
    ex = run(machine(P={"Type": "Pass", "Parameters": {"n.$": "$$.State.RetryCount"}, "End": True}))
    assert ex.error == "States.Runtime"


def test_an_unknown_state_machine_type_is_refused() -> None:
    import pytest

    from orchestrator.engine import DefinitionError

    with pytest.raises(DefinitionError, match="STANDARD, EXPRESS"):
        run(machine(P={"Type": "Pass", "End": True}), state_machine_type="express")


def test_missing_template_path_is_runtime_error_with_aws_cause() -> None:
    ex = run(machine(X={"Type": "Pass", "Parameters": {"a.$": "$.a"}, "End": True}), {"b": 1})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == (
        "An error occurred while executing the state 'X' (entered at the event id #2). "
        "The JSONPath '$.a' specified for the field 'a.$' could not be found in the input "
        "'{\"b\":1}'"
    )


def test_missing_input_path() -> None:
    ex = run(machine(X={"Type": "Pass", "InputPath": "$.a.b", "End": True}), {"a": {}})
    assert ex.error == "States.Runtime"
    assert ex.cause.endswith("Invalid path '$.a.b' : No results for path: $['a']['b']")


def test_runtime_errors_are_not_caught_by_states_all() -> None:
    ex = run(
        machine(
            T={
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload": {"x.$": "$.missing"}},
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                "End": True,
            },
            C={"Type": "Succeed"},
        )
    )
    assert ex.error == "States.Runtime"
    assert ex.attempts_by_state() == {}


def test_complex_jsonpath_via_jsonpath_ng() -> None:
    ex = run(
        machine(
            A={
                "Type": "Pass",
                "Parameters": {
                    "names.$": "$.people[*].name",
                    "adults.$": "$.people[?(@.age >= 18)].name",
                    "first.$": "$.people[0].name",
                    "quoted.$": "$['odd key']",
                    "last.$": "$.people[-1].age",
                },
                "End": True,
            }
        ),
        {"people": [{"name": "a", "age": 10}, {"name": "b", "age": 30}], "odd key": 1},
    )
    assert ex.output == {
        "names": ["a", "b"],
        "adults": ["b"],
        "first": "a",
        "quoted": 1,
        "last": 30,
    }


def test_result_path_into_non_object_fails() -> None:
    ex = run(machine(A={"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": True}), {"a": 3})
    assert ex.error == "States.Runtime"
    assert "Unable to apply ReferencePath $.a.b" in ex.cause


def test_a_maps_context_output_path_reads_its_own_context_after_its_iterations() -> None:
    inner = {
        "StartAt": "I",
        "States": {"I": {"Type": "Pass", "OutputPath": "$$.State.Name", "End": True}},
    }
    ex = run(
        machine(
            M={
                "Type": "Map",
                "ItemsPath": "$$.Execution.Input.items",
                "MaxConcurrency": 1,
                "ItemProcessor": inner,
                "OutputPath": "$$.State.Name",
                "End": True,
            }
        ),
        {"items": [1, 2]},
    )
    assert ex.output == "M", (ex.error, ex.cause)


def test_a_missing_context_path_names_the_whole_context_object() -> None:
    """`$$.Execution.*` is answered from the execution's part of `$$`; what is not there is
    reported against the whole object, as for any path (the cause holds the State part)."""
    ex = run(
        machine(
            T=task(Parameters={"FunctionName": "f", "Payload": {"n.$": "$$.Execution.Nope"}}),
        )
    )
    assert ex.error == "States.Runtime"
    assert "The JSONPath '$$.Execution.Nope' specified for the field 'n.$'" in ex.cause
    assert '"State":{"Name":"T","EnteredTime":' in ex.cause
    assert '"RetryCount":0' in ex.cause
