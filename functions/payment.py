"""Payment with a typed failure and a compensation step (seed §4.3).

`charge_payment` retries only on `PaymentFailed` (`retry_on=[PaymentFailed]` → a Retry whose
`ErrorEquals` is `["PaymentFailed"]`, the exception's class name being Lambda's `errorType`); any
other error — a bug, a bad order — fails at once instead of charging a card four times.

`refund_payment` keeps the seed's `trigger=all_successful`: it runs once the charge and the risk
check both succeeded, and refunds the charge when the risk check rejected the order — the
compensation for money taken on an order the shop will not ship.
"""

from __future__ import annotations

from typing import Any

from functions._fake import digest, rng, simulate_latency
from orchestrator import Flow, Parameter, all_successful, task


class PaymentFailed(Exception):
    """The payment gateway declined or could not complete the charge."""


# Card tokens the fake gateway declines, like the well-known gateway test cards that end in 0002.
DECLINED_SUFFIX = "0002"


@task(max_retries=3, retry_on=[PaymentFailed])
def charge_payment(order: dict[str, Any]) -> dict[str, Any]:
    """Charge the order's card through the (simulated) payment gateway."""
    simulate_latency()
    if order["amount"] <= 0:
        raise ValueError(f"order {order['order_id']}: amount must be positive")
    if str(order["card"]).endswith(DECLINED_SUFFIX):
        raise PaymentFailed(f"order {order['order_id']}: card declined by issuer")
    return {
        "charge_id": "ch_" + digest(order, 16),
        "order_id": order["order_id"],
        "amount": order["amount"],
        "currency": order["currency"],
        "status": "captured",
    }


@task
def assess_risk(order: dict[str, Any], charge: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Score the order for fraud after the charge (the gateway's risk signals arrive with it)."""
    r = rng("risk", order["order_id"], order["user_id"])
    # Large baskets are riskier; the random part stands for the signals a real model would use.
    score = round(min(1.0, r.random() * 0.7 + min(order["amount"], 10_000) / 10_000 * 0.3), 4)
    return {
        "order_id": order["order_id"],
        "charge_id": charge["charge_id"],
        "score": score,
        "approved": score < threshold,
    }


@task(trigger=all_successful)
def refund_payment(charge: dict[str, Any], risk: dict[str, Any]) -> dict[str, Any]:
    # 补偿逻辑: give the money back for an order the risk check rejected.
    if risk["approved"]:
        return {"charge_id": charge["charge_id"], "refunded": False, "amount": 0}
    simulate_latency()
    return {
        "charge_id": charge["charge_id"],
        "refund_id": "re_" + digest(charge, 16),
        "refunded": True,
        "amount": charge["amount"],
    }


with Flow("payment") as payment:
    order = Parameter(
        "order",
        default={
            "order_id": "o-20241111-0001",
            "user_id": "u-1001",
            "amount": 199.0,
            "currency": "CNY",
            "card": "tok_4242424242424242",
        },
    )
    threshold = Parameter("risk_threshold", default=0.8)
    charge = charge_payment(order)
    risk = assess_risk(order, charge, threshold)
    refund_payment(charge, risk)
