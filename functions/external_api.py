"""External API call with a timeout (seed §4.1): a hung call must not hang the flow.

`timeout=300` becomes the Task state's `TimeoutSeconds` and the Lambda's `Timeout`, so Step
Functions fails the attempt with `States.Timeout` after five minutes instead of waiting forever.
The API here is simulated (an exchange-rate service): no network is needed to run the flow.
"""

from __future__ import annotations

from typing import Any

from functions._fake import rng, simulate_latency
from orchestrator import flow, task

API_URL = "https://api.example.com/v1/rates"
QUOTES = {"CNY": 7.2, "EUR": 0.92, "JPY": 151.0, "GBP": 0.79, "USD": 1.0}


@task(timeout=300)  # 5分钟超时
def call_external_api(base: str, day: str) -> dict[str, Any]:
    """GET the day's exchange rates for `base`; returns the API's JSON body."""
    simulate_latency()
    if base not in QUOTES:
        # What the real API does for an unknown currency: a 400 with an error body, which a
        # client turns into an exception so the run fails visibly instead of storing garbage.
        raise ValueError(f"{API_URL}?base={base}&date={day}: 400 unsupported base currency")
    r = rng("rates", base, day)
    usd_per_base = 1 / QUOTES[base]
    return {
        "base": base,
        "date": day,
        "rates": {
            code: round(per_usd * usd_per_base * (1 + r.uniform(-0.01, 0.01)), 6)
            for code, per_usd in sorted(QUOTES.items())
            if code != base
        },
        "source": API_URL,
    }


@task
def normalize_rates(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the response into rows `(date, base, quote, rate)` ready to store."""
    return [
        {"date": response["date"], "base": response["base"], "quote": quote, "rate": rate}
        for quote, rate in sorted(response["rates"].items())
    ]


@flow(name="external_api")
def external_api(base: str = "USD", day: str = "2024-11-11") -> Any:
    return normalize_rates(call_external_api(base, day))
