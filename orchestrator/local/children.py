"""A split flow's child machines, as a local run gives them to the engine.

The parent names each child by a placeholder (`${ETLPart1StateMachineArn}`) that
DefinitionSubstitutions fills with the child's ARN when deployed; locally it is the ARN the
child would have in the local region and account, and the engine gets the child's definition
under that ARN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.contract import substitution
from orchestrator.engine.child_execution import StateMachines
from orchestrator.engine.spec import LOCAL_ACCOUNT, LOCAL_REGION


def local_arn(flow_resource_name: str, arn_key: str) -> str:
    """The local ARN of the child whose placeholder key is `arn_key`."""
    part = arn_key.removesuffix("StateMachineArn")
    return f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stateMachine:{flow_resource_name}-{part}"


def child_machines(
    definition: dict[str, Any] | str,
    children: Mapping[str, dict[str, Any]],
    flow_resource_name: str,
) -> tuple[dict[str, Any] | str, StateMachines | None]:
    """The parent's definition with its children's ARNs filled in, and the children by ARN
    (nothing changes for a flow that was not split)."""
    if not children:
        return definition, None
    from orchestrator.local.flowrun import local_definition

    text = definition if isinstance(definition, str) else json.dumps(definition)
    machines: dict[str, dict[str, Any] | str] = {}
    for key, asl in children.items():
        arn = local_arn(flow_resource_name, key)
        text = text.replace(substitution(key), arn)
        machines[arn] = local_definition(asl)
    return text, StateMachines(machines)
