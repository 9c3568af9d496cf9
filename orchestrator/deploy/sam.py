"""`orchestrator deploy --stage S`: orchestrator build → samconfig → sam build → sam deploy.

A `DeployPlan` holds everything the deploy decides up front (stage, stack name, the `sam`
executable, the git revision), so the exact command lines can be printed (`--dry-run`) or run,
and `run_deploy` is a sequence of small steps, each a function of the plan, any of which a caller
can replace — a test deploys the `sam build` output into moto instead of running `sam deploy`.

The `orchestrator build` step is passed in by the caller: it is the CLI's own build command,
which this layer does not import.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestrator.deploy import samconfig
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.revision import git_revision
from orchestrator.deploy.stages import check_stage, project_name, stack_name
from orchestrator.deploy.statemachines import GIT_COMMIT
from orchestrator.deploy.validate import sam_executable

# CAPABILITY_IAM: SAM generates the functions' and state machines' roles. CAPABILITY_AUTO_EXPAND:
# the template is a SAM template, expanded by the AWS::Serverless transform.
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
SAM_MISSING = (
    "the sam CLI is not installed (pip install aws-sam-cli, or see "
    "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"
    "install-sam-cli.html)"
)


class SamStepFailed(Exception):
    """A `sam` command exited non-zero; its own output, already on the terminal, says why.

    Not an `OrchestratorError`: the input was fine, the deploy failed (exit 1, like a failing
    test, rather than the user-error exit 2).
    """

    def __init__(self, step: str, returncode: int) -> None:
        self.step = step
        self.returncode = returncode
        super().__init__(f"`{step}` failed with exit code {returncode} (its output is above)")


@dataclass(frozen=True)
class DeployPlan:
    """One deploy of the project at `root` to `stage`, decided before anything runs."""

    root: Path
    stage: str
    stack_name: str
    sam: str
    revision: str
    region: str | None = None
    profile: str | None = None
    guided: bool = False

    @property
    def config_args(self) -> list[str]:
        """Where sam reads this stage's options; relative: sam runs in the project root."""
        return ["--config-file", samconfig.SAMCONFIG.as_posix(), "--config-env", self.stage]

    def build_command(self) -> list[str]:
        return [self.sam, "build", *self.config_args]

    def deploy_command(self) -> list[str]:
        # Also in the stage's samconfig (`stage_config`); repeated here so the command line alone
        # states what this deploy does, whatever a hand-edited samconfig says.
        command = [
            self.sam,
            "deploy",
            *self.config_args,
            "--stack-name",
            self.stack_name,
            "--capabilities",
            *CAPABILITIES,
            "--resolve-s3",
            "--no-fail-on-empty-changeset",
            "--parameter-overrides",
            f"{GIT_COMMIT}={self.revision}",
        ]
        if self.region:
            command += ["--region", self.region]
        if self.profile:
            command += ["--profile", self.profile]
        if self.guided:
            command.append("--guided")
        return command

    def stage_config(self) -> dict[str, dict[str, Any]]:
        """This stage's samconfig tables (command → parameters)."""
        deploy: dict[str, Any] = {"stack_name": self.stack_name, "s3_prefix": self.stack_name}
        if self.region:
            deploy["region"] = self.region
        deploy.update(
            capabilities=" ".join(CAPABILITIES),
            resolve_s3=True,
            # Unattended unless --guided, where the person deploying reviews the change set.
            confirm_changeset=self.guided,
            fail_on_empty_changeset=False,
        )
        return {"build": {"cached": True, "parallel": True}, "deploy": deploy}


def plan_deploy(
    root: Path,
    stage: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    guided: bool = False,
    require_sam: bool = True,
) -> DeployPlan:
    """The plan for deploying `root` to `stage`; a DeployError when sam is missing (unless
    `require_sam` is False, for a dry run, which then shows plain `sam`)."""
    root = root.resolve()
    check_stage(stage)
    sam = sam_executable()
    if sam is None:
        if require_sam:
            raise DeployError(SAM_MISSING)
        sam = "sam"
    return DeployPlan(
        root=root,
        stage=stage,
        stack_name=stack_name(project_name(root), stage),
        sam=sam,
        revision=git_revision(root),
        region=region,
        profile=profile,
        guided=guided,
    )


Step = Callable[[DeployPlan], None]


def write_config(plan: DeployPlan) -> bool:
    """Write the plan's stage into infra/samconfig.toml; True when the file changed."""
    return samconfig.update(plan.root / samconfig.SAMCONFIG, plan.stage, plan.stage_config())


def run_sam(plan: DeployPlan, command: list[str]) -> None:
    """Run one sam command in the project root, its output (and prompts) on this terminal."""
    step = f"sam {command[1]}"
    try:
        proc = subprocess.run(command, cwd=plan.root, check=False)
    except OSError as err:
        raise DeployError(f"cannot run {command[0]}: {err}") from None
    if proc.returncode != 0:
        raise SamStepFailed(step, proc.returncode)


def sam_build(plan: DeployPlan) -> None:
    run_sam(plan, plan.build_command())


def sam_deploy(plan: DeployPlan) -> None:
    run_sam(plan, plan.deploy_command())


def run_deploy(
    plan: DeployPlan,
    *,
    orchestrator_build: Step,
    sam_builder: Step | None = None,
    deployer: Step | None = None,
    announce: Callable[[str], None] = lambda line: None,
) -> DeployPlan:
    """Build, configure and deploy; returns the plan as deployed (its final revision).

    `sam_builder` and `deployer` default to `sam_build` and `sam_deploy`, looked up when called
    so a test can replace them in this module. The revision is read again after
    `orchestrator_build`: a build that rewrote a committed file deploys what no commit holds,
    and the second reading marks it dirty. samconfig is written after that reading, so
    recording a new stage does not by itself make the deploy dirty.
    """
    orchestrator_build(plan)
    plan = replace(plan, revision=git_revision(plan.root))
    if write_config(plan):
        announce(f"wrote {samconfig.SAMCONFIG.as_posix()} [{plan.stage}]")
    announce(f"$ {shlex.join(plan.build_command())}")
    (sam_builder or sam_build)(plan)
    announce(f"$ {shlex.join(plan.deploy_command())}")
    (deployer or sam_deploy)(plan)
    return plan
