"""大促监控 (seed §6): real-time monitoring of a shopping-festival sale, every hour.

Exactly the seed's structure: two collectors (clicks, payments) in parallel, an enrichment that
joins them, statistics, then an alert and a dashboard update both fed by the statistics. The
seed's explicit `set_upstream(agg_stats)` lines repeat data edges and change nothing, but they are
kept so the flow reads as the article does.
"""

from __future__ import annotations

from typing import Any

from functions._fake import rng, simulate_latency
from orchestrator import Flow, IntervalSchedule, Parameter, task

CHANNELS = ("app", "web", "mini-program", "live-stream")


@task(max_retries=2)
def realtime_clicks(window_start: str) -> list[dict[str, Any]]:
    """Read the window's click counts per channel from the (simulated) click stream."""
    simulate_latency()
    r = rng("clicks", window_start)
    return [
        {"channel": c, "clicks": r.randint(20_000, 200_000), "uv": r.randint(5_000, 60_000)}
        for c in CHANNELS
    ]


@task(max_retries=2)
def payment_events(window_start: str) -> list[dict[str, Any]]:
    """Read the window's paid orders per channel from the (simulated) payment stream."""
    simulate_latency()
    r = rng("payments", window_start)
    out = []
    for c in CHANNELS:
        orders = r.randint(200, 6_000)
        out.append({"channel": c, "orders": orders, "gmv": round(orders * r.uniform(80, 400), 2)})
    return out


@task
def enrich_data(
    clicks: list[dict[str, Any]], payments: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Join clicks and payments per channel and derive the conversion rate."""
    paid = {p["channel"]: p for p in payments}
    rows = []
    for c in clicks:
        p = paid.get(c["channel"], {"orders": 0, "gmv": 0.0})
        rows.append(
            {
                **c,
                "orders": p["orders"],
                "gmv": p["gmv"],
                "conversion": round(p["orders"] / c["uv"], 4) if c["uv"] else 0.0,
            }
        )
    return rows


@task
def calculate_stats(enriched: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of the window and each channel's conversion."""
    uv = sum(r["uv"] for r in enriched)
    orders = sum(r["orders"] for r in enriched)
    return {
        "uv": uv,
        "orders": orders,
        "gmv": round(sum(r["gmv"] for r in enriched), 2),
        "conversion": round(orders / uv, 4) if uv else 0.0,
        "channels": {r["channel"]: r["conversion"] for r in enriched},
    }


@task
def trigger_alert(stats: dict[str, Any], min_conversion: float) -> dict[str, Any]:
    """Page the on-call when a channel converts below `min_conversion` (a broken checkout)."""
    low = sorted(c for c, rate in stats["channels"].items() if rate < min_conversion)
    return {
        "alert": bool(low),
        "channels": low,
        "message": f"转化率低于 {min_conversion:.1%}: {', '.join(low)}" if low else "",
    }


@task
def update_dashboard(stats: dict[str, Any]) -> dict[str, Any]:
    """Push the window's numbers to the (simulated) dashboard; report what was pushed."""
    simulate_latency()
    widgets = {key: stats[key] for key in ("uv", "orders", "gmv", "conversion")}
    return {"dashboard": "double-11-live", "widgets": widgets}


with Flow("大促监控") as promo_monitor:
    # The default is the sale's first hour so a local run is reproducible; a scheduled run
    # passes the window it monitors in its input.
    window_start = Parameter("window_start", default="2024-11-11T00:00:00+08:00")
    min_conversion = Parameter("min_conversion", default=0.02)
    # 数据采集层
    user_click = realtime_clicks(window_start)
    payment_stream = payment_events(window_start)
    # 处理层
    enriched = enrich_data(user_click, payment_stream)
    agg_stats = calculate_stats(enriched)
    # 输出层
    alert = trigger_alert(agg_stats, min_conversion)
    update_dashboard(agg_stats)
    # 依赖编排
    update_dashboard.set_upstream(agg_stats)
    alert.set_upstream(agg_stats)

promo_monitor.schedule = IntervalSchedule(interval=3600)
