"""Calls with a real-time limit: a task with TimeoutSeconds runs on a worker thread.

Python cannot kill a thread, so a call that overruns is abandoned: the caller gets TimeoutError
and moves on while the worker finishes in the background (daemon threads, so an abandoned call
never blocks interpreter exit). Workers are reused, which keeps a timed call at a few tens of
microseconds instead of a thread start per task.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class _Job:
    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _Pool:
    def __init__(self) -> None:
        self._idle: list[queue.SimpleQueue[_Job]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], Any]) -> _Job:
        job = _Job(fn)
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(
                target=self._work, args=(inbox,), daemon=True, name="orchestrator-task"
            ).start()
        inbox.put(job)
        return job

    def _work(self, inbox: queue.SimpleQueue[_Job]) -> None:
        while True:
            job = inbox.get()
            try:
                job.result = job.fn()
            except BaseException as exc:  # handed to the caller, who re-raises it
                job.error = exc
            job.done.set()
            del job
            with self._lock:
                self._idle.append(inbox)


_POOL = _Pool()


class CallTimedOut(Exception):
    """The call overran its limit (distinct from a TimeoutError the call itself raises)."""


def call_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """`fn()`, or CallTimedOut after `timeout` seconds of real time (the call is abandoned)."""
    job = _POOL.submit(fn)
    if not job.done.wait(max(timeout, 0.0)):
        raise CallTimedOut()
    if job.error is not None:
        raise job.error
    return job.result
