"""`orchestrator exec MACHINE.asl.json`: a hand-written state machine run locally.

The machines here are written as a user would write them for AWS; the expected values are what
Step Functions documents for them (lambda:invoke's `Payload`, a function ARN's result as the
state's result, a Wait state, a Distributed Map reading its items from S3).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator import engine
from orchestrator.cli import app
from orchestrator.local.lambda_functions import (
    FUNCTION_NOT_FOUND,
    LambdaFunctions,
    function_key,
    static_function_names,
    substitute,
)

HANDLERS = """
def double(event, context):
    return {"n": event["n"] * 2, "by": context.function_name}


def boom(event, context):
    raise ValueError(f"bad n {event['n']}")


def total(event, context):
    return sum(item["v"] for item in event["items"])
"""

CHAIN = {
    "Comment": "lambda:invoke by placeholder, then a function ARN with an alias",
    "StartAt": "Invoke",
    "States": {
        "Invoke": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${DoubleArn}", "Payload.$": "$"},
            "ResultSelector": {"n.$": "$.Payload.n"},
            "Next": "Direct",
        },
        "Direct": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double:live",
            "End": True,
        },
    },
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # A fresh module name per test: the loader imports handlers by module name.
    (tmp_path / f"handlers_{uuid.uuid4().hex[:8]}.py").write_text(HANDLERS)
    return tmp_path


def handlers_file(project: Path) -> str:
    return next(project.glob("handlers_*.py")).name


def write_machine(project: Path, definition: dict[str, Any], name: str = "m") -> str:
    path = project / f"{name}.asl.json"
    path.write_text(json.dumps(definition))
    return path.name


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["exec", *args])


def test_runs_a_hand_written_machine_and_prints_its_output(project: Path) -> None:
    machine = write_machine(project, CHAIN)
    spec = f"double={handlers_file(project)}:double"
    result = run(machine, "--input", '{"n": 3}', "-f", spec, "--sub", "DoubleArn=double")
    assert result.exit_code == 0, result.output
    # 3 doubled twice; the function ARN's result is the state's result as Lambda returned it.
    assert json.loads(result.stdout) == {"n": 12, "by": "double"}
    assert "SUCCEEDED" in result.stderr
    assert ":execution:m:" in result.stderr


def test_input_from_a_file_and_an_express_execution_arn(project: Path) -> None:
    machine = write_machine(project, CHAIN)
    (project / "in.json").write_text('{"n": 1}')
    spec = f"double={handlers_file(project)}:double"
    result = run(machine, "-i", "@in.json", "-f", spec, "--sub", "DoubleArn=double")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 4
    express = run(
        machine, "-i", "@in.json", "-f", spec, "--sub", "DoubleArn=double", "--type", "EXPRESS"
    )
    assert express.exit_code == 0, express.output
    assert ":express:m:" in express.stderr


def test_a_failing_handler_fails_the_execution_with_one_line(project: Path) -> None:
    machine = write_machine(project, CHAIN)
    spec = f"double={handlers_file(project)}:boom"
    result = run(machine, "--input", '{"n": 3}', "-f", spec, "--sub", "DoubleArn=double")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "FAILED in state 'Invoke': ValueError: bad n 3" in errors[0]
    assert f"{handlers_file(project)}:" in errors[0]  # the user's own line
    assert "Traceback" not in result.output


def test_an_unmapped_function_is_a_user_error_before_anything_runs(project: Path) -> None:
    machine = write_machine(project, CHAIN)
    result = run(machine, "--sub", "DoubleArn=double")
    assert result.exit_code == 2
    assert "no handler for Lambda function" in result.stderr
    assert "--function NAME=path/to/file.py:handler" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{n: 1}"], "--input is not JSON"),
        (["--input", "@missing.json"], "no such file"),
        (["-f", "double"], "expected KEY=VALUE"),
        (["-f", "double=nowhere.py:double"], "does not exist"),
        (["--type", "FAST", "-f", "double=HANDLERS:double", "--sub", "DoubleArn=double"], "FAST"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(project: Path, args: list[str], message: str) -> None:
    machine = write_machine(project, CHAIN)
    args = [a.replace("HANDLERS", handlers_file(project)) for a in args]
    result = run(machine, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_definition_the_engine_refuses_is_exit_2(project: Path) -> None:
    machine = write_machine(project, {"StartAt": "Nowhere", "States": {"A": {"Type": "Succeed"}}})
    result = run(machine)
    assert result.exit_code == 2
    assert "StartAt 'Nowhere' is not a state" in result.stderr


def test_instant_takes_waits_in_virtual_time(project: Path) -> None:
    definition = {
        "StartAt": "Hour",
        "States": {"Hour": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    result = run(write_machine(project, definition), "--instant", "--events", "-i", '{"a": 1}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"a": 1}
    assert "WaitStateExited Hour" in result.stderr


def test_objects_folder_stands_in_for_s3(project: Path) -> None:
    """A Distributed Map reading a JSON array with ItemReader (s3:getObject, the guide's
    "ItemReader (Map)" example shape) from the folder given as --objects."""
    (project / "s3" / "my-bucket").mkdir(parents=True)
    (project / "s3" / "my-bucket" / "items.json").write_text('[{"v": 1}, {"v": 2}, {"v": 3}]')
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": "my-bucket", "Key": "items.json"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Same",
                    "States": {"Same": {"Type": "Pass", "End": True}},
                },
                "ResultPath": "$.items",
                "Next": "Sum",
            },
            "Sum": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "total", "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            },
        },
    }
    machine = write_machine(project, definition)
    spec = f"total={handlers_file(project)}:total"
    result = run(machine, "--objects", "s3", "-f", spec)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == 6


@pytest.mark.parametrize(
    ("function_name", "key"),
    [
        ("double", "double"),
        ("double:live", "double"),
        ("double:$LATEST", "double"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:double", "double"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:double:7", "double"),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:double", "double"),
        ("123456789012:function:double", "double"),
        ("${DoubleArn}", "DoubleArn"),
    ],
)
def test_function_names_lambda_accepts(function_name: str, key: str) -> None:
    """Lambda's Invoke takes a name, `name:qualifier`, a full ARN (with a version or alias) or a
    partial ARN `account:function:name` (Lambda API reference, Invoke, FunctionName)."""
    assert function_key(function_name) == key


def test_static_function_names_and_substitution() -> None:
    names = static_function_names(json.loads(substitute(json.dumps(CHAIN), {"DoubleArn": "d"})))
    assert names == ["d", "arn:aws:lambda:us-east-1:123456789012:function:double:live"]
    assert substitute("${A} ${B}", {"A": "x"}) == "x ${B}"


def test_an_unmapped_function_at_run_time_fails_like_a_missing_lambda() -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.fn", "Payload": {}},
                "End": True,
            }
        },
    }
    functions = LambdaFunctions({"known": lambda event, context: event})
    execution = engine.execute(definition, {"fn": "unknown"}, invoke=functions)
    assert execution.status == "FAILED"
    assert execution.error == FUNCTION_NOT_FOUND
    assert "unknown" in (execution.cause or "")


JSONATA_HANDLERS = """
PRICES = {"apple": 0.5, "pear": 0.75, "melon": 30.0}


def validate_order(event, context):
    order = event["order"]
    return {"id": order["id"], "customer": order["customer"], "items": order["items"]}


def price_line(event, context):
    amount = PRICES[event["sku"]] * event["qty"]
    return {"line": event["line"], "sku": event["sku"], "amount": amount}


def notify_customer(event, context):
    return {"sent": event["message"]}
"""


def test_a_jsonata_machine_with_variables_runs_from_the_command_line(project: Path) -> None:
    """examples/asl/jsonata_orders.asl.json (JSONata, Assign, a Map, a Choice with Output)."""
    machine = Path(__file__).resolve().parents[2] / "examples" / "asl" / "jsonata_orders.asl.json"
    handlers = project / f"shop_{uuid.uuid4().hex[:8]}.py"
    handlers.write_text(JSONATA_HANDLERS)
    order = {"id": "o-7", "customer": "ada@example.com", "items": [{"sku": "melon", "qty": 4}]}
    functions = [
        arg
        for name in ("validate_order", "price_line", "notify_customer")
        for arg in ("-f", f"{name}={handlers.name}:{name}")
    ]
    result = run(str(machine), "-i", json.dumps(order), "--instant", *functions)
    assert result.exit_code == 0, result.output
    # 4 melons at 30.0 = 120, over 100: the Choice's rule takes 10 % off.
    assert json.loads(result.stdout) == {
        "orderId": "o-7",
        "lines": [{"line": 1, "sku": "melon", "amount": 120.0}],
        "discount": 0.1,
        "total": 108.0,
        "notified": True,
    }
