"""Choice rules: every operator family, Path variants, type tests, And/Or/Not, Default."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import machine, run


def choose(rule: dict[str, Any], input: Any, default: bool = True) -> str:
    spec: dict[str, Any] = {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}]}
    if default:
        spec["Default"] = "No"
    ex = run(
        machine(
            C=spec,
            Yes={"Type": "Pass", "Result": "yes", "End": True},
            No={"Type": "Pass", "Result": "no", "End": True},
        ),
        input,
    )
    return ex.output if ex.status == "SUCCEEDED" else f"{ex.error}"


DOC = {
    "s": "banana",
    "n": 5,
    "f": 2.5,
    "b": True,
    "t": "2024-01-02T03:04:05Z",
    "t2": "2024-01-02T03:04:06.5+00:00",
    "z": None,
    "other": 5,
    "ostr": "banana",
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.s", "StringEquals": "banana"}, "yes"),
        ({"Variable": "$.s", "StringEquals": "apple"}, "no"),
        ({"Variable": "$.n", "StringEquals": "5"}, "no"),
        ({"Variable": "$.s", "StringLessThan": "cherry"}, "yes"),
        ({"Variable": "$.s", "StringGreaterThan": "cherry"}, "no"),
        ({"Variable": "$.s", "StringLessThanEquals": "banana"}, "yes"),
        ({"Variable": "$.s", "StringGreaterThanEquals": "banana"}, "yes"),
        ({"Variable": "$.s", "StringEqualsPath": "$.ostr"}, "yes"),
        ({"Variable": "$.s", "StringMatches": "ban*"}, "yes"),
        ({"Variable": "$.s", "StringMatches": "*nan*"}, "yes"),
        ({"Variable": "$.s", "StringMatches": "b\\*"}, "no"),
        ({"Variable": "$.n", "NumericEquals": 5}, "yes"),
        ({"Variable": "$.f", "NumericGreaterThan": 2}, "yes"),
        ({"Variable": "$.f", "NumericLessThan": 2}, "no"),
        ({"Variable": "$.n", "NumericLessThanEquals": 5}, "yes"),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 6}, "no"),
        ({"Variable": "$.n", "NumericEqualsPath": "$.other"}, "yes"),
        ({"Variable": "$.f", "NumericLessThanPath": "$.other"}, "yes"),
        ({"Variable": "$.b", "NumericEquals": 1}, "no"),
        ({"Variable": "$.b", "BooleanEquals": True}, "yes"),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.b"}, "yes"),
        ({"Variable": "$.t", "TimestampEquals": "2024-01-02T03:04:05Z"}, "yes"),
        ({"Variable": "$.t", "TimestampLessThanPath": "$.t2"}, "yes"),
        ({"Variable": "$.t", "TimestampGreaterThan": "2025-01-01T00:00:00Z"}, "no"),
        ({"Variable": "$.t", "TimestampLessThanEquals": "2024-01-02T03:04:05Z"}, "yes"),
        ({"Variable": "$.t", "TimestampGreaterThanEquals": "2024-01-02T03:04:05Z"}, "yes"),
        ({"Variable": "$.s", "TimestampEquals": "2024-01-02T03:04:05Z"}, "no"),
        ({"Variable": "$.z", "IsNull": True}, "yes"),
        ({"Variable": "$.s", "IsNull": True}, "no"),
        ({"Variable": "$.nope", "IsPresent": True}, "no"),
        ({"Variable": "$.nope", "IsPresent": False}, "yes"),
        ({"Variable": "$.z", "IsPresent": True}, "yes"),
        ({"Variable": "$.f", "IsNumeric": True}, "yes"),
        ({"Variable": "$.b", "IsNumeric": True}, "no"),
        ({"Variable": "$.s", "IsString": True}, "yes"),
        ({"Variable": "$.b", "IsBoolean": True}, "yes"),
        ({"Variable": "$.t", "IsTimestamp": True}, "yes"),
        ({"Variable": "$.s", "IsTimestamp": False}, "yes"),
        (
            {
                "And": [
                    {"Variable": "$.n", "NumericEquals": 5},
                    {"Variable": "$.b", "BooleanEquals": True},
                ]
            },
            "yes",
        ),
        (
            {
                "Or": [
                    {"Variable": "$.n", "NumericEquals": 4},
                    {"Variable": "$.s", "StringEquals": "x"},
                ]
            },
            "no",
        ),
        ({"Not": {"Variable": "$.n", "NumericEquals": 4}}, "yes"),
        ({"Variable": "$$.State.Name", "StringEquals": "C"}, "yes"),
    ],
)
def test_operators(rule: dict[str, Any], expected: str) -> None:
    assert choose(rule, DOC) == expected


def test_missing_variable_is_runtime_error() -> None:
    assert choose({"Variable": "$.nope", "StringEquals": "x"}, DOC) == "States.Runtime"


def test_no_match_without_default() -> None:
    assert choose({"Variable": "$.n", "NumericEquals": 0}, DOC, default=False) == (
        "States.NoChoiceMatched"
    )


def test_first_matching_choice_wins_and_output_path() -> None:
    ex = run(
        machine(
            C={
                "Type": "Choice",
                "InputPath": "$.v",
                "OutputPath": "$.w",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "A"},
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "B"},
                ],
            },
            A={"Type": "Pass", "End": True},
            B={"Type": "Fail", "Error": "wrong"},
        ),
        {"v": {"n": 3, "w": "out"}},
    )
    assert ex.output == "out"
