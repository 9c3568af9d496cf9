"""A translated CloudFormation template's resources as one stack of an account would have them.

CloudFormation names a resource the template leaves unnamed: a Lambda function, an IAM role or a
DynamoDB table `<stack>-<LogicalId>-<SUFFIX>`, an S3 bucket the same in lower case, a state
machine `<LogicalId>-<SUFFIX>` (without the stack name: two stacks' machines differ only by the
suffix). `StackResources` applies those rules, with a suffix derived from the stack and the
logical id (stable for a check, different per stack, as on AWS), and resolves `Ref`,
`Fn::GetAtt`, `Fn::Sub` and `Fn::Join` to the values AWS would substitute — so logic that works
on names and ARNs is checked against what a real deploy produces, not against the plain names
moto uses.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from orchestrator.contract import LOCAL_ACCOUNT, LOCAL_REGION

PARTITION = "aws"
_SUB = re.compile(r"\$\{([^}!]+)\}")


def suffix(stack: str, logical_id: str) -> str:
    """The 12-or-13-character random part of a generated name (deterministic here)."""
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest().upper()
    return digest[:12]


@dataclass
class StackResources:
    """The resources of `template` (translated CloudFormation) deployed as stack `stack`."""

    template: dict[str, Any]
    stack: str
    region: str = LOCAL_REGION
    account: str = LOCAL_ACCOUNT
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for logical_id, resource in self.resources.items():
            self.names[logical_id] = self._name(logical_id, resource)

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def _name(self, logical_id: str, resource: dict[str, Any]) -> str:
        kind = resource["Type"]
        props = resource.get("Properties", {})
        explicit = {
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
            "AWS::StepFunctions::StateMachine": "StateMachineName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::Scheduler::Schedule": "Name",
        }.get(kind)
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        tail = suffix(self.stack, logical_id)
        if kind == "AWS::StepFunctions::StateMachine":
            return f"{logical_id}-{tail}"[:80]
        if kind == "AWS::S3::Bucket":
            return f"{self.stack}-{logical_id}-{tail}".lower()[:63]
        return f"{self.stack}-{logical_id}-{tail}"[:64]

    # -- Ref and GetAtt ---------------------------------------------------------------------
    def arn(self, service: str, rest: str) -> str:
        return f"arn:{PARTITION}:{service}:{self.region}:{self.account}:{rest}"

    def ref(self, logical_id: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.stack,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        resource = self.resources.get(logical_id)
        if resource is None:  # a template parameter: its default
            params = self.template.get("Parameters", {})
            return params.get(logical_id, {}).get("Default", logical_id)
        kind, name = resource["Type"], self.names[logical_id]
        props = resource.get("Properties", {})
        if kind == "AWS::StepFunctions::StateMachine":
            return self.arn("states", f"stateMachine:{name}")
        if kind == "AWS::StepFunctions::StateMachineVersion":
            return f"{self.resolve(props['StateMachineArn'])}:1"
        if kind == "AWS::StepFunctions::StateMachineAlias":
            routing = props.get("RoutingConfiguration") or [props["DeploymentPreference"]]
            machine = str(self.resolve(routing[0]["StateMachineVersionArn"]))
            return f"{machine.rsplit(':', 1)[0]}:{props['Name']}"
        if kind == "AWS::Lambda::Version":
            return f"{self.getatt(str(self._target(props['FunctionName'])), 'Arn')}:1"
        if kind == "AWS::Lambda::Alias":
            return f"{self.getatt(str(self._target(props['FunctionName'])), 'Arn')}:{props['Name']}"
        return name  # functions, roles, buckets, tables, log groups, schedules: the name

    def _target(self, value: Any) -> Any:
        """The logical id a `FunctionName: {Ref: X}` points at."""
        if isinstance(value, dict) and "Ref" in value:
            return value["Ref"]
        return value

    def getatt(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources[logical_id]
        kind, name = resource["Type"], self.names[logical_id]
        if attribute == "Arn":
            if kind == "AWS::Lambda::Function":
                return self.arn("lambda", f"function:{name}")
            if kind == "AWS::IAM::Role":
                return f"arn:{PARTITION}:iam::{self.account}:role/{name}"
            if kind == "AWS::S3::Bucket":
                return f"arn:{PARTITION}:s3:::{name}"
            if kind == "AWS::DynamoDB::Table":
                return self.arn("dynamodb", f"table/{name}")
            if kind == "AWS::Logs::LogGroup":
                return self.arn("logs", f"log-group:{name}:*")
            if kind == "AWS::StepFunctions::StateMachine":
                return self.ref(logical_id)
        if attribute in ("Name", "StateMachineName"):
            return name
        if attribute == "StateMachineRevisionId":
            return f"{name}-revision"
        return f"{logical_id}.{attribute}"

    # -- intrinsic functions ---------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(logical, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(self.resolve(i)) for i in items)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(self.getatt(logical, attribute))
            return str(self.ref(name))

        return _SUB.sub(replace, text)
