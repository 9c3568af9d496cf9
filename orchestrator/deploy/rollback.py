"""`orchestrator deploy --stage S --rollback`: point each flow's alias back at its previous version.

Every deploy publishes a new state-machine version and moves the flow's alias (`live`) to it;
schedules and callers start the alias (docs/deploy.md). Rolling back therefore needs no
redeploy: the alias is routed 100 % to the newest version older than the one it serves now,
which takes effect for the next execution. Running executions finish on the version they
started with, and the stack itself is untouched — the next `orchestrator deploy` publishes a new
version and moves the alias forward again.

The aliases are found in the stack's outputs (`<X>StateMachineAliasArn`, one per flow). Every
flow's previous version is looked up before any alias moves, so a flow without one stops the
rollback before it half happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestrator.deploy.errors import DeployError
from orchestrator.graph import function_id, resource_name

# template.py names each flow's output f"{state_machine_id}AliasArn", where state_machine_id is
# f"{function_id(resource_name)}StateMachine" (statemachines.py).
ALIAS_OUTPUT_SUFFIX = "StateMachineAliasArn"


@dataclass(frozen=True)
class Rollback:
    """One flow's alias and the versions it moves between (version ARNs)."""

    alias_arn: str
    current: str
    previous: str

    @property
    def alias(self) -> str:
        """`<state machine name>:<alias name>`, the alias ARN's own part."""
        return ":".join(self.alias_arn.split(":")[-2:])

    def line(self) -> str:
        return f"{self.alias}: version {version_number(self.current)} → " + str(
            version_number(self.previous)
        )


def version_number(version_arn: str) -> int:
    """A state-machine version ARN ends in `:<number>`."""
    return int(version_arn.rsplit(":", 1)[1])


def flow_aliases(outputs: dict[str, str], stack: str, flow: str | None = None) -> dict[str, str]:
    """State-machine id prefix → alias ARN, for every flow of the stack's outputs (or `flow`).

    `flow` may be the output's prefix (`TuiJianXiTong7177bc`), the flow's resource name
    (`TuiJianXiTong-7177bc`) or its name (`推荐系统`): each maps to the prefix the way
    `orchestrator build` derived it.
    """
    aliases = {
        key.removesuffix(ALIAS_OUTPUT_SUFFIX): arn
        for key, arn in outputs.items()
        if key.endswith(ALIAS_OUTPUT_SUFFIX)
    }
    if not aliases:
        raise DeployError(
            f"stack {stack} has no <flow>{ALIAS_OUTPUT_SUFFIX} outputs: nothing to roll back "
            "(was it deployed by `orchestrator deploy`?)"
        )
    if flow is None:
        return aliases
    wanted = {flow, function_id(flow), function_id(resource_name(flow))}
    chosen = {prefix: arn for prefix, arn in aliases.items() if prefix in wanted}
    if not chosen:
        raise DeployError(
            f"no flow {flow!r} in stack {stack}; its flows: {', '.join(sorted(aliases))}"
        )
    return chosen


def stack_outputs(session: Any, stack: str) -> dict[str, str]:
    """The stack's outputs, key → value (DescribeStacks)."""
    cfn = session.client("cloudformation")
    stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def list_versions(sfn: Any, state_machine_arn: str) -> list[str]:
    """Every published version ARN of the state machine (ListStateMachineVersions, all pages)."""
    versions: list[str] = []
    kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn}
    while True:
        page = sfn.list_state_machine_versions(**kwargs)
        versions.extend(v["stateMachineVersionArn"] for v in page["stateMachineVersions"])
        if not page.get("nextToken"):
            return versions
        kwargs["nextToken"] = page["nextToken"]


def plan_rollback(sfn: Any, alias_arn: str) -> Rollback | None:
    """Where the alias routes now and the version before it; None when there is none."""
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)[
        "routingConfiguration"
    ]
    # During a canary the alias splits traffic; the version serving most of it is "current".
    current = max(
        routing, key=lambda r: (r["weight"], version_number(r["stateMachineVersionArn"]))
    )["stateMachineVersionArn"]
    older = [
        v
        for v in list_versions(sfn, current.rsplit(":", 1)[0])
        if version_number(v) < version_number(current)
    ]
    if not older:
        return None
    return Rollback(alias_arn, current, max(older, key=version_number))


def route_alias(sfn: Any, rollback: Rollback) -> None:
    sfn.update_state_machine_alias(
        stateMachineAliasArn=rollback.alias_arn,
        routingConfiguration=[{"stateMachineVersionArn": rollback.previous, "weight": 100}],
    )


def rollback_stack(
    stack: str,
    *,
    flow: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    dry_run: bool = False,
    session: Any = None,
    report: Callable[[str], None] = lambda line: None,
) -> list[Rollback]:
    """Route every flow's alias of `stack` (or `flow`'s) to its previous version.

    boto3 finds credentials and endpoints as usual (`AWS_PROFILE`, `AWS_ENDPOINT_URL`, …); AWS
    errors become a DeployError naming the stack.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = session or boto3.Session(profile_name=profile, region_name=region)
        sfn = session.client("stepfunctions")
        aliases = flow_aliases(stack_outputs(session, stack), stack, flow)
        planned = {arn: plan_rollback(sfn, arn) for arn in aliases.values()}
        missing = [arn for arn, rollback in planned.items() if rollback is None]
        if missing:
            names = ", ".join(":".join(arn.split(":")[-2:]) for arn in missing)
            raise DeployError(
                f"no earlier version to roll back to for {names} in stack {stack}; "
                "nothing was changed"
            )
        done = [r for r in planned.values() if r is not None]
        for rollback in done:
            if not dry_run:
                route_alias(sfn, rollback)
            report(rollback.line())
    except (BotoCoreError, ClientError) as err:
        raise DeployError(f"rollback of stack {stack}: {err}") from None
    return done
