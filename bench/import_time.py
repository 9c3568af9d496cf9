"""Cold-start import cost of a task Lambda, against a bare interpreter.

A task Lambda's cold start imports its entry point `orchestrator.runtime.lambda_entry` (Init:
the runtime and Powertools' Logger/Metrics, decorators applied), then on its first invocation the
shipped task module. This measures that path with `python -X importtime`, once per module in
`functions/`, and a baseline of `python -c pass` in the same way, in fresh interpreters, outside
Lambda (no `LAMBDA_TASK_ROOT`, so no X-Ray). Each figure is the minimum of several runs (the
least disturbed one); import cost is the summed self time of the modules the statement imports
beyond the baseline's. Budget: 250 ms per task module.

Also shown, not budgeted: local runs' `orchestrator.runtime.handler` alone, the X-Ray Tracer a
function with `Tracing: Active` builds at Init (X-Ray SDK and its botocore patch), and
idempotency (boto3), imported only by idempotent tasks.

    python bench/import_time.py [--runs 7] [--check]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_US = 250_000
COLD_PATH = "import orchestrator.runtime.lambda_entry"
#: What makes Powertools' Tracer (and so `orchestrator.runtime.telemetry`) trace: in Lambda.
LAMBDA_ENV = {"LAMBDA_TASK_ROOT": str(ROOT)}


@dataclass
class Profile:
    self_us: dict[str, int]  # module -> self time
    shallow: dict[str, int]  # module at import depth <= 2 -> cumulative time
    wall_s: float

    @property
    def total_us(self) -> int:
        return sum(self.self_us.values())


def profile(statement: str, env: dict[str, str] | None = None) -> Profile:
    # Outside Lambda unless `env` says otherwise, whatever the calling shell has set.
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDA_", "POWERTOOLS_"))}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**outside, **(env or {})},
    )
    wall = time.perf_counter() - start
    self_us: dict[str, int] = {}
    shallow: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line[len("import time:") :].split("|")
        own, cumulative, name = int(fields[0]), int(fields[1]), fields[2]
        module = name.strip()
        self_us[module] = own
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2  # importtime indents 2 per level
        if depth <= 2:
            shallow[module] = cumulative
    return Profile(self_us, shallow, wall)


def best(statement: str, runs: int, env: dict[str, str] | None = None) -> Profile:
    """The run with the least total import time: noise on a shared machine only adds."""
    return min((profile(statement, env) for _ in range(runs)), key=lambda p: p.total_us)


def cost_us(p: Profile, baseline: Profile) -> int:
    return sum(us for module, us in p.self_us.items() if module not in baseline.self_us)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()

    baseline = best("pass", args.runs)
    print(
        f"baseline `python -c pass`: imports {baseline.total_us / 1000:.1f} ms, "
        f"process {baseline.wall_s * 1000:.0f} ms"
    )
    handler = best("import orchestrator.runtime.handler", args.runs)
    print(
        f"import orchestrator.runtime.handler (local runs): "
        f"+{cost_us(handler, baseline) / 1000:.1f} ms"
    )
    cold = best(COLD_PATH, args.runs)
    print(
        f"{COLD_PATH} (Lambda Init; Powertools Logger/Metrics): "
        f"+{cost_us(cold, baseline) / 1000:.1f} ms"
    )
    traced = best(COLD_PATH, args.runs, LAMBDA_ENV)
    print(
        f"  in Lambda with Tracing: Active (X-Ray SDK, botocore patched): "
        f"+{cost_us(traced, baseline) / 1000:.1f} ms (not budgeted)"
    )
    idem = best(COLD_PATH + ", orchestrator.runtime.idempotency", args.runs)
    print(
        f"  + idempotency (only for idempotent tasks; boto3): "
        f"+{cost_us(idem, baseline) / 1000:.1f} ms (not budgeted)"
    )

    print(f"\ncold path per shipped task module (budget {BUDGET_US / 1000:.0f} ms):")
    print(f"  {'module':<32} {'import ms':>9} {'x imports':>9} {'x process':>9}")
    worst: tuple[int, str, Profile] | None = None
    for path in sorted((ROOT / "functions").glob("*.py")):
        if path.stem.startswith("_"):
            continue
        module = f"functions.{path.stem}"
        p = best(f"{COLD_PATH}, {module}", args.runs)
        cost = cost_us(p, baseline)
        print(
            f"  {module:<32} {cost / 1000:>9.1f} {p.total_us / baseline.total_us:>9.2f} "
            f"{p.wall_s / baseline.wall_s:>9.2f}"
        )
        if worst is None or cost > worst[0]:
            worst = (cost, module, p)
    if worst is None:
        print("  (no modules in functions/)")
        return 0
    cost, module, p = worst
    print(f"\ntop imports of the slowest ({module}), cumulative µs, nesting depth <= 2:")
    fresh = {m: us for m, us in p.shallow.items() if m not in baseline.self_us}
    for name, us in sorted(fresh.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {us:>9}  {name}")
    verdict = "within" if cost <= BUDGET_US else "OVER"
    print(
        f"\nworst cold import {cost / 1000:.1f} ms: {verdict} the {BUDGET_US / 1000:.0f} ms budget"
    )
    return 1 if args.check and cost > BUDGET_US else 0


if __name__ == "__main__":
    sys.exit(main())
