"""A machine over Step Functions' 1 MB definition quota only because of its indentation is
written without whitespace, and deploys whole (`asl_text`, `plan_flow`).

A DAG that is not series-parallel nests Parallel states about as deep as it has levels, and
`indent=2` puts two more spaces before every line at each level: the project's 300-task flow is
1.75 MB indented and 0.24 MB compact. Built with the real quota (nothing lowered), its committed
file is one line, `build --check` finds it current, and `run --committed` runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.engine.spec import MAX_DEFINITION_BYTES
from orchestrator.loader import load_flow
from orchestrator.planner import DefinitionOverQuota
from orchestrator.planner.split import definition_bytes
from tests.projects import mesh_flows, use_project

pytestmark = pytest.mark.usefixtures("isolated_imports")

FLOWS = mesh_flows(30)  # 300 tasks


def make_project(root: Path, monkeypatch: pytest.MonkeyPatch, flows: str) -> Path:
    pyproject = '[tool.orchestrator]\nflows = ["deepapp.flows:mesh"]\n'
    return use_project(root, monkeypatch, "deepapp", flows, pyproject)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch, FLOWS)


def test_a_deep_dag_is_built_compact_and_runs_from_its_committed_file(project: Path) -> None:
    result = CliRunner().invoke(app, ["build", "--project", str(project)])
    assert result.exit_code == 0, result.output
    folder = project / "infra" / "statemachines"
    assert [p.name for p in folder.glob("*.json")] == ["mesh.asl.json"]  # no child machines
    text = (folder / "mesh.asl.json").read_text("utf-8")
    assert text.count("\n") == 1 and text.endswith("}\n")
    # As deployed (each placeholder replaced by an ARN of up to 160 bytes): under the quota.
    assert definition_bytes(text) <= MAX_DEFINITION_BYTES
    machine = json.loads(text)
    indented = json.dumps(machine, indent=2, ensure_ascii=False) + "\n"
    assert definition_bytes(indented) > MAX_DEFINITION_BYTES

    check = CliRunner().invoke(app, ["build", "--check", "--project", str(project)])
    assert check.exit_code == 0, check.output
    printed = CliRunner().invoke(app, ["plan", "deepapp.flows:mesh"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == text and "written without whitespace" in printed.stderr

    mesh = load_flow("deepapp.flows:mesh")
    plan = mesh.plan()
    assert plan.text == text and plan.children == () and plan.oversize is None
    summary = plan.split_summary() or ""
    assert "written without whitespace" in summary and f"{len(text.encode()):,} B" in summary

    committed = mesh.run(committed=True, clock="virtual")
    compiled = mesh.run(clock="virtual")
    assert committed.state == compiled.state == "SUCCEEDED"
    assert committed.result == compiled.result
    assert len(committed.task_runs) == 300

    result = CliRunner().invoke(app, ["run", "deepapp.flows:mesh", "--committed", "-q"])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output


def test_a_dag_over_the_quota_even_compact_is_planned_with_a_warning_and_refused_by_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,200 tasks: over the quota compact too, and all under one top-level Parallel, which a
    split cannot cut. `plan` prints it (compact) with a warning, `build` refuses it in one line
    (exit 2) naming the flow, the state and a fix that fits a Parallel."""
    make_project(tmp_path, monkeypatch, mesh_flows(120))
    printed = CliRunner().invoke(app, ["plan", "deepapp.flows:mesh"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.count("\n") == 1 and json.loads(printed.stdout)["StartAt"]
    warned = [line for line in printed.stderr.splitlines() if line.startswith("warning:")]
    assert any("cannot be split off" in line and "runs locally" in line for line in warned)

    assert sum("cannot be split off" in line for line in printed.stderr.splitlines()) == 1
    with pytest.warns(DefinitionOverQuota, match="flow 'mesh'.*cannot be split off"):
        load_flow("deepapp.flows:mesh").asl()

    built = CliRunner().invoke(app, ["build", "--project", str(tmp_path)])
    assert built.exit_code == 2
    message = built.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "flow 'mesh'" in message and "'Parallel 1' (Parallel" in message
    assert "even without whitespace" in message and "series-parallel" in message
    assert not (tmp_path / "infra" / "statemachines").exists()
