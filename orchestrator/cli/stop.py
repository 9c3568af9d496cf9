"""`orchestrator stop RUN_ID --aws`: stop a running execution of a deployed stage.

Step Functions ends it ABORTED (with `--error`/`--cause` if given); a run that already ended is
left as it is, and the command says so. A local run is stopped where it runs, with Ctrl-C, so
the command needs --aws.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
)


def stop(
    run_id: Annotated[str, typer.Argument(help="The run: its name, ARN, or a unique prefix.")],
    error: Annotated[
        str | None, typer.Option("--error", help="The error code the run ends with.")
    ] = None,
    cause: Annotated[str | None, typer.Option("--cause", help="Why it was stopped.")] = None,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Stop a running execution of a deployed stage (--aws)."""
    from orchestrator.aws import executions

    target = AwsTarget(aws, stage, profile, region)
    target.require("stop", "a local run is stopped where it runs, with Ctrl-C")
    deployment = target.connect()
    arn = executions.find(deployment, run_id)
    name = arn.rsplit(":", 1)[1]
    before = executions.stop(deployment, arn, error=error, cause=cause)
    if before["status"] != "RUNNING":
        typer.echo(f"{name} already ended {before['status']}: nothing to stop")
        return
    typer.echo(f"stopped {name} ({arn}): it ends ABORTED")


def register(app: typer.Typer) -> None:
    app.command("stop")(stop)
