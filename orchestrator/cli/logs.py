"""`orchestrator logs RUN_ID --aws [--task T]`: the Lambda log lines of one deployed run.

The lines every task Lambda wrote for that execution (Powertools' JSON lines, whose
`correlation_id` is the execution ARN), from the log groups of the functions its state machine
invoked, in time order: `12:00:01.234 extract attempt 2 INFO task started`. `--raw` prints the
JSON lines as written. Local runs keep no log lines (their output is printed as they run), so
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
from orchestrator.cli.report import note


def logs(
    run_id: Annotated[str, typer.Argument(help="The run: its name, ARN, or a unique prefix.")],
    task: Annotated[
        str | None, typer.Option("--task", "-t", help="Only this task's lines (its name).")
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="The JSON lines as the Lambdas wrote them.")
    ] = False,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Print the Lambda log lines of a run on a deployed stage (--aws), in time order."""
    from orchestrator.aws import executions
    from orchestrator.aws.logs import read_logs

    target = AwsTarget(aws, stage, profile, region)
    target.require(
        "logs", "local runs keep no log lines (a local run prints its tasks' output as it runs)"
    )
    deployment = target.connect()
    arn = executions.find(deployment, run_id)
    lines = read_logs(deployment, arn, task)
    if not lines:
        of = f" of task {task!r}" if task else ""
        note(
            f"no log lines{of} for {arn.rsplit(':', 1)[1]} in {deployment.where} "
            "(CloudWatch Logs may take a few seconds to receive them)"
        )
        return
    for line in lines:
        typer.echo(line.message.rstrip("\n") if raw else line.text())


def register(app: typer.Typer) -> None:
    app.command("logs")(logs)
