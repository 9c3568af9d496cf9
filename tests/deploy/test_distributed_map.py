"""`@task(distributed=True)`: a Distributed Map, planned, run locally and in moto, deployed."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orchestrator import Flow, FlowDefinitionError, flow, task
from orchestrator.cli.build import register
from orchestrator.deploy.build import generate, write
from orchestrator.deploy.validate import statelint_problems
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions
from tests.deploy.conftest import MakeProject


@task
def shards(n: int) -> list[str]:
    return [f"s{i}" for i in range(n)]


@task(distributed=True, max_concurrency=100)
def process(shard: str) -> int:
    return len(shard)


@flow(name="wide")
def wide(n: int = 12):
    return process.map(shards(n))


def test_distributed_map_is_planned_linted_and_runs_the_same_locally_and_in_moto() -> None:
    asl = wide.asl()
    state = asl["States"]["process"]
    assert state["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert state["MaxConcurrency"] == 100
    assert statelint_problems(asl) == []
    local = wide.run(clock="virtual", n=12)
    assert local.result == [2] * 10 + [3] * 2
    with MotoStepFunctions() as sfn:
        remote = run_flow_in_moto(sfn, wide, {"n": 12})
    assert remote.status == "SUCCEEDED", remote.cause
    # The outputs hold references to each side's export (bucket, map run): compare the values.
    assert remote.result == local.result == [2] * 10 + [3] * 2


def test_express_flows_refuse_a_distributed_map() -> None:
    with Flow("fast", type="EXPRESS") as f:
        process.map(shards(3))
    with pytest.raises(FlowDefinitionError, match="Distributed Map cannot run in an EXPRESS"):
        f.graph  # noqa: B018


def test_template_lets_the_machine_start_its_own_children(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project(
        """
        from orchestrator import flow, task

        @task
        def shards(n: int) -> list[str]:
            return [str(i) for i in range(n)]

        @task(distributed=True)
        def process(shard: str) -> int:
            return len(shard)

        @flow(name="wide")
        def flow(n: int = 3):
            return process.map(shards(n))
        """
    )
    artifacts = generate(root)
    template = yaml.safe_load(artifacts.files[Path("template.yaml")])
    # A policy of its own on the machine's role names the machine's exact ARN: a name pattern
    # (`WideStateMachine-*`) would also match the machine of every other stack of the account.
    policy = template["Resources"]["WideStateMachineDistributedMapPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "WideStateMachineRole"}]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    start = statements["StartChildExecutions"]
    assert start["Action"] == "states:StartExecution"
    assert start["Resource"] == {"Ref": "WideStateMachine"}
    manage = statements["ManageChildExecutions"]
    assert manage["Action"] == [
        "states:DescribeExecution",
        "states:StopExecution",
        "states:RedriveExecution",
    ]
    assert manage["Resource"]["Fn::Sub"].endswith(":execution:${WideStateMachine.Name}/*")
    write(artifacts)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", "--project", str(root), "--no-sam"])
    assert result.exit_code == 0, result.output
