"""A local run is the deployed run: settled options, and the committed state machine.

A user's project in tmp_path: `[tool.orchestrator] default_timeout = 1` must reach the ASL, the
template and the local engine alike, and a committed ASL edited by hand must be reported stale by
`orchestrator run` and run as it is by `orchestrator run --committed`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import FlowDefinitionError
from orchestrator.loader import load_flow
from orchestrator.local import StaleStateMachine
from tests.projects import use_project

pytestmark = pytest.mark.usefixtures("isolated_imports")

FLOWS = """\
import threading

from orchestrator import flow, task


@task
def first(x: int) -> int:
    return x + 1


@task(retries=2, retry_delay=60)
def hang(x: int) -> int:
    threading.Event().wait(30)  # far beyond any timeout here: only the timeout can end it
    return x


@task(timeout=7, tags=["billing", "pii"])
def bounded(x: int) -> int:
    return x


@flow
def quick(x: int = 1):
    "Adds one, quickly."
    return bounded(first(x))


@flow
def slow(x: int = 1):
    return hang(first(x))
"""

PYPROJECT = """\
[tool.orchestrator]
flows = ["app.flows:quick", "app.flows:slow"]
default_timeout = 1
default_memory = 512
service = "shop"
"""

FAIL_MACHINE = {
    "StartAt": "Edited",
    "States": {"Edited": {"Type": "Fail", "Error": "EditedByHand", "Cause": "not the code"}},
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_project(tmp_path, monkeypatch, "app", FLOWS, PYPROJECT)
    result = CliRunner().invoke(app, ["build", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def task_states(asl: dict) -> dict[str, dict]:
    return {k: v for k, v in asl["States"].items() if v["Type"] == "Task"}


def test_the_project_default_timeout_reaches_the_asl_and_the_template(project: Path) -> None:
    template = yaml.safe_load((project / "template.yaml").read_text(encoding="utf-8"))
    functions = {
        props["Properties"]["Environment"]["Variables"]["ORCHESTRATOR_TASK"]: props["Properties"]
        for props in template["Resources"].values()
        if props["Type"] == "AWS::Serverless::Function"
    }
    quick = json.loads((project / "infra/statemachines/quick.asl.json").read_text("utf-8"))
    slow = json.loads((project / "infra/statemachines/slow.asl.json").read_text("utf-8"))
    states = {**task_states(quick), **task_states(slow)}
    # No timeout= → the project's default_timeout (1), in the state and in the function.
    assert states["first"]["TimeoutSeconds"] == 1
    assert states["hang"]["TimeoutSeconds"] == 1
    assert states["bounded"]["TimeoutSeconds"] == 7
    assert functions["app.flows:first"]["Timeout"] == 1
    assert functions["app.flows:hang"]["Timeout"] == 1
    assert functions["app.flows:bounded"]["Timeout"] == 7
    assert {f["MemorySize"] for f in functions.values()} == {512}
    # Accepted options are honoured: tags= as a Lambda tag, the flow's docstring as the Comment.
    assert functions["app.flows:bounded"]["Tags"] == {"orchestrator:tags": "billing pii"}
    assert "Tags" not in functions["app.flows:first"]
    assert quick["Comment"] == "Orchestrator flow 'quick': Adds one, quickly."
    assert slow["Comment"] == "Orchestrator flow 'slow'"
    # A function logs as its flow: Powertools reads the variable itself. (`service` is what a
    # function serving several flows logs as.)
    for key, function in functions.items():
        variables = function["Environment"]["Variables"]
        flows = variables["ORCHESTRATOR_FLOW"].split(",")
        want = flows[0] if len(flows) == 1 else "shop"
        assert variables["POWERTOOLS_SERVICE_NAME"] == want, key


def test_a_task_without_timeout_times_out_locally_at_the_project_default(project: Path) -> None:
    slow = load_flow("app.flows:slow")
    run = slow.run(clock="virtual")
    assert run.state == "FAILED"
    assert run.error == "States.Timeout"
    hang = run.task_runs["hang"]
    assert (hang.state, hang.attempts, hang.error) == ("TIMED_OUT", 3, "States.Timeout")
    # The virtual clock records the retry waits instead of sleeping them.
    assert run.delays() == [("hang", 60.0), ("hang", 60.0)]


def test_an_edited_committed_machine_is_reported_stale_and_runs_with_committed(
    project: Path,
) -> None:
    path = project / "infra" / "statemachines" / "quick.asl.json"
    path.write_text(json.dumps(FAIL_MACHINE), encoding="utf-8")
    runner = CliRunner()

    compiled = runner.invoke(app, ["run", "app.flows:quick", "-q"])
    assert compiled.exit_code == 0, compiled.output
    notes = [line for line in compiled.output.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    assert "infra/statemachines/quick.asl.json" in notes[0] and "stale" in notes[0]
    assert "orchestrator build" in notes[0]

    committed = runner.invoke(app, ["run", "app.flows:quick", "--committed", "-q"])
    assert committed.exit_code == 1, committed.output
    assert "FAILED" in committed.output and "EditedByHand" in committed.output

    quick = load_flow("app.flows:quick")
    run = quick.run(committed=True, clock="virtual")
    assert (run.state, run.error, run.cause) == ("FAILED", "EditedByHand", "not the code")
    with pytest.warns(StaleStateMachine, match="quick.asl.json"):
        assert quick.run(clock="virtual").state == "SUCCEEDED"


def test_a_current_committed_machine_gives_no_note(project: Path) -> None:
    result = CliRunner().invoke(app, ["run", "app.flows:quick", "-q"])
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    again = CliRunner().invoke(app, ["run", "app.flows:quick", "--committed", "-q"])
    assert again.exit_code == 0, again.output
    assert "SUCCEEDED" in again.output


def test_a_flow_the_project_does_not_ship_has_no_committed_machine(project: Path) -> None:
    # Same name as a shipped flow, but not listed in [tool.orchestrator] flows.
    (project / "scratch.py").write_text(
        FLOWS.replace("def quick(", "def quick_copy(").replace(
            "@flow\ndef quick_copy", "@flow(name='quick')\ndef quick_copy"
        ),
        encoding="utf-8",
    )
    (project / "infra/statemachines/quick.asl.json").write_text(
        json.dumps(FAIL_MACHINE), encoding="utf-8"
    )
    copy = load_flow("scratch.py:quick_copy")
    assert copy.graph.resource_name == "quick"
    assert copy.run(clock="virtual").state == "SUCCEEDED"  # no stale note: not what deploys
    with pytest.raises(FlowDefinitionError, match="not one of a project's flows"):
        copy.run(committed=True)
    result = CliRunner().invoke(app, ["run", "scratch.py:quick_copy", "--committed"])
    assert result.exit_code == 2
    assert "not one of a project's flows" in result.output


def test_committed_without_a_built_file_says_to_build(project: Path) -> None:
    (project / "infra/statemachines/quick.asl.json").unlink()
    result = CliRunner().invoke(app, ["run", "app.flows:quick", "--committed"])
    assert result.exit_code == 2
    assert "quick.asl.json does not exist" in result.output
    assert "orchestrator build" in result.output
