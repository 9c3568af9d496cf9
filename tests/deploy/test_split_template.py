"""A split flow's template: each child machine a resource with its own definition, and the
parent allowed exactly what the developer guide's "IAM policies for AWS Step Functions"
(Synchronous: `startExecution.sync`) lists — StartExecution on the child machine,
DescribeExecution and StopExecution on its executions (`…:execution:<name>:*`), and PutTargets,
PutRule, DescribeRule on `rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orchestrator.cli.build import register
from orchestrator.deploy import project
from orchestrator.deploy.build import generate, write
from orchestrator.deploy.template import TEMPLATE_PATH
from orchestrator.deploy.translate import package_template, placeholder_uploader, translate
from orchestrator.planner import plan_flow
from tests.deploy.conftest import MakeProject

CHAIN = """
from orchestrator import flow, task

@task
def inc(x: int) -> int:
    return x + 1

@flow(name="chain")
def flow(x: int = 0):
    for _ in range(12):
        x = inc(x)
    return x
"""


@pytest.fixture
def split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds with a definition limit small enough that the 12-task chain splits."""
    monkeypatch.setattr(
        project, "plan_flow", functools.partial(plan_flow, max_definition_bytes=6_000)
    )


def test_build_writes_each_child_and_wires_it_in_the_template(
    make_project: MakeProject, split_small: None
) -> None:
    root = make_project(CHAIN)
    artifacts = generate(root)
    (build,) = artifacts.builds
    assert len(build.plan.children) >= 2
    names = sorted(p.name for p in artifacts.files if p.suffix == ".json")
    parts = [f"chain.part{i}.asl.json" for i in range(1, len(build.plan.children) + 1)]
    assert names == sorted(["chain.asl.json", *parts])
    template = yaml.safe_load(artifacts.files[Path(TEMPLATE_PATH)])
    resources = template["Resources"]
    parent = resources["ChainStateMachine"]["Properties"]
    children = [f"ChainPart{i}StateMachine" for i in range(1, len(parts) + 1)]
    assert parent["DefinitionSubstitutions"] == {f"{c}Arn": {"Ref": c} for c in children}
    for child, part in zip(children, parts, strict=True):
        props = resources[child]["Properties"]
        assert props["DefinitionUri"] == f"infra/statemachines/{part}"
        assert all(k.endswith("FunctionArn") for k in props["DefinitionSubstitutions"])
        sids = [s["Sid"] for s in props["Policies"][0]["Statement"]]
        assert "InvokeOwnTasks" in sids and "StartChildMachines" not in sids
    statements = {s["Sid"]: s for s in parent["Policies"][0]["Statement"]}
    assert "InvokeOwnTasks" not in statements  # the parent invokes no function
    assert statements["StartChildMachines"]["Action"] == ["states:StartExecution"]
    assert statements["StartChildMachines"]["Resource"] == [{"Ref": c} for c in children]
    watch = statements["WatchChildExecutions"]
    assert watch["Action"] == ["states:DescribeExecution", "states:StopExecution"]
    assert watch["Resource"][0] == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
        "execution:${ChainPart1StateMachine.Name}:*"
    }
    events = statements["SyncExecutionEvents"]
    assert events["Action"] == ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    assert events["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:"
            "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
        }
    ]
    # SAM's transform accepts it: every child a state machine with a role of its own.
    transformed = translate(package_template(template, placeholder_uploader()))
    kinds = [r["Type"] for r in transformed["Resources"].values()]
    assert kinds.count("AWS::StepFunctions::StateMachine") == 1 + len(children)


def test_validate_accepts_a_split_project(make_project: MakeProject, split_small: None) -> None:
    root = make_project(CHAIN)
    write(generate(root))
    asl = json.loads((root / "infra/statemachines/chain.part1.asl.json").read_text("utf-8"))
    # The first chunk starts the run with the flow's first task (it builds the state document).
    assert asl["StartAt"] == "inc"
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", "--project", str(root), "--no-sam"])
    assert result.exit_code == 0, result.output


def test_an_express_flow_that_would_split_is_refused(
    make_project: MakeProject, split_small: None
) -> None:
    # "Express Workflows do not support Run a Job (.sync) or Wait for Callback
    # (.waitForTaskToken)" (developer guide, "Integrating optimized services with Step
    # Functions"): an EXPRESS parent could not start its children with startExecution.sync:2.
    from orchestrator.errors import FlowDefinitionError

    root = make_project(CHAIN.replace('name="chain"', 'name="chain", type="EXPRESS"'))
    with pytest.raises(FlowDefinitionError) as err:
        generate(root)
    message = str(err.value)
    assert "flow 'chain'" in message and "startExecution.sync:2" in message
    assert 'Fix: use type="STANDARD"' in message
    from orchestrator.cli import app as cli

    result = CliRunner().invoke(cli, ["build", "--project", str(root)], catch_exceptions=False)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
