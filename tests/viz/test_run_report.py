"""The run report's builder: attempts, map grouping, counts, sizes, escaping, a page that needs
nothing but itself. Runs are real local runs (tests/viz/report_flows.py) on the virtual clock;
the scale test builds a 20,000-item history by hand, shaped like Step Functions'."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator.engine.history import HistoryEvent
from orchestrator.graph import FlowGraph
from orchestrator.local import FlowRun
from orchestrator.local.flowrun import task_runs_of
from orchestrator.viz.report_data import BUCKETS, RunSummary, report_data
from orchestrator.viz.report_text import bytes_text, cause_text, duration_text, ticks, worded
from orchestrator.viz.run_report import run_report
from tests.viz.report_flows import (
    HOSTILE,
    ITEMS,
    LOST,
    RETRIED,
    broken,
    broken_run,
    shards,
    shards_run,
)


@pytest.fixture(scope="module")
def shards_result() -> FlowRun:
    return shards_run()


@pytest.fixture(scope="module")
def broken_result() -> FlowRun:
    return broken_run()


def _data(graph: FlowGraph, run: FlowRun) -> dict[str, Any]:
    return report_data(graph, RunSummary.of(run.execution, run.flow), run.events, run.task_runs)


def _html(graph: FlowGraph, run: FlowRun) -> str:
    return run_report(graph, RunSummary.of(run.execution, run.flow), run.events, run.task_runs)


def _task(data: dict[str, Any], task_id: str) -> dict[str, Any]:
    return next(t for t in data["tasks"] if t["id"] == task_id)


def _embedded(html: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html)
    assert block is not None
    return json.loads(block.group(1))  # type: ignore[no-any-return]


# -- attempts and waits ------------------------------------------------------------------------


def test_a_retried_task_has_one_attempt_per_invocation_and_the_backoffs_between(
    shards_result: FlowRun,
) -> None:
    fetch = _task(_data(shards.graph, shards_result), "fetch_shards")
    assert [a["outcome"] for a in fetch["attempts"]] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert [a["n"] for a in fetch["attempts"]] == [1, 2, 3]
    assert fetch["attempts"][0]["waitBefore"] is None
    # retry_delay=3 on the virtual clock: the timestamps still show the 3 s backoffs.
    for attempt in fetch["attempts"][1:]:
        assert 3.0 <= attempt["waitBefore"] < 3.5
    assert fetch["attempts"][0]["error"] == "ConnectionError"
    assert "refused call 1 <busy>" in fetch["attempts"][0]["cause"]
    assert fetch["attempts"][2]["error"] is None
    assert len(fetch["attempts"]) == shards_result.task_runs["fetch_shards"].attempts


def test_every_attempt_is_inside_the_run_and_after_the_previous_one(shards_result: FlowRun) -> None:
    data = _data(shards.graph, shards_result)
    for task in data["tasks"]:
        ends = [0.0]
        for attempt in task["attempts"]:
            assert attempt["start"] >= ends[-1] >= 0
            assert attempt["start"] <= attempt["end"] <= data["span"]
            ends.append(attempt["end"])


def test_a_task_that_raised_skip_ends_its_last_attempt_skipped(shards_result: FlowRun) -> None:
    audit = _task(_data(shards.graph, shards_result), "audit")
    assert audit["state"] == "SKIPPED"
    assert [a["outcome"] for a in audit["attempts"]] == ["SKIPPED"]
    assert audit["cause"] == "nothing new to audit"


# -- a map's items, grouped --------------------------------------------------------------------


def test_map_iterations_are_one_group_with_their_counts(shards_result: FlowRun) -> None:
    task = _task(_data(shards.graph, shards_result), "ChuLiFenPian")
    assert task["title"] == "处理分片" and task["kind"] == "map"
    assert task["attempts"] == []  # never one entry per item
    items = task["items"]
    assert items["length"] == items["iterations"] == ITEMS
    assert items["succeeded"] == ITEMS - len(LOST)
    assert items["failed"] == len(LOST)
    # Every item once, the retried ones and the lost ones once more (retries=1).
    assert items["attempts"] == ITEMS + len(RETRIED) + len(LOST)
    assert items["retries"] == len(RETRIED) + len(LOST)
    assert items["outcomes"] == {
        "FAILED": len(RETRIED) + 2 * len(LOST),
        "SUCCEEDED": ITEMS - len(LOST),
    }
    errors = {e["error"]: e for e in items["errors"]}
    assert errors["ValueError"]["count"] == 2 * len(LOST)
    assert errors["TransientError"]["count"] == len(RETRIED)
    assert "is corrupt" in errors["ValueError"]["cause"]
    assert items["attempts"] == shards_result.task_runs["ChuLiFenPian"].attempts


def test_a_maps_density_strip_counts_every_item_attempt_once(shards_result: FlowRun) -> None:
    items = _task(_data(shards.graph, shards_result), "ChuLiFenPian")["items"]
    buckets = items["buckets"]
    assert len(buckets["counts"]) == BUCKETS
    assert sum(sum(c.values()) for c in buckets["counts"]) == items["attempts"]
    assert buckets["start"] >= 0 and buckets["width"] > 0


def test_a_huge_map_stays_a_small_page() -> None:
    """20,000 items in a history shaped like Step Functions': the page does not grow with them."""
    graph = shards.graph
    events = _synthetic_map_history(graph, items=20_000, failing_every=100)
    runs = task_runs_of(graph, events)
    start = events[0].timestamp
    summary = RunSummary("big", graph.name, "FAILED", start, events[-1].timestamp, "States.Runtime")
    data = report_data(graph, summary, events, runs)
    items = _task(data, "ChuLiFenPian")["items"]
    assert items["iterations"] == items["attempts"] == 20_000
    assert items["failed"] == 200 and items["succeeded"] == 19_800
    assert items["errors"] == [{"error": "ValueError", "count": 200, "cause": "bad item"}]
    assert len(items["buckets"]["counts"]) == BUCKETS
    html = run_report(graph, summary, events, runs)
    assert len(html.encode("utf-8")) < 80_000
    assert html.count('"n":') == 0  # no attempt of an item is listed


def _synthetic_map_history(graph: FlowGraph, items: int, failing_every: int) -> list[HistoryEvent]:
    """A Map state over `items` items, each one attempt, as Step Functions records them."""
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    events: list[HistoryEvent] = []

    def add(previous: int, kind: str, seconds: float, **details: Any) -> int:
        events.append(
            HistoryEvent(len(events) + 1, previous, t0 + timedelta(seconds=seconds), kind, details)
        )
        return len(events)

    started = add(0, "ExecutionStarted", 0, input="{}")
    entered = add(started, "MapStateEntered", 0.1, name="ChuLiFenPian", input="{}")
    map_started = add(entered, "MapStateStarted", 0.1, length=items)
    for i in range(items):
        at = 0.2 + i * 0.001
        it = add(map_started, "MapIterationStarted", at, name="ChuLiFenPian", index=i)
        state = add(it, "TaskStateEntered", at, name="ChuLiFenPian item", input="{}")
        scheduled = add(state, "TaskScheduled", at, parameters='{"Payload":{"x":1}}')
        running = add(scheduled, "TaskStarted", at)
        if i % failing_every == 0:
            add(running, "TaskFailed", at + 0.05, error="ValueError", cause="bad item")
            add(len(events), "MapIterationFailed", at + 0.05, name="ChuLiFenPian", index=i)
        else:
            done = add(running, "TaskSucceeded", at + 0.05, output='{"Payload":2}')
            exited = add(done, "TaskStateExited", at + 0.05, name="ChuLiFenPian item", output="2")
            add(exited, "MapIterationSucceeded", at + 0.05, name="ChuLiFenPian", index=i)
    add(len(events), "MapStateFailed", items * 0.001 + 0.3)
    add(len(events), "ExecutionFailed", items * 0.001 + 0.3, error="States.Runtime")
    return events


# -- sizes -------------------------------------------------------------------------------------


def test_sizes_are_utf8_bytes_of_the_payloads_the_history_records(shards_result: FlowRun) -> None:
    data = _data(shards.graph, shards_result)
    scheduled = [e for e in shards_result.events if e.type == "TaskScheduled"]
    fetch = _task(data, "fetch_shards")
    assert fetch["attempts"][0]["requestBytes"] == len(scheduled[0].details["parameters"].encode())
    entered = next(
        e
        for e in shards_result.events
        if e.type == "TaskStateEntered" and e.details["name"] == "fetch_shards"
    )
    assert fetch["inputBytes"] == len(entered.details["input"].encode("utf-8"))
    items = _task(data, "ChuLiFenPian")["items"]
    # Each result holds "分片" * 20: 120 bytes of UTF-8, though only 40 characters.
    assert items["maxResponseBytes"] >= 120
    item_responses = [
        e.details["output"]
        for e in shards_result.events
        if e.type == "TaskSucceeded" and "分片" in e.details["output"]
    ]
    assert items["responseBytes"] == sum(len(o.encode("utf-8")) for o in item_responses)
    assert data["run"]["inputBytes"] == len(shards_result.events[0].details["input"].encode())


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (262_144, "256.0 KiB"),
        (5 << 20, "5.0 MiB"),
    ],
)
def test_sizes_in_words(size: int | None, text: str) -> None:
    assert bytes_text(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.0004, "<1 ms"),
        (0.0123, "12 ms"),
        (3.0, "3.00 s"),
        (125, "2 min 5 s"),
        (7260, "2 h 1 min"),
    ],
)
def test_durations_in_words(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


def test_axis_ticks_are_round_and_cover_the_run() -> None:
    marks = ticks(16.1)
    assert [t["label"] for t in marks] == ["0", "2", "4", "6", "8", "10", "12", "14", "16"]
    assert [t["label"] for t in ticks(0.0042)][:3] == ["0.0000", "0.0005", "0.0010"]


# -- a failed run ------------------------------------------------------------------------------


def test_a_failed_run_names_the_failed_task_and_the_tasks_that_never_ran(
    broken_result: FlowRun,
) -> None:
    data = worded(_data(broken.graph, broken_result))
    assert data["run"]["status"] == "FAILED" and data["run"]["error"] == "RuntimeError"
    render = _task(data, "render_b_x_b")
    assert render["state"] == "FAILED"
    assert render["attempts"][0]["outcome"] == "FAILED"
    publish = _task(data, "publish")
    assert publish["state"] == "NOT_RUN" and publish["attempts"] == []
    assert publish["summary"] == "did not run"
    assert cause_text(render["error"], render["cause"])[0] == f"RuntimeError: {HOSTILE}"


def test_a_cause_reads_as_type_message_and_trace() -> None:
    cause = json.dumps(
        {"errorType": "KeyError", "errorMessage": "'id'", "stackTrace": ['  File "a.py", line 3']}
    )
    assert cause_text("KeyError", cause) == ("KeyError: 'id'", '  File "a.py", line 3')
    assert cause_text("States.Timeout", "took too long") == ("States.Timeout: took too long", None)
    assert cause_text(None, None) == ("error", None)


# -- the page ----------------------------------------------------------------------------------


def test_everything_from_the_run_is_escaped(broken_result: FlowRun) -> None:
    page = _html(broken.graph, broken_result)
    # Our two script elements and nothing else: the error's <script> is text everywhere.
    assert page.count("<script") == 2
    assert "<b>" not in page and '"x"</b>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 中文 &#x27;quoted&#x27;" in page
    assert "render &lt;b&gt;&quot;x&quot;&lt;/b&gt;" in page  # the task's name, in table and SVG
    assert "<title>报告 &lt;失败&gt; · FAILED · " in page
    # In the JSON block, < > & are \u escapes, so it cannot end its own element.
    block = page.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\\u003cscript\\u003e" in block
    assert _embedded(page)["run"]["flow"] == "报告 <失败>"


def test_the_page_is_utf8_and_keeps_chinese_as_text(shards_result: FlowRun) -> None:
    page = _html(shards.graph, shards_result)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "动态分片 报告" in page and "处理分片" in page  # not \u escapes or entities
    page.encode("utf-8")  # every character encodes


def test_the_page_needs_no_network(shards_result: FlowRun) -> None:
    page = _html(shards.graph, shards_result)
    # The only URL is the SVG namespace, which is a name, not a request.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(link|script|img|iframe)[^>]+(src|href)=\"(?!data:)", page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy.group(1)


def test_the_policy_allows_exactly_the_inlined_style_and_script(shards_result: FlowRun) -> None:
    page = _html(shards.graph, shards_result)
    policy = re.search(r'content="(default-src[^"]+)"', page)
    assert policy is not None
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    for text, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy.group(1)


def test_the_graph_is_inline_svg_coloured_by_final_state(shards_result: FlowRun) -> None:
    page = _html(shards.graph, shards_result)
    svg = page.split('<svg xmlns="http://www.w3.org/2000/svg"', 1)[1].split("</svg>", 1)[0]
    states = dict(re.findall(r'data-task="([^"]+)" data-state="([^"]+)"', svg))
    assert states == {
        "fetch_shards": "SUCCEEDED",
        "audit": "SKIPPED",
        "ChuLiFenPian": "SUCCEEDED",
        "summarize": "SUCCEEDED",
    }
    assert 'fill="#1e8e3e80"' in svg and 'fill="#e3a00880"' in svg  # palette.py, half opacity


def test_the_embedded_data_is_the_model_the_script_draws(shards_result: FlowRun) -> None:
    page = _html(shards.graph, shards_result)
    data = _embedded(page)
    bars = sum(len(t["attempts"]) for t in data["tasks"])
    assert bars == 5  # fetch ×3, audit, summarize: the map's 60 item attempts are one group
    assert all(a["tip"] for t in data["tasks"] for a in t["attempts"])
    assert data["ticks"][0] == {"at": 0.0, "label": "0"}


def test_the_same_run_makes_the_same_page(shards_result: FlowRun) -> None:
    assert _html(shards.graph, shards_result) == _html(shards.graph, shards_result)


def test_an_attempt_without_an_end_runs_on_and_a_redrive_is_marked() -> None:
    """A run redriven after its task failed, whose new attempt the history never saw end (the
    process died): the old attempt failed, the new one is unfinished, the redrive is marked."""
    graph = broken.graph
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    kinds = [
        (0.0, "ExecutionStarted", {"input": "{}"}),
        (0.1, "TaskStateEntered", {"name": "load", "input": "{}"}),
        (0.1, "TaskScheduled", {"parameters": "{}"}),
        (0.1, "TaskStarted", {}),
        (0.2, "TaskFailed", {"error": "OSError", "cause": "disk"}),
        (0.2, "ExecutionFailed", {"error": "OSError", "cause": "disk"}),
        (60.0, "ExecutionRedriven", {"redriveCount": 1}),
        (60.1, "TaskStateEntered", {"name": "load", "input": "{}"}),
        (60.1, "TaskScheduled", {"parameters": "{}"}),
        (60.1, "TaskStarted", {}),
    ]
    events = [
        HistoryEvent(i + 1, i, t0 + timedelta(seconds=at), kind, details)
        for i, (at, kind, details) in enumerate(kinds)
    ]
    summary = RunSummary("r", graph.name, "RUNNING", t0)
    data = worded(report_data(graph, summary, events, task_runs_of(graph, events)))
    load = _task(data, "load")
    assert [(a["outcome"], a["end"]) for a in load["attempts"]] == [
        ("FAILED", 0.2),
        ("RUNNING", None),
    ]
    assert load["attempts"][1]["waitBefore"] == pytest.approx(59.9)
    assert "no end in the history" in load["attempts"][1]["tip"]
    assert data["redrives"] == [60.0] and data["span"] == pytest.approx(60.1)
