"""An order saga with compensations (seed §4.3: 捕获特定异常执行补偿操作).

Reserve stock → charge the card → ship. When a forward step fails, the steps already done are
undone by compensation tasks whose Prefect 1.x trigger is `any_failed`:

- `release_stock` runs when the charge or the shipment failed (and the reservation it got
  back is released; with no reservation it has nothing to do);
- `refund_card` runs when the charge or the shipment failed: it refunds a captured charge,
  and voids the authorisation of a declined one;
- `close_order` runs whatever happened (`all_finished`, and `skip_on_upstream_skip=False` so
  that not even a skipped upstream task skips it): it records the order's outcome.

`ship_order` is the reference task: the run is FAILED exactly when the order was not shipped,
with the error that stopped it (`PaymentFailed` for a declined card), after the compensations
and the clean-up ran. On success, the compensations end TRIGGER_FAILED (they did not run), which
does not fail the run.
"""

from __future__ import annotations

from typing import Any

from functions._fake import digest, simulate_latency
from orchestrator import Flow, Parameter, all_finished, any_failed, task


class PaymentFailed(Exception):
    """The payment gateway declined the charge."""


class GatewayTimeout(Exception):
    """The payment gateway did not answer in time: worth retrying."""


class OutOfStock(Exception):
    """The warehouse cannot reserve the ordered quantity."""


# Card tokens the fake gateway declines, like the gateway test cards ending in 0002.
DECLINED_SUFFIX = "0002"
# SKUs the fake carrier refuses to ship.
UNSHIPPABLE_PREFIX = "HAZ-"


@task
def reserve_stock(order: dict[str, Any]) -> dict[str, Any]:
    """Reserve the ordered items in the warehouse."""
    simulate_latency()
    if order["quantity"] > 100:
        raise OutOfStock(f"order {order['order_id']}: only 100 of {order['sku']} in stock")
    return {
        "reservation_id": "rs_" + digest(order, 12),
        "sku": order["sku"],
        "quantity": order["quantity"],
    }


@task(retries=2, retry_on=[GatewayTimeout])
def charge_card(order: dict[str, Any], reservation: dict[str, Any]) -> dict[str, Any]:
    """Charge the card; a declined card fails at once (no retry), a timeout is retried."""
    simulate_latency()
    if str(order["card"]).endswith(DECLINED_SUFFIX):
        raise PaymentFailed(f"order {order['order_id']}: card declined by issuer")
    return {"charge_id": "ch_" + digest([order, reservation], 16), "amount": order["amount"]}


@task
def ship_order(
    order: dict[str, Any], reservation: dict[str, Any], charge: dict[str, Any]
) -> dict[str, Any]:
    """Hand the reserved, paid items to the carrier."""
    simulate_latency()
    if str(order["sku"]).startswith(UNSHIPPABLE_PREFIX):
        raise RuntimeError(f"order {order['order_id']}: carrier refuses {order['sku']}")
    return {"tracking": "tr_" + digest([reservation, charge], 10), "order_id": order["order_id"]}


@task(trigger=any_failed)
def release_stock(reservation: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: give the reserved items back to the warehouse."""
    if reservation is None:  # the reservation itself failed: nothing to release
        return {"released": False}
    simulate_latency()
    return {"released": True, "reservation_id": reservation["reservation_id"]}


@task(trigger=any_failed)
def refund_card(order: dict[str, Any], charge: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: refund a captured charge, or void a declined card's authorisation."""
    simulate_latency()
    if charge is None:
        return {"refunded": False, "voided": True, "order_id": order["order_id"]}
    return {"refunded": True, "charge_id": charge["charge_id"], "amount": charge["amount"]}


@task(trigger=all_finished, skip_on_upstream_skip=False)
def close_order(
    order: dict[str, Any], shipment: dict[str, Any] | None, released: Any, refunded: Any
) -> dict[str, Any]:
    """Clean-up: record how the order ended, whatever happened before."""
    status = "shipped" if shipment is not None else "cancelled"
    return {"order_id": order["order_id"], "status": status}


with Flow("order_saga") as order_saga:
    order = Parameter(
        "order",
        default={
            "order_id": "o-20241111-0002",
            "sku": "SKU-1001",
            "quantity": 2,
            "amount": 398.0,
            "card": "tok_4242424242424242",
        },
    )
    reservation = reserve_stock(order)
    charge = charge_card(order, reservation)
    shipment = ship_order(order, reservation, charge)
    released = release_stock(reservation, upstream_tasks=[charge, shipment])
    refunded = refund_card(order, charge, upstream_tasks=[shipment])
    close_order(order, shipment, released, refunded)
    order_saga.set_reference_tasks([shipment])
