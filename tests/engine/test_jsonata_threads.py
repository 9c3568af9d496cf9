"""JSONata expressions evaluated by many Map iterations at once keep to their own data.

The library moves its per-thread instance's environment while it evaluates; the engine starts
every evaluation from the frame captured at compile time (jsonata_functions.Compiled), so
iterations running the same expressions on several threads never see each other's `$states`,
variables or lambda arguments.
"""

from __future__ import annotations

import threading
from typing import Any

from orchestrator.engine import VirtualClock, execute


def test_concurrent_iterations_evaluate_their_own_bindings() -> None:
    gate = threading.Barrier(4, timeout=10)

    def invoke(name: str, payload: Any) -> Any:
        if payload["k"] < 4:
            gate.wait()  # the first four iterations are in flight together
        return payload["k"]

    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% $range(0, 99, 1) %}",
                "MaxConcurrency": 4,
                "ItemProcessor": {
                    "StartAt": "Keep",
                    "States": {
                        "Keep": {
                            "Type": "Pass",
                            "Assign": {"mine": "{% $states.input %}"},
                            "Next": "Call",
                        },
                        "Call": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Arguments": {"FunctionName": "f", "Payload": {"k": "{% $mine %}"}},
                            "Output": "{% $map([1, 2, 3], function($v) "
                            "{ $v * $states.result.Payload + $mine }) %}",
                            "End": True,
                        },
                    },
                },
                "End": True,
            }
        },
    }
    execution = execute(machine, None, invoke=invoke, clock=VirtualClock(seed=0))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [[2 * k, 3 * k, 4 * k] for k in range(100)]
