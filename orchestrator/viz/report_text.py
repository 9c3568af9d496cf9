"""The words of the run report: durations, sizes, causes, tooltips and the axis.

Python words everything the page shows, the page's script only places it (as text), so the
wording is written — and tested — once. `worded(data)` adds to `report_data`'s model: a tooltip
per attempt, per backoff and per histogram bucket, a one-line summary and a detail panel per
task, and the timeline's ticks.
"""

from __future__ import annotations

import math
from typing import Any

from orchestrator.runtime.error_payload import read_error_payload

#: The order of a histogram bucket's parts, bottom up, and of the legend.
OUTCOME_ORDER = ("SUCCEEDED", "SKIPPED", "FAILED", "TIMED_OUT", "RUNNING")
_TICKS = 8


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return "<1 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def bytes_text(size: int | None) -> str:
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def cause_text(error: str | None, cause: str | None) -> tuple[str, str | None]:
    """(headline, the rest): Lambda's error payload (runtime/error_payload.py: errorType,
    errorMessage, stackTrace) as `Type: message` and its whole trace — a report keeps every
    frame, where the CLI's one line keeps the user's (cli/causes.py); any other cause as is."""
    payload = read_error_payload(cause)
    if payload is not None:
        kind = str(payload.get("errorType") or error or "Error")
        message = str(payload.get("errorMessage") or "")
        trace = payload.get("stackTrace")
        lines = [str(line).rstrip("\n") for line in trace] if isinstance(trace, list) else []
        return (f"{kind}: {message}" if message else kind), "\n".join(lines) or None
    text = (cause or "").strip()
    if text and "\n" not in text and len(text) <= 300:
        return (f"{error}: {text}" if error else text), None
    return (error or "error"), text or None


def worded(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the words the page shows (a new dict; `data` is left as it was)."""
    tasks = [_task(task) for task in data["tasks"]]
    return {
        **data,
        "tasks": tasks,
        "ticks": ticks(data["span"]),
        "outcomeOrder": list(OUTCOME_ORDER),
    }


def ticks(span: float) -> list[dict[str, Any]]:
    """Round positions along the axis: 1-2-5 steps, as close to `_TICKS` of them as they get."""
    if span <= 0:
        return [{"at": 0.0, "label": "0"}]
    raw = span / _TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(span / step - _TICKS))
    count = int(span / step + 1e-9)
    return [{"at": i * step, "label": _tick_label(i * step, step)} for i in range(count + 1)]


def task_summary(task: dict[str, Any]) -> str:
    """The line under a task's name: its attempts or items, and how long it took."""
    items = task["items"]
    took = f" · {duration_text(task['duration'])}" if task["duration"] is not None else ""
    if items is not None:
        if not items["iterations"] and task["start"] is None:
            return _not_run(task)
        parts = [f"{_count(items['length'] or items['iterations'], 'item')}"]
        parts.append(f"{items['succeeded']} succeeded")
        if items["failed"]:
            parts.append(f"{items['failed']} failed")
        if items["aborted"]:
            parts.append(f"{items['aborted']} aborted")
        retries = f" ({_count(items['retries'], 'retry', 'retries')})" if items["retries"] else ""
        return f"{', '.join(parts)} · {_count(items['attempts'], 'attempt')}{retries}{took}"
    if not task["attempts"]:
        return _not_run(task)
    return f"{_count(len(task['attempts']), 'attempt')}{took}"


def _task(task: dict[str, Any]) -> dict[str, Any]:
    attempts = [_attempt(task, a, len(task["attempts"])) for a in task["attempts"]]
    items = task["items"]
    if items is not None and items["buckets"] is not None:
        items = {**items, "buckets": _bucket_tips(items["buckets"])}
    worded_task = {**task, "attempts": attempts, "items": items}
    worded_task["summary"] = task_summary(worded_task)
    worded_task["detail"] = _detail(worded_task)
    return worded_task


def _attempt(task: dict[str, Any], attempt: dict[str, Any], total: int) -> dict[str, Any]:
    lines = [f"{task['title']} · attempt {attempt['n']} of {total}"]
    if attempt["end"] is None:
        lines.append("no end in the history (still running, or the run was cut short)")
    else:
        lines.append(f"{attempt['outcome']} after {duration_text(attempt['duration'])}")
    if attempt["error"] or attempt["cause"]:
        lines.append(cause_text(attempt["error"], attempt["cause"])[0])
    sizes = f"request {bytes_text(attempt['requestBytes'])}"
    if attempt["responseBytes"] is not None:
        sizes += f" · response {bytes_text(attempt['responseBytes'])}"
    lines.append(sizes)
    wait = attempt["waitBefore"]
    if wait is not None:
        lines.append(f"began {duration_text(wait)} after the previous attempt ended")
    wait_tip = None if wait is None else f"{duration_text(wait)} before attempt {attempt['n']}"
    return {**attempt, "tip": "\n".join(lines), "waitTip": wait_tip}


def _bucket_tips(buckets: dict[str, Any]) -> dict[str, Any]:
    tips = []
    for i, counts in enumerate(buckets["counts"]):
        start = buckets["start"] + i * buckets["width"]
        when = f"{start:.3f}–{start + buckets['width']:.3f} s"
        what = ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) or "none"
        tips.append(f"item attempts begun {when}: {what}")
    return {**buckets, "tips": tips}


def _detail(task: dict[str, Any]) -> list[dict[str, Any]]:
    """The panel shown when a task is picked: every attempt, or a map's counts and errors."""
    lines: list[dict[str, Any]] = [{"text": task["summary"]}]
    sizes = f"state input {bytes_text(task['inputBytes'])}"
    sizes += f", output {bytes_text(task['outputBytes'])}"
    lines.append({"text": sizes})
    if task["state"] != "SUCCEEDED" and (task["error"] or task["cause"]):
        headline, rest = cause_text(task["error"], task["cause"])
        lines.append({"text": f"{task['state']}: {headline}"})
        if rest:
            lines.append({"text": rest, "pre": True})
    items = task["items"]
    if items is not None:
        outcomes = ", ".join(f"{n} {o}" for o, n in items["outcomes"].items()) or "none"
        lines.append({"text": f"item attempts: {outcomes}"})
        lines.append(
            {
                "text": f"item payloads: requests {bytes_text(items['requestBytes'])} in all "
                f"(largest {bytes_text(items['maxRequestBytes'])}), responses "
                f"{bytes_text(items['responseBytes'])} (largest "
                f"{bytes_text(items['maxResponseBytes'])})"
            }
        )
        for group in items["errors"]:
            headline, _ = cause_text(group["error"], group["cause"])
            lines.append({"text": f"{group['error']} × {group['count']}, first: {headline}"})
    for attempt in task["attempts"]:
        lines.append({"text": attempt["tip"].replace("\n", " · ")})
    return lines


def _not_run(task: dict[str, Any]) -> str:
    if task["state"] in ("SKIPPED", "TRIGGER_FAILED") and task["cause"]:
        return f"did not run: {cause_text(None, task['cause'])[0]}"
    return "did not run"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _tick_label(at: float, step: float) -> str:
    if step >= 1:
        return f"{at:g}"
    decimals = max(0, -math.floor(math.log10(step)))
    return f"{at:.{decimals}f}"
