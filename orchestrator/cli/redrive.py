"""`orchestrator redrive RUN_ID`: continue a failed run from where it stopped, as Step Functions'
RedriveExecution does; `--aws` calls RedriveExecution on an execution of a deployed stage.

Locally the run is continued in-process (`orchestrator.local.redrive_run`) with the live progress
and summary table of `orchestrator run`, and the same exit codes: 0 when the redriven run
SUCCEEDED, 1 when it failed again, 2 for a user error — among them a run AWS would not redrive,
as one `error: ExecutionNotRedrivable: <AWS's reason>` line. Its tasks are the flow's as the code
is now: the project's flow whose state machine ran (`[tool.orchestrator] flows`), or `--flow`.

With `--aws`, RUN_ID is the execution's ARN — called as it is, in the ARN's region — or its
name or a unique prefix, found in the stage (`--stage`, as `orchestrator stop`). Credentials are
boto3's (`--profile`, AWS_PROFILE, ...). Whatever AWS refuses — no credentials, access denied, no
such execution, not redrivable — is one `error:` line with the fix, exit 2
(`orchestrator.aws.errors`). The redrive then runs on AWS: this command does not wait for it.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from orchestrator.cli.app import is_debug
from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
)
from orchestrator.cli.flows import load_graph
from orchestrator.cli.report import report_error
from orchestrator.cli.run import FAILED_RUN_EXIT, Progress, failure_line, report
from orchestrator.errors import ParameterError
from orchestrator.loader import load_flow
from orchestrator.local import LocalMachine, StaleStateMachine, default_store, redrive_run
from orchestrator.sdk.flow import Flow
from orchestrator.settings import PYPROJECT, read_settings

ARN_SHAPE = "arn:aws:states:<region>:<account>:execution:<state machine>:<name>"


def redrive(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID",
            help="The run id (or a unique prefix); with --aws, the execution's ARN or name.",
            show_default=False,
        ),
    ],
    flow: Annotated[
        str | None,
        typer.Option(
            "--flow",
            help="The run's flow (path/to/file.py:flow), if not in [tool.orchestrator] flows.",
        ),
    ] = None,
    clock: Annotated[
        str, typer.Option(help="'real', or 'virtual' to record retry/Wait delays, not sleep.")
    ] = "real",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Continue a failed run from its failed states, keeping the work that succeeded.

    As Step Functions' RedriveExecution: same run id, definition and input; only the states that
    did not succeed run again — in a Map or Parallel, only the iterations or branches that did
    not — and the run's history continues. A run that SUCCEEDED, or ended over 14 days ago, is
    not redriven.
    """
    target = AwsTarget(aws, stage, profile, region)
    if target.check("redrive"):
        if flow is not None:
            raise ParameterError("--flow is for a local run; with --aws, AWS runs the tasks")
        arn, date = redrive_on_aws(run_id, target)
        typer.echo(f"redriven {arn} at {date.isoformat()}; it continues on AWS")
        return
    console = Console()
    store = default_store()
    try:
        try:
            previous = store.get(run_id)
        except KeyError as err:
            raise ParameterError(
                f"{err.args[0]} in the run store {store.path}; see `orchestrator runs list`"
            ) from None
        machine = _machine(previous.state_machine, previous.name, flow)
        console.rule(Text(f"{machine.graph.name} · redrive", style="bold"))
        where = (previous.progress or {}).get("state")
        if where and not quiet:
            console.print(Text(f"continuing run {previous.name} from state {where!r}"))
        result = redrive_run(
            store,
            previous.execution_arn,
            machine,
            clock=clock,
            on_event=None if quiet else Progress(console),
        )
    finally:
        store.close()
    report(console, result, debug=is_debug(ctx))
    if not result.succeeded:
        report_error(failure_line(result), debug=False)
        raise typer.Exit(FAILED_RUN_EXIT)


def _machine(state_machine: str, run: str, spec: str | None) -> LocalMachine:
    """The local machine of the run's flow: `spec`'s, or the project flow of that state machine."""
    flow = load_graph(spec)[0] if spec is not None else _project_flow(state_machine, run)
    with warnings.catch_warnings():
        # The committed file does not matter here: the redrive runs the definition the run ran.
        warnings.simplefilter("ignore", StaleStateMachine)
        return flow.local_machine()


def _project_flow(state_machine: str, run: str) -> Flow:
    pyproject = Path(PYPROJECT)
    fix = f"name it: orchestrator redrive {run} --flow path/to/file.py:flow"
    if not pyproject.is_file():
        raise ParameterError(
            f"run {run} is a run of state machine {state_machine!r}, and there is no "
            f"{PYPROJECT} here to find its flow in. Fix: {fix}"
        )
    settings = read_settings(pyproject, need_flows=False)
    for spec in settings.flows:
        flow = load_flow(spec, settings.root)
        if flow.graph.resource_name == state_machine:
            return flow
    raise ParameterError(
        f"run {run} is a run of state machine {state_machine!r}, which no flow of "
        f"[tool.orchestrator] flows compiles to. Fix: {fix}"
    )


# -- --aws ---------------------------------------------------------------------------------------


def stepfunctions_client(region: str, profile: str | None) -> Any:
    """A Step Functions client with the user's credentials (tests replace this)."""
    import boto3

    return boto3.Session(profile_name=profile, region_name=region).client("stepfunctions")


def redrive_on_aws(run_id: str, target: AwsTarget) -> tuple[str, datetime]:
    """Call RedriveExecution on the execution `run_id` names; its ARN and redriveDate.

    An ARN is used as it is (no stage needed); a name or prefix is found in the stage."""
    from orchestrator.aws import executions
    from orchestrator.aws.errors import AwsError, aws_calls, error_code

    if run_id.startswith("arn:"):
        arn, (region, account) = run_id, _arn_parts(run_id)
        with aws_calls(f"redriving {arn}", "states"):
            sfn = stepfunctions_client(target.region or region, target.profile)
        where = f"account {account}, region {target.region or region}"
    else:
        deployment = target.connect()
        arn = executions.find(deployment, run_id)
        sfn = deployment.client("stepfunctions")
        where = deployment.where
    with aws_calls(f"redriving {arn}", "states"):
        try:
            response = sfn.redrive_execution(executionArn=arn)
        except Exception as err:
            code = error_code(err)
            message = getattr(err, "response", {}).get("Error", {}).get("Message", "")
            said = f"{code}: {message}"
            if code == "ExecutionNotRedrivable":
                raise AwsError(
                    f"{arn} cannot be redriven ({said}). Fix: start a new execution; AWS "
                    "redrives a Standard execution that did not succeed, ended less than 14 "
                    "days ago and has fewer than 24,999 history events"
                ) from None
            if code == "ExecutionDoesNotExist":
                raise AwsError(
                    f"no execution {arn} in {where} ({said}). Fix: check the ARN, and that the "
                    "credentials (--profile) are for that account"
                ) from None
            raise
    date: datetime = response["redriveDate"]
    return arn, date


def _arn_parts(arn: str) -> tuple[str, str]:
    """The region and account of an execution ARN (a ParameterError for anything else)."""
    parts = arn.split(":")
    if len(parts) < 8 or parts[2] != "states" or parts[5] != "execution":
        raise ParameterError(f"{arn!r} is not an execution's ARN ({ARN_SHAPE})")
    return parts[3], parts[4]


def register(app: typer.Typer) -> None:
    app.command("redrive")(redrive)
