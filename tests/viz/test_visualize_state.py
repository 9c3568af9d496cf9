"""`flow.visualize(flow_state=run)` colours the graph like Prefect 1.x; the state colours are one
table (palette.py) shared with the terminal; the report's SVG layout never overlaps nodes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings

from orchestrator.cli.run import state_text
from orchestrator.errors import ParameterError
from orchestrator.local import FlowRun
from orchestrator.viz.layout import layout
from orchestrator.viz.model import picture_of
from orchestrator.viz.palette import STATE_COLOURS, TERMINAL_STYLES, state_fill
from orchestrator.viz.svg import to_svg
from tests.flowgen import GeneratedFlow, random_flows
from tests.viz.report_flows import broken, broken_run, shards, shards_run


@pytest.fixture(scope="module")
def shards_result() -> FlowRun:
    return shards_run()


@pytest.fixture(scope="module")
def broken_result() -> FlowRun:
    return broken_run()


def _fills(dot: str) -> dict[str, str]:
    return dict(re.findall(r'"task_([^"]+)" \[label=.*?fillcolor="([^"]+)"\];', dot))


def test_each_task_is_filled_with_its_final_state_at_half_opacity(
    shards_result: FlowRun, broken_result: FlowRun
) -> None:
    assert _fills(shards.visualize(flow_state=shards_result)) == {
        "fetch_shards": "#1e8e3e80",
        "audit": "#e3a00880",
        "ChuLiFenPian": "#1e8e3e80",  # the map: one node, the map's own outcome
        "summarize": "#1e8e3e80",
    }
    assert _fills(broken.visualize(flow_state=broken_result)) == {
        "load": state_fill("SUCCEEDED"),
        "render_b_x_b": state_fill("FAILED"),
        "publish": state_fill("NOT_RUN"),
    }


def test_the_state_is_written_under_the_name(broken_result: FlowRun) -> None:
    dot = broken.visualize(flow_state=broken_result)
    assert 'COLOR="#666666">FAILED</FONT>' in dot
    assert 'COLOR="#666666">NOT_RUN</FONT>' in dot
    assert "render &lt;b&gt;&quot;x&quot;&lt;/b&gt;" in dot  # still escaped


def test_without_a_run_the_drawing_is_as_before() -> None:
    dot = shards.visualize()
    assert set(_fills(dot).values()) == {"#ffffff", "#fff6e0"}
    assert "SUCCEEDED" not in dot


def test_mermaid_and_images_are_coloured_too(shards_result: FlowRun, tmp_path: Path) -> None:
    text = shards.visualize(str(tmp_path / "run.mmd"), flow_state=shards_result)
    assert "classDef state_skipped fill:#e3a00880,stroke:#e3a008" in text
    assert "class task_audit state_skipped" in text
    if shutil.which("dot"):
        shards.visualize(str(tmp_path / "run.svg"), flow_state=shards_result)
        svg = (tmp_path / "run.svg").read_text(encoding="utf-8")
        assert 'fill="#e3a008" fill-opacity="0.501961"' in svg  # Graphviz read the alpha


def test_a_run_of_another_flow_or_not_a_run_is_refused(broken_result: FlowRun) -> None:
    with pytest.raises(ParameterError, match="run of flow '报告 <失败>', not of '动态分片 报告'"):
        shards.visualize(flow_state=broken_result)
    with pytest.raises(TypeError, match="takes the FlowRun"):
        shards.visualize(flow_state="SUCCEEDED")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="flow_state=run"):
        broken.visualize(broken_result)  # type: ignore[arg-type]


def test_the_terminal_reads_its_colours_from_the_same_table() -> None:
    assert TERMINAL_STYLES == {state: c.terminal for state, c in STATE_COLOURS.items()}
    assert str(state_text("TIMED_OUT").style) == "red"
    assert str(state_text("NOT_RUN").style) == "dim"
    for state in ("SUCCEEDED", "FAILED", "TIMED_OUT", "SKIPPED", "TRIGGER_FAILED", "NOT_RUN"):
        assert re.fullmatch(r"#[0-9a-f]{6}", STATE_COLOURS[state].hex)


@settings(max_examples=40, deadline=None)
@given(random_flows())
def test_the_svg_layout_puts_parents_above_and_never_overlaps(generated: GeneratedFlow) -> None:
    picture = picture_of(generated.flow.graph)
    drawn = layout(picture)
    boxes = list(drawn.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart_x = abs(a.x - b.x) >= (a.width + b.width) / 2
            apart_y = abs(a.y - b.y) >= (a.height + b.height) / 2
            assert apart_x or apart_y, (a, b)
    for edge in picture.edges:
        assert drawn.boxes[edge.source].y < drawn.boxes[edge.target].y
    assert all(0 <= b.x - b.width / 2 and b.x + b.width / 2 <= drawn.width for b in boxes)
    assert to_svg(picture) == to_svg(picture_of(generated.flow.graph))  # deterministic
