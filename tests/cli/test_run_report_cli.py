"""`orchestrator report RUN_ID -o run.html`: a past local run as an HTML page, and its errors as
one `error:` line with exit code 2."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.loader import load_flow
from orchestrator.local import RunStore
from tests.cli.conftest import Project


def _report(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def _latest(project: Project) -> str:
    store = RunStore(project.store, readonly=True)
    try:
        return store.list(1)[0].name
    finally:
        store.close()


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_a_run_of_a_project_flow_becomes_a_page(project: Project) -> None:
    run_id = _latest(project)  # the fixture's earlier run of `good`
    code, out, err = _report(run_id[:8], "-o", "good.html")  # a prefix, as `runs show` takes
    assert code == 0, err
    assert out.strip() == "good.html"
    page = (project.root / "good.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert run_id in page and 'data-task="add"' in page and ">SUCCEEDED<" in page


def test_without_o_the_page_is_named_after_the_run(project: Project) -> None:
    run_id = _latest(project)
    code, out, err = _report(run_id)
    assert code == 0, err
    assert out.strip() == f"run-{run_id}.html"
    assert (project.root / f"run-{run_id}.html").is_file()


def test_a_failed_run_of_another_flow_needs_its_flow_named(project: Project) -> None:
    run = load_flow(project.spec("bad")).run(n=2)
    assert run.state == "FAILED"
    code, _, err = _report(run.run_id, "-o", "bad.html")
    assert code == 2
    line = _one_error(err)
    assert f"run {run.run_id} ran state machine 'bad'" in line
    assert "--flow path/to/file.py:flow" in line
    code, out, err = _report(run.run_id, "--flow", project.spec("bad"), "-o", "bad.html")
    assert code == 0, err
    page = (project.root / "bad.html").read_text(encoding="utf-8")
    assert "ValueError: bad 2" in page and ">FAILED<" in page
    assert not (project.root / "good.html").exists()


def test_a_flow_that_did_not_make_the_run_is_refused(project: Project) -> None:
    code, _, err = _report(_latest(project), "--flow", project.spec("bad"), "-o", "x.html")
    assert code == 2
    assert "but flow 'bad'" in _one_error(err)
    assert not (project.root / "x.html").exists()


def test_an_unknown_run_is_one_error_line(project: Project) -> None:
    code, out, err = _report("no-such-run", "-o", "x.html")
    assert code == 2 and out == ""
    line = _one_error(err)
    assert "no execution matches 'no-such-run'" in line and "orchestrator runs list" in line


def test_an_output_in_a_missing_folder_is_one_error_line(project: Project) -> None:
    code, _, err = _report(_latest(project), "-o", "missing/run.html")
    assert code == 2
    assert "its folder missing does not exist" in _one_error(err)


def test_an_unwritable_output_is_one_error_line(project: Project) -> None:
    folder = project.root / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    # Root writes into read-only folders; nobody creates files in /proc.
    target = Path("/proc/run.html") if os.geteuid() == 0 else folder / "run.html"
    try:
        code, _, err = _report(_latest(project), "-o", str(target))
    finally:
        folder.chmod(stat.S_IRWXU)
    assert code == 2
    assert "cannot be written" in _one_error(err)


def test_an_output_that_is_a_folder_is_one_error_line(project: Project) -> None:
    (project.root / "taken.html").mkdir()
    code, _, err = _report(_latest(project), "-o", "taken.html")
    assert code == 2
    assert _one_error(err)


def test_report_is_listed_in_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert "report" in result.stdout


def test_the_page_is_written_as_utf8(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, err = _report(_latest(project), "-o", str(out))
    assert code == 0, err
    out.read_bytes().decode("utf-8")
