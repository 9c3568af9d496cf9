"""Running Parallel branches and Map iterations concurrently on daemon threads.

Threads are added as the work needs them, up to the state's limit: one to start with, then
twice as many each time a whole `RAMP_INTERVAL` passes with every thread busy and no job done.
Jobs that block (I/O, sleeps) reach full concurrency within a few milliseconds, while quick
CPU-bound jobs stay on one or two threads instead of paying for 40 threads taking turns on the
GIL — which made a 10,000-item map several times slower per item than a 1,000-item one.

The first failure that is not tolerated aborts the sibling scope and is raised at once: siblings
stop at their next step (event, state transition or sleep) and a sibling stuck in a long call is
abandoned, as Step Functions stops the other branches of a failed Parallel.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from .errors import StatesError
from .history import AbortScope
from .steps import Steps, run_steps

Job = Callable[[], Steps[Any]]  # a branch's or iteration's steps, made when it starts
RAMP_INTERVAL = 0.001  # seconds without a finished job, with every thread busy, before adding
OnFailure = Callable[[int, StatesError], Any]


def run_all(
    jobs: Sequence[Job], workers: int, scope: AbortScope, on_failure: OnFailure | None = None
) -> list[Any]:
    """Results of `jobs` in order, using at most `workers` threads at a time.

    `on_failure(i, error)` may return a value to stand for job i's result (a tolerated failure)
    or raise; without it every StatesError is fatal.
    """
    count = len(jobs)
    results: list[Any] = [None] * count
    if count == 0:
        return results
    # A failed job's worker waits for the verdict (tolerated, or abort) before it takes another
    # job: otherwise it could start a sibling that Step Functions would never have started.
    failures: queue.SimpleQueue[tuple[int, BaseException, threading.Event]] = queue.SimpleQueue()
    # Set on a failure and when the last job finishes: a job that succeeds does not wake the
    # waiting thread (a wake-up per Map item cost more than a quick item itself).
    wake = threading.Event()
    lock = threading.Lock()
    cursor = [0]
    finished = [0]

    def finish(index: int, result: Any, error: BaseException | None) -> None:
        if error is None:
            results[index] = result
        else:  # reported to the waiting thread
            verdict = threading.Event()
            failures.put((index, error, verdict))
            wake.set()
            verdict.wait()
        with lock:
            finished[0] += 1
            last = finished[0] == count
        if last:
            wake.set()

    def work() -> None:
        while True:
            with lock:
                index = cursor[0]
                cursor[0] += 1
            if index >= count or scope.event.is_set():
                return
            if not run_steps(jobs[index](), partial(finish, index), work):
                return  # a call overran: the job, then this loop, went on on another thread

    limit = min(workers, count)
    started = 0

    def spawn(extra: int) -> None:
        nonlocal started
        for _ in range(min(extra, limit - started)):
            threading.Thread(target=work, daemon=True, name="orchestrator-branch").start()
            started += 1

    spawn(1)
    seen = 0
    while True:
        woken = wake.wait(RAMP_INTERVAL if started < limit else None)
        wake.clear()
        while True:
            try:
                index, error, verdict = failures.get_nowait()
            except queue.Empty:
                break
            try:
                if isinstance(error, StatesError) and on_failure is not None:
                    try:
                        results[index] = on_failure(index, error)
                        continue
                    except BaseException:
                        scope.abort()
                        raise
                scope.abort()
                raise error
            finally:
                verdict.set()
        with lock:
            progress = finished[0]
        if progress == count:
            return results
        if not woken and progress == seen:
            spawn(started)  # a whole RAMP_INTERVAL with every thread busy and no job done
        seen = progress
