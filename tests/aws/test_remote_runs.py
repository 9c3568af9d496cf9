"""`orchestrator run --aws` and `StepFunctionsExecutor` against this repository deployed into moto.

Every shipped flow runs on the stage "test" through its alias, found in the stack's outputs,
over HTTP (moto's server in this process; AWS_ENDPOINT_URL points at it), and must give the
final table and result of a local run of the same flow — from the CLI and from the Python API.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from orchestrator.aws import StepFunctionsExecutor
from orchestrator.cli import app
from orchestrator.loader import load_flow
from orchestrator.local.flowrun import FlowRun
from orchestrator.sdk.flow import Flow
from orchestrator.testing.moto_server import MotoServer

REPO = Path(__file__).resolve().parents[2]
ON_TEST = ("--aws", "--stage", "test")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DECLINED = {"card": "tok_4000000000000002"}  # functions/payment.py declines cards ending 0002


def shipped_flows() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["orchestrator"]["flows"])


def flow_of(spec: str) -> Flow:
    flow = load_flow(spec, REPO)
    assert isinstance(flow, Flow)
    return flow


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def final_table(output: str) -> str:
    """From the summary table's title to the outcome line, run ids and seconds masked."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if " · " in line)
    text = "\n".join(lines[start:])
    return re.sub(r"\b\d+\.\d{3}\b", "S.SSS", UUID.sub("RUN-ID", text))


def progress_lines(output: str) -> set[str]:
    """The live view's `▶ task` / `✓ task (n items)` / `✗ task: error` lines, without times."""
    return {
        line.split(" ", 1)[1]
        for line in output.splitlines()
        if re.match(r"\d\d:\d\d:\d\d\.\d{3} [▶✓✗]", line)
    }


def rows(run: FlowRun) -> list[tuple[Any, ...]]:
    return [(t.id, t.state, t.attempts, t.iterations, t.error) for t in run.task_runs.values()]


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the project whose [project] name names the stack


def test_the_server_serves_the_deployed_stack_with_its_alias_outputs(
    moto_server: MotoServer,
) -> None:
    cfn = boto3.client("cloudformation")  # AWS_ENDPOINT_URL: over HTTP
    assert cfn.meta.endpoint_url == moto_server.url
    (stack,) = cfn.describe_stacks(StackName="orchestrator-test")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    aliases = {sm.alias_arn for sm in moto_server.stack.state_machines.values()}
    assert {v for k, v in outputs.items() if k.endswith("StateMachineAliasArn")} == aliases
    assert len(aliases) == len(shipped_flows())
    assert any("StartExecution refuses alias ARNs" in f for f in moto_server.findings)


@pytest.mark.parametrize("spec", shipped_flows())
def test_run_aws_gives_the_local_final_table(moto_server: MotoServer, spec: str) -> None:
    remote = cli("run", spec, *ON_TEST)
    assert remote.exit_code == 0, remote.output
    assert "started arn:aws:states:" in remote.stdout
    local = cli("run", spec, "--clock", "virtual")
    assert local.exit_code == 0, local.output
    assert final_table(remote.stdout) == final_table(local.stdout)
    # The live view printed the same task lines (in an order threads may change).
    assert progress_lines(remote.stdout) == progress_lines(local.stdout) != set()


@pytest.mark.parametrize("spec", shipped_flows())
def test_executor_returns_the_flow_run_a_local_run_returns(
    moto_server: MotoServer, local_run: Any, spec: str
) -> None:
    flow = flow_of(spec)
    remote = flow.run(executor=StepFunctionsExecutor(stage="test", poll_interval=0.02))
    local = local_run(flow, {})
    assert (remote.flow, remote.state, remote.error) == (local.flow, local.state, local.error)
    assert remote.result == local.result
    assert rows(remote) == rows(local)
    assert remote.params == local.params == {}
    assert remote.execution.output == local.execution.output  # the whole state document
    assert remote.execution.execution_arn.startswith("arn:aws:states:us-east-1:")


def test_a_failed_run_on_aws_fails_as_locally(moto_server: MotoServer, local_run: Any) -> None:
    flow = flow_of("functions.payment:payment")
    order = {**flow.graph.defaults()["order"], **DECLINED}
    flow.executor = StepFunctionsExecutor(stage="test", poll_interval=0.02)
    try:
        remote = flow.run(order=order)
    finally:
        flow.executor = None
    local = local_run(flow, {"order": order})
    assert (remote.state, remote.error) == (local.state, local.error) == ("FAILED", "PaymentFailed")
    assert rows(remote) == rows(local)
    charge = remote.task_runs["charge_payment"]
    assert (charge.state, charge.attempts) == ("FAILED", 4)  # three retries, as in the ASL


def test_run_aws_of_a_failing_run_exits_1_naming_the_remote_history(
    moto_server: MotoServer,
) -> None:
    import json

    order = {**flow_of("functions.payment:payment").graph.defaults()["order"], **DECLINED}
    result = cli(
        "run", "functions.payment:payment", *ON_TEST, "--param", f"order={json.dumps(order)}"
    )
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: flow 'payment' FAILED: PaymentFailed")
    assert re.search(rf"orchestrator runs show {UUID.pattern} --aws --stage test$", line), line


def test_assigning_the_executor_does_not_warn(moto_server: MotoServer) -> None:
    flow = flow_of("functions.etl:etl")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flow.executor = StepFunctionsExecutor(stage="test")
        flow.executor = None


def test_run_aws_no_wait_prints_the_execution_arn(moto_server: MotoServer) -> None:
    result = cli("run", "functions.s3_upload:s3_upload", *ON_TEST, "--no-wait")
    assert result.exit_code == 0, result.output
    (arn,) = result.stdout.split()
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:orchestrator-test-")
    sfn = boto3.client("stepfunctions")
    deadline = time.monotonic() + 30
    # Ended before the next test: its functions' output must not land in another's capture.
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status == "SUCCEEDED"


def test_run_aws_as_a_separate_process(moto_server: MotoServer, tmp_path: Path) -> None:
    """The installed command, in a process of its own: only the environment points it at the
    server, as a user's would point it at AWS."""
    orchestrator = Path(sys.executable).with_name("orchestrator")
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), **moto_server.env()}
    done = subprocess.run(
        [str(orchestrator), "run", "functions.external_api:external_api", *ON_TEST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCEEDED" in done.stdout and "call_external_api" in done.stdout


def test_a_flow_that_is_not_deployed_is_one_error_line(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    (tmp_path / "adhoc.py").write_text(
        "from orchestrator import flow, task\n\n\n@task\ndef one() -> int:\n    return 1\n\n\n"
        "@flow(name='adhoc')\ndef adhoc():\n    return one()\n"
    )
    result = cli("run", str(tmp_path / "adhoc.py"), *ON_TEST)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "flow 'adhoc' is not deployed in stack orchestrator-test (stage test" in line
    assert "Fix: deploy it with `orchestrator deploy --stage test`" in line


def test_local_only_options_are_refused_with_aws(moto_server: MotoServer) -> None:
    for extra in (("--committed",), ("--clock", "virtual")):
        result = cli("run", "functions.etl:etl", *ON_TEST, *extra)
        assert result.exit_code == 2
        assert "apply to local runs" in result.stderr
    result = cli("run", "functions.etl:etl", "--no-wait")
    assert result.exit_code == 2 and "--no-wait applies to" in result.stderr
    result = cli("run", "functions.etl:etl", "--stage", "test")
    assert result.exit_code == 2 and "add --aws" in result.stderr
