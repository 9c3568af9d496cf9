"""Random flow graphs built as plain data, for tests that pin the planner's output.

Shapes: random layered DAGs (not series-parallel), G(n, p) DAGs, random series-parallel
compositions, chains and fans; some tasks map over an upstream result, read a part of one, take a
parameter or a constant, or run on a non-default trigger, so the ASL writer's data paths, maps
and control states are all exercised. Deterministic for a given seed.
"""

from __future__ import annotations

import random

from orchestrator.graph import (
    ConstInput,
    FlowGraph,
    Input,
    ParameterSpec,
    ParamInput,
    ResultInput,
    TaskNode,
)
from orchestrator.options import TaskDefaults, TaskOptions, settle


def layered_deps(rng: random.Random, n: int, width: int, fan_in: int) -> list[list[int]]:
    deps: list[list[int]] = []
    for i in range(n):
        layer = i // width
        previous = list(range((layer - 1) * width, layer * width)) if layer else []
        deps.append(sorted(rng.sample(previous, min(fan_in, len(previous)))))
    return deps


def gnp_deps(rng: random.Random, n: int, p: float) -> list[list[int]]:
    return [[j for j in range(i) if rng.random() < p] for i in range(n)]


def sp_deps(rng: random.Random, n: int) -> list[list[int]]:
    """A random series-parallel DAG: nested series and parallel compositions of n tasks."""
    deps: list[list[int]] = [[] for _ in range(n)]

    def build(lo: int, hi: int) -> tuple[list[int], list[int]]:  # (sources, sinks) of lo..hi
        if hi - lo == 1:
            return [lo], [lo]
        mid = rng.randrange(lo + 1, hi)
        first, second = build(lo, mid), build(mid, hi)
        if rng.random() < 0.5:  # series: every source of the second waits for the first's sinks
            for s in second[0]:
                deps[s].extend(first[1])
            return first[0], second[1]
        return first[0] + second[0], first[1] + second[1]

    build(0, n)
    return [sorted(set(d)) for d in deps]


def random_deps(rng: random.Random) -> list[list[int]]:
    kind = rng.choice(["layered", "layered", "gnp", "gnp", "sp", "chain", "fan"])
    n = rng.randint(2, 40)
    if kind == "layered":
        return layered_deps(rng, n, rng.randint(2, 6), rng.randint(1, 3))
    if kind == "gnp":
        return gnp_deps(rng, n, rng.choice([0.05, 0.1, 0.2, 0.4]))
    if kind == "sp":
        return sp_deps(rng, n)
    if kind == "chain":
        return [[i - 1] if i else [] for i in range(n)]
    return [[] if i == 0 else [0] for i in range(n)]


def graph_of(
    deps: list[list[int]], rng: random.Random | None = None, name: str = "random"
) -> FlowGraph:
    """A flow of plain tasks with these dependencies; with `rng`, varied inputs and options."""
    nodes = []
    for i, ds in enumerate(deps):
        inputs: dict[str, Input] = {f"x{j}": ResultInput(node=f"t{d}") for j, d in enumerate(ds)}
        mapped: dict[str, Input] = {}
        upstream: tuple[str, ...] = ()
        trigger = "all_successful"
        if rng is not None:
            roll = rng.random()
            if ds and roll < 0.1:  # map over the first upstream's result
                mapped = {"item": inputs.pop("x0")}
            elif ds and roll < 0.13:  # a part of a result
                inputs["x0"] = ResultInput(node=f"t{ds[0]}", path=("rows", 0))
            elif len(ds) > 1 and roll < 0.23:  # an order-only edge
                upstream = (str(inputs.pop(f"x{len(ds) - 1}").node),)  # type: ignore[union-attr]
            if rng.random() < 0.2:
                inputs["p"] = ParamInput(name="n")
            if rng.random() < 0.2:
                inputs["c"] = ConstInput(value=rng.choice([1, "a", [1, 2], {"k": None}, None]))
            if ds and rng.random() < 0.01:
                trigger = "all_finished"
        options = settle(
            TaskOptions(name=f"t{i}", trigger=trigger, distributed=False), TaskDefaults()
        )
        nodes.append(
            TaskNode(
                id=f"t{i}",
                task_key=f"random:t{i}",
                function_id=f"T{i}",
                options=options,
                inputs=inputs,
                mapped=mapped,
                upstream=upstream,
            )
        )
    parameters = (ParameterSpec(name="n", required=False, default=3),) if rng else ()
    return FlowGraph(name=name, resource_name=name, nodes=tuple(nodes), parameters=parameters)


def random_graphs(count: int, seed: int) -> list[FlowGraph]:
    rng = random.Random(seed)
    return [graph_of(random_deps(rng), rng, name=f"random-{k}") for k in range(count)]
