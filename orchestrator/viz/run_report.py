"""The run report: one self-contained HTML page about one run of a flow.

    html = run_report(graph, RunSummary.of(execution, graph.name), execution.events, task_runs)

The page needs nothing but itself — no CDN, no network, no Graphviz: the graph is an inline
SVG drawn here (svg.py), the style and the script (viz/report/) are inlined, the run's data is a
JSON block the script reads. Its Content-Security-Policy allows exactly that style and that
script (by hash) and no request at all, so even a mistake in escaping could not run anything
else. The tables and errors are HTML written here (readable with scripts off); the timeline is
drawn by the script from words written here (report_text.py).

Every piece of run data — task names (often Chinese), errors, causes — is escaped for HTML here,
and for the JSON block `<`, `>` and `&` are written as `\\u00XX` so it cannot end its element.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from html import escape
from importlib import resources
from typing import Any

from orchestrator.engine.history import HistoryEvent
from orchestrator.graph import FlowGraph
from orchestrator.viz.model import picture_of
from orchestrator.viz.palette import STATE_COLOURS
from orchestrator.viz.report_data import RunSummary, TaskOutcome, report_data
from orchestrator.viz.report_text import (
    OUTCOME_ORDER,
    bytes_text,
    cause_text,
    duration_text,
    worded,
)
from orchestrator.viz.svg import to_svg

__all__ = ["RunSummary", "TaskOutcome", "render_report", "run_report"]

_TEMPLATE_DIR = "report"  # package data beside this module: report.html, .css, .js
_MARKER = re.compile(r"@@([A-Z]+)@@")
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def run_report(
    graph: FlowGraph,
    summary: RunSummary,
    events: Iterable[HistoryEvent],
    outcomes: Mapping[str, TaskOutcome],
) -> str:
    """The report of one run as HTML text (UTF-8 when written)."""
    data = worded(report_data(graph, summary, events, outcomes))
    states = {task["id"]: task["state"] for task in data["tasks"]}
    return render_report(data, to_svg(picture_of(graph, states)))


def render_report(data: dict[str, Any], svg: str) -> str:
    """The page for a worded model (`worded(report_data(...))`) and the graph's SVG."""
    style = _asset("report.css") + _state_rules()
    script = _asset("report.js")
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_hash(style)}; script-src {_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    run = data["run"]
    values = {
        "CSP": csp,
        "TITLE": escape(f"{run['flow']} · {run['status']} · {run['id']}"),
        "STYLE": style,
        "HEADER": _header(run),
        "GRAPH": svg,
        "LEGEND": _legend(data),
        "TASKS": _tasks_table(data["tasks"]),
        "ERRORS": _errors(data),
        "DATA": _script_json(data),
        "SCRIPT": script,
    }
    # One pass: text put in is never scanned for markers again.
    return _MARKER.sub(lambda m: values[m.group(1)], _asset("report.html"))


def _asset(name: str) -> str:
    return (resources.files(__package__) / _TEMPLATE_DIR / name).read_text(encoding="utf-8")


def _state_rules() -> str:
    """`.state-X` colours, from the palette: the CSS holds no colour of a state itself."""
    rules = [f".state-{state} {{ background: {c.hex}; }}" for state, c in STATE_COLOURS.items()]
    return "\n" + "\n".join(rules) + "\n"


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _script_json(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


def _badge(state: str) -> str:
    return f'<span class="badge state-{_css_name(state)}">{escape(state)}</span>'


def _css_name(state: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", state)


def _header(run: dict[str, Any]) -> str:
    facts = [
        ("run", f"<code>{escape(run['id'])}</code>"),
        ("started", escape(run["started"])),
        ("took", escape(duration_text(run["duration"]))),
        ("input", escape(bytes_text(run["inputBytes"]))),
    ]
    if run["outputBytes"] is not None:
        facts.append(("output", escape(bytes_text(run["outputBytes"]))))
    if run["arn"] and run["arn"] != run["id"]:
        facts.append(("execution", f"<code>{escape(run['arn'])}</code>"))
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    html = f'<h1>{escape(run["flow"])} {_badge(run["status"])}</h1><dl class="facts">{items}</dl>'
    if run["error"] or run["cause"]:
        headline, _ = cause_text(run["error"], run["cause"])
        html += f'<p class="headline">{escape(headline)} (see <a href="#errors">errors</a>)</p>'
    return html


def _legend(data: dict[str, Any]) -> str:
    states = list(dict.fromkeys(t["state"] for t in data["tasks"]))
    outcomes = {a["outcome"] for t in data["tasks"] for a in t["attempts"]}
    for task in data["tasks"]:
        if task["items"] is not None:
            outcomes |= set(task["items"]["outcomes"])
    shown = states + [o for o in OUTCOME_ORDER if o in outcomes and o not in states]
    entries = [
        f'<li><span class="swatch state-{_css_name(s)}"></span>{escape(s)}</li>' for s in shown
    ]
    entries.append('<li><span class="swatch backoff"></span>backoff before a retry</li>')
    return f'<ul class="legend" aria-label="colours">{"".join(entries)}</ul>'


def _tasks_table(tasks: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>task</th><th>state</th><th class=num>attempts</th><th class=num>items</th>"
        "<th class=num>duration</th><th class=num>input</th><th class=num>output</th>"
        "<th>error or reason</th></tr>"
    )
    rows = []
    for task in tasks:
        items = task["items"]
        attempts = items["attempts"] if items is not None else len(task["attempts"])
        count = "" if items is None else f"{items['length'] or items['iterations']:,}"
        note = ""
        if task["state"] != "SUCCEEDED" and (task["error"] or task["cause"]):
            note = cause_text(task["error"], task["cause"])[0]
        rows.append(
            f'<tr data-task="{escape(task["id"])}">'
            f"<td>{escape(task['title'])}{' <small>(map)</small>' if items is not None else ''}"
            f"</td><td>{_badge(task['state'])}</td>"
            f"<td class=num>{attempts:,}</td><td class=num>{count}</td>"
            f"<td class=num>{escape(duration_text(task['duration']))}</td>"
            f"{_size_cell(task['inputBytes'])}{_size_cell(task['outputBytes'])}"
            f"<td>{escape(note)}</td></tr>"
        )
    return (
        '<table class="tasks"><caption class="hint">input and output: the state\'s documents '
        "as the history records them (large results travel by reference)</caption>"
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _size_cell(size: int | None) -> str:
    exact = "" if size is None else f' title="{size:,} bytes"'
    return f"<td class=num{exact}>{escape(bytes_text(size))}</td>"


def _errors(data: dict[str, Any]) -> str:
    entries = []
    run = data["run"]
    if run["error"] or run["cause"]:
        entries.append(_error_entry(f"the run {run['status']}", run["error"], run["cause"]))
    for task in data["tasks"]:
        title = task["title"]
        for attempt in task["attempts"]:
            if attempt["error"] or attempt["cause"]:
                what = f"{title}, attempt {attempt['n']} {attempt['outcome']}"
                entries.append(_error_entry(what, attempt["error"], attempt["cause"]))
        items = task["items"]
        for group in items["errors"] if items is not None else []:
            what = f"{title}: {group['count']:,} item attempts {group['error']} (the first shown)"
            entries.append(_error_entry(what, group["error"], group["cause"]))
        if task["state"] == "TRIGGER_FAILED":
            entries.append(_error_entry(f"{title} TRIGGER_FAILED", task["error"], task["cause"]))
    if not entries:
        return '<p class="hint">No errors.</p>'
    return f'<ul class="errors">{"".join(entries)}</ul>'


def _error_entry(what: str, error: str | None, cause: str | None) -> str:
    headline, rest = cause_text(error, cause)
    html = f'<li><div class="what">{escape(what)}</div><div>{escape(headline)}</div>'
    if rest:
        html += f"<details><summary>cause</summary><pre>{escape(rest)}</pre></details>"
    return html + "</li>"
