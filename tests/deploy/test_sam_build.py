"""`sam build` of the shipped template succeeds with a local Python 3.12 (no Docker)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from orchestrator.deploy.validate import sam_executable
from tests.deploy.conftest import REPO

PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin")


def _python312_dir() -> Path | None:
    if (PYTHON312 / "python3.12").exists():
        return PYTHON312
    found = shutil.which("python3.12")
    return Path(found).parent if found else None


@pytest.mark.slow
def test_sam_build_ships_the_runtime_the_tasks_and_powertools(tmp_path: Path) -> None:
    sam, python = sam_executable(), _python312_dir()
    if sam is None:
        pytest.skip("the sam CLI is not installed (pip install aws-sam-cli)")
    if python is None:
        pytest.skip("sam build needs a python3.12 on PATH for the python3.12 runtime")
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
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    artifact = tmp_path / "out" / "ExtractFunction"
    assert (artifact / "orchestrator/runtime/handler.py").is_file()
    assert (artifact / "functions/etl.py").is_file()
    assert (artifact / "aws_lambda_powertools").is_dir()
    assert (artifact / "aws_xray_sdk").is_dir()  # the [tracer] extra
    assert not (artifact / "tests").exists() and not (artifact / ".venv").exists()
