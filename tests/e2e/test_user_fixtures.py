"""The fixtures of `orchestrator.testing.fixtures` as a user gets them: a fresh project whose
top-level conftest says ``pytest_plugins = ["orchestrator.testing.fixtures"]``, built with
`orchestrator build`, and tested by its own pytest run (a subprocess, so its moto account,
imports and rootdir are its own).

The project's one task is ``idempotent=True``, so its template also carries the idempotency
table: the deploy creates it (with its TTL) and the flow runs in moto with Powertools'
idempotency writing its record there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FLOW = """
from orchestrator import flow, task


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task(idempotent=True, timeout=30)
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@flow(name="doubler", schedule="rate(2 hours)")
def doubler(n: int = 3):
    return total(double.map(numbers(n)))
"""

CONFTEST = """
pytest_plugins = ["orchestrator.testing.fixtures"]
"""

TESTS = """
import json

import boto3

from userproj.flows import doubler


def test_local_run(local_run):
    run = local_run(doubler, {"n": 5})
    assert run.state == "SUCCEEDED"
    assert run.result == 20


def test_moto_sfn(moto_sfn):
    from orchestrator.testing.flows import run_flow_in_moto

    run = run_flow_in_moto(moto_sfn, doubler, {"n": 5})
    assert run.status == "SUCCEEDED", run.cause


def test_moto_stack_runs_the_flow_like_the_local_engine(moto_stack, local_run):
    run = moto_stack.execute(doubler.graph.resource_name, {"n": 5})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == local_run(doubler, {"n": 5}).execution.output


def test_moto_stack_has_the_idempotency_table_with_its_ttl(moto_stack):
    (table,) = moto_stack.resources_of("AWS::DynamoDB::Table").values()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    # The idempotent task's invocations left their records (one per map index / call).
    items = dynamodb.scan(TableName=table)["Items"]
    assert len(items) == 5  # one per map index
    assert {i["status"]["S"] for i in items} == {"COMPLETED"}


def test_moto_stack_schedule(moto_stack):
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    (listed,) = scheduler.list_schedules()["Schedules"]
    schedule = scheduler.get_schedule(Name=listed["Name"])
    assert schedule["ScheduleExpression"] == "rate(2 hours)"
    assert json.loads(schedule["Target"]["Input"]) == {"n": 3}
"""


def make_project(root: Path) -> None:
    (root / "userproj").mkdir(parents=True)
    (root / "userproj" / "__init__.py").write_text("")
    (root / "userproj" / "flows.py").write_text(textwrap.dedent(FLOW))
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'userproj'\n\n[tool.orchestrator]\n"
        'flows = ["userproj.flows:doubler"]\n\n'
        "[tool.pytest.ini_options]\naddopts = '-p no:cacheprovider'\n"
    )
    (root / "conftest.py").write_text(CONFTEST)
    (root / "tests").mkdir()
    (root / "tests" / "test_userproj.py").write_text(TESTS)


def test_fixtures_in_a_users_project(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(REPO)])}
    env.pop("ORCHESTRATOR_STORE", None)
    build = subprocess.run(
        [str(BIN / "orchestrator"), "build", "-p", str(root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (root / "template.yaml").is_file()
    # What sam build packages, generated: the project's package, and the layer's runtime.
    assert (root / "infra/package/code/userproj/flows.py").is_file()
    assert (root / "infra/package/layer/orchestrator/runtime/lambda_entry.py").is_file()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    assert "5 passed" in tests.stdout
    # local_run stored nothing in the project (no run store).
    assert not (root / ".orchestrator").exists()
