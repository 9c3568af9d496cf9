"""Calls with a real-time limit: a task with TimeoutSeconds runs on a worker thread.

Python cannot kill a thread, so a call that overruns is abandoned: the caller gets TimeoutError
and moves on while the worker finishes in the background (daemon threads, so an abandoned call
never blocks interpreter exit). Workers are reused, and a call is handed over with two bare
locks (`_thread.allocate_lock`: acquire/release in C, no Condition, no allocation per call):
the handoff's cost is the two thread wake-ups it cannot avoid, which keeps a timed call at a
few microseconds on an idle core instead of a thread start per task.
"""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable
from typing import Any


class _Worker:
    """One daemon thread and its mailbox: `go` is released to hand it a call, `done` by it when
    the call has finished. A worker whose call was abandoned is not reused until it finishes."""

    __slots__ = ("go", "done", "fn", "result", "error")

    def __init__(self) -> None:
        self.go = _thread.allocate_lock()
        self.go.acquire()
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.fn: Callable[[], Any] | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        threading.Thread(target=self._loop, daemon=True, name="orchestrator-task").start()

    def _loop(self) -> None:
        while True:
            self.go.acquire()
            fn, self.fn = self.fn, None
            assert fn is not None
            try:
                self.result = fn()
            except BaseException as exc:  # handed to the caller, who re-raises it
                self.error = exc
            del fn
            self.done.release()

    def collect(self) -> Any:
        """The finished call's result (or its exception, raised); the worker is free again."""
        result, error = self.result, self.error
        self.result = self.error = None
        _POOL.release(self)
        if error is not None:
            raise error
        return result


class _Pool:
    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = _thread.allocate_lock()

    def take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker()

    def release(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)


_POOL = _Pool()


class CallTimedOut(Exception):
    """The call overran its limit (distinct from a TimeoutError the call itself raises)."""


def call_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """`fn()`, or CallTimedOut after `timeout` seconds of real time (the call is abandoned)."""
    worker = _POOL.take()
    worker.fn = fn
    worker.go.release()
    if not worker.done.acquire(timeout=max(timeout, 0.0)):
        # Abandoned: the worker rejoins the pool once the call has finished.
        threading.Thread(target=_rejoin, args=(worker,), daemon=True).start()
        raise CallTimedOut()
    return worker.collect()


def _rejoin(worker: _Worker) -> None:
    worker.done.acquire()
    worker.result = worker.error = None
    _POOL.release(worker)
