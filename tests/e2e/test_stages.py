"""Two stages of one project side by side in one account, CloudFormation-named, and a task that
two flows share writing its large result where both can read it.

moto's CloudFormation names the resources it creates as CloudFormation does
(`<stack>-<LogicalId>-<suffix>`), so nothing here can lean on a plain resource name.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from orchestrator.loader import load_flow
from orchestrator.sdk.flow import Flow
from orchestrator.testing.moto import REGION, MotoStepFunctions
from orchestrator.testing.stack import MotoStack, deploy_template_to_moto
from tests.deploy.conftest import package_repo
from tests.deploy.helpers import fixture_project_built_today, forget_fixture_modules

REPO = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")


@pytest.fixture(scope="module")
def account() -> Iterator[MotoStepFunctions]:
    """One moto account for the module: every stack of these tests shares it."""
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn


@pytest.fixture(scope="module")
def stages(account: MotoStepFunctions) -> dict[str, MotoStack]:
    package_repo()  # the infra/package/ the template names (git-ignored)
    return {
        stage: deploy_template_to_moto(
            REPO / "template.yaml", REPO, sfn=account, stack_name=f"orchestrator-{stage}"
        )
        for stage in STAGES
    }


def flows() -> list[Flow]:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    loaded = [load_flow(spec) for spec in config["tool"]["orchestrator"]["flows"]]
    return [f for f in loaded if isinstance(f, Flow)]


def test_two_stages_deploy_side_by_side_without_sharing_a_name(
    stages: dict[str, MotoStack],
) -> None:
    dev, prod = stages["dev"], stages["prod"]
    for kind in (
        "AWS::Lambda::Function",
        "AWS::StepFunctions::StateMachine",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
    ):
        mine, theirs = dev.resources_of(kind), prod.resources_of(kind)
        assert mine and set(mine) == set(theirs), kind
        assert not set(mine.values()) & set(theirs.values()), kind
    # CloudFormation-style names, as on AWS: no resource is called by its logical id alone.
    for logical, name in dev.resources_of("AWS::Lambda::Function").items():
        assert name.startswith("orchestrator-dev-") and logical in name
    schedules = boto3.client("scheduler", region_name=REGION).list_schedules()["Schedules"]
    ours = [s for s in schedules if s["Name"].startswith("orchestrator-")]
    assert len(ours) == 2  # the one scheduled flow, once per stage


@pytest.mark.parametrize("stage", STAGES)
def test_every_shipped_flow_succeeds_in_each_stage(
    stages: dict[str, MotoStack], stage: str
) -> None:
    stack = stages[stage]
    for flow in flows():
        sm = stack.state_machine(flow.graph.resource_name)
        assert sm.alias_arn is not None and sm.alias_arn.endswith(":live")
        params: dict[str, Any] = flow.graph.defaults()
        run = stack.execute(flow.graph.resource_name, params)
        if flow.graph.resource_name == "order_saga":
            assert run.status == "SUCCEEDED"  # a paid order: compensations trigger-fail
            continue
        assert (run.status, run.error, run.cause) == ("SUCCEEDED", None, None), flow.graph.name
        # Every Lambda call named a published version of this stage's functions.
        functions = set(stack.resources_of("AWS::Lambda::Function").values())
        assert {name.split(":")[0] for name, _ in run.invocations} <= functions


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Issue 9's fixture project (two flows sharing `extract` and `count`), built today."""
    root = fixture_project_built_today(tmp_path_factory.mktemp("shared") / "proj")
    sys.path.insert(0, str(root))  # the deployed functions import its tasks
    yield root
    sys.path.remove(str(root))
    forget_fixture_modules()


def test_a_shared_tasks_large_result_lands_under_the_running_flows_prefix(
    shared_project: Path, account: MotoStepFunctions
) -> None:
    with deploy_template_to_moto(
        shared_project / "template.yaml", shared_project, sfn=account, stack_name="shared-dev"
    ) as stack:
        run = stack.execute("adhoc", {"n": 200})  # 200 rows of 1,000 bytes: offloaded
        assert (run.status, run.error) == ("SUCCEEDED", None), run.cause
        assert run.output["results"]["count"]["value"] == 200
        bucket = next(iter(stack.resources_of("AWS::S3::Bucket").values()))
        listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)
        keys = [o["Key"] for o in listed.get("Contents", [])]
        # Written by the function both flows share, under the flow that ran it — the prefix
        # the flow's other functions may read — though the machine is `<Logical>-<suffix>`.
        assert keys and all(k.startswith("adhoc/") for k in keys), keys
        machine = stack.state_machine("adhoc").arn.rsplit(":", 1)[-1]
        assert machine != "adhoc" and "adhoc" not in machine.lower().split("-")[:1]
