"""The run store under real processes (Ctrl-C, os._exit, two runs at once) and what runs show.

These run the real `orchestrator` executable where only a real process can tell: a SIGINT, a
task calling os._exit, two runs writing one store at the same time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.engine.execution import Execution
from orchestrator.loader import load_flow
from orchestrator.local import RunStore
from tests.cli.conftest import Project

EXECUTABLE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "orchestrator"


def _orchestrator(project: Project, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "ORCHESTRATOR_STORE": str(project.store), "PYTHONPATH": str(project.root)}
    return subprocess.Popen(
        [str(EXECUTABLE), *args],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


def test_ctrl_c_exits_130_and_keeps_the_run_as_aborted(project: Project) -> None:
    proc = _orchestrator(project, "run", project.spec("slow"))
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until the task runs
        if "▶ sleeps" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err
    (line,) = _errors(err)
    assert "flow 'slow' was interrupted in state 'sleeps'" in line
    run = RunStore(project.store).get(line.split("run ")[1].split()[0])
    assert run.status == "ABORTED"
    assert "interrupted in state 'sleeps'" in (run.cause or "")


def test_a_task_calling_os_exit_leaves_a_failed_run_not_a_running_one(project: Project) -> None:
    proc = _orchestrator(project, "run", project.spec("hard"))
    proc.communicate(timeout=60)
    assert proc.returncode == 4  # os._exit ends the process: nothing of ours runs
    listing = CliRunner().invoke(app, ["runs", "list"])
    assert listing.exit_code == 0, listing.output
    line = next(line for line in listing.stdout.splitlines() if " hard " in line)
    assert "FAILED" in line and "RUNNING" not in line
    run_id = line.split("│")[1].strip()
    shown = CliRunner().invoke(app, ["runs", "show", run_id])
    assert "ProcessExited: the process running this run" in shown.stdout
    assert "os._exit()" in " ".join(shown.stdout.split())


def test_a_task_calling_sys_exit_fails_the_run_with_exit_1(project: Project) -> None:
    proc = _orchestrator(project, "run", project.spec("exit3"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "Traceback" not in out + err
    (line,) = _errors(err)
    assert "SystemExit: the task called sys.exit(3)" in line
    assert RunStore(project.store).list(1)[0].status == "FAILED"


def test_two_processes_write_one_store_at_once(project: Project) -> None:
    procs = [
        _orchestrator(project, "run", project.spec("good"), "-q", "--param", f"n={i}")
        for i in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert err == ""
    summaries = RunStore(project.store).list(50)
    assert len(summaries) == 5  # the fixture's run and these four
    assert {s.status for s in summaries} == {"SUCCEEDED"}


def test_threads_run_flows_into_one_store(project: Project) -> None:
    flow = load_flow(project.spec("good"))
    results: list[str] = []

    def work(i: int) -> None:
        for _ in range(5):
            results.append(flow.run(n=i).state)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["SUCCEEDED"] * 20
    assert len(RunStore(project.store).list(100)) == 21


def test_runs_list_shows_running_and_aborted_runs(project: Project) -> None:
    with pytest.raises(KeyboardInterrupt):
        load_flow(project.spec("interrupted")).run()
    # A run in progress in this (live) process: RUNNING, recorded as the engine records it.
    now = load_flow(project.spec("good")).run().execution.start_date
    store = RunStore(project.store)
    store.record(Execution("arn:x", "in-progress", "RUNNING", {}, None, None, None, now, now))
    store.close()
    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 0, result.output
    assert "ABORTED" in result.stdout
    assert "RUNNING" in result.stdout
    assert "Traceback" not in result.output


def test_runs_show_events_name_their_states_and_json_keeps_the_cause(project: Project) -> None:
    run = load_flow(project.spec("bad")).run(clock="virtual")
    shown = CliRunner().invoke(app, ["runs", "show", run.run_id, "--events"])
    assert shown.exit_code == 0, shown.output
    entered = next(line for line in shown.stdout.splitlines() if "TaskStateEntered" in line)
    assert entered.split()[-1] == "boom"
    assert any(
        line.split()[-1] == "boom" for line in shown.stdout.splitlines() if "TaskFailed" in line
    )
    assert "ValueError: bad 1" in shown.stdout
    as_json = CliRunner().invoke(app, ["runs", "show", run.run_id, "--json"])
    document = json.loads(as_json.stdout)
    assert document["status"] == "FAILED"
    assert json.loads(document["cause"])["errorType"] == "ValueError"
    assert {e["state"] for e in document["events"]} >= {"boom"}


def test_a_failed_task_shows_the_users_frames_only(project: Project) -> None:
    result = CliRunner().invoke(app, ["run", project.spec("bad"), "-q"])
    assert result.exit_code == 1
    assert "FAILED ValueError: bad 1" in result.stdout
    assert f'File "{project.package}/flows.py", line' in result.stdout
    assert "orchestrator/" not in result.stdout  # not the handler's or the engine's frames
    assert "stackTrace" not in result.stdout
    debug = CliRunner().invoke(app, ["--debug", "run", project.spec("bad"), "-q"])
    assert '"stackTrace"' in debug.stdout  # the full Lambda error payload


def test_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"orchestrator {version('orchestrator')}\n"


def test_help_renders_toml_tables_literally() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Run every flow in [tool.orchestrator] flows." in result.stdout
    build = CliRunner().invoke(app, ["build", "--help"], terminal_width=200)
    assert "pyproject.toml with [tool.orchestrator]" in build.stdout


def test_runs_list_of_a_store_not_made_yet_says_so(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(project.root / "new" / "runs.sqlite"))
    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 0
    assert result.stdout.startswith("no runs yet in ")
    assert not (project.root / "new").exists()  # reading creates nothing


def test_a_store_left_over_as_wal_is_still_read(project: Project) -> None:
    db = sqlite3.connect(project.store)
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    assert len(RunStore(project.store, readonly=True).list()) == 1
