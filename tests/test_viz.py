"""Drawings of a FlowGraph: DOT and Mermaid text, files, and images through Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from orchestrator import Flow, Parameter, flow, task, unmapped
from orchestrator.graph import FlowGraph, ParamInput, ResultInput, TaskNode
from orchestrator.options import TaskOptions
from orchestrator.viz import RenderError, render_graph, render_text


@task(retries=3, timeout=300)
def get_shards(n: int) -> list[str]:
    return [str(i) for i in range(n)]


@task
def process_shard(shard: str, config: dict) -> int:
    return len(shard)


@task(name="汇总")
def summarize(counts: list[int]) -> int:
    return sum(counts)


@task
def notify() -> None: ...


@flow(name="分片")
def shards(n: int = 5):
    counts = process_shard.map(get_shards(n), unmapped({"mode": "fast"}))
    total = summarize(counts)
    notify().set_upstream(total)
    return total


def _node(node_id: str, name: str, retries: int = 0, **kwargs: object) -> TaskNode:
    options = TaskOptions(name=name, retries=retries, timeout=60, memory=256)
    return TaskNode(id=node_id, options=options, task_key=f"m:{node_id}", function_id="F", **kwargs)


def _awkward_graph() -> FlowGraph:
    """Names with quotes, backslashes, angle brackets, # and Unicode."""
    return FlowGraph(
        name='say "hi" \\ <now> #1',
        resource_name="say-hi",
        nodes=(
            _node("a", 'load "raw" <data> & #tags', inputs={"x": ParamInput(name="x")}),
            _node(
                "b",
                "ünïcødé → 数据",
                inputs={"v": ResultInput(node="a")},
                retries=2,
            ),
        ),
        parameters=(),
    )


# -- DOT ---------------------------------------------------------------------------------------


def test_dot_shows_tasks_parameters_and_edges() -> None:
    dot = shards.visualize()
    assert dot.startswith('digraph "分片" {\n') and dot.endswith("}\n")
    assert re.search(r'"param_0" \[label=<n<BR/>.*default 5.*shape=ellipse', dot)
    assert re.search(r"get_shards<BR/><FONT[^>]*>retries 3 · timeout 300s</FONT>", dot)
    assert re.search(r'"task_process_shard" \[label=<process_shard \[map\]>, shape=box3d', dot)
    assert "汇总" in dot
    assert '"param_0" -> "task_get_shards" [style=solid];' in dot
    assert '"task_get_shards" -> "task_process_shard" [style=solid];' in dot
    # set_upstream without data: dashed
    assert re.search(r'"task_\w+" -> "task_notify" \[style=dashed\];', dot)


def test_data_edge_stays_solid_when_also_set_upstream() -> None:
    with Flow("both") as both:
        first = get_shards(2)
        second = summarize(first)
        second.set_upstream(first)
    dot = both.visualize()
    assert dot.count('-> "task_HuiZong') == 1
    assert "dashed" not in dot


def test_dot_escapes_quotes_and_html() -> None:
    dot = render_text(_awkward_graph(), "dot")
    assert dot.startswith('digraph "say \\"hi\\" \\\\ <now> #1" {')
    assert "load &quot;raw&quot; &lt;data&gt; &amp; #tags" in dot
    assert "ünïcødé → 数据" in dot


def test_repeated_task_calls_are_told_apart() -> None:
    with Flow("twice") as twice:
        summarize([1])
        summarize([2])
    dot = twice.visualize()
    assert "汇总 #1" in dot and "汇总 #2" in dot


def test_output_is_deterministic() -> None:
    @flow(name="分片")
    def again(n: int = 5):
        counts = process_shard.map(get_shards(n), unmapped({"mode": "fast"}))
        total = summarize(counts)
        notify().set_upstream(total)
        return total

    assert again.visualize() == shards.visualize()
    assert render_text(again.graph, "mermaid") == render_text(shards.graph, "mermaid")


def test_prefect_style_parameter_node() -> None:
    with Flow("ETL") as etl:
        day = Parameter("day", default="2024-11-11")
        summarize(get_shards(day))
    dot = etl.visualize()
    assert 'day<BR/><FONT POINT-SIZE="9" COLOR="#666666">default &quot;2024-11-11&quot;' in dot


# -- Mermaid -----------------------------------------------------------------------------------


def test_mermaid_flowchart() -> None:
    text = render_text(shards.graph, "mermaid")
    assert text.startswith('---\ntitle: "分片"\n---\nflowchart TD\n')
    assert '  param_0(["n<br/><small>default 5</small>"])' in text
    assert '  task_process_shard[["process_shard [map]"]]' in text
    assert "  task_get_shards --> task_process_shard" in text
    assert re.search(r"  task_\w+ -.-> task_notify", text)
    assert "class task_process_shard map" in text


def test_mermaid_escapes_labels() -> None:
    text = render_text(_awkward_graph(), "mermaid")
    assert 'title: "say \\"hi\\" \\\\ <now> #1"' in text
    assert '  task_a("load #quot;raw#quot; #lt;data#gt; #amp; #35;tags")' in text
    assert "ünïcødé → 数据<br/><small>retries 2</small>" in text
    # no raw double quote inside any label
    for line in text.splitlines():
        if line.startswith("  task_") and "(" in line:
            assert line.count('"') == 2, line


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"), [("g.dot", "digraph"), ("g.gv", "digraph"), ("g.mmd", "---")]
)
def test_writes_text_files(tmp_path: Path, name: str, start: str) -> None:
    target = tmp_path / name
    text = render_graph(shards.graph, str(target))
    assert target.read_text(encoding="utf-8") == text
    assert text.startswith(start)


def test_image_without_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RenderError, match=r"Graphviz is not installed.*apt-get install graphviz"):
        shards.visualize(str(tmp_path / "g.png"))


def test_image_through_dot_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in `dot` that records its arguments and input: checks how Graphviz is called.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text('#!/bin/sh\necho "$@" > "$3.args"\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "g.svg"
    text = render_graph(shards.graph, str(target))
    assert target.read_text(encoding="utf-8") == text
    assert Path(f"{target}.args").read_text().split() == ["-Tsvg", "-o", str(target)]


def test_dot_program_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 3' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(RenderError, match="Graphviz failed to draw g.png: syntax error in line 3"):
        render_graph(shards.graph, str(tmp_path / "g.png"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_real_graphviz_accepts_the_dot(tmp_path: Path, suffix: str) -> None:
    render_graph(_awkward_graph(), str(tmp_path / f"g{suffix}"))
    assert (tmp_path / f"g{suffix}").stat().st_size > 0


def test_unknown_file_type(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"unknown file type '\.pdf'"):
        render_graph(shards.graph, str(tmp_path / "g.pdf"))


def test_unknown_text_format() -> None:
    with pytest.raises(RenderError, match="unknown drawing format 'svg'"):
        render_text(shards.graph, "svg")


def test_viz_imports_only_the_graph_layer() -> None:
    # Data flows sdk → graph → viz: the drawing code must not reach back into the SDK (nor into
    # local runs or the CLI). The run report reads a history: the engine's plain event records.
    viz = Path(__file__).resolve().parents[1] / "orchestrator" / "viz"
    allowed = (
        "orchestrator.graph",
        "orchestrator.errors",
        "orchestrator.options",
        "orchestrator.engine.history",
        "orchestrator.runtime.error_payload",  # reading a Lambda error's Cause
        "orchestrator.engine.execution",
    )
    for module in viz.glob("*.py"):
        imports = re.findall(r"^from (orchestrator[.\w]*) import", module.read_text(), re.M)
        assert all(name in allowed or name.startswith("orchestrator.viz") for name in imports), (
            module.name,
            imports,
        )
