"""The bad-input table through the Python API: the same mistakes, as exceptions or warnings.

A user error raises an OrchestratorError whose message is one line naming the fix; a task that
exits fails its run (no SystemExit escapes `flow.run()`); Ctrl-C raises RunAborted (a
KeyboardInterrupt) with the run kept as ABORTED; a store that cannot be used is a warning and
the run goes on. Earlier history and committed files are intact afterwards.
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import (
    FlowDefinitionError,
    OrchestratorError,
    ParameterError,
    RunAborted,
    StoreError,
)
from orchestrator.loader import load_flow
from orchestrator.local import RunStore, RunStoreUnavailable
from orchestrator.settings import read_settings
from tests.cli.conftest import Project


@dataclass(frozen=True)
class ApiCase:
    id: str
    call: Callable[[Project], Any]
    raises: type[BaseException] | None  # None: returns a FlowRun, checked by `check`
    pattern: str
    check: Callable[[Any, Project], None] | None = None


def _flow(project: Project, name: str) -> Any:
    return load_flow(project.spec(name))


def _run(name: str, **params: Any) -> Callable[[Project], Any]:
    return lambda project: _flow(project, name).run(clock="virtual", **params)


def _failed(error: str, message: str) -> Callable[[Any, Project], None]:
    def check(run: Any, project: Project) -> None:
        assert run.state == "FAILED"
        assert run.error == error
        assert message in (run.cause or "")
        assert project.history()[run.run_id][0] == "FAILED"

    return check


def _corrupt_store(project: Project) -> Path:
    project.store.write_bytes(b"garbage" * 100)
    return project.store


def _store_run(project: Project) -> Any:
    _corrupt_store(project)
    with pytest.warns(RunStoreUnavailable, match=r"not kept in the run store.*Fix: move it aside"):
        return _flow(project, "good").run(n=2)


def _settings_with(extra: str) -> Callable[[Project], Any]:
    def call(project: Project) -> Any:
        project.pyproject(extra)
        return read_settings(project.root / "pyproject.toml")

    return call


API_CASES = [
    ApiCase("api-unknown-param", _run("good", y=1), ParameterError, r"no parameter 'y'"),
    ApiCase("api-missing-param", _run("typed"), ParameterError, r"needs parameter 'n'"),
    ApiCase(
        "api-bad-clock",
        lambda p: _flow(p, "good").run(clock="sometimes"),
        ParameterError,
        r"not a clock",
    ),
    ApiCase("api-nan-param", _run("good", n=float("nan")), ParameterError, r"must be JSON"),
    ApiCase("api-set-param", _run("good", n={1}), ParameterError, r"must be JSON"),
    ApiCase(
        "api-sys-exit",
        _run("exit3"),
        None,
        "",
        check=_failed("SystemExit", "the task called sys.exit(3)"),
    ),
    ApiCase(
        "api-sys-exit-worker",
        _run("exit_worker"),
        None,
        "",
        check=_failed("SystemExit", "sys.exit(5)"),
    ),
    ApiCase(
        "api-raise-system-exit",
        _run("system_exit"),
        None,
        "",
        check=_failed("SystemExit", "sys.exit('bye')"),
    ),
    ApiCase(
        "api-keyboard-interrupt",
        _run("interrupted"),
        RunAborted,
        r"flow 'interrupted' was interrupted in state 'interrupts'; run \S+ is ABORTED",
    ),
    ApiCase("api-store-directory", lambda p: RunStore(p.root), StoreError, r"is a directory"),
    ApiCase(
        "api-store-corrupt",
        lambda p: RunStore(_corrupt_store(p)),
        StoreError,
        r"not a readable SQLite database",
    ),
    ApiCase(
        "api-store-corrupt-readonly",
        lambda p: RunStore(_corrupt_store(p), readonly=True).list(),
        StoreError,
        r"not a readable SQLite database",
    ),
    ApiCase(
        "api-corrupt-store-run-goes-on",
        _store_run,
        None,
        "",
        check=lambda run, project: (
            None if run.succeeded and run.result == 3 else pytest.fail(repr(run))
        ),
    ),
    ApiCase(
        "api-settings-typo",
        _settings_with("defualt_timeout = 3\n"),
        FlowDefinitionError,
        r"unknown key 'defualt_timeout'.*did you mean 'default_timeout'",
    ),
    ApiCase(
        "api-settings-typo-no-match",
        _settings_with("zzz = 3\n"),
        FlowDefinitionError,
        r"unknown key 'zzz'. Fix: the keys are: flows,",
    ),
]


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: c.id)
def test_api_bad_input(case: ApiCase, project: Project) -> None:
    history = project.history()
    committed = {k: v for k, v in project.committed().items() if k != "pyproject.toml"}
    if case.raises is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RunStoreUnavailable)  # only where the case expects it
            result = case.call(project)
        assert case.check is not None
        case.check(result, project)
    else:
        with pytest.raises(case.raises) as caught:
            case.call(project)
        message = str(caught.value)
        assert "\n" not in message
        assert re.search(case.pattern, message), message
        if isinstance(caught.value, OrchestratorError) and not isinstance(
            caught.value, ParameterError
        ):
            assert "Fix:" in message
    assert {k: v for k, v in project.committed().items() if k != "pyproject.toml"} == committed
    if b"garbage" not in project.store.read_bytes()[:16]:
        after = project.history()
        assert {k: after[k] for k in history} == history


def test_an_interrupted_run_is_kept_as_aborted_with_its_cause(project: Project) -> None:
    with pytest.raises(KeyboardInterrupt) as caught:
        _flow(project, "interrupted").run()
    assert isinstance(caught.value, RunAborted)
    db = sqlite3.connect(project.store)
    try:
        row = db.execute(
            "SELECT status, error, cause FROM executions WHERE name = ?", (caught.value.run_id,)
        ).fetchone()
    finally:
        db.close()
    assert row == (
        "ABORTED",
        "KeyboardInterrupt",
        "interrupted in state 'interrupts' (Ctrl-C, or a task raised KeyboardInterrupt)",
    )
