"""The Lambda log lines of one execution, from CloudWatch Logs.

Every task Lambda logs JSON lines through Powertools with the execution ARN as `correlation_id`
(`orchestrator.runtime.telemetry`), each function into its own log group (the template's
`LoggingConfig`, `orchestrator.deploy.lambdas`). So one execution's lines are found with a JSON
filter pattern on that field, in the log groups of the functions its state machine invoked —
read from what ran: the definition of that execution (`DescribeStateMachineForExecution`) and
each function's configuration, not from names guessed here.

Distributed Map iterations run as child executions with their own ARNs: their lines carry
those, and are not found by the parent's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.aws.deployment import Deployment
from orchestrator.aws.errors import aws_calls, error_code
from orchestrator.aws.executions import describe

#: The Powertools field holding the execution ARN (`correlation_id_path` of the runtime).
CORRELATION_FIELD = "correlation_id"
#: The field naming the task (`Invocation.log_keys`).
TASK_FIELD = "task"
_LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# Log lines may be written a little before the execution's recorded start (clock skew).
_EARLY = timedelta(minutes=1)


@dataclass(frozen=True)
class LogLine:
    """One log event: when, from which function, and the line the function wrote."""

    timestamp: datetime
    function: str
    message: str

    @property
    def fields(self) -> dict[str, Any]:
        """The line's JSON fields (empty for a line that is not a JSON object)."""
        try:
            parsed = json.loads(self.message)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def text(self) -> str:
        """`12:00:01.234 extract[3] attempt 2 INFO task started`, then an exception's lines."""
        fields = self.fields
        at = self.timestamp.astimezone().strftime("%H:%M:%S.%f")[:-3]
        if not fields:
            return f"{at} {self.function} {self.message.rstrip()}"
        who = str(fields.get(TASK_FIELD) or self.function)
        if fields.get("map_index") is not None:
            who += f"[{fields['map_index']}]"
        if fields.get("attempt"):
            who += f" attempt {int(fields['attempt']) + 1}"
        line = f"{at} {who} {fields.get('level', '')} {fields.get('message', '')}".rstrip()
        exception = fields.get("exception")
        return f"{line}\n{exception}" if exception else line


def functions_of(definition: dict[str, Any]) -> list[str]:
    """The Lambda functions the definition's Task states invoke (names or ARNs, as written)."""
    from orchestrator.deploy.statemachines import states_of

    found: set[str] = set()
    for _, state in states_of(definition):
        if state.get("Type") != "Task":
            continue
        resource = str(state.get("Resource", ""))
        if resource.startswith(_LAMBDA_INVOKE):
            name = state.get("Parameters", {}).get("FunctionName")
            if isinstance(name, str):
                found.add(name)
        elif resource.startswith("arn:") and ":lambda:" in resource:
            found.add(resource)
    return sorted(found)


def log_groups(deployment: Deployment, execution_arn: str) -> dict[str, str]:
    """Function name → its log group, for every function the execution's definition invokes.

    A function's group is its `LoggingConfig.LogGroup`, else Lambda's default
    `/aws/lambda/<name>`.
    """
    sfn, lambda_ = deployment.client("stepfunctions"), deployment.client("lambda")
    with aws_calls(f"reading the state machine of {execution_arn}", "states"):
        definition = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    groups: dict[str, str] = {}
    for function in functions_of(json.loads(definition["definition"])):
        with aws_calls(f"reading the configuration of function {function}", "lambda"):
            config = lambda_.get_function_configuration(FunctionName=function)
        name = str(config["FunctionName"])
        groups[name] = config.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}"
    return groups


def filter_pattern(execution_arn: str, task: str | None = None) -> str:
    """A CloudWatch Logs JSON filter pattern: this execution's lines (of `task`, if given)."""
    terms = [(CORRELATION_FIELD, execution_arn)] + ([(TASK_FIELD, task)] if task else [])
    quoted = [f'($.{field} = "{_escape(value)}")' for field, value in terms]
    return "{ " + " && ".join(quoted) + " }"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def read_logs(deployment: Deployment, execution_arn: str, task: str | None = None) -> list[LogLine]:
    """The execution's log lines from every function it invoked, in time order."""
    described = describe(deployment, execution_arn)
    start = described["startDate"] - _EARLY
    logs = deployment.client("logs")
    pattern = filter_pattern(execution_arn, task)
    lines: list[LogLine] = []
    for function, group in log_groups(deployment, execution_arn).items():
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "filterPattern": pattern,
            "startTime": int(start.timestamp() * 1000),
        }
        with aws_calls(f"reading log group {group}", "logs"):
            while True:
                try:
                    page = logs.filter_log_events(**kwargs)
                except Exception as err:
                    if error_code(err) == "ResourceNotFoundException":
                        break  # a function that never ran: Lambda creates the group lazily
                    raise
                lines.extend(
                    LogLine(
                        datetime.fromtimestamp(e["timestamp"] / 1000, UTC), function, e["message"]
                    )
                    for e in page.get("events", [])
                )
                # A page may be empty while more follow: only a missing token ends the search.
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
    lines.sort(key=lambda line: line.timestamp)
    return lines
