"""AWS's authorisation rules checked offline: the regression fixture of issue 9 fails with exactly
its four defects, and the templates built today pass.

The fixture `fixtures/before_issue9/` is what `orchestrator build` generated, before the fixes,
for a project with a scheduled flow, a Distributed Map and tasks two flows share.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.deploy.access import Finding, check_project, split_qualifier
from orchestrator.deploy.physical import StackResources
from tests.deploy.helpers import BEFORE_ISSUE9, fixture_project_built_today

ROOT = Path(__file__).resolve().parents[2]
BEFORE = BEFORE_ISSUE9


def kinds(findings: list[Finding]) -> set[tuple[str, str, str]]:
    """(kind, caller kind, action) of each finding: what is wrong, not where."""
    return {(f.kind, f.caller.split()[0], f.action) for f in findings}


def test_the_template_before_the_fixes_has_exactly_the_four_defects() -> None:
    findings = check_project(BEFORE)
    assert kinds(findings) == {
        # 1. the schedule role allows StartExecution on the alias ARN only; AWS authorises the
        #    unqualified ARN (developer guide, "Authorization for versions and aliases").
        ("denied", "schedule", "states:StartExecution"),
        # 2. a task two flows share cannot tell which flow's prefix to write (and read) under.
        ("denied", "function", "s3:PutObject"),
        ("denied", "function", "s3:GetObject"),
        # 3. the Distributed Map grant is a name pattern matching the machine of another stack,
        #    and redrive of its children is not granted.
        ("beyond the stack", "state", "states:StartExecution"),
        ("beyond the stack", "state", "states:DescribeExecution"),
        ("beyond the stack", "state", "states:StopExecution"),
        ("denied", "state", "states:RedriveExecution"),
        # 4. Task states invoke unqualified function ARNs: versions pin no code.
        ("unpinned code", "state", "lambda:InvokeFunction"),
    }
    schedule = next(f for f in findings if f.caller.startswith("schedule"))
    # Authorised on the unqualified ARN: no `:live` at the end.
    assert schedule.resource.endswith(":stateMachine:" + schedule.resource.split(":")[-1])


def test_the_shipped_template_passes() -> None:
    assert check_project(ROOT) == []


def test_the_fixture_project_built_today_passes(tmp_path: Path) -> None:
    project = fixture_project_built_today(tmp_path / "proj")
    assert check_project(project) == []


def test_alias_and_version_arns_are_authorised_unqualified() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Flow-ABC"
    assert split_qualifier(arn + ":live") == (arn, "live")
    assert split_qualifier(arn + ":7") == (arn, "7")
    assert split_qualifier(arn) == (arn, None)


def test_physical_names_follow_cloudformation() -> None:
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Sm": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "mine"}},
        }
    }
    a, b = StackResources(template, "app-dev"), StackResources(template, "app-prod")
    assert a.names["Fn"].startswith("app-dev-Fn-")
    assert a.names["Sm"].startswith("Sm-") and "app-dev" not in a.names["Sm"]
    assert a.names["Bucket"] == a.names["Bucket"].lower()
    assert a.names["Named"] == "mine"
    assert a.names["Sm"] != b.names["Sm"]  # another stack, another suffix
