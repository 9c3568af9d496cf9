"""`orchestrator plan` and `build` on a flow whose one execution would exceed the history quota.

"Maximum execution history size: 25,000 events in a single state machine execution history"
(developer guide, "Step Functions service quotas"). Each command runs in its own process, as a
user runs it: the warning is a `note:` line on stderr.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

EXECUTABLE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "orchestrator"

FLOWS = """
from orchestrator import flow, task


@task
def seed(n: int) -> list[int]:
    return list(range(n))


@task(expected_items=1000)
def bump(x: int) -> int:
    return x + 1


@flow(name="wide")
def wide(n: int = 3):
    # Five chained inline Maps of 1,000 items, fused into one Map running the five tasks per
    # item: it fits an inline Map, not one execution's history.
    return bump.map(bump.map(bump.map(bump.map(bump.map(seed(n))))))


@flow(name="narrow")
def narrow(n: int = 3):
    return seed(n)
"""

# ExecutionStarted/Succeeded 2, seed's Task 5 (it builds the state document and merges the
# default: no bookkeeping Pass state), the fused inline Map's 4 events (Entered, Started,
# Succeeded, Exited) and 1,000 x (MapIterationStarted, five Task states of 5,
# MapIterationSucceeded).
WIDE_EVENTS = 2 + 5 + 4 + 1000 * (1 + 5 * 5 + 1)
WARNING = (
    f"note: flow 'wide': one execution of its machine records about {WIDE_EVENTS:,} history "
    "events, over Step Functions' 25,000-event quota for a Standard execution, and would fail; "
    "fix: map the large lists with distributed=True (a Distributed Map's items run as child "
    "executions with histories of their own), or split the flow into smaller flows"
)


def _project(tmp_path: Path, flows: str) -> Path:
    root = tmp_path / "proj"
    (root / "histproj").mkdir(parents=True)
    (root / "histproj" / "__init__.py").write_text("")
    (root / "histproj" / "flows.py").write_text(textwrap.dedent(FLOWS))
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'histproj'\n\n[tool.orchestrator]\nflows = {flows}\n"
    )
    return root


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXECUTABLE), *args], cwd=root, capture_output=True, text=True, check=False
    )


def test_plan_prints_the_estimate_and_warns_over_the_quota(tmp_path: Path) -> None:
    root = _project(tmp_path, '["histproj.flows:wide"]')
    result = _cli(root, "plan", "histproj.flows:wide")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines.count(WARNING) == 1
    assert (
        f"history: about {WIDE_EVENTS:,} events per execution, every task succeeding at its "
        "first attempt (Step Functions' quota for a Standard execution: 25,000)"
    ) in lines


def test_plan_prints_the_estimate_without_a_warning_under_the_quota(tmp_path: Path) -> None:
    root = _project(tmp_path, '["histproj.flows:narrow"]')
    result = _cli(root, "plan", "histproj.flows:narrow")
    assert result.returncode == 0, result.stderr
    history = [line for line in result.stderr.splitlines() if "history" in line]
    # ExecutionStarted/Succeeded and seed's Task: 2 + 5 (no bookkeeping Pass state).
    assert history == [
        "history: about 7 events per execution, every task succeeding at its first attempt "
        "(Step Functions' quota for a Standard execution: 25,000)"
    ]


def test_build_warns_over_the_quota_and_still_writes(tmp_path: Path) -> None:
    root = _project(tmp_path, '["histproj.flows:wide", "histproj.flows:narrow"]')
    result = _cli(root, "build")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines().count(WARNING) == 1
    assert "flow 'narrow'" not in result.stderr
    assert (root / "infra" / "statemachines" / "wide.asl.json").is_file()
