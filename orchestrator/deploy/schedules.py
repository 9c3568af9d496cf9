"""A scheduled flow's EventBridge Scheduler schedule and the role it starts executions with.

Declared directly (not as SAM's `ScheduleV2` event, whose generated role grants
`states:StartExecution` on the alias ARN): Step Functions authorises an execution started
through an alias or version against the *unqualified* state machine ARN (developer guide,
"Authorization for versions and aliases"; aws/serverless-application-model#3720), so the grant
names the state machine and the `states:StateMachineQualifier` condition narrows it to the alias
the schedule targets. The schedule has no `Name`: CloudFormation generates one per stack, so two
stages of a project schedule side by side in one account.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.deploy.project import FlowBuild
from orchestrator.deploy.statemachines import (
    ALIAS,
    SCHEDULE,
    SCHEDULE_ROLE,
    part_id,
    state_machine_id,
)
from orchestrator.settings import ProjectSettings

#: The condition key Step Functions sets to the alias or version a call was made through.
QUALIFIER_KEY = "states:StateMachineQualifier"


def schedule_resources(build: FlowBuild, config: ProjectSettings) -> dict[str, Any]:
    schedule = build.graph.schedule
    if schedule is None:
        return {}
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        # Only schedules of this account may use the role (confused deputy).
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                        },
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "StartFlowThroughAlias",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "StartExecutionOfTheAlias",
                                "Effect": "Allow",
                                "Action": "states:StartExecution",
                                "Resource": {"Ref": state_machine_id(build)},
                                "Condition": {"StringEquals": {QUALIFIER_KEY: config.alias}},
                            }
                        ],
                    },
                }
            ],
        },
    }
    props: dict[str, Any] = {
        "Description": f"Runs flow {build.graph.resource_name} ({schedule.expression})",
        "ScheduleExpression": schedule.expression,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {
            # The alias: scheduled runs use the version the last deploy published.
            "Arn": {"Ref": part_id(build, ALIAS)},
            "RoleArn": {"Fn::GetAtt": [part_id(build, SCHEDULE_ROLE), "Arn"]},
            "Input": json.dumps(build.graph.defaults(), ensure_ascii=False, sort_keys=True),
        },
    }
    if schedule.timezone is not None:
        props["ScheduleExpressionTimezone"] = schedule.timezone
    return {
        part_id(build, SCHEDULE_ROLE): role,
        part_id(build, SCHEDULE): {"Type": "AWS::Scheduler::Schedule", "Properties": props},
    }
