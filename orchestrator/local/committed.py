"""The committed state machine: what `orchestrator build` wrote and what SAM deploys.

A local run compiles the flow in memory (fast iteration), so it runs the code as it is now; the
deployed machine is the committed `infra/statemachines/<flow>.asl.json`. When the two differ, a
run says so (`StaleStateMachine`); `committed=True` / `orchestrator run --committed` runs the
committed file itself, to reproduce what is deployed — for a flow split into child machines, the
parent's file and each child's (`<flow>.<part>.asl.json`), which the parent names by the
placeholders of their ARNs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.contract import PLACEHOLDER, statemachine_path
from orchestrator.errors import FlowDefinitionError, display_path
from orchestrator.graph import FlowGraph
from orchestrator.planner.split import child_arn_key


class StaleStateMachine(UserWarning):
    """The committed ASL of a flow differs from what the flow compiles to now."""


def committed_path(graph: FlowGraph, root: Path) -> Path:
    return root / statemachine_path(graph.resource_name)


def stale_note(graph: FlowGraph, compiled: str, root: Path | None) -> str | None:
    """A one-line note when the project's committed ASL of `graph` is not `compiled`, else None.

    `root` is the project root of a flow the project ships, else None: no note.
    """
    if root is None:
        return None
    path = committed_path(graph, root)
    try:
        committed = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    if committed.replace("\r\n", "\n") == compiled:
        return None
    return (
        f"flow {graph.name!r}: the deployed state machine {display_path(path)} is stale — this run "
        "compiles the code as it is now; run `orchestrator build` to update it, or "
        "`orchestrator run --committed` to run the committed file"
    )


def committed_asl(graph: FlowGraph, root: Path | None) -> dict[str, Any]:
    """The committed ASL of `graph`, parsed; a FlowDefinitionError when there is none."""
    if root is None:
        raise FlowDefinitionError(
            "there is no committed state machine to run: the flow is not one of a project's "
            "flows ([tool.orchestrator] flows in the pyproject.toml above it)",
            flow=graph.name,
            fix="run without --committed, or list the flow there and run `orchestrator build`",
        )
    return _read(graph, committed_path(graph, root))


def committed_children(
    graph: FlowGraph, root: Path, definition: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """A split flow's committed child machines, by the placeholder of each one's ARN in the
    committed parent `definition` (`${ETLPart1StateMachineArn}`); none for an unsplit flow."""
    keys = set(PLACEHOLDER.findall(json.dumps(definition)))
    children = {}
    part = 1
    while (key := child_arn_key(graph, f"part{part}")) in keys:
        path = root / statemachine_path(f"{graph.resource_name}.part{part}")
        children[key] = _read(graph, path)
        part += 1
    return children


def _read(graph: FlowGraph, path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise FlowDefinitionError(
            f"{display_path(path)} does not exist",
            flow=graph.name,
            fix="run `orchestrator build` to write it, or run without --committed",
        ) from None
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as err:
        raise FlowDefinitionError(
            f"{display_path(path)} is not JSON ({err})",
            flow=graph.name,
            fix="run `orchestrator build` to rewrite it",
        ) from None
    if not isinstance(definition, dict):
        raise FlowDefinitionError(
            f"{display_path(path)} is not a state machine (a JSON object)",
            flow=graph.name,
            fix="run `orchestrator build` to rewrite it",
        )
    return definition
