"""The Prefect 3 side of `bench/engine_vs_prefect.py`, run by `.bench/prefect-venv`'s python.

    python bench/prefect_workload.py {chain|map|iomap|oneshot} N [--repeats R] [--sleep S]
        [--concurrency C]

Prints one JSON object on stdout: the timings of each repeat (seconds), the baseline of calling the
same plain functions directly in a loop, the final flow-run state, and for `oneshot` the time to
import prefect and to build and run a 1-task flow in this fresh process. Prefect talks to a
temporary local server (ephemeral mode, SQLite under PREFECT_HOME) that the caller sets up; nothing
goes over the network. This file imports only the standard library and prefect (not orchestrator).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

T0 = time.perf_counter()


def inc(x: int) -> int:
    return x + 1


def square(x: int) -> int:
    return x * x


def nap(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x


def direct_chain(n: int) -> float:
    start = time.perf_counter()
    value = 0
    for _ in range(n):
        value = inc(value)
    assert value == n
    return time.perf_counter() - start


def direct_map(n: int) -> float:
    start = time.perf_counter()
    out = [square(i) for i in range(n)]
    assert len(out) == n
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["chain", "map", "iomap", "oneshot"])
    parser.add_argument("n", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=40)
    args = parser.parse_args()

    import prefect
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    imported = time.perf_counter()
    p_inc = task(inc)
    p_square = task(square)
    p_nap = task(nap)
    n = args.n

    @flow(name="bench-chain")
    def chain_flow(n: int) -> int:
        value = 0
        for _ in range(n):
            value = p_inc(value)
        return value

    @flow(name="bench-map", task_runner=ThreadPoolTaskRunner(max_workers=args.concurrency))
    def map_flow(n: int) -> list[int]:
        return p_square.map(list(range(n))).result()

    @flow(name="bench-iomap", task_runner=ThreadPoolTaskRunner(max_workers=args.concurrency))
    def iomap_flow(n: int, seconds: float) -> list[int]:
        return p_nap.map(list(range(n)), seconds).result()

    @flow(name="bench-oneshot")
    def oneshot_flow() -> int:
        return p_inc(0)

    out: dict[str, Any] = {"prefect": prefect.__version__, "python": sys.version.split()[0]}
    if args.workload == "oneshot":
        start = time.perf_counter()
        state = oneshot_flow(return_state=True)
        out["import_s"] = imported - T0
        out["first_run_s"] = time.perf_counter() - start
        out["state"] = state.type.value
        print(json.dumps(out))
        return 0

    runs: list[float] = []
    state: Any = None
    expected: Any
    errors: list[str] = []
    attempts = 0
    # The first run also starts the local server: a warm-up. A run the overloaded local server
    # refuses (HTTP 503 on a busy 2-core machine) is noted and retried, at most twice in total.
    while len(runs) < args.repeats + 1 and attempts < args.repeats + 3:
        attempts += 1
        start = time.perf_counter()
        try:
            if args.workload == "chain":
                state = chain_flow(n, return_state=True)
                expected = n
            elif args.workload == "map":
                state = map_flow(n, return_state=True)
                expected = [i * i for i in range(n)]
            else:
                state = iomap_flow(n, args.sleep, return_state=True)
                expected = list(range(n))
            if state.result() != expected:
                raise SystemExit(f"prefect {args.workload} returned a wrong result")
        except Exception as exc:  # noqa: BLE001 - reported, then retried
            errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
            continue
        runs.append(time.perf_counter() - start)
    if len(runs) < 2:
        raise SystemExit("prefect runs failed: " + " | ".join(errors))
    out["warmup_s"] = runs[0]
    out["runs_s"] = runs[1:]
    out["failed_runs"] = errors
    out["state"] = state.type.value
    if args.workload == "chain":
        out["baseline_s"] = min(direct_chain(n) for _ in range(5))
    elif args.workload == "map":
        out["baseline_s"] = min(direct_map(n) for _ in range(5))
    else:
        out["baseline_s"] = 0.0
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
