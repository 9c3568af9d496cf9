"""The Lambda handlers the example machines of this folder call, as plain Python functions.

`HANDLERS` maps each FunctionName to its handler; a handler takes the event (the Payload) and
raises an exception named like the error the machine's Retry/Catch expects.
"""

from __future__ import annotations

from typing import Any

PRICES = {"apple": 0.5, "pear": 0.75, "melon": 30.0}
PROFILES = {"c-1": {"name": "Ada", "tier": "gold"}, "c-2": {"name": "Bob", "tier": "basic"}}


class PriceServiceBusy(Exception):
    pass


class ProfileServiceUnavailable(Exception):
    pass


class CardDeclined(Exception):
    pass


class MailboxFull(Exception):
    pass


def validate_order(event: dict[str, Any]) -> dict[str, Any]:
    order = event["order"]
    if not order.get("items"):
        raise ValueError("an order needs items")
    return {"id": order["id"], "customer": order["customer"], "items": order["items"]}


class _Flaky:
    """Fails the first `failures` calls for each key, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: dict[str, int] = {}

    def fail(self, key: str) -> bool:
        self.calls[key] = self.calls.get(key, 0) + 1
        return self.calls[key] <= self.failures


def make_handlers(flaky_failures: int = 1) -> dict[str, Any]:
    """Fresh handlers: each price line and each profile fetch fails `flaky_failures` times."""
    busy, unavailable = _Flaky(flaky_failures), _Flaky(flaky_failures)

    def price_line(event: dict[str, Any]) -> dict[str, Any]:
        if busy.fail(event["sku"]):
            raise PriceServiceBusy(f"try {event['sku']} again")
        return {"line": event["line"], "sku": event["sku"], "amount": PRICES[event["sku"]] * event["qty"]}

    def notify_customer(event: dict[str, Any]) -> dict[str, Any]:
        if event["to"] == "full@example.com":
            raise MailboxFull(event["to"])
        return {"sent": event["message"]}

    def fetch_profile(event: dict[str, Any]) -> dict[str, Any]:
        if unavailable.fail(event["id"]):
            raise ProfileServiceUnavailable("profile service is warming up")
        return PROFILES[event["id"]]

    def charge(event: dict[str, Any]) -> dict[str, Any]:
        total = round(event["amount"] * event["rate"], 2)
        if total > 1000:
            raise CardDeclined(f"{total} is over the limit")
        return {"receipt": f"{event['customer']}: {total} ({event['description']})"}

    return {
        "validate_order": validate_order,
        "price_line": price_line,
        "notify_customer": notify_customer,
        "fetch_profile": fetch_profile,
        "charge": charge,
    }
