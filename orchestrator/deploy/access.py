"""AWS's authorisation rules, checked offline against the stack a template deploys.

moto enforces no IAM, so a deploy into moto cannot show that a schedule would be denied or that
a grant reaches another stack. This check enumerates every service-to-service call the deployed
system makes — Scheduler → `states:StartExecution`; a state machine → `lambda:InvokeFunction` on
each function ARN exactly as its ASL names it, and, for a Distributed Map, the child-execution
calls on itself and the S3 calls of its ResultWriter and ItemReader; a task function → S3 on
the results prefix its runtime chooses (computed by the runtime's own `prefix_for`), DynamoDB
for idempotency — with resource ARNs as AWS authorises them (CloudFormation's physical names,
`physical.StackResources`; a call through a state machine alias or version authorised on the
unqualified ARN with `states:StateMachineQualifier`), and evaluates each caller's role with
moto's IAM policy evaluator (`moto.iam.access_control`).

A call that would be denied is a finding; so is a grant that reaches beyond the stack (the same
calls of a second stack of the same template, allowed by this stack's roles), and a state machine
that invokes functions by an unqualified ARN (its versions would not pin the code they run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from orchestrator.contract import (
    FLOW_ENV,
    IDEMPOTENCY_TABLE_ENV,
    LAMBDA_INVOKE,
    PLACEHOLDER,
    RESULTS_BUCKET_ENV,
    RESULTS_PREFIX_ENV,
    results_prefix,
)
from orchestrator.deploy.lambdas import RESULTS_BUCKET
from orchestrator.deploy.physical import StackResources
from orchestrator.deploy.schedules import QUALIFIER_KEY
from orchestrator.deploy.statemachines import (
    FLOW_TAG,
    ITEM_LISTER_ACTIONS,
    ITEM_READER_ACTIONS,
    LIST_PREFIX_KEY,
    RESULT_WRITER_ACTIONS,
    is_distributed_map,
    states_of,
)
from orchestrator.engine.spec import S3_GET_OBJECT, S3_LIST_OBJECTS_V2, S3_PUT_OBJECT

#: The AWS managed policies SAM attaches, as AWS publishes them (the actions this check needs).
MANAGED_POLICY_STATEMENTS: dict[str, list[dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}
#: Actions whose grants are scoped to this stack's resources: a second stack's resource must not
#: be reachable through them.
SCOPED_PREFIXES = ("states:", "lambda:InvokeFunction", "s3:", "dynamodb:")


@dataclass(frozen=True)
class Call:
    """One call the deployed system makes: who (a role's logical id), what, on which ARN."""

    caller: str  # e.g. "schedule HourlyStateMachineSchedule"
    role: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Finding:
    kind: str  # "denied" | "beyond the stack" | "unpinned code"
    caller: str
    role: str
    action: str
    resource: str

    def line(self) -> str:
        return f"{self.kind}: {self.caller} (role {self.role}) → {self.action} on {self.resource}"


def check_access(
    cfn: dict[str, Any], definitions: dict[str, dict[str, Any]], stack: str = "orc-check"
) -> list[Finding]:
    """Findings for `cfn` (translated CloudFormation) deployed as `stack`; `definitions` maps a
    state machine's logical id to its ASL (placeholders unsubstituted)."""
    here = StackResources(cfn, stack)
    other = StackResources(cfn, f"{stack}-other")
    policies = role_policies(here)
    findings: list[Finding] = []
    calls = list(enumerate_calls(here, definitions))
    for call in calls:
        if not allowed(policies.get(call.role, []), call):
            findings.append(Finding("denied", call.caller, call.role, call.action, call.resource))
    for call in enumerate_calls(other, definitions):
        if not call.action.startswith(SCOPED_PREFIXES):
            continue
        if allowed(policies.get(call.role, []), call, scoped_only=True):
            findings.append(
                Finding("beyond the stack", call.caller, call.role, call.action, call.resource)
            )
    findings.extend(unpinned(here, definitions))
    return findings


# -- policies -----------------------------------------------------------------------------------
def role_policies(stack: StackResources) -> dict[str, list[dict[str, Any]]]:
    """Role logical id → its statements: inline, managed (as published), attached IAM::Policy."""
    out: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in stack.resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            statements = out.setdefault(logical_id, [])
            for policy in props.get("Policies", []):
                statements.extend(_statements(stack.resolve(policy["PolicyDocument"])))
            for arn in stack.resolve(props.get("ManagedPolicyArns", [])):
                for statement in MANAGED_POLICY_STATEMENTS.get(str(arn).rsplit("/", 1)[-1], []):
                    statements.append({**statement, "Managed": True})
    for resource in stack.resources.values():
        if resource["Type"] == "AWS::IAM::Policy":
            props = resource["Properties"]
            for role in props.get("Roles", []):
                role_id = role["Ref"] if isinstance(role, dict) else role
                out.setdefault(role_id, []).extend(
                    _statements(stack.resolve(props["PolicyDocument"]))
                )
    return out


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def allowed(statements: list[dict[str, Any]], call: Call, *, scoped_only: bool = False) -> bool:
    """IAM's decision for `call` under `statements`: an explicit Deny wins, then any Allow.

    Each statement is evaluated by moto's `IAMPolicyStatement` (actions, resources, wildcards,
    conditions); its verdict is read per the statement's Effect, because moto reports an Allow
    whose condition does not hold as DENIED where IAM ignores the statement.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    context = dict(call.context)
    verdict = False
    for statement in statements:
        if scoped_only and statement.get("Managed"):
            continue
        clean = {k: v for k, v in statement.items() if k != "Managed"}
        result = IAMPolicyStatement(clean).is_action_permitted(
            call.action, call.resource, incoming_condition_values=context
        )
        if clean.get("Effect") == "Deny" and result == PermissionResult.DENIED:
            if _conditions_hold(clean, context):
                return False
        elif clean.get("Effect") == "Allow" and result == PermissionResult.PERMITTED:
            verdict = True
    return verdict


def _conditions_hold(statement: dict[str, Any], context: dict[str, str]) -> bool:
    from moto.iam.access_control import IAMPolicyStatement

    return IAMPolicyStatement(statement)._check_conditions(context)


# -- calls --------------------------------------------------------------------------------------
def enumerate_calls(
    stack: StackResources, definitions: dict[str, dict[str, Any]]
) -> Iterator[Call]:
    roles_by_arn = {
        str(stack.getatt(logical, "Arn")): logical
        for logical, r in stack.resources.items()
        if r["Type"] == "AWS::IAM::Role"
    }
    for logical_id, resource in stack.resources.items():
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind == "AWS::Scheduler::Schedule":
            target = stack.resolve(props["Target"])
            role = roles_by_arn.get(str(target["RoleArn"]), str(target["RoleArn"]))
            arn, qualifier = split_qualifier(str(target["Arn"]))
            context = ((QUALIFIER_KEY, qualifier),) if qualifier else ()
            yield Call(f"schedule {logical_id}", role, "states:StartExecution", arn, context)
        elif kind == "AWS::StepFunctions::StateMachine" and logical_id in definitions:
            role = roles_by_arn.get(str(stack.resolve(props["RoleArn"])), "?")
            yield from _machine_calls(stack, logical_id, role, definitions[logical_id])
    yield from _function_calls(stack, definitions, roles_by_arn)


def split_qualifier(arn: str) -> tuple[str, str | None]:
    """A state machine ARN as authorised (unqualified) and its alias or version, if any."""
    parts = arn.split(":")
    if len(parts) == 8 and parts[5] == "stateMachine":
        return ":".join(parts[:7]), parts[7]
    return arn, None


def substituted(stack: StackResources, logical_id: str, asl: dict[str, Any]) -> dict[str, Any]:
    """The ASL with the machine's DefinitionSubstitutions applied as CloudFormation would."""
    props = stack.resources[logical_id].get("Properties", {})
    subs = {k: str(stack.resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
    text = PLACEHOLDER.sub(lambda m: subs.get(m.group(1), m.group(0)), json.dumps(asl))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _machine_calls(
    stack: StackResources, logical_id: str, role: str, asl: dict[str, Any]
) -> Iterator[Call]:
    machine_arn = str(stack.ref(logical_id))
    name = stack.names[logical_id]
    prefix = _flow_prefix(stack, logical_id)
    for state_name, state in states_of(substituted(stack, logical_id, asl)):
        caller = f"state machine {logical_id} ({state_name})"
        if state.get("Resource") == LAMBDA_INVOKE:
            function = str(state["Parameters"]["FunctionName"])
            yield Call(caller, role, "lambda:InvokeFunction", function)
        if is_distributed_map(state):
            child = stack.arn("states", f"execution:{name}/{state_name}:child-1")
            yield Call(caller, role, "states:StartExecution", machine_arn)
            for action in ("DescribeExecution", "StopExecution", "RedriveExecution"):
                yield Call(caller, role, f"states:{action}", child)
        yield from _map_s3_calls(stack, logical_id, role, state_name, state, prefix)


def _map_s3_calls(
    stack: StackResources, machine: str, role: str, name: str, state: dict[str, Any], prefix: str
) -> Iterator[Call]:
    """The S3 calls of a Map's ResultWriter and ItemReader, on the objects they would touch.

    A literal `Bucket`/`Key`/`Prefix` is taken as written (placeholders substituted); one given
    by a path (`Bucket.$`) is what the planner's paths resolve to at run time: the results bucket,
    and a key under the flow's prefix that one of its tasks wrote, or the prefix of another map's
    succeeded children's files (listed, then each read).
    """
    writer = state.get("ResultWriter") or {}
    if writer.get("Resource") == S3_PUT_OBJECT:
        params = writer.get("Parameters") or writer.get("Arguments") or {}
        bucket = _literal(params, "Bucket") or _results_bucket(stack)
        written = _literal(params, "Prefix")
        if written is None:
            written = f"{prefix}maps/{name}" if "Prefix.$" in params else ""
        # Step Functions writes `<Prefix>/<map run id>/manifest.json` beside the result files.
        key = f"{written.rstrip('/')}/map-run-1/manifest.json".lstrip("/")
        caller = f"state machine {machine} ({name} ResultWriter)"
        for action in RESULT_WRITER_ACTIONS:
            yield Call(caller, role, action, _s3_arn(bucket, key))
    reader = state.get("ItemReader") or {}
    if reader.get("Resource") == S3_GET_OBJECT:
        params = reader.get("Parameters") or reader.get("Arguments") or {}
        bucket = _literal(params, "Bucket") or _results_bucket(stack)
        key = _literal(params, "Key") or f"{prefix}execution-1/task/0.json"
        caller = f"state machine {machine} ({name} ItemReader)"
        for action in ITEM_READER_ACTIONS:
            yield Call(caller, role, action, _s3_arn(bucket, key))
    if reader.get("Resource") == S3_LIST_OBJECTS_V2:
        params = reader.get("Parameters") or reader.get("Arguments") or {}
        bucket = _literal(params, "Bucket") or _results_bucket(stack)
        listed = _literal(params, "Prefix")
        if listed is None:
            listed = f"{prefix}maps/task/map-run-1/SUCCEEDED_" if "Prefix.$" in params else ""
        caller = f"state machine {machine} ({name} ItemReader)"
        for action in ITEM_LISTER_ACTIONS:
            context = ((LIST_PREFIX_KEY, listed),)
            yield Call(caller, role, action, f"arn:aws:s3:::{bucket}", context)
        for action in ITEM_READER_ACTIONS:  # LOAD_AND_FLATTEN reads each object listed
            yield Call(caller, role, action, _s3_arn(bucket, f"{listed}0.json"))


def _literal(params: dict[str, Any], field: str) -> str | None:
    """A parameter's value as written, or None when a path (`Field.$`) gives it at run time."""
    value = params.get(field)
    return None if value is None or f"{field}.$" in params else str(value)


def _s3_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _flow_prefix(stack: StackResources, logical_id: str) -> str:
    """The results prefix of the flow the machine runs (its `orchestrator:flow` tag)."""
    tags = stack.resources[logical_id].get("Properties", {}).get("Tags", [])
    pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags)
    flow = next((str(stack.resolve(v)) for k, v in pairs if k == FLOW_TAG), None)
    return results_prefix(flow) if flow is not None else "<no flow tag>/"


def _function_calls(
    stack: StackResources, definitions: dict[str, dict[str, Any]], roles_by_arn: dict[str, str]
) -> Iterator[Call]:
    """Each function writes its large results where its runtime would, for every flow invoking
    it, and reads the results of the flow's other functions; idempotent ones use their table."""
    from orchestrator.runtime.results import UnknownFlowError, prefix_for

    functions = {
        logical: r for logical, r in stack.resources.items() if r["Type"] == "AWS::Lambda::Function"
    }
    arns = {str(stack.getatt(logical, "Arn")): logical for logical in functions}
    flow_functions: dict[str | None, set[str]] = {}
    for logical_id, asl in definitions.items():
        for _, state in states_of(substituted(stack, logical_id, asl)):
            if state.get("Resource") != LAMBDA_INVOKE:
                continue
            function = str(state["Parameters"]["FunctionName"])
            owner = arns.get(function) or arns.get(function.rsplit(":", 1)[0])
            flow = state["Parameters"]["Payload"].get("context", {}).get("flow")
            if owner is not None:
                flow_functions.setdefault(flow, set()).add(owner)
    for flow, members in sorted(flow_functions.items(), key=lambda kv: str(kv[0])):
        for writer in sorted(members):
            props = functions[writer]["Properties"]
            env = {
                k: str(v)
                for k, v in stack.resolve(props.get("Environment", {})).get("Variables", {}).items()
            }
            role = roles_by_arn.get(str(stack.resolve(props["Role"])), "?")
            bucket = env.get(RESULTS_BUCKET_ENV) or _results_bucket(stack)
            with mock.patch.dict(os.environ, {RESULTS_PREFIX_ENV: env.get(RESULTS_PREFIX_ENV, "")}):
                try:
                    prefix = prefix_for(flow)
                except UnknownFlowError:
                    prefix = "<no prefix: the payload names no flow>/"
            key = f"arn:aws:s3:::{bucket}/{prefix}execution-1/task/0.json"
            caller = f"function {writer} (flow {flow or '?'}: {env.get(FLOW_ENV, '')})"
            yield Call(caller, role, "s3:PutObject", key)
            for reader in sorted(members):
                reader_props = functions[reader]["Properties"]
                reader_role = roles_by_arn.get(str(stack.resolve(reader_props["Role"])), "?")
                yield Call(
                    f"function {reader} reading {writer}'s result", reader_role, "s3:GetObject", key
                )
            table = env.get(IDEMPOTENCY_TABLE_ENV)
            if table:
                table_arn = stack.arn("dynamodb", f"table/{table}")
                for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
                    yield Call(caller, role, f"dynamodb:{action}", table_arn)


def _results_bucket(stack: StackResources) -> str:
    if RESULTS_BUCKET in stack.names:
        return stack.names[RESULTS_BUCKET]
    for logical_id, resource in stack.resources.items():
        if resource["Type"] == "AWS::S3::Bucket":
            return stack.names[logical_id]
    return "results-bucket"


def unpinned(stack: StackResources, definitions: dict[str, dict[str, Any]]) -> list[Finding]:
    """Task states invoking a function by an unqualified ARN or an alias: the state machine's
    versions would not pin the code they run, and moving its alias back would roll none back."""
    out = []
    for logical_id, asl in definitions.items():
        for state_name, state in states_of(substituted(stack, logical_id, asl)):
            if state.get("Resource") != LAMBDA_INVOKE:
                continue
            function = str(state["Parameters"]["FunctionName"])
            qualifier = function.split(":")[7] if function.count(":") == 7 else ""
            if not qualifier.isdigit():
                out.append(
                    Finding(
                        "unpinned code",
                        f"state machine {logical_id} ({state_name})",
                        "-",
                        "lambda:InvokeFunction",
                        function,
                    )
                )
    return out


def check_project(root: Any) -> list[Finding]:
    """`check_access` for the project at `root`: its template.yaml and committed ASL files."""
    from pathlib import Path

    import yaml

    from orchestrator.deploy.translate import package_template, placeholder_uploader, translate

    base = Path(root)
    template = yaml.safe_load((base / "template.yaml").read_text(encoding="utf-8"))
    definitions = {
        logical_id: json.loads((base / r["Properties"]["DefinitionUri"]).read_text("utf-8"))
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::StateMachine"
        and isinstance(r["Properties"].get("DefinitionUri"), str)
    }
    cfn = translate(package_template(template, placeholder_uploader()))
    return check_access(cfn, definitions)
