"""`sam build` of the shipped template succeeds with a local Python 3.12 (no Docker), from what
`orchestrator build` writes: one layer with the runtime and its dependencies, and functions that
hold only the project's code."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from orchestrator.deploy.validate import sam_executable
from tests.deploy.conftest import package_repo

PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin")


def _python312_dir() -> Path | None:
    if (PYTHON312 / "python3.12").exists():
        return PYTHON312
    found = shutil.which("python3.12")
    return Path(found).parent if found else None


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.mark.slow
def test_sam_build_ships_the_runtime_once_in_a_layer_and_the_tasks_per_function(
    tmp_path: Path,
) -> None:
    sam, python = sam_executable(), _python312_dir()
    if sam is None:
        pytest.skip("the sam CLI is not installed (pip install aws-sam-cli)")
    if python is None:
        pytest.skip("sam build needs a python3.12 on PATH for the python3.12 runtime")
    repo = package_repo()
    # A cache that outlives the test keeps re-runs well under a minute (pip downloads dominate).
    cache = Path(tempfile.gettempdir()) / "orchestrator-sam-build-cache"
    env = {
        **os.environ,
        "PATH": f"{python}{os.pathsep}{os.environ['PATH']}",
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    proc = subprocess.run(
        [
            sam,
            "build",
            "--template-file",
            "template.yaml",
            "--build-dir",
            str(tmp_path / "out"),
            "--cache-dir",
            str(cache),
            "--cached",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = tmp_path / "out"
    layer = out / "OrchestratorRuntimeLayer" / "python"  # where Lambda puts it on sys.path
    assert (layer / "orchestrator/runtime/lambda_entry.py").is_file()
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "aws_xray_sdk").is_dir()  # the [tracer] extra
    # Only what a handler imports: no CLI, deploy, planner, local engine or test harness.
    for absent in ("cli", "deploy", "planner", "local", "testing", "viz", "graph"):
        assert not (layer / "orchestrator" / absent).exists(), absent
    function = out / "ExtractFunction"
    assert (function / "functions/etl.py").is_file()
    assert sorted(p.name for p in function.iterdir()) == ["functions"]
    # Each function is its code alone (it was 40 MB with the framework and its dependencies).
    functions = [d for d in out.iterdir() if d.is_dir() and d.name.endswith("Function")]
    assert len(functions) > 20 and max(_size(d) for d in functions) < 200_000
