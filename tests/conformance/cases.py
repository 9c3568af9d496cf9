"""Loading and normalising conformance cases (``machines/*.json``).

A case file holds ``definition`` (JSONPath-mode ASL), ``input``, ``functions`` (function key ->
behaviour in ``handlers.py``) and ``expect``: the outcome AWS documents, which moto reproduces.
Optional keys:

* ``shape``: output fields that are random or run-specific (UUIDs, ARNs, times), checked by kind
  and removed before outputs are compared;
* ``ignore_cause``: why ``Cause`` is not compared (interpreter-written messages such as
  States.Runtime texts are not part of any contract);
* ``aws`` + ``moto_differs``: where moto departs from the AWS documentation, ``expect`` records
  what moto does, ``aws`` the documented outcome the local engine must produce, and
  ``moto_differs`` says why;
* ``slow``: the case takes real seconds (task timeouts).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

MACHINES = Path(__file__).parent / "machines"

# Fields of Lambda's error payload that differ between any two runs of the same failure: the
# stack trace names the file and line of whichever process ran the handler (moto's patched
# backend vs the engine's invoker), and requestId is a fresh id per AWS invocation.
VOLATILE_ERROR_FIELDS = ("stackTrace", "requestId")


def load_cases() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(MACHINES.glob("*.json"))}


def normalise_cause(cause: Any) -> Any:
    """A Lambda error payload (JSON string) as a dict without its volatile fields.

    Spacing differs too: Step Functions re-serialises the payload compactly, ``error_cause``
    uses ``json.dumps`` defaults; comparing parsed objects makes that irrelevant.
    """
    if not isinstance(cause, str):
        return cause
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and "errorType" in parsed:
        return {k: v for k, v in parsed.items() if k not in VOLATILE_ERROR_FIELDS}
    return cause


def normalise(value: Any) -> Any:
    """Normalise every caught-error object (``{"Error", "Cause"}``) inside a state document."""
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        out = {k: normalise(v) for k, v in value.items()}
        if "Error" in out and isinstance(value.get("Cause"), str):
            out["Cause"] = normalise_cause(value["Cause"])
        return out
    return value


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _is_timestamp(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_shape(kind: str, value: Any) -> bool:
    if kind == "uuid4":
        return (
            isinstance(value, str) and bool(_UUID4.match(value)) and uuid.UUID(value).version == 4
        )
    if kind.startswith("int:"):
        lo, hi = (int(x) for x in kind.split(":")[1:])
        return isinstance(value, int) and lo <= value <= hi
    if kind == "string":
        return isinstance(value, str) and bool(value)
    if kind == "timestamp":
        return _is_timestamp(value)
    if kind == "execution_arn":
        return (
            isinstance(value, str)
            and value.startswith("arn:aws:states:")
            and ":execution:" in value
        )
    if kind == "state_machine_arn":
        return (
            isinstance(value, str)
            and value.startswith("arn:aws:states:")
            and ":stateMachine:" in value
        )
    raise ValueError(f"unknown shape {kind!r}")


def split_shape(case: dict[str, Any], output: Any) -> tuple[Any, list[str]]:
    """The output without its ``shape`` fields, and the list of fields whose shape is wrong."""
    shape: dict[str, str] = case.get("shape", {})
    if not shape or not isinstance(output, dict):
        return output, [k for k in shape]
    bad = [k for k, kind in shape.items() if not check_shape(kind, output.get(k))]
    return {k: v for k, v in output.items() if k not in shape}, bad


def outcome(
    case: dict[str, Any], status: str, output: Any, error: Any, cause: Any, attempts: dict[str, int]
) -> dict[str, Any]:
    """A run's outcome in comparable form (shape fields checked and dropped)."""
    out, bad_shape = split_shape(case, normalise(output))
    result: dict[str, Any] = {"status": status, "error": error, "bad_shape": bad_shape}
    if status == "SUCCEEDED":
        result["output"] = out
    if not case.get("ignore_cause"):
        result["cause"] = normalise_cause(cause)
    result["attempts"] = {k: v for k, v in attempts.items() if v}
    return result
