"""动态分片 (seed §3): an unknown number of shards, one mapped task run per shard.

The shard count is only known at run time, so `process_shard.map(shards)` compiles to a Map
state over the list `get_data_shards` returns. The seed draws the count at random; here the draw
is seeded by the flow parameter `seed`, so a run is reproducible and another seed gives another
count (3 to 10).
"""

from __future__ import annotations

from typing import Any

from functions._fake import rng, simulate_latency
from orchestrator import flow, task


@task
def get_data_shards(seed: int) -> list[str]:
    """List the shards of today's dataset: between 3 and 10 of them."""
    r = rng("shards", seed)
    return [f"shard-{i}" for i in range(r.randint(3, 10))]


@task(max_retries=2)
def process_shard(shard: str) -> dict[str, Any]:
    """Process one shard: count its records and the malformed ones."""
    print(f"Processing {shard}")
    simulate_latency()
    r = rng("process", shard)
    records = r.randint(1_000, 50_000)
    return {"shard": shard, "records": records, "malformed": r.randint(0, records // 500)}


@task
def summarize_shards(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine the per-shard results (the Map's output, one item per shard, in shard order)."""
    records = sum(r["records"] for r in results)
    malformed = sum(r["malformed"] for r in results)
    return {
        "shards": len(results),
        "records": records,
        "malformed": malformed,
        "malformed_ratio": round(malformed / records, 6) if records else 0.0,
    }


@flow(name="动态分片")
def dynamic_shards(seed: int = 42) -> Any:
    shards = get_data_shards(seed)
    processed = process_shard.map(shards)
    return summarize_shards(processed)
