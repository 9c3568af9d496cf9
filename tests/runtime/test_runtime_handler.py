"""The Lambda entry point: structured logs, EMF metrics, traces, errors and task resolution."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from orchestrator import task
from orchestrator.runtime import telemetry
from orchestrator.runtime.error_payload import error_payload
from orchestrator.runtime.handler import (
    TaskNotFoundError,
    TaskResultError,
    TaskSpecError,
    lambda_handler,
    resolve_task,
    resolve_task_object,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:etl:run-1"


class PaymentFailed(Exception):
    pass


@task
def double(x: int) -> int:
    return 2 * x


@task(idempotent=True, retries=2)
def charge(amount: int) -> str:
    return f"charged {amount}"


@task
def refuse(amount: int) -> None:
    raise PaymentFailed(f"card declined for {amount}")


@task
def not_json() -> object:
    return {1, 2}


def payload(task_id: str, inputs: dict[str, Any], **context: Any) -> dict[str, Any]:
    ctx = {"execution_id": EXECUTION, "state": task_id, "retry_count": 0, **context}
    return {"task": task_id, "inputs": inputs, "context": ctx}


@pytest.fixture
def run_task(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point ORCHESTRATOR_TASK at a task of this module, as the deploy layer would."""
    monkeypatch.setenv("ORCHESTRATOR_FLOW", "etl")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)

    def run(name: str, event: dict[str, Any]) -> Any:
        monkeypatch.setenv("ORCHESTRATOR_TASK", f"{__name__}:{name}")
        return lambda_handler(event, None)

    yield run


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def logs(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "message" in line]


def emf(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "_aws" in line]


def test_result_and_log_fields(run_task: Any, capsys: pytest.CaptureFixture[str]) -> None:
    event = payload("double_2", {"x": 21}, retry_count=1, map_index=4, state="double_2 item")
    assert run_task("double", event) == 42
    records = logs(capsys.readouterr().out)
    assert [r["message"] for r in records] == ["task started", "task succeeded"]
    for record in records:
        assert record["level"] == "INFO"
        assert record["service"] == "etl"
        assert record["flow"] == "etl"
        assert record["task"] == "double_2"
        assert record["state"] == "double_2 item"
        assert record["correlation_id"] == EXECUTION
        assert record["map_index"] == 4
        assert record["attempt"] == 1
    assert records[1]["duration_ms"] >= 0


def test_keys_of_a_previous_invocation_do_not_leak(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run_task("double", payload("double", {"x": 1}, map_index=3))
    capsys.readouterr()
    run_task("double", payload("double", {"x": 1}))
    records = logs(capsys.readouterr().out)
    assert records and all("map_index" not in r for r in records)
    assert all(r["cold_start"] is False for r in records)


def test_emf_metrics(
    run_task: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_task("double", payload("double", {"x": 1}))
    (blob,) = emf(capsys.readouterr().out)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Orchestrator"
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "TaskDuration": "Milliseconds",
        "TaskFailures": "Count",
    }
    assert sorted(directive["Dimensions"][0]) == ["service", "task"]
    assert blob["task"] == "double" and blob["service"] == "etl"
    assert blob["TaskDuration"][0] >= 0 and blob["TaskFailures"] == [0.0]
    assert blob["execution_id"] == EXECUTION  # metadata, not a dimension

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Shop")
    run_task("double", payload("double", {"x": 1}))
    (blob,) = emf(capsys.readouterr().out)
    assert blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shop"


def test_errors_propagate_with_their_class(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(PaymentFailed, match="card declined for 5") as info:
        run_task("refuse", payload("refuse", {"amount": 5}))
    # What Lambda reports, hence the state's Error for Retry/Catch.
    assert error_payload(info.value)["errorType"] == "PaymentFailed"
    out = capsys.readouterr().out
    failed = [r for r in logs(out) if r["message"] == "task failed"]
    assert failed and failed[0]["level"] == "ERROR" and failed[0]["error_type"] == "PaymentFailed"
    assert "PaymentFailed" in failed[0]["exception"]
    (blob,) = emf(out)
    assert blob["TaskFailures"] == [1.0]


def test_non_json_result_names_the_task(run_task: Any) -> None:
    with pytest.raises(TaskResultError, match="task 'not_json_3' returned a set"):
        run_task("not_json", payload("not_json_3", {}))


def test_tracer_subsegment_per_task(
    run_task: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    segments: list[tuple[str, dict[str, Any]]] = []

    class Provider:
        @contextmanager
        def in_subsegment(self, name: str) -> Iterator[Any]:
            annotations: dict[str, Any] = {}
            segments.append((name, annotations))

            class Segment:
                def put_annotation(self, key: str, value: Any) -> None:
                    annotations[key] = value

            yield Segment()

    class FakeTracer:
        provider = Provider()

    real = telemetry.current()
    monkeypatch.setattr(telemetry, "_cold_start", False)
    monkeypatch.setattr(
        telemetry,
        "current",
        lambda: telemetry.Telemetry(real.logger, real.metrics, FakeTracer()),
    )
    run_task("double", payload("double", {"x": 1}, map_index=0))
    assert segments == [
        (
            "## double",
            {
                "flow": "etl",
                "task": "double",
                "execution_id": EXECUTION,
                "map_index": 0,
                "attempt": 0,
                "ColdStart": False,
            },
        )
    ]


def test_tracing_only_inside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    assert not telemetry.tracing_enabled()
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    assert telemetry.tracing_enabled()
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not telemetry.tracing_enabled()


def test_handler_import_does_not_load_powertools() -> None:
    # The local engine imports the handler for every run; Powertools is for Lambda only.
    import subprocess

    code = (
        "import sys, orchestrator.runtime.handler; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'boto'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- ORCHESTRATOR_TASK resolution ---------------------------------------------------------


def test_resolve_task_returns_the_function_and_its_sibling_the_task() -> None:
    spec = f"{__name__}:charge"
    assert resolve_task(spec) is charge.fn
    resolved = resolve_task_object(spec)
    assert resolved is charge and resolved.options.idempotent


def test_unset_task_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_TASK", raising=False)
    with pytest.raises(RuntimeError, match="ORCHESTRATOR_TASK is not set"):
        lambda_handler(payload("x", {}))


@pytest.mark.parametrize("spec", ["functions.etl", ":extract", "functions.etl:"])
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(TaskSpecError, match="is not 'package.module:task_name'"):
        resolve_task(spec)
    assert issubclass(TaskSpecError, ValueError)  # what resolve_task always raised


def test_missing_module() -> None:
    with pytest.raises(TaskNotFoundError, match="module 'functions.nope' is not importable"):
        resolve_task("functions.nope:extract")


def test_missing_task_lists_the_module_tasks() -> None:
    with pytest.raises(TaskNotFoundError) as info:
        resolve_task(f"{__name__}:dobule")
    message = str(info.value)
    assert "has no attribute 'dobule'" in message
    assert "charge, double, not_json, refuse" in message


def test_a_broken_task_module_keeps_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_tasks.py").write_text(
        textwrap.dedent(
            """
            import not_installed_dependency  # the user's bug, not a resolution error
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        resolve_task("broken_tasks:work")
    assert not isinstance(info.value, TaskNotFoundError)
    assert info.value.name == "not_installed_dependency"
