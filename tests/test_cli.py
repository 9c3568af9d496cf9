"""The `orchestrator` CLI: plan and graph output, and one-line errors (exit 2) for bad flows.

Every bad-input case runs twice: through the CLI (one line on stderr, exit 2, no traceback) and
through the Python API (`load_flow(spec).graph` raises FlowDefinitionError with the same message).
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import FlowDefinitionError
from orchestrator.loader import load_flow

ROOT = Path(__file__).resolve().parents[1]
EXECUTABLE = ROOT / ".venv" / "bin" / "orchestrator"

GOOD = """
from orchestrator import flow, task

@task(retries=2, timeout=60)
def clean(rows: list) -> list:
    return rows

@task
def 汇总(rows: list) -> int:
    return len(rows)

@flow(name="推荐系统")
def etl(rows: list = [1, 2]):
    return 汇总(clean(rows))
"""


def _task_flow(option: str = "", schedule: str = "") -> str:
    return f"""
from orchestrator import flow, task

@task({option})
def clean(): ...

@flow(name="ETL"{schedule})
def etl():
    clean()
"""


def _schedule(expression: str) -> str:
    return _task_flow(schedule=f", schedule={expression!r}")


# (id, source of the flow file or None for no file, attribute, regex the message must match)
CASES = [
    (
        "cycle-set-upstream",
        """
from orchestrator import Flow, task
@task
def a(): ...
@task
def b(): ...
with Flow("ETL") as etl:
    ra = a()
    rb = b()
    ra.set_upstream(rb)
    rb.set_upstream(ra)
""",
        "etl",
        r"flow 'ETL'.*cycle: a → b → a",
    ),
    ("retries-negative", _task_flow("retries=-1"), "etl", r"task 'clean': retries=-1 is out of"),
    ("retries-1000", _task_flow("retries=1000"), "etl", r"task 'clean': retries=1000 is out of"),
    ("retries-str", _task_flow('retries="3"'), "etl", r"retries='3' is not a whole number"),
    ("timeout-901", _task_flow("timeout=901"), "etl", r"task 'clean': timeout=901 s is out of"),
    ("timeout-1.5", _task_flow("timeout=1.5"), "etl", r"timeout=1.5 is not a whole number"),
    ("memory-100", _task_flow("memory=100"), "etl", r"memory=100 is not a Lambda memory size"),
    ("unknown-option", _task_flow("retry=3"), "etl", r"unknown task option 'retry'"),
    ("bad-trigger", _task_flow('trigger="sometimes"'), "etl", r"trigger='sometimes' is not a"),
    (
        "tag-with-space",
        _task_flow('tags=["two words"]'),
        "etl",
        r"tag 'two words' cannot be an AWS",
    ),
    # Accepted but not compiled would be ignored: refused until the planner compiles it.
    (
        "uncompiled-trigger",
        _task_flow('trigger="manual_only"'),
        "etl",
        r"task 'clean': trigger=manual_only \(pause until a person resumes the run\) is not "
        "compiled to Step Functions yet",
    ),
    ("rate-1-hours", _schedule("rate(1 hours)"), "etl", r"flow 'ETL'.*wrong unit.*rate\(1 hour\)"),
    ("rate-0-minutes", _schedule("rate(0 minutes)"), "etl", r"flow 'ETL'.*zero rate"),
    pytest.param(
        "cron-5-fields",
        _schedule("cron(0 * * * *)"),
        "etl",
        r"flow 'ETL'.*5 cron fields",
        id="cron-5-fields",
    ),
    ("every-hour", _schedule("every hour"), "etl", r"flow 'ETL'.*'every hour' is not a valid"),
    (
        "bad-timezone",
        """
from orchestrator import CronSchedule, flow, task
@task
def clean(): ...
@flow(name="ETL", schedule=CronSchedule("0 9 * * *", timezone="Mars/Olympus"))
def etl():
    clean()
""",
        "etl",
        r"unknown timezone 'Mars/Olympus'",
    ),
    (
        "const-datetime",
        """
import datetime
from orchestrator import flow, task
@task
def clean(day): ...
@flow(name="ETL")
def etl():
    clean(datetime.datetime(2024, 1, 1))
""",
        "etl",
        r"flow 'ETL', task 'clean': argument 'day' is a datetime .*not JSON",
    ),
    (
        "const-set",
        """
from orchestrator import Flow, task
@task
def clean(items): ...
with Flow("ETL") as etl:
    clean({1, 2})
""",
        "etl",
        r"flow 'ETL', task 'clean': argument 'items' is a set .*not JSON",
    ),
    (
        "map-lengths",
        """
from orchestrator import flow, task
@task
def add(x, y): ...
@flow(name="ETL")
def etl():
    add.map([1, 2, 3], [1, 2])
""",
        "etl",
        r"flow 'ETL', task 'add': \.map\(\.\.\.\) zips iterables of different lengths",
    ),
    (
        "map-non-iterable",
        """
from orchestrator import flow, task
@task
def process_shard(shard): ...
@flow(name="ETL")
def etl():
    process_shard.map(5)
""",
        "etl",
        r"task 'process_shard': argument 'shard' of \.map\(\.\.\.\) is of type int",
    ),
    (
        "if-task-result",
        """
from orchestrator import flow, task
@task
def check(): ...
@task
def clean(): ...
@flow(name="ETL")
def etl():
    ok = check()
    if ok:
        clean()
""",
        "etl",
        r"flow 'ETL', task 'check': its result was used in an `if`",
    ),
    (
        "empty-flow",
        """
from orchestrator import flow
@flow(name="ETL")
def etl():
    pass
""",
        "etl",
        r"flow 'ETL': the flow calls no task",
    ),
    ("unknown-attr", GOOD, "nope", r"has no attribute 'nope' \(flows defined there: etl\)"),
    ("attr-not-a-flow", GOOD, "clean", r":clean is a Task, not a Flow"),
    ("missing-file", None, "etl", r"flow file .*missing\.py does not exist"),
    (
        "import-error",
        """
from orchestrator import flow
DATABASE = None
raise RuntimeError("DATABASE_URL is not set")
""",
        "etl",
        r"importing .*\.py failed with RuntimeError: DATABASE_URL is not set \(.*\.py:4\)",
    ),
    ("syntax-error", "def broken(:\n    pass\n", "etl", r"failed with SyntaxError: .*\.py:1"),
    (
        "several-flows-no-attr",
        """
from orchestrator import flow, task
@task
def clean(): ...
@flow
def first():
    clean()
@flow
def second():
    clean()
""",
        None,
        r"defines several flows \(first, second\)",
    ),
    pytest.param(
        "option-named-options",
        _task_flow("options=1"),
        "etl",
        r"unknown task option 'options'",
        id="option-named-options",
    ),
]


def _case_id(case: object) -> str:
    return case[0] if isinstance(case, tuple) else str(case)


def _write_case(directory: Path, case_id: str, source: str | None, attr: str | None) -> str:
    """The spec of the case's flow file (relative to `directory`), written unless `source` is
    None."""
    name = "etl_" + case_id.replace("-", "_").replace(".", "_") + ".py"
    if source is None:
        name = "missing.py"
    else:
        (directory / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return f"{name}:{attr}" if attr else name


pytestmark = pytest.mark.usefixtures("isolated_imports")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _cli(runner: CliRunner, *args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("case_id", "source", "attr", "pattern"), CASES, ids=_case_id)
def test_cli_reports_bad_flow_on_one_line(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case_id: str,
    source: str | None,
    attr: str | None,
    pattern: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, case_id, source, attr)
    for command in ("plan", "graph"):
        result = _cli(runner, command, spec)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        message = lines[0]
        assert message.startswith("error: ")
        assert "Traceback" not in result.output
        assert re.search(pattern, message), message
        file = spec.partition(":")[0]
        assert "Fix:" in message or file in message, message
        assert "flow 'ETL'" in message or "task '" in message or file in message, message


@pytest.mark.parametrize(("case_id", "source", "attr", "pattern"), CASES, ids=_case_id)
def test_python_api_raises_flow_definition_error(
    tmp_path: Path, case_id: str, source: str | None, attr: str | None, pattern: str
) -> None:
    spec = _write_case(tmp_path, case_id, source, attr)
    with pytest.raises(FlowDefinitionError, match=pattern):
        load_flow(str(tmp_path / spec)).graph  # noqa: B018 - building the graph validates it


def test_debug_shows_the_traceback(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "debug", _task_flow("retries=-1"), "etl")
    result = _cli(runner, "--debug", "plan", spec)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: task 'clean'")


def test_user_exception_while_tracing_names_the_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = """
from orchestrator import flow, task
@task
def clean(): ...
@flow(name="ETL")
def etl():
    clean()
    return {}["missing"]
"""
    spec = _write_case(tmp_path, "trace_error", source, "etl")
    result = _cli(runner, "graph", spec)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: flow 'ETL': building the flow failed with KeyError: 'missing' "
        "(etl_trace_error.py:8). Fix: fix the flow body at that line (run with --debug for the "
        "traceback)\n"
    )


def test_unknown_module(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _cli(runner, "plan", "no_such_package.flows:etl")
    assert result.exit_code == 2
    assert "no module named 'no_such_package'" in result.stderr
    assert "Fix:" in result.stderr


def test_real_executable_reports_error_without_traceback(tmp_path: Path) -> None:
    spec = _write_case(tmp_path, "subprocess", _schedule("rate(1 hours)"), "etl")
    proc = subprocess.run(
        [str(EXECUTABLE), "graph", spec], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: flow 'ETL': schedule 'rate(1 hours)' has the wrong unit for 1 "
        "(etl_subprocess.py:7). Fix: AWS wants rate(1 hour)\n"
    )


# -- plan --------------------------------------------------------------------------------------


def test_plan_prints_asl(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "plan", GOOD, "etl")
    result = _cli(runner, "plan", spec)
    assert result.exit_code == 0, result.output
    asl = json.loads(result.stdout)
    assert asl == load_flow(spec).asl()
    assert result.stdout == json.dumps(asl, indent=2, ensure_ascii=False) + "\n"
    assert "推荐系统" in result.stdout  # not \u escapes


def test_plan_writes_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "plan_o", GOOD, None)  # the only flow: no attribute needed
    result = _cli(runner, "plan", spec, "-o", "out.asl.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = (tmp_path / "out.asl.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.loads(text)["StartAt"]


def test_plan_formatting_with_a_stub_planner(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI prints the plan's text (indent 2, Unicode kept, trailing newline), whatever the
    # planner emits: what `orchestrator build` commits, byte for byte.
    from orchestrator import planner

    stub = planner.Plan(asl={"Comment": '流程 "x"', "States": {}})
    monkeypatch.setattr(planner, "plan_flow", lambda graph, durations=None: stub)
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "plan_stub", GOOD, "etl")
    result = _cli(runner, "plan", spec)
    assert result.stdout == '{\n  "Comment": "流程 \\"x\\"",\n  "States": {}\n}\n'


def test_real_executable_plans_a_package_module() -> None:
    proc = subprocess.run(
        [str(EXECUTABLE), "plan", "functions.etl:etl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["States"]


# -- graph -------------------------------------------------------------------------------------


def test_graph_prints_dot(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "graph", GOOD, "etl")
    result = _cli(runner, "graph", spec)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('digraph "推荐系统" {')
    assert "汇总" in result.stdout


def test_graph_prints_mermaid(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "graph_mmd", GOOD, "etl")
    result = _cli(runner, "graph", spec, "--format", "mermaid")
    assert result.exit_code == 0, result.output
    assert "flowchart TD" in result.stdout


@pytest.mark.parametrize(("suffix", "start"), [(".dot", "digraph"), (".mmd", "---")])
def test_graph_writes_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, start: str
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "graph_file", GOOD, "etl")
    result = _cli(runner, "graph", spec, "-o", f"g{suffix}")
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"g{suffix}").read_text(encoding="utf-8").startswith(start)


def test_graph_png_without_graphviz(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "graph_png", GOOD, "etl")
    result = _cli(runner, "graph", spec, "-o", "g.png")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Graphviz is not installed")
    assert "apt-get install graphviz" in result.stderr
    assert "write .dot/.mmd" in result.stderr


def test_graph_unknown_suffix(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _write_case(tmp_path, "graph_pdf", GOOD, "etl")
    result = _cli(runner, "graph", spec, "-o", "g.pdf")
    assert result.exit_code == 2
    assert "unknown file type '.pdf'" in result.stderr


def test_help_lists_commands(runner: CliRunner) -> None:
    result = _cli(runner, "--help")
    assert result.exit_code == 0
    assert "plan" in result.stdout and "graph" in result.stdout


def test_plan_says_when_it_added_synchronisation_as_one_note(tmp_path: Path) -> None:
    path = tmp_path / "nshape.py"
    path.write_text(
        "from orchestrator import Flow, task\n"
        "@task\ndef a(): return 1\n"
        "@task\ndef b(): return 2\n"
        "@task\ndef c(x, y): return x + y\n"
        "@task\ndef d(y): return y\n"
        "with Flow('N') as flow:\n"
        "    ra, rb = a(), b()\n"
        "    c(ra, rb)\n"
        "    d(rb)\n"
    )
    result = subprocess.run(
        [str(EXECUTABLE), "plan", f"{path}:flow"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == [
        "note: flow 'N' is not series-parallel; Step Functions can only fork and join, so the "
        "planner added the synchronisation that lengthens the critical path least: "
        "d waits for a",
        "weights: 4 tasks default 1 s",
        "synchronisation: 1 dependency added (d waits for a); estimated makespan ÷ critical path "
        "1.00 (each task its estimate=, else its recorded duration, else 1 s)",
        # a's and b's results are both in the document when c runs: each offloads above half.
        "largest state document: at most 131,072 B of task results (2 at once, each stored by "
        "reference above 65,536 B), 0 B of constants, and the run's parameters (Step Functions' "
        "limit: 262,144 B)",
        # ExecutionStarted/Succeeded 2, two Parallels (a|b, then c|d) 4 each, four
        # lambda:invoke Tasks 5 each: 30 (what a local run of this flow records).
        "history: about 30 events per execution, every task succeeding at its first attempt "
        "(Step Functions' quota for a Standard execution: 25,000)",
    ]
