"""Keep bench/engine_vs_prefect.py from rotting: its measurements run at tiny sizes, no Prefect.

Asserts that the figures are produced and the flows SUCCEEDED, never any timing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "engine_vs_prefect.py"


def load(name: str, path: Path) -> ModuleType:
    """A bench script imported as a module (registered, for its dataclasses)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load("bench_engine_vs_prefect", BENCH)


@pytest.mark.parametrize("workload", ["chain", "map"])
def test_engine_figures(bench: ModuleType, workload: str) -> None:
    res = bench.measure_engine(workload, 20, repeats=1)
    assert res.status == "SUCCEEDED"
    assert res.events > 20
    for samples in (res.trace, res.graph, res.plan, res.run, res.run_flow, res.baseline):
        assert samples.values and all(v >= 0 for v in samples.values)
    assert res.run_flow_store_s is not None
    assert isinstance(res.overhead_us, float) and isinstance(res.compile_s, float)
    text = bench.table("t", ["", "best", "median"], bench.engine_rows(res))
    assert f"{workload} 20" in text


def test_io_map_figures(bench: ModuleType) -> None:
    res = bench.measure_io_map(6, 0.01, 3, repeats=1)
    assert res.status == "SUCCEEDED"
    assert res.ideal == pytest.approx(0.02)
    assert len(res.elapsed.values) == 1


def test_scaling_child(bench: ModuleType) -> None:
    fig = bench.measure_scaling("chain", 10, repeats=1)
    assert fig["status"] == "SUCCEEDED" and fig["n"] == 10
    assert fig["run_s"] > 0 and fig["traced_peak_bytes"] > 0


def test_chain_result_is_right(bench: ModuleType) -> None:
    run = bench.run_flow(bench.build_chain(5), {}, store=False)
    assert run.succeeded
    assert run.result is not None


def test_planner_bench_runs_at_a_tiny_size() -> None:
    module = load("bench_planner", BENCH.parent / "planner.py")
    rows = module.main([30], repeats=1)
    assert [(name, n) for name, n, _, _ in rows] == [
        ("chain", 30),
        ("fan", 30),
        ("layered", 30),
        ("gnp", 30),
    ]
    assert all(seconds >= 0 for _, _, seconds, _ in rows)
    rounds = module.main([20], repeats=1, shapes=("layered",), rounds=2)
    assert [(name, n) for name, n, _, _ in rounds] == [("layered", 20)]


def test_planner_quality_bench_runs_at_a_tiny_size() -> None:
    module = load("bench_planner", BENCH.parent / "planner.py")
    rows = module.quality([12], seeds=2)
    assert [(kind, n) for kind, n, _, _ in rows] == [("sp", 12), ("layered", 12), ("gnp", 12)]
    assert rows[0][2:] == (1.0, 1.0)  # series-parallel: no synchronisation, no cost
    assert all(1.0 <= ours <= barrier for _, _, ours, barrier in rows)


def test_planner_quality_walk_reads_a_known_machine() -> None:
    # t0, t1 in parallel, then t2: 2 + 3 with t0 taking 1 s and t1 2 s, t2 3 s.
    module = load("bench_planner", BENCH.parent / "planner.py")
    plan = module.plan_flow(module.graph([[], [], [0, 1]]))
    durations = {"t0": 1.0, "t1": 2.0, "t2": 3.0}
    assert module.asl_makespan(plan.asl, durations) == 5.0
    assert module.critical_path([[], [], [0, 1]], [1.0, 2.0, 3.0]) == 5.0


def test_planner_quality_walk_follows_a_split_machine_into_its_children() -> None:
    # A chain over a lowered definition limit is split into child machines, started in turn:
    # its makespan is still the sum of its tasks' durations (0 + 1 + … + 29).
    module = load("bench_planner", BENCH.parent / "planner.py")
    plan = module.plan_flow(module.chain(30), max_definition_bytes=4_000)
    assert plan.children
    assert module.plan_makespan(plan, {f"t{i}": float(i) for i in range(30)}) == 435.0


@pytest.fixture(scope="module")
def overhead() -> ModuleType:
    return load("bench_engine_overhead", BENCH.parent / "engine_overhead.py")


@pytest.mark.parametrize("workload", ["chain", "map"])
def test_overhead_figures(overhead: ModuleType, workload: str) -> None:
    res = overhead.measure(workload, 6, repeats=2)
    assert res.events > 6
    for samples in (res.baseline, res.execute, res.flow_run):
        assert len(samples.values) == 2 and all(v > 0 for v in samples.values)
    text = overhead.table(
        "t", ["", "best", "median", "overhead", "ratio", "target"], overhead.overhead_rows(res)
    )
    assert f"{workload} 6, wall: flow.run() with the run store" in text
    assert f"{workload} 6, CPU: flow.run() with the run store" in text


def test_overhead_baseline_is_the_flows_result(overhead: ModuleType) -> None:
    """The plain loop computes what the flows compute, through the same handlers."""
    assert overhead.loop_chain(7, "f") == 7
    assert overhead.loop_map(4, "f") == [0, 1, 4, 9]


def test_startup_figures(overhead: ModuleType) -> None:
    st = overhead.measure_startup(runs=1)
    assert [len(s.values) for s in (st.bare, st.imported, st.first_plan)] == [1, 1, 1]
