"""Recorded durations: `orchestrator durations record` writes durations.json, and every caller of
the planner — `orchestrator build`, `orchestrator plan`, `flow.run()` — weighs tasks by it
(`estimate=` first, then recorded, then 1 s); the run store itself never reaches a build.

No test depends on how long anything really takes: runs are timed by clocks the tasks advance.
"""

from __future__ import annotations

import itertools
import json
import sys
import textwrap
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.durations import StaleDurations, weights_of
from orchestrator.loader import load_flow
from orchestrator.sdk.flow import Flow

pytestmark = pytest.mark.usefixtures("isolated_imports")

_counter = itertools.count()

# The N: c needs a; d needs a and b. Not series-parallel: Step Functions can only fork and join,
# so the planner must cut the four tasks into a part P (closed under dependencies) that runs
# before the rest Q. Every cut, and how long it takes with durations a, b, c, d:
#
#   P = {a, b}    then {c, d}:  max(a, b) + max(c, d)      adds "c waits for b"
#   P = {a}       then c beside b→d:  a + max(c, b + d)    adds "b waits for a"
#   P = {a, b, c} then {d}:     max(a + c, b) + d          adds "d waits for c"
#   P = {b}       then a, then c beside d:  b + a + max(c, d)
#   P = {a, c}    then b, d:    a + c + b + d
#   P = {a, b, d} then {c}:     max(a, b) + d + c
#
# All 1 s: 2, 2, 3, 3, 4, 3 — the first (the level barrier) meets the critical path, 2 s.
# Recorded a 1, b 3, c 4, d 2: 7, 6, 7, 8, 10, 9 — only "b waits for a" takes 6 s, against a
# critical path of max(a + c, a + d, b + d) = 5 s: ratio 1.20.
# With d's estimate=4 over its recorded 2 (a 1, b 3, c 4, d 4): 7, 8, 9, 12, 12, 11 — only the
# first takes 7 s, which is the critical path (b + d): ratio 1.00.
FLOWS = """
from orchestrator import flow, task

CLOCK = None  # the test's clock: each task advances it by the seconds it is given


@task
def a() -> int:
    return 1


@task
def b() -> int:
    return 2


@task
def c(x: int) -> int:
    return x


@task{d_options}
def d(x: int, y: int) -> int:
    return x + y


@flow
def n():
    ra, rb = a(), b()
    c(ra)
    d(ra, rb)


@task
def first(seconds: float) -> float:
    CLOCK.advance(seconds)
    return seconds


@task
def second(x: float, seconds: float, fail: bool) -> float:
    CLOCK.advance(seconds)
    if fail:
        raise ValueError("declined")
    return x + seconds


@flow
def chain(s1: float = 1.0, s2: float = 1.0, fail: bool = False):
    return second(first(s1), s2, fail)


@flow
def other(s1: float = 1.0):
    return first(s1)


@task
def inc(x: float) -> float:
    CLOCK.advance(2)
    return x + 1


@task
def double(x: float) -> float:
    CLOCK.advance(4)
    return 2 * x


@flow
def fused(xs: list = [1.0]):
    return double.map(inc.map(xs))
"""

RECORDED_N: dict[str, float] = {"a": 1, "b": 3, "c": 4, "d": 2}


class StepClock:
    """A clock that moves only when told: the engine's (`now`, `sleep`, `jitter`) and the
    tasks' (`advance`)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> None:
        self.advance(max(0.0, seconds))

    def jitter(self, upper: float) -> float:
        return 0.0


@dataclass
class Project:
    root: Path
    package: str

    def spec(self, flow: str) -> str:
        return f"{self.package}.flows:{flow}"

    def flow(self, name: str) -> Flow:
        flow = load_flow(self.spec(name), self.root)
        assert isinstance(flow, Flow)
        return flow

    @property
    def module(self) -> ModuleType:
        return sys.modules[f"{self.package}.flows"]

    def set_clock(self, clock: StepClock) -> None:
        """The clock the flows' tasks advance."""
        self.module.__dict__["CLOCK"] = clock

    @property
    def durations(self) -> Path:
        return self.root / "durations.json"

    def record(self, flows: dict[str, dict[str, float]], recorded: str = "2026-11-02") -> None:
        entries = {
            name: {"recorded": recorded, "from": "local runs", "runs": 5, "tasks": tasks}
            for name, tasks in flows.items()
        }
        self.durations.write_text(json.dumps({"flows": entries}), encoding="utf-8")

    def forget(self) -> None:
        """Drop the imported flows, so that the next load traces and plans them again."""
        for name in [m for m in sys.modules if m.split(".")[0] == self.package]:
            del sys.modules[name]


def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, d_options: str = "") -> Project:
    package = f"durproj{next(_counter)}_{tmp_path.name.replace('-', '_')}"
    root = tmp_path / "project"
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    source = textwrap.dedent(FLOWS).replace("{d_options}", d_options)
    (root / package / "flows.py").write_text(source, encoding="utf-8")
    flows = ", ".join(f'"{package}.flows:{f}"' for f in ("n", "chain"))
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'durproj'\n\n[tool.orchestrator]\nflows = [{flows}]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(root / ".orchestrator" / "runs.sqlite"))
    return Project(root, package)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    proj = make_project(tmp_path, monkeypatch)
    yield proj
    proj.forget()


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


# -- the planner weighs what durations.json records ---------------------------------------------


def test_without_recorded_durations_the_n_gets_the_level_barrier(project: Project) -> None:
    plan = project.flow("n").plan()
    assert list(plan.added) == [("b", "c")]  # c waits for b
    assert plan.makespan_ratio == 1.0
    assert project.flow("n").weights().summary() == "weights: 4 tasks default 1 s"


def test_recorded_durations_change_the_synchronisation(project: Project) -> None:
    project.record({"n": RECORDED_N})
    flow = project.flow("n")
    plan = flow.plan()
    assert list(plan.added) == [("a", "b")]  # b waits for a
    assert round(plan.makespan_ratio, 2) == 1.20
    # a first, then c beside the branch b → d.
    states = plan.asl["States"]
    assert plan.asl["StartAt"] == "a"
    assert states[states["a"]["Next"]]["Type"] == "Parallel"
    branches = [list(br["States"]) for br in states[states["a"]["Next"]]["Branches"]]
    assert sorted(branches) == [["b", "d"], ["c"]]
    assert flow.weights().summary() == "weights: 4 tasks recorded (durations.json, 2026-11-02)"


def test_an_estimate_wins_over_the_recorded_duration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = make_project(tmp_path, monkeypatch, d_options="(estimate=4)")
    try:
        proj.record({"n": RECORDED_N})
        flow = proj.flow("n")
        assert list(flow.plan().added) == [("b", "c")]  # c waits for b: d weighs 4 s, not 2
        assert flow.plan().makespan_ratio == 1.0
        weights = flow.weights()
        assert weights.durations == {"a": 1.0, "b": 3.0, "c": 4.0}
        assert weights.summary() == (
            "weights: 1 task from estimate=, 3 recorded (durations.json, 2026-11-02)"
        )
    finally:
        proj.forget()


def test_plan_says_where_the_weights_came_from(project: Project) -> None:
    project.record({"n": {"a": 1, "b": 3}})
    result = cli("plan", project.spec("n"))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "weights: 2 tasks recorded (durations.json, 2026-11-02), 2 default 1 s" in lines


def test_build_run_and_plan_compile_the_same_machine(project: Project) -> None:
    project.record({"n": RECORDED_N})
    assert cli("build").exit_code == 0
    committed = (project.root / "infra/statemachines/n.asl.json").read_text(encoding="utf-8")
    flow = project.flow("n")
    assert flow.plan().text == committed
    assert '"b waits for a"' not in committed  # (notes are not in the machine)
    assert cli("plan", project.spec("n")).stdout == committed
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no StaleStateMachine: the run compiles what deploys
        assert flow.run().succeeded
    assert cli("build", "--check").exit_code == 0


def test_build_check_reads_no_run_store(project: Project) -> None:
    """Without durations.json a build weighs every task 1 s, whatever the run store holds: the
    machines are those of a fresh clone."""
    assert cli("build").exit_code == 0
    committed = (project.root / "infra/statemachines/n.asl.json").read_text(encoding="utf-8")
    assert '"a"' in committed
    _run_chain(project, [(5.0, 1.0, False)] * 3)
    flow_n = project.flow("n")
    for _ in range(3):
        assert flow_n.run().succeeded  # runs of the N in the store, too
    assert not project.durations.exists()
    project.forget()
    result = cli("build", "--check")
    assert result.exit_code == 0, result.output
    assert list(project.flow("n").plan().added) == [("b", "c")]


def test_a_task_no_longer_in_the_flow_is_ignored_with_a_note(project: Project) -> None:
    project.record({"n": {**RECORDED_N, "old_name": 9}})
    result = cli("plan", project.spec("n"))
    assert result.exit_code == 0, result.output
    assert (
        "note: durations.json: flow 'n' has no task 'old_name' any more (renamed or removed "
        "since it was recorded on 2026-11-02): its duration is ignored; `orchestrator "
        "durations record` records the flow again"
    ) in result.stderr.splitlines()
    with pytest.warns(StaleDurations):
        weights = weights_of(project.flow("n").graph, project.root)
    assert weights.ignored == ("old_name",)
    assert "b waits for a" in result.stderr  # the other durations still count


def test_build_notes_a_recorded_flow_the_project_does_not_ship(project: Project) -> None:
    project.record({"n": RECORDED_N, "gone": {"x": 1}})
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert (
        "note: durations.json records flow 'gone', which [tool.orchestrator] flows does not "
        "ship: nothing built reads its durations"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ('{"flows": []}', 'is not an object with a "flows" object'),
        ('{"flows": {}, "flow": {}}', "has an unknown key 'flow'"),
        (
            '{"flows": {"n": {"recorded": "2026-11-02", "from": "x", "runs": 1, '
            '"tasks": {"a": -1}}}}',
            "flows.n.tasks.a = -1 is not a positive number of seconds",
        ),
        (
            '{"flows": {"n": {"recorded": "yesterday", "from": "x", "runs": 1, "tasks": {}}}}',
            "flows.n.recorded = 'yesterday' is not a date (YYYY-MM-DD)",
        ),
        (
            '{"flows": {"n": {"recorded": "2026-11-02", "from": "x", "runs": 1}}}',
            "flows.n lacks the key 'tasks'",
        ),
    ],
)
@pytest.mark.parametrize("command", [("plan", "n"), ("build", "--check"), ("run", "n")])
def test_a_malformed_file_is_one_error_line_naming_it_and_the_fix(
    project: Project, text: str, problem: str, command: tuple[str, str]
) -> None:
    project.durations.write_text(text, encoding="utf-8")
    args = [project.spec(a) if a == "n" else a for a in command]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {project.durations}: {problem}"), line
    assert line.endswith(
        "Fix: correct it, re-record it with `orchestrator durations record`, or delete it "
        "(tasks then weigh their estimate=, else 1 s)"
    )
    assert "Traceback" not in result.output


# -- recording ----------------------------------------------------------------------------------

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _run_chain(
    project: Project, runs: list[tuple[float, float, bool]], clock: StepClock | None = None
) -> StepClock:
    """Run `chain` once per (first's seconds, second's seconds, fail), in that order, on a
    clock only the tasks (and a minute between runs) advance."""
    clock = clock or StepClock(START)
    flow = project.flow("chain")
    project.set_clock(clock)
    for s1, s2, fail in runs:
        clock.advance(60)
        run = flow.run(clock=clock, s1=s1, s2=s2, fail=fail)
        assert run.succeeded is not fail
    return clock


def test_record_takes_the_median_of_the_latest_successful_runs(project: Project) -> None:
    # Oldest first. The two newest runs: one failed (not read), one of another flow.
    clock = _run_chain(
        project,
        [(100.0, 100.0, False), (1.0, 2.0, False), (3.0, 8.0, False), (2.0, 4.0, False)],
    )
    _run_chain(project, [(7.0, 0.5, True)], clock)
    project.set_clock(clock)
    clock.advance(60)
    assert project.flow("other").run(clock=clock, s1=50.0).succeeded
    result = cli("durations", "record", project.spec("chain"), "--runs", "3")
    assert result.exit_code == 0, result.output
    # The latest 3 successful runs of chain: first 1, 3, 2 → 2; second 2, 8, 4 → 4.
    document = json.loads(project.durations.read_text(encoding="utf-8"))
    today = datetime.now(UTC).date().isoformat()
    assert document["flows"] == {
        "chain": {
            "recorded": today,
            "from": "local runs",
            "runs": 3,
            "tasks": {"first": 2.0, "second": 4.0},
        }
    }
    assert result.stdout.splitlines()[0] == (
        "chain: 2 of 2 tasks recorded, each the median of its durations in the flow's latest 3 "
        f"successful runs in {project.root / '.orchestrator' / 'runs.sqlite'}"
    )
    # With the default (20), every successful run: first 100, 1, 3, 2 → 2.5.
    assert cli("durations", "record", project.spec("chain")).exit_code == 0
    tasks = json.loads(project.durations.read_text(encoding="utf-8"))["flows"]["chain"]["tasks"]
    assert tasks == {"first": 2.5, "second": 6.0}


def test_record_keeps_other_flows_and_says_when_a_flow_has_no_run(project: Project) -> None:
    project.record({"n": RECORDED_N})
    _run_chain(project, [(1.0, 2.0, False)])
    result = cli("durations", "record")  # every flow the project ships: n and chain
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(
        "n: no successful run in "
    ) and result.stdout.splitlines()[0].endswith(": its entry is left as it was")
    flows = json.loads(project.durations.read_text(encoding="utf-8"))["flows"]
    assert flows["n"]["tasks"] == RECORDED_N and flows["n"]["recorded"] == "2026-11-02"
    assert flows["chain"]["tasks"] == {"first": 1.0, "second": 2.0}
    # And what was recorded is what the next build weighs.
    assert cli("build").exit_code == 0
    assert list(project.flow("n").plan().added) == [("a", "b")]


def test_record_replaces_a_malformed_file_with_a_note(project: Project) -> None:
    _run_chain(project, [(1.0, 2.0, False)])
    project.durations.write_text("{not json", encoding="utf-8")  # (a run would refuse it)
    result = cli("durations", "record", project.spec("chain"))
    assert result.exit_code == 0, result.output
    assert "is not valid JSON" in result.stderr and "written anew" in result.stderr
    assert set(json.loads(project.durations.read_text(encoding="utf-8"))["flows"]) == {"chain"}


def test_record_from_a_deployed_stage_reads_its_step_functions_histories(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--aws`: the flow's latest successful executions on the stage, in moto. Moto's Step
    Functions stamps each history event with the test's clock, which only the tasks advance."""
    import boto3
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    from orchestrator.deploy.rollback import ALIAS_OUTPUT_SUFFIX
    from orchestrator.graph import function_id
    from orchestrator.testing.flows import deploy_flow
    from orchestrator.testing.moto import MotoStepFunctions

    clock = StepClock(START)
    monkeypatch.setattr(EventManager, "_get_current_timestamp", staticmethod(clock.now))
    flow = project.flow("chain")
    project.set_clock(clock)
    with MotoStepFunctions() as sfn:
        machine = deploy_flow(sfn, flow)
        runs = [(9.0, 9.0, False), (1.0, 6.0, False), (5.0, 2.0, False), (3.0, 4.0, True)]
        for s1, s2, fail in runs:  # oldest first; the newest fails
            clock.advance(60)
            run = sfn.execute(machine, {"s1": s1, "s2": s2, "fail": fail})
            assert run.succeeded is not fail, run.cause
        # `orchestrator deploy` names the stack <project>-<stage> and outputs each flow's alias.
        output = function_id(flow.graph.resource_name) + ALIAS_OUTPUT_SUFFIX
        boto3.client("cloudformation").create_stack(
            StackName="durproj-test",
            TemplateBody=json.dumps(
                {
                    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                    "Outputs": {output: {"Value": f"{machine.arn}:live"}},
                }
            ),
        )
        result = cli(
            "durations", "record", project.spec("chain"), "--aws", "--stage", "test", "-n", "2"
        )
    assert result.exit_code == 0, result.output
    # The latest 2 successful executions: first 1, 5 → 3; second 6, 2 → 4.
    entry = json.loads(project.durations.read_text(encoding="utf-8"))["flows"]["chain"]
    assert entry["from"] == "stage test" and entry["runs"] == 2
    assert entry["tasks"] == {"first": 3.0, "second": 4.0}


def test_the_tasks_of_a_fused_map_share_its_time(project: Project) -> None:
    """One Map runs inc then double per item: the history times the Map, not each task."""
    from orchestrator.local import default_store
    from orchestrator.local.durations import local_samples
    from orchestrator.planner.fusion import fusion_of

    flow = project.flow("fused")
    assert fusion_of(flow.graph).chains == {"double": ("inc", "double")}
    clock = StepClock(START)
    project.set_clock(clock)
    assert flow.run(clock=clock).succeeded  # one item: 2 s of inc, then 4 s of double
    store = default_store(readonly=True)
    try:
        samples = local_samples(store, flow.graph, 5)
    finally:
        store.close()
    assert samples.runs == 1
    assert samples.tasks == {"inc": [3.0], "double": [3.0]}
