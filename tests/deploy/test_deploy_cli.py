"""`orchestrator deploy` / `register`: samconfig per stage, stack names, the exact sam command
lines, the GitCommit override, dry runs, errors, a real `sam build` deployed into moto, and
`--rollback` of a flow's alias against moto's Step Functions.

Nothing here needs an AWS account or the network: `sam` is a fake recording its argv, except in
the end-to-end test, which runs the real `sam build` on a project without requirements and
deploys its output into moto instead of running `sam deploy`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import orchestrator.deploy.rollback as rollback_module
import orchestrator.deploy.sam as sam_module
from orchestrator.cli import app
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.revision import git_revision
from orchestrator.deploy.samconfig import render
from orchestrator.deploy.stages import check_stage, slug, stack_name
from orchestrator.deploy.validate import sam_executable
from tests.deploy.conftest import REPO, SIMPLE_FLOW, MakeProject

CAPABILITIES = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin")

# A stand-in for the sam CLI: appends {"argv", "cwd"} as one JSON line to $FAKE_SAM_LOG, prints
# a line on each stream, and exits with $FAKE_SAM_EXIT_<subcommand> (default 0).
FAKE_SAM = """#!{python}
import json, os, sys
with open(os.environ["FAKE_SAM_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
print("fake sam " + sys.argv[1])
print("fake sam stderr " + sys.argv[1], file=sys.stderr)
sys.exit(int(os.environ.get("FAKE_SAM_EXIT_" + sys.argv[1], "0")))
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(SIMPLE_FLOW)


@pytest.fixture
def fake_sam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the fake sam; returns the log its calls are appended to."""
    executable = tmp_path / "bin" / "sam"
    executable.parent.mkdir()
    executable.write_text(FAKE_SAM.format(python=sys.executable))
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "sam-calls.jsonl"
    monkeypatch.setattr(sam_module, "sam_executable", lambda: str(executable))
    monkeypatch.setenv("FAKE_SAM_LOG", str(log))
    return log


def sam_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def cli(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def samconfig(root: Path) -> dict[str, Any]:
    return tomllib.loads((root / "infra" / "samconfig.toml").read_text())


def deploy_args(stack: str, revision: str, *extra: str) -> list[str]:
    """The arguments of `sam deploy` for stage `stack`'s stage, as the plan writes them."""
    stage = stack.rsplit("-", 1)[1]
    return [
        "deploy",
        *("--config-file", "infra/samconfig.toml", "--config-env", stage),
        *("--stack-name", stack),
        *CAPABILITIES,
        "--resolve-s3",
        "--no-fail-on-empty-changeset",
        *("--parameter-overrides", f"GitCommit={revision}"),
        *extra,
    ]


# -- stages and stack names --------------------------------------------------------------------


def test_stack_name_is_the_project_slug_and_the_stage() -> None:
    assert stack_name("demo", "dev") == "demo-dev"
    assert stack_name("my_project.v2", "prod") == "my-project-v2-prod"
    assert slug("2fast 4you") == "fast-4you"  # a stack name starts with a letter
    assert slug("推荐系统") == "TuiJianXiTong"
    long = stack_name("x" * 200, "eu-staging")
    assert len(long) == 128 and long.endswith("-eu-staging")


@pytest.mark.parametrize("stage", ["", "under_score", "-dev", "dév", "a" * 65, "two words"])
def test_a_stage_that_cannot_name_a_stack_is_refused(stage: str) -> None:
    with pytest.raises(DeployError, match="cannot be part of a stack name"):
        check_stage(stage)


def test_a_bad_stage_is_one_line_and_exit_2(runner: CliRunner, project: Path) -> None:
    result = cli(runner, "deploy", "--stage", "my_stage", "--dry-run", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: stage 'my_stage'")


def test_a_project_without_a_name_is_refused(runner: CliRunner, project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("name = 'demo'", ""))
    result = cli(runner, "deploy", "--stage", "dev", "--dry-run", "-p", str(project))
    assert result.exit_code == 2
    assert "has no [project] name" in result.stderr


# -- samconfig ---------------------------------------------------------------------------------


def test_two_stages_side_by_side_in_one_samconfig(
    runner: CliRunner, project: Path, fake_sam: Path
) -> None:
    root = str(project)
    dev = cli(runner, "deploy", "-s", "dev", "--region", "eu-west-1", "--dry-run", "-p", root)
    assert dev.exit_code == 0
    assert cli(runner, "deploy", "-s", "prod", "--guided", "--dry-run", "-p", root).exit_code == 0
    text = (project / "infra" / "samconfig.toml").read_text()
    assert [line for line in text.splitlines() if line and not line.startswith("#")][0] == (
        "version = 0.1"
    )
    capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
    assert samconfig(project) == {
        "version": 0.1,
        "dev": {
            "build": {"parameters": {"cached": True, "parallel": True}},
            "deploy": {
                "parameters": {
                    "stack_name": "demo-dev",
                    "s3_prefix": "demo-dev",
                    "region": "eu-west-1",
                    "capabilities": capabilities,
                    "resolve_s3": True,
                    "confirm_changeset": False,
                    "fail_on_empty_changeset": False,
                }
            },
        },
        "prod": {
            "build": {"parameters": {"cached": True, "parallel": True}},
            "deploy": {
                "parameters": {
                    "stack_name": "demo-prod",
                    "s3_prefix": "demo-prod",
                    "capabilities": capabilities,
                    "resolve_s3": True,
                    "confirm_changeset": True,  # --guided: the change set is reviewed
                    "fail_on_empty_changeset": False,
                }
            },
        },
    }


def test_a_deploy_keeps_other_stages_other_keys_and_the_header(
    runner: CliRunner, project: Path, fake_sam: Path
) -> None:
    """The repository's own samconfig (a `default` env) plus a hand-added key in `dev`."""
    infra = project / "infra"
    infra.mkdir()
    existing = (REPO / "infra" / "samconfig.toml").read_text()
    existing += '\n[dev.deploy.parameters]\nregion = "ap-east-1"\ntags = "team=\\"data\\""\n'
    (infra / "samconfig.toml").write_text(existing)
    before = tomllib.loads(existing)

    result = cli(runner, "deploy", "--stage", "dev", "--dry-run", "-p", str(project))
    assert result.exit_code == 0, result.output
    text = (infra / "samconfig.toml").read_text()
    header = existing.split("\nversion")[0]
    assert text.startswith(header + "\nversion = 0.1\n")  # the comments, as they were
    after = tomllib.loads(text)
    assert after["default"] == before["default"]
    dev = after["dev"]["deploy"]["parameters"]
    assert dev["tags"] == 'team="data"' and dev["region"] == "ap-east-1"  # kept
    assert dev["stack_name"] == "demo-dev"
    # The region the stage keeps is what sam reads: the command line does not repeat it.
    assert "--region" not in result.output

    again = cli(runner, "deploy", "--stage", "dev", "--dry-run", "-p", str(project))
    assert "wrote infra/samconfig.toml" not in again.output  # nothing changed, nothing written
    assert (infra / "samconfig.toml").read_text() == text


def test_the_writer_round_trips_every_value_kind() -> None:
    config = {
        "version": 0.1,
        "default": {
            "deploy": {
                "parameters": {
                    "s": 'quote " back \\ tab \t nl \n del \x7f 中',
                    "i": 3,
                    "f": 1.5,
                    "b": False,
                    "l": ["a", 1, [True]],
                    "it": [{"k": "v"}],
                }
            },
            "local_start_api": {"parameters": {}},
        },
        "odd.env name": {"global": {"parameters": {"region": "us-east-1"}}},
    }
    assert tomllib.loads(render(config)) == config


# -- the commands ------------------------------------------------------------------------------


def test_dry_run_prints_the_commands_and_runs_nothing(
    runner: CliRunner, project: Path, fake_sam: Path
) -> None:
    args = ["deploy", "--stage", "dev", "--profile", "ops", "--dry-run", "-p", str(project)]
    result = cli(runner, *args)
    assert result.exit_code == 0, result.output
    sam = sam_module.sam_executable()
    assert result.output.splitlines() == [
        "wrote infra/samconfig.toml [dev]",
        f"dry run: would run, in {project.resolve()}:",
        "  orchestrator build",
        f"  {sam} build --config-file infra/samconfig.toml --config-env dev",
        f"  {sam} " + " ".join(deploy_args("demo-dev", "unknown", "--profile", "ops")),
    ]
    assert sam_calls(fake_sam) == []
    assert not (project / "template.yaml").exists()  # `orchestrator build` did not run either
    assert (project / "infra" / "samconfig.toml").is_file()


def test_deploy_runs_build_then_sam_build_then_sam_deploy(
    runner: CliRunner, project: Path, fake_sam: Path
) -> None:
    args = ["deploy", "--stage", "prod", "--region", "us-west-2", "--profile", "ops"]
    result = cli(runner, *args, "-p", str(project))
    assert result.exit_code == 0, result.output
    assert (project / "template.yaml").is_file()  # the in-process `orchestrator build`
    assert "wrote template.yaml" in result.output
    calls = sam_calls(fake_sam)
    assert [c["cwd"] for c in calls] == [str(project.resolve())] * 2
    assert [c["argv"] for c in calls] == [
        ["build", "--config-file", "infra/samconfig.toml", "--config-env", "prod"],
        deploy_args("demo-prod", "unknown", "--region", "us-west-2", "--profile", "ops"),
    ]
    assert result.output.splitlines()[-1] == "deployed stack demo-prod (GitCommit=unknown)"


def test_guided_is_passed_to_sam_deploy(runner: CliRunner, project: Path, fake_sam: Path) -> None:
    assert cli(runner, "deploy", "--stage", "dev", "--guided", "-p", str(project)).exit_code == 0
    assert sam_calls(fake_sam)[-1]["argv"] == deploy_args("demo-dev", "unknown", "--guided")


def test_register_is_deploy_with_the_project_as_the_stage(
    runner: CliRunner, project: Path, fake_sam: Path
) -> None:
    registered = cli(runner, "register", "--project", "prod", "--dry-run", "-p", str(project))
    (project / "infra" / "samconfig.toml").unlink()
    deployed = cli(runner, "deploy", "--stage", "prod", "--dry-run", "-p", str(project))
    assert registered.exit_code == deployed.exit_code == 0
    assert registered.output == deployed.output
    assert "--stack-name demo-prod" in registered.output


def test_missing_sam_is_one_line_and_exit_2(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sam_module, "sam_executable", lambda: None)
    result = cli(runner, "deploy", "--stage", "dev", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {sam_module.SAM_MISSING}"]
    assert not (project / "template.yaml").exists()  # refused before anything ran
    # A dry run needs no sam: it shows what would run, with the plain name.
    dry = cli(runner, "deploy", "--stage", "dev", "--dry-run", "-p", str(project))
    assert dry.exit_code == 0 and "\n  sam build --config-file" in dry.output


def test_a_failing_sam_step_shows_its_output_and_exits_1(
    runner: CliRunner,
    project: Path,
    fake_sam: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FAKE_SAM_EXIT_build", "3")
    result = cli(runner, "deploy", "--stage", "dev", "-p", str(project))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: `sam build` failed with exit code 3 (its output is above)"
    )
    # sam's own output went straight to the terminal (it may prompt, with --guided).
    captured = capfd.readouterr()
    assert "fake sam build" in captured.out and "fake sam stderr build" in captured.err
    assert [c["argv"][0] for c in sam_calls(fake_sam)] == ["build"]  # no deploy after it


def test_flow_without_rollback_is_refused(runner: CliRunner, project: Path) -> None:
    result = cli(runner, "deploy", "--stage", "dev", "--flow", "ETL", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr == "error: --flow applies only to --rollback: a deploy ships every flow\n"


# -- GitCommit ---------------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    proc = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@pytest.fixture
def committed(project: Path) -> Path:
    """The project built and committed in a fresh git repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    from orchestrator.deploy.build import generate, write

    write(generate(project))
    (project / ".gitignore").write_text("__pycache__/\n.aws-sam/\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "init")
    return project


def test_git_revision_outside_git_is_unknown(tmp_path: Path) -> None:
    assert git_revision(tmp_path) == "unknown"


def test_git_revision_of_a_clean_and_a_dirty_tree(committed: Path) -> None:
    sha = git(committed, "rev-parse", "HEAD")
    assert git_revision(committed) == sha
    (committed / "notes.txt").write_text("untracked counts: it is in the working tree\n")
    assert git_revision(committed) == f"{sha}-dirty"


def test_deploy_of_a_clean_checkout_passes_its_commit(
    runner: CliRunner, committed: Path, fake_sam: Path
) -> None:
    """The new samconfig stage is written after the revision is read: not dirty by itself."""
    sha = git(committed, "rev-parse", "HEAD")
    result = cli(runner, "deploy", "--stage", "dev", "-p", str(committed))
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output  # the build found the committed files current
    assert sam_calls(fake_sam)[-1]["argv"] == deploy_args("demo-dev", sha)


def test_deploy_rebuilding_a_committed_file_is_dirty(
    runner: CliRunner, committed: Path, fake_sam: Path
) -> None:
    """A clean checkout whose committed template is stale: the build rewrites it, so what
    deploys is in no commit — the revision read after the build says so."""
    (committed / "template.yaml").write_text("# stale\n")
    git(committed, "commit", "-q", "-am", "stale template")
    sha = git(committed, "rev-parse", "HEAD")
    assert git_revision(committed) == sha
    result = cli(runner, "deploy", "--stage", "dev", "-p", str(committed))
    assert result.exit_code == 0, result.output
    assert "wrote template.yaml" in result.output
    assert sam_calls(fake_sam)[-1]["argv"] == deploy_args("demo-dev", f"{sha}-dirty")


# -- end to end: the real sam build, deployed into moto ----------------------------------------


def _python312_dir() -> Path | None:
    if (PYTHON312 / "python3.12").exists():
        return PYTHON312
    found = shutil.which("python3.12")
    return Path(found).parent if found else None


@pytest.mark.slow
def test_deploy_with_the_real_sam_build_into_moto(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam, python = sam_executable(), _python312_dir()
    if sam is None:
        pytest.skip("the sam CLI is not installed (pip install aws-sam-cli)")
    if python is None:
        pytest.skip("sam build needs a python3.12 on PATH for the python3.12 runtime")
    from orchestrator.testing.stack import MotoStack, deploy_template_to_moto

    # The build inside deploy writes infra/package/ (the layer and the code) for sam build; the
    # functions run in-process in moto, with this venv's packages.
    package = next(p.name for p in project.iterdir() if (p / "demo.py").is_file())
    monkeypatch.setenv("PATH", f"{python}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SAM_CLI_TELEMETRY", "0")

    stacks: list[MotoStack] = []
    with contextlib.ExitStack() as cleanup:

        def deploy_into_moto(plan: sam_module.DeployPlan) -> None:
            built = plan.root / ".aws-sam" / "build"
            stack = deploy_template_to_moto(
                built / "template.yaml",
                built,  # the built template's CodeUri and DefinitionUri are relative to it
                stack_name=plan.stack_name,
                parameters={"GitCommit": plan.revision},
            )
            stacks.append(cleanup.enter_context(stack))

        monkeypatch.setattr(sam_module, "sam_deploy", deploy_into_moto)
        result = cli(runner, "deploy", "--stage", "dev", "-p", str(project))
        assert result.exit_code == 0, result.output
        built = project / ".aws-sam" / "build"
        assert (built / "FetchFunction" / package / "demo.py").is_file()
        assert not (built / "FetchFunction" / "orchestrator").exists()  # in the layer
        assert (built / "OrchestratorRuntimeLayer" / "python" / "orchestrator").is_dir()
        (stack,) = stacks
        assert stack.stack_name == "demo-dev"
        run = stack.execute("simple", {"n": 4})
        assert run.status == "SUCCEEDED", run.cause
        assert run.output["results"]["total"] == {"value": 6}  # sum(range(4))


# -- rollback ----------------------------------------------------------------------------------


PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def moto_versions(sfn: Any, state_machine_arn: str) -> list[str]:
    """moto 5.2.5 has no ListStateMachineVersions: describe `<arn>:1`, `<arn>:2`, … instead."""
    versions = []
    while True:
        arn = f"{state_machine_arn}:{len(versions) + 1}"
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            return versions
        versions.append(arn)


@pytest.fixture
def moto_harness() -> Iterator[Any]:
    from orchestrator.testing.moto import MotoStepFunctions

    with MotoStepFunctions() as harness:
        yield harness


def publish_twice(harness: Any, name: str) -> tuple[str, str, list[str]]:
    """A state machine with versions 1 and 2 and its alias `live` on version 2."""
    sfn = harness.sfn
    sm = sfn.create_state_machine(
        name=name, definition=json.dumps(PASS), roleArn=harness.role_arn, publish=True
    )
    second = {**PASS, "Comment": "v2"}
    v2 = sfn.update_state_machine(
        stateMachineArn=sm["stateMachineArn"], definition=json.dumps(second), publish=True
    )["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}]
    )["stateMachineAliasArn"]
    return sm["stateMachineArn"], alias, [sm["stateMachineVersionArn"], v2]


def routed_to(harness: Any, alias: str) -> list[str]:
    routing = harness.sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    return [r["stateMachineVersionArn"] for r in routing["routingConfiguration"]]


@pytest.fixture
def two_flows(moto_harness: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two flows' aliases on version 2, as the stack outputs of `demo-dev` would list them."""
    etl = publish_twice(moto_harness, "ETLStateMachine-ABC")
    rec = publish_twice(moto_harness, "TuiJianXiTong7177bcStateMachine-DEF")
    outputs = {
        "ResultsBucketName": "bucket",
        "ETLStateMachineArn": etl[0],
        "ETLStateMachineAliasArn": etl[1],
        "TuiJianXiTong7177bcStateMachineArn": rec[0],
        "TuiJianXiTong7177bcStateMachineAliasArn": rec[1],
    }
    asked: list[str] = []

    def fake_outputs(session: Any, stack: str) -> dict[str, str]:
        asked.append(stack)
        return outputs

    monkeypatch.setattr(rollback_module, "stack_outputs", fake_outputs)
    monkeypatch.setattr(rollback_module, "list_versions", moto_versions)
    return {"harness": moto_harness, "etl": etl, "rec": rec, "asked": asked}


def test_rollback_routes_every_alias_to_the_previous_version(
    runner: CliRunner, project: Path, two_flows: dict[str, Any]
) -> None:
    harness, (_, etl_alias, etl_versions), (_, rec_alias, rec_versions) = (
        two_flows["harness"],
        two_flows["etl"],
        two_flows["rec"],
    )
    result = cli(runner, "deploy", "--stage", "dev", "--rollback", "-p", str(project))
    assert result.exit_code == 0, result.output
    assert two_flows["asked"] == ["demo-dev"]
    assert result.output.splitlines() == [
        "ETLStateMachine-ABC:live: version 2 → 1",
        "TuiJianXiTong7177bcStateMachine-DEF:live: version 2 → 1",
    ]
    assert routed_to(harness, etl_alias) == [etl_versions[0]]
    assert routed_to(harness, rec_alias) == [rec_versions[0]]

    # Version 1 has nothing before it: refused, and neither alias moves.
    again = cli(runner, "register", "--project", "dev", "--rollback", "-p", str(project))
    assert again.exit_code == 2
    assert again.stderr.splitlines() == [
        "error: no earlier version to roll back to for ETLStateMachine-ABC:live, "
        "TuiJianXiTong7177bcStateMachine-DEF:live in stack demo-dev; nothing was changed"
    ]
    assert routed_to(harness, etl_alias) == [etl_versions[0]]


@pytest.mark.parametrize("flow", ["推荐系统", "TuiJianXiTong-7177bc", "TuiJianXiTong7177bc"])
def test_rollback_of_one_flow(
    runner: CliRunner, project: Path, two_flows: dict[str, Any], flow: str
) -> None:
    harness, etl, rec = two_flows["harness"], two_flows["etl"], two_flows["rec"]
    args = ["deploy", "--stage", "dev", "--rollback", "--flow", flow, "-p", str(project)]
    result = cli(runner, *args)
    assert result.exit_code == 0, result.output
    assert result.output == "TuiJianXiTong7177bcStateMachine-DEF:live: version 2 → 1\n"
    assert routed_to(harness, rec[1]) == [rec[2][0]]
    assert routed_to(harness, etl[1]) == [etl[2][1]]  # untouched


def test_rollback_of_an_unknown_flow_names_the_stacks_flows(
    runner: CliRunner, project: Path, two_flows: dict[str, Any]
) -> None:
    args = ["deploy", "--stage", "dev", "--rollback", "--flow", "nope", "-p", str(project)]
    result = cli(runner, *args)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no flow 'nope' in stack demo-dev; its flows: ETL, TuiJianXiTong7177bc\n"
    )


def test_rollback_dry_run_moves_nothing(
    runner: CliRunner, project: Path, two_flows: dict[str, Any]
) -> None:
    args = ["deploy", "--stage", "dev", "--rollback", "--dry-run", "-p", str(project)]
    result = cli(runner, *args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "dry run: would roll back stack demo-dev:"
    assert "ETLStateMachine-ABC:live: version 2 → 1" in result.output
    assert routed_to(two_flows["harness"], two_flows["etl"][1]) == [two_flows["etl"][2][1]]


def test_rollback_reads_the_alias_from_the_stacks_outputs(
    runner: CliRunner, project: Path, moto_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real DescribeStacks of a moto stack whose outputs are the aliases. (moto's
    CloudFormation cannot create the aliases themselves: a deployed template's alias outputs
    come out empty there, so the alias is made through the API and named as a literal.)"""
    import boto3

    _, alias, versions = publish_twice(moto_harness, "ETLStateMachine-ABC")
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {"ETLStateMachineAliasArn": {"Value": alias}},
    }
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="demo-dev", TemplateBody=json.dumps(template))
    monkeypatch.setattr(rollback_module, "list_versions", moto_versions)
    result = cli(runner, "deploy", "--stage", "dev", "--rollback", "-p", str(project))
    assert result.exit_code == 0, result.output
    assert result.output == "ETLStateMachine-ABC:live: version 2 → 1\n"
    assert routed_to(moto_harness, alias) == [versions[0]]


def test_rollback_of_a_missing_stack_is_one_line(
    runner: CliRunner, project: Path, moto_harness: Any
) -> None:
    """The real DescribeStacks (moto's CloudFormation) for a stack that does not exist."""
    result = cli(runner, "deploy", "--stage", "dev", "--rollback", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: rollback of stack demo-dev: ")
    assert "does not exist" in result.stderr and result.stderr.count("\n") == 1


def test_list_versions_reads_every_page() -> None:
    class Pages:
        def list_state_machine_versions(self, **kwargs: Any) -> dict[str, Any]:
            if "nextToken" not in kwargs:
                return {
                    "stateMachineVersions": [{"stateMachineVersionArn": "a:3"}],
                    "nextToken": "t",
                }
            return {"stateMachineVersions": [{"stateMachineVersionArn": "a:2"}]}

    assert rollback_module.list_versions(Pages(), "a") == ["a:3", "a:2"]
