"""`orchestrator plan` says what synchronisation it added and what it is estimated to cost."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app

pytestmark = pytest.mark.usefixtures("isolated_imports")

# a→c, b→c, b→d: not series-parallel. With a and d taking 2 s and b and c 1 s the critical
# path is 3 s (a, c or b, d), and every series-parallel order of it takes at least 4 s (by hand:
# a,b then c,d 2 + 2; b then a,c beside d 1 + 3; a beside b,d then c 3 + 1; the other two 5):
# 4 / 3 = 1.33, above the 1.25 that warrants a warning. All three 4 s trees tie, so the planner
# keeps the level barrier's, which makes d wait for a.
N_SHAPE = """
from orchestrator import Flow, task

@task(estimate={a})
def a(): return 1

@task(estimate=1)
def b(): return 2

@task(estimate=1)
def c(x, y): return x + y

@task(estimate={d})
def d(y): return y

with Flow("N") as flow:
    ra, rb = a(), b()
    c(ra, rb)
    d(rb)
"""


def plan_stderr(tmp_path: Path, a: float, d: float) -> list[str]:
    path = tmp_path / f"nshape_{a}_{d}.py"
    path.write_text(textwrap.dedent(N_SHAPE.format(a=a, d=d)), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", f"{path}:flow"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()


def test_plan_warns_when_the_synchronisation_costs_more_than_a_quarter(tmp_path: Path) -> None:
    lines = plan_stderr(tmp_path, a=2, d=2)
    assert "d waits for a" in lines[0] and lines[0].startswith("note: ")
    assert lines[1] == "weights: 4 tasks from estimate="
    assert lines[2] == (
        "synchronisation: 1 dependency added (d waits for a); estimated makespan ÷ critical "
        "path 1.33 (each task its estimate=, else its recorded duration, else 1 s)"
    )
    assert lines[3].startswith(
        "warning: the synchronisation Step Functions needs makes this flow's estimated makespan "
        "1.33× its critical path (above 1.25)"
    )


def test_plan_follows_the_estimates_and_does_not_warn_when_cheap(tmp_path: Path) -> None:
    # a 4 s, d 3 s, b and c 1 s: the critical path is a, c = 5 s. Running a beside b then d,
    # and c after both, takes max(4, 1 + 3) + 1 = 5 s: no cost. The level barrier (a, b then
    # c, d) would take 4 + 3 = 7 s. What is added: c waits for d.
    lines = plan_stderr(tmp_path, a=4, d=3)
    assert lines[0].startswith("note: ") and lines[0].endswith("c waits for d")
    assert lines[2] == (
        "synchronisation: 1 dependency added (c waits for d); estimated makespan ÷ critical "
        "path 1.00 (each task its estimate=, else its recorded duration, else 1 s)"
    )
    assert not any(line.startswith("warning:") for line in lines)


# Two rows of 30 tasks, the i-th bottom reading the i-th and (i+1)-th top: connected, no clean
# cut, so every bottom waits for every top: 30 × 30 pairs less the 59 the flow has, 841 added.
ZIGZAG = """
from orchestrator import Flow, task

@task
def top(i): return i

@task
def bottom(x, y=0): return x + y

with Flow("Zigzag") as flow:
    tops = [top(i) for i in range(30)]
    for i in range(30):
        bottom(*tops[i : i + 2])
"""


def test_plan_names_the_first_added_dependencies_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "zigzag.py"
    path.write_text(textwrap.dedent(ZIGZAG), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", f"{path}:flow"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    note = lines[0]
    summary = next(line for line in lines if line.startswith("synchronisation:"))
    # The first bottom reads top and top_2: it waits for the other 28, the first 20 named.
    named = ", ".join(f"bottom waits for top_{i}" for i in range(3, 23))
    assert note.endswith(f"least: {named} and 821 more")
    assert summary.startswith(f"synchronisation: 841 dependencies added ({named} and 821 more)")
