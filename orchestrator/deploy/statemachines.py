"""One `AWS::Serverless::StateMachine` per flow, with its log group, schedule and invoke rights.

The definition is the committed ASL file (`DefinitionUri`), never inlined: those bytes are the
ones `orchestrator plan` prints and the local engine runs. Everything deploy-specific — function
ARNs, the git commit — stays outside it, in `DefinitionSubstitutions` and tags.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.contract import PLACEHOLDER
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.lambdas import TaskFunction
from orchestrator.deploy.project import FlowBuild
from orchestrator.graph import function_id
from orchestrator.settings import ProjectSettings

GIT_COMMIT = "GitCommit"
# The CloudWatch Logs delivery actions Step Functions needs to write execution logs. SAM adds
# none of them when `Logging` is set, and AWS supports no resource-level permission for them.
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]


def state_machine_id(build: FlowBuild) -> str:
    return f"{function_id(build.graph.resource_name)}StateMachine"


def log_group_id(build: FlowBuild) -> str:
    return f"{function_id(build.graph.resource_name)}LogGroup"


def substitutions(build: FlowBuild, functions: dict[str, TaskFunction]) -> dict[str, Any]:
    """Placeholder → function ARN, checked against the placeholders the ASL really contains.

    SAM does not check this: a placeholder without a substitution deploys as the literal text
    `${X}` and fails only when the state runs; an unused substitution hides a renamed task.
    """
    subs = {
        key: {"Fn::GetAtt": [functions[task_key].logical_id, "Arn"]}
        for key, task_key in sorted(build.plan.placeholders.items())
    }
    check_substitutions(build.graph.name, build.asl_text, set(subs))
    return subs


def check_substitutions(flow: str, asl: str, keys: set[str]) -> None:
    used = set(PLACEHOLDER.findall(asl))
    missing, unused = sorted(used - keys), sorted(keys - used)
    if missing or unused:
        parts = []
        if missing:
            parts.append(f"placeholders without a substitution: {', '.join(missing)}")
        if unused:
            parts.append(f"substitutions no placeholder uses: {', '.join(unused)}")
        raise DeployError(
            f"flow {flow!r}: the ASL and DefinitionSubstitutions disagree ({'; '.join(parts)}). "
            "Fix: a JSON constant must not contain '${...}'; otherwise rebuild with the same "
            "orchestrator version that planned the flow"
        )


def state_machine_resource(
    build: FlowBuild, functions: dict[str, TaskFunction], config: ProjectSettings
) -> dict[str, Any]:
    graph = build.graph
    invoked = sorted({functions[key].logical_id for key in build.plan.placeholders.values()})
    express = graph.type == "EXPRESS"
    props: dict[str, Any] = {
        "Type": graph.type,
        "DefinitionUri": build.asl_path.as_posix(),
        "DefinitionSubstitutions": substitutions(build, functions),
        "Logging": {
            # Standard executions keep their full history in Step Functions, so errors suffice;
            # Express executions have no history and are only visible through these logs.
            "Level": "ALL" if express else "ERROR",
            "IncludeExecutionData": express,
            "Destinations": [
                {
                    "CloudWatchLogsLogGroup": {
                        "LogGroupArn": {"Fn::GetAtt": [log_group_id(build), "Arn"]}
                    }
                }
            ],
        },
        # SAM attaches AWSXrayWriteOnlyAccess to the role for this itself.
        "Tracing": {"Enabled": True},
        "AutoPublishAlias": config.alias,
        "Policies": [
            {
                "Statement": [
                    {
                        "Sid": "InvokeOwnTasks",
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": [{"Fn::GetAtt": [fn, "Arn"]} for fn in invoked],
                    },
                    *_distributed_map_statements(build),
                    {
                        "Sid": "ExecutionLogs",
                        "Effect": "Allow",
                        "Action": LOG_DELIVERY_ACTIONS,
                        "Resource": "*",
                    },
                ]
            }
        ],
        "Tags": {
            "orchestrator:flow": graph.resource_name,
            "orchestrator:code-sha256": build.code_hash,
            "orchestrator:commit": {"Ref": GIT_COMMIT},
        },
    }
    if graph.schedule is not None:
        # Scheduled runs start the alias, i.e. the version the last deploy published.
        props["UseAliasAsEventTarget"] = True
        props["Events"] = {"Schedule": schedule_event(build)}
    return {"Type": "AWS::Serverless::StateMachine", "Properties": props}


def _distributed_map_statements(build: FlowBuild) -> list[dict[str, Any]]:
    """A Distributed Map starts child executions of its own state machine. The machine's name is
    generated by CloudFormation as `<logical id>-<suffix>`, so a name pattern grants it without
    the circular reference of the role naming the machine that uses it."""
    if not any(n.is_map and n.options.distributed for n in build.graph.nodes):
        return []
    prefix = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    name = f"{state_machine_id(build)}-*"
    return [
        {
            "Sid": "DistributedMapChildren",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": {"Fn::Sub": f"{prefix}:stateMachine:{name}"},
        },
        {
            "Sid": "DistributedMapChildExecutions",
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": {"Fn::Sub": f"{prefix}:execution:{name}/*"},
        },
    ]


def schedule_event(build: FlowBuild) -> dict[str, Any]:
    schedule = build.graph.schedule
    assert schedule is not None
    props: dict[str, Any] = {
        "ScheduleExpression": schedule.expression,
        "Input": json.dumps(build.graph.defaults(), ensure_ascii=False, sort_keys=True),
        "State": "ENABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
    }
    if schedule.timezone is not None:
        props["ScheduleExpressionTimezone"] = schedule.timezone
    return {"Type": "ScheduleV2", "Properties": props}


def log_group_resource(build: FlowBuild, config: ProjectSettings) -> dict[str, Any]:
    # /aws/vendedlogs/ keeps the log resource policy small however many machines log here.
    name = f"/aws/vendedlogs/states/${{AWS::StackName}}/{build.graph.resource_name}"
    return {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {
            "LogGroupName": {"Fn::Sub": name},
            "RetentionInDays": config.log_retention_days,
        },
    }
