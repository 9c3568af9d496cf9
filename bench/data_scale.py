"""Data at scale: a map over 100,000 items locally, the largest state per shipped flow, and a
map over 20,000 items in moto.

    python bench/data_scale.py [--items 1000,100000] [--moto-items 20000] [--skip-moto]

1. Local map scaling. Each size runs `flow.run()` (with the run store, as a user runs it) in a
   fresh process: `items(n)` → `label.map(...)` (a Distributed Map: results exported, items read
   from the result store) → `check(...)` (reads all results back, in order). Prints wall time
   per item and peak RSS per item (peak RSS of the run minus the process's RSS before it), and
   both as ratios against the first size, measured in the same run: machines are shared and
   noisy, read the ratios and the load printed first.
2. The largest state document per shipped flow: the planner's bound (`orchestrator plan`
   prints it) and, for the flows whose parameters all have defaults, the largest `input` or
   `output` of a local run's history.
3. The 20,000-item map in moto (`orchestrator.testing.flows.run_flow_in_moto`): wall time and the
   largest state document of moto's history.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from orchestrator import flow, task

ROOT = Path(__file__).resolve().parent.parent


@task
def items(n: int) -> list[int]:
    return list(range(n))


@task
def label(i: int) -> str:
    return f"item-{i:06d}-" + "x" * 30  # ~50 bytes a result


@task
def check(labels: list[str]) -> int:
    if labels != [f"item-{i:06d}-" + "x" * 30 for i in range(len(labels))]:
        raise ValueError("results missing or out of order")
    return len(labels)


@flow(name="scale")
def scale(n: int = 10):
    return check(label.map(items(n)))


def largest_document(events: list[dict[str, Any]]) -> int:
    """The largest `input`/`output` (UTF-8 bytes) among history events' details."""
    sizes = [0]
    for details in events:
        for key in ("input", "output"):
            text = details.get(key)
            if isinstance(text, str):
                sizes.append(len(text.encode("utf-8")))
    return max(sizes)


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure_local(n: int) -> dict[str, Any]:
    """One size, in this process (the parent runs each size in a fresh one)."""
    scale.run(n=10, clock="virtual")  # warm: imports, compile, first run
    before = rss_kib()
    start = time.perf_counter()
    run = scale.run(n=n, clock="virtual")
    seconds = time.perf_counter() - start
    return {
        "n": n,
        "status": run.state,
        "result": run.result,
        "seconds": seconds,
        "peak_rss_kib": rss_kib() - before,
        "largest_document": largest_document([e.details for e in run.execution.events]),
    }


def local_child(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def shipped_flow_states() -> list[tuple[str, str, str]]:
    from orchestrator.errors import ParameterError
    from orchestrator.loader import load_project_flows

    rows = []
    for f in load_project_flows(ROOT / "pyproject.toml"):
        plan = f.plan()
        bound = f"{results_bound(plan):,} B results ({plan.most_results} at once)"
        measured = "needs parameters"
        try:
            with tempfile.TemporaryDirectory() as work:
                cwd = os.getcwd()
                os.chdir(work)
                try:  # the flows' own prints and a stale-artifact warning are not figures
                    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                        warnings.simplefilter("ignore")
                        run = f.run(clock="virtual")
                finally:
                    os.chdir(cwd)
            measured = f"{largest_document([e.details for e in run.execution.events]):,} B"
            measured += f" ({run.state})"
        except ParameterError:
            pass
        rows.append((f.name, bound, measured))
    return rows


def results_bound(plan: Any) -> int:
    """The planner's bound on the task results in one state document (Plan.state_size_summary)."""
    from orchestrator.contract import DEFAULT_OFFLOAD_BYTES

    return int(DEFAULT_OFFLOAD_BYTES // plan.most_results * plan.most_results)


def measure_moto(n: int) -> dict[str, Any]:
    from orchestrator.local.flowrun import flow_result, task_runs_of
    from orchestrator.testing.flows import deploy_flow
    from orchestrator.testing.moto import MotoStepFunctions, history_event

    with tempfile.TemporaryDirectory() as work:
        cwd = os.getcwd()
        os.chdir(work)
        try:
            with MotoStepFunctions() as sfn:
                start = time.perf_counter()
                run = sfn.execute(deploy_flow(sfn, scale), {"n": n}, timeout=3600)
                seconds = time.perf_counter() - start
                runs = task_runs_of(scale.graph, [history_event(e) for e in run.events])
                run.result = flow_result(scale.graph, run.status, run.output, runs)
        finally:
            os.chdir(cwd)
    details = [
        value
        for event in run.events
        for key, value in event.items()
        if key.endswith("EventDetails") and isinstance(value, dict)
    ]
    return {
        "n": n,
        "status": run.status,
        "result": run.result,
        "seconds": seconds,
        "largest_document": largest_document(details),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="1000,100000")
    parser.add_argument("--moto-items", type=int, default=20_000)
    parser.add_argument("--skip-moto", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_local(args.child)))
        return
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}, cpus: {os.cpu_count()}")
    print("\n1. a local map (Distributed Map, results exported, read back in order)")
    print(
        f"{'items':>9} {'status':>9} {'s':>8} {'µs/item':>9} {'KiB/item':>9} "
        f"{'largest state':>14} {'time/item ratio':>16} {'mem/item ratio':>15}"
    )
    base: dict[str, Any] | None = None
    for n in [int(x) for x in args.items.split(",")]:
        fig = local_child(n)
        per_item = fig["seconds"] / n * 1e6
        mem = fig["peak_rss_kib"] / n
        base = base or {"per_item": per_item, "mem": mem}
        print(
            f"{n:>9,} {fig['status']:>9} {fig['seconds']:>8.1f} {per_item:>9.0f} {mem:>9.2f} "
            f"{fig['largest_document']:>12,} B {per_item / base['per_item']:>15.2f}x "
            f"{mem / base['mem'] if base['mem'] else 0:>14.2f}x"
        )
    print("\n2. the largest state document per shipped flow")
    for name, bound, measured in shipped_flow_states():
        print(f"  {name:<28} plan bound: {bound:<32} measured: {measured}")
    if not args.skip_moto:
        print(f"\n3. a map over {args.moto_items:,} items in moto")
        fig = measure_moto(args.moto_items)
        print(
            f"  {fig['status']}, result {fig['result']}, {fig['seconds']:.1f} s "
            f"({fig['seconds'] / args.moto_items * 1e6:.0f} µs/item), largest state document "
            f"{fig['largest_document']:,} B"
        )


if __name__ == "__main__":
    main()
