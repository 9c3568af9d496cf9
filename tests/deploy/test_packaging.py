"""`infra/package/`: the Lambda layer (the runtime's import closure and its requirements) and the
project's code, written by `orchestrator build`; tasks Lambda could not import refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from orchestrator.cli.build import register
from orchestrator.deploy.build import generate
from orchestrator.deploy.packaging import CODE_DIR, LAYER_DIR, framework_closure, package_files
from orchestrator.errors import FlowDefinitionError
from tests.deploy.conftest import REPO, SIMPLE_FLOW, MakeProject

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _imported_in_a_fresh_interpreter(*modules: str) -> set[str]:
    """The `orchestrator` modules importing `modules` loads (Lambda's Init imports the entry
    point; each task module is imported on first use)."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {list(modules)!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'orchestrator')))"
    )
    env = {**os.environ, "ORCHESTRATOR_TASK": "functions.etl:extract"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(proc.stdout))


def test_the_layer_holds_what_the_handler_and_the_shipped_tasks_import() -> None:
    tasks = sorted(generate(REPO).task_modules)
    runtime = [
        f"orchestrator.runtime.{m}" for m in ("lambda_entry", "idempotency", "error_payload")
    ]
    loaded = _imported_in_a_fresh_interpreter(*runtime, *tasks)
    shipped = {
        p.relative_to(LAYER_DIR)
        .with_suffix("")
        .as_posix()
        .replace("/", ".")
        .removesuffix(".__init__")
        for p in package_files(REPO, tasks)
        if p.is_relative_to(LAYER_DIR) and p.suffix == ".py"
    }
    assert loaded <= shipped, loaded - shipped
    # and nothing a Lambda never imports: no CLI, deploy, planner, local engine or test harness
    for absent in ("cli", "deploy", "planner", "local", "testing", "viz", "graph", "loader"):
        assert not any(m.startswith(f"orchestrator.{absent}") for m in shipped), absent


def test_the_closure_follows_what_user_code_imports_from_orchestrator() -> None:
    base = framework_closure()
    assert "orchestrator.runtime.idempotency" in base  # a lazy import of the runtime
    assert "orchestrator.graph" not in base  # a lazy import of Flow: planning, not Lambda
    with_shim = framework_closure(["orchestrator.utilities.aws"])
    assert {"orchestrator.utilities", "orchestrator.compat.lambda_deploy"} <= with_shim - base


def test_layer_requirements_are_the_runtimes_then_the_projects(
    make_project: MakeProject,
) -> None:
    root = make_project(SIMPLE_FLOW)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "name = 'demo'", "name = 'demo'\ndependencies = ['requests>=2', 'orchestrator>=0.1']"
        )
    )
    files = package_files(root, generate(root).task_modules)
    lines = [
        line
        for line in files[LAYER_DIR / "requirements.txt"].decode().splitlines()
        if not line.startswith("#")
    ]
    # The runtime's (with orchestrator's bounds), then the project's; boto3 ships with the Lambda
    # runtime and orchestrator itself is the layer's code.
    assert "aws-lambda-powertools[tracer]<4,>=3.0" in lines and lines[-1] == "requests>=2"
    assert not [line for line in lines if line.startswith(("boto3", "orchestrator"))]
    code = sorted(p.relative_to(CODE_DIR).as_posix() for p in files if p.is_relative_to(CODE_DIR))
    package = code[0].split("/")[0]
    assert code == [f"{package}/__init__.py", f"{package}/demo.py"]


def test_build_writes_the_package_and_check_ignores_it(make_project: MakeProject) -> None:
    root = make_project(SIMPLE_FLOW)
    result = runner.invoke(_app(), ["build", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert "wrote infra/package/layer" in result.output
    assert (root / "infra/package/layer/orchestrator/runtime/handler.py").is_file()
    stale = root / "infra/package/code/gone.py"
    stale.write_text("")
    (root / "infra/package/layer/requirements.txt").write_text("edited\n")
    # A build output, not a committed file: --check compares template.yaml and the ASL only.
    assert runner.invoke(_app(), ["build", "--check", "-p", str(root)]).exit_code == 0
    again = runner.invoke(_app(), ["build", "-p", str(root)])
    assert "wrote infra/package/code" in again.output and not stale.exists()
    assert "aws-lambda-powertools" in (root / "infra/package/layer/requirements.txt").read_text()


def test_a_loose_module_ships_with_the_project_modules_it_imports(
    tmp_path: Path, isolated_imports: None
) -> None:
    root = tmp_path / "loose"
    root.mkdir()
    (root / "helpers_for_loose.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "pipeline_loose.py").write_text(
        textwrap.dedent(
            """
            from helpers_for_loose import double
            from orchestrator import flow, task

            @task
            def twice(n: int) -> int:
                return double(n)

            @flow(name="loose")
            def loose(n: int = 1):
                return twice(n)
            """
        )
    )
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'loose'\n\n[tool.orchestrator]\nflows = ['pipeline_loose.py:loose']\n"
    )
    files = package_files(root, generate(root).task_modules)
    code = sorted(p.relative_to(CODE_DIR).as_posix() for p in files if p.is_relative_to(CODE_DIR))
    assert code == ["helpers_for_loose.py", "pipeline_loose.py"]


UNIMPORTABLE = {
    "locals": """
        from orchestrator import flow, task

        def make():
            @task
            def mul(x: int) -> int:
                return 2 * x
            return mul

        mul = make()

        @flow(name="made")
        def flow(n: int = 1):
            return mul(n)
    """,
    "lambda": """
        from orchestrator import flow, task

        double = task(lambda x: 2 * x)

        @flow(name="made")
        def flow(n: int = 1):
            return double(n)
    """,
}


@pytest.mark.parametrize("kind", sorted(UNIMPORTABLE))
def test_a_task_lambda_cannot_import_is_refused_at_build(
    make_project: MakeProject, kind: str
) -> None:
    root = make_project(UNIMPORTABLE[kind])
    with pytest.raises(FlowDefinitionError) as caught:
        generate(root)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("flow 'made', task ")
    assert "Lambda cannot import" in message and "define the task with @task at module level" in (
        message
    )
    result = runner.invoke(_app(), ["build", "-p", str(root)])
    assert result.exit_code != 0 and not (root / "template.yaml").exists()


def test_a_task_in_main_is_refused(make_project: MakeProject) -> None:
    from orchestrator.deploy.project import check_importable

    root = make_project(SIMPLE_FLOW)
    graph = generate(root).builds[0].graph
    node = graph.nodes[0].model_copy(update={"task_key": "__main__:fetch"})
    broken = graph.model_copy(update={"nodes": [node, *graph.nodes[1:]]})
    with pytest.raises(FlowDefinitionError, match=r"its module is __main__ .*Fix: define the"):
        check_importable(broken)
