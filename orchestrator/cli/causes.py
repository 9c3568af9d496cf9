"""A failure's cause as a person reads it: `ErrorType: message` and the user's own frames.

A failed task's `Cause` is Lambda's error payload as a JSON string (`errorType`, `errorMessage`,
`stackTrace`; see orchestrator/runtime/error_payload.py), its frames mostly Orchestrator's own
handler and the engine. The user wants their line: frames from the orchestrator package, the
standard library and installed packages are left out. The full JSON stays one flag away
(`--debug`, `orchestrator runs show --json`).
"""

from __future__ import annotations

import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import orchestrator
from orchestrator.errors import display_path
from orchestrator.runtime.error_payload import read_error_payload

_FRAME = re.compile(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.*)')
_NOT_THE_USERS = tuple(
    str(Path(p).resolve())
    for p in (
        str(Path(orchestrator.__file__).parent),
        *{sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")},
    )
)


@dataclass(frozen=True)
class Cause:
    headline: str  # `ErrorType: message`
    frames: tuple[str, ...] = ()  # the user's frames, each `File "...", line N, in f` + code
    where: str | None = None  # `path:line` of the innermost user frame


def run_cause(
    status: str, error: str | None, cause: str | None, seconds: float | None = None
) -> Cause:
    """How a run that did not succeed ended. A TIMED_OUT execution has no error or cause (as in
    AWS's DescribeExecution): it is worded from its status and how long it ran."""
    if status == "TIMED_OUT" and not error and not cause:
        after = "" if seconds is None else f" after {seconds:.3g} s"
        return Cause(f"timed out{after} (the state machine's TimeoutSeconds)")
    return read_cause(error, cause)


def read_cause(error: str | None, cause: str | None) -> Cause:
    """`error`/`cause` of a failed state or execution, made readable."""
    payload = read_error_payload(cause)
    if payload is None:
        text = cause or ""
        if error and text:
            return Cause(f"{error}: {text}")
        return Cause(error or text or "failed without an error name")
    kind = str(payload.get("errorType") or error or "Error")
    message = str(payload.get("errorMessage") or "")
    trace = payload.get("stackTrace")
    lines = trace if isinstance(trace, list) else []
    frames = [_user_frame(f) for f in lines if isinstance(f, str)]
    mine = tuple(f for f in frames if f is not None)
    where = _location(mine[-1]) if mine else None
    return Cause(f"{kind}: {message}" if message else kind, mine, where)


def _user_frame(frame: str) -> str | None:
    """The frame, with its file relative to the working directory; None if not the user's."""
    match = _FRAME.match(frame)
    if match is None:
        return None
    file = Path(match["file"])
    resolved = str(file.resolve()) if file.is_absolute() else match["file"]
    if resolved.startswith(_NOT_THE_USERS) or match["file"].startswith("<"):
        return None
    lines = [line for line in frame.splitlines()[1:] if line.strip(" ^~")]
    code = f"\n    {lines[0].strip()}" if lines else ""
    return f'File "{display_path(file)}", line {match["line"]}, in {match["function"]}{code}'


def _location(frame: str) -> str | None:
    match = _FRAME.match(frame)
    return f"{match['file']}:{match['line']}" if match else None
