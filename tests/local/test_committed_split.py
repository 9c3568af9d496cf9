"""`orchestrator run --committed` of a flow split into child machines runs the committed files:
the parent's `infra/statemachines/<flow>.asl.json` and each child's `<flow>.<part>.asl.json`,
which the parent starts with `startExecution.sync:2` by the placeholder of its ARN.

The build lowers the definition limit (as tests/deploy/test_split_template.py does) so that a
12-task chain splits; the in-memory compile keeps the real limit and does not split.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.deploy import project as deploy_project
from orchestrator.engine.spec import START_EXECUTION_SYNC2
from orchestrator.errors import FlowDefinitionError
from orchestrator.loader import load_flow
from orchestrator.planner import plan_flow
from tests.projects import use_project

pytestmark = pytest.mark.usefixtures("isolated_imports")

FLOWS = """\
from orchestrator import flow, task


@task
def inc(x: int) -> int:
    return x + 1


@flow(name="chain")
def chain(x: int = 0):
    for _ in range(12):
        x = inc(x)
    return x
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pyproject = '[tool.orchestrator]\nflows = ["splitapp.flows:chain"]\n'
    use_project(tmp_path, monkeypatch, "splitapp", FLOWS, pyproject)
    with monkeypatch.context() as build_only:
        build_only.setattr(
            deploy_project, "plan_flow", functools.partial(plan_flow, max_definition_bytes=6_000)
        )
        result = CliRunner().invoke(app, ["build", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def _machines(root: Path) -> dict[str, dict]:
    folder = root / "infra" / "statemachines"
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def test_a_committed_run_of_a_split_flow_runs_the_committed_children(project: Path) -> None:
    machines = _machines(project)
    parent = machines.pop("chain.asl.json")
    assert len(machines) >= 2  # chain.part1.asl.json, chain.part2.asl.json, …
    starts = [s for s in parent["States"].values() if s.get("Resource") == START_EXECUTION_SYNC2]
    assert len(starts) == len(machines)

    result = CliRunner().invoke(app, ["run", "splitapp.flows:chain", "--committed", "-q"])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output

    chain = load_flow("splitapp.flows:chain")
    run = chain.run(committed=True, clock="virtual")
    assert (run.state, run.result) == ("SUCCEEDED", 12)
    # The parent's history holds the children's starts; the tasks ran in the children.
    assert [e.type for e in run.events].count("TaskSubmitted") == len(machines)
    assert run.task_runs["inc_12"].state == "SUCCEEDED"


def test_a_committed_run_says_which_child_file_is_missing(project: Path) -> None:
    (project / "infra" / "statemachines" / "chain.part2.asl.json").unlink()
    chain = load_flow("splitapp.flows:chain")
    with pytest.raises(FlowDefinitionError) as caught:
        chain.run(committed=True, clock="virtual")
    message = str(caught.value)
    assert "flow 'chain'" in message
    assert "infra/statemachines/chain.part2.asl.json does not exist" in message
    assert "orchestrator build" in message
    result = CliRunner().invoke(app, ["run", "splitapp.flows:chain", "--committed", "-q"])
    assert result.exit_code == 2
    assert "chain.part2.asl.json does not exist" in result.output
