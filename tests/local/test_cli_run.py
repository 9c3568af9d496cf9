"""`orchestrator run` and `orchestrator runs`: exit codes, progress, summary, the run store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from functions.dynamic_shards import get_data_shards
from orchestrator.cli import app
from orchestrator.local import default_store

FLOWS = """
from orchestrator import Flow, flow, task

@task
def double(x: int) -> int:
    return 2 * x

@task(retries=1)
def explode(x: int) -> int:
    raise ValueError(f"cannot handle {x}")

@flow(name="good")
def good(x: int = 2):
    return double(double(x))

@flow(name="bad")
def bad(x: int = 2):
    return explode(double(x))
"""


def write(tmp_path: Path) -> str:
    path = tmp_path / "cli_flows.py"
    path.write_text(FLOWS)
    return str(path)


def test_run_succeeds_prints_progress_and_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", write(tmp_path) + ":good", "--param", "x=5"])
    assert result.exit_code == 0, result.output
    assert "▶ double" in result.output and "✓ double_2" in result.output
    assert "SUCCEEDED result: 20" in result.output


def test_failed_run_exits_1_with_the_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", write(tmp_path) + ":bad", "--clock", "virtual"])
    assert result.exit_code == 1
    assert "FAILED ValueError" in result.output
    assert "cannot handle 4" in result.output


def test_bad_parameters_are_user_errors(tmp_path: Path) -> None:
    spec = write(tmp_path) + ":good"
    unknown = CliRunner().invoke(app, ["run", spec, "--param", "y=1"])
    assert unknown.exit_code == 2
    assert "no parameter 'y'" in unknown.output
    malformed = CliRunner().invoke(app, ["run", spec, "--param", "x"])
    assert malformed.exit_code == 2 and "not key=value" in malformed.output


def test_runs_list_and_show_read_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["run", write(tmp_path) + ":good", "-q"])
    listing = runner.invoke(app, ["runs", "list", "--limit", "50"])
    assert listing.exit_code == 0 and "good" in listing.output
    store = default_store()
    try:
        run_id = store.list(1)[0].name
    finally:
        store.close()
    assert run_id in listing.output
    shown = runner.invoke(app, ["runs", "show", run_id, "--events"])
    assert shown.exit_code == 0, shown.output
    assert "ExecutionStarted" in shown.output
    missing = runner.invoke(app, ["runs", "show", "no-such-run"])
    assert missing.exit_code == 2 and "no execution matches" in missing.output


def test_a_map_is_one_progress_line_with_its_item_count() -> None:
    result = CliRunner().invoke(
        app, ["run", "functions.dynamic_shards:dynamic_shards", "--param", "seed=7"]
    )
    assert result.exit_code == 0, result.output
    assert "process_shard item" not in result.output
    shards = len(get_data_shards.fn(7))
    assert f"✓ process_shard ({shards} items)" in result.output
