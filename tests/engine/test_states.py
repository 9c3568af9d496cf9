"""Pass, Succeed, Fail, Wait and the input/output path fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.engine import DefinitionError, VirtualClock

from .conftest import machine, run, task


def test_pass_result_resultpath_outputpath() -> None:
    ex = run(
        machine(
            A={"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.deep.er", "Next": "B"},
            B={"Type": "Pass", "OutputPath": "$.deep", "End": True},
        ),
        {"keep": True},
    )
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"er": {"x": 1}}


def test_pass_parameters_nested_and_input_path() -> None:
    ex = run(
        machine(
            A={
                "Type": "Pass",
                "InputPath": "$.in",
                "Parameters": {"a": {"b.$": "$.v", "c": [1, {"d.$": "$.v"}]}, "lit": "$.v"},
                "End": True,
            }
        ),
        {"in": {"v": 7}},
    )
    assert ex.output == {"a": {"b": 7, "c": [1, {"d": 7}]}, "lit": "$.v"}


def test_result_path_null_keeps_input() -> None:
    ex = run(machine(A={"Type": "Pass", "Result": 5, "ResultPath": None, "End": True}), {"a": 1})
    assert ex.output == {"a": 1}


def test_input_and_output_path_null_give_empty_object() -> None:
    ex = run(machine(A={"Type": "Pass", "InputPath": None, "End": True}), {"a": 1})
    assert ex.output == {}
    ex = run(machine(A={"Type": "Pass", "OutputPath": None, "End": True}), {"a": 1})
    assert ex.output == {}


def test_result_path_does_not_mutate_shared_input() -> None:
    items = {"a": {"b": 1}}
    ex = run(machine(A={"Type": "Pass", "Result": 2, "ResultPath": "$.a.c", "End": True}), items)
    assert ex.output == {"a": {"b": 1, "c": 2}}
    assert ex.input == {"a": {"b": 1}}
    assert items == {"a": {"b": 1}}


def test_succeed_and_event_names() -> None:
    ex = run(machine(A={"Type": "Succeed", "OutputPath": "$.x"}), {"x": [1]})
    assert ex.output == [1]
    assert [e.type for e in ex.events] == [
        "ExecutionStarted",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert ex.events[1].details["input"] == '{"x":[1]}'


def test_fail_constant_and_paths() -> None:
    ex = run(machine(A={"Type": "Fail", "Error": "Bad", "Cause": "why"}))
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "Bad", "why")
    assert ex.events[-1].type == "ExecutionFailed"
    ex = run(
        machine(
            A={
                "Type": "Fail",
                "ErrorPath": "$.e",
                "CausePath": "States.Format('code {}', $.c)",
            }
        ),
        {"e": "E1", "c": 42},
    )
    assert (ex.error, ex.cause) == ("E1", "code 42")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("Seconds", 30, 30.0), ("SecondsPath", "$.s", 12.0)],
)
def test_wait_seconds(field: str, value: object, expected: float) -> None:
    ex = run(machine(W={"Type": "Wait", field: value, "End": True}), {"s": 12})
    assert ex.status == "SUCCEEDED"
    assert ex.delays() == [("W", expected)]
    assert ex.events[-1].timestamp - ex.events[0].timestamp >= timedelta(seconds=expected)


def test_wait_timestamp_and_timestamp_path() -> None:
    clock = VirtualClock(seed=0)
    later = (clock.now() + timedelta(seconds=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ex = run(
        machine(W={"Type": "Wait", "TimestampPath": "$.t", "End": True}), {"t": later}, clock=clock
    )
    [(state, seconds)] = ex.delays()
    assert state == "W" and 98 < seconds <= 100
    ex = run(machine(W={"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "End": True}))
    assert ex.delays() == [("W", 0.0)]


def test_wait_seconds_path_must_be_integer() -> None:
    ex = run(machine(W={"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": "x"})
    assert ex.error == "States.Runtime"


def test_jsonpath_fields_in_jsonata_and_unknown_resources_are_refused() -> None:
    with pytest.raises(DefinitionError, match="only supported for the 'JSONPath'"):
        run(
            {
                "QueryLanguage": "JSONata",
                **machine(A={"Type": "Pass", "InputPath": "$", "End": True}),
            }
        )
    with pytest.raises(DefinitionError, match="waitForTaskToken"):
        run(machine(A=task(Resource="arn:aws:states:::lambda:invoke.waitForTaskToken")))
    with pytest.raises(DefinitionError, match="not a state"):
        run(machine(A={"Type": "Pass", "Next": "Nowhere"}))


def test_definition_as_string_and_no_input() -> None:
    ex = run('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}')
    assert ex.output == {}
    assert ex.execution_arn.endswith(":execution:local:" + ex.name)


def test_an_express_execution_has_an_express_arn() -> None:
    # Step Functions names Express executions `arn:...:express:<machine>:<name>:<id>`.
    from orchestrator.engine import execute

    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": True}},
    }
    express = execute(
        definition,
        {},
        invoke=lambda f, p: None,
        name="run1",
        state_machine_name="m",
        state_machine_type="EXPRESS",
    )
    parts = express.output["id"].split(":")
    assert parts[5:8] == ["express", "m", "run1"] and len(parts) == 9
    standard = execute(
        definition, {}, invoke=lambda f, p: None, name="run1", state_machine_name="m"
    )
    assert standard.output["id"].split(":")[5:] == ["execution", "m", "run1"]
