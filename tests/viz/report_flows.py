"""Realistic runs for the run report's tests, on the virtual clock (backoffs take no time but
show in the timestamps).

`shards_run()`: 动态分片 报告 — a task that fails twice and succeeds on its third attempt
(3 s apart), a map over 50 items in which 5 items fail once and succeed when retried and 5
fail for good (tolerated: the map and the run succeed), a task that raises SKIP, and a sum.
`broken_run()`: a run that FAILS: a task whose error has HTML, quotes and Chinese in it, so the
page must escape it, and a task after it that never runs.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from typing import Any

from orchestrator import flow, task, unmapped
from orchestrator.local import FlowRun
from orchestrator.signals import SKIP

ITEMS = 50
RETRIED = {x for x in range(ITEMS) if x % 10 == 3}  # fail once, then succeed
LOST = {x for x in range(ITEMS) if x % 10 == 7}  # fail on both attempts: tolerated
HOSTILE = "<script>alert(\"x\")</script> & 中文 'quoted'"

_calls: Counter[tuple[str, int]] = Counter()
_lock = threading.Lock()
_keys = itertools.count()


class TransientError(Exception):
    """A failure worth retrying."""


def _call(key: str, item: int = -1) -> int:
    """How many times (key, item) has been called, this one included."""
    with _lock:
        _calls[(key, item)] += 1
        return _calls[(key, item)]


@task(retries=2, retry_delay=3)
def fetch_shards(n: int, key: str) -> list[int]:
    if _call(key) <= 2:
        raise ConnectionError(f"shard service refused call {_calls[(key, -1)]} <busy>")
    return list(range(n))


@task(
    name="处理分片",
    retries=1,
    retry_delay=1,
    distributed=True,
    tolerated_failure_count=len(LOST),
)
def process_shard(shard: int, key: str) -> dict[str, Any]:
    attempt = _call(key, shard)
    if shard in LOST:
        raise ValueError(f"shard {shard} is corrupt")
    if shard in RETRIED and attempt == 1:
        raise TransientError(f"shard {shard}: timeout talking to storage")
    return {"shard": shard, "rows": shard * 10, "label": "分片" * 20}


@task
def audit(shards: list[int]) -> None:
    raise SKIP("nothing new to audit")


@task
def summarize(results: list[dict[str, Any]]) -> dict[str, int]:
    done = [r for r in results if "rows" in r]
    return {
        "ok": len(done),
        "failed": len(results) - len(done),
        "rows": sum(r["rows"] for r in done),
    }


@flow(name="动态分片 报告")
def shards(n: int = ITEMS, key: str = "") -> Any:
    listed = fetch_shards(n, key)
    audit(listed)
    return summarize(process_shard.map(listed, unmapped(key)))


@task
def load(n: int) -> int:
    return n


@task(name='render <b>"x"</b>')
def render(n: int) -> str:
    raise RuntimeError(HOSTILE)


@task
def publish(page: str) -> None: ...


@flow(name="报告 <失败>")
def broken(n: int = 1) -> Any:
    return publish(render(load(n)))


def shards_run() -> FlowRun:
    """A fresh run of `shards` (its own call counts)."""
    key = f"{next(_keys)}-{uuid.uuid4().hex[:8]}"
    return shards.run(clock="virtual", key=key)


def broken_run() -> FlowRun:
    return broken.run(clock="virtual")
