"""ETL (seed §1): extract a day of raw orders, clean them, transform them, load a daily summary.

The seed's point: each step is its own task, so a failing extract is retried on its own
(`max_retries=3`) instead of rerunning the whole pipeline, and each step gets its own Lambda.
"""

from __future__ import annotations

from typing import Any

from functions._fake import digest, rng, simulate_latency
from orchestrator import Flow, Parameter, task

CURRENCIES = ("CNY", "cny", "USD", "EUR")
# Fixed conversion rates: the transform must be reproducible, not market-accurate.
RATES_TO_CNY = {"CNY": 1.0, "USD": 7.2, "EUR": 7.8}
CATEGORIES = ("electronics", "apparel", "grocery", "home", "beauty")


@task(max_retries=3)
def extract(day: str, rows: int) -> list[dict[str, Any]]:
    """Read one day of raw orders from the (simulated) data lake, dirt included."""
    simulate_latency()
    r = rng("extract", day)
    out: list[dict[str, Any]] = []
    for i in range(rows):
        amount: float | None = round(r.uniform(5, 2000), 2)
        order_id = f"{day}-{i:05d}"
        roll = r.random()
        # Real raw feeds carry missing amounts, refunds recorded as negatives and replays.
        if roll < 0.05:
            amount = None
        elif roll < 0.08:
            amount = -amount
        elif roll < 0.11 and out:
            order_id = out[-1]["order_id"]
        out.append(
            {
                "order_id": order_id,
                "user_id": f"u-{r.randint(1, 50):04d}",
                "category": r.choice(CATEGORIES),
                "amount": amount,
                "currency": r.choice(CURRENCIES),
            }
        )
    return out


@task
def clean_data(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop rows without a positive amount, drop replayed orders, normalise currency codes."""
    seen: set[str] = set()
    cleaned: list[dict[str, Any]] = []
    for row in raw:
        amount = row.get("amount")
        if amount is None or amount <= 0 or row["order_id"] in seen:
            continue
        seen.add(row["order_id"])
        cleaned.append({**row, "currency": str(row["currency"]).upper()})
    return cleaned


@task
def transform(cleaned: list[dict[str, Any]]) -> dict[str, Any]:
    """Convert to CNY and aggregate revenue and order counts per category."""
    by_category: dict[str, dict[str, float]] = {}
    for row in cleaned:
        cny = row["amount"] * RATES_TO_CNY[row["currency"]]
        bucket = by_category.setdefault(row["category"], {"orders": 0, "revenue_cny": 0.0})
        bucket["orders"] += 1
        bucket["revenue_cny"] += cny
    categories = [
        {"category": c, "orders": int(v["orders"]), "revenue_cny": round(v["revenue_cny"], 2)}
        for c, v in sorted(by_category.items())
    ]
    return {
        "orders": len(cleaned),
        "revenue_cny": round(sum(c["revenue_cny"] for c in categories), 2),
        "categories": categories,
    }


@task
def load_to_db(summary: dict[str, Any], day: str) -> dict[str, Any]:
    """Upsert the summary into the (simulated) warehouse; report what was written."""
    simulate_latency()
    return {
        "table": "daily_category_sales",
        "day": day,
        "rows_written": len(summary["categories"]),
        # Upserts keyed by (day, category) make a retried load harmless; the checksum lets a
        # reader verify that what landed is what was computed.
        "checksum": digest(summary),
    }


with Flow("ETL") as etl:
    day = Parameter("day", default="2024-11-11")
    rows = Parameter("rows", default=200)
    raw = extract(day, rows)
    cleaned = clean_data(raw)
    transformed = transform(cleaned)
    load_to_db(transformed, day)
