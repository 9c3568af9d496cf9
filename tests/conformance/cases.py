"""Loading and normalising conformance cases (``machines/*.json``).

A case file holds ``definition`` (JSONPath-mode ASL), ``input``, ``functions`` (function key ->
behaviour in ``handlers.py``), ``description`` (what it shows, and the AWS source of the expected
value: a developer-guide page or a LocalStack snapshot recorded against AWS) and ``expect``: the
outcome AWS documents. The local engine is held to ``expect``; so is moto, unless the case says
otherwise. Optional keys:

* ``shape``: output fields that are random or run-specific (UUIDs, ARNs, times, request ids),
  checked by kind and removed before outputs are compared; a key is a dotted path into the
  output (``SdkHttpMetadata.HttpHeaders.Date``);
* ``ignore_cause``: why ``Cause`` is not compared (no authoritative AWS text for it);
* ``raw_cause``: compare a Lambda error ``Cause`` as the JSON text it is (compact, keys in order,
  ``requestId`` and ``stackTrace`` present but not compared), not as the object it encodes;
* ``moto`` + ``moto_differs``: moto departs from AWS here; ``moto`` is the outcome moto produces
  (so a moto release that fixes it is noticed; its own ``shape`` when its output has other
  run-specific fields) and ``moto_differs`` says why;
* ``moto_cannot_run``: why moto cannot run the case at all (its moto half is skipped);
* ``type``: the state machine's type, STANDARD (the default) or EXPRESS;
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


def normalise_cause(cause: Any, raw: bool = False) -> Any:
    """A Lambda error payload (JSON string) in comparable form.

    By default, the object it encodes without its volatile fields (spacing and key order do not
    matter). With `raw`, the text itself: the payload re-encoded compactly with the volatile
    fields' values replaced by ``<requestId>``/``<stackTrace>``, prefixed with ``spaced: `` when
    the cause was not compact JSON to begin with.
    """
    if not isinstance(cause, str):
        return cause
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if not (isinstance(parsed, dict) and "errorType" in parsed):
        return cause
    if not raw:
        return {k: v for k, v in parsed.items() if k not in VOLATILE_ERROR_FIELDS}
    masked = {k: f"<{k}>" if k in VOLATILE_ERROR_FIELDS else v for k, v in parsed.items()}
    text = _compact(masked)
    return text if _compact(parsed) == cause else f"spaced: {text}"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def normalise(value: Any, raw: bool = False) -> Any:
    """Normalise every caught-error object (``{"Error", "Cause"}``) inside a state document."""
    if isinstance(value, list):
        return [normalise(v, raw) for v in value]
    if isinstance(value, dict):
        out = {k: normalise(v, raw) for k, v in value.items()}
        if "Error" in out and isinstance(value.get("Cause"), str):
            out["Cause"] = normalise_cause(value["Cause"], raw)
        return out
    return value


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _is_http_date(v: str) -> bool:
    """An HTTP Date header (RFC 7231 IMF-fixdate: ``Mon, 30 Nov 2026 08:15:08 GMT``)."""
    try:
        datetime.strptime(v, "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return False
    return True


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
    if kind == "uuid":
        return isinstance(value, str) and bool(_UUID.match(value))
    if kind == "string":
        return isinstance(value, str) and bool(value)
    if kind == "string_list":
        return isinstance(value, list) and len(value) == 1 and check_shape("string", value[0])
    if kind == "http_date":
        return isinstance(value, str) and _is_http_date(value)
    if kind == "timestamp":
        return _is_timestamp(value)
    if kind == "execution_arn":
        return (
            isinstance(value, str)
            and value.startswith("arn:aws:states:")
            and ":execution:" in value
        )
    if kind == "express_execution_arn":
        # arn:aws:states:<region>:<account>:express:<machine>:<execution name>:<id>
        parts = value.split(":") if isinstance(value, str) else []
        return len(parts) == 9 and parts[:3] == ["arn", "aws", "states"] and parts[5] == "express"
    if kind == "state_machine_arn":
        return (
            isinstance(value, str)
            and value.startswith("arn:aws:states:")
            and ":stateMachine:" in value
        )
    raise ValueError(f"unknown shape {kind!r}")


_ABSENT: Any = object()


def _take(document: Any, dotted: str) -> tuple[Any, Any]:
    """`document` without the field at the dotted path, and that field's value (or _ABSENT)."""
    head, _, rest = dotted.partition(".")
    if not isinstance(document, dict) or head not in document:
        return document, _ABSENT
    if not rest:
        return {k: v for k, v in document.items() if k != head}, document[head]
    inner, value = _take(document[head], rest)
    return {**document, head: inner}, value


def split_shape(case: dict[str, Any], output: Any) -> tuple[Any, list[str]]:
    """The output without its ``shape`` fields, and the list of fields whose shape is wrong."""
    shape: dict[str, str] = case.get("shape", {})
    bad = []
    for key, kind in shape.items():
        output, value = _take(output, key)
        if value is _ABSENT or not check_shape(kind, value):
            bad.append(key)
    return output, bad


def outcome(
    case: dict[str, Any],
    status: str,
    output: Any,
    error: Any,
    cause: Any,
    attempts: dict[str, int],
    sleeps: list[float],
) -> dict[str, Any]:
    """A run's outcome in comparable form (shape fields checked and dropped)."""
    raw = bool(case.get("raw_cause"))
    out, bad_shape = split_shape(case, normalise(output, raw))
    result: dict[str, Any] = {"status": status, "error": error, "bad_shape": bad_shape}
    if status == "SUCCEEDED":
        result["output"] = out
    if not case.get("ignore_cause"):
        result["cause"] = normalise_cause(cause, raw)
    result["attempts"] = {k: v for k, v in attempts.items() if v}
    result["sleeps"] = [s for s in sleeps if s > 0]
    return result


def expected_outcome(case: dict[str, Any], expect: dict[str, Any]) -> dict[str, Any]:
    """The comparable outcome an ``expect`` (or ``moto``) block describes; ``attempts`` and
    ``sleeps`` are compared only where the block gives them."""
    result: dict[str, Any] = {
        "status": expect["status"],
        "error": expect.get("error"),
        "bad_shape": [],
    }
    if expect["status"] == "SUCCEEDED":
        result["output"] = expect["output"]
    if not case.get("ignore_cause"):
        result["cause"] = expect.get("cause")
    for key in ("attempts", "sleeps"):
        if key in expect:
            result[key] = expect[key]
    return result


def comparable(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """`got` without what `want` does not specify (attempts, sleeps)."""
    return {k: v for k, v in got.items() if k in want}
