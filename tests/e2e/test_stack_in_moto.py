"""End to end: the repository's built `template.yaml` deployed into moto and its flows run there.

`template.yaml` → what `sam package` does (code zip and ASL files uploaded to moto's S3) →
samtranslator → CloudFormation JSON → moto `create_stack` → the resources moto's CloudFormation
skipped created through the service APIs → executions in moto's Step Functions executor, every
Lambda running the real `lambda_handler` in-process with its own environment. One deployment
(the module-scoped `moto_stack` fixture of `orchestrator.testing.fixtures`) serves every test.

The build-time refusal of an invalid schedule expression is tested where the other build
refusals are: tests/deploy/test_refusals.py::test_invalid_schedule_is_refused_by_build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from orchestrator.loader import load_flow
from orchestrator.sdk.flow import Flow
from orchestrator.testing.stack import MotoStack

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"

# What moto 5.2.5's CloudFormation does not create (it warns and goes on) for this template.
MOTO_SKIPS = {
    "AWS::S3::BucketPolicy",
    "AWS::StepFunctions::StateMachineVersion",
    "AWS::StepFunctions::StateMachineAlias",
    "AWS::Scheduler::Schedule",
}


def shipped_flows() -> list[str]:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["orchestrator"]["flows"])


def flow_of(spec: str) -> Flow:
    flow = load_flow(spec)
    assert isinstance(flow, Flow)
    return flow


def sam_resources(kind: str) -> dict[str, Any]:
    template = yaml.safe_load((REPO / "template.yaml").read_text(encoding="utf-8"))
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# -- (a) the stack -------------------------------------------------------------------------


def test_every_function_state_machine_bucket_and_table_exists(moto_stack: MotoStack) -> None:
    lambda_ = boto3.client("lambda", region_name=REGION)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)

    functions = sam_resources("AWS::Serverless::Function")
    assert set(moto_stack.functions) == set(functions)
    for logical, function in moto_stack.functions.items():
        config = lambda_.get_function_configuration(FunctionName=function.name)
        sam_env = functions[logical]["Properties"]["Environment"]["Variables"]
        # The function's own variables reached the deployed function (and so the handler).
        assert (
            config["Environment"]["Variables"]["ORCHESTRATOR_TASK"] == sam_env["ORCHESTRATOR_TASK"]
        )
        assert function.environment["ORCHESTRATOR_TASK"] == sam_env["ORCHESTRATOR_TASK"]
        assert config["Handler"] == "orchestrator.runtime.lambda_entry.lambda_handler"

    machines = sam_resources("AWS::Serverless::StateMachine")
    assert set(moto_stack.state_machines) == set(machines)
    flows = {flow_of(spec).graph.resource_name for spec in shipped_flows()}
    assert {sm.flow for sm in moto_stack.state_machines.values()} == flows
    for sm in moto_stack.state_machines.values():
        described = sfn.describe_state_machine(stateMachineArn=sm.arn)
        definition = json.loads(described["definition"])
        # The definition is the committed ASL with every placeholder substituted by a deployed ARN.
        assert "${" not in described["definition"]
        assert definition["StartAt"]
        assert sm.alias_arn is not None
        alias = sfn.describe_state_machine_alias(stateMachineAliasArn=sm.alias_arn)
        assert alias["name"] == "live"

    (bucket,) = moto_stack.resources_of("AWS::S3::Bucket").values()
    s3.head_bucket(Bucket=bucket)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Sid"] == "DenyInsecureTransport"
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == "ExpireResults"
    env_buckets = {
        f.environment["ORCHESTRATOR_RESULTS_BUCKET"] for f in moto_stack.functions.values()
    }
    assert env_buckets == {bucket}


def test_idempotency_table_exists_exactly_when_a_task_is_idempotent(
    moto_stack: MotoStack,
) -> None:
    idempotent = [
        f
        for f in moto_stack.functions.values()
        if "ORCHESTRATOR_IDEMPOTENCY_TABLE" in f.environment
    ]
    tables = moto_stack.resources_of("AWS::DynamoDB::Table")
    if not idempotent:
        # No shipped task uses `idempotent=True` (checked here, so this changes when one does).
        assert tables == {}
        return
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table in tables.values():
        dynamodb.describe_table(TableName=table)
    assert {f.environment["ORCHESTRATOR_IDEMPOTENCY_TABLE"] for f in idempotent} <= set(
        tables.values()
    )


def test_what_moto_skipped_was_created_through_the_apis_and_reported(
    moto_stack: MotoStack,
) -> None:
    resources = moto_stack.cloudformation["Resources"]
    skipped = {lid for lid, r in resources.items() if r["Type"] in MOTO_SKIPS}
    created = dict(moto_stack.created_by_api)
    assert skipped <= set(created)
    assert {created[lid] for lid in skipped} == MOTO_SKIPS
    # moto warned about each of them; nothing else was left out of the stack.
    for kind in MOTO_SKIPS:
        assert any(kind in w for w in moto_stack.moto_warnings), kind
    assert set(moto_stack.physical_ids) == set(resources)
    # moto's CloudFormation puts state machines where its ASL executor does not look, and
    # ignores DefinitionS3Location/DefinitionSubstitutions: both corrected and reported.
    machines = {
        lid for lid, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"
    }
    assert {lid for lid, kind in created.items() if kind == "AWS::StepFunctions::StateMachine"} == (
        machines
    )
    # Properties and references it drops on resources it does create: applied, and reported.
    assert any(
        f.startswith("ResultsBucket: ") and "LifecycleConfiguration" in f
        for f in moto_stack.findings
    )
    assert any(
        f.startswith("DaCuJianKongAc6e9fStateMachineScheduleRole: ") for f in moto_stack.findings
    )
    for lid in machines:
        assert any(
            f.startswith(f"{lid}: ") and "DefinitionS3Location" in f for f in moto_stack.findings
        )


# -- (b) executions: moto vs the local engine --------------------------------------------------

FLOWS_TO_RUN = [
    "functions.dynamic_shards:dynamic_shards",
    "functions.promo_monitor:promo_monitor",  # 大促监控
    "functions.recommendations:recommendations",  # 推荐系统, with a Parallel
    "functions.etl:etl",
    "functions.payment:payment",
    "functions.external_api:external_api",
    "functions.s3_upload:s3_upload",
]


@pytest.mark.parametrize("spec", FLOWS_TO_RUN)
def test_shipped_flow_in_moto_gives_the_local_engines_output(
    moto_stack: MotoStack, local_run: Any, spec: str
) -> None:
    flow = flow_of(spec)
    params = flow.graph.defaults()
    run = moto_stack.execute(flow.graph.resource_name, params)
    assert (run.status, run.error, run.cause) == ("SUCCEEDED", None, None)
    local = local_run(flow, params)
    # The whole state document (params and every task's result), not just the flow's result.
    assert run.output == local.execution.output
    # Every Lambda call went to a function of this flow's state machine.
    sm = moto_stack.state_machine(flow.graph.resource_name)
    definition = json.dumps(
        boto3.client("stepfunctions", region_name=REGION).describe_state_machine(
            stateMachineArn=sm.arn
        )["definition"]
    )
    assert run.invocations
    assert all(name in definition for name, _ in run.invocations)


# -- (c) the schedule --------------------------------------------------------------------------


def test_promo_monitor_is_scheduled_hourly_on_its_alias_with_its_defaults(
    moto_stack: MotoStack,
) -> None:
    flow = flow_of("functions.promo_monitor:promo_monitor")
    sm = moto_stack.state_machine(flow.graph.resource_name)
    scheduler = boto3.client("scheduler", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)

    listed = scheduler.list_schedules()["Schedules"]
    assert [s["Target"]["Arn"] for s in listed] == [sm.alias_arn]  # the only scheduled flow
    schedule = scheduler.get_schedule(Name=listed[0]["Name"])
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == sm.alias_arn
    assert json.loads(target["Input"]) == flow.graph.defaults()
    assert json.loads(target["Input"]) == {
        "window_start": "2024-11-11T00:00:00+08:00",
        "min_conversion": 0.02,
    }
    role_name = target["RoleArn"].rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["Arn"] == target["RoleArn"]
    trusted = json.dumps(role["AssumeRolePolicyDocument"])
    assert "scheduler.amazonaws.com" in trusted
    # The role may start this flow through its alias: AWS authorises a call through an alias on
    # the unqualified state machine ARN (developer guide, "Authorization for versions and
    # aliases"), narrowed to the alias by the states:StateMachineQualifier condition.
    policies = [
        iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    ]
    # moto returns an inline policy created by CloudFormation as JSON text.
    policies = [json.loads(p) if isinstance(p, str) else p for p in policies]
    statements = [s for p in policies for s in p["Statement"]]
    unqualified, alias_name = sm.alias_arn.rsplit(":", 1)
    assert statements == [
        {
            "Sid": "StartExecutionOfTheAlias",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": unqualified,
            "Condition": {"StringEquals": {"states:StateMachineQualifier": alias_name}},
        }
    ], statements


def test_the_schedules_input_runs_the_flow(moto_stack: MotoStack) -> None:
    # What the schedule would start: the flow with the schedule's own input.
    scheduler = boto3.client("scheduler", region_name=REGION)
    (listed,) = scheduler.list_schedules()["Schedules"]
    target = scheduler.get_schedule(Name=listed["Name"])["Target"]
    sm = next(s for s in moto_stack.state_machines.values() if s.alias_arn == target["Arn"])
    run = moto_stack.execute(sm.logical_id, json.loads(target["Input"]))
    assert run.status == "SUCCEEDED", (run.error, run.cause)
