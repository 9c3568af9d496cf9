"""One `AWS::Serverless::StateMachine` per flow, with its log group, schedule and invoke rights.

The definition is the committed ASL file (`DefinitionUri`), never inlined: those bytes are the
ones `orchestrator plan` prints and the local engine runs. Everything deploy-specific — function
ARNs, the results bucket's name, the git commit — stays outside it, in `DefinitionSubstitutions`
and tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from orchestrator.contract import PLACEHOLDER, RESULTS_BUCKET_SUBSTITUTION, results_prefix
from orchestrator.deploy.children import child_statements, child_substitutions, own_placeholders
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.lambdas import RESULTS_BUCKET, TaskFunction
from orchestrator.deploy.project import FlowBuild
from orchestrator.engine.spec import S3_GET_OBJECT, S3_LIST_OBJECTS_V2, S3_PUT_OBJECT
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
# What a Distributed Map's ResultWriter (`s3:putObject`) needs on the objects it writes under its
# prefix (developer guide, "IAM policies for ResultWriter"): the export is a multipart upload.
RESULT_WRITER_ACTIONS = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
]
# What an ItemReader reading a JSON file (`s3:getObject`) needs on that object (developer guide,
# "IAM policies for datasets"); one reading the objects under a prefix (`s3:listObjectsV2` with
# LOAD_AND_FLATTEN) needs that on each of them, and to list the bucket under the prefix.
ITEM_READER_ACTIONS = ["s3:GetObject"]
ITEM_LISTER_ACTIONS = ["s3:ListBucket"]
#: The condition key of ListBucket that a listing's Prefix is checked against.
LIST_PREFIX_KEY = "s3:prefix"
#: The tag naming the flow (its resource name) a state machine runs.
FLOW_TAG = "orchestrator:flow"


def state_machine_id(build: FlowBuild) -> str:
    """`ETLStateMachine`; a split flow's child machines `ETLPart1StateMachine`, …"""
    return f"{function_id(build.graph.resource_name)}{build.part.capitalize()}StateMachine"


def log_group_id(build: FlowBuild) -> str:
    return f"{function_id(build.graph.resource_name)}LogGroup"


#: What belongs to a flow's state machine is named after it: `<machine id><part>`. `ROLE` is the
#: role SAM generates for the machine.
VERSION, ALIAS, DISTRIBUTED_MAP_POLICY, ROLE = "Version", "Alias", "DistributedMapPolicy", "Role"
SCHEDULE, SCHEDULE_ROLE = "Schedule", "ScheduleRole"


def part_id(build: FlowBuild, part: str) -> str:
    """The logical id of a resource that belongs to the flow's state machine."""
    return f"{state_machine_id(build)}{part}"


def states_of(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of an ASL definition, with those of Parallel branches and Map processors."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from states_of(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from states_of(processor)


def is_distributed_map(state: dict[str, Any]) -> bool:
    config = (state.get("ItemProcessor") or {}).get("ProcessorConfig") or {}
    return state.get("Type") == "Map" and config.get("Mode") == "DISTRIBUTED"


def _definition(build: FlowBuild) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(build.asl_text)
    return loaded


def substitutions(build: FlowBuild, functions: dict[str, TaskFunction]) -> dict[str, Any]:
    """Placeholder → the ARN of the function *version* the last deploy published (and, for a
    Distributed Map's ResultWriter or ItemReader, the results bucket's name), checked against the
    placeholders the ASL really contains.

    A version ARN, not the function's: a state machine version then pins the code it runs
    (rolling the alias back rolls the code back), and a change to task code alone changes the
    definition, so it publishes a new state machine version. SAM does not check placeholders: one
    without a substitution deploys as the literal text `${X}` and fails only when the state runs;
    an unused substitution hides a renamed task.
    """
    subs = {
        key: {"Ref": f"{functions[task_key].logical_id}.Version"}
        for key, task_key in sorted(own_placeholders(build).items())
    }
    subs.update(child_substitutions(build))
    # Only when used: an unused substitution is refused below.
    if RESULTS_BUCKET_SUBSTITUTION in PLACEHOLDER.findall(build.asl_text):
        subs[RESULTS_BUCKET_SUBSTITUTION] = {"Ref": RESULTS_BUCKET}
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
    invoked = sorted({functions[key].logical_id for key in own_placeholders(build).values()})
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
                    *(
                        [
                            {
                                # The ASL invokes published versions (`function:name:N`), which
                                # a grant on the bare function ARN does not cover.
                                "Sid": "InvokeOwnTasks",
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": [
                                    arn for fn in invoked for arn in _function_and_versions(fn)
                                ],
                            }
                        ]
                        if invoked
                        else []
                    ),
                    *child_statements(build),
                    {
                        "Sid": "ExecutionLogs",
                        "Effect": "Allow",
                        "Action": LOG_DELIVERY_ACTIONS,
                        "Resource": "*",
                    },
                    *map_results_statements(build),
                ]
            }
        ],
        "Tags": {
            FLOW_TAG: graph.resource_name,
            "orchestrator:code-sha256": build.code_hash,
            "orchestrator:commit": {"Ref": GIT_COMMIT},
        },
    }
    return {"Type": "AWS::Serverless::StateMachine", "Properties": props}


def map_results_statements(build: FlowBuild) -> list[dict[str, Any]]:
    """What the machine's Distributed Maps need in the results bucket, under the flow's prefix.

    A ResultWriter exports a map's results under its `Prefix` (`<flow>/maps/<task>`, granted as
    AWS's example does: `<prefix>/*`); an ItemReader reads the list a task of the flow wrote, or
    lists and reads another map's export, whose key or prefix the state input gives at run time,
    so anywhere under the flow's prefix. `orchestrator validate` checks the calls they make
    against these grants.

    In the machine's own role policy (not the separate Distributed Map policy): it names no
    machine ARN, so it exists before the machine does, and so before its first execution.
    """
    flow_prefix = results_prefix(build.graph.resource_name)
    writers: list[str] = []
    readers = listers = False
    for _, state in states_of(_definition(build)):
        writer = state.get("ResultWriter") or {}
        if writer.get("Resource") == S3_PUT_OBJECT:
            params = writer.get("Parameters") or writer.get("Arguments") or {}
            prefix = params.get("Prefix")
            if isinstance(prefix, str) and prefix.startswith(flow_prefix):
                scope = f"{prefix.rstrip('/')}/*"
            else:  # a path, or a prefix elsewhere (which validate reports): the flow's own
                scope = f"{flow_prefix}*"
            if scope not in writers:
                writers.append(scope)
        reader = (state.get("ItemReader") or {}).get("Resource")
        listers = listers or reader == S3_LIST_OBJECTS_V2
        readers = readers or reader in (S3_GET_OBJECT, S3_LIST_OBJECTS_V2)
    statements: list[dict[str, Any]] = []
    if writers:
        statements.append(
            {
                "Sid": "MapResultWriter",
                "Effect": "Allow",
                "Action": RESULT_WRITER_ACTIONS,
                "Resource": [_results_objects(scope) for scope in writers],
            }
        )
    if readers:
        statements.append(
            {
                "Sid": "MapItemReader",
                "Effect": "Allow",
                "Action": ITEM_READER_ACTIONS,
                "Resource": [_results_objects(f"{flow_prefix}*")],
            }
        )
    if listers:
        # "IAM policies for datasets": listing is allowed on the bucket, for the prefix.
        statements.append(
            {
                "Sid": "MapItemLister",
                "Effect": "Allow",
                "Action": ITEM_LISTER_ACTIONS,
                "Resource": [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{{RESULTS_BUCKET}}}"}],
                "Condition": {"StringLike": {LIST_PREFIX_KEY: [f"{flow_prefix}*"]}},
            }
        )
    return statements


def _results_objects(pattern: str) -> dict[str, Any]:
    """The ARN of the results bucket's objects matching `pattern` (a key with wildcards)."""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{{RESULTS_BUCKET}}}/{pattern}"}


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

    Decided by the ASL (a Map state in Distributed mode, at any depth), not by the tasks'
    options: the planner chooses each Map's mode.
    """
    if not any(is_distributed_map(state) for _, state in states_of(_definition(build))):
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
