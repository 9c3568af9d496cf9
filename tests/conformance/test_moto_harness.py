"""The moto harness itself: Lambda handlers in-process, placeholders, retries, recorded sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.testing.moto import MotoStepFunctions

LAMBDA = "arn:aws:states:::lambda:invoke"


def _task(placeholder: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": "${" + placeholder + "}", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
        **extra,
    }


class Flaky(Exception):
    pass


def test_retry_counts_calls(moto_sfn: MotoStepFunctions) -> None:
    calls: list[Any] = []

    def flaky(event: Any) -> Any:
        calls.append(event)
        if len(calls) <= 2:
            raise Flaky(f"attempt {len(calls)}")
        return {"ok": event["n"]}

    retry = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    definition = {"StartAt": "Work", "States": {"Work": _task("FlakyFunctionArn", Retry=retry)}}
    sm = moto_sfn.deploy(definition, {"FlakyFunctionArn": flaky}, name="retry")
    run = moto_sfn.execute(sm, {"n": 7})
    assert run.status == "SUCCEEDED"
    assert run.output == {"ok": 7}
    assert len(calls) == 3
    assert run.attempts_by_state() == {"Work": 3}
    assert run.attempts_from_history() == {"Work": 3}
    assert run.invocations_by_function() == {"FlakyFunctionArn": 3}
    assert run.sleeps == [1.0, 2.0]  # recorded, not slept


def test_unhandled_error_is_reported_like_lambda(moto_sfn: MotoStepFunctions) -> None:
    def boom(event: Any) -> Any:
        raise Flaky("no luck")

    sm = moto_sfn.deploy({"StartAt": "W", "States": {"W": _task("BoomArn")}}, {"BoomArn": boom})
    run = moto_sfn.execute(sm, {})
    assert (run.status, run.error) == ("FAILED", "Flaky")
    import json

    cause = json.loads(run.cause or "")
    assert cause["errorType"] == "Flaky" and cause["errorMessage"] == "no luck"
    assert isinstance(cause["stackTrace"], list)


def test_placeholders_are_substituted(moto_sfn: MotoStepFunctions) -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                **{k: v for k, v in _task("AddOneFunctionArn").items() if k != "End"},
                "Next": "B",
            },
            "B": _task("AddOneFunctionArn"),
        },
    }
    sm = moto_sfn.deploy(definition, {"AddOneFunctionArn": lambda n: n + 1}, name="subst")
    fn = sm.definition["States"]["A"]["Parameters"]["FunctionName"]
    assert fn == sm.functions["AddOneFunctionArn"]
    assert fn.startswith("arn:aws:lambda:us-east-1:") and fn.endswith(":function:AddOneFunctionArn")
    assert "${" not in str(sm.definition)
    run = moto_sfn.execute(sm, 1)
    assert (run.status, run.output) == ("SUCCEEDED", 3)
    assert run.invocations == [("AddOneFunctionArn", 1), ("AddOneFunctionArn", 2)]


def test_missing_placeholder_is_an_error(moto_sfn: MotoStepFunctions) -> None:
    definition = {"StartAt": "A", "States": {"A": _task("MissingFunctionArn")}}
    with pytest.raises(ValueError, match="MissingFunctionArn"):
        moto_sfn.deploy(definition, {"OtherArn": lambda e: e})


def test_same_name_deploys_twice(moto_sfn: MotoStepFunctions) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    first = moto_sfn.deploy(definition, {}, name="twice")
    second = moto_sfn.deploy(definition, {}, name="twice")
    assert first.arn != second.arn


def test_wait_is_recorded(moto_sfn: MotoStepFunctions) -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
    run = moto_sfn.execute(moto_sfn.deploy(definition, {}), {"a": 1})
    assert (run.status, run.output, run.sleeps) == ("SUCCEEDED", {"a": 1}, [600.0])


def test_string_output_is_decoded(moto_sfn: MotoStepFunctions) -> None:
    # moto's DescribeExecution returns a string output unencoded; the harness reads the history.
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "{}", "End": True}}}
    run = moto_sfn.execute(moto_sfn.deploy(definition, {}), {})
    assert run.output == "{}"


def test_map_attempts_summed_over_iterations(moto_sfn: MotoStepFunctions) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "End": True,
                "ItemProcessor": {"StartAt": "T", "States": {"T": _task("EchoArn")}},
            }
        },
    }
    run = moto_sfn.execute(moto_sfn.deploy(definition, {"EchoArn": lambda e: e}), [1, 2, 3])
    assert run.output == [1, 2, 3]
    assert run.attempts_by_state() == {"T": 3} == run.attempts_from_history()
