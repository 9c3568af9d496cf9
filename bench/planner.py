"""Planner compile time on large DAGs: a chain, a fan and a random layered DAG.

    python bench/planner.py [--sizes 1000,3000,10000] [--repeats 3] [--shapes chain,fan,layered]

Prints seconds per compile (best of the repeats: wall clock, and the process's CPU time, which a
busy machine inflates less) and, as a ratio against a baseline measured in the same run, how much
slower each shape compiles than a chain of the same size (the chain is the linear case), and the
growth from the previous size. Machines are shared and noisy: read the ratios, and the load
averages printed before and after. Graphs are built as plain data (no tracing), so only
`plan_flow` is timed; the target is 1 s for each 10,000-task shape.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable

from orchestrator.graph import FlowGraph, ResultInput, TaskNode
from orchestrator.options import TaskDefaults, TaskOptions, settle
from orchestrator.planner import plan_flow

OPTIONS = settle(TaskOptions(name="t"), TaskDefaults())


def graph(deps: list[list[int]]) -> FlowGraph:
    nodes = tuple(
        TaskNode(
            id=f"t{i}",
            task_key="bench:t",
            function_id="T",
            options=OPTIONS,
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
    rng = random.Random(seed)
    deps: list[list[int]] = []
    for i in range(n):
        layer = i // width
        previous = list(range((layer - 1) * width, layer * width)) if layer else []
        deps.append(sorted(rng.sample(previous, min(fan_in, len(previous)))))
    return graph(deps)


SHAPES: dict[str, Callable[[int], FlowGraph]] = {"chain": chain, "fan": fan, "layered": layered}


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
    sizes: list[int], repeats: int, shapes: tuple[str, ...] = tuple(SHAPES)
) -> list[tuple[str, int, float, float]]:
    print(load())
    rows = []
    previous: dict[str, tuple[int, float]] = {}
    for n in sizes:
        baseline = compile_seconds(chain(n), repeats)
        for name, make in SHAPES.items():
            if name not in shapes:
                continue
            wall, cpu = baseline if name == "chain" else compile_seconds(make(n), repeats)
            rows.append((name, n, wall, wall / baseline[0]))
            growth = ""
            if name in previous:
                size, before = previous[name]
                growth = f"   ×{cpu / before:5.1f} CPU for ×{n / size:.3g} tasks"
            previous[name] = (n, cpu)
            print(
                f"{name:8} {n:>6} tasks  {wall:7.3f} s wall {cpu:7.3f} s CPU"
                f"   ×{wall / baseline[0]:5.1f} the chain{growth}"
            )
    print(load())
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="e.g. chain,fan")
    args = parser.parse_args()
    main([int(s) for s in args.sizes.split(",")], args.repeats, tuple(args.shapes.split(",")))
