"""Deploy a built SAM template into moto, the way `sam deploy` would, and execute its flows there.

`deploy_template_to_moto` follows the real path as far as moto allows:

1. what `sam package` does: zip each function's ``CodeUri`` and each layer's ``ContentUri``
   directory (symlinks followed, as `sam build` does) and upload it, upload every
   ``DefinitionUri`` ASL file, and point the template at those S3 objects
   (`orchestrator.deploy.translate.package_template`);
2. samtranslator turns the SAM template into CloudFormation JSON
   (`orchestrator.deploy.translate.translate`, the same code `orchestrator validate` runs);
3. moto's CloudFormation ``create_stack`` creates the stack.

moto 5.2.5's CloudFormation skips some resource types with only a warning
(``AWS::Scheduler::Schedule``, ``AWS::StepFunctions::StateMachineVersion`` and
``StateMachineAlias``, ``AWS::S3::BucketPolicy``, ``AWS::Lambda::Alias``). Every resource of the
translated template the stack did not create is created here through the service's API, from that
resource's own translated properties with ``Ref``/``Fn::GetAtt``/``Fn::Sub`` resolved against the
stack, and listed in `MotoStack.created_by_api`; a skipped type with no such creator fails the
deploy, so nothing in the template goes untested silently. Other departures of moto that the
deploy corrects are listed in `MotoStack.findings`:

* its state machine reads only ``DefinitionString``: the definition is read from the S3 object
  with the ``DefinitionSubstitutions`` applied; and with ``execute_state_machine`` on it creates
  the state machine where the Step Functions API and executor do not look, so it is created again
  with ``CreateStateMachine`` (same name and ARN, definition, role, type, logging, tracing, tags);
* its S3 bucket ignores ``PublicAccessBlockConfiguration``/``OwnershipControls``/
  ``LifecycleConfiguration``, its DynamoDB table ``TimeToLiveSpecification``: applied by API;
* a ``Ref`` to a resource it skipped resolves to nothing and the key is dropped (the schedule
  role's ``StartExecution`` statement loses its ``Resource``): such inline policies are put again;
* ``StartExecution`` accepts neither an alias nor a version ARN: `MotoStack.execute` starts the
  state machine after checking the alias's version holds the same definition.

Each function runs the real `orchestrator.runtime.lambda_entry` handler in-process, with the
function's deployed ``Environment`` variables (``ORCHESTRATOR_TASK`` …) set for the call. Usage::

    with deploy_template_to_moto("template.yaml", ".") as stack:
        run = stack.execute("DaCuJianKong-ac6e9f", {"min_conversion": 0.02})
        assert run.status == "SUCCEEDED"
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from orchestrator.deploy.translate import package_template, translate
from orchestrator.testing.lambda_context import LambdaContext
from orchestrator.testing.moto import ACCOUNT_ID, REGION, MotoRun, MotoStepFunctions
from orchestrator.testing.moto_gaps import MotoDeployError, MotoGaps

__all__ = ["MotoDeployError", "MotoStack", "deploy_template_to_moto"]

ARTIFACT_BUCKET = "orchestrator-sam-artifacts"


# What the test's in-process Lambda environment adds to the function's own variables: what the
# Lambda service sets. Not LAMBDA_TASK_ROOT: it would turn on X-Ray tracing, which needs a daemon.
_LAMBDA_RUNTIME_ENV = {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

# os.environ is one per process, and moto runs Parallel branches and Map iterations on threads;
# in-process invocations therefore take turns, so each sees only its own function's variables.
_ENV_LOCK = threading.RLock()


@dataclass(frozen=True)
class DeployedFunction:
    logical_id: str
    name: str
    arn: str
    environment: dict[str, str]
    memory: int


@dataclass(frozen=True)
class DeployedStateMachine:
    logical_id: str
    arn: str
    #: The flow's resource name (the ``orchestrator:flow`` tag), if the template tags it.
    flow: str | None
    #: The ARN `MotoStack.execute` starts (the state machine: see `MotoStack.findings`).
    run_arn: str
    alias_arn: str | None = None


@dataclass
class MotoStack:
    """A template deployed into moto: its resources, and how the deploy got them there."""

    sfn: MotoStepFunctions
    stack_name: str
    stack_id: str
    #: The CloudFormation template the SAM transform produced (after packaging).
    cloudformation: dict[str, Any]
    #: Logical id → physical id (name or ARN) of every resource, however it was created.
    physical_ids: dict[str, str]
    functions: dict[str, DeployedFunction]
    state_machines: dict[str, DeployedStateMachine]
    #: (logical id, type) of each resource moto's CloudFormation skipped and the deploy created
    #: through the service API instead.
    created_by_api: list[tuple[str, str]]
    #: Other departures of moto from CloudFormation that the deploy corrected, one line each.
    findings: list[str]
    #: What moto's CloudFormation warned while creating the stack (the types it skipped).
    moto_warnings: list[str] = field(default_factory=list)
    _close: Callable[[], None] | None = None

    def __enter__(self) -> MotoStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the moto account if `deploy_template_to_moto` started it."""
        if self._close is not None:
            self._close()
            self._close = None

    def resources_of(self, kind: str) -> dict[str, str]:
        """Logical id → physical id of the resources of one CloudFormation type."""
        return {
            logical: self.physical_ids[logical]
            for logical, resource in self.cloudformation["Resources"].items()
            if resource["Type"] == kind
        }

    def state_machine(self, name: str) -> DeployedStateMachine:
        """A state machine by logical id or by flow resource name (``flow.graph.resource_name``)."""
        if name in self.state_machines:
            return self.state_machines[name]
        for sm in self.state_machines.values():
            if sm.flow == name:
                return sm
        known = sorted(
            {*self.state_machines, *(s.flow for s in self.state_machines.values() if s.flow)}
        )
        raise KeyError(f"no state machine {name!r} in the stack; known: {', '.join(known)}")

    def execute(self, name: str, input: Any = None, timeout: float = 60) -> MotoRun:
        """Start an execution of a flow's state machine, wait for it, and return its outcome."""
        return self.sfn.execute(self.state_machine(name).run_arn, input, timeout=timeout)


# -- packaging ---------------------------------------------------------------------------------


def zip_directory(path: Path) -> bytes:
    """A deployment package of `path`: symlinks followed (as `sam build`), bytecode left out."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for filename in sorted(filenames):
                if filename.endswith(".pyc"):
                    continue
                full = Path(dirpath) / filename
                zf.write(full, full.relative_to(path).as_posix())
    return buf.getvalue()


def _uploader(s3: Any, root: Path, bucket: str) -> Callable[[str, str, str], dict[str, str]]:
    def upload(kind: str, logical_id: str, local: str) -> dict[str, str]:
        source = root / local
        if not source.exists():
            # `sam package` fails the same way; say which path, relative to what.
            raise MotoDeployError(
                f"{logical_id}: {local} does not exist under {root}. Fix: run `orchestrator "
                "build` (it writes infra/package/, what the functions and their layer ship)"
            )
        if kind == "code":
            key = f"{logical_id}/{local.strip('/')}.zip"
            body = zip_directory(source) if source.is_dir() else source.read_bytes()
        else:
            key = f"{logical_id}/{local}"
            body = source.read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        return {"Bucket": bucket, "Key": key}

    return upload


def load_template(path: Path) -> dict[str, Any]:
    import yaml

    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise MotoDeployError(f"{path} is not a SAM template (no Resources)")
    return loaded


# -- the deploy --------------------------------------------------------------------------------


def deploy_template_to_moto(
    template_path: str | Path,
    project_root: str | Path,
    *,
    sfn: MotoStepFunctions | None = None,
    stack_name: str = "orchestrator-test",
    parameters: dict[str, str] | None = None,
) -> MotoStack:
    """Package, translate and create `template_path` as a CloudFormation stack in moto.

    With `sfn`, the stack goes into that running moto account; without, one is started (with
    retry/Wait sleeps recorded, not slept) and `MotoStack.close` stops it. `project_root` is what
    ``CodeUri``/``DefinitionUri`` are relative to, and is put on ``sys.path`` so the functions can
    import the tasks.
    """
    root = Path(project_root).resolve()
    template = load_template(Path(template_path))
    owned = sfn is None
    harness = sfn or MotoStepFunctions(record_sleeps=True)
    if owned:
        harness.__enter__()
    added_path = str(root) not in sys.path
    if added_path:
        sys.path.insert(0, str(root))

    def close() -> None:
        if added_path and str(root) in sys.path:
            sys.path.remove(str(root))
        if owned:
            harness.__exit__(None, None, None)

    try:
        stack = _Deployer(harness, root, stack_name, parameters or {}).deploy(template)
    except BaseException:
        close()
        raise
    stack._close = close
    return stack


class _Deployer(MotoGaps):
    def __init__(
        self, sfn: MotoStepFunctions, root: Path, stack_name: str, parameters: dict[str, str]
    ) -> None:
        import boto3

        self.sfn = sfn
        self.root = root
        self.stack_name = stack_name
        self.parameters = parameters
        self.s3 = boto3.client("s3", region_name=REGION)
        self.cfn_client = boto3.client("cloudformation", region_name=REGION)
        self.lambda_ = boto3.client("lambda", region_name=REGION)
        self.scheduler = boto3.client("scheduler", region_name=REGION)
        self.physical: dict[str, str] = {}
        self.created_by_api: list[tuple[str, str]] = []
        self.findings: list[str] = []
        self.resources: dict[str, Any] = {}
        self.stack_id = ""

    def deploy(self, template: dict[str, Any]) -> MotoStack:
        self.s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        packaged = package_template(template, _uploader(self.s3, self.root, ARTIFACT_BUCKET))
        cfn = translate(packaged, region=REGION)
        self.resources = cfn["Resources"]
        with warnings.catch_warnings(record=True) as caught:
            # moto warns for each resource type it skips, when creating the stack and again when
            # its resolver meets one; `created_by_api` reports them instead.
            warnings.simplefilter("always")
            stack = self._create_and_complete(cfn)
        stack.moto_warnings = sorted({str(w.message) for w in caught})
        return stack

    def _create_and_complete(self, cfn: dict[str, Any]) -> MotoStack:
        stack = self._create_stack(cfn)
        self.stack_id = stack["StackId"]
        status = self.cfn_client.describe_stacks(StackName=self.stack_id)["Stacks"][0]
        if status["StackStatus"] != "CREATE_COMPLETE":
            raise MotoDeployError(
                f"stack {self.stack_name}: {status['StackStatus']} "
                f"({status.get('StackStatusReason', 'no reason given')})"
            )
        for summary in self._stack_resources():
            # moto also lists the resources it skipped, without ids.
            if summary["LogicalResourceId"] in self.resources and summary["PhysicalResourceId"]:
                self.physical[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
        self._create_skipped()
        self._complete_properties()
        self._repair_role_policies()
        functions = self._wire_functions()
        state_machines = self._state_machines()
        self._verify()
        return MotoStack(
            sfn=self.sfn,
            stack_name=self.stack_name,
            stack_id=self.stack_id,
            cloudformation=cfn,
            physical_ids=dict(self.physical),
            functions=functions,
            state_machines=state_machines,
            created_by_api=list(self.created_by_api),
            findings=list(self.findings),
        )

    def _create_stack(self, cfn: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.cfn_client.create_stack(
                StackName=self.stack_name,
                TemplateBody=json.dumps(cfn),
                Parameters=[
                    {"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()
                ],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        )

    def _stack_resources(self) -> Iterator[Any]:
        kwargs: dict[str, Any] = {"StackName": self.stack_id}
        while True:
            page = self.cfn_client.list_stack_resources(**kwargs)
            yield from page["StackResourceSummaries"]
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]

    # -- resolving intrinsics --------------------------------------------------------------

    def _resource_map(self) -> Any:
        from moto.cloudformation.models import cloudformation_backends

        return cloudformation_backends[ACCOUNT_ID][REGION].stacks[self.stack_id].resource_map

    def resolve(self, value: Any) -> Any:
        """`value` with Ref/GetAtt/Sub resolved: our API-created resources first, then moto's."""
        from moto.cloudformation.parsing import clean_json

        resolved = clean_json(self._resolve_ours(value), self._resource_map())
        leftover = _intrinsics(resolved)
        if leftover:
            raise MotoDeployError(f"cannot resolve {leftover} in {value!r}")
        return resolved

    def _resolve_ours(self, value: Any) -> Any:
        # moto's resolver knows only the resources its stack created, and no state machine
        # revision id; everything else is left for it.
        if isinstance(value, list):
            return [self._resolve_ours(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"} and value["Ref"] in self.physical:
            kind = self.resources.get(value["Ref"], {}).get("Type")
            if value["Ref"] in {lid for lid, _ in self.created_by_api} or kind in (
                "AWS::Lambda::Version",
            ):
                return self.physical[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "StateMachineRevisionId":
                arn = self.physical[logical]
                return self.sfn.sfn.describe_state_machine(stateMachineArn=arn).get("revisionId")
            if attribute == "Version" and self.resources[logical]["Type"] == "AWS::Lambda::Version":
                # moto's LambdaVersion has no GetAtt; the version number ends its ARN.
                return str(self.physical[logical]).rsplit(":", 1)[-1]
        return {k: self._resolve_ours(v) for k, v in value.items()}

    # -- what moto's CloudFormation skipped --------------------------------------------------

    def _wire_functions(self) -> dict[str, DeployedFunction]:
        functions: dict[str, DeployedFunction] = {}
        for logical, name in self._of("AWS::Lambda::Function").items():
            config = self.lambda_.get_function_configuration(FunctionName=name)
            env = dict(config.get("Environment", {}).get("Variables", {}))
            function = DeployedFunction(
                logical, name, config["FunctionArn"], env, int(config.get("MemorySize", 128))
            )
            functions[logical] = function
            self.sfn.register_handler(name, _in_process(function))
        return functions

    def _state_machines(self) -> dict[str, DeployedStateMachine]:
        aliases: dict[str, str] = {}
        for alias in self._of("AWS::StepFunctions::StateMachineAlias").values():
            routing = self.sfn.sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
            version_arn = routing["routingConfiguration"][0]["stateMachineVersionArn"]
            aliases[version_arn.rsplit(":", 1)[0]] = alias
        out: dict[str, DeployedStateMachine] = {}
        for logical, arn in self._of("AWS::StepFunctions::StateMachine").items():
            tags = {
                t["key"]: t["value"]
                for t in self.sfn.sfn.list_tags_for_resource(resourceArn=arn)["tags"]
            }
            alias_arn = aliases.get(arn)
            if alias_arn is not None:
                # moto can start neither an alias ARN nor a version ARN, so executions start the
                # state machine itself; that is what the alias runs only if its version holds
                # the same definition, so check that.
                routing = self.sfn.sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)[
                    "routingConfiguration"
                ]
                version_arn = max(routing, key=lambda r: r["weight"])["stateMachineVersionArn"]
                version = self.sfn.sfn.describe_state_machine(stateMachineArn=version_arn)
                latest = self.sfn.sfn.describe_state_machine(stateMachineArn=arn)
                if version["definition"] != latest["definition"]:
                    raise MotoDeployError(
                        f"{logical}: alias {alias_arn} routes to a version whose definition "
                        "differs from the state machine's"
                    )
            run_arn = arn
            out[logical] = DeployedStateMachine(
                logical, arn, tags.get("orchestrator:flow"), run_arn, alias_arn
            )
        if aliases:
            self.findings.append(
                "moto's StartExecution accepts neither an alias nor a version ARN: executions "
                "start the state machine, checked to hold the alias's version's definition"
            )
        return out

    def _of(self, kind: str) -> dict[str, str]:
        return {
            logical: self.physical[logical]
            for logical, resource in self.resources.items()
            if resource["Type"] == kind
        }

    def _verify(self) -> None:
        """Each resource exists in its service, read back through the service's own API."""
        import boto3

        iam = boto3.client("iam", region_name=REGION)
        logs = boto3.client("logs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sfn = self.sfn.sfn
        checks: dict[str, Callable[[str], Any]] = {
            "AWS::Lambda::Function": lambda p: self.lambda_.get_function(FunctionName=p),
            "AWS::IAM::Role": lambda p: iam.get_role(RoleName=p),
            "AWS::S3::Bucket": lambda p: self.s3.head_bucket(Bucket=p),
            "AWS::S3::BucketPolicy": lambda p: self.s3.get_bucket_policy(Bucket=p),
            "AWS::DynamoDB::Table": lambda p: dynamodb.describe_table(TableName=p),
            "AWS::Logs::LogGroup": lambda p: _one(
                logs.describe_log_groups(logGroupNamePrefix=p)["logGroups"], "logGroupName", p
            ),
            "AWS::StepFunctions::StateMachine": lambda p: sfn.describe_state_machine(
                stateMachineArn=p
            ),
            "AWS::StepFunctions::StateMachineVersion": lambda p: sfn.describe_state_machine(
                stateMachineArn=p
            ),
            "AWS::StepFunctions::StateMachineAlias": lambda p: sfn.describe_state_machine_alias(
                stateMachineAliasArn=p
            ),
            "AWS::Scheduler::Schedule": lambda p: self.scheduler.get_schedule(
                Name=p.rsplit("/", 1)[-1], GroupName=p.rsplit("/", 2)[-2]
            ),
            "AWS::Lambda::Alias": lambda p: self.lambda_.get_alias(
                FunctionName=p.split(":")[6], Name=p.split(":")[7]
            ),
        }
        missing = []
        for logical, resource in self.resources.items():
            check = checks.get(resource["Type"])
            if check is None:
                continue  # created by the stack (it is in physical_ids); no reader here
            try:
                check(self.physical[logical])
            except Exception as err:
                missing.append(f"{logical} ({resource['Type']}): {err}")
        if missing:
            raise MotoDeployError("not found in moto after the deploy: " + "; ".join(missing))


def _in_process(function: DeployedFunction) -> Callable[[Any], Any]:
    """A handler running the real Lambda entry point with `function`'s environment.

    Built under that environment, as Lambda's Init phase would: Powertools reads the service
    name and metrics namespace the template set when the handler is created.
    """
    from orchestrator.runtime.lambda_entry import make_handler
    from orchestrator.runtime.telemetry import Telemetry

    env = {
        **_LAMBDA_RUNTIME_ENV,
        **function.environment,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
    }
    with _ENV_LOCK, mock.patch.dict(os.environ, env):
        lambda_handler = make_handler(Telemetry.from_env())

    def handle(event: Any) -> Any:
        context = LambdaContext(function.name, function.arn, function.memory)
        with _ENV_LOCK, mock.patch.dict(os.environ, env):
            return lambda_handler(event, context)

    return handle


def _intrinsics(value: Any) -> list[str]:
    if isinstance(value, list):
        return [i for v in value for i in _intrinsics(v)]
    if isinstance(value, dict):
        own = [k for k in value if k == "Ref" or k.startswith("Fn::")]
        return own + [i for v in value.values() for i in _intrinsics(v)]
    return []


def _one(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    for item in items:
        if item.get(key) == value:
            return item
    raise LookupError(f"{value} not found")
