"""AWS's published prices that `orchestrator cost` multiplies by: one dated table, overridable.

Read on the date below from AWS's pricing pages for US East (N. Virginia):

- Step Functions (https://aws.amazon.com/step-functions/pricing/): Standard workflows $0.025 per
  1,000 state transitions ("a state transition each time a step of your workflow is executed …
  including retries"; 4,000 free a month). Express workflows $1.00 per million requests, and
  duration "rounded up to the nearest 100ms" times the memory used, "billed in 64-MB chunks",
  where "workflow memory utilized = 50 MB + state machine definition size + execution data size
  x Number of Parallel or Map Steps", at $0.06000 per GB-hour for the first 1,000 GB-hours of the
  month, $0.03000 for the next 4,000 and $0.01642 beyond.
- Lambda (https://aws.amazon.com/lambda/pricing/): $0.20 per million requests; duration, rounded
  up to the nearest 1 ms, at $0.0000166667 per GB-second on x86_64 and $0.0000133334 on arm64
  (the first 6 billion GB-seconds of a month; 1 million requests and 400,000 GB-seconds free).

Prices change and differ by region: a JSON file of the same field names overrides any of them
(`orchestrator cost --prices FILE`, or the `ORCHESTRATOR_PRICES` environment variable), and the
command prints which table it used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from orchestrator.errors import PathError

#: The environment variable naming a JSON file of price overrides.
PRICES_ENV = "ORCHESTRATOR_PRICES"
GB_HOUR_SECONDS = 3600


@dataclass(frozen=True)
class Prices:
    """Dollars per unit. A tier is (how many units it spans, or None for the rest; $ per unit)."""

    region: str = "us-east-1"
    read_on: str = "2026-11-30"
    source: str = "aws.amazon.com/step-functions/pricing, aws.amazon.com/lambda/pricing"
    standard_transition: float = 0.025 / 1000
    express_request: float = 1.00 / 1_000_000
    #: Express duration, by GB-seconds used in the month.
    express_gb_second_tiers: tuple[tuple[float | None, float], ...] = (
        (1_000 * GB_HOUR_SECONDS, 0.06 / GB_HOUR_SECONDS),
        (4_000 * GB_HOUR_SECONDS, 0.03 / GB_HOUR_SECONDS),
        (None, 0.01642 / GB_HOUR_SECONDS),
    )
    express_base_mb: float = 50.0
    express_memory_chunk_mb: int = 64
    express_duration_step_seconds: float = 0.1
    lambda_request: float = 0.20 / 1_000_000
    lambda_gb_second_arm64: float = 0.0000133334
    lambda_gb_second_x86_64: float = 0.0000166667

    def lambda_gb_second(self, architecture: str) -> float:
        return (
            self.lambda_gb_second_arm64 if architecture == "arm64" else self.lambda_gb_second_x86_64
        )

    def express_duration_cost(self, gb_seconds: float) -> float:
        """The Express duration charge of `gb_seconds` in one month, tier by tier."""
        cost, left = 0.0, gb_seconds
        for span, price in self.express_gb_second_tiers:
            used = left if span is None else min(left, span)
            cost += used * price
            left -= used
            if left <= 0:
                break
        return cost

    def describe(self) -> str:
        return f"{self.region} prices read on {self.read_on} ({self.source})"


DEFAULT_PRICES = Prices()


def load_prices(path: Path | None = None) -> Prices:
    """The default table, with the overrides of `path` (else of $ORCHESTRATOR_PRICES) applied."""
    if path is None and os.environ.get(PRICES_ENV):
        path = Path(os.environ[PRICES_ENV])
    if path is None:
        return DEFAULT_PRICES
    try:
        overrides = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PathError(
            path,
            f"is not a readable JSON prices file ({err})",
            fix='give a JSON object such as {"read_on": "2027-01-01", "standard_transition": '
            "0.00003}",
        ) from None
    known = {f.name: f for f in fields(Prices)}
    if not isinstance(overrides, dict) or not set(overrides) <= set(known):
        unknown = sorted(set(overrides) - set(known)) if isinstance(overrides, dict) else []
        raise PathError(
            path,
            "is not an object of known prices"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            fix=f"use the field names: {', '.join(known)}",
        )
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key == "express_gb_second_tiers":
            value = tuple((None if span is None else float(span), float(p)) for span, p in value)
        elif key not in ("region", "read_on", "source"):
            value = type(getattr(DEFAULT_PRICES, key))(value)
        values[key] = value
    if "source" not in values:
        values["source"] = f"{path}, over the defaults of {DEFAULT_PRICES.read_on}"
    return replace(DEFAULT_PRICES, **values)
