"""A first plan in a fresh interpreter stays cheap: what it imports, and what it compiles.

No timing (the machine is shared): the structure the start-up figure rests on (bench/
engine_overhead.py --startup-only, <= 100 ms over bare Python) is checked instead — the modules
`import orchestrator` and planning a 10-task flow must not load, and the source they must not
compile (a `@dataclass` compiles its methods at every import; `orchestrator.records` does not).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_plan_script() -> str:
    """The first plan bench/engine_overhead.py times (its FIRST_PLAN, so the flow guarded here
    is the one measured), between an audit hook counting compiled strings and a report."""
    spec = importlib.util.spec_from_file_location(
        "bench_engine_overhead", ROOT / "bench" / "engine_overhead.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # (its dataclasses look their module up)
    spec.loader.exec_module(bench)
    return f"{AUDIT}{bench.FIRST_PLAN}{REPORT}"


AUDIT = """\
import json, sys
compiled = []
sys.addaudithook(
    lambda event, args: compiled.append(args[1]) if event == "compile" else None
)
"""
REPORT = """\
print(json.dumps({"modules": sorted(sys.modules), "compiled": compiled.count("<string>")}))
"""

#: Loaded only by what needs them: a run (engine, run store), deploy, the CLI, AWS, viz, the
#: Lambda runtime, parameter validation (pydantic), names that need a digest (hashlib, OpenSSL),
#: recording durations (statistics).
NOT_IMPORTED = (
    "boto3",
    "botocore",
    "moto",
    "pydantic",
    "typer",
    "rich",
    "yaml",
    "sqlite3",
    "jsonata",
    "anyascii",
    "zoneinfo",
    "hashlib",
    "difflib",
    "threading",
    "concurrent",
    "asyncio",
    "subprocess",
    "logging",
    "tempfile",
    "urllib.request",
    "statistics",
    "orchestrator.engine.interpreter",
    "orchestrator.local",
    "orchestrator.deploy",
    "orchestrator.cli",
    "orchestrator.aws",
    "orchestrator.viz",
    "orchestrator.runtime",
    "orchestrator.testing",
    "orchestrator.sdk.params",
)

#: Source compiled from strings by the first plan (`compile` audit events; a module compiled
#: from its file when it has no pyc is not counted). On Python 3.12, 47: 33 methods generated for
#: the 7 `@dataclass`es of planner/structure.py, split.py and synchronisation.py, and 14 by the
#: standard library (named tuples and the like). A new dataclass on this path adds 3 to 6: it
#: should be a `record` (`orchestrator.records`), which compiles nothing.
MOST_COMPILED = 50


def first_plan() -> dict[str, list[str] | int]:
    done = subprocess.run(
        [sys.executable, "-c", first_plan_script()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[str] | int] = json.loads(done.stdout)
    return result


def test_a_first_plan_imports_nothing_heavy() -> None:
    found = first_plan()
    modules = found["modules"]
    assert isinstance(modules, list)
    loaded = [
        name for name in NOT_IMPORTED if any(m == name or m.startswith(f"{name}.") for m in modules)
    ]
    assert not loaded, f"import orchestrator + a first plan loads {loaded}"
    compiled = found["compiled"]
    assert isinstance(compiled, int)
    assert compiled <= MOST_COMPILED, f"a first plan compiles {compiled} pieces of source"
