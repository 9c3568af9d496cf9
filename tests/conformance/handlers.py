"""Deterministic task behaviours the conformance machines name in their ``"functions"`` map.

A case file maps each function key (a ``${Placeholder}`` or plain function name) to a behaviour:
either a bare name (``"echo"``) or ``{"behaviour": name, **options}``. `build_handlers` makes
fresh callables per run, so stateful behaviours (fail N times, error sequences) never leak between
the moto run and the engine run of one case, nor between cases.
"""

from __future__ import annotations

import threading
import time
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


def sleep_then_return(seconds: float = 2.0) -> Handler:
    def handler(event: Any) -> Any:
        time.sleep(seconds)
        return event

    return handler


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
    "sleep_then_return": sleep_then_return,
    "return_big_payload": return_big_payload,
}


def build_handlers(spec: dict[str, Any]) -> dict[str, Handler]:
    """Fresh handlers for a case's ``"functions"`` map."""
    handlers: dict[str, Handler] = {}
    for key, behaviour in spec.items():
        if isinstance(behaviour, str):
            handlers[key] = BEHAVIOURS[behaviour]()
        else:
            options = dict(behaviour)
            name = options.pop("behaviour")
            handlers[key] = BEHAVIOURS[name](**options)
    return handlers
