"""Clocks: where the engine reads the time and spends retry backoffs and Wait states.

`RealClock` sleeps. `VirtualClock` advances a virtual offset instead, so a flow with long retry
intervals finishes in milliseconds while its history still shows the waits; its `now()` is wall
time plus the accumulated virtual delay, so real work (a slow task) still advances it. Both draw
FULL-jitter samples from their own `random.Random`, seedable for deterministic tests.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The time now: an aware datetime in UTC (history timestamps, `$$` times; the run
        store keeps them as microseconds since the epoch)."""

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> None:
        """Spend `seconds`; a real sleep returns early when `interrupt` is set."""

    def jitter(self, upper: float) -> float:
        """A FULL-jitter sample in [0, upper]."""


class RealClock:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    #: `datetime.now(UTC)`, called as C code: the recorder stamps each event holding its lock,
    #: and Python code there would let other threads in while it is held (`history.py`).
    now: Callable[[], datetime] = staticmethod(partial(datetime.now, UTC))

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        if interrupt is None:
            time.sleep(seconds)
        else:
            interrupt.wait(seconds)

    def jitter(self, upper: float) -> float:
        with self._lock:
            return self._random.uniform(0, upper)


class VirtualClock:
    """Time that passes instantly. Concurrent branches share one offset: two parallel waits of
    10 s advance it by 20 s, which only stretches timestamps (delays are recorded exactly)."""

    def __init__(self, seed: int | None = 0, start: datetime | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._start = start or datetime.now(UTC)
        self._origin = time.monotonic()
        self._offset = 0.0

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._origin + self._offset
        return self._start + timedelta(seconds=elapsed)

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> None:
        if seconds > 0:
            with self._lock:
                self._offset += seconds

    def jitter(self, upper: float) -> float:
        with self._lock:
            return self._random.uniform(0, upper)
