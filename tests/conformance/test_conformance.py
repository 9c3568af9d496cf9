"""Each machine in ``machines/`` runs on moto's Step Functions executor and on the local engine.

The moto half checks the corpus against the documented outcome written in each case
(``expect``); the engine half checks that the local engine produces what moto produced: same
status, output, error, cause (minus stack trace and request id) and Lambda invocations per state.
Where moto departs from the AWS documentation the case says so (``moto_differs``) and the engine
is held to the documented outcome (``aws``) instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.runtime.error_payload import error_cause, error_payload
from orchestrator.testing.moto import MotoRun, MotoStepFunctions

from .cases import load_cases, outcome
from .handlers import build_handlers

CASES = load_cases()


def _params() -> list[Any]:
    return [
        pytest.param(name, marks=[pytest.mark.slow] if case.get("slow") else [], id=name)
        for name, case in CASES.items()
    ]


# moto outcomes by case name, so the engine test of a case does not run moto again when both
# land on the same xdist worker (same module, so the same shared moto account).
_MOTO_RUNS: dict[str, MotoRun] = {}


def run_moto(sfn: MotoStepFunctions, name: str) -> MotoRun:
    if name not in _MOTO_RUNS:
        case = CASES[name]
        sm = sfn.deploy(case["definition"], build_handlers(case["functions"]), name=name[:80])
        _MOTO_RUNS[name] = sfn.execute(sm, case["input"], timeout=60)
    return _MOTO_RUNS[name]


def moto_outcome(name: str, run: MotoRun) -> dict[str, Any]:
    return outcome(
        CASES[name], run.status, run.output, run.error, run.cause, run.attempts_by_state()
    )


def expected_outcome(name: str, expect: dict[str, Any]) -> dict[str, Any]:
    """The comparable outcome a case's ``expect`` (or ``aws``) block describes."""
    case = CASES[name]
    result: dict[str, Any] = {
        "status": expect["status"],
        "error": expect.get("error"),
        "bad_shape": [],
    }
    if expect["status"] == "SUCCEEDED":
        result["output"] = expect["output"]
    if not case.get("ignore_cause"):
        result["cause"] = expect.get("cause")
    if "attempts" in expect:
        result["attempts"] = expect["attempts"]
    return result


@pytest.mark.parametrize("name", _params())
def test_moto_matches_documented_outcome(moto_sfn: MotoStepFunctions, name: str) -> None:
    case = CASES[name]
    run = run_moto(moto_sfn, name)
    got = moto_outcome(name, run)
    want = expected_outcome(name, case["expect"])
    if "attempts" not in want:
        got.pop("attempts")
    assert got == want, f"{name}: {case['description']}"
    if "sleeps" in case["expect"]:
        assert run.sleeps == case["expect"]["sleeps"], "Retry/Wait intervals"


def _engine_run(name: str) -> dict[str, Any]:
    from orchestrator import engine

    case = CASES[name]
    handlers = build_handlers(case["functions"])

    def invoke(function_name: str, payload: Any) -> Any:
        # The engine passes FunctionName verbatim: "${Key}" for placeholders, or a plain name.
        key = function_name[2:-1] if function_name.startswith("${") else function_name
        try:
            return handlers[key](payload)
        except Exception as exc:
            raise engine.LambdaFunctionError(
                type(exc).__name__, error_cause(error_payload(exc))
            ) from exc

    ex = engine.execute(
        case["definition"], case["input"], invoke=invoke, clock=engine.VirtualClock()
    )
    return outcome(case, ex.status, ex.output, ex.error, ex.cause, dict(ex.attempts_by_state()))


@pytest.mark.parametrize("name", _params())
def test_engine_matches_moto(moto_sfn: MotoStepFunctions, name: str) -> None:
    case = CASES[name]
    got = _engine_run(name)
    if "moto_differs" in case:
        want = expected_outcome(name, case["aws"])
        if "attempts" not in want:
            got.pop("attempts")
    else:
        want = moto_outcome(name, run_moto(moto_sfn, name))
    assert got == want, f"{name}: {case['description']}"
