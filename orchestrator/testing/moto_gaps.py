"""What moto 5's CloudFormation skips or gets wrong, done through the service APIs instead.

`MotoGaps` is the part of the template deployer (`orchestrator.testing.stack`) that creates the
resources moto's CloudFormation skips with a warning (schedules, state-machine versions and
aliases, bucket policies, Lambda aliases) from the translated template's own properties, and
repairs the properties and references it drops. Each action is recorded in `created_by_api` or
`findings`, so nothing in the template goes untested silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

from orchestrator.testing.moto import PLACEHOLDER, REGION, MotoStepFunctions

# A reference inside Fn::Sub: ${Name} or ${Name.Attribute} (not ${!Literal}).
PLACEHOLDER_SUB = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


class MotoDeployError(RuntimeError):
    """The template did not deploy into moto completely (or a resource is missing after it)."""


class MotoGaps:
    """Mixin of the deployer: needs its clients, resource maps and `resolve`/`_of`."""

    sfn: MotoStepFunctions
    s3: Any
    lambda_: Any
    scheduler: Any
    stack_name: str
    physical: dict[str, str]
    resources: dict[str, Any]
    created_by_api: list[tuple[str, str]]
    findings: list[str]

    def resolve(self, value: Any) -> Any:
        raise NotImplementedError

    def _of(self, kind: str) -> dict[str, str]:
        raise NotImplementedError

    def _create_skipped(self) -> None:
        skipped = [lid for lid in self.resources if lid not in self.physical]
        # Layers first: the functions' versions must publish with them.
        for logical in skipped:
            resource = self.resources[logical]
            if resource["Type"] == "AWS::Lambda::LayerVersion":
                self.physical[logical] = self._layer_version(logical, resource["Properties"])
                self._attach_layer(logical)
        # Function versions next: the state machines' substitutions name them.
        for logical in skipped:
            resource = self.resources[logical]
            if resource["Type"] == "AWS::Lambda::Version":
                self.physical[logical] = self._lambda_version(logical, resource["Properties"])
                self.created_by_api.append((logical, "AWS::Lambda::Version"))
        skipped = [lid for lid in skipped if lid not in self.physical]
        # Every state machine next: versions publish what its definition is at that moment.
        for logical, resource in self.resources.items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine" and logical in self.physical:
                self._apply_definition(logical, resource["Properties"])
        creators: dict[str, Callable[[str, dict[str, Any]], str]] = {
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::Lambda::Alias": self._lambda_alias,
            "AWS::StepFunctions::StateMachineVersion": self._sfn_version,
            "AWS::StepFunctions::StateMachineAlias": self._sfn_alias,
            "AWS::Scheduler::Schedule": self._schedule,
        }
        unsupported = sorted(
            f"{lid} ({self.resources[lid]['Type']})"
            for lid in skipped
            if self.resources[lid]["Type"] not in creators
        )
        if unsupported:
            raise MotoDeployError(
                "moto's CloudFormation did not create, and the toolkit cannot create: "
                + ", ".join(unsupported)
            )
        # Dependency order: a version before its alias, an alias before the schedule naming it.
        for kind in creators:
            for logical in skipped:
                resource = self.resources[logical]
                if resource["Type"] == kind:
                    self.physical[logical] = creators[kind](logical, resource.get("Properties", {}))
                    self.created_by_api.append((logical, kind))

    def _apply_definition(self, logical: str, props: dict[str, Any]) -> None:
        arn = self.physical[logical]
        definition = props.get("DefinitionString")
        if definition is None:
            definition = self._definition_from_s3(logical, props)
        elif not isinstance(definition, str):
            definition = json.dumps(self.resolve(definition))
        config: dict[str, Any] = {"definition": definition}
        if "LoggingConfiguration" in props:
            config["loggingConfiguration"] = _lower_keys(
                self.resolve(props["LoggingConfiguration"])
            )
        if "TracingConfiguration" in props:
            config["tracingConfiguration"] = _lower_keys(
                self.resolve(props["TracingConfiguration"])
            )
        client = self.sfn.sfn
        try:
            client.describe_state_machine(stateMachineArn=arn)
        except client.exceptions.StateMachineDoesNotExist:
            # With `execute_state_machine` on, the Step Functions API is served by moto's ASL
            # executor backend, while its CloudFormation creates state machines in the plain
            # backend, where neither the API nor the executor sees them. Create it again, under
            # the same name (so the same ARN every Ref resolved to), from the same properties.
            tags = self.resolve(props.get("Tags", []))
            client.create_state_machine(
                name=arn.rsplit(":", 1)[-1],
                roleArn=self.resolve(props["RoleArn"]),
                type=props.get("StateMachineType", "STANDARD"),
                tags=[{"key": t["Key"], "value": str(t["Value"])} for t in tags],
                **config,
            )
            self.created_by_api.append((logical, "AWS::StepFunctions::StateMachine"))
            self.findings.append(
                f"{logical}: moto's CloudFormation created it where its Step Functions API and "
                "executor (execute_state_machine) do not look; created with CreateStateMachine"
            )
        else:
            client.update_state_machine(stateMachineArn=arn, **config)

    def _definition_from_s3(self, logical: str, props: dict[str, Any]) -> str:
        loc = self.resolve(props["DefinitionS3Location"])
        body = self.s3.get_object(Bucket=loc["Bucket"], Key=loc["Key"])["Body"].read()
        substitutions = {
            k: str(v) for k, v in self.resolve(props.get("DefinitionSubstitutions", {})).items()
        }
        text = PLACEHOLDER.sub(
            lambda m: substitutions.get(m.group(1), m.group(0)), body.decode("utf-8")
        )
        unfilled = sorted(set(PLACEHOLDER.findall(text)))
        if unfilled:
            raise MotoDeployError(f"{logical}: no substitution for {unfilled}")
        self.findings.append(
            f"{logical}: moto's CloudFormation reads only DefinitionString and ignores "
            "DefinitionS3Location/DefinitionSubstitutions; definition read from the S3 object "
            "with the substitutions applied"
        )
        return str(text)

    def _complete_properties(self) -> None:
        """Apply the properties moto's CloudFormation ignores on resources it does create.

        Its S3 bucket takes only ``BucketEncryption`` and ``Tags``, its DynamoDB table no
        ``TimeToLiveSpecification``; the rest is applied through the service API, so a test
        reading the bucket's lifecycle or the table's TTL reads what the template says.
        """
        import boto3

        for logical, bucket in self._of("AWS::S3::Bucket").items():
            props = self.resolve(self.resources[logical].get("Properties", {}))
            applied = []
            if "PublicAccessBlockConfiguration" in props:
                self.s3.put_public_access_block(
                    Bucket=bucket,
                    PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
                )
                applied.append("PublicAccessBlockConfiguration")
            if "OwnershipControls" in props:
                self.s3.put_bucket_ownership_controls(
                    Bucket=bucket, OwnershipControls=props["OwnershipControls"]
                )
                applied.append("OwnershipControls")
            if "LifecycleConfiguration" in props:
                rules = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
                self.s3.put_bucket_lifecycle_configuration(
                    Bucket=bucket, LifecycleConfiguration=cast(Any, {"Rules": rules})
                )
                applied.append("LifecycleConfiguration")
            if applied:
                self.findings.append(
                    f"{logical}: moto's CloudFormation ignores {', '.join(applied)} of "
                    "AWS::S3::Bucket; applied through the S3 API"
                )
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for logical, table in self._of("AWS::DynamoDB::Table").items():
            ttl = self.resources[logical].get("Properties", {}).get("TimeToLiveSpecification")
            if ttl is not None:
                dynamodb.update_time_to_live(
                    TableName=table,
                    TimeToLiveSpecification={
                        "Enabled": ttl["Enabled"],
                        "AttributeName": ttl["AttributeName"],
                    },
                )
                self.findings.append(
                    f"{logical}: moto's CloudFormation ignores TimeToLiveSpecification of "
                    "AWS::DynamoDB::Table; applied with UpdateTimeToLive"
                )

    def _repair_role_policies(self) -> None:
        """Put again the inline policies that name a resource moto's CloudFormation skipped.

        moto resolves a ``Ref`` to a resource it skipped to nothing and drops the key, so e.g. the
        schedule role's ``states:StartExecution`` statement loses its ``Resource`` (the alias).
        """
        import boto3

        iam = boto3.client("iam", region_name=REGION)
        ours = {lid for lid, _ in self.created_by_api}
        for logical, role in self._of("AWS::IAM::Role").items():
            for policy in self.resources[logical].get("Properties", {}).get("Policies", []):
                if not _references(policy["PolicyDocument"]) & ours:
                    continue
                document = self.resolve(policy["PolicyDocument"])
                note = ""
                if "Version" not in document:
                    # SAM writes this policy without a Version, which IAM reads as 2008-10-17
                    # and moto's PutRolePolicy refuses; without policy variables the two agree.
                    document = {"Version": "2012-10-17", **document}
                    note = " (with Version 2012-10-17 added, which moto's IAM API requires)"
                iam.put_role_policy(
                    RoleName=role,
                    PolicyName=policy["PolicyName"],
                    PolicyDocument=json.dumps(document),
                )
                self.findings.append(
                    f"{logical}: moto's CloudFormation dropped the parts of policy "
                    f"{policy['PolicyName']} naming resources it skipped; put again with "
                    f"PutRolePolicy{note}"
                )

    def _bucket_policy(self, logical: str, props: dict[str, Any]) -> str:
        bucket = self.resolve(props["Bucket"])
        policy = self.resolve(props["PolicyDocument"])
        self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        return str(bucket)

    def _lambda_version(self, logical: str, props: dict[str, Any]) -> str:
        resolved = self.resolve(props)
        kwargs: dict[str, Any] = {"FunctionName": resolved["FunctionName"]}
        if resolved.get("Description"):
            kwargs["Description"] = resolved["Description"]
        return str(self.lambda_.publish_version(**kwargs)["FunctionArn"])

    def _layer_version(self, logical: str, props: dict[str, Any]) -> str:
        # moto 5's CloudFormation publishes the layer but reports no physical id for it (so a
        # Ref to it resolves to nothing): look the version up, else publish it.
        resolved = self.resolve(props)
        name = resolved.get("LayerName", logical)
        generated = f"{self.stack_name}-{logical}-"  # moto names it so, ignoring LayerName
        for layer in self.lambda_.list_layers()["Layers"]:
            if layer["LayerName"].startswith(generated):
                self.findings.append(
                    f"{logical}: moto's CloudFormation published it as {layer['LayerName']} "
                    "(not its LayerName) and without a physical id; found with ListLayers"
                )
                return str(layer["LatestMatchingVersion"]["LayerVersionArn"])
        published = self.lambda_.publish_layer_version(
            LayerName=name,
            Content=resolved["Content"],
            CompatibleRuntimes=resolved.get("CompatibleRuntimes", []),
        )
        self.created_by_api.append((logical, "AWS::Lambda::LayerVersion"))
        return str(published["LayerVersionArn"])

    def _attach_layer(self, layer: str) -> None:
        # The functions' `Layers: [Ref]` resolved to nothing (the layer had no physical id).
        for logical, resource in self.resources.items():
            layers = resource.get("Properties", {}).get("Layers", [])
            if resource["Type"] == "AWS::Lambda::Function" and {"Ref": layer} in layers:
                arns = [self.physical[layer] if x == {"Ref": layer} else x for x in layers]
                self.lambda_.update_function_configuration(
                    FunctionName=self.physical[logical], Layers=arns
                )
        self.findings.append(
            f"{layer}: the functions' Layers referencing it were dropped by moto; set again "
            "with UpdateFunctionConfiguration"
        )

    def _lambda_alias(self, logical: str, props: dict[str, Any]) -> str:
        resolved = self.resolve(props)
        alias = self.lambda_.create_alias(
            FunctionName=resolved["FunctionName"],
            Name=resolved["Name"],
            FunctionVersion=str(resolved["FunctionVersion"]),
            **({"Description": resolved["Description"]} if "Description" in resolved else {}),
        )
        return str(alias["AliasArn"])

    def _sfn_version(self, logical: str, props: dict[str, Any]) -> str:
        # moto has no PublishStateMachineVersion; UpdateStateMachine(publish=True) publishes the
        # current definition as the next version, which is what the resource does.
        resolved = self.resolve(props)
        arn = resolved["StateMachineArn"]
        # UpdateStateMachine insists on a change; the same definition is none.
        definition = self.sfn.sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        kwargs: dict[str, Any] = {"stateMachineArn": arn, "definition": definition, "publish": True}
        if resolved.get("Description"):
            kwargs["versionDescription"] = resolved["Description"]
        return str(self.sfn.sfn.update_state_machine(**kwargs)["stateMachineVersionArn"])

    def _sfn_alias(self, logical: str, props: dict[str, Any]) -> str:
        resolved = self.resolve(props)
        if "RoutingConfiguration" in resolved:
            routing = [
                {"stateMachineVersionArn": r["StateMachineVersionArn"], "weight": r["Weight"]}
                for r in resolved["RoutingConfiguration"]
            ]
        else:
            preference = resolved["DeploymentPreference"]
            if preference.get("Type", "ALL_AT_ONCE") != "ALL_AT_ONCE":
                self.findings.append(
                    f"{logical}: {preference['Type']} deployment preference created as ALL_AT_ONCE"
                )
            routing = [
                {"stateMachineVersionArn": preference["StateMachineVersionArn"], "weight": 100}
            ]
        kwargs: dict[str, Any] = {"name": resolved["Name"], "routingConfiguration": routing}
        if resolved.get("Description"):
            kwargs["description"] = resolved["Description"]
        return str(self.sfn.sfn.create_state_machine_alias(**kwargs)["stateMachineAliasArn"])

    def _schedule(self, logical: str, props: dict[str, Any]) -> str:
        resolved = self.resolve(props)
        names = {
            "Name": "Name",
            "GroupName": "GroupName",
            "Description": "Description",
            "ScheduleExpression": "ScheduleExpression",
            "ScheduleExpressionTimezone": "ScheduleExpressionTimezone",
            "StartDate": "StartDate",
            "EndDate": "EndDate",
            "State": "State",
            "KmsKeyArn": "KmsKeyArn",
            "FlexibleTimeWindow": "FlexibleTimeWindow",
            "Target": "Target",
        }
        kwargs = {api: resolved[key] for key, api in names.items() if key in resolved}
        # CloudFormation names an unnamed schedule after the stack and the logical id, so the
        # schedules of two stacks (stages) never clash.
        kwargs.setdefault("Name", f"{self.stack_name}-{logical}"[:64])
        return str(self.scheduler.create_schedule(**kwargs)["ScheduleArn"])

    # -- functions and state machines ------------------------------------------------------


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule (the parts SAM templates use) as the S3 API's."""
    out: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule["Status"]}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    if "NoncurrentVersionExpirationInDays" in rule:
        days = rule["NoncurrentVersionExpirationInDays"]
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    return out


def _lower_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property keys as the Step Functions API's camelCase."""
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    return value


def _references(value: Any) -> set[str]:
    """The logical ids a template value names through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        return {r for v in value for r in _references(v)}
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, inner in value.items():
        if key == "Ref" and isinstance(inner, str):
            found.add(inner)
        elif key == "Fn::GetAtt":
            target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
            found.add(str(target))
        elif key == "Fn::Sub":
            text = inner[0] if isinstance(inner, list) else inner
            found |= {m.split(".", 1)[0] for m in PLACEHOLDER_SUB.findall(str(text))}
            found |= _references(inner[1] if isinstance(inner, list) else None)
        else:
            found |= _references(inner)
    return found
