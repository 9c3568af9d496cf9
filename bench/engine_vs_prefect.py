"""The local engine against Prefect 3, in one go on the same machine.

    .venv/bin/python bench/engine_vs_prefect.py [--quick] [--no-prefect]

Workloads: (a) a chain of 500 trivial tasks, (b) a map over 1,000 items, (c) process start-up
(import, and building + running a 1-task flow in a fresh interpreter), (d) an I/O-bound map of
100 items x 200 ms at MaxConcurrency 40 against the ideal 0.6 s, (e) scaling: a 2,000-task chain
and a 10,000-item map against 500 / 1,000, each size in its own process (time and peak memory).

Per-task overhead = (run time - the same Python functions called directly in a loop) / tasks.
Orchestrator's run time is `execute()` of the already planned ASL (the engine: it still compiles
the ASL into its state objects and invokes each task through the runtime handler); planning
(tracing + FlowGraph + planner) is reported separately, and so is `run_flow()` end to end, which
plans again, with store=False and once with the default SQLite run store. Figures are the best
(least disturbed) of several runs, with the median beside it: the machine is shared.

Prefect 3 is installed by this script into `.bench/prefect-venv` (reused when present; it is not a
project dependency) and runs `bench/prefect_workload.py` in a subprocess against a temporary local
server (ephemeral mode, SQLite under `.bench/prefect-home`): no network. Targets: <= 50 us of
engine overhead per task state, >= 100x less overhead than Prefect, the I/O map within 10 % of
0.6 s, and per-item time and memory that do not grow with size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from orchestrator import Flow, flow, task, unmapped  # noqa: E402
from orchestrator.contract import STORE_ENV  # noqa: E402
from orchestrator.engine.interpreter import execute  # noqa: E402
from orchestrator.local.flowrun import invoker  # noqa: E402
from orchestrator.local.flowrun import run_flow as run_machine  # noqa: E402
from orchestrator.planner import plan_flow  # noqa: E402

BENCH = ROOT / ".bench"
PREFECT_VENV = BENCH / "prefect-venv"
PREFECT_HOME = BENCH / "prefect-home"
PREFECT_SCRIPT = Path(__file__).resolve().parent / "prefect_workload.py"
PREFECT_SPEC = "prefect>=3,<4"

TARGET_OVERHEAD_US = 50.0
TARGET_RATIO = 100.0
TARGET_IO_TOLERANCE = 0.10


def run_flow(flow: Any, params: dict[str, Any], store: bool = True) -> Any:
    """`flow.run()` with the store made explicit: what a user's local run costs end to end."""
    return run_machine(flow.local_machine(), params, store=store)


# -- the workloads: trivial tasks, defined once at module level ---------------------------------
@task
def inc(x: int) -> int:
    return x + 1


@task
def items(n: int) -> list[int]:
    return list(range(n))


# Inline Maps: the figures measure the engine's own per-item overhead (a Distributed Map adds a
# result export and an S3 read, which bench/data_scale.py measures).
@task(distributed=False)
def square(x: int) -> int:
    return x * x


@task(distributed=False)
def nap(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x


def build_chain(n: int) -> Flow:
    """inc(inc(...inc(0))): n Task states in a row (the Prefect 1.x `with Flow` spelling)."""
    with Flow(f"bench chain {n}") as chain:
        value = inc(0)
        for _ in range(n - 1):
            value = inc(value)
    return chain


def build_map(n: int) -> Flow:
    """square.map(items(n)): one Task state, then a Map state of n iterations."""

    @flow(name=f"bench map {n}")
    def mapped(n: int = n) -> Any:
        return square.map(items(n))

    return mapped


def build_io_map(n: int, concurrency: int) -> Flow:
    @flow(name=f"bench io map {n}", max_concurrency=concurrency)
    def io_mapped(n: int = n, seconds: float = 0.2) -> Any:
        return nap.map(items(n), unmapped(seconds))

    return io_mapped


def direct_chain(n: int) -> None:
    value = 0
    for _ in range(n):
        value = inc.fn(value)
    assert value == n


def direct_map(n: int) -> None:
    out = [square.fn(i) for i in items.fn(n)]
    assert len(out) == n


WORKLOADS: dict[str, tuple[Callable[[int], Flow], Callable[[int], None]]] = {
    "chain": (build_chain, direct_chain),
    "map": (build_map, direct_map),
}


# -- measuring ----------------------------------------------------------------------------------
@dataclass
class Samples:
    values: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@dataclass
class EngineResult:
    workload: str
    n: int  # task states (chain) or Map iterations (map): the divisor of the overhead
    trace: Samples  # building the Flow object (tracing the task calls)
    graph: Samples  # FlowGraph validation
    plan: Samples  # the planner: graph -> ASL
    run: Samples  # execute() of the planned ASL: the engine
    run_flow: Samples  # run_flow(store=False): plans again, runs, summarises
    baseline: Samples  # the same functions called directly
    run_flow_store_s: float | None = None  # run_flow with the default SQLite store, once
    status: str = ""
    events: int = 0

    @property
    def compile_s(self) -> float:
        return self.trace.best + self.graph.best + self.plan.best

    @property
    def overhead_us(self) -> float:
        return (self.run.best - self.baseline.best) / self.n * 1e6

    @property
    def overhead_median_us(self) -> float:
        return (self.run.median - self.baseline.best) / self.n * 1e6

    @property
    def run_flow_overhead_us(self) -> float:
        return (self.run_flow.best - self.baseline.best) / self.n * 1e6


def measure_engine(
    workload: str, n: int, repeats: int = 5, with_store: bool = True
) -> EngineResult:
    """Plan and run one workload `repeats` times; every figure is taken in this process."""
    build, direct = WORKLOADS[workload]
    res = EngineResult(
        workload, n, Samples(), Samples(), Samples(), Samples(), Samples(), Samples()
    )
    built: Flow | None = None
    for _ in range(repeats):
        start = time.perf_counter()
        built = build(n)
        traced = time.perf_counter()
        graph = built.graph
        validated = time.perf_counter()
        plan = plan_flow(graph)
        res.trace.values.append(traced - start)
        res.graph.values.append(validated - traced)
        res.plan.values.append(time.perf_counter() - validated)
    assert built is not None
    invoke = invoker(built.local_machine())
    name = built.graph.resource_name
    for _ in range(repeats):
        t, execution = timed(
            lambda: execute(plan.asl, {}, invoke=invoke, state_machine_name=name, on_record=None)
        )
        res.run.values.append(t)
        if execution.status != "SUCCEEDED":
            raise RuntimeError(f"{workload} {n}: {execution.status} {execution.error}")
        res.events = len(execution.events)
        t, flow_run = timed(lambda: run_flow(built, {}, store=False))
        res.run_flow.values.append(t)
        res.status = flow_run.state
        t, _ = timed(lambda: direct(n))
        res.baseline.values.append(t)
    for _ in range(max(0, 5 - repeats)):  # the baseline is cheap: always best of >= 5
        res.baseline.values.append(timed(lambda: direct(n))[0])
    if with_store:
        with tempfile.TemporaryDirectory() as tmp:
            previous = os.environ.get(STORE_ENV)
            os.environ[STORE_ENV] = str(Path(tmp) / "runs.sqlite")
            try:
                res.run_flow_store_s, stored = timed(lambda: run_flow(built, {}))
                assert stored.succeeded
            finally:
                if previous is None:
                    os.environ.pop(STORE_ENV, None)
                else:
                    os.environ[STORE_ENV] = previous
    return res


@dataclass
class IoResult:
    n: int
    seconds: float
    concurrency: int
    elapsed: Samples
    status: str

    @property
    def ideal(self) -> float:
        return math.ceil(self.n / self.concurrency) * self.seconds

    @property
    def excess(self) -> float:
        return self.elapsed.best / self.ideal - 1


def measure_io_map(
    n: int = 100, seconds: float = 0.2, concurrency: int = 40, repeats: int = 3
) -> IoResult:
    built = build_io_map(n, concurrency)
    res = IoResult(n, seconds, concurrency, Samples(), "")
    for _ in range(repeats):
        t, flow_run = timed(lambda: run_flow(built, {"n": n, "seconds": seconds}, store=False))
        res.elapsed.values.append(t)
        res.status = flow_run.state
        assert flow_run.result == list(range(n)), "the I/O map returned a wrong result"
    return res


# -- (c) process start-up -----------------------------------------------------------------------
ONE_TASK_FLOW = """\
from orchestrator import Flow, task
@task
def inc(x: int) -> int:
    return x + 1
with Flow("one") as one:
    inc(0)
assert one.run().state == "SUCCEEDED"
"""


def subprocess_best(argv: Sequence[str], runs: int, env: dict[str, str] | None = None) -> Samples:
    out = Samples()
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
        out.values.append(time.perf_counter() - start)
    return out


@dataclass
class Startup:
    bare: Samples  # python -c pass
    imported: Samples  # python -c "import orchestrator"
    one_task: Samples  # build and run a 1-task flow


def measure_startup(runs: int = 5) -> Startup:
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, **{STORE_ENV: str(Path(tmp) / "runs.sqlite")})
        return Startup(
            bare=subprocess_best([py, "-c", "pass"], runs, env),
            imported=subprocess_best([py, "-c", "import orchestrator"], runs, env),
            one_task=subprocess_best([py, "-c", ONE_TASK_FLOW], runs, env),
        )


# -- (e) scaling: each size in a fresh process --------------------------------------------------
def child_figures(workload: str, n: int, repeats: int) -> dict[str, Any]:
    """Run in the child process: time of plan and run, and how much memory the run takes."""
    build, _ = WORKLOADS[workload]
    start = time.perf_counter()
    built = build(n)
    plan = plan_flow(built.graph)
    plan_s = time.perf_counter() - start
    invoke = invoker(built.local_machine())
    execute(plan.asl, {}, invoke=invoke, on_record=None)  # warm-up: first-use imports and caches
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = []
    status = ""
    for _ in range(repeats):
        t, execution = timed(lambda: execute(plan.asl, {}, invoke=invoke, on_record=None))
        runs.append(t)
        status = execution.status
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    execute(plan.asl, {}, invoke=invoke, on_record=None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "workload": workload,
        "n": n,
        "plan_s": plan_s,
        "run_s": min(runs),
        "run_median_s": statistics.median(runs),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "traced_peak_bytes": peak,
        "status": status,
    }


def measure_scaling(workload: str, n: int, repeats: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", workload, str(n), "--repeats", str(repeats)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- Prefect ------------------------------------------------------------------------------------
def prefect_python() -> Path:
    return PREFECT_VENV / "bin" / "python"


def ensure_prefect() -> tuple[Path | None, str]:
    """The Prefect venv's interpreter (created and installed on first use), or None and why."""
    py = prefect_python()
    check = [str(py), "-c", "import prefect; print(prefect.__version__)"]
    if py.exists():
        probe = subprocess.run(check, capture_output=True, text=True)
        if probe.returncode == 0:
            return py, probe.stdout.strip()
    print(f"installing {PREFECT_SPEC} into {PREFECT_VENV} (once) ...", flush=True)
    try:
        BENCH.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(PREFECT_VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", PREFECT_SPEC],
            check=True,
            capture_output=True,
            text=True,
        )
        probe = subprocess.run(check, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", None) or str(err)
        return None, f"Prefect could not be installed: {detail.strip().splitlines()[-1:]}"
    return py, probe.stdout.strip()


def prefect_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    PREFECT_HOME.mkdir(parents=True, exist_ok=True)
    env.update(
        PREFECT_HOME=str(PREFECT_HOME),
        PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",  # a temporary local server, SQLite
        PREFECT_LOGGING_LEVEL="WARNING",  # no console line per task run: Prefect's best case
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY="false",
        DO_NOT_TRACK="1",
        PREFECT_CLIENT_MAX_RETRIES="10",  # the local server answers 503 when it is swamped
        PREFECT_SERVER_DATABASE_TIMEOUT="60",
        PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT="30",
    )
    return env


def run_prefect(py: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(py), str(PREFECT_SCRIPT), *args],
        cwd=ROOT,
        env=prefect_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError("prefect workload failed: " + " | ".join(tail))
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- printing -----------------------------------------------------------------------------------
def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = [title, line]
    for k, row in enumerate(cells):
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            out.append(line)
    out.append(line)
    return "\n".join(out)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:,.1f} ms"


def us(micro: float | None) -> str:
    return "-" if micro is None else f"{micro:,.1f} us"


def ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:,.1f}x"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def engine_rows(res: EngineResult) -> list[list[str]]:
    unit = "task state" if res.workload == "chain" else "item"
    return [
        [
            f"{res.workload} {res.n:,}: compile (trace+graph+plan)",
            ms(res.compile_s),
            f"{ms(res.trace.best)} + {ms(res.graph.best)} + {ms(res.plan.best)}",
        ],
        [f"{res.workload} {res.n:,}: execute() of the ASL", ms(res.run.best), ms(res.run.median)],
        [f"{res.workload} {res.n:,}: direct-call baseline", ms(res.baseline.best), ""],
        [
            f"{res.workload} {res.n:,}: engine overhead per {unit}",
            us(res.overhead_us),
            us(res.overhead_median_us),
        ],
        [
            f"{res.workload} {res.n:,}: run_flow(store=False)",
            ms(res.run_flow.best),
            f"{us(res.run_flow_overhead_us)}/{unit}",
        ],
        [f"{res.workload} {res.n:,}: run_flow() default store, once", ms(res.run_flow_store_s), ""],
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-prefect", action="store_true", help="only the Orchestrator figures")
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)

    if args.child:
        figures = child_figures(args.child[0], int(args.child[1]), args.repeats or 3)
        print(json.dumps(figures))
        return 0

    repeats = args.repeats or (2 if args.quick else 5)
    startup_runs = 3 if args.quick else 7
    print(
        f"Orchestrator engine vs Prefect 3 - Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"best of {repeats} (median beside it)\n",
        flush=True,
    )

    prefect_py: Path | None = None
    prefect_note = "skipped (--no-prefect)"
    if not args.no_prefect:
        prefect_py, prefect_note = ensure_prefect()
        if prefect_py is None:
            print(f"!! {prefect_note}; printing the Orchestrator figures only\n", flush=True)
        else:
            prefect_note = f"prefect {prefect_note}"

    # (a), (b)
    chain = measure_engine("chain", 500, repeats)
    mapped = measure_engine("map", 1000, repeats)
    print(
        table(
            "(a)(b) Orchestrator: compile and run (best / median)",
            ["", "best", "median / detail"],
            engine_rows(chain) + engine_rows(mapped),
        ),
        "\n",
        flush=True,
    )

    pf: dict[str, dict[str, Any]] = {}
    if prefect_py is not None:
        for key, wl_args in {
            "chain": ["chain", "500"],
            "map": ["map", "1000"],
            "iomap": ["iomap", "100", "--sleep", "0.2", "--concurrency", "40"],
        }.items():
            try:
                pf[key] = run_prefect(prefect_py, *wl_args, "--repeats", str(min(repeats, 3)))
                for failure in pf[key].get("failed_runs", []):
                    print(f"!! prefect {key}: a run failed and was retried: {failure}")
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                print(f"!! prefect {key}: {err}", flush=True)

    rows = []
    for label, res, key in (
        ("(a) chain of 500", chain, "chain"),
        ("(b) map of 1,000", mapped, "map"),
    ):
        p = pf.get(key)
        p_over = None
        p_best = None
        if p is not None:
            p_best = min(p["runs_s"])
            p_over = (p_best - p["baseline_s"]) / res.n * 1e6
        rows.append(
            [
                label,
                ms(res.run.best),
                us(res.overhead_us),
                ms(p_best),
                us(p_over),
                ratio(p_over / res.overhead_us if p_over and res.overhead_us > 0 else None),
                verdict(res.overhead_us <= TARGET_OVERHEAD_US),
                "-"
                if p_over is None
                else verdict(res.overhead_us > 0 and p_over / res.overhead_us >= TARGET_RATIO),
            ]
        )
    print(
        table(
            f"Per-task overhead, Orchestrator vs Prefect ({prefect_note}; Prefect: best of "
            f"{min(repeats, 3)} after a warm-up run that starts its local server)",
            [
                "workload",
                "orch run",
                "orch/task",
                "prefect run",
                "prefect/task",
                "prefect/orch",
                f"<= {TARGET_OVERHEAD_US:.0f} us",
                f">= {TARGET_RATIO:.0f}x",
            ],
            rows,
        ),
        "\n",
        flush=True,
    )

    # (c)
    st = measure_startup(startup_runs)
    rows = [
        ["python -c pass", ms(st.bare.best), "", "", "", ""],
        ["import orchestrator", ms(st.imported.best), ms(st.imported.best - st.bare.best)],
        ["build + run a 1-task flow", ms(st.one_task.best), ms(st.one_task.best - st.bare.best)],
    ]
    if prefect_py is not None:
        pbare = subprocess_best([str(prefect_py), "-c", "pass"], startup_runs, prefect_env())
        pimp = subprocess_best(
            [str(prefect_py), "-c", "import prefect"], startup_runs, prefect_env()
        )
        pone = subprocess_best(
            [str(prefect_py), str(PREFECT_SCRIPT), "oneshot", "1"],
            min(startup_runs, 3),
            prefect_env(),
        )
        pairs = [(st.bare, pbare), (st.imported, pimp), (st.one_task, pone)]
        for row, (o, p) in zip(rows, pairs, strict=True):
            o_net, p_net = o.best - st.bare.best, p.best - pbare.best
            row[1:] = [
                ms(o.best),
                ms(o_net) if row[0] != "python -c pass" else "",
                ms(p.best),
                ms(p_net) if row[0] != "python -c pass" else "",
                ratio(p_net / o_net) if row[0] != "python -c pass" and o_net > 0 else "",
            ]
    else:
        rows = [r[:3] + ["-", "-", "-"] for r in rows]
    print(
        table(
            f"(c) Process start-up, fresh interpreter each time (best of {startup_runs})",
            ["", "orchestrator", "minus bare", "prefect", "minus bare", "prefect/orch"],
            rows,
        ),
        "\n",
        flush=True,
    )

    # (d)
    io = measure_io_map(100, 0.2, 40, repeats=3)
    p_io = pf.get("iomap")
    rows = [
        [
            "Orchestrator run_flow",
            ms(io.elapsed.best),
            ms(io.elapsed.median),
            ms(io.ideal),
            f"{io.excess:+.1%}",
            verdict(io.excess <= TARGET_IO_TOLERANCE),
        ]
    ]
    if p_io is not None:
        p_best = min(p_io["runs_s"])
        rows.append(
            [
                "Prefect 3 (ThreadPoolTaskRunner(40))",
                ms(p_best),
                ms(statistics.median(p_io["runs_s"])),
                ms(io.ideal),
                f"{p_best / io.ideal - 1:+.1%}",
                "",
            ]
        )
    print(
        table(
            "(d) I/O-bound map: 100 items x 200 ms sleep, MaxConcurrency 40 (best of 3)",
            ["", "best", "median", "ideal", "vs ideal", "<= +10%"],
            rows,
        ),
        "\n",
        flush=True,
    )

    # (e)
    scale_repeats = 2 if args.quick else 3
    rows = []
    for workload, small, large in (("chain", 500, 2000), ("map", 1000, 10_000)):
        a = measure_scaling(workload, small, scale_repeats)
        b = measure_scaling(workload, large, scale_repeats)
        for fig in (a, b):
            rows.append(
                [
                    f"{workload} {fig['n']:,}",
                    ms(fig["plan_s"]),
                    ms(fig["run_s"]),
                    us(fig["run_s"] / fig["n"] * 1e6),
                    f"{fig['traced_peak_bytes'] / 2**20:,.1f} MiB",
                    f"{fig['traced_peak_bytes'] / fig['n'] / 1024:,.2f} KiB",
                    f"{(fig['rss_after_kib'] - fig['rss_before_kib']) / 1024:,.1f} MiB",
                    fig["status"],
                ]
            )
        size = b["n"] / a["n"]
        rows.append(
            [
                f"  {workload}: x{size:g} items ->",
                f"x{b['plan_s'] / a['plan_s']:.2f}",
                f"x{b['run_s'] / a['run_s']:.2f}",
                f"x{(b['run_s'] / b['n']) / (a['run_s'] / a['n']):.2f}",
                f"x{b['traced_peak_bytes'] / a['traced_peak_bytes']:.2f}",
                f"x{(b['traced_peak_bytes'] / b['n']) / (a['traced_peak_bytes'] / a['n']):.2f}",
                "",
                "linear"
                if (b["run_s"] / b["n"]) / (a["run_s"] / a["n"]) <= 1.25
                else "SUPERLINEAR",
            ]
        )
    print(
        table(
            f"(e) Scaling, one process per size: execute() best of {scale_repeats}; memory = "
            "tracemalloc peak of one execute(), and maxrss growth over the timed runs",
            ["", "plan", "run", "run/item", "peak mem", "mem/item", "maxrss +", "status"],
            rows,
        ),
        flush=True,
    )
    print(
        "\nper-item ratio x1.00 = linear; the 'items ->' rows divide the large size's figure by "
        "the small one's (time per item and memory per item should stay near x1)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
