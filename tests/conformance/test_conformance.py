"""Each machine in ``machines/`` runs on the local engine and on moto's Step Functions executor.

AWS is the reference: the engine half checks the local engine against the outcome AWS documents
(``expect``: status, output, error, cause, and Lambda invocations per state and waits where the
case gives them) without running moto. The moto half checks moto against the same ``expect`` —
so, for every case where moto agrees with AWS, engine and moto agree too — or, where moto departs
from AWS (``moto_differs``), against what moto is recorded to do instead (``moto``), so a moto
release that changes it is noticed. A case moto cannot run at all says why (``moto_cannot_run``)
and its moto half is skipped.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from orchestrator.runtime.error_payload import error_cause, error_payload
from orchestrator.testing.moto import MotoStepFunctions

from .cases import comparable, expected_outcome, load_cases, outcome
from .handlers import build_handlers

CASES = load_cases()
STANDARD = "STANDARD"


def _params() -> list[Any]:
    return [
        pytest.param(name, marks=[pytest.mark.slow] if case.get("slow") else [], id=name)
        for name, case in CASES.items()
    ]


@pytest.mark.parametrize("name", _params())
def test_moto(moto_sfn: MotoStepFunctions, name: str) -> None:
    case = CASES[name]
    if "moto_cannot_run" in case:
        pytest.skip(f"moto cannot run it: {case['moto_cannot_run']}")
    handlers = build_handlers(case["functions"])
    sm = moto_sfn.deploy(
        case["definition"], handlers, name=name[:80], type=case.get("type", STANDARD)
    )
    run = moto_sfn.execute(sm, case["input"], timeout=60)
    if "moto_differs" in case and "shape" in case["moto"]:
        case = {**case, "shape": case["moto"]["shape"]}  # moto's output has its own shape
    got = outcome(
        case,
        run.status,
        run.output,
        run.error,
        run.cause,
        run.attempts_by_state(),
        run.sleeps,
    )
    if "moto_differs" in case:
        want = expected_outcome(case, case["moto"])
        assert comparable(got, want) == want, f"{name}: moto's recorded difference changed"
    else:
        want = expected_outcome(case, case["expect"])
        assert comparable(got, want) == want, f"{name}: {case['description']}"


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
            cause = error_cause(error_payload(exc, str(uuid.uuid4())))
            raise engine.LambdaFunctionError(type(exc).__name__, cause) from exc

    ex = engine.execute(
        case["definition"],
        case["input"],
        invoke=invoke,
        clock=engine.VirtualClock(),
        state_machine_type=case.get("type", STANDARD),
    )
    sleeps = [seconds for _, seconds in ex.delays()]
    return outcome(
        case, ex.status, ex.output, ex.error, ex.cause, dict(ex.attempts_by_state()), sleeps
    )


@pytest.mark.parametrize("name", _params())
def test_engine(name: str) -> None:
    case = CASES[name]
    want = expected_outcome(case, case["expect"])
    assert comparable(_engine_run(name), want) == want, f"{name}: {case['description']}"
