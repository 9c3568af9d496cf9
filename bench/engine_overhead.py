"""The engine's own cost per task state, against the same handlers called in a plain loop.

    .venv/bin/python bench/engine_overhead.py [--repeats N] [--startup-runs N] [--startup-only]

For a chain of 500 task states and a map over 1,000 items, in one process:

* baseline: the same task functions called through the runtime handler
  (`orchestrator.runtime.handler.execute_task`, what the Lambda runs) in a Python loop, with the
  payloads the state machine would send them;
* `execute()`: the engine alone, running the planned ASL (no run store);
* `flow.run()`: what a user's local run costs, with the default SQLite run store (in a
  temporary file): the engine *including* the run history.

Each is printed as the overhead per task state (or per Map item) over the baseline, in µs and as
a ratio of run time to the baseline's, best and median of N runs: in wall-clock time, and in CPU
time (`time.process_time`, every thread of the process: the engine's, the run store's writer),
which a loaded machine disturbs much less — the handlers are trivial, so a run's CPU time is
what it costs. Then the start-up of a fresh
interpreter: `import orchestrator` and building + planning a 10-task flow, minus bare Python.
The machine's load average is printed with the figures: on a shared machine, trust the best
figures of a quiet run, and compare ratios measured in the same run. Targets: <= 50 µs per task
state including the history, <= 100 ms for import + first plan.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for where in (ROOT, BENCH):  # run as a script from anywhere, or loaded by the smoke test
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))

from engine_vs_prefect import (  # noqa: E402
    Samples,
    build_chain,
    build_map,
    inc,
    items,
    square,
    table,
    timed,
)

from orchestrator import Flow  # noqa: E402
from orchestrator.contract import STORE_ENV  # noqa: E402
from orchestrator.engine.interpreter import execute  # noqa: E402
from orchestrator.local.flowrun import invoker  # noqa: E402
from orchestrator.runtime.handler import execute_task  # noqa: E402

TARGET_OVERHEAD_US = 50.0
TARGET_STARTUP_MS = 100.0
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:bench:baseline"


# -- the plain loop: the same handlers, through the runtime handler ---------------------------
def _context(flow: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "flow": flow,
        "execution_id": EXECUTION_ID,
        "state": state,
        "retry_count": 0,
        **extra,
    }


def loop_chain(n: int, flow: str) -> Any:
    """inc(inc(...inc(0))): what the chain's n Task states send the handler, in a loop."""
    value = 0
    for i in range(n):
        state = "inc" if i == 0 else f"inc_{i + 1}"
        event = {"task": state, "inputs": {"x": value}, "context": _context(flow, state)}
        value = execute_task(inc.fn, event)
    assert value == n
    return value


def loop_map(n: int, flow: str) -> Any:
    """items(n), then square(x) for each item, as the Map's iterations send them."""
    listed = execute_task(
        items.fn,
        {"task": "items", "inputs": {"n": n}, "context": _context(flow, "items"), "offload": False},
    )
    out = [
        execute_task(
            square.fn,
            {
                "task": "square",
                "inputs": {"x": x},
                "context": _context(flow, "square item", map_index=i, map_size=n),
            },
        )
        for i, x in enumerate(listed)
    ]
    assert len(out) == n
    return out


WORKLOADS: dict[str, tuple[Callable[[int], Flow], Callable[[int, str], Any]]] = {
    "chain": (build_chain, loop_chain),
    "map": (build_map, loop_map),
}


@dataclass
class Overhead:
    workload: str
    n: int  # task states (chain) or Map items (map): the divisor
    baseline: Samples
    execute: Samples
    flow_run: Samples  # flow.run() with the default run store
    events: int = 0
    #: The same runs' CPU time (all threads): baseline, execute, flow_run.
    cpu: tuple[Samples, Samples, Samples] = field(
        default_factory=lambda: (Samples(), Samples(), Samples())
    )

    def per_state_us(
        self, samples: Samples, median: bool = False, baseline: Samples | None = None
    ) -> float:
        value = samples.median if median else samples.best
        return (value - (baseline or self.baseline).best) / self.n * 1e6

    def ratio(
        self, samples: Samples, median: bool = False, baseline: Samples | None = None
    ) -> float:
        value = samples.median if median else samples.best
        return value / (baseline or self.baseline).best


def clocked(fn: Callable[[], Any], wall: Samples, cpu: Samples) -> Any:
    """Run `fn`, adding its wall-clock and CPU time (all threads) to the samples."""
    cpu_start = time.process_time()
    seconds, out = timed(fn)
    cpu.values.append(time.process_time() - cpu_start)
    wall.values.append(seconds)
    return out


def measure(workload: str, n: int, repeats: int = 5) -> Overhead:
    """Baseline, execute() and flow.run() with the store, interleaved `repeats` times."""
    build, loop = WORKLOADS[workload]
    built = build(n)
    machine = built.local_machine()
    flow_name = built.graph.resource_name
    invoke = invoker(machine)
    res = Overhead(workload, n, Samples(), Samples(), Samples())
    cpu_loop, cpu_execute, cpu_flow_run = res.cpu
    with tempfile.TemporaryDirectory() as tmp:
        previous = os.environ.get(STORE_ENV)
        os.environ[STORE_ENV] = str(Path(tmp) / "runs.sqlite")
        try:
            built.run()  # warm-up: first-use imports, the store's schema
            for _ in range(repeats):
                clocked(lambda: loop(n, flow_name), res.baseline, cpu_loop)
                execution = clocked(
                    lambda: execute(machine.definition, {}, invoke=invoke, on_record=None),
                    res.execute,
                    cpu_execute,
                )
                if execution.status != "SUCCEEDED":
                    raise RuntimeError(f"{workload} {n}: {execution.status} {execution.error}")
                res.events = len(execution.events)
                run = clocked(built.run, res.flow_run, cpu_flow_run)
                if not run.succeeded:
                    raise RuntimeError(f"{workload} {n}: flow.run() {run.state}")
        finally:
            if previous is None:
                os.environ.pop(STORE_ENV, None)
            else:
                os.environ[STORE_ENV] = previous
    return res


# -- start-up in a fresh interpreter ----------------------------------------------------------
FIRST_PLAN = """\
from orchestrator import Flow, task
@task
def inc(x: int) -> int:
    return x + 1
with Flow("ten") as ten:
    value = inc(0)
    for _ in range(9):
        value = inc(value)
assert len(ten.asl()["States"]) >= 10
"""


@dataclass
class Startup:
    bare: Samples
    imported: Samples
    first_plan: Samples


def measure_startup(runs: int = 7) -> Startup:
    """Interleaved fresh interpreters: bare Python, `import orchestrator`, import + 10-task plan."""
    py = sys.executable
    out = Startup(Samples(), Samples(), Samples())
    for _ in range(runs):
        for samples, code in (
            (out.bare, "pass"),
            (out.imported, "import orchestrator"),
            (out.first_plan, FIRST_PLAN),
        ):
            seconds, _ = timed(
                lambda: subprocess.run([py, "-c", code], cwd=ROOT, check=True, capture_output=True)  # noqa: B023
            )
            samples.values.append(seconds)
    return out


# -- printing ---------------------------------------------------------------------------------
def overhead_rows(res: Overhead) -> list[list[str]]:
    """Wall-clock rows, then the same runs' CPU-time rows."""
    unit = "task state" if res.workload == "chain" else "item"
    label = f"{res.workload} {res.n:,}"
    rows: list[list[str]] = []
    for clock, (baseline, execute_, flow_run) in (
        ("wall", (res.baseline, res.execute, res.flow_run)),
        ("CPU", res.cpu),
    ):
        rows.append(
            [
                f"{label}, {clock}: plain loop through execute_task",
                f"{baseline.best * 1e3:,.1f} ms",
                f"{baseline.median * 1e3:,.1f} ms",
                "",
                "",
                "",
            ]
        )
        for what, samples, target in (
            ("execute() (engine, no store)", execute_, False),
            ("flow.run() with the run store", flow_run, True),
        ):
            best = res.per_state_us(samples, baseline=baseline)
            median = res.per_state_us(samples, median=True, baseline=baseline)
            ratio = res.ratio(samples, baseline=baseline)
            ratio_median = res.ratio(samples, median=True, baseline=baseline)
            rows.append(
                [
                    f"{label}, {clock}: {what}",
                    f"{samples.best * 1e3:,.1f} ms",
                    f"{samples.median * 1e3:,.1f} ms",
                    f"{best:,.1f} / {median:,.1f} us per {unit}",
                    f"x{ratio:,.1f} / x{ratio_median:,.1f}",
                    ("OK" if best <= TARGET_OVERHEAD_US else "MISSED") if target else "",
                ]
            )
    return rows


def conditions() -> str:
    one, five, _ = os.getloadavg()
    return (
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {one:.2f} (1 min) {five:.2f} (5 min)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--startup-runs", type=int, default=7, help="0: skip the start-up")
    parser.add_argument("--chain", type=int, default=500)
    parser.add_argument("--map", type=int, default=1000)
    parser.add_argument(
        "--startup-only", action="store_true", help="only the fresh-interpreter start-up"
    )
    args = parser.parse_args(argv)
    if args.startup_only:
        return print_startup(args.startup_runs)

    print(f"Engine overhead - {conditions()}, best / median of {args.repeats}\n", flush=True)
    rows: list[list[str]] = []
    for workload, n in (("chain", args.chain), ("map", args.map)):
        rows += overhead_rows(measure(workload, n, args.repeats))
    print(
        table(
            "Per task state over the plain loop (overhead: best / median; ratio: run time / "
            "baseline's best)",
            ["", "best", "median", "overhead", "ratio", f"<= {TARGET_OVERHEAD_US:.0f} us"],
            rows,
        ),
        "\n",
        flush=True,
    )
    if args.startup_runs <= 0:
        print(f"after the run: {conditions()}")
        return 0
    return print_startup(args.startup_runs)


def print_startup(runs: int) -> int:
    """The fresh-interpreter table, then the load average after it."""
    if runs <= 0:
        return 0
    print(f"Start-up - {conditions()}\n", flush=True)
    st = measure_startup(runs)
    net = st.first_plan.best - st.bare.best
    print(
        table(
            f"Fresh interpreter, best / median of {runs} (interleaved)",
            ["", "best", "median", "minus bare (best)", f"<= {TARGET_STARTUP_MS:.0f} ms"],
            [
                ["python -c pass", f"{st.bare.best * 1e3:,.1f} ms", "", "", ""],
                [
                    "import orchestrator",
                    f"{st.imported.best * 1e3:,.1f} ms",
                    f"{st.imported.median * 1e3:,.1f} ms",
                    f"{(st.imported.best - st.bare.best) * 1e3:,.1f} ms",
                    "",
                ],
                [
                    "import + first 10-task plan",
                    f"{st.first_plan.best * 1e3:,.1f} ms",
                    f"{st.first_plan.median * 1e3:,.1f} ms",
                    f"{net * 1e3:,.1f} ms",
                    "OK" if net * 1e3 <= TARGET_STARTUP_MS else "MISSED",
                ],
            ],
        ),
        flush=True,
    )
    print(f"\nafter the run: {conditions()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
