"""The generated template.yaml: a function per task, agreeing timeouts, wiring, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.contract import RESULTS_BUCKET_SUBSTITUTION
from orchestrator.deploy.build import Artifacts, generate
from orchestrator.deploy.lambdas import HANDLER, RESULTS_BUCKET
from orchestrator.deploy.statemachines import PLACEHOLDER
from orchestrator.deploy.translate import package_template, placeholder_uploader, translate
from tests.deploy.conftest import SIMPLE_FLOW, MakeProject
from tests.deploy.helpers import resources_of, task_states


@pytest.fixture(scope="module")
def template(repo_artifacts: Artifacts) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(repo_artifacts.files[Path("template.yaml")])
    return loaded


@pytest.fixture(scope="module")
def cfn(template: dict[str, Any]) -> dict[str, Any]:
    return translate(package_template(template, placeholder_uploader()))


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::Serverless::Function")


def _machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::Serverless::StateMachine")


def test_sam_header_and_globals(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.12"
    assert glob["Handler"] == HANDLER
    assert glob["Architectures"] == ["arm64"]
    assert glob["Tracing"] == "Active"
    # Every deploy publishes function versions, which the state machines then name.
    assert glob["AutoPublishAlias"] == "live"


def test_each_function_logs_as_its_flow_into_a_log_group_with_retention(template: dict) -> None:
    for logical, fn in _functions(template).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        flows = variables["ORCHESTRATOR_FLOW"].split(",")
        assert variables["POWERTOOLS_SERVICE_NAME"] == (
            flows[0] if len(flows) == 1 else "orchestrator"
        )
        group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        props = template["Resources"][group]["Properties"]
        assert props["RetentionInDays"] == 30
        # Named after the stack: two stages never share a log group.
        assert props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}/{logical}"}


def test_one_function_per_distinct_task(repo_artifacts: Artifacts, template: dict) -> None:
    keys = {n.task_key for b in repo_artifacts.builds for n in b.graph.nodes}
    envs = [f["Properties"]["Environment"]["Variables"] for f in _functions(template).values()]
    assert sorted(e["ORCHESTRATOR_TASK"] for e in envs) == sorted(keys)


def test_one_state_machine_per_flow(repo_artifacts: Artifacts, template: dict) -> None:
    uris = sorted(m["Properties"]["DefinitionUri"] for m in _machines(template).values())
    assert uris == sorted(b.asl_path.as_posix() for b in repo_artifacts.builds)
    for machine in _machines(template).values():
        props = machine["Properties"]
        assert props["Type"] == "STANDARD"
        assert "AutoPublishAlias" not in props  # its version and alias are declared below
        assert props["Tracing"] == {"Enabled": True}
        assert props["Logging"]["Destinations"]
        assert len(props["Tags"]["orchestrator:code-sha256"]) == 64
        assert props["Tags"]["orchestrator:commit"] == {"Ref": "GitCommit"}


def test_lambda_timeout_and_memory_agree_with_the_asl(
    repo_artifacts: Artifacts, template: dict
) -> None:
    functions = _functions(template)
    checked = 0
    for build in repo_artifacts.builds:
        machine = _machines(template)[_machine_id(template, build.asl_path)]
        subs = machine["Properties"]["DefinitionSubstitutions"]
        nodes = {n.id: n for n in build.graph.nodes}
        for name, state in task_states(build.plan.asl):
            key = PLACEHOLDER.fullmatch(state["Parameters"]["FunctionName"]).group(1)  # type: ignore[union-attr]
            props = functions[_function_of(subs[key])]["Properties"]
            # Every Task state is bounded, by exactly its function's Timeout (issue 7).
            assert props["Timeout"] == state["TimeoutSeconds"], name
            node = nodes[name.removesuffix(" item")]
            assert props["MemorySize"] == node.memory
            checked += 1
    assert checked >= 20
    api = next(f for f in functions.values() if "call_external_api" in str(f))
    assert api["Properties"]["Timeout"] == 300
    # The project sets no default_timeout: a task without timeout= gets the built-in 60 s.
    extract = next(f for f in functions.values() if "functions.etl:extract" in str(f))
    assert extract["Properties"]["Timeout"] == 60


def test_each_machine_publishes_a_version_with_its_commit_and_an_alias(
    repo_artifacts: Artifacts, template: dict
) -> None:
    for build in repo_artifacts.builds:
        sm = _machine_id(template, build.asl_path)
        version = template["Resources"][f"{sm}Version"]
        assert version["DeletionPolicy"] == version["UpdateReplacePolicy"] == "Retain"
        props = version["Properties"]
        assert props["StateMachineRevisionId"] == {"Fn::GetAtt": [sm, "StateMachineRevisionId"]}
        assert props["Description"] == {
            "Fn::Sub": "commit ${GitCommit} code-sha256 " + build.code_hash[:16]
        }
        alias = template["Resources"][f"{sm}Alias"]["Properties"]
        assert alias["Name"] == "live"
        assert alias["RoutingConfiguration"] == [
            {"StateMachineVersionArn": {"Ref": f"{sm}Version"}, "Weight": 100}
        ]
        assert template["Outputs"][f"{sm}AliasArn"]["Value"] == {"Ref": f"{sm}Alias"}


def _function_of(substitution: dict[str, Any]) -> str:
    """`{"Ref": "XFunction.Version"}` → "XFunction"."""
    return str(substitution["Ref"]).removesuffix(".Version")


def _machine_id(template: dict[str, Any], asl_path: Path) -> str:
    return next(
        k
        for k, m in _machines(template).items()
        if m["Properties"]["DefinitionUri"] == asl_path.as_posix()
    )


def test_every_placeholder_has_a_substitution_and_back(
    repo_artifacts: Artifacts, template: dict
) -> None:
    for build in repo_artifacts.builds:
        machine = _machines(template)[_machine_id(template, build.asl_path)]
        subs = dict(machine["Properties"]["DefinitionSubstitutions"])
        assert set(PLACEHOLDER.findall(build.asl_text)) == set(subs)
        # A Distributed Map's ResultWriter/ItemReader name the results bucket, and only then.
        bucket = subs.pop(RESULTS_BUCKET_SUBSTITUTION, None)
        uses_bucket = "${" + RESULTS_BUCKET_SUBSTITUTION + "}" in build.asl_text
        assert bucket == ({"Ref": RESULTS_BUCKET} if uses_bucket else None)
        # The published version: a state machine version pins the code it runs.
        assert all(str(v["Ref"]).endswith(".Version") for v in subs.values())
        assert all(_functions(template).get(_function_of(v)) for v in subs.values())


def test_promo_monitor_is_scheduled_hourly_with_its_defaults(
    repo_artifacts: Artifacts, template: dict
) -> None:
    build = next(b for b in repo_artifacts.builds if b.graph.name == "大促监控")
    sm = _machine_id(template, build.asl_path)
    schedules = resources_of(template, "AWS::Scheduler::Schedule")
    assert list(schedules) == [f"{sm}Schedule"]  # the only scheduled flow
    props = schedules[f"{sm}Schedule"]["Properties"]
    assert "Name" not in props  # CloudFormation names it per stack: stages never clash
    assert props["ScheduleExpression"] == "rate(1 hour)"
    assert "ScheduleExpressionTimezone" not in props
    assert props["Target"]["Arn"] == {"Ref": f"{sm}Alias"}
    assert json.loads(props["Target"]["Input"]) == {
        "window_start": "2024-11-11T00:00:00+08:00",
        "min_conversion": 0.02,
    }
    role = template["Resources"][f"{sm}ScheduleRole"]["Properties"]
    (statement,) = _statements({"Properties": role})
    # AWS authorises StartExecution through an alias on the unqualified ARN (developer guide,
    # "Authorization for versions and aliases"): the machine, narrowed to the alias.
    assert statement["Resource"] == {"Ref": sm}
    assert statement["Condition"] == {"StringEquals": {"states:StateMachineQualifier": "live"}}


def test_results_bucket_is_private_encrypted_tls_only_and_expiring(template: dict) -> None:
    bucket = template["Resources"]["ResultsBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    statement = template["Resources"]["ResultsBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "IdempotencyTable" not in template["Resources"]  # no shipped task is idempotent


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_state_machines_invoke_only_their_own_functions(
    repo_artifacts: Artifacts, cfn: dict
) -> None:
    machines = resources_of(cfn, "AWS::StepFunctions::StateMachine")
    assert len(machines) == len(repo_artifacts.builds)
    for logical, machine in machines.items():
        # SAM resolved `XFunction.Version` to a Ref to the published version resource.
        versions = [
            v["Ref"]
            for k, v in machine["Properties"]["DefinitionSubstitutions"].items()
            if k != RESULTS_BUCKET_SUBSTITUTION
        ]
        own = {cfn["Resources"][v]["Properties"]["FunctionName"]["Ref"] for v in versions}
        role = cfn["Resources"][machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]]
        invoke = [s for s in _statements(role) if "lambda:InvokeFunction" in _as_list(s["Action"])]
        assert invoke, logical
        targets = [r for s in invoke for r in _as_list(s["Resource"])]
        assert "*" not in targets
        # Each function's ARN and its versions (`<arn>:*`), nothing else.
        named = {
            r["Fn::GetAtt"][0] if "Fn::GetAtt" in r else r["Fn::Sub"][2:].split(".", 1)[0]
            for r in targets
        }
        assert named == own
        assert len(targets) == 2 * len(own)
    # Nothing else in the stack may invoke functions with a wildcard either.
    for logical, role in resources_of(cfn, "AWS::IAM::Role").items():
        for statement in _statements(role):
            actions = _as_list(statement["Action"])
            if any(a.startswith("lambda:") for a in actions):
                assert "*" not in _as_list(statement["Resource"]), logical


def test_functions_touch_only_their_flows_prefix(template: dict, cfn: dict) -> None:
    for logical, fn in _functions(template).items():
        prefix = fn["Properties"]["Environment"]["Variables"]["ORCHESTRATOR_RESULTS_PREFIX"]
        role = cfn["Resources"][f"{logical}Role"]
        resources = [r for s in _statements(role) for r in _as_list(s["Resource"])]
        assert resources == [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{ResultsBucket}}/{prefix}*"}
        ]


def test_idempotent_tasks_get_the_table_and_only_they(make_project: MakeProject) -> None:
    root = make_project(
        """
        from orchestrator import flow, task

        @task(idempotent=True)
        def charge(n: int) -> int:
            return n

        @task
        def notify(x: int) -> int:
            return x

        @flow(name="pay")
        def flow(n: int = 1):
            return notify(charge(n))
        """,
        extra_toml='architecture = "x86_64"\n',
    )
    template = yaml.safe_load(generate(root).files[Path("template.yaml")])
    table = template["Resources"]["IdempotencyTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert template["Globals"]["Function"]["Architectures"] == ["x86_64"]
    fns = _functions(template)
    charge, notify = fns["ChargeFunction"]["Properties"], fns["NotifyFunction"]["Properties"]
    assert charge["Environment"]["Variables"]["ORCHESTRATOR_IDEMPOTENCY_TABLE"] == {
        "Ref": "IdempotencyTable"
    }
    assert "ORCHESTRATOR_IDEMPOTENCY_TABLE" not in notify["Environment"]["Variables"]
    assert "dynamodb" in json.dumps(charge["Policies"])
    assert "dynamodb" not in json.dumps(notify["Policies"])


def test_task_options_reach_the_function(make_project: MakeProject) -> None:
    root = make_project(SIMPLE_FLOW)
    template = yaml.safe_load(generate(root).files[Path("template.yaml")])
    fetch = _functions(template)["FetchFunction"]["Properties"]
    assert (fetch["Timeout"], fetch["MemorySize"]) == (30, 512)
    total = _functions(template)["TotalFunction"]["Properties"]
    assert (total["Timeout"], total["MemorySize"]) == (60, 256)


def test_a_task_shared_by_two_flows_ships_once(make_project: MakeProject) -> None:
    root = make_project(
        """
        from orchestrator import flow, task

        @task
        def shared(n: int) -> int:
            return n

        @flow(name="one")
        def first(n: int = 1):
            return shared(n)

        @flow(name="two")
        def second(n: int = 2):
            return shared(n)
        """,
        flows=("first", "second"),
    )
    template = yaml.safe_load(generate(root).files[Path("template.yaml")])
    (fn,) = _functions(template).values()
    assert (
        fn["Properties"]["Environment"]["Variables"]["ORCHESTRATOR_RESULTS_PREFIX"] == "one/,two/"
    )
    assert len(_machines(template)) == 2
