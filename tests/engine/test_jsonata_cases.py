"""The JSONata and variables cases of `jsonata_cases/*.json`, run through `engine.execute`.

Each case is an example of the AWS Step Functions developer guide (or an AWS output recorded in
LocalStack's snapshot tests), cited in its `source`: a definition, an input, the Lambda functions
it calls (`functions`: name -> what the function returns, or `{"raises": [error, cause]}`, or
`{"raises_first": n, "error": ..., "returns": ...}`), and what AWS documents: the execution's
`output`, or its `error` and `cause` (`cause_contains` when only part is documented), or the
definition's refusal (`definition_error`, a pattern of the message). `events` lists history
events that must be recorded (type and details); `assigned` lists the `assignedVariables` of a
state's exited event (its first, unless `"State#n"` names the n-th), each value the JSON text
AWS records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engine import DefinitionError, LambdaFunctionError, VirtualClock, execute

CASES = Path(__file__).parent / "jsonata_cases"


def _cases() -> list[Any]:
    found = []
    for file in sorted(CASES.glob("*.json")):
        for case in json.loads(file.read_text()):
            found.append(pytest.param(case, id=f"{file.stem}:{case['name']}"))
    return found


def _invoker(functions: dict[str, Any]) -> Any:
    calls: dict[str, int] = {}

    def invoke(name: str, payload: Any) -> Any:
        calls[name] = calls.get(name, 0) + 1
        spec = functions.get(name)
        if spec is None:
            return payload
        if isinstance(spec, dict) and "raises" in spec:
            raise LambdaFunctionError(*spec["raises"])
        if isinstance(spec, dict) and "raises_first" in spec:
            if calls[name] <= spec["raises_first"]:
                raise LambdaFunctionError(spec["error"], spec.get("cause", ""))
            return spec["returns"]
        return spec

    return invoke


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict[str, Any]) -> None:
    assert case.get("source"), "every case cites the AWS page or recording it comes from"
    invoke = _invoker(case.get("functions", {}))
    run = lambda: execute(  # noqa: E731
        case["definition"], case.get("input"), invoke=invoke, clock=VirtualClock(seed=0)
    )
    if "definition_error" in case:
        with pytest.raises(DefinitionError, match=case["definition_error"]):
            run()
        return
    execution = run()
    if "error" in case:
        assert (execution.status, execution.error) == ("FAILED", case["error"]), execution.cause
        if "cause" in case:
            assert execution.cause == case["cause"]
        if "cause_contains" in case:
            assert case["cause_contains"] in (execution.cause or "")
    else:
        assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
        if "output" in case:
            assert execution.output == case["output"]
        if "output_matches" in case:
            assert re.fullmatch(case["output_matches"], json.dumps(execution.output))
    for expected_event in case.get("events", []):
        found = [e.details for e in execution.events if e.type == expected_event["type"]]
        assert expected_event["details"] in found, found
    for state, expected in case.get("assigned", {}).items():
        name, _, nth = state.partition("#")
        exited = [
            e
            for e in execution.events
            if e.type.endswith("StateExited") and e.details.get("name") == name
        ]
        details = exited[int(nth or 1) - 1].details
        # Values are JSON text; compared as JSON (the engine keeps keys in sorted order).
        assigned = details.get("assignedVariables") or {}
        assert {k: json.loads(v) for k, v in assigned.items()} == {
            k: json.loads(v) for k, v in expected.items()
        }
        assert details.get("assignedVariablesDetails") == {"truncated": False}
