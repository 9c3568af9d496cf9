"""Definitions CreateStateMachine refuses are refused here too, naming the state and the field.

Every bound below is the documented AWS value, written out (not read from `spec.py`), with the
fact it rests on: the Step Functions developer guide ("Handling errors in Step Functions
workflows", "Using Map state in Inline mode", "Distributed Map state fields", the Task, Wait and
Fail state pages) and the Amazon States Language specification.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from orchestrator.engine import DefinitionError
from orchestrator.engine.compiler import compile_definition

from .conftest import machine, run, task

PASS = {"Type": "Pass", "End": True}
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def retrier(**fields: Any) -> dict[str, Any]:
    return machine(T=task(Retry=[{"ErrorEquals": ["States.ALL"], **fields}]))


def catcher(**fields: Any) -> dict[str, Any]:
    return machine(T=task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H", **fields}]), H=PASS)


def mapped(config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    processor: dict[str, Any] = machine(I=PASS)
    if config is not None:
        processor["ProcessorConfig"] = config
    return machine(M={"Type": "Map", "ItemProcessor": processor, "End": True, **fields})


def state(spec: dict[str, Any]) -> dict[str, Any]:
    return machine(S=spec, H=PASS)


def refused(definition: dict[str, Any], message: str, fact: str) -> Any:
    return pytest.param(definition, message, id=fact)


REFUSED = [
    # -- Retry: "ErrorEquals (Required): a non-empty array of strings that match error names" ---
    refused(retrier(ErrorEquals=None), "Retry[0]: ErrorEquals", "ErrorEquals is required"),
    refused(retrier(ErrorEquals=[]), "Retry[0]: ErrorEquals", "ErrorEquals is non-empty"),
    refused(retrier(ErrorEquals=[7]), "Retry[0]: ErrorEquals holds 7", "ErrorEquals: strings"),
    refused(retrier(ErrorEquals="E"), "Retry[0]: ErrorEquals", "ErrorEquals is an array"),
    refused(
        retrier(ErrorEquals=["States.ALL", "E"]),
        "Retry[0]: States.ALL must appear alone",
        "States.ALL must appear alone in ErrorEquals",
    ),
    refused(
        machine(T=task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}])),
        "Retry[0]: States.ALL must appear alone and in the last",
        "States.ALL must be in the last retrier",
    ),
    # -- IntervalSeconds: a positive integer, maximum 99999999 --------------------------------
    refused(retrier(IntervalSeconds=0), "IntervalSeconds must be an integer from 1", "Interval 0"),
    refused(retrier(IntervalSeconds=-1), "IntervalSeconds must be", "IntervalSeconds -1"),
    refused(retrier(IntervalSeconds=1.5), "got 1.5", "IntervalSeconds is an integer (1.5)"),
    refused(retrier(IntervalSeconds="1"), 'got "1"', "IntervalSeconds is a number, not a string"),
    refused(retrier(IntervalSeconds=True), "got true", "IntervalSeconds: a boolean is no integer"),
    refused(retrier(IntervalSeconds=100_000_000), "to 99999999", "IntervalSeconds max 99999999"),
    # -- MaxAttempts: a non-negative integer (0 never retries), maximum 99999999 ---------------
    refused(retrier(MaxAttempts=-1), "MaxAttempts must be an integer from 0", "MaxAttempts -1"),
    refused(retrier(MaxAttempts=2.5), "MaxAttempts must be", "MaxAttempts is an integer (2.5)"),
    refused(retrier(MaxAttempts=100_000_000), "to 99999999", "MaxAttempts max 99999999"),
    refused(retrier(MaxAttempts=False), "got false", "MaxAttempts: a boolean is no integer"),
    # -- BackoffRate: a number >= 1.0 ---------------------------------------------------------
    refused(retrier(BackoffRate=0.5), "BackoffRate must be a number ≥ 1.0", "BackoffRate < 1.0"),
    refused(retrier(BackoffRate=0), "BackoffRate must be", "BackoffRate 0"),
    refused(retrier(BackoffRate="2.0"), 'got "2.0"', "BackoffRate is a number"),
    # -- MaxDelaySeconds: a positive integer less than 31622401 --------------------------------
    refused(retrier(MaxDelaySeconds=0), "MaxDelaySeconds must be an integer from 1", "MaxDelay 0"),
    refused(retrier(MaxDelaySeconds=-1), "MaxDelaySeconds must be", "MaxDelaySeconds -1"),
    refused(retrier(MaxDelaySeconds=3.5), "got 3.5", "MaxDelaySeconds is an integer"),
    refused(retrier(MaxDelaySeconds=31_622_401), "to 31622400", "MaxDelaySeconds < 31622401"),
    # -- JitterStrategy: FULL or NONE (case-sensitive) -----------------------------------------
    refused(retrier(JitterStrategy="full"), "JitterStrategy must be one of FULL, NONE", "lower"),
    refused(retrier(JitterStrategy="RANDOM"), "JitterStrategy must be", "JitterStrategy RANDOM"),
    # -- a retrier has only the documented fields ---------------------------------------------
    refused(
        retrier(MaxAttempt=2),
        "Retry[0]: unknown field 'MaxAttempt' (did you mean 'MaxAttempts'?)",
        "unknown retrier field MaxAttempt",
    ),
    refused(
        machine(T=task(Retry={"ErrorEquals": ["E"]})),
        "Retry must be an array",
        "Retry is an array of retriers",
    ),
    refused(machine(T=task(Retry=["E"])), "Retry[0] must be an object", "a retrier is an object"),
    # -- Catch: ErrorEquals as for retriers; "Next (Required)" names a state; ResultPath a path --
    refused(
        machine(T=task(Catch=[{"ErrorEquals": ["E"]}])),
        "state 'T' Catch[0]: Next must name",
        "catcher Next is required",
    ),
    refused(catcher(Next="Nowhere"), "Next 'Nowhere' is not a state", "catcher Next must exist"),
    refused(
        machine(
            O={"Type": "Pass", "Next": "M"},
            M={
                "Type": "Map",
                "ItemProcessor": machine(I=task(Catch=[{"ErrorEquals": ["E"], "Next": "O"}])),
                "End": True,
            },
        ),
        "state 'I': Next 'O' is not a state in its scope",
        "a catcher in a Map cannot leave the ItemProcessor",
    ),
    refused(catcher(ErrorEquals=[]), "Catch[0]: ErrorEquals", "catcher ErrorEquals non-empty"),
    refused(
        machine(
            T=task(
                Catch=[
                    {"ErrorEquals": ["States.ALL"], "Next": "H"},
                    {"ErrorEquals": ["E"], "Next": "H"},
                ]
            ),
            H=PASS,
        ),
        "Catch[0]: States.ALL must appear alone and in the last",
        "States.ALL must be in the last catcher",
    ),
    refused(catcher(Result="x"), "Catch[0]: unknown field 'Result'", "unknown catcher field"),
    refused(catcher(ResultPath="$.e[*]"), "Catch[0]: ResultPath", "ResultPath: a reference path"),
    refused(catcher(ResultPath="error"), "must start with '$'", "ResultPath starts with $"),
    refused(catcher(ResultPath=5), "ResultPath must be a JSONPath string", "ResultPath: string"),
    # -- Map: MaxConcurrency a non-negative integer, not with MaxConcurrencyPath ---------------
    refused(mapped(MaxConcurrency=-1), "state 'M': MaxConcurrency", "MaxConcurrency -1"),
    refused(mapped(MaxConcurrency=2.5), "MaxConcurrency must be an integer", "MaxConcurrency 2.5"),
    refused(mapped(MaxConcurrency="4"), 'got "4"', "MaxConcurrency is a number"),
    refused(
        mapped(MaxConcurrency=2, MaxConcurrencyPath="$.n"),
        "one of MaxConcurrency, MaxConcurrencyPath",
        "not both MaxConcurrency and MaxConcurrencyPath",
    ),
    # -- Distributed Map: ToleratedFailurePercentage 0-100, ToleratedFailureCount >= 0 ---------
    refused(
        mapped(DISTRIBUTED, ToleratedFailurePercentage=101),
        "ToleratedFailurePercentage must be a number from 0 to 100",
        "ToleratedFailurePercentage above 100",
    ),
    refused(
        mapped(DISTRIBUTED, ToleratedFailurePercentage=-1),
        "ToleratedFailurePercentage must be",
        "ToleratedFailurePercentage below 0",
    ),
    refused(
        mapped(DISTRIBUTED, ToleratedFailureCount=-1),
        "ToleratedFailureCount must be an integer ≥ 0",
        "ToleratedFailureCount negative",
    ),
    refused(
        mapped(DISTRIBUTED, ToleratedFailureCount=1, ToleratedFailureCountPath="$.n"),
        "one of ToleratedFailureCount, ToleratedFailureCountPath",
        "not both ToleratedFailureCount and ToleratedFailureCountPath",
    ),
    # -- ...which, like ItemBatcher, are Distributed Map fields only ---------------------------
    refused(
        mapped(ToleratedFailureCount=1),
        "ToleratedFailureCount is a field of Distributed Maps only",
        "ToleratedFailureCount on an INLINE Map",
    ),
    refused(
        mapped({"Mode": "INLINE"}, ToleratedFailurePercentage=10),
        "ToleratedFailurePercentage is a field of Distributed Maps only",
        "ToleratedFailurePercentage on an INLINE Map",
    ),
    refused(
        mapped(ItemBatcher={"MaxItemsPerBatch": 2}),
        "ItemBatcher is a field of Distributed Maps only",
        "ItemBatcher on an INLINE Map",
    ),
    # -- ItemProcessor (Required), ItemsPath a reference path, ProcessorConfig.Mode ------------
    refused(
        machine(M={"Type": "Map", "End": True}),
        "state 'M': give exactly one of ItemProcessor, Iterator",
        "ItemProcessor is required",
    ),
    refused(
        machine(
            M={
                "Type": "Map",
                "ItemProcessor": machine(I=PASS),
                "Iterator": machine(I=PASS),
                "End": True,
            }
        ),
        "give exactly one of ItemProcessor, Iterator (got 2)",
        "Iterator is the deprecated ItemProcessor, not both",
    ),
    refused(
        mapped(ItemsPath="$.items[*]"), "ItemsPath '$.items[*]' must be a reference", "ItemsPath"
    ),
    refused(mapped(ItemsPath="items"), "ItemsPath: JSONPath 'items' must start", "ItemsPath no $"),
    refused(mapped({"Mode": "PARALLEL"}), "Mode must be one of INLINE, DISTRIBUTED", "Mode"),
    refused(mapped({"Mode": "DISTRIBUTED"}), "needs an ExecutionType", "DISTRIBUTED ExecutionType"),
    refused(
        mapped({"Mode": "DISTRIBUTED", "ExecutionType": "BATCH"}),
        "ExecutionType must be one of STANDARD, EXPRESS",
        "ExecutionType STANDARD or EXPRESS",
    ),
    refused(mapped({"Mod": "INLINE"}), "unknown field 'Mod'", "unknown ProcessorConfig field"),
    # -- a state has only its type's fields, and the required ones -----------------------------
    refused(
        machine(T=task(Retries=[])),
        "state 'T': unknown field 'Retries' (did you mean 'Retry'?)",
        "Retries is not a Task field",
    ),
    refused(
        machine(T={"Type": "Task", "End": True}),
        "state 'T': a Task needs a Resource",
        "Task Resource is required",
    ),
    refused(
        state({"Type": "Pass", "Retry": [], "Next": "H"}),
        "state 'S': unknown field 'Retry'",
        "Pass has no Retry",
    ),
    refused(
        state(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "H"}],
                "End": True,
            }
        ),
        "state 'S': unknown field 'End'",
        "Choice states don't support End",
    ),
    refused(
        machine(F={"Type": "Fail", "InputPath": "$.a"}),
        "state 'F': unknown field 'InputPath'",
        "Fail allows only Type and Comment of the common fields",
    ),
    refused(
        machine(F={"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}),
        "one of Error, ErrorPath",
        "Fail: Error or ErrorPath, not both",
    ),
    refused(
        machine(W={"Type": "Wait", "End": True}),
        "give exactly one of Seconds, Timestamp, SecondsPath, TimestampPath (got 0)",
        "Wait needs one of Seconds, Timestamp, SecondsPath, TimestampPath",
    ),
    refused(
        machine(W={"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}),
        "(got 2)",
        "Wait takes exactly one of them",
    ),
    refused(
        machine(W={"Type": "Wait", "Seconds": -1, "End": True}),
        "state 'W': Seconds must be an integer from 0 to 99999999",
        "Wait Seconds is an integer from 0 to 99999999 (negative)",
    ),
    refused(
        machine(W={"Type": "Wait", "Seconds": 100_000_000, "End": True}),
        "Seconds must be an integer",
        "Wait Seconds max 99999999",
    ),
    refused(
        machine(T=task(TimeoutSeconds=0)),
        "state 'T': TimeoutSeconds must be an integer from 1",
        "TimeoutSeconds is a positive, non-zero integer",
    ),
    refused(machine(T=task(TimeoutSeconds=1.5)), "got 1.5", "TimeoutSeconds is an integer"),
    refused(
        machine(T=task(TimeoutSeconds=5, TimeoutSecondsPath="$.t")),
        "one of TimeoutSeconds, TimeoutSecondsPath",
        "a Task cannot include both TimeoutSeconds and TimeoutSecondsPath",
    ),
    refused(
        machine(T=task(TimeoutSeconds=5, HeartbeatSeconds=5)),
        "HeartbeatSeconds (5) must be less than TimeoutSeconds (5)",
        "HeartbeatSeconds is less than TimeoutSeconds",
    ),
    refused(
        machine(P={"Type": "Parallel", "Branches": ["B"], "End": True}),
        "P.Branches[0] must be an object",
        "a branch is a state machine object",
    ),
]


@pytest.mark.parametrize(("definition", "message"), REFUSED)
def test_refused(definition: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        compile_definition(definition)


ACCEPTED = [
    pytest.param(retrier(MaxAttempts=0), id="MaxAttempts 0 (never retry)"),
    pytest.param(retrier(BackoffRate=1.0), id="BackoffRate 1.0"),
    pytest.param(retrier(BackoffRate=1), id="BackoffRate 1 (an integer is a number)"),
    pytest.param(retrier(IntervalSeconds=1), id="IntervalSeconds 1"),
    pytest.param(retrier(IntervalSeconds=99_999_999), id="IntervalSeconds 99999999"),
    pytest.param(retrier(MaxAttempts=99_999_999), id="MaxAttempts 99999999"),
    pytest.param(retrier(MaxDelaySeconds=31_622_400), id="MaxDelaySeconds 31622400"),
    pytest.param(retrier(MaxDelaySeconds=1), id="MaxDelaySeconds 1"),
    pytest.param(retrier(JitterStrategy="NONE"), id="JitterStrategy NONE"),
    pytest.param(retrier(JitterStrategy="FULL", Comment="c"), id="JitterStrategy FULL + Comment"),
    pytest.param(catcher(ResultPath=None, Comment="c"), id="catcher ResultPath null + Comment"),
    pytest.param(mapped(MaxConcurrency=0), id="MaxConcurrency 0 (no limit)"),
    pytest.param(mapped({"Mode": "INLINE"}, ItemsPath="$"), id="INLINE Mode, ItemsPath $"),
    pytest.param(
        mapped(DISTRIBUTED, ToleratedFailurePercentage=100, ToleratedFailureCount=0),
        id="ToleratedFailurePercentage 100, ToleratedFailureCount 0",
    ),
    pytest.param(mapped(DISTRIBUTED, ToleratedFailurePercentage=12.5), id="percentage 12.5"),
    pytest.param(
        machine(M={"Type": "Map", "Iterator": machine(I=PASS), "End": True}),
        id="deprecated Iterator",
    ),
    pytest.param(machine(W={"Type": "Wait", "Seconds": 0, "End": True}), id="Wait Seconds 0"),
    pytest.param(
        machine(
            T=task(TimeoutSeconds=5, HeartbeatSeconds=4, Comment="c", QueryLanguage="JSONPath")
        ),
        id="HeartbeatSeconds < TimeoutSeconds, Comment, QueryLanguage JSONPath",
    ),
]


@pytest.mark.parametrize("definition", ACCEPTED)
def test_accepted_edge_cases_run(definition: dict[str, Any]) -> None:
    ex = run(definition, [1, 2])
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)


@pytest.mark.parametrize(
    ("field", "value", "cause"),
    [
        ("MaxConcurrencyPath", -1, "Expected non-negative integer for MaxConcurrency, got '-1'"),
        ("ToleratedFailurePercentagePath", 101, "must be between 0 and 100."),
        ("ToleratedFailureCountPath", "x", 'refers to value "x" which is not a valid integer'),
    ],
)
def test_map_path_fields_are_checked_when_resolved(field: str, value: Any, cause: str) -> None:
    """A ...Path field passes the definition; the value it selects is checked per execution."""
    ex = run(mapped(DISTRIBUTED, **{field: "$.n"}, ItemsPath="$.items"), {"n": value, "items": [1]})
    assert ex.error == "States.Runtime"
    assert cause in ex.cause


def test_a_dict_definition_edited_between_runs_is_compiled_again() -> None:
    """The compiled machine is reused for the same dict only while it is unchanged."""
    definition = machine(P={"Type": "Pass", "Result": 1, "End": True})
    assert run(definition).output == 1
    assert run(definition).output == 1
    definition["States"]["P"]["Result"] = 2
    assert run(definition).output == 2
    definition["States"]["P"]["Bogus"] = True
    with pytest.raises(DefinitionError):
        run(definition)
