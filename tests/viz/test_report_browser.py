"""The run report in a real browser: headless Chromium (tests/viz/chromium.py) opens the file
offline, and the page must run its script with no console error and no blocked request, draw
exactly one timeline bar per task attempt, and look like something (a screenshot with many
colours, not a blank page). The screenshots are kept under pytest's tmp path; their paths are
printed (run with -p no:xdist to see them) and recorded as the test's `screenshot` property.

Skipped when no Chromium is installed; `.ci/run` installs Debian's `chromium`, so CI runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.local import FlowRun
from orchestrator.sdk.flow import Flow
from orchestrator.viz.palette import STATE_COLOURS
from orchestrator.viz.report_data import RunSummary
from orchestrator.viz.run_report import run_report
from tests.viz.chromium import Browser, find_chromium, png_colours
from tests.viz.report_flows import HOSTILE, broken, broken_run, shards, shards_run

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)

CASES: dict[str, tuple[Flow, Callable[[], FlowRun]]] = {
    "shards": (shards, shards_run),  # retries, a 50-item map, a skip: SUCCEEDED
    "broken": (broken, broken_run),  # an escaped error, a task never run: FAILED
}
PROBES = {
    "bars": "[...document.querySelectorAll('#timeline-chart .attempt')]"
    ".map(b => b.dataset.task + '#' + b.dataset.attempt)",
    "narrowest": "Math.min(...[...document.querySelectorAll('#timeline-chart .attempt')]"
    ".map(b => b.getBoundingClientRect().width))",
    "bar_colours": "Object.fromEntries([...document.querySelectorAll('#timeline-chart .attempt')]"
    ".map(b => [b.dataset.outcome, getComputedStyle(b).backgroundColor]))",
    "waits": "document.querySelectorAll('#timeline-chart .wait').length",
    "rows": "document.querySelectorAll('#timeline-chart .row').length",
    "maps": "document.querySelectorAll('#timeline-chart .map-span').length",
    "buckets": "document.querySelectorAll('#timeline-chart .bucket').length",
    "graph_tasks": "document.querySelectorAll('#flow-graph .node[data-task]').length",
    "bold": "document.querySelectorAll('main b, main script').length",
    "text": "document.body.innerText",
    "picked": "(() => { const node = document.querySelector('#flow-graph .node[data-task]');"
    " node.dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    " return [document.getElementById('detail').hidden,"
    " document.querySelectorAll('.row.selected').length]; })()",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as opened:
        yield opened


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.parametrize("case", list(CASES))
def test_the_report_renders_in_chromium(
    case: str,
    browser: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    flow, make_run = CASES[case]
    run = make_run()
    report = tmp_path / f"{case}.html"
    summary = RunSummary.of(run.execution, run.flow)
    report.write_text(run_report(flow.graph, summary, run.events, run.task_runs), encoding="utf-8")

    page = browser.open(report.as_uri(), PROBES, ready="document.body.dataset.ready === 'true'")

    screenshot = tmp_path / f"{case}.png"
    screenshot.write_bytes(page.screenshot)
    record_property("screenshot", str(screenshot))
    with capsys.disabled():
        print(f"\n  run report screenshot ({case}): {screenshot}")
    assert page.errors == [], page.errors
    values = page.values
    # Exactly one bar per attempt of each task that is not mapped, in attempt order.
    graph = flow.graph
    expected = [
        f"{node.id}#{n}"
        for node in graph.nodes
        if not node.is_map
        for n in range(1, run.task_runs[node.id].attempts + 1)
    ]
    assert values["bars"] == expected
    assert values["narrowest"] >= 2  # a 1 ms attempt in a 16 s run is still visible
    for outcome, colour in values["bar_colours"].items():
        assert colour == _rgb(STATE_COLOURS[outcome].hex)
    assert values["rows"] == len(graph.nodes) == values["graph_tasks"]
    assert values["maps"] == sum(node.is_map for node in graph.nodes)
    assert values["bold"] == 0  # nothing from the run became markup
    assert values["picked"] == [False, 1]
    if case == "shards":
        assert values["waits"] == 2  # the two backoffs of the retried task
        assert 0 < values["buckets"] <= 48
        assert "50 items, 45 succeeded, 5 failed" in values["text"]
    else:
        assert HOSTILE in values["text"]  # shown as text, exactly
    width, height, drawn, colours = png_colours(page.thumbnail)
    assert len(colours) > 100, "the screenshot is (nearly) blank"
    assert drawn > 0.05 * width * height
