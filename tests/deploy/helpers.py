"""Reading the generated template: task states of an ASL, functions by logical id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def task_states(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task state, including those inside Parallel branches and Map processors."""
    for name, state in asl["States"].items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from task_states(branch)
        if "ItemProcessor" in state:
            yield from task_states(state["ItemProcessor"])


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
