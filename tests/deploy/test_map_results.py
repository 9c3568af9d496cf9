"""A Distributed Map's results in the results bucket: the ResultWriter exporting them and the
ItemReader reading a task's list are given the bucket's name, granted exactly what AWS requires
under the flow's prefix, and checked offline by `orchestrator validate`."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orchestrator.cli.build import register
from orchestrator.contract import RESULTS_BUCKET_SUBSTITUTION, map_results_prefix
from orchestrator.deploy.access import Finding, check_project, enumerate_calls
from orchestrator.deploy.build import Artifacts, generate, write
from orchestrator.deploy.lambdas import RESULTS_BUCKET
from orchestrator.deploy.physical import StackResources
from orchestrator.deploy.project import FlowBuild
from orchestrator.deploy.statemachines import (
    DISTRIBUTED_MAP_POLICY,
    distributed_map_policy,
    is_distributed_map,
    part_id,
    states_of,
)
from orchestrator.deploy.template import TEMPLATE_PATH, build_template, render_template
from orchestrator.deploy.translate import package_template, placeholder_uploader, translate
from tests.deploy.conftest import SIMPLE_FLOW, MakeProject

WIDE = """
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

MACHINE, ROLE = "WideStateMachine", "WideStateMachineRole"
FLOW_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ResultsBucket}/wide/*"}
EXPORT_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ResultsBucket}/wide/maps/process/*"}


def with_map_results(build: FlowBuild) -> FlowBuild:
    """`build` with every Distributed Map exporting its results and reading its items as the
    planner writes them (kept if the planner already did)."""
    asl = copy.deepcopy(build.plan.asl)
    flow = build.graph.resource_name
    for name, state in states_of(asl):
        if not is_distributed_map(state):
            continue
        state.pop("ItemsPath", None)
        state.setdefault(
            "ItemReader",
            {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {
                    "Bucket.$": "$.results.shards.value.bucket",
                    "Key.$": "$.results.shards.value.key",
                },
            },
        )
        state.setdefault(
            "ResultWriter",
            {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {
                    "Bucket": "${" + RESULTS_BUCKET_SUBSTITUTION + "}",
                    "Prefix": map_results_prefix(flow, name),
                },
            },
        )
    return dataclasses.replace(build, plan=dataclasses.replace(build.plan, asl=asl))


def without_map_results(build: FlowBuild) -> FlowBuild:
    """`build` with its Maps neither exporting results nor reading items from S3."""
    asl = copy.deepcopy(build.plan.asl)
    for _, state in states_of(asl):
        if state.pop("ItemReader", None) is not None:
            state["ItemsPath"] = "$.results.shards.value"
        if state.pop("ResultWriter", None) is not None:
            state.pop("ResultSelector", None)
    return dataclasses.replace(build, plan=dataclasses.replace(build.plan, asl=asl))


def built(root: Path, change: Any) -> tuple[Path, dict[str, Any]]:
    """`orchestrator build` of the project at `root`, each flow's plan changed by `change`:
    written to disk (ASL files, template) as a build would; the root and the template."""
    artifacts = generate(root)
    builds = [change(b) for b in artifacts.builds]
    template = build_template(builds, artifacts.config)
    files: dict[Path, str] = {b.asl_path: b.asl_text for b in builds}
    files[Path(TEMPLATE_PATH)] = render_template(template)
    write(Artifacts(artifacts.config, builds, files))
    return root, template


def machine_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policies = template["Resources"][MACHINE]["Properties"]["Policies"]
    return {s["Sid"]: s for p in policies for s in p["Statement"]}


def drop_statement(root: Path, sid: str) -> None:
    """Remove one statement from the machine's role policy in the written template.yaml."""
    path = root / TEMPLATE_PATH
    template = yaml.safe_load(path.read_text(encoding="utf-8"))
    for policy in template["Resources"][MACHINE]["Properties"]["Policies"]:
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid]
    path.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True))


@pytest.fixture
def wide(make_project: MakeProject) -> tuple[Path, dict[str, Any]]:
    return built(make_project(WIDE), with_map_results)


def test_the_machine_is_given_the_results_bucket_only_where_its_asl_names_it(
    wide: tuple[Path, dict[str, Any]], make_project: MakeProject
) -> None:
    _, template = wide
    subs = template["Resources"][MACHINE]["Properties"]["DefinitionSubstitutions"]
    assert subs[RESULTS_BUCKET_SUBSTITUTION] == {"Ref": RESULTS_BUCKET}
    # A flow with no Distributed Map: the substitution would be unused, and is refused as such.
    simple = yaml.safe_load(generate(make_project(SIMPLE_FLOW)).files[Path(TEMPLATE_PATH)])
    subs = simple["Resources"]["SimpleStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert RESULTS_BUCKET_SUBSTITUTION not in subs


def test_the_role_may_export_and_read_map_results_under_the_flows_prefix_only(
    wide: tuple[Path, dict[str, Any]],
) -> None:
    _, template = wide
    statements = machine_statements(template)
    # Developer guide, "IAM policies for ResultWriter": what writing the export needs.
    assert statements["MapResultWriter"] == {
        "Sid": "MapResultWriter",
        "Effect": "Allow",
        "Action": [
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListMultipartUploadParts",
            "s3:AbortMultipartUpload",
        ],
        "Resource": [EXPORT_OBJECTS],
    }
    # "IAM policies for datasets": reading a JSON file is GetObject on it.
    assert statements["MapItemReader"] == {
        "Sid": "MapItemReader",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [FLOW_OBJECTS],
    }


def test_a_distributed_map_without_s3_gets_no_s3_grant(make_project: MakeProject) -> None:
    _, template = built(make_project(WIDE), without_map_results)
    statements = machine_statements(template)
    assert "MapResultWriter" not in statements and "MapItemReader" not in statements
    assert (
        RESULTS_BUCKET_SUBSTITUTION
        not in (template["Resources"][MACHINE]["Properties"]["DefinitionSubstitutions"])
    )
    # Still a Distributed Map: it starts its children.
    assert f"{MACHINE}{DISTRIBUTED_MAP_POLICY}" in template["Resources"]


def test_the_check_enumerates_what_the_writer_and_the_reader_call(
    wide: tuple[Path, dict[str, Any]],
) -> None:
    root, template = wide
    asl = json.loads((root / "infra/statemachines/wide.asl.json").read_text("utf-8"))
    stack = StackResources(translate(package_template(template, placeholder_uploader())), "app")
    bucket = stack.names[RESULTS_BUCKET]
    calls = {
        (c.caller, c.action, c.resource)
        for c in enumerate_calls(stack, {MACHINE: asl})
        if c.role == ROLE and c.action.startswith("s3:")
    }
    writer = f"arn:aws:s3:::{bucket}/wide/maps/process/map-run-1/manifest.json"
    reader = f"arn:aws:s3:::{bucket}/wide/execution-1/task/0.json"
    assert calls == {
        *(
            (f"state machine {MACHINE} (process ResultWriter)", action, writer)
            for action in (
                "s3:PutObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:AbortMultipartUpload",
            )
        ),
        (f"state machine {MACHINE} (process ItemReader)", "s3:GetObject", reader),
    }


def test_a_flow_exporting_and_reading_map_results_passes_the_check(
    wide: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = wide
    assert check_project(root) == []


def test_validate_passes_a_flow_exporting_and_reading_map_results(
    wide: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = wide
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", "--project", str(root), "--no-sam"])
    assert result.exit_code == 0, result.output


def _denied(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.caller.split("(")[-1].rstrip(")"), f.action) for f in findings}


@pytest.mark.parametrize(
    ("sid", "denied"),
    [
        (
            "MapResultWriter",
            {
                # GetObject stays allowed: the ItemReader's grant covers the flow's prefix.
                ("process ResultWriter", "s3:PutObject"),
                ("process ResultWriter", "s3:ListMultipartUploadParts"),
                ("process ResultWriter", "s3:AbortMultipartUpload"),
            },
        ),
        ("MapItemReader", {("process ItemReader", "s3:GetObject")}),
    ],
)
def test_a_role_without_the_grant_fails_the_check(
    wide: tuple[Path, dict[str, Any]], sid: str, denied: set[tuple[str, str]]
) -> None:
    root, _ = wide
    drop_statement(root, sid)
    findings = check_project(root)
    assert {f.kind for f in findings} == {"denied"}
    assert {f.role for f in findings} == {ROLE}
    assert _denied(findings) == denied
    line = next(f.line() for f in findings if f.action == sorted(denied)[0][1])
    assert line.startswith(f"denied: state machine {MACHINE} ({sorted(denied)[0][0]})")
    assert "/wide/" in line and "-resultsbucket-" in line
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", "--project", str(root), "--no-sam"])
    assert result.exit_code != 0
    assert f"({sorted(denied)[0][0]})" in result.output


def _with_asl(build: FlowBuild, asl: dict[str, Any]) -> FlowBuild:
    return dataclasses.replace(build, plan=dataclasses.replace(build.plan, asl=asl))


def test_the_distributed_map_policy_follows_the_asl_not_the_task_option(
    make_project: MakeProject,
) -> None:
    (build,) = generate(make_project(WIDE)).builds
    policy = part_id(build, DISTRIBUTED_MAP_POLICY)
    assert policy in distributed_map_policy(build)
    # The planner chose Inline: no children to start.
    inline = copy.deepcopy(build.plan.asl)
    for _, state in states_of(inline):
        if is_distributed_map(state):
            state["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
            state.pop("ItemReader", None)
            state.pop("ResultWriter", None)
    assert distributed_map_policy(_with_asl(build, inline)) == {}
    # A Distributed Map at any depth: inside a Parallel branch, inside an inline Map.
    nested = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "Outer",
                        "States": {
                            "Outer": {
                                "Type": "Map",
                                "End": True,
                                "ItemProcessor": {
                                    "ProcessorConfig": {"Mode": "INLINE"},
                                    "StartAt": "Inner",
                                    "States": {
                                        "Inner": {
                                            "Type": "Map",
                                            "End": True,
                                            "ItemProcessor": {
                                                "ProcessorConfig": {
                                                    "Mode": "DISTRIBUTED",
                                                    "ExecutionType": "STANDARD",
                                                },
                                                "StartAt": "Done",
                                                "States": {"Done": {"Type": "Succeed"}},
                                            },
                                        }
                                    },
                                },
                            }
                        },
                    }
                ],
            }
        },
    }
    assert policy in distributed_map_policy(_with_asl(build, nested))


CHAINED = """
from orchestrator import flow, task

@task
def shards(n: int) -> list[str]:
    return [str(i) for i in range(n)]

@task(distributed=True, max_concurrency=2)
def process(shard: str) -> int:
    return len(shard)

@task(distributed=True, max_concurrency=3)
def again(size: int) -> int:
    return size + 1

@flow(name="chained")
def flow(n: int = 3):
    return again.map(process.map(shards(n)))
"""
CHAINED_MACHINE, CHAINED_ROLE = "ChainedStateMachine", "ChainedStateMachineRole"


@pytest.fixture
def chained(make_project: MakeProject) -> tuple[Path, dict[str, Any]]:
    return built(make_project(CHAINED), lambda build: build)


def test_a_map_reading_another_maps_export_may_list_and_read_under_the_flows_prefix(
    chained: tuple[Path, dict[str, Any]],
) -> None:
    """`again` lists the SUCCEEDED_n.json files of `process`'s export and reads each
    (s3:listObjectsV2 with LOAD_AND_FLATTEN): "IAM policies for datasets" grants ListBucket on
    the bucket for the prefix, and GetObject on the objects."""
    root, template = chained
    policies = template["Resources"][CHAINED_MACHINE]["Properties"]["Policies"]
    statements = {s["Sid"]: s for p in policies for s in p["Statement"]}
    assert statements["MapItemLister"] == {
        "Sid": "MapItemLister",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ResultsBucket}"}],
        # Only the flow's prefix: moto's policy evaluator, which the check uses, knows no
        # StringLike (it passes any prefix), so the condition is pinned here as written.
        "Condition": {"StringLike": {"s3:prefix": ["chained/*"]}},
    }
    chained_objects = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ResultsBucket}/chained/*"}
    assert statements["MapItemReader"]["Resource"] == [chained_objects]
    asl = json.loads((root / "infra/statemachines/chained.asl.json").read_text("utf-8"))
    stack = StackResources(translate(package_template(template, placeholder_uploader())), "app")
    bucket = stack.names[RESULTS_BUCKET]
    calls = {
        (c.action, c.resource, c.context)
        for c in enumerate_calls(stack, {CHAINED_MACHINE: asl})
        if c.caller == f"state machine {CHAINED_MACHINE} (again ItemReader)"
    }
    listed = "chained/maps/task/map-run-1/SUCCEEDED_"
    assert calls == {
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}", (("s3:prefix", listed),)),
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/{listed}0.json", ()),
    }
    assert check_project(root) == []


def test_a_role_that_may_not_list_fails_the_check(chained: tuple[Path, dict[str, Any]]) -> None:
    root, _ = chained
    path = root / TEMPLATE_PATH
    template = yaml.safe_load(path.read_text(encoding="utf-8"))
    for policy in template["Resources"][CHAINED_MACHINE]["Properties"]["Policies"]:
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "MapItemLister"]
    path.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True))
    findings = check_project(root)
    assert [(f.kind, f.role, f.action) for f in findings] == [
        ("denied", CHAINED_ROLE, "s3:ListBucket")
    ]
    assert findings[0].caller == f"state machine {CHAINED_MACHINE} (again ItemReader)"
