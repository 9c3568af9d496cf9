"""What a split flow's parent machine needs to start its child machines (planner/split.py).

The parent starts each child with `startExecution.sync:2`; the developer guide's "IAM policies
for AWS Step Functions" (Synchronous) lists what its role must allow: `states:StartExecution` on
the child machine, `states:DescribeExecution` and `states:StopExecution` on its executions
(`arn:…:execution:<child name>:*`), and `events:PutTargets`, `events:PutRule` and
`events:DescribeRule` on the managed rule through which Step Functions learns that the child
finished, `rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.deploy.project import FlowBuild

#: The rule Step Functions manages to learn that a .sync child execution finished.
SYNC_EVENTS_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
START_ACTIONS = ["states:StartExecution"]
CHILD_EXECUTION_ACTIONS = ["states:DescribeExecution", "states:StopExecution"]
RULE_ACTIONS = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]


def own_placeholders(build: FlowBuild) -> dict[str, str]:
    """The function placeholders the build's own machine holds: none for a split flow's parent,
    whose tasks all run in its children."""
    return {} if build.plan.children else dict(build.plan.placeholders)


def _child_ids(build: FlowBuild) -> list[str]:
    from orchestrator.deploy.statemachines import state_machine_id

    return [state_machine_id(child) for child in build.children]


def child_substitutions(build: FlowBuild) -> dict[str, Any]:
    """Each child's ARN placeholder in the parent (`${ETLPart1StateMachineArn}`) → its ARN."""
    return {f"{sm}Arn": {"Ref": sm} for sm in _child_ids(build)}


def child_statements(build: FlowBuild) -> list[dict[str, Any]]:
    """The parent's policy statements for starting and watching its children (none for a
    machine without children)."""
    ids = _child_ids(build)
    if not ids:
        return []
    executions = [
        {
            "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${"
            + sm
            + ".Name}:*"
        }
        for sm in ids
    ]
    rule = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/" + SYNC_EVENTS_RULE
    return [
        {
            "Sid": "StartChildMachines",
            "Effect": "Allow",
            "Action": START_ACTIONS,
            "Resource": [{"Ref": sm} for sm in ids],
        },
        {
            "Sid": "WatchChildExecutions",
            "Effect": "Allow",
            "Action": CHILD_EXECUTION_ACTIONS,
            "Resource": executions,
        },
        {
            "Sid": "SyncExecutionEvents",
            "Effect": "Allow",
            "Action": RULE_ACTIONS,
            "Resource": [{"Fn::Sub": rule}],
        },
    ]
