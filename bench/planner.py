"""Planner compile time on large DAGs: a chain, a fan and a random layered DAG.

    python bench/planner.py [--sizes 1000,3000] [--repeats 3] [--shapes chain,fan,layered]

Prints seconds per compile (best of the repeats) and, as a ratio against a baseline measured in
the same run, how much slower each shape compiles than a chain of the same size (the chain is the
linear case). Machines are shared and noisy: read the ratios, and the load printed first.
Graphs are built as plain data (no tracing), so only `plan_flow` is timed.
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


def compile_seconds(g: FlowGraph, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        plan_flow(g)
        best = min(best, time.perf_counter() - start)
    return best


def main(
    sizes: list[int], repeats: int, shapes: tuple[str, ...] = tuple(SHAPES)
) -> list[tuple[str, int, float, float]]:
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    rows = []
    for n in sizes:
        baseline = compile_seconds(chain(n), repeats)
        for name, make in SHAPES.items():
            if name not in shapes:
                continue
            seconds = baseline if name == "chain" else compile_seconds(make(n), repeats)
            rows.append((name, n, seconds, seconds / baseline))
            print(f"{name:8} {n:>6} tasks  {seconds:8.3f} s   ×{seconds / baseline:6.1f} the chain")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="e.g. chain,fan")
    args = parser.parse_args()
    main([int(s) for s in args.sizes.split(",")], args.repeats, tuple(args.shapes.split(",")))
