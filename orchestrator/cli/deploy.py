"""`orchestrator deploy --stage S` and its Prefect 1.x spelling `orchestrator register --project S`.

Deploy: `orchestrator build` (this CLI's own command, in-process), infra/samconfig.toml's
`[S.*]` tables, `sam build`, `sam deploy` to the stack `<project>-<S>`. `--dry-run` writes the
samconfig tables and prints the commands instead of running them; `--rollback` moves each flow's
alias back to its previous version instead of deploying (`orchestrator.deploy.rollback`).

Exit codes: 2 with one `error:` line for a mistake in the input (a bad stage, no sam CLI, no
earlier version to roll back to — an `OrchestratorError`, reported by the app); 1 when a sam
step fails, after its own output.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.build import CURRENT_DIR, PROJECT_HELP, ProjectOption
from orchestrator.cli.build import build as build_command
from orchestrator.cli.report import report_error
from orchestrator.deploy.errors import DeployError

DEPLOY_FAILED_EXIT = 1

GuidedOption = Annotated[
    bool,
    typer.Option(
        "--guided",
        help="Run `sam deploy --guided` (asks for missing values) and confirm the change set.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="AWS region (kept in the stage's samconfig for next time)."),
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="AWS credentials profile (not saved).")
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Write samconfig and print the commands; run nothing else."),
]
RollbackOption = Annotated[
    bool,
    typer.Option(
        "--rollback",
        help="Instead of deploying, route each flow's alias to its previous version.",
    ),
]
FlowOption = Annotated[
    str | None,
    typer.Option("--flow", help="With --rollback: only this flow (name or state machine id)."),
]


def deploy(
    stage: Annotated[
        str, typer.Option("--stage", "-s", help="Stage: dev, prod, … (stack <project>-<stage>).")
    ],
    guided: GuidedOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
    dry_run: DryRunOption = False,
    rollback: RollbackOption = False,
    flow: FlowOption = None,
    project: Path = ProjectOption,
) -> None:
    """Build and deploy the project's flows to a stage with AWS SAM (or roll the stage back)."""
    root = project.resolve()
    if rollback:
        _rollback(
            root, stage, flow=flow, region=region, profile=profile, guided=guided, dry=dry_run
        )
    elif flow is not None:
        raise DeployError("--flow applies only to --rollback: a deploy ships every flow")
    elif dry_run:
        _dry_run(root, stage, region=region, profile=profile, guided=guided)
    else:
        _deploy(root, stage, region=region, profile=profile, guided=guided)


def register_command(
    project_name: Annotated[
        str, typer.Option("--project", help="The stage to deploy to (Prefect 1.x: the project).")
    ],
    guided: GuidedOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
    dry_run: DryRunOption = False,
    rollback: RollbackOption = False,
    flow: FlowOption = None,
    path: Annotated[
        Path, typer.Option("--path", "-p", help=PROJECT_HELP, file_okay=False)
    ] = CURRENT_DIR,
) -> None:
    """Prefect 1.x's `register --project P`: the same as `orchestrator deploy --stage P`."""
    deploy(
        stage=project_name,
        guided=guided,
        region=region,
        profile=profile,
        dry_run=dry_run,
        rollback=rollback,
        flow=flow,
        project=path,
    )


def _deploy(
    root: Path, stage: str, *, region: str | None, profile: str | None, guided: bool
) -> None:
    from orchestrator.deploy.sam import SamStepFailed, plan_deploy, run_deploy

    plan = plan_deploy(root, stage, region=region, profile=profile, guided=guided)
    try:
        deployed = run_deploy(
            plan, orchestrator_build=lambda p: build_command(p.root, False), announce=_say
        )
    except SamStepFailed as err:
        report_error(err, debug=False)
        raise typer.Exit(DEPLOY_FAILED_EXIT) from None
    typer.echo(f"deployed stack {deployed.stack_name} (GitCommit={deployed.revision})")


def _dry_run(
    root: Path, stage: str, *, region: str | None, profile: str | None, guided: bool
) -> None:
    from orchestrator.deploy.sam import plan_deploy, write_config
    from orchestrator.deploy.samconfig import SAMCONFIG

    plan = plan_deploy(
        root, stage, region=region, profile=profile, guided=guided, require_sam=False
    )
    if write_config(plan):
        typer.echo(f"wrote {SAMCONFIG.as_posix()} [{stage}]")
    typer.echo(f"dry run: would run, in {plan.root}:")
    for command in (["orchestrator", "build"], plan.build_command(), plan.deploy_command()):
        typer.echo(f"  {shlex.join(command)}")


def _rollback(
    root: Path,
    stage: str,
    *,
    flow: str | None,
    region: str | None,
    profile: str | None,
    guided: bool,
    dry: bool,
) -> None:
    from orchestrator.deploy import samconfig
    from orchestrator.deploy.rollback import rollback_stack
    from orchestrator.deploy.stages import project_name, stack_name

    if guided:
        raise DeployError("--guided applies to a deploy, not to --rollback")
    stack = stack_name(project_name(root), stage)
    # The region the stage was deployed to, unless overridden.
    region = region or samconfig.parameter(root / samconfig.SAMCONFIG, stage, "deploy", "region")
    if dry:
        typer.echo(f"dry run: would roll back stack {stack}:")
    rollback_stack(stack, flow=flow, region=region, profile=profile, dry_run=dry, report=_say)


def _say(line: str) -> None:
    typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("register")(register_command)
