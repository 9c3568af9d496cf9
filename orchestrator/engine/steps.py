"""Lanes as resumable steps: task calls run inline, bounded by one watchdog thread.

A lane (the machine's top-level states, a Parallel branch, a Map iteration) runs as a generator
of steps (`program.run_program`): it yields a `Call` each time a Task state invokes a function,
and `run_steps`, the trampoline, runs that call on its own thread and sends the result back in
(or throws the call's exception in). The interpreter's position is the suspended generator, not
the thread's stack, so a lane can go on from any thread.

That is what makes a time limit cheap. A call with one (every Task state has TimeoutSeconds)
registers its deadline with the watchdog — a dict entry, no thread hand-off — and runs inline.
Python cannot abandon a call running on the caller's own thread, so when a deadline passes
the watchdog abandons the *thread* instead: the lane's generator, suspended at that call, is
resumed on a fresh thread with the timeout error thrown in (TaskTimedOut is recorded, Retry and
Catch proceed, the lane goes on), and whatever follows the lane on its thread (`then`, `rest`)
follows it there. The stuck thread, when its call returns, finds its call settled by the
watchdog: it discards the late result and ends.
"""

from __future__ import annotations

import _thread
import itertools
import math
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Call:
    """A function call a lane asks its trampoline to make."""

    fn: Callable[[], Any]
    #: Seconds of real time it may take; None: unbounded.
    limit: float | None
    #: The error the lane gets instead of a result once the limit has passed.
    expired: Callable[[], BaseException]


#: What a lane, a state or a task attempt is: a generator yielding calls, returning its result.
Steps = Generator[Call, Any, T]
#: Called with a lane's result (or None and its error) once its steps end.
Then = Callable[[Any, BaseException | None], None]


def run_steps(
    steps: Steps[Any],
    then: Then,
    rest: Callable[[], None] | None = None,
    throw: BaseException | None = None,
) -> bool:
    """Run `steps` to their end on this thread and hand `then` the result (or the error).

    Returns False when a call overran its limit: the steps went on on another thread, which
    calls `then` and after it `rest` (what this thread would have done next); this thread
    should just end. `throw`: resume steps suspended at a call with this error.
    """
    send: Any = None
    while True:
        try:
            call = steps.send(send) if throw is None else steps.throw(throw)
        except StopIteration as stop:
            result: Any = stop.value
            error: BaseException | None = None
            break
        except BaseException as exc:  # handed to `then`, which re-raises or reports it
            result, error = None, exc
            break
        send = throw = None
        if call.limit is None:
            try:
                send = call.fn()
            except BaseException as exc:  # thrown into the steps, like a returned result
                throw = exc
            continue
        token = _WATCHDOG.watch(call, steps, then, rest)
        try:
            send = call.fn()
        except BaseException as exc:
            throw = exc
        if not _WATCHDOG.settle(token):
            return False  # the watchdog settled it first: the lane went on elsewhere
    then(result, error)
    return True


#: How long the waiting thread may take to act on a signal (Ctrl-C) it missed.
SIGNAL_POLL_SECONDS = 0.1


def run_detached(steps: Steps[T]) -> T:
    """Run `steps` on a thread of their own and wait here for their result: the caller gets
    it even when a call overran and the steps finished on another thread."""
    done = _thread.allocate_lock()
    done.acquire()
    outcome: list[tuple[Any, BaseException | None]] = []

    def then(result: Any, error: BaseException | None) -> None:
        outcome.append((result, error))
        done.release()

    threading.Thread(target=run_steps, args=(steps, then), daemon=True).start()
    # Waited for in slices, not at once: Python runs a signal's handler (Ctrl-C's
    # KeyboardInterrupt) on the main thread between bytecodes. A signal whose C handler ran
    # while this thread was not blocked yet (just before the wait began, or on another thread
    # — the steps' own) does not interrupt a wait that begins after it, and an unbounded one
    # would keep Ctrl-C waiting for the whole execution.
    while not done.acquire(timeout=SIGNAL_POLL_SECONDS):
        pass
    result, error = outcome[0]
    if error is not None:
        raise error
    return result


#: A watched call: (deadline, call, steps, then, rest), under its token in the watchdog's table.
#: Whoever removes it first — the thread making the call, when it returns, or the watchdog, when
#: the deadline passes — decides how the lane goes on. A tuple: one is made per timed call.
_Entry = tuple[float, Call, Steps[Any], Then, Callable[[], None] | None]


class _Watchdog:
    """One daemon thread sleeping until the earliest deadline of the calls it watches.

    Watching a call costs a dict entry and, only when its deadline is earlier than the one the
    watchdog sleeps until, a wake-up; settling it is `dict.pop`, atomic under the GIL, so of the
    caller and the watchdog exactly one gets the entry back. The watchdog scans the table when
    it wakes (it holds the calls running now: one per lane at most) and sleeps until the
    earliest deadline left. Bare locks (`threading.Condition` is Python code)."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._wake = _thread.allocate_lock()  # released to wake the watchdog early
        self._wake.acquire()
        self._watched: dict[int, _Entry] = {}
        self._order = itertools.count()
        #: When the watchdog wakes next: +inf while it scans, so that a call watched meanwhile
        #: wakes it again (its scan may have missed it).
        self._target = math.inf
        self._started = False

    def watch(
        self, call: Call, steps: Steps[Any], then: Then, rest: Callable[[], None] | None
    ) -> int:
        """Watch `call` from now on; returns the token its caller settles when it returns."""
        assert call.limit is not None
        deadline = time.monotonic() + max(call.limit, 0.0)
        token = next(self._order)
        self._watched[token] = (deadline, call, steps, then, rest)
        if deadline < self._target or not self._started:
            with self._lock:
                if not self._started:
                    self._started = True
                    threading.Thread(
                        target=self._loop, daemon=True, name="orchestrator-watchdog"
                    ).start()
                if deadline < self._target:
                    self._target = deadline
                    try:
                        self._wake.release()
                    except RuntimeError:
                        pass  # woken already
        return token

    def settle(self, token: int) -> bool:
        """True when this settled the call (it returned in time), False when the watchdog had."""
        return self._watched.pop(token, None) is not None

    def _loop(self) -> None:
        watched = self._watched
        while True:
            with self._lock:
                self._target = math.inf
            now = time.monotonic()
            expired: list[_Entry] = []
            earliest = math.inf
            for token, entry in list(watched.items()):  # a snapshot: lanes change it meanwhile
                if entry[0] <= now:
                    if watched.pop(token, None) is not None:
                        expired.append(entry)
                elif entry[0] < earliest:
                    earliest = entry[0]
            with self._lock:
                self._target = min(self._target, earliest)
            for entry in expired:
                threading.Thread(
                    target=_go_on, args=entry[1:], daemon=True, name="orchestrator-lane"
                ).start()
            if not expired:
                self._wake.acquire(timeout=-1 if earliest == math.inf else earliest - now)


def _go_on(call: Call, steps: Steps[Any], then: Then, rest: Callable[[], None] | None) -> None:
    """The lane of a call that overran, from that call on: its limit's error thrown in."""
    if run_steps(steps, then, rest, call.expired()) and rest is not None:
        rest()


_WATCHDOG = _Watchdog()
