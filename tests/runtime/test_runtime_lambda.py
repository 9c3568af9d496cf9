"""The Lambda entry point: Powertools' structured logs, EMF metrics and traces around each task.

In-process tests build the handler as `orchestrator.runtime.lambda_entry` does at import, under
the environment each test sets, and mark the container cold; one test runs the real module in a
fresh interpreter, as a Lambda container would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider import cold_start as powertools_metrics_cold_start
from aws_lambda_powertools.shared import constants as powertools_env
from aws_lambda_powertools.tracing import tracer as powertools_tracer

from orchestrator import task
from orchestrator.contract import (
    IDEMPOTENCY_TABLE_ENV,
    METRICS_NAMESPACE,
    METRICS_NAMESPACE_ENV,
    SERVICE_ENV,
    TASK_ENV,
)
from orchestrator.runtime import lambda_entry
from orchestrator.runtime.error_payload import error_payload
from orchestrator.runtime.handler import TaskResultError
from orchestrator.runtime.telemetry import Telemetry, tracing_enabled
from orchestrator.testing.lambda_context import LambdaContext as Context

ROOT = Path(__file__).resolve().parents[2]
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:etl:run-1"
SERVICE = "shop"


class PaymentFailed(Exception):
    pass


@task
def double(x: int) -> int:
    return 2 * x


@task
def tag_order(order: str) -> str:
    # Task code appending its own log key, as with any Powertools Logger of the service.
    Logger().append_keys(order=order)
    return order


@task
def refuse(amount: int) -> None:
    raise PaymentFailed(f"card declined for {amount}")


@task
def not_json() -> object:
    return {1, 2}


@task(idempotent=True)
def charge(amount: int) -> str:
    return f"charged {amount}"


def LambdaContext() -> Context:  # noqa: N802 - reads like the class it stands for
    return Context(function_name="shop-double", aws_request_id="52fdfc07-2182-154f")


def payload(task_id: str, inputs: dict[str, Any], **context: Any) -> dict[str, Any]:
    ctx = {"execution_id": EXECUTION, "state": task_id, "retry_count": 0, **context}
    return {"task": task_id, "inputs": inputs, "context": ctx}


@pytest.fixture
def cold_container(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh container's environment, as the template sets it; its first invocation is cold."""
    monkeypatch.setenv(SERVICE_ENV, SERVICE)
    monkeypatch.delenv(METRICS_NAMESPACE_ENV, raising=False)
    monkeypatch.delenv(powertools_env.LAMBDA_TASK_ROOT_ENV, raising=False)
    monkeypatch.delenv(IDEMPOTENCY_TABLE_ENV, raising=False)
    # Powertools keeps one cold-start flag per utility for the process.
    monkeypatch.setattr(powertools_logger, "is_cold_start", True)
    monkeypatch.setattr(powertools_metrics_cold_start, "is_cold_start", True)
    monkeypatch.setattr(powertools_tracer, "is_cold_start", True)


@pytest.fixture
def run_task(cold_container: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke a task of this module through a handler built like the module-level one."""
    handler = lambda_entry.make_handler(Telemetry.from_env())

    def run(name: str, event: dict[str, Any]) -> Any:
        monkeypatch.setenv(TASK_ENV, f"{__name__}:{name}")
        return handler(event, LambdaContext())

    return run


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def logs(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "message" in line]


def emf(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "_aws" in line]


def metric_names(blob: dict[str, Any]) -> set[str]:
    return {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


# -- logs --------------------------------------------------------------------------------------


def test_log_lines_carry_the_context_and_the_execution_as_correlation_id(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = payload("double_2", {"x": 21}, retry_count=1, map_index=4, state="double_2 item")
    assert run_task("double", event) == 42
    out = capsys.readouterr().out
    assert all(json.loads(line) for line in out.splitlines())  # nothing but JSON lines
    records = logs(out)
    assert [r["message"] for r in records] == ["task started", "task succeeded"]
    context = LambdaContext()
    for record in records:
        assert record["level"] == "INFO"
        assert record["service"] == SERVICE
        assert record["correlation_id"] == EXECUTION
        assert record["state_machine"] == "etl"  # from the execution ARN
        assert record["task"] == "double_2"
        assert record["state"] == "double_2 item"
        assert record["map_index"] == 4
        assert record["attempt"] == 1
        assert record["function_name"] == context.function_name
        assert record["function_arn"] == context.invoked_function_arn
        assert record["function_memory_size"] == context.memory_limit_in_mb
        assert record["function_request_id"] == context.aws_request_id
        assert "flow" not in record and "execution_id" not in record
    assert records[1]["duration_ms"] >= 0


def test_cold_start_then_warm_and_no_keys_leak(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run_task("tag_order", payload("tag_order", {"order": "o-1"}, map_index=3))
    first = logs(capsys.readouterr().out)
    assert first[-1]["order"] == "o-1" and first[-1]["map_index"] == 3
    assert all(r["cold_start"] is True for r in first)

    run_task("double", {"task": "double", "inputs": {"x": 1}})  # a console test event
    second = logs(capsys.readouterr().out)
    assert second and all(r["cold_start"] is False for r in second)
    for record in second:
        assert "order" not in record and "map_index" not in record
        assert "correlation_id" not in record and "state_machine" not in record


def test_the_service_is_powertools_service_name(
    run_task: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRATOR_FLOW", "not-read")  # the variable the template never set
    monkeypatch.setenv(SERVICE_ENV, "billing")
    handler = lambda_entry.make_handler(Telemetry.from_env())
    monkeypatch.setenv(TASK_ENV, f"{__name__}:double")
    handler(payload("double", {"x": 1}), LambdaContext())
    out = capsys.readouterr().out
    assert {r["service"] for r in logs(out)} == {"billing"}
    assert {b["service"] for b in emf(out)} == {"billing"}
    assert "not-read" not in out


# -- metrics -----------------------------------------------------------------------------------


def test_emf_metrics_per_attempt_and_cold_start_once(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run_task("double", payload("double", {"x": 1}, map_index=2))
    cold, blob = emf(capsys.readouterr().out)
    # Powertools' ColdStart metric: its own blob, dimensions function_name and service.
    assert metric_names(cold) == {"ColdStart"} and cold["ColdStart"] == [1.0]
    assert cold["function_name"] == LambdaContext().function_name and cold["service"] == SERVICE
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == METRICS_NAMESPACE
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "TaskDuration": "Milliseconds",
        "TaskFailures": "Count",
    }
    assert sorted(directive["Dimensions"][0]) == ["service", "task"]
    assert blob["task"] == "double" and blob["service"] == SERVICE
    assert blob["TaskDuration"][0] >= 0 and blob["TaskFailures"] == [0.0]
    # Metadata, not dimensions.
    assert (blob["execution_id"], blob["map_index"], blob["attempt"]) == (EXECUTION, 2, 0)

    run_task("double", payload("double", {"x": 1}))
    (warm,) = emf(capsys.readouterr().out)  # no ColdStart on a warm invocation
    assert metric_names(warm) == {"TaskDuration", "TaskFailures"}
    assert "map_index" not in warm  # metadata does not leak either


def test_the_namespace_is_powertools_metrics_namespace(
    cold_container: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(METRICS_NAMESPACE_ENV, "Shop")
    handler = lambda_entry.make_handler(Telemetry.from_env())
    monkeypatch.setenv(TASK_ENV, f"{__name__}:double")
    handler(payload("double", {"x": 1}), LambdaContext())
    blobs = emf(capsys.readouterr().out)
    assert {b["_aws"]["CloudWatchMetrics"][0]["Namespace"] for b in blobs} == {"Shop"}


# -- errors ------------------------------------------------------------------------------------


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
    assert failed[0]["correlation_id"] == EXECUTION
    assert "PaymentFailed" in failed[0]["exception"]
    (blob,) = emf(out)  # Powertools counts a cold start only once the handler returned
    assert blob["TaskFailures"] == [1.0] and blob["task"] == "refuse"


def test_non_json_result_names_the_task(run_task: Any) -> None:
    with pytest.raises(TaskResultError, match="task 'not_json_3' returned a set"):
        run_task("not_json", payload("not_json_3", {}))


def test_unset_task_variable_fails_and_is_counted(
    run_task: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = lambda_entry.make_handler(Telemetry.from_env())
    monkeypatch.delenv(TASK_ENV, raising=False)
    with pytest.raises(RuntimeError, match=f"{TASK_ENV} is not set"):
        handler(payload("x", {}), LambdaContext())
    (blob,) = emf(capsys.readouterr().out)
    assert blob["task"] == "x" and blob["TaskFailures"] == [1.0]


def test_idempotent_task_without_its_table_is_refused(
    run_task: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # `@task(idempotent=True)` in the code, deployed by a template that predates it.
    from orchestrator.runtime.idempotency import IdempotencyNotConfigured

    with pytest.raises(IdempotencyNotConfigured, match=f"{IDEMPOTENCY_TABLE_ENV} is not set"):
        run_task("charge", payload("charge", {"amount": 5}))
    with pytest.raises(IdempotencyNotConfigured):  # also for an event outside an execution
        run_task("charge", {"task": "charge", "inputs": {"amount": 5}})


def test_a_table_does_not_make_a_task_idempotent(
    run_task: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stale template may still name a table; the code said idempotent=False, so none is used.
    monkeypatch.setenv(IDEMPOTENCY_TABLE_ENV, "no-such-table")
    assert run_task("double", payload("double", {"x": 4})) == 8


# -- traces ------------------------------------------------------------------------------------


class FakeSegment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata[key] = value


class FakeProvider:
    """An X-Ray recorder stand-in for Powertools' Tracer (`provider=`)."""

    def __init__(self) -> None:
        self.segments: list[FakeSegment] = []
        self.open: list[FakeSegment] = []

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[FakeSegment]:
        segment = FakeSegment(name or "")
        self.segments.append(segment)
        self.open.append(segment)
        try:
            yield segment
        finally:
            self.open.pop()

    def put_annotation(self, key: str, value: Any) -> None:
        self.open[-1].put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.open[-1].put_metadata(key, value, namespace)


@pytest.fixture
def traced(cold_container: None) -> Iterator[tuple[FakeProvider, Tracer]]:
    provider = FakeProvider()
    tracer = Tracer(provider=provider, disabled=False, auto_patch=False)  # type: ignore[arg-type]
    yield provider, tracer
    Tracer._reset_config()  # Tracer keeps its configuration on the class


def test_tracer_subsegment_with_annotations(
    traced: tuple[FakeProvider, Tracer], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, tracer = traced
    base = Telemetry.from_env()
    handler = lambda_entry.make_handler(Telemetry(base.logger, base.metrics, tracer))
    monkeypatch.setenv(TASK_ENV, f"{__name__}:double")
    assert handler(payload("double", {"x": 1}, map_index=0), LambdaContext()) == 2
    (segment,) = provider.segments
    assert segment.name == "## task_handler"
    assert segment.annotations == {
        "task": "double",
        "state_machine": "etl",
        "execution_id": EXECUTION,
        "map_index": 0,
        "attempt": 0,
        "ColdStart": True,  # Powertools' own annotations
        "Service": SERVICE,
    }
    assert segment.metadata == {}  # results stay out of X-Ray (size, and what they may hold)

    monkeypatch.setenv(TASK_ENV, f"{__name__}:refuse")
    with pytest.raises(PaymentFailed):
        handler(payload("refuse", {"amount": 1}), LambdaContext())
    failed = provider.segments[-1]
    assert failed.annotations["ColdStart"] is False and failed.annotations["task"] == "refuse"
    assert "task_handler error" in failed.metadata


def test_tracing_only_inside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    root, disabled, sam = (
        powertools_env.LAMBDA_TASK_ROOT_ENV,
        powertools_env.TRACER_DISABLED_ENV,
        powertools_env.SAM_LOCAL_ENV,
    )
    for name in (root, disabled, sam, powertools_env.CHALICE_LOCAL_ENV):
        monkeypatch.delenv(name, raising=False)
    assert not tracing_enabled()
    monkeypatch.setenv(root, "/var/task")
    assert tracing_enabled()
    monkeypatch.setenv(sam, "true")
    assert not tracing_enabled()
    monkeypatch.delenv(sam)
    monkeypatch.setenv(disabled, "true")
    assert not tracing_enabled()


# -- a container, for real -----------------------------------------------------------------------


CONTAINER = """
import json, sys
from orchestrator.testing.lambda_context import LambdaContext

from orchestrator.runtime.lambda_entry import TELEMETRY, lambda_handler  # the Init phase
print(json.dumps({"traced": TELEMETRY.tracer is not None, "xray": "aws_xray_sdk" in sys.modules}))
context = {"execution_id": sys.argv[1], "state": "double", "retry_count": 0}
event = {"task": "double", "inputs": {"x": 2}, "context": context}
print(json.dumps({"result": lambda_handler(event, LambdaContext())}))
print(json.dumps({"result": lambda_handler(event, LambdaContext())}))
"""


def container(tmp_path: Path, **env: str) -> list[dict[str, Any]]:
    (tmp_path / "tasks_module.py").write_text(
        textwrap.dedent(
            """
            from orchestrator import task

            @task
            def double(x: int) -> int:
                return 2 * x
            """
        )
    )
    # The container's environment is the template's alone: no Powertools or Lambda variable of
    # the test process leaks in.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_"))}
    proc = subprocess.run(
        [sys.executable, "-c", CONTAINER, EXECUTION],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={
            **base,
            "PYTHONPATH": str(tmp_path),
            TASK_ENV: "tasks_module:double",
            SERVICE_ENV: SERVICE,
            METRICS_NAMESPACE_ENV: "Shop",
            **env,
        },
    )
    return json_lines(proc.stdout)


def test_a_lambda_container_cold_then_warm(tmp_path: Path) -> None:
    lines = container(tmp_path)
    assert lines[0] == {"traced": False, "xray": False}  # no X-Ray SDK outside Lambda
    assert [line["result"] for line in lines if "result" in line] == [4, 4]
    first, second = (i for i, line in enumerate(lines) if "result" in line)
    cold, warm = lines[1:first], lines[first + 1 : second]
    for records, is_cold in ((cold, True), (warm, False)):
        messages = [r for r in records if "message" in r]
        assert [r["message"] for r in messages] == ["task started", "task succeeded"]
        assert all(r["cold_start"] is is_cold for r in messages)
        assert all(r["correlation_id"] == EXECUTION and r["service"] == SERVICE for r in messages)
        names = [metric_names(b) for b in records if "_aws" in b]
        expected = [{"ColdStart"}] if is_cold else []
        assert names == [*expected, {"TaskDuration", "TaskFailures"}]
        namespaces = {
            b["_aws"]["CloudWatchMetrics"][0]["Namespace"] for b in records if "_aws" in b
        }
        assert namespaces == {"Shop"}


def test_inside_lambda_the_tracer_is_built_at_init(tmp_path: Path) -> None:
    lines = container(tmp_path, **{powertools_env.LAMBDA_TASK_ROOT_ENV: str(tmp_path)})
    assert lines[0] == {"traced": True, "xray": True}
    assert [line["result"] for line in lines if "result" in line] == [4, 4]
