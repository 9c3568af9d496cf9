"""The handler helpers that keep conformance cases independent of timing and thread scheduling."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from .handlers import build_handlers, release_blocked


def _start(fn: Any, event: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = fn(event)
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_after_holds_a_handler_until_its_sibling_ran() -> None:
    handlers = build_handlers(
        {"A": "echo", "B": {"behaviour": "always_fail", "error": "PaymentFailed", "after": ["A"]}}
    )
    thread, outcome = _start(handlers["B"], {"x": 1})  # B called first, as a scheduler may do
    thread.join(0.05)
    assert thread.is_alive() and not outcome  # B cannot act before A ran, however long it waits
    assert handlers["A"]({"x": 1}) == {"x": 1}
    thread.join(30)
    assert type(outcome["error"]).__name__ == "PaymentFailed"


def test_after_must_name_a_function_of_the_case() -> None:
    with pytest.raises(ValueError, match="Missing"):
        build_handlers({"B": {"behaviour": "echo", "after": ["Missing"]}})


def test_blocked_handler_returns_only_once_released() -> None:
    handler = build_handlers({"S": {"behaviour": "block_until_released"}})["S"]
    thread, outcome = _start(handler, {"a": 1})
    thread.join(0.05)
    assert thread.is_alive() and not outcome
    release_blocked()
    thread.join(30)
    assert outcome == {"result": {"a": 1}}
