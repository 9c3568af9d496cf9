"""The bad-input table: every mistake gets one `error:` line, the right exit code, no traceback.

Each case runs the CLI in-process on a fresh project (tests/cli/conftest.py) and checks, besides
the exit code and the one line:

* the earlier run in the store is still there, unchanged (or, when the case broke the store on
  purpose, the broken file is byte for byte what it was: never overwritten);
* the committed files (template.yaml, infra/statemachines/, pyproject.toml, the flows) are
  byte for byte what they were.

Exit codes: 2 a user error, 1 a failed run, 130 Ctrl-C; 0 for a run that goes on without a
usable store, saying so in one `note:` line.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from tests.cli.conftest import Project

Setup = Callable[[Project, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]  # "@flow" stands for the project's spec of that flow
    exit: int
    pattern: str  # what the `error:` line (exit != 0) or the `note:` line (exit 0) says
    setup: Setup | None = None
    breaks_store: bool = False  # the setup replaced the store: it must stay byte-identical
    extra: tuple[str, ...] = field(default=())  # more regexes the whole output must match


# -- setups ---------------------------------------------------------------------------------


def _store_at(path: str) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ORCHESTRATOR_STORE", str(project.root / path))

    return setup


def _corrupt(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.store.write_bytes(b"this is not a database\n" * 10)


def _truncated(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    data = project.store.read_bytes()
    project.store.write_bytes(data[: len(data) // 3])


def _directory(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "somewhere").mkdir()
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(project.root / "somewhere"))


def _read_only(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store SQLite cannot write (simulated: the suite may run as root, who can write)."""
    real = sqlite3.connect

    class ReadOnly(sqlite3.Connection):
        def executescript(self, script: str) -> sqlite3.Cursor:
            raise sqlite3.OperationalError("attempt to write a readonly database")

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        if kwargs.get("uri"):
            return real(*args, **kwargs)  # type: ignore[arg-type]
        return real(*args, factory=ReadOnly, **kwargs)  # type: ignore[arg-type,misc]

    monkeypatch.setattr("orchestrator.local.store.sqlite3.connect", connect)


def _pyproject(extra: str = "", flows: str | None = None) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.pyproject(extra, flows)
        project.forget_modules()  # a new process would read the flows with the new settings

    return setup


def _listing(*flows: str) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.pyproject(flows="[" + ", ".join(f'"{project.spec(f)}"' for f in flows) + "]")

    return setup


def _file(rel: str, text: str | bytes) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.write(rel, text)

    return setup


def _remove(rel: str) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        (project.root / rel).unlink()

    return setup


def _module(name: str, source: str) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.write(f"{project.package}/{name}.py", source)

    return setup


def _pkg_spec(name: str, attr: str) -> str:
    return f"@@{name}:{attr}"  # "@@module:attr": a module of the project's package


CASES = [
    # -- the command line itself ------------------------------------------------------------
    Case("unknown-option", ("run", "@good", "--bogus"), 2, r"No such option: --bogus"),
    Case("unknown-command", ("nosuch",), 2, r"No such command 'nosuch'"),
    Case("limit-not-int", ("runs", "list", "--limit", "x"), 2, r"Invalid value for '--limit'"),
    Case("run-nothing", ("run",), 2, r"name a flow to run"),
    Case("bad-clock", ("run", "@good", "--clock", "sometimes"), 2, r"not a clock"),
    Case("bad-graph-format", ("graph", "@good", "--format", "pdf"), 2, r"--format"),
    Case("show-no-id", ("runs", "show"), 2, r"Missing argument"),
    Case("show-unknown-id", ("runs", "show", "nope"), 2, r"no execution matches 'nope'"),
    Case("all-with-param", ("run", "--all", "--param", "n=1"), 2, r"cannot be combined"),
    Case("deploy-no-stage", ("deploy",), 2, r"Missing option '--stage'"),
    Case("debug-takes-no-value", ("--debug=yes", "run", "@good"), 2, r"--debug"),
    # -- --param ----------------------------------------------------------------------------
    Case("param-not-int", ("run", "@good", "--param", "n=abc"), 2, r"n=abc does not fit `n: int`"),
    Case("param-fraction", ("run", "@good", "--param", "n=1.5"), 2, r"does not fit `n: int`"),
    Case("param-nan", ("run", "@good", "--param", "n=NaN"), 2, r"parameters must be JSON.*nan"),
    Case("param-broken-object", ("run", "@good", "--param", "n={bad"), 2, r"starts like JSON"),
    Case("param-broken-list", ("run", "@good", "--param", "n=[1,"), 2, r"not valid JSON"),
    Case("param-broken-string", ("run", "@good", "--param", 'n="abc'), 2, r"starts like JSON"),
    Case("param-no-equals", ("run", "@good", "--param", "n"), 2, r"not key=value"),
    Case("param-no-key", ("run", "@good", "--param", "=3"), 2, r"not key=value"),
    Case("param-unknown", ("run", "@good", "--param", "y=1"), 2, r"no parameter 'y'"),
    Case("param-missing", ("run", "@typed"), 2, r"needs parameter 'n'"),
    Case(
        "param-list-of-str",
        ("run", "@typed", "--param", "n=1", "--param", "names=abc"),
        2,
        r"names=abc does not fit `names: list\[str\]`",
    ),
    Case(
        "param-list-items",
        ("run", "@typed", "--param", "n=1", "--param", "names=[1, 2]"),
        2,
        r"does not fit `names: list\[str\]`",
    ),
    Case("param-legacy-nan", ("run", "@legacy", "--param", "n=NaN"), 2, r"must be JSON"),
    Case("param-legacy-unknown", ("run", "@legacy", "--param", "m=1"), 2, r"no parameter 'm'"),
    # -- the flow named ---------------------------------------------------------------------
    Case("missing-file", ("run", "missing.py:flow"), 2, r"missing\.py does not exist"),
    Case("unknown-attribute", ("run", "@nope"), 2, r"has no attribute 'nope'"),
    Case("unknown-module", ("plan", "nosuchpkg.mod:f"), 2, r"no module named 'nosuchpkg'"),
    Case("task-not-flow", ("graph", "@add"), 2, r":add is a Task, not a Flow"),
    Case(
        "exit-at-import",
        ("plan", _pkg_spec("quits", "f")),
        2,
        r"importing \S+\.quits failed with SystemExit: 7 \(\S+/quits\.py:2\)",
        setup=_module("quits", "import sys\nsys.exit(7)\n"),
    ),
    Case(
        "exit-in-flow-body",
        ("graph", _pkg_spec("quits_body", "f")),
        2,
        r"flow 'f': building the flow called sys\.exit\(1\) \(\S+/quits_body\.py:5\)",
        setup=_module(
            "quits_body",
            "import sys\nfrom orchestrator import flow\n@flow\ndef f():\n    sys.exit(1)\n",
        ),
    ),
    Case(
        "syntax-error",
        ("run", _pkg_spec("broken", "f")),
        2,
        r"SyntaxError",
        setup=_module("broken", "def f(:\n"),
    ),
    # -- files written --------------------------------------------------------------------
    Case("plan-o-missing-dir", ("plan", "@good", "-o", "nodir/x.json"), 2, r"folder nodir does"),
    Case("graph-o-missing-dir", ("graph", "@good", "-o", "nodir/g.dot"), 2, r"folder nodir does"),
    Case("plan-o-under-a-file", ("plan", "@good", "-o", "template.yaml/x"), 2, r"is not a folder"),
    Case(
        "plan-o-a-directory", ("plan", "@good", "-o", "infra"), 2, r"Invalid value for '--output'"
    ),
    Case("graph-o-unknown-type", ("graph", "@good", "-o", "g.pdf"), 2, r"unknown file type"),
    # -- validate ---------------------------------------------------------------------------
    Case(
        "validate-before-build",
        ("validate", "--no-sam"),
        2,
        r"template\.yaml: does not exist.*orchestrator build",
        setup=_remove("template.yaml"),
    ),
    Case(
        "validate-not-yaml",
        ("validate", "--no-sam"),
        2,
        r"template\.yaml: is not valid YAML .*line \d+",
        setup=_file("template.yaml", "Resources: [unclosed\n  - {\n"),
    ),
    Case(
        "validate-yaml-list",
        ("validate", "--no-sam"),
        2,
        r"is not a SAM template",
        setup=_file("template.yaml", "- just\n- a list\n"),
    ),
    Case(
        "validate-binary",
        ("validate", "--no-sam"),
        2,
        r"is not valid YAML",
        setup=_file("template.yaml", b"\xff\xfe\x00garbage"),
    ),
    Case(
        "validate-missing-project",
        ("validate", "--no-sam", "--project", "nowhere"),
        2,
        r"nowhere.*is not a project folder",
    ),
    # -- [tool.orchestrator] ----------------------------------------------------------------
    Case(
        "settings-typo-run",
        ("run", "@good"),
        2,
        r"unknown key 'defualt_memory'.*did you mean 'default_memory'",
        setup=_pyproject("defualt_memory = 512\n"),
    ),
    Case(
        "settings-typo-build",
        ("build", "--check"),
        2,
        r"unknown key 'flow'.*did you mean 'flows'",
        setup=_pyproject("flow = []\n"),
    ),
    Case(
        "settings-typo-plan",
        ("plan", "@good"),
        2,
        r"unknown key 'timeout'.*the keys are",
        setup=_pyproject("timeout = 3\n"),
    ),
    Case(
        "settings-bad-toml",
        ("run", "--all"),
        2,
        r"is not valid TOML",
        setup=_pyproject("flows = [\n"),
    ),
    Case(
        "settings-bad-architecture",
        ("build", "--check"),
        2,
        r"architecture = 'sparc'",
        setup=_pyproject('architecture = "sparc"\n'),
    ),
    Case(
        "settings-flows-not-list",
        ("run", "--all"),
        2,
        r"flows .* is not a non-empty list",
        setup=_pyproject(flows='"x"'),
    ),
    Case(
        "settings-memory-range",
        ("run", "@good"),
        2,
        r"default_memory = 1 is not an integer in",
        setup=_pyproject("default_memory = 1\n"),
    ),
    Case(
        "run-all-no-pyproject",
        ("run", "--all"),
        2,
        r"does not exist",
        setup=_remove("pyproject.toml"),
    ),
    # -- a failed run: exit 1, the error and the user's line --------------------------------
    Case(
        "task-raises",
        ("run", "@bad"),
        1,
        r"flow 'bad' FAILED: ValueError: bad 1 \(task 'boom', cliproj\w+/flows\.py:\d+\)",
        extra=(r'File "cliproj\w+/flows\.py", line \d+, in boom',),
    ),
    Case("task-sys-exit-3", ("run", "@exit3"), 1, r"SystemExit: the task called sys\.exit\(3\)"),
    Case("task-sys-exit-none", ("run", "@exit_none"), 1, r"called sys\.exit\(None\)"),
    Case("task-sys-exit-worker", ("run", "@exit_worker"), 1, r"called sys\.exit\(5\)"),
    Case("task-raise-system-exit", ("run", "@system_exit"), 1, r"sys\.exit\('bye'\)"),
    Case(
        "task-returns-set",
        ("run", "@returns_set"),
        1,
        r"TaskResultError: task 'not_json' returned a set",
    ),
    Case("task-divides-by-zero", ("run", "@divides", "--param", "n=0"), 1, r"ZeroDivisionError"),
    Case(
        "run-all-one-fails",
        ("run", "--all"),
        1,
        r"flow 'bad' FAILED",
        setup=_listing("good", "bad"),
    ),
    Case(
        "run-all-two-fail",
        ("run", "--all"),
        1,
        r"2 of 3 flows did not succeed: 'bad' \(FAILED\), 'exit3' \(FAILED\)",
        setup=_listing("good", "bad", "exit3"),
    ),
    # -- Ctrl-C: exit 130, the run kept as ABORTED ------------------------------------------
    Case(
        "task-keyboard-interrupt",
        ("run", "@interrupted"),
        130,
        r"interrupted in state 'interrupts'; run .* is ABORTED",
    ),
    Case(
        "task-keyboard-interrupt-worker",
        ("run", "@interrupted_worker"),
        130,
        r"flow 'interrupted_worker' was interrupted",
    ),
    # -- the run store ----------------------------------------------------------------------
    Case(
        "store-corrupt-list",
        ("runs", "list"),
        2,
        r"runs\.sqlite: is not a readable SQLite database.*Fix: move it aside",
        setup=_corrupt,
        breaks_store=True,
    ),
    Case(
        "store-corrupt-show",
        ("runs", "show", "x"),
        2,
        r"not a readable SQLite",
        setup=_corrupt,
        breaks_store=True,
    ),
    Case(
        "store-truncated-list",
        ("runs", "list"),
        2,
        r"corrupt or truncated",
        setup=_truncated,
        breaks_store=True,
    ),
    Case(
        "store-truncated-show",
        ("runs", "show", "x"),
        2,
        r"corrupt or truncated",
        setup=_truncated,
        breaks_store=True,
    ),
    Case(
        "store-corrupt-run",
        ("run", "@good"),
        0,
        r"this run is not kept in the run store: .*runs\.sqlite: is not a readable",
        setup=_corrupt,
        breaks_store=True,
    ),
    Case(
        "store-truncated-run",
        ("run", "@good"),
        0,
        r"not kept in the run store.*corrupt or truncated",
        setup=_truncated,
        breaks_store=True,
    ),
    Case(
        "store-corrupt-failing-run",
        ("run", "@bad"),
        1,
        r"flow 'bad' FAILED",
        setup=_corrupt,
        breaks_store=True,
        extra=(r"note: this run is not kept",),
    ),
    Case(
        "store-directory-list",
        ("runs", "list"),
        2,
        r"somewhere: is a directory.*Fix: set ORCHESTRATOR_STORE to a file",
        setup=_directory,
    ),
    Case("store-directory-show", ("runs", "show", "x"), 2, r"is a directory", setup=_directory),
    Case(
        "store-directory-run",
        ("run", "@good"),
        0,
        r"not kept in the run store: .*somewhere: is a directory",
        setup=_directory,
    ),
    Case(
        "store-under-a-file-run",
        ("run", "@good"),
        0,
        r"template\.yaml: cannot create the run store's folder",
        setup=_store_at("template.yaml/runs.sqlite"),
    ),
    Case(
        "store-read-only-run",
        ("run", "@good"),
        0,
        r"cannot be opened for writing.*Fix: make the file and its folder writable",
        setup=_read_only,
    ),
]


def _argv(project: Project, argv: tuple[str, ...]) -> list[str]:
    out = []
    for arg in argv:
        if arg.startswith("@@"):
            out.append(f"{project.package}.{arg[2:]}")
        elif arg.startswith("@"):
            out.append(project.spec(arg[1:]))
        else:
            out.append(arg)
    return out


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    history = project.history()
    if case.setup is not None:
        case.setup(project, monkeypatch)
    committed = project.committed()
    store_bytes = _hash(project.store)

    result = CliRunner().invoke(app, _argv(project, case.argv), catch_exceptions=False)

    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exit_code == case.exit, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if case.exit == 0:
        assert errors == [], output
        notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
        assert any(re.search(case.pattern, n) for n in notes), result.stderr
    else:
        assert len(errors) == 1, output
        assert errors[0] in result.stderr.splitlines()
        assert re.search(case.pattern, errors[0]), errors[0]
    for pattern in case.extra:
        assert re.search(pattern, output), output

    assert project.committed() == committed
    if case.breaks_store:
        assert _hash(project.store) == store_bytes  # a broken store is never overwritten
    else:
        after = project.history()
        assert {k: after[k] for k in history} == history  # earlier runs: all there, unchanged
        db = sqlite3.connect(project.store)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            db.close()


def test_the_table_is_large_enough() -> None:
    from tests.cli.test_api_bad_inputs import API_CASES

    assert len(CASES) + len(API_CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
