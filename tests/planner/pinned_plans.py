"""The planner's output for a fixed set of random graphs, as digests: what must not change when
the planner is made faster (tests/planner/test_pinned_plans.py).

    python -m tests.planner.pinned_plans   # rewrite the fixture (only for an intended change)
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from orchestrator.graph import FlowGraph
from orchestrator.planner import plan_flow
from tests.planner.random_graphs import gnp_deps, graph_of, layered_deps, random_graphs

FIXTURE = Path(__file__).parent / "fixtures" / "pinned_plans.json"
SEED = 14


def pinned_graphs() -> list[FlowGraph]:
    """60 small random flows, and a few large plain DAGs (the bench's shapes)."""
    rng = random.Random(SEED)
    large = [
        graph_of(layered_deps(rng, 300, 10, 2), name="layered-300"),
        graph_of(layered_deps(rng, 1000, 10, 2), name="layered-1000"),
        graph_of(layered_deps(rng, 400, 25, 3), rng, name="layered-400-varied"),
        graph_of(gnp_deps(rng, 200, 0.02), name="gnp-200"),
        graph_of(gnp_deps(rng, 150, 0.05), rng, name="gnp-150-varied"),
    ]
    return random_graphs(60, SEED) + large


def digest(graph: FlowGraph) -> str:
    """Everything `plan_flow` returns, serialised canonically and hashed."""
    plan = plan_flow(graph)
    record = {
        "asl": plan.text,
        "notes": plan.notes,
        "placeholders": plan.placeholders,
        "control": plan.control,
        "control_kinds": plan.control_kinds,
        "maps": plan.maps,
        "most_results": plan.most_results,
        "consts_bytes": plan.consts_bytes,
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def record() -> dict[str, str]:
    return {g.name: digest(g) for g in pinned_graphs()}


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(record(), indent=1) + "\n")
    print(f"wrote {FIXTURE}")
