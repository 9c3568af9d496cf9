"""Executions of a deployed stage: start, find, read, list, stop.

A run id on AWS is what it is locally: the execution's name (or its whole ARN). An execution
lives under its state machine (`arn:…:execution:<state machine>:<name>`), so a bare name is
looked up under each flow of the stage; a prefix of a name is matched against the flows' recent
executions. Executions start through the flow's alias, as schedules do, and run the version it
routes to.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from orchestrator.aws.deployment import DeployedFlow, Deployment
from orchestrator.aws.errors import AwsError, aws_calls, error_code
from orchestrator.aws.history import (
    HistoryFollower,
    final_error,
    final_output,
    history_event,
    read_history,
)
from orchestrator.engine.execution import Execution
from orchestrator.local.store import ExecutionSummary

#: ListExecutions' statusFilter values for a state machine (PENDING_REDRIVE is a map run's).
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
#: What DescribeExecution answers for an ARN that names no execution.
_NO_EXECUTION = ("ExecutionDoesNotExist", "InvalidArn")
#: How many recent executions per flow a run-id prefix is matched against.
PREFIX_SEARCH = 100
#: ListExecutions page size (AWS allows up to 1,000).
LIST_PAGE = 100
#: Polling a running execution: the first wait, and the longest (GetExecutionHistory is
#: throttled per account: a token bucket of 250 refilled at 5 per second).
FIRST_POLL, LONGEST_POLL = 0.2, 2.0


def start(deployment: Deployment, flow: DeployedFlow, execution_input: Any) -> str:
    """Start `flow` through its alias on `execution_input`; the execution's ARN.

    The execution is named here, a UUID as local runs are (and as Step Functions would name
    it; moto names an unnamed execution "None")."""
    sfn = deployment.client("stepfunctions")
    with aws_calls(f"starting {flow.key} in {deployment.where}", "states"):
        started = sfn.start_execution(
            stateMachineArn=flow.alias_arn,
            name=str(uuid.uuid4()),
            input=json.dumps(execution_input),
        )
    return str(started["executionArn"])


def find(deployment: Deployment, run_id: str) -> str:
    """The ARN of the execution `run_id` names: its ARN, its name, or a unique name prefix."""
    sfn = deployment.client("stepfunctions")
    fix = f"see `orchestrator runs list --aws --stage {deployment.stage}`"
    if run_id.startswith("arn:"):
        describe(deployment, run_id)  # says clearly when it does not exist
        return run_id
    with aws_calls(f"looking for run {run_id!r} in {deployment.where}", "states"):
        for flow in deployment.flows.values():
            arn = flow.execution_arn(run_id)
            try:
                sfn.describe_execution(executionArn=arn)
                return arn
            except Exception as err:
                if error_code(err) not in _NO_EXECUTION:
                    raise
        matches = [
            e["executionArn"]
            for flow in deployment.flows.values()
            for e in _recent(sfn, flow)
            if str(e["name"]).startswith(run_id)
        ]
    if len(matches) == 1:
        return matches[0]
    problem = "no execution matches" if not matches else "several executions match"
    raise AwsError(f"{problem} {run_id!r} in {deployment.where}. Fix: {fix}")


def _recent(sfn: Any, flow: DeployedFlow) -> list[dict[str, Any]]:
    page = sfn.list_executions(stateMachineArn=flow.state_machine_arn, maxResults=PREFIX_SEARCH)
    return list(page["executions"])


def describe(deployment: Deployment, execution_arn: str) -> dict[str, Any]:
    if ":express:" in execution_arn:  # arn:…:express:<machine>:<name>:<id>
        raise AwsError(
            f"{execution_arn} is an Express execution: Step Functions keeps no description or "
            "history of those. Fix: read the state machine's CloudWatch log group, or make the "
            'flow type="STANDARD" to follow its runs'
        )
    sfn = deployment.client("stepfunctions")
    with aws_calls(f"reading execution {execution_arn}", "states"):
        try:
            return dict(sfn.describe_execution(executionArn=execution_arn))
        except Exception as err:
            if error_code(err) in _NO_EXECUTION:
                raise AwsError(
                    f"no execution {execution_arn} in {deployment.where}. Fix: see "
                    f"`orchestrator runs list --aws --stage {deployment.stage}`"
                ) from None
            raise


def read(deployment: Deployment, execution_arn: str) -> Execution:
    """The execution as the local run store would hold it: status, input, output, history."""
    sfn = deployment.client("stepfunctions")
    described = describe(deployment, execution_arn)
    with aws_calls(f"reading the history of {execution_arn}", "states"):
        events = read_history(sfn, execution_arn)
    return execution_of(deployment, described, events)


def execution_of(
    deployment: Deployment, described: dict[str, Any], events: list[dict[str, Any]]
) -> Execution:
    error, cause = final_error(events)
    flow = deployment.flow_of(str(described.get("stateMachineArn", "")))
    start_date = described["startDate"]
    return Execution(
        execution_arn=described["executionArn"],
        name=described["name"],
        status=described["status"],
        input=_json(described.get("input")),
        output=final_output(events),
        error=described.get("error") or error,
        cause=described.get("cause") or cause,
        start_date=start_date,
        # A running execution has no stop date yet: "so far".
        stop_date=described.get("stopDate") or datetime.now(start_date.tzinfo or UTC),
        events=[history_event(e) for e in events],
        state_machine=deployment.name_of(flow) if flow else described["stateMachineArn"],
    )


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def follow(
    deployment: Deployment,
    execution_arn: str,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    *,
    first_poll: float = FIRST_POLL,
    timeout: float | None = None,
) -> Execution:
    """Wait for the execution to end, passing each new history event to `on_event`."""
    sfn = deployment.client("stepfunctions")
    describe(deployment, execution_arn)  # refuses an Express execution before waiting on it
    follower = HistoryFollower(sfn, execution_arn)
    wait, deadline = first_poll, None if timeout is None else time.monotonic() + timeout
    while True:
        with aws_calls(f"reading the history of {execution_arn}", "states"):
            for event in follower.poll():
                if on_event is not None:
                    on_event(event)
        if follower.status != "RUNNING":
            break
        if deadline is not None and time.monotonic() > deadline:
            raise AwsError(
                f"execution {execution_arn} still RUNNING after {timeout:g} s. Fix: look at it "
                f"later with `orchestrator runs show {execution_arn} --aws`"
            )
        time.sleep(wait)
        wait = min(wait * 1.5, LONGEST_POLL)
    return execution_of(deployment, describe(deployment, execution_arn), follower.events)


def list_runs(
    deployment: Deployment,
    flows: list[DeployedFlow],
    *,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[ExecutionSummary]:
    """The newest `limit` executions of `flows` (with `status`, started at or after `since`)."""
    found: list[ExecutionSummary] = []
    for flow in flows:
        name = deployment.name_of(flow)
        for count, item in enumerate(_executions(deployment, flow, status)):
            # Newest first: past the limit or the start of the window, the rest is older still.
            if count >= limit or (since is not None and item["startDate"] < since):
                break
            found.append(
                ExecutionSummary(
                    execution_arn=item["executionArn"],
                    name=item["name"],
                    state_machine=name,
                    status=item["status"],
                    start_date=item["startDate"],
                    stop_date=item.get("stopDate"),
                )
            )
    found.sort(key=lambda s: s.start_date, reverse=True)
    return found[:limit]


def _executions(
    deployment: Deployment, flow: DeployedFlow, status: str | None
) -> Iterator[dict[str, Any]]:
    """The flow's executions, newest first, page by page (`ListExecutions`, all versions and
    aliases: the unqualified ARN lists them all)."""
    sfn = deployment.client("stepfunctions")
    kwargs: dict[str, Any] = {"stateMachineArn": flow.state_machine_arn, "maxResults": LIST_PAGE}
    if status:
        kwargs["statusFilter"] = status
    while True:
        with aws_calls(f"listing the executions of {flow.key} in {deployment.where}", "states"):
            page = sfn.list_executions(**kwargs)
        yield from page["executions"]
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def stop(
    deployment: Deployment, execution_arn: str, *, error: str | None, cause: str | None
) -> dict[str, Any]:
    """Stop a running execution (the execution's description before the stop: a finished one
    is left alone, and its status says so)."""
    described = describe(deployment, execution_arn)
    if described["status"] != "RUNNING":
        return described
    sfn = deployment.client("stepfunctions")
    details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with aws_calls(f"stopping {execution_arn}", "states"):
        sfn.stop_execution(executionArn=execution_arn, **details)
    return described
