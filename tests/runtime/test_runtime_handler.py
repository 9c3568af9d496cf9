"""The task handler local runs and Lambda share: resolution of ORCHESTRATOR_TASK, inputs, results.

The Lambda entry point around it (Powertools logs, metrics, traces) is tested in
test_runtime_lambda.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator import task
from orchestrator.contract import RESULTS_DIR_ENV, STORE_ENV
from orchestrator.runtime import handler
from orchestrator.runtime.handler import (
    TaskInputError,
    TaskNotFoundError,
    TaskResultError,
    TaskSpecError,
    execute_task,
    resolve_task,
    resolve_task_object,
)
from orchestrator.runtime.resolve import TaskLike, is_idempotent, task_function, task_options

ROOT = Path(__file__).resolve().parents[2]


@task
def double(x: int) -> int:
    return 2 * x


@task(idempotent=True, retries=2)
def charge(amount: int) -> str:
    return f"charged {amount}"


@task
def not_json() -> object:
    return {1, 2}


def helper(x: int) -> int:
    """A plain function in a task module: resolvable, run as is, never idempotent."""
    return x + 1


def test_execute_binds_inputs_by_name() -> None:
    assert execute_task(double.fn, {"task": "double", "inputs": {"x": 21}}) == 42


def test_non_json_result_names_the_task() -> None:
    with pytest.raises(TaskResultError, match="task 'not_json_3' returned a set"):
        execute_task(not_json.fn, {"task": "not_json_3", "inputs": {}})


def test_unknown_inputs_are_a_stale_deploy() -> None:
    with pytest.raises(TaskInputError, match=r"does not accept: \['y'\]"):
        execute_task(double.fn, {"task": "double", "inputs": {"x": 1, "y": 2}})


def test_check_json_is_gone() -> None:
    assert not hasattr(handler, "check_json")


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    outside_lambda = {k: v for k, v in os.environ.items() if k != "LAMBDA_TASK_ROOT"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**outside_lambda, **(env or {})},
    )
    return out.stdout.strip()


LOADED = "print(sorted(m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'boto'))))"


def test_handler_import_does_not_load_powertools() -> None:
    # Local runs import the handler for every task; Powertools is for Lambda only.
    assert run_python(f"import sys, orchestrator.runtime.handler; {LOADED}") == "[]"


def test_a_local_run_does_not_load_powertools(tmp_path: Path) -> None:
    (tmp_path / "tiny_flow.py").write_text(
        textwrap.dedent(
            """
            from orchestrator import flow, task

            @task
            def add(a: int, b: int) -> int:
                return a + b

            @flow(name="tiny")
            def tiny(a: int = 1) -> int:
                return add(a, add(a, a))
            """
        )
    )
    code = (
        "import sys, tiny_flow; run = tiny_flow.tiny.run(clock='virtual', a=2); "
        f"print(run.state, run.result); {LOADED}"
    )
    env = {
        "PYTHONPATH": str(tmp_path),
        STORE_ENV: str(tmp_path / "runs.sqlite"),
        RESULTS_DIR_ENV: str(tmp_path / "results"),
    }
    out = run_python(code, env)
    assert out.splitlines() == ["SUCCEEDED 6", "[]"], out


# -- ORCHESTRATOR_TASK resolution ---------------------------------------------------------


def test_resolve_task_returns_the_function_and_its_sibling_the_task() -> None:
    spec = f"{__name__}:charge"
    assert resolve_task(spec) is charge.fn
    resolved = resolve_task_object(spec)
    assert resolved is charge and resolved.options.idempotent


def test_a_task_is_recognised_by_its_shape_not_the_sdk_class() -> None:
    assert isinstance(charge, TaskLike) and not isinstance(helper, TaskLike)
    assert task_function(charge) is charge.fn and task_function(helper) is helper
    assert task_options(helper) is None and task_options(charge) is charge.options
    assert is_idempotent(charge) and not is_idempotent(double) and not is_idempotent(helper)

    class Shaped:  # anything with `.fn` and `.options`, e.g. another SDK's task object
        fn = staticmethod(helper)
        options = type("Options", (), {"idempotent": True})()

    assert task_function(Shaped()) is helper and is_idempotent(Shaped())
    assert resolve_task(f"{__name__}:helper") is helper


def test_the_runtime_does_not_import_the_sdk() -> None:
    import ast

    for path in sorted((ROOT / "orchestrator" / "runtime").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n.startswith("orchestrator.sdk") for n in names), path.name


@pytest.mark.parametrize("spec", ["functions.etl", ":extract", "functions.etl:"])
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(TaskSpecError, match="is not 'package.module:task_name'"):
        resolve_task(spec)
    assert issubclass(TaskSpecError, ValueError)  # what resolve_task always raised


def test_missing_module() -> None:
    with pytest.raises(TaskNotFoundError, match="module 'functions.nope' is not importable"):
        resolve_task("functions.nope:extract")


def test_missing_task_lists_the_module_tasks() -> None:
    with pytest.raises(TaskNotFoundError) as info:
        resolve_task(f"{__name__}:dobule")
    message = str(info.value)
    assert "has no attribute 'dobule'" in message
    assert "charge, double, not_json)" in message


def test_a_broken_task_module_keeps_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_tasks.py").write_text(
        textwrap.dedent(
            """
            import not_installed_dependency  # the user's bug, not a resolution error
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        resolve_task("broken_tasks:work")
    assert not isinstance(info.value, TaskNotFoundError)
    assert info.value.name == "not_installed_dependency"
