"""What `orchestrator build` refuses, with a message that says why and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from orchestrator.cli.build import register
from orchestrator.deploy.build import generate
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.project import check_schedule
from orchestrator.deploy.statemachines import check_substitutions
from orchestrator.errors import FlowDefinitionError, ScheduleError
from orchestrator.graph import ScheduleSpec
from tests.deploy.conftest import MakeProject

EXPRESS_FLOW = """
from orchestrator import flow, task

@task(timeout={timeout}, max_retries={retries})
def slow(n: int) -> int:
    return n

@task
def after(n: int) -> int:
    return n

@flow(name="quick", type="EXPRESS")
def flow(n: int = 1):
    return after(slow(n))
"""


def test_express_with_a_long_worst_case_is_refused(make_project: MakeProject) -> None:
    root = make_project(EXPRESS_FLOW.format(timeout=120, retries=2))
    with pytest.raises(FlowDefinitionError) as err:
        generate(root)
    message = str(err.value)
    assert "EXPRESS" in message and "slow → after" in message
    assert "422s" in message  # 3 attempts x 120 s, 2 x 1 s retry delay, 60 s for `after`
    assert 'type="STANDARD"' in message


def test_express_within_five_minutes_builds(make_project: MakeProject) -> None:
    root = make_project(EXPRESS_FLOW.format(timeout=20, retries=1))
    template = yaml.safe_load(generate(root).files[Path("template.yaml")])
    machine = template["Resources"]["QuickStateMachine"]["Properties"]
    assert machine["Type"] == "EXPRESS"
    assert machine["Logging"]["Level"] == "ALL"


def test_express_flow_timeout_over_five_minutes_is_refused(make_project: MakeProject) -> None:
    source = EXPRESS_FLOW.format(timeout=10, retries=0).replace(
        'type="EXPRESS")', 'type="EXPRESS", timeout=600)'
    )
    with pytest.raises(FlowDefinitionError, match="timeout=600s is longer than the 300s"):
        generate(make_project(source))


BAD_SCHEDULE = """
from orchestrator import flow, task

@task
def one(n: int) -> int:
    return n

@flow(name="sched", schedule="rate(1 hours)")
def flow(n: int = 1):
    return one(n)
"""


def test_invalid_schedule_is_refused_by_build(make_project: MakeProject) -> None:
    root = make_project(BAD_SCHEDULE)
    # The SDK refuses it when the flow is defined (as a FlowDefinitionError naming the line).
    with pytest.raises(
        FlowDefinitionError, match=r"'sched'.*wrong unit.*demo.py:8.*rate\(1 hour\)"
    ):
        generate(root)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["build", "-p", str(root)])
    assert isinstance(result.exception, FlowDefinitionError)
    assert "rate(1 hours)" in str(result.exception)
    assert not (root / "template.yaml").exists()


def test_invalid_schedule_in_a_graph_is_refused(make_project: MakeProject) -> None:
    root = make_project(BAD_SCHEDULE.replace("rate(1 hours)", "rate(1 hour)"))
    graph = generate(root).builds[0].graph
    for expression, timezone in [("every hour", None), ("rate(1 hour)", "Mars/Olympus")]:
        bad = graph.model_copy(
            update={"schedule": ScheduleSpec(expression=expression, timezone=timezone)}
        )
        with pytest.raises(ScheduleError, match="sched"):
            check_schedule(bad)


def test_scheduled_flow_with_a_required_parameter_is_refused(make_project: MakeProject) -> None:
    root = make_project(
        BAD_SCHEDULE.replace("rate(1 hours)", "rate(1 hour)").replace("n: int = 1", "n: int")
    )
    with pytest.raises(FlowDefinitionError, match=r"parameters \['n'\] have no default"):
        generate(root)


def test_substitution_mismatch_is_refused() -> None:
    asl = '{"FunctionName": "${AFunctionArn}", "x": "${BFunctionArn}"}'
    check_substitutions("f", asl, {"AFunctionArn", "BFunctionArn"})
    with pytest.raises(DeployError) as err:
        check_substitutions("f", asl, {"AFunctionArn", "CFunctionArn"})
    assert "without a substitution: BFunctionArn" in str(err.value)
    assert "no placeholder uses: CFunctionArn" in str(err.value)


def test_a_constant_that_looks_like_a_placeholder_is_refused(make_project: MakeProject) -> None:
    root = make_project(
        """
        from orchestrator import flow, task

        @task
        def greet(template: str) -> str:
            return template

        @flow(name="greeting")
        def flow():
            return greet("${NotAFunction}")
        """
    )
    with pytest.raises(DeployError, match="without a substitution: NotAFunction"):
        generate(root)


def test_bad_deploy_options_are_refused(make_project: MakeProject) -> None:
    for extra, match in [
        ('architecture = "sparc"\n', "not a Lambda architecture"),
        ("log_retention_days = 2\n", "not a CloudWatch retention"),
        ("default_timeout = 901\n", r"not an integer in \[1, 900\]"),
    ]:
        root = make_project(BAD_SCHEDULE.replace("rate(1 hours)", "rate(1 hour)"), extra)
        with pytest.raises(FlowDefinitionError, match=match):
            generate(root)
