"""One `AWS::Serverless::StateMachine` per flow, with its log group, schedule and invoke rights.

The definition is the committed ASL file (`DefinitionUri`), never inlined: those bytes are the
ones `orchestrator plan` prints and the local engine runs. Everything deploy-specific — function
ARNs, the git commit — stays outside it, in `DefinitionSubstitutions` and tags.
"""

from __future__ import annotations

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


#: What belongs to a flow's state machine is named after it: `<machine id><part>`. `ROLE` is the
#: role SAM generates for the machine.
VERSION, ALIAS, DISTRIBUTED_MAP_POLICY, ROLE = "Version", "Alias", "DistributedMapPolicy", "Role"
SCHEDULE, SCHEDULE_ROLE = "Schedule", "ScheduleRole"


def part_id(build: FlowBuild, part: str) -> str:
    """The logical id of a resource that belongs to the flow's state machine."""
    return f"{state_machine_id(build)}{part}"


def substitutions(build: FlowBuild, functions: dict[str, TaskFunction]) -> dict[str, Any]:
    """Placeholder → the ARN of the function *version* the last deploy published, checked against
    the placeholders the ASL really contains.

    A version ARN, not the function's: a state machine version then pins the code it runs
    (rolling the alias back rolls the code back), and a change to task code alone changes the
    definition, so it publishes a new state machine version. SAM does not check placeholders: one
    without a substitution deploys as the literal text `${X}` and fails only when the state runs;
    an unused substitution hides a renamed task.
    """
    subs = {
        key: {"Ref": f"{functions[task_key].logical_id}.Version"}
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
        "Policies": [
            {
                "Statement": [
                    {
                        # The ASL invokes published versions (`function:name:N`), which a
                        # grant on the bare function ARN does not cover.
                        "Sid": "InvokeOwnTasks",
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": [arn for fn in invoked for arn in _function_and_versions(fn)],
                    },
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
    return {"Type": "AWS::Serverless::StateMachine", "Properties": props}


def _function_and_versions(logical_id: str) -> list[Any]:
    return [
        {"Fn::GetAtt": [logical_id, "Arn"]},
        {"Fn::Sub": "${" + logical_id + ".Arn}:*"},
    ]


def version_resources(build: FlowBuild, config: ProjectSettings) -> dict[str, Any]:
    """A version published whenever the definition changes, and the alias that runs it.

    Declared here rather than by SAM's `AutoPublishAlias`, so the version records the commit
    and code hash it was built from, and the alias has a logical id the schedule can name.
    """
    sm = state_machine_id(build)
    version = {
        "Type": "AWS::StepFunctions::StateMachineVersion",
        # Kept when a new one replaces it: the previous version is what a rollback returns to.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "StateMachineArn": {"Ref": sm},
            # A new revision (definition, or a function version it names) → a new version.
            "StateMachineRevisionId": {"Fn::GetAtt": [sm, "StateMachineRevisionId"]},
            "Description": {
                "Fn::Sub": "commit ${" + GIT_COMMIT + "} code-sha256 " + build.code_hash[:16]
            },
        },
    }
    alias = {
        "Type": "AWS::StepFunctions::StateMachineAlias",
        "Properties": {
            "Name": config.alias,
            "Description": f"What runs flow {build.graph.resource_name}: the deployed version",
            "RoutingConfiguration": [
                {"StateMachineVersionArn": {"Ref": part_id(build, VERSION)}, "Weight": 100}
            ],
        },
    }
    return {part_id(build, VERSION): version, part_id(build, ALIAS): alias}


def distributed_map_policy(build: FlowBuild) -> dict[str, Any]:
    """What a Distributed Map needs on its own machine: start, watch, stop and redrive child
    executions. A separate policy on the machine's role can name the machine's exact ARN (the
    role is created first, the policy after the machine: no circular reference, as CDK does);
    a name pattern would also match the same logical id in every other stack of the account.
    """
    if not any(n.is_map and n.options.distributed for n in build.graph.nodes):
        return {}
    sm = state_machine_id(build)
    executions = (
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${"
        + sm
        + ".Name}/*"
    )
    policy = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "DistributedMapChildren",
            "Roles": [{"Ref": part_id(build, ROLE)}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "StartChildExecutions",
                        "Effect": "Allow",
                        "Action": "states:StartExecution",
                        "Resource": {"Ref": sm},
                    },
                    {
                        "Sid": "ManageChildExecutions",
                        "Effect": "Allow",
                        "Action": [
                            "states:DescribeExecution",
                            "states:StopExecution",
                            "states:RedriveExecution",
                        ],
                        "Resource": {"Fn::Sub": executions},
                    },
                ],
            },
        },
    }
    return {part_id(build, DISTRIBUTED_MAP_POLICY): policy}


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
