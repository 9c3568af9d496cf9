"""`orchestrator redrive`: a failed local run continued with `run`'s output and exit codes, and
`--aws`, which calls RedriveExecution (checked at the API call: moto has no RedriveExecution).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.cli import redrive as redrive_cli
from orchestrator.local import RunStore
from tests.cli.conftest import Project

FLAKY = """
from pathlib import Path

from orchestrator import flow, task


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def square(i: int) -> int:
    if Path(f"broken-{i}").exists():
        raise ValueError(f"item {i} is broken")
    return i * i


@task
def add_up(values: list[int]) -> int:
    return sum(values)


@flow
def squares(n: int = 4):
    return add_up(square.map(numbers(n)))
"""

ARN = "arn:aws:states:eu-west-1:111122223333:execution:Squares-ABC123:run-1"


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


@pytest.fixture
def flaky(project: Project) -> Project:
    project.write(f"{project.package}/flaky.py", FLAKY)
    project.pyproject(flows=f'["{project.spec("good")}", "{project.package}.flaky:squares"]')
    return project


def _failed_run(project: Project) -> str:
    Path("broken-2").touch()
    result = CliRunner().invoke(app, ["run", f"{project.package}.flaky:squares", "-q"])
    assert result.exit_code == 1, result.output
    (run,) = [s for s in RunStore(project.store).list() if s.state_machine == "squares"]
    return run.name


def test_redrive_fails_again_then_succeeds_then_is_refused(flaky: Project) -> None:
    run_id = _failed_run(flaky)

    again = CliRunner().invoke(app, ["redrive", run_id])
    assert again.exit_code == 1, again.output
    (line,) = _errors(again.stderr)
    assert "flow 'squares' FAILED" in line and run_id in line
    assert "continuing run" in again.stdout and "'square'" in again.stdout

    Path("broken-2").unlink()  # the task is fixed
    fixed = CliRunner().invoke(app, ["redrive", run_id[:8]])
    assert fixed.exit_code == 0, fixed.output
    assert "SUCCEEDED result: 14" in fixed.stdout  # 0 + 1 + 4 + 9
    assert "▶ add_up" in fixed.stdout  # the live progress of `orchestrator run`
    # Over the run and its two redrives each item's task exited once (with i * i): an item
    # whose task state exited is not run again; one aborted mid-call is, as on AWS ("only those
    # iterations that failed or aborted").
    history = RunStore(flaky.store).get(run_id).events
    exits = [e.details["output"] for e in history if e.type == "TaskStateExited"]
    squares = [e for e in exits if e in ("0", "1", "4", "9")]
    assert sorted(squares) == ["0", "1", "4", "9"]
    assert fixed.stderr == ""

    refused = CliRunner().invoke(app, ["redrive", run_id])
    assert refused.exit_code == 2
    assert _errors(refused.stderr) == [
        f"error: ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven (run "
        f"{run_id}). Fix: nothing to redrive: it succeeded. Start a new run to run the flow again"
    ]
    assert "Traceback" not in refused.output


def test_redrive_names_the_flow_when_the_project_does_not(flaky: Project) -> None:
    run_id = _failed_run(flaky)
    flaky.pyproject()  # squares is no longer listed
    Path("broken-2").unlink()
    lost = CliRunner().invoke(app, ["redrive", run_id])
    assert lost.exit_code == 2
    (line,) = _errors(lost.stderr)
    assert "which no flow of [tool.orchestrator] flows compiles to" in line
    assert "--flow path/to/file.py:flow" in line
    named = CliRunner().invoke(app, ["redrive", run_id, "--flow", f"{flaky.package}.flaky:squares"])
    assert named.exit_code == 0, named.output


def test_redrive_of_an_unknown_run(flaky: Project) -> None:
    result = CliRunner().invoke(app, ["redrive", "no-such-run"])
    assert result.exit_code == 2
    (line,) = _errors(result.stderr)
    assert "no execution matches 'no-such-run'" in line and "orchestrator runs list" in line


# -- --aws -----------------------------------------------------------------------------------


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    """The Step Functions client the command makes, stubbed: each test queues the one call it
    expects, with its exact parameters (moto has no RedriveExecution)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("stepfunctions", region_name="eu-west-1")
    stubber = Stubber(client)
    made: list[tuple[str, str | None]] = []

    def factory(region: str, profile: str | None) -> Any:
        made.append((region, profile))
        return client

    monkeypatch.setattr(redrive_cli, "stepfunctions_client", factory)
    stubber.made = made  # type: ignore[attr-defined]
    return stubber


def test_aws_redrive_calls_redrive_execution_with_the_arn(stubbed: Stubber) -> None:
    date = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    stubbed.add_response("redrive_execution", {"redriveDate": date}, {"executionArn": ARN})
    with stubbed:
        result = CliRunner().invoke(app, ["redrive", ARN, "--aws", "--profile", "ops"])
    assert result.exit_code == 0, result.output
    stubbed.assert_no_pending_responses()
    assert stubbed.made == [("eu-west-1", "ops")]  # type: ignore[attr-defined]  # ARN's region
    said = f"redriven {ARN} at 2024-05-01T12:00:00+00:00; it continues on AWS"
    assert result.stdout.strip() == said


def test_aws_redrive_of_a_run_name_finds_it_in_the_stage(
    stubbed: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.aws import executions
    from orchestrator.cli.aws_options import AwsTarget

    client = stubbed.client

    class Stage:
        where = "stack demo-prod (stage prod, eu-west-1)"

        def client(self, service: str) -> Any:
            assert service == "stepfunctions"
            return client

    found: list[tuple[str, str | None]] = []
    monkeypatch.setattr(AwsTarget, "connect", lambda self, root=None: Stage())
    monkeypatch.setattr(
        executions, "find", lambda deployment, run_id: found.append((run_id, None)) or ARN
    )
    date = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    stubbed.add_response("redrive_execution", {"redriveDate": date}, {"executionArn": ARN})
    with stubbed:
        result = CliRunner().invoke(app, ["redrive", "run-1", "--aws", "--stage", "prod"])
    assert result.exit_code == 0, result.output
    assert found == [("run-1", None)]
    stubbed.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/dev is not authorized to perform: "
            "states:RedriveExecution",
            f"error: redriving {ARN}: access denied (User: arn:aws:iam::111122223333:user/dev "
            "is not authorized to perform: states:RedriveExecution). Fix: use credentials "
            "whose policy allows states:RedriveExecution (--profile), or ask an administrator "
            "for it",
        ),
        (
            "ExecutionDoesNotExist",
            f"Execution Does Not Exist: '{ARN}'",
            f"error: no execution {ARN} in account 111122223333, region eu-west-1 "
            f"(ExecutionDoesNotExist: Execution Does Not Exist: '{ARN}'). Fix: check the ARN, "
            "and that the credentials (--profile) are for that account",
        ),
        (
            # API DescribeExecution: redriveStatusReason "Execution is SUCCEEDED and cannot be
            # redriven"; RedriveExecution's error for it: ExecutionNotRedrivable.
            "ExecutionNotRedrivable",
            "Execution is SUCCEEDED and cannot be redriven",
            f"error: {ARN} cannot be redriven (ExecutionNotRedrivable: Execution is SUCCEEDED "
            "and cannot be redriven). Fix: start a new execution; AWS redrives a Standard "
            "execution that did not succeed, ended less than 14 days ago and has fewer than "
            "24,999 history events",
        ),
    ],
)
def test_aws_errors_are_one_line_with_the_fix(
    stubbed: Stubber, code: str, message: str, expected: str
) -> None:
    stubbed.add_client_error(
        "redrive_execution",
        service_error_code=code,
        service_message=message,
        http_status_code=400,
        expected_params={"executionArn": ARN},
    )
    with stubbed:
        result = CliRunner().invoke(app, ["redrive", ARN, "--aws"])
    assert result.exit_code == 2
    assert _errors(result.stderr) == [expected]
    assert "Traceback" not in result.output


def test_aws_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orchestrator.aws.errors import CREDENTIALS_FIX

    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(app, ["redrive", ARN, "--aws"])
    assert result.exit_code == 2
    assert _errors(result.stderr) == [
        f"error: redriving {ARN}: no AWS credentials found. Fix: {CREDENTIALS_FIX}"
    ]


def test_aws_with_an_unknown_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = CliRunner().invoke(app, ["redrive", ARN, "--aws", "--profile", "nope"])
    assert result.exit_code == 2
    (line,) = _errors(result.stderr)
    assert line.startswith(f"error: redriving {ARN}: The config profile (nope) could not be found")


def test_aws_options_without_aws_and_a_malformed_arn() -> None:
    local = CliRunner().invoke(app, ["redrive", "run-1", "--stage", "prod"])
    assert local.exit_code == 2
    (line,) = _errors(local.stderr)
    assert "--stage apply to `orchestrator redrive --aws`" in line
    bad = CliRunner().invoke(app, ["redrive", "arn:aws:states:eu-west-1:1:stateMachine:m", "--aws"])
    assert bad.exit_code == 2
    (line,) = _errors(bad.stderr)
    assert "is not an execution's ARN (arn:aws:states:<region>:<account>:execution:" in line
