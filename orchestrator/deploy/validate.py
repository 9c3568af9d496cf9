"""`orchestrator validate`: every check the deploy artifacts must pass, offline.

1. statelint on every ASL file;
2. the SAM template translated offline by samtranslator (with the ASL inlined, so cfn-lint's
   state-machine rules see the real definitions, each as its committed text: what deploys) and
   linted by cfn-lint — cfn-lint ≥ 1.54 no longer expands SAM itself; a finding the Step
   Functions developer guide contradicts is dropped (`_contradicts_the_guide`);
3. AWS's authorisation rules (`orchestrator.deploy.access`): every call the deployed stack makes
   allowed by its roles, no grant reaching beyond the stack, every state machine pinning the
   function versions it invokes;
4. `sam validate --lint` with a region set and no credentials, when the `sam` CLI is installed.

Each check returns its problems as lines; an empty list is a pass. The tools are not
dependencies of a plain `pip install orchestrator` (which plans, runs and builds): a check whose
tool is missing fails with the one line that installs it (`DEPLOY_EXTRA`), and a missing `sam`
CLI skips its check with that line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.deploy.translate import REGION, package_template, placeholder_uploader, translate

# The extra installing every tool validate runs ([project.optional-dependencies] of pyproject).
DEPLOY_EXTRA = "deploy"
INSTALL_HINT = f"pip install 'orchestrator[{DEPLOY_EXTRA}]'"


@dataclass
class CheckResult:
    name: str
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def load_template(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((root / "template.yaml").read_text(encoding="utf-8"))
    return loaded


def asl_files(template: dict[str, Any]) -> list[str]:
    return [
        r["Properties"]["DefinitionUri"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::StateMachine"
        and isinstance(r["Properties"].get("DefinitionUri"), str)
    ]


def missing_tool(result: CheckResult, err: ModuleNotFoundError) -> CheckResult:
    """`result`, failed with the line that installs the missing tool."""
    tool = (err.name or "a validator").partition(".")[0]
    result.problems.append(f"{tool} is not installed: {INSTALL_HINT}")
    return result


#: statelint 3.1.0 (the latest) knows only MaxItems/MaxItemsPath in an ItemReader's
#: ReaderConfig; the AWS developer guide ("ItemReader (Map)") documents `InputType` (CSV, JSON,
#: JSONL, PARQUET, MANIFEST), which reading a JSON array from S3 needs, and `Transformation`
#: (NONE, LOAD_AND_FLATTEN), which reading the objects listed under a prefix needs. statelint is
#: wrong here.
_STATELINT_GAPS = (
    re.compile(r'^Field "(InputType|Transformation)" not allowed in .*\.ItemReader\.ReaderConfig$'),
)


def statelint_problems(definition: dict[str, Any]) -> list[str]:
    """statelint's problems with an ASL document, less the fields it does not know yet."""
    from statelint.linter import Linter

    problems: list[str] = Linter.validate(definition)
    return [p for p in problems if not any(gap.match(p) for gap in _STATELINT_GAPS)]


def check_statelint(root: Path, template: dict[str, Any]) -> CheckResult:
    result = CheckResult("statelint")
    try:
        import statelint  # noqa: F401 - say it is missing before reading any file
    except ModuleNotFoundError as err:
        return missing_tool(result, err)
    for rel in asl_files(template):
        path = root / rel
        if not path.is_file():
            result.problems.append(f"{rel}: missing (run orchestrator build)")
            continue
        problems = statelint_problems(json.loads(path.read_text(encoding="utf-8")))
        result.problems.extend(f"{rel}: {p}" for p in problems)
    return result


def inline_definitions(
    root: Path, template: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The template with each state machine's ASL file read into `Definition`, and each one's
    committed text by logical id."""
    out = json.loads(json.dumps(template))
    texts: dict[str, str] = {}
    for name, resource in out["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            texts[name] = (root / props.pop("DefinitionUri")).read_text(encoding="utf-8")
            props["Definition"] = json.loads(texts[name])
    return out, texts


def _committed_definitions(cfn: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """The translated template with each state machine's `DefinitionString` the committed
    text, as deployed (the file, through S3). samtranslator writes an inline `Definition` out
    again as an `Fn::Join` of its lines indented by 4: a list cfn-lint expands by one recursive
    call per line (a 20-task chain's 800 lines overflowed the stack and ended the process) and
    measures against the 1 MB quota at that indentation, which is not what deploys."""
    for name, text in texts.items():
        props = cfn["Resources"].get(name, {}).get("Properties", {})
        if "DefinitionString" in props:
            props["DefinitionString"] = text
    return cfn


def check_cfn_lint(root: Path, template: dict[str, Any]) -> CheckResult:
    result = CheckResult("samtranslator + cfn-lint")
    try:
        import samtranslator  # noqa: F401 - translate() imports it; say so before it fails
        from cfnlint.api import ManualArgs, lint
    except ModuleNotFoundError as err:
        return missing_tool(result, err)
    inlined, texts = inline_definitions(root, template)
    try:
        cfn = _committed_definitions(
            translate(package_template(inlined, placeholder_uploader())), texts
        )
    except Exception as err:  # the translator's errors are the finding
        result.problems.append(f"samtranslator: {err}")
        return result
    matches = lint(json.dumps(cfn), config=ManualArgs(regions=[REGION]))
    result.problems.extend(str(m) for m in matches if not _contradicts_the_guide(m, cfn))
    return result


def _contradicts_the_guide(match: Any, cfn: dict[str, Any]) -> bool:
    """A cfn-lint finding the Step Functions developer guide contradicts: its StateMachine
    schema (cfn-lint 1.58) refuses `Parameters` on a Parallel state, which the guide lists
    ("Parameters (Optional, JSONPath only): used to pass information to the state machines
    defined in the Branches array", state-parallel.html) and the planner writes on a Parallel
    that starts a machine. Dropped only for that field of a state that is a Parallel."""
    path = list(getattr(match, "path", ()))
    if match.rule.id != "E3601" or path[-1:] != ["Parameters"] or path[3:4] != ["DefinitionString"]:
        return False
    try:
        node: Any = json.loads(cfn["Resources"][path[1]]["Properties"]["DefinitionString"])
        for step in path[4:-1]:
            node = node[int(step)] if isinstance(node, list) else node[step]
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return isinstance(node, dict) and node.get("Type") == "Parallel"


def check_access_rules(root: Path) -> CheckResult:
    from orchestrator.deploy.access import check_project

    result = CheckResult("AWS authorisation (IAM)")
    try:
        import moto.iam.access_control  # noqa: F401 - the policy evaluator it runs
        import samtranslator  # noqa: F401
    except ModuleNotFoundError as err:
        return missing_tool(result, err)
    try:
        findings = check_project(root)
    except Exception as err:  # a template the check cannot read is a finding too
        result.problems.append(f"could not evaluate the template: {err}")
        return result
    result.problems.extend(f.line() for f in findings)
    return result


def sam_executable() -> str | None:
    """`sam` next to this Python (the venv) or on PATH."""
    beside = Path(sys.executable).parent / "sam"
    return str(beside) if beside.is_file() else shutil.which("sam")


def check_sam_validate(root: Path) -> CheckResult:
    result = CheckResult("sam validate --lint")
    sam = sam_executable()
    if sam is None:
        result.skipped = f"the sam CLI is not installed: {INSTALL_HINT}"
        return result
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # A region but no credentials: validation must not depend on an AWS account.
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="",
        AWS_SECRET_ACCESS_KEY="",
        SAM_CLI_TELEMETRY="0",
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_CONFIG_FILE=os.devnull,
    )
    proc = subprocess.run(
        [sam, "validate", "--lint", "--template-file", "template.yaml", "--region", REGION],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()
        result.problems.extend(line for line in output if line.strip())
    return result


def validate_project(root: Path, run_sam: bool = True) -> list[CheckResult]:
    template = load_template(root)
    results = [
        check_statelint(root, template),
        check_cfn_lint(root, template),
        check_access_rules(root),
    ]
    if run_sam:
        results.append(check_sam_validate(root))
    return results
