"""What JSONata costs in the local engine: compiling an expression, evaluating it, and a state.

Compiling (parse + checks) happens once per expression when a definition is compiled; every
run evaluates. The per-state figures run a chain of Pass states three ways — JSONPath without
variables (the fast path), JSONPath with an `Assign` per state, JSONata with `Output` and
`Assign` — and report microseconds per state, engine and history included. Library import is
measured in a fresh interpreter.

    python bench/jsonata_cost.py [--states 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

EXPRESSIONS = {
    "path": "$states.input.order.id",
    "arithmetic": "$states.input.price * $states.input.qty + 1",
    "object": "{'total': $sum($states.input.items.price), 'names': $states.input.items.name}",
    "function": "$partition($range(1, 20, 1), 4)",
}
DATA = {
    "order": {"id": "o-1"},
    "price": 2.5,
    "qty": 4,
    "items": [{"price": i, "name": f"n{i}"} for i in range(10)],
}


def best(runs: int, fn: Any, repeat: int) -> float:
    """The least disturbed of `runs` timings of `repeat` calls, in microseconds per call."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        times.append((time.perf_counter() - start) / repeat * 1e6)
    return min(times)


def chain(states: int, mode: str) -> dict[str, Any]:
    names = [f"S{i}" for i in range(states)]
    body: dict[str, Any] = {}
    for i, name in enumerate(names):
        step: dict[str, Any] = {"Type": "Pass"}
        if mode == "jsonpath+assign":
            step["Assign"] = {"last.$": "$.n"}
        elif mode == "jsonata":
            step["Output"] = {"n": "{% $states.input.n + 1 %}"}
            step["Assign"] = {"last": "{% $states.input.n %}"}
        if i + 1 < states:
            step["Next"] = names[i + 1]
        else:
            step["End"] = True
        body[name] = step
    machine: dict[str, Any] = {"StartAt": names[0], "States": body}
    if mode == "jsonata":
        machine["QueryLanguage"] = "JSONata"
    return machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    probe = "import time; t = time.perf_counter(); import jsonata; print(time.perf_counter() - t)"
    imports = [
        float(
            subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(args.runs)
    ]
    print(f"import jsonata (fresh interpreter): {min(imports) * 1000:.1f} ms")

    from orchestrator.engine import VirtualClock, execute
    from orchestrator.engine.jsonata import WITH_RESULT, Expression, _compile

    for name, text in EXPRESSIONS.items():

        def compile_once(text: str = text) -> None:
            _compile.cache_clear()
            Expression("{% " + text + " %}", "Output", "bench", WITH_RESULT)

        compiled = Expression("{% " + text + " %}", "Output", "bench", WITH_RESULT)
        bindings = {"states": {"input": DATA}}
        compile_us = best(args.runs, compile_once, 200)
        evaluate_us = best(args.runs, lambda c=compiled, b=bindings: c.evaluate(b), 500)
        print(f"{name:10s} compile {compile_us:7.1f} µs   evaluate {evaluate_us:7.1f} µs   {text}")

    for mode in ("jsonpath", "jsonpath+assign", "jsonata"):
        machine = chain(args.states, mode)
        execute(machine, {"n": 0}, invoke=lambda n, p: p)  # compile (cached) and warm up

        def run(machine: dict[str, Any] = machine) -> None:
            execute(machine, {"n": 0}, invoke=lambda n, p: p, clock=VirtualClock(seed=0))

        per_state = best(args.runs, run, 3) / args.states
        print(f"{mode:16s} {per_state:7.1f} µs per Pass state ({args.states}-state chain)")


if __name__ == "__main__":
    main()
