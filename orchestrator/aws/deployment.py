"""A deployed stage: its stack, its region, and where each of its flows starts.

`orchestrator deploy --stage S` creates the stack `<project>-<S>` (`orchestrator.deploy.stages`)
in the region its samconfig environment records; the stack's outputs name each flow's state
machine alias (`<Flow>StateMachineAliasArn`, `orchestrator.deploy.template`), which is what
schedules start and what remote runs start. Nothing here guesses a physical name: a flow that
is not in the outputs is not deployed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.aws.errors import AwsError, aws_calls, error_code
from orchestrator.deploy import samconfig
from orchestrator.deploy.rollback import ALIAS_OUTPUT_SUFFIX, stack_outputs
from orchestrator.deploy.stages import check_stage, project_name, stack_name
from orchestrator.graph import function_id, resource_name

#: The stage a remote command acts on unless told: the one `orchestrator deploy` examples use.
DEFAULT_STAGE = "dev"
STAGE_ENV = "ORCHESTRATOR_STAGE"


def default_stage() -> str:
    return os.environ.get(STAGE_ENV) or DEFAULT_STAGE


@dataclass(frozen=True)
class DeployedFlow:
    """One flow of the stack: its output key prefix (`function_id` of its resource name) and
    the ARN of its `live` alias."""

    key: str
    alias_arn: str

    @property
    def state_machine_arn(self) -> str:
        """The unqualified ARN: an alias ARN is the state machine's ARN, `:`, the alias name."""
        return self.alias_arn.rsplit(":", 1)[0]

    @property
    def state_machine_name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[1]

    def execution_arn(self, name: str) -> str:
        """`arn:…:execution:<state machine>:<name>`: where an execution of it named `name` is."""
        head, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{head}:execution:{machine}:{name}"


@dataclass
class Deployment:
    """A stage's stack, read from AWS: the session that reads it and its flows by key."""

    stage: str
    stack: str
    session: Any
    flows: dict[str, DeployedFlow]
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _names: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def region(self) -> str | None:
        return getattr(self.session, "region_name", None)

    @property
    def where(self) -> str:
        return f"stack {self.stack} (stage {self.stage}, {self.region or 'default region'})"

    def client(self, service: str) -> Any:
        """One boto3 client per service (clients are thread-safe and slow to make)."""
        if service not in self._clients:
            with aws_calls(f"connecting to {service} for {self.where}"):
                self._clients[service] = self.session.client(service)
        return self._clients[service]

    def flow(self, name: str) -> DeployedFlow:
        """The flow called `name`: its display name (推荐系统), resource name or output key."""
        wanted = {name, function_id(name), function_id(resource_name(name))}
        for key in wanted:
            if key in self.flows:
                return self.flows[key]
        raise AwsError(
            f"flow {name!r} is not deployed in {self.where}; its flows: "
            f"{', '.join(sorted(self.flows))}. Fix: deploy it with "
            f"`orchestrator deploy --stage {self.stage}`, or pass the --stage it is deployed to"
        )

    def flow_of(self, state_machine_arn: str) -> DeployedFlow | None:
        """The flow whose state machine (or one of its versions or aliases) this ARN names."""
        for flow in self.flows.values():
            arn = flow.state_machine_arn
            if state_machine_arn == arn or state_machine_arn.startswith(arn + ":"):
                return flow
        return None

    def name_of(self, flow: DeployedFlow) -> str:
        """The flow's resource name, from its state machine's `orchestrator:flow` tag (what the
        local run store lists too); the output key when the tag is missing."""
        if flow.key not in self._names:
            # (deploy.statemachines imports the template builder: only when needed)
            from orchestrator.deploy.statemachines import FLOW_TAG

            sfn = self.client("stepfunctions")
            with aws_calls(f"reading the tags of {flow.state_machine_name}", "states"):
                tags = sfn.list_tags_for_resource(resourceArn=flow.state_machine_arn)["tags"]
            found = {t["key"]: t["value"] for t in tags}.get(FLOW_TAG)
            self._names[flow.key] = found or flow.key
        return self._names[flow.key]


def connect(
    stage: str | None = None,
    *,
    root: Path | None = None,
    profile: str | None = None,
    region: str | None = None,
    session: Any = None,
) -> Deployment:
    """The deployment of `stage` of the project at `root` (default: the current directory).

    The region is `region`, else the one the stage was deployed to (infra/samconfig.toml), else
    boto3's own (AWS_REGION, the profile's); credentials are boto3's (`profile`, AWS_PROFILE,
    the environment, SSO, an instance role). `session` replaces all of that (a test's, a
    caller's own boto3 Session).
    """
    stage = check_stage(stage or default_stage())
    root = (root or Path.cwd()).resolve()
    stack = stack_name(project_name(root), stage)
    if session is None:
        region = region or samconfig.parameter(
            root / samconfig.SAMCONFIG, stage, "deploy", "region"
        )
        import boto3

        with aws_calls(f"opening the AWS session for stage {stage}"):
            session = boto3.Session(profile_name=profile, region_name=region)
    where = f"stack {stack} (stage {stage}, {session.region_name or 'default region'})"
    with aws_calls(f"reading {where}", "cloudformation"):
        try:
            outputs = stack_outputs(session, stack)
        except Exception as err:
            if error_code(err) == "ValidationError" and "does not exist" in str(err):
                raise AwsError(
                    f"{where} does not exist: stage {stage} is not deployed there. Fix: deploy "
                    f"it with `orchestrator deploy --stage {stage}`, or pass the --stage, "
                    "--region and --profile it was deployed with"
                ) from None
            raise
    flows = {
        key.removesuffix(ALIAS_OUTPUT_SUFFIX): DeployedFlow(
            key.removesuffix(ALIAS_OUTPUT_SUFFIX), arn
        )
        for key, arn in outputs.items()
        if key.endswith(ALIAS_OUTPUT_SUFFIX)
    }
    if not flows:
        raise AwsError(
            f"{where} has no <flow>{ALIAS_OUTPUT_SUFFIX} outputs, so no flow to run there. Fix: "
            f"deploy the project with `orchestrator deploy --stage {stage}`"
        )
    return Deployment(stage=stage, stack=stack, session=session, flows=flows)
