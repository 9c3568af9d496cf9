"""Deterministic task behaviours the conformance machines name in their ``"functions"`` map.

A case file maps each function key (a ``${Placeholder}`` or plain function name) to a behaviour:
either a bare name (``"echo"``) or ``{"behaviour": name, **options}``. `build_handlers` makes
fresh callables per run, so stateful behaviours (fail N times, error sequences) never leak between
the moto run and the engine run of one case, nor between cases.

No outcome may hang on a timing margin: moto and the engine run handlers on real threads and moto
times ``TimeoutSeconds`` with the wall clock, so a loaded machine stretches every call. Hence:

* a task meant to time out blocks (`block_until_released`) until the test releases it, so only
  the timeout can end the attempt; a task meant to beat its timeout returns at once;
* where concurrent branches must meet in a fixed order (a Parallel branch that fails only after
  its sibling's task ran), the option ``"after": [keys]`` makes a handler wait until the handlers
  of ``keys`` have returned (or raised) once in this run, instead of hoping the scheduler
  starts them in that order.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], Any]

_ERROR_CLASSES: dict[str, type[Exception]] = {}


def error_class(name: str) -> type[Exception]:
    """An exception class whose ``__name__`` is ``name``: Lambda reports it as the errorType."""
    if name not in _ERROR_CLASSES:
        _ERROR_CLASSES[name] = type(name, (Exception,), {})
    return _ERROR_CLASSES[name]


def echo() -> Handler:
    return lambda event: event


def constant(value: Any = None) -> Handler:
    return lambda event: value


def add_one() -> Handler:
    def handler(event: Any) -> Any:
        if isinstance(event, dict):
            return {**event, "value": event["value"] + 1}
        return event + 1

    return handler


def double() -> Handler:
    return lambda event: event * 2


def always_fail(error: str = "PaymentFailed", message: str = "card declined") -> Handler:
    def handler(event: Any) -> Any:
        raise error_class(error)(message)

    return handler


def fail_n_times_then_succeed(
    n: int = 2, error: str = "TransientError", message: str = "try again"
) -> Handler:
    # One counter per handler instance: the count spans retries but not separate runs.
    calls = {"n": 0}
    lock = threading.Lock()

    def handler(event: Any) -> Any:
        with lock:
            calls["n"] += 1
            attempt = calls["n"]
        if attempt <= n:
            raise error_class(error)(f"{message} ({attempt})")
        return event

    return handler


def error_sequence(errors: list[str]) -> Handler:
    """Raise ``errors[0]``, then ``errors[1]``, ... and echo the event once they are used up."""
    calls = {"n": 0}
    lock = threading.Lock()

    def handler(event: Any) -> Any:
        with lock:
            i = calls["n"]
            calls["n"] += 1
        if i < len(errors):
            raise error_class(errors[i])(f"attempt {i + 1}")
        return event

    return handler


def fail_first_call_per_item(error: str = "TransientError") -> Handler:
    """Fail the first call for each distinct event, succeed afterwards: Map-order independent."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(event: Any) -> Any:
        key = repr(event)
        with lock:
            seen[key] += 1
            first = seen[key] == 1
        if first:
            raise error_class(error)(f"first call for {key}")
        return event

    return handler


def fail_on_values(values: list[Any], error: str = "ItemFailed") -> Handler:
    """Fail when the event (or its ``"item"`` field) is one of ``values``; echo otherwise."""

    def handler(event: Any) -> Any:
        item = event.get("item", event) if isinstance(event, dict) else event
        if item in values:
            raise error_class(error)(f"bad item {item!r}")
        return event

    return handler


# Generous bounds on waits that only a broken harness (or engine) can exhaust: they turn a
# deadlock into a failure with a clear message instead of a hung test run.
RELEASE_LIMIT = 30.0  # seconds a blocked handler waits for `release_blocked`
AFTER_LIMIT = 30.0  # seconds a handler waits for the handlers named in its "after" option

_blocked: list[threading.Event] = []
_blocked_lock = threading.Lock()


def block_until_released(limit: float = RELEASE_LIMIT) -> Handler:
    """Block until `release_blocked` (at the latest after `limit` s), then echo the event.

    For "timeout reached" cases: the attempt can only end through TimeoutSeconds, however slow
    the machine. Neither executor waits for a timed-out call (moto stops waiting after
    TimeoutSeconds, the engine abandons the call), so the case still ends after TimeoutSeconds;
    the conformance conftest releases every blocked handler when each test ends, so no thread
    outlives its test.
    """
    release = threading.Event()
    with _blocked_lock:
        _blocked.append(release)

    def handler(event: Any) -> Any:
        release.wait(limit)
        return event

    return handler


def release_blocked() -> None:
    """Let every handler made by `block_until_released` so far return."""
    with _blocked_lock:
        events = list(_blocked)
        _blocked.clear()
    for event in events:
        event.set()


def return_big_payload(size: int = 300_000) -> Handler:
    return lambda event: {"blob": "x" * size}


BEHAVIOURS: dict[str, Callable[..., Handler]] = {
    "echo": echo,
    "constant": constant,
    "add_one": add_one,
    "double": double,
    "always_fail": always_fail,
    "fail_n_times_then_succeed": fail_n_times_then_succeed,
    "error_sequence": error_sequence,
    "fail_first_call_per_item": fail_first_call_per_item,
    "fail_on_values": fail_on_values,
    "block_until_released": block_until_released,
    "return_big_payload": return_big_payload,
}


def _sequenced(
    key: str, handler: Handler, ran: dict[str, threading.Event], after: list[str]
) -> Handler:
    """`handler` that first waits for the handlers of `after`, and then marks `key` as ran."""
    unknown = sorted(set(after) - set(ran))
    if unknown:
        raise ValueError(f"{key}: 'after' names no function of this case: {unknown}")

    def wrapped(event: Any) -> Any:
        try:
            for other in after:
                if not ran[other].wait(AFTER_LIMIT):
                    raise error_class("ConformanceHarnessStuck")(
                        f"{key} waited {AFTER_LIMIT:.0f} s for {other}, which never ran"
                    )
            return handler(event)
        finally:
            ran[key].set()

    return wrapped


def build_handlers(spec: dict[str, Any]) -> dict[str, Handler]:
    """Fresh handlers for a case's ``"functions"`` map."""
    ran = {key: threading.Event() for key in spec}  # set once that key's handler has run
    handlers: dict[str, Handler] = {}
    for key, behaviour in spec.items():
        if isinstance(behaviour, str):
            options: dict[str, Any] = {"behaviour": behaviour}
        else:
            options = dict(behaviour)
        name = options.pop("behaviour")
        after = options.pop("after", [])
        handlers[key] = _sequenced(key, BEHAVIOURS[name](**options), ran, list(after))
    return handlers
