"""`runs list|show --aws`, `logs --aws` and `stop --aws` against this repository in moto, and the
one-line errors of every `--aws` command (no stack, no execution, no credentials, no --aws).

The executions they read are made here, through `StepFunctionsExecutor` (module fixtures: each
xdist worker has its own server and stack, so a test makes what it reads).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.aws import StepFunctionsExecutor, executions
from orchestrator.cli import app
from orchestrator.loader import load_flow
from orchestrator.local.flowrun import FlowRun
from orchestrator.sdk.flow import Flow
from orchestrator.testing.moto_server import MotoServer

REPO = Path(__file__).resolve().parents[2]
ON_TEST = ("--aws", "--stage", "test")
ETL_TASKS = {"extract", "clean_data", "transform", "load_to_db"}


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def one_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return str(line)


def flow_of(spec: str) -> Flow:
    flow = load_flow(spec, REPO)
    assert isinstance(flow, Flow)
    return flow


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the project whose [project] name names the stack


@pytest.fixture(scope="module")
def executor(moto_server: MotoServer) -> StepFunctionsExecutor:
    return StepFunctionsExecutor(stage="test", project=REPO, poll_interval=0.02)


@pytest.fixture(scope="module")
def etl_runs(executor: StepFunctionsExecutor) -> list[FlowRun]:
    """Two finished ETL runs (two, so that reading one must leave the other out)."""
    flow = flow_of("functions.etl:etl")
    return [flow.run(executor=executor), flow.run(executor=executor, rows=50)]


# -- runs list / show ------------------------------------------------------------------------


def test_runs_list_aws_lists_executions_newest_first(etl_runs: list[FlowRun]) -> None:
    result = cli("runs", "list", *ON_TEST)
    assert result.exit_code == 0, result.output
    first, second = (run.run_id for run in etl_runs)
    assert first in result.stdout and second in result.stdout
    assert result.stdout.index(second) < result.stdout.index(first)
    assert re.search(rf"{second}\s+│ ETL\s+│ SUCCEEDED", result.stdout)


def test_runs_list_aws_filters_by_flow_status_and_time(etl_runs: list[FlowRun]) -> None:
    ids = {run.run_id for run in etl_runs}

    def listed(*options: str) -> set[str]:
        result = cli("runs", "list", *ON_TEST, *options)
        assert result.exit_code == 0, result.output
        return {i for i in ids if i in result.stdout}

    assert listed("--flow", "ETL", "--status", "succeeded", "--since", "1h") == ids
    assert listed("--status", "FAILED") == set()
    assert listed("--flow", "payment") == set()
    assert listed("--since", (datetime.now(UTC) + timedelta(hours=1)).isoformat()) == set()
    assert listed("--flow", "ETL", "--limit", "1") == {etl_runs[1].run_id}


def test_runs_list_aws_reads_every_page(
    etl_runs: list[FlowRun], monkeypatch: pytest.MonkeyPatch, executor: StepFunctionsExecutor
) -> None:
    monkeypatch.setattr(executions, "LIST_PAGE", 1)  # ListExecutions pages of one
    deployment = executor.deployment(flow_of("functions.etl:etl"))
    found = executions.list_runs(deployment, [deployment.flow("ETL")], limit=100)
    assert {run.run_id for run in etl_runs} <= {s.name for s in found}
    assert [s.start_date for s in found] == sorted((s.start_date for s in found), reverse=True)


def test_runs_show_aws_by_name_prefix_and_arn(etl_runs: list[FlowRun]) -> None:
    run = etl_runs[0]
    arn = run.execution.execution_arn
    for run_id in (run.run_id, run.run_id[:13], arn):
        result = cli("runs", "show", run_id, *ON_TEST, "--events")
        assert result.exit_code == 0, result.output
        head = result.stdout.splitlines()[0]
        assert head == f"{run.run_id} ETL SUCCEEDED"
        assert "ExecutionSucceeded" in result.stdout
        assert re.search(r"TaskStateEntered\s+extract", result.stdout)
    shown = json.loads(cli("runs", "show", run.run_id, *ON_TEST, "--json").stdout)
    assert shown["executionArn"] == arn
    assert shown["status"] == "SUCCEEDED"
    assert shown["output"] == run.execution.output
    assert len(shown["events"]) == len(run.events)


def test_report_aws_writes_the_page_of_a_deployed_run(
    etl_runs: list[FlowRun], tmp_path: Path
) -> None:
    run = etl_runs[0]
    out = tmp_path / "run.html"
    result = cli("report", run.run_id, *ON_TEST, "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    for task in ("extract", "transform", "load"):
        assert task in page
    assert run.run_id in page


def test_report_refuses_aws_options_without_aws(etl_runs: list[FlowRun]) -> None:
    result = cli("report", etl_runs[0].run_id, "--stage", "test")
    assert result.exit_code == 2
    assert "--stage apply to `orchestrator report --aws`" in one_error(result)


# -- logs ------------------------------------------------------------------------------------


def test_logs_aws_prints_only_that_runs_lines_from_every_task(etl_runs: list[FlowRun]) -> None:
    run = etl_runs[0]
    raw = cli("logs", run.run_id, *ON_TEST, "--raw")
    assert raw.exit_code == 0, raw.output
    lines = [json.loads(line) for line in raw.stdout.splitlines()]
    assert {line["correlation_id"] for line in lines} == {run.execution.execution_arn}
    assert {line["task"] for line in lines} == ETL_TASKS
    assert [line["message"] for line in lines if line["task"] == "extract"] == [
        "task started",
        "task succeeded",
    ]
    human = cli("logs", run.run_id, *ON_TEST)
    assert re.search(r"^\d\d:\d\d:\d\d\.\d{3} extract INFO task started$", human.stdout, re.M)
    only = cli("logs", run.run_id, *ON_TEST, "--task", "transform", "--raw")
    assert {json.loads(line)["task"] for line in only.stdout.splitlines()} == {"transform"}


def test_logs_aws_of_a_failed_run_shows_each_attempts_exception(
    executor: StepFunctionsExecutor,
) -> None:
    flow = flow_of("functions.payment:payment")
    order = {**flow.graph.defaults()["order"], "card": "tok_4000000000000002"}
    run = flow.run(executor=executor, order=order)
    assert run.state == "FAILED"
    result = cli("logs", run.run_id, *ON_TEST, "--task", "charge_payment")
    assert result.exit_code == 0, result.output
    failed = re.findall(r"charge_payment(?: attempt (\d))? ERROR task failed", result.stdout)
    assert failed == ["", "2", "3", "4"]  # the first attempt, then three retries
    assert "PaymentFailed: order" in result.stdout and "card declined by issuer" in result.stdout


# -- stop ------------------------------------------------------------------------------------


@dataclass
class Held:
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    returned: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def held_extract(moto_server: MotoServer) -> Iterator[Held]:
    """ETL's first task waits (up to 30 s) until the test releases it: a run that stays
    RUNNING, inside a Lambda invocation, until it is stopped."""
    stack = moto_server.stack
    (name,) = [
        f.name
        for f in stack.functions.values()
        if f.environment["ORCHESTRATOR_TASK"].endswith(":extract")
    ]
    original = stack.sfn.handler(name)
    held = Held()

    def hold(event: Any) -> Any:
        held.entered.set()
        held.release.wait(30)
        try:
            return original(event)
        finally:
            held.returned.set()

    stack.sfn.register_handler(name, hold)
    try:
        yield held
    finally:
        held.release.set()
        if held.entered.is_set():
            held.returned.wait(30)  # its output must not land in the next test's capture
        stack.sfn.register_handler(name, original)


def test_stop_aws_aborts_a_running_execution(held_extract: Held) -> None:
    started = cli("run", "functions.etl:etl", *ON_TEST, "--no-wait")
    assert started.exit_code == 0, started.output
    arn = started.stdout.strip()
    name = arn.rsplit(":", 1)[1]
    assert held_extract.entered.wait(30)  # the execution is in its first task
    stopped = cli("stop", name, *ON_TEST, "--error", "Operator", "--cause", "testing stop")
    assert stopped.exit_code == 0, stopped.output
    assert stopped.stdout.strip() == f"stopped {name} ({arn}): it ends ABORTED"
    held_extract.release.set()
    shown = json.loads(cli("runs", "show", name, *ON_TEST, "--json").stdout)
    assert shown["status"] == "ABORTED"
    again = cli("stop", name, *ON_TEST)
    assert again.exit_code == 0
    assert again.stdout.strip() == f"{name} already ended ABORTED: nothing to stop"
    listed = cli("runs", "list", *ON_TEST, "--status", "ABORTED")
    assert name in listed.stdout


# -- errors: one line, exit 2 ----------------------------------------------------------------


def test_a_stage_that_is_not_deployed(moto_server: MotoServer) -> None:
    line = one_error(cli("runs", "list", "--aws", "--stage", "nosuch"))
    assert "stack orchestrator-nosuch (stage nosuch, us-east-1) does not exist" in line
    assert "Fix: deploy it with `orchestrator deploy --stage nosuch`" in line


def test_an_execution_that_does_not_exist(moto_server: MotoServer) -> None:
    line = one_error(cli("runs", "show", "no-such-run", *ON_TEST))
    assert "no execution matches 'no-such-run' in stack orchestrator-test" in line
    assert "Fix: see `orchestrator runs list --aws --stage test`" in line
    arn = "arn:aws:states:us-east-1:123456789012:execution:orchestrator-test-X:nope"
    for command in (("stop", arn), ("logs", arn)):
        line = one_error(cli(*command, *ON_TEST))
        assert f"no execution {arn} in stack orchestrator-test" in line


def test_no_credentials(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    line = one_error(cli("runs", "list", *ON_TEST))
    assert "no AWS credentials found. Fix: set AWS_PROFILE or pass --profile" in line
    line = one_error(cli("runs", "list", *ON_TEST, "--profile", "nosuch"))
    assert "The config profile (nosuch) could not be found" in line
    assert "Fix: pass a profile listed by `aws configure list-profiles`" in line


def test_commands_that_need_aws_say_so(moto_server: MotoServer) -> None:
    line = one_error(cli("logs", "some-run"))
    assert "`orchestrator logs` needs --aws: local runs keep no log lines" in line
    line = one_error(cli("stop", "some-run"))
    assert "`orchestrator stop` needs --aws" in line
    line = one_error(cli("runs", "list", "--stage", "test"))
    assert "--stage apply to `orchestrator runs list --aws`; add --aws" in line
    line = one_error(cli("runs", "list", "--status", "FAILED"))
    assert "filter `orchestrator runs list --aws`" in line
    line = one_error(cli("runs", "list", *ON_TEST, "--status", "DONE"))
    assert "--status 'DONE' is not one of RUNNING, SUCCEEDED" in line
    line = one_error(cli("runs", "list", *ON_TEST, "--since", "yesterday"))
    assert "--since 'yesterday' is neither a duration nor a date" in line
