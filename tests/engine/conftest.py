"""Helpers for the engine tests: tiny machines and invokers."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.engine import Execution, VirtualClock, execute

INVOKE = "arn:aws:states:::lambda:invoke"


def task(function: str = "fn", **fields: Any) -> dict[str, Any]:
    """A lambda:invoke Task whose Payload is the state's effective input."""
    spec: dict[str, Any] = {
        "Type": "Task",
        "Resource": INVOKE,
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
    }
    spec.update(fields)
    if "Next" not in spec:
        spec["End"] = True
    return spec


def machine(**states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def run(definition: dict[str, Any], input: Any = None, invoke: Any = None, **kw: Any) -> Execution:
    kw.setdefault("clock", VirtualClock(seed=0))
    return execute(definition, input, invoke=invoke or (lambda name, payload: payload), **kw)


@pytest.fixture
def echo() -> Any:
    return lambda name, payload: payload
