"""Planner quality and compile time: how long the emitted machine runs against the critical
path, and how long a large DAG takes to compile.

    python bench/planner.py [--sizes 1000,3000,10000] [--repeats 3] [--rounds 1]
                            [--shapes chain,fan,layered,gnp] [--quality 20,100,1000] [--seeds 30]

Quality: random DAGs (series-parallel, layered of width 10 and fan-in 2, G(n, p) with two
predecessors per task on average) whose tasks take lognormal durations (μ 0, σ 1), given to the
planner as `estimate=`. Each plan's ASL is walked independently of the planner — a Task takes its
true duration, a Parallel its longest branch, states in sequence add up — and its makespan is
divided by the DAG's critical path (longest path, computed here). The level barrier is the same
walk over the plan of the same DAG without estimates (the planner then weighs every task 1 s,
where the level barrier is optimal and is what it emits). Prints the median and p90 of each.

Prints seconds per compile (best of the repeats: wall clock, and the process's CPU time, which a
busy machine inflates less) and, as a ratio against a baseline measured in the same run, how much
slower each shape compiles than a chain of the same size (the chain is the linear case), and the
growth from the previous size. Machines are shared and noisy: read the ratios, and the load
averages printed before and after. Graphs are built as plain data (no tracing), so only
`plan_flow` is timed; the target is 1 s for each 10,000-task shape (chain, fan, layered and
G(n, p) DAGs).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestrator.contract import substitution
from orchestrator.graph import FlowGraph, ResultInput, TaskNode
from orchestrator.options import TaskDefaults, TaskOptions, settle
from orchestrator.planner import Plan, plan_flow

# The random DAGs are the planner tests' own (one generator of each shape).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.planner.random_graphs import gnp_deps as random_gnp  # noqa: E402
from tests.planner.random_graphs import layered_deps as random_layered  # noqa: E402
from tests.planner.random_graphs import sp_deps  # noqa: E402

OPTIONS = settle(TaskOptions(name="t"), TaskDefaults())


def graph(deps: list[list[int]], estimates: list[float] | None = None) -> FlowGraph:
    nodes = tuple(
        TaskNode(
            id=f"t{i}",
            task_key="bench:t",
            function_id="T",
            options=OPTIONS if estimates is None else replace(OPTIONS, estimate=estimates[i]),
            inputs={f"x{j}": ResultInput(node=f"t{d}") for j, d in enumerate(ds)},
        )
        for i, ds in enumerate(deps)
    )
    return FlowGraph(name="bench", resource_name="bench", nodes=nodes)


def chain(n: int) -> FlowGraph:
    return graph([[i - 1] if i else [] for i in range(n)])


def fan(n: int) -> FlowGraph:
    return graph([[] if i == 0 else [0] for i in range(n)])


def layered(n: int, width: int = 10, fan_in: int = 2, seed: int = 1) -> FlowGraph:
    """Layers of `width` tasks, each depending on `fan_in` random tasks of the layer before:
    not series-parallel, so the planner must choose where to synchronise."""
    return graph(layered_deps(random.Random(seed), n, width, fan_in))


def layered_deps(rng: random.Random, n: int, width: int = 10, fan_in: int = 2) -> list[list[int]]:
    return random_layered(rng, n, width, fan_in)


def gnp_deps(rng: random.Random, n: int, mean_preds: float = 2.0) -> list[list[int]]:
    """G(n, p) oriented by index, p chosen for `mean_preds` predecessors per task on average."""
    return random_gnp(rng, n, min(1.0, 2 * mean_preds / max(n - 1, 1)))


QUALITY: dict[str, Callable[[random.Random, int], list[list[int]]]] = {
    "sp": sp_deps,
    "layered": layered_deps,
    "gnp": gnp_deps,
}


def critical_path(deps: list[list[int]], durations: list[float]) -> float:
    finish: list[float] = []
    for i, ds in enumerate(deps):  # indices are a topological order
        finish.append(durations[i] + max((finish[d] for d in ds), default=0.0))
    return max(finish)


def asl_makespan(
    machine: dict[str, Any],
    durations: dict[str, float],
    children: dict[str, dict[str, Any]] | None = None,
) -> float:
    """How long a state machine runs when each Task takes its task's duration: states in
    sequence add up, a Parallel takes its longest branch, a Task starting a child machine (a
    split flow: `children` by the ARN placeholder) that machine's time, any other state none."""
    total, name = 0.0, machine["StartAt"]
    while True:
        state = machine["States"][name]
        if state["Type"] == "Task":
            child = state["Parameters"].get("StateMachineArn")
            if child is not None and children is not None:
                total += asl_makespan(children[child], durations, children)
            else:
                total += durations[state["Parameters"]["Payload"]["task"]]
        elif state["Type"] == "Parallel":
            total += max(asl_makespan(b, durations, children) for b in state["Branches"])
        if state.get("End") or "Next" not in state:
            return total
        name = state["Next"]


def plan_makespan(plan: Plan, durations: dict[str, float]) -> float:
    """`asl_makespan` of a plan's machine, through the child machines of a split one."""
    children = {substitution(c.arn_key): c.asl for c in plan.children}
    return asl_makespan(plan.asl, durations, children)


def ratios(kind: str, n: int, seeds: int) -> tuple[list[float], list[float]]:
    """Makespan ÷ critical path of our plan and of the level barrier, one pair per seed."""
    ours, barrier = [], []
    for seed in range(seeds):
        rng = random.Random(seed)
        deps = QUALITY[kind](rng, n)
        durations = [rng.lognormvariate(0.0, 1.0) for _ in range(n)]
        by_id = {f"t{i}": d for i, d in enumerate(durations)}
        cp = critical_path(deps, durations)
        ours.append(plan_makespan(plan_flow(graph(deps, durations)), by_id) / cp)
        barrier.append(plan_makespan(plan_flow(graph(deps)), by_id) / cp)
    return ours, barrier


def quality(sizes: list[int], seeds: int) -> list[tuple[str, int, float, float]]:
    """Rows (kind, tasks, our median ratio, the level barrier's median ratio), printed."""
    print(f"makespan ÷ critical path, lognormal durations, {seeds} DAGs each (median / p90):")
    rows = []
    for kind in QUALITY:
        for n in sizes:
            ours, barrier = ratios(kind, n, seeds)
            rows.append((kind, n, statistics.median(ours), statistics.median(barrier)))
            worse = sum(o > b + 1e-9 for o, b in zip(ours, barrier, strict=True))
            print(
                f"{kind:8} {n:>6} tasks  ours {_summary(ours)}   level barrier {_summary(barrier)}"
                f"   worse than the barrier: {worse}"
            )
    return rows


def _summary(values: list[float]) -> str:
    p90 = sorted(values)[min(len(values) - 1, int(0.9 * len(values)))]
    return f"{statistics.median(values):.3f} / {p90:.3f}"


def gnp(n: int, seed: int = 1) -> FlowGraph:
    """A G(n, p) DAG with two predecessors per task on average: long edges, few clean cuts."""
    return graph(gnp_deps(random.Random(seed), n))


SHAPES: dict[str, Callable[[int], FlowGraph]] = {
    "chain": chain,
    "fan": fan,
    "layered": layered,
    "gnp": gnp,
}


def compile_seconds(g: FlowGraph, repeats: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `plan_flow(g)`."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        plan_flow(g)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"
    )


def main(
    sizes: list[int], repeats: int, shapes: tuple[str, ...] = tuple(SHAPES), rounds: int = 1
) -> list[tuple[str, int, float, float]]:
    """Compile times: per size, `rounds` rounds, each compiling every shape `repeats` times in
    turn (so every shape meets the machine's quiet and busy minutes alike); each shape's best
    over all, and with rounds, the median of the rounds' bests (CPU)."""
    print(load())
    rows = []
    previous: dict[str, tuple[int, float]] = {}
    chosen = ["chain", *(name for name in SHAPES if name in shapes and name != "chain")]
    for n in sizes:
        graphs = {name: SHAPES[name](n) for name in chosen}
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
        for _ in range(rounds):
            for name in chosen:
                timings[name].append(compile_seconds(graphs[name], repeats))
        baseline = min(wall for wall, _ in timings["chain"])
        for name in chosen:
            if name not in shapes:
                continue
            wall = min(w for w, _ in timings[name])
            cpu = min(c for _, c in timings[name])
            rows.append((name, n, wall, wall / baseline))
            growth = ""
            if name in previous:
                size, before = previous[name]
                growth = f"   ×{cpu / before:5.1f} CPU for ×{n / size:.3g} tasks"
            previous[name] = (n, cpu)
            spread = ""
            if rounds > 1:
                bests = sorted(c for _, c in timings[name])
                spread = f"   rounds' bests {bests[0]:.3f}–{bests[-1]:.3f} s CPU"
                spread += f", median {statistics.median(bests):.3f} s"
            print(
                f"{name:8} {n:>6} tasks  {wall:7.3f} s wall {cpu:7.3f} s CPU"
                f"   ×{wall / baseline:5.1f} the chain{growth}{spread}"
            )
    print(load())
    return rows


if __name__ == "__main__":
    sys.setrecursionlimit(100_000)  # the ASL walk recurses once per nested Parallel
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of every shape in turn (compile times)"
    )
    parser.add_argument("--shapes", default=",".join(SHAPES), help="e.g. chain,fan")
    parser.add_argument("--quality", default="20,100,1000", help="DAG sizes ('' for none)")
    parser.add_argument("--seeds", type=int, default=30, help="DAGs per kind and size")
    args = parser.parse_args()
    if args.quality:
        print(load())
        quality([int(s) for s in args.quality.split(",")], args.seeds)
    main(
        [int(s) for s in args.sizes.split(",")],
        args.repeats,
        tuple(args.shapes.split(",")),
        args.rounds,
    )
