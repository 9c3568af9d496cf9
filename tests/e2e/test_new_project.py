"""A new user's path, outside this repository: `pip install` the package into a fresh venv as the
README says, `orchestrator init`, then `orchestrator build`, `validate`, `sam build` and the
generated tests pass with no edit — and the function `sam build` made imports and runs its task
in a clean interpreter whose path is only the layer and the function's code.

Installing first without extras checks that a plain `pip install orchestrator` plans, runs and
builds, and that `validate` then names the extra it needs instead of failing with a traceback.

pip resolving the ~110 dependencies against the registries takes minutes; they are downloaded
once (through the machine's pip configuration) into a wheelhouse that outlives the test, keyed by
pyproject's dependency lists, and each run installs from it. The `sam build` cache is shared with
tests/deploy/test_sam_build.py for the same reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin/python3.12")
WHEELHOUSE = Path(tempfile.gettempdir()) / "orchestrator-e2e-wheelhouse"
SAM_CACHE = Path(tempfile.gettempdir()) / "orchestrator-sam-build-cache"
EXTRAS = "deploy,testing"

# Run by a python3.12 started with -I -S (no site-packages, no environment), the layer and the
# function's code as the only additions to its path, as Lambda's /opt/python and /var/task.
CLEAN_IMPORT = """
import json, os, sys
layer, code = sys.argv[1], sys.argv[2]
sys.path[:0] = [layer, code]
os.environ.update(ORCHESTRATOR_TASK="flows.example:square", ORCHESTRATOR_FLOW="squares",
                  ORCHESTRATOR_RESULTS_BUCKET="results", AWS_DEFAULT_REGION="us-east-1")
from orchestrator.runtime.lambda_entry import lambda_handler
import flows.example, orchestrator

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "SquareFunction", 256, "request-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SquareFunction"
    def get_remaining_time_in_millis(self):
        return 30000

event = {"task": "square", "inputs": {"x": 7}, "context": {"flow": "squares"}}
result = lambda_handler(event, Context())
print(json.dumps({"result": result, "orchestrator": orchestrator.__file__,
                  "task": flows.example.__file__, "sys_path": sys.path}))
"""


def _python312() -> Path | None:
    if PYTHON312.is_file():
        return PYTHON312
    found = shutil.which("python3.12")
    return Path(found) if found else None


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{output[-4000:]}"
    return output


def _wheelhouse(env: dict[str, str]) -> Path:
    """Wheels of every dependency of `orchestrator[deploy,testing]` (and of building it)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    key = hashlib.sha256(
        json.dumps([project["build-system"], project["project"]], sort_keys=True).encode()
    ).hexdigest()
    stamp = WHEELHOUSE / "stamp"
    if stamp.is_file() and stamp.read_text() == key:
        return WHEELHOUSE
    requirements = [f"{REPO}[{EXTRAS}]", *project["build-system"]["requires"]]
    _run([sys.executable, "-m", "pip", "wheel", "-q", "-w", WHEELHOUSE, *requirements],
         REPO, env, timeout=600)  # fmt: skip
    for own in WHEELHOUSE.glob("orchestrator-*.whl"):
        own.unlink()  # installed from the repository path, never from here
    stamp.write_text(key)
    return WHEELHOUSE


@pytest.mark.slow
def test_init_build_validate_sam_build_and_test_in_a_fresh_venv(tmp_path: Path) -> None:
    python = _python312()
    if python is None:
        pytest.skip("needs python3.12 (Lambda's runtime) for the venv and sam build")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(SAM_CLI_TELEMETRY="0", AWS_DEFAULT_REGION="us-east-1")
    wheels = _wheelhouse(env)
    venv, project = tmp_path / "venv", tmp_path / "my-flows"
    assert not project.resolve().is_relative_to(REPO)
    _run([python, "-m", "venv", venv], tmp_path, env)
    bin_ = venv / "bin"
    env["PATH"] = os.pathsep.join([str(bin_), str(python.parent), env["PATH"]])
    pip = [bin_ / "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", wheels]

    # The README's `pip install orchestrator`, without extras: plan, run and build work.
    _run([*pip, REPO], tmp_path, env)
    assert not (venv / "lib/python3.12/site-packages/functions").exists()  # demo flows stay here
    _run([bin_ / "orchestrator", "init", project], tmp_path, env)
    refused = subprocess.run(
        [bin_ / "orchestrator", "init", project], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "is not empty" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    _run([bin_ / "orchestrator", "build"], project, env)
    ran = _run(
        [bin_ / "orchestrator", "run", "flows.example:squares", "--param", "n=4"], project, env
    )
    assert "SUCCEEDED" in ran and "30" in ran  # 1 + 4 + 9 + 16
    validate = subprocess.run(
        [bin_ / "orchestrator", "validate"], cwd=project, env=env, capture_output=True, text=True
    )
    assert validate.returncode == 1 and "Traceback" not in validate.stdout + validate.stderr
    assert "pip install 'orchestrator[deploy]'" in validate.stderr

    # With the extras the README names for validating, deploying and testing.
    _run([*pip, f"{REPO}[{EXTRAS}]"], tmp_path, env)
    _run([bin_ / "orchestrator", "build", "--check"], project, env)
    checks = _run([bin_ / "orchestrator", "validate"], project, env)
    assert "ok   sam validate --lint" in checks, checks
    _run([bin_ / "sam", "build", "--cache-dir", SAM_CACHE, "--cached"], project, env, timeout=300)
    tests = _run([bin_ / "pytest", "-q", "-p", "no:cacheprovider"], project, env)
    assert "2 passed" in tests, tests

    built = project / ".aws-sam" / "build"
    layer, code = built / "OrchestratorRuntimeLayer" / "python", built / "SquareFunction"
    assert sorted(p.name for p in code.iterdir()) == ["flows"]
    clean = subprocess.run(
        [python, "-I", "-S", "-c", CLEAN_IMPORT, layer, code],
        cwd=tmp_path,
        env={"PATH": env["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    report = json.loads(clean.stdout.strip().splitlines()[-1])
    assert report["result"] == 49
    assert report["orchestrator"].startswith(str(layer)) and report["task"].startswith(str(code))
    assert not any("site-packages" in p for p in report["sys_path"])
