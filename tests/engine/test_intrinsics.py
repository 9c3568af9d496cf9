"""Intrinsic functions, each on its own and nested, with string-literal escapes."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from .conftest import machine, run

DOC = {
    "name": "Ada",
    "n": 3,
    "list": [1, 2, 2, 3],
    "obj": {"a": 1},
    "csv": "a,b;;c",
    "s": '{"x":1}',
}


def evaluate(expression: str, input: Any = DOC) -> Any:
    ex = run(machine(A={"Type": "Pass", "Parameters": {"v.$": expression}, "End": True}), input)
    assert ex.status == "SUCCEEDED", ex.cause
    return ex.output["v"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("States.Format('Hello {}, n={}', $.name, $.n)", "Hello Ada, n=3"),
        ("States.Format('esc \\' \\{\\} \\\\ {}', $.name)", "esc ' {} \\ Ada"),
        ("States.Format('{} {}', $.obj, States.Array('x', 2))", "{a=1} [x, 2]"),
        ("States.StringToJson($.s)", {"x": 1}),
        ("States.JsonToString($.obj)", '{"a":1}'),
        (
            "States.Array($.n, 'x', 1.5, true, -2, 1e-9, 2.5E+3)",
            [3, "x", 1.5, True, -2, 1e-9, 2500.0],
        ),
        ("States.ArrayPartition($.list, 3)", [[1, 2, 2], [3]]),
        ("States.ArrayContains($.list, 3)", True),
        ("States.ArrayContains($.list, 9)", False),
        ("States.ArrayRange(1, 9, 3)", [1, 4, 7]),
        ("States.ArrayRange(1, 3, 1)", [1, 2, 3]),
        ("States.ArrayGetItem($.list, 3)", 3),
        ("States.ArrayLength($.list)", 4),
        ("States.ArrayUnique($.list)", [1, 2, 3]),
        ("States.Base64Encode($.name)", base64.b64encode(b"Ada").decode()),
        ("States.Base64Decode('QWRh')", "Ada"),
        ("States.Hash($.name, 'SHA-256')", hashlib.sha256(b"Ada").hexdigest()),
        ("States.Hash('x', 'MD5')", hashlib.md5(b"x").hexdigest()),
        ("States.JsonMerge($.obj, States.StringToJson($.s), false)", {"a": 1, "x": 1}),
        ("States.MathAdd($.n, -5)", -2),
        ("States.StringSplit($.csv, ',;')", ["a", "b", "c"]),
        ("States.ArrayLength(States.Array(States.Format('{}', $.n), $$.State.Name))", 2),
    ],
)
def test_functions(expression: str, expected: Any) -> None:
    assert evaluate(expression) == expected


def test_random_and_uuid() -> None:
    value = evaluate("States.MathRandom(1, 10)")
    assert 1 <= value < 10
    assert evaluate("States.MathRandom(1, 1000, 7)") == evaluate("States.MathRandom(1, 1000, 7)")
    uuid = evaluate("States.UUID()")
    assert len(uuid) == 36 and uuid.count("-") == 4


def test_bad_arguments_fail_with_runtime() -> None:
    ex = run(
        machine(
            A={
                "Type": "Pass",
                "Parameters": {"v.$": "States.ArrayGetItem($.list, 99)"},
                "End": True,
            }
        ),
        DOC,
    )
    assert ex.error == "States.Runtime"
    ex = run(
        machine(
            A={"Type": "Pass", "Parameters": {"v.$": "States.Format('{}', $.nope)"}, "End": True}
        ),
        DOC,
    )
    assert ex.error == "States.Runtime"
    # AWS names the whole intrinsic and the argument's path.
    compact = json.dumps(DOC, separators=(",", ":"))
    assert ex.cause.endswith(
        "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath "
        f"argument for the field '$.nope' could not be found in the input '{compact}'"
    )


def test_math_random_draws_from_start_inclusive_to_end_exclusive() -> None:
    # Developer guide, "Intrinsics for Math operations": "a random number between the specified
    # start number (inclusive) and end number (exclusive)". moto draws the end too.
    assert {evaluate(f"States.MathRandom(1, 2, {seed})") for seed in range(50)} == {1}
    # "If you specify a non-integer value ... Step Functions will round it off": 0.6 → 1, 2.5 → 3.
    assert {evaluate(f"States.MathRandom(0.6, 2.5, {seed})") for seed in range(50)} == {1, 2}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("States.MathAdd(2.5, 0)", 3),  # Java's Math.round: halves go up
        ("States.MathAdd(-2.5, 0)", -2),
        ("States.MathAdd(1.3, 1.6)", 3),
        ("States.MathAdd(2147483647, -1)", 2147483646),
    ],
)
def test_math_add_rounds_each_argument(expression: str, expected: int) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "States.MathAdd(2147483648, 0)",  # "integer values in the range of -2147483648 and ..."
        "States.MathRandom(5, 5)",
        "States.MathAdd('1', 2)",
    ],
)
def test_math_arguments_out_of_bounds_fail_with_runtime(expression: str) -> None:
    ex = run(machine(A={"Type": "Pass", "Parameters": {"v.$": expression}, "End": True}), DOC)
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")


def test_string_to_json_of_a_blank_string_is_null() -> None:
    assert evaluate("States.StringToJson('')") is None
    assert evaluate("States.StringToJson('  ')") is None


def test_a_bracket_key_with_an_escaped_quote_is_one_path_argument() -> None:
    # What the planner emits for a parameter key holding a quote (planner/paths.py `path`).
    assert evaluate("States.Array($.a['q\\'k'], 1)", {"a": {"q'k": 7}}) == [7, 1]


@pytest.mark.parametrize(
    "argument",
    [
        "null",  # the grammar has no null literal
        "1e-09",  # an exponent's digits are an INT: no leading zero (Python's repr of 1e-9)
        "01",
        '"double"',  # strings are single-quoted
        "{}",
        "[1]",
        "1.",
        "'a\nb'",  # a raw control character in a string literal
        "$.a-b",  # a dot step is [0-9A-Za-z_] (brackets for anything else)
        "$.a['b'",
    ],
)
def test_arguments_the_aws_grammar_refuses_are_definition_errors(argument: str) -> None:
    """The definition check refuses what AWS's intrinsic grammar does (LocalStack's
    ASLIntrinsicLexer/Parser, recorded against AWS), so a machine that runs locally is one
    CreateStateMachine accepts."""
    from orchestrator.engine import DefinitionError

    spec = {"Type": "Pass", "Parameters": {"v.$": f"States.Array({argument})"}, "End": True}
    with pytest.raises(DefinitionError, match="intrinsic"):
        run(machine(P=spec), DOC)


def test_arguments_the_grammar_accepts() -> None:
    text = "States.Array('it\\'s', $$.State.Name, $.obj['a'], $.list[0], $['name'], false)"
    assert evaluate(text) == ["it's", "A", 1, 1, "Ada", False]
