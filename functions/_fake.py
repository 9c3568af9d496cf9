"""Fake data sources shared by the shipped flows: deterministic, offline, pure Python.

The shipped flows must run anywhere (a laptop, CI, moto, a Lambda without network access), so
every "external system" here is simulated. Each fake draws its data from a `random.Random` seeded
by the call's inputs: the same inputs always give the same output, which is what lets the tests
assert exact results and lets a retried Lambda attempt return what the first attempt would have.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any

# A few milliseconds: enough for a run's timeline to show that work happened, too little to slow
# the test suite down.
LATENCY_SECONDS = 0.002


def rng(*parts: object) -> random.Random:
    """A random generator seeded by `parts`; str seeds hash stably across processes."""
    return random.Random("|".join(str(p) for p in parts))


def simulate_latency() -> None:
    """Pretend to wait for a remote system."""
    time.sleep(LATENCY_SECONDS)


def digest(value: Any, length: int = 12) -> str:
    """A short, stable content hash of a JSON value (sorted keys, so dict order is irrelevant)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]
