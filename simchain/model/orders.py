"""The order book: every customer order and order line, as columns indexed by id.

An order is just its integer id; its state lives in typed columns, so an in-flight order costs
a few dozen bytes and no Python object. The status column holds exactly one state per order.
"""

from __future__ import annotations

from simchain.recording import NAN, Columns

# Order states. Terminal: DELIVERED, LOST, CANCELLED. Open at the end of a run: the stage the
# order is waiting in.
AWAITING_STOCK = 0
AWAITING_PICK = 1
IN_TRANSIT = 2
DELIVERED = 3
LOST = 4
CANCELLED = 5
STATUS_NAMES = {
    AWAITING_STOCK: "awaiting_stock",
    AWAITING_PICK: "awaiting_pick",
    IN_TRANSIT: "in_transit",
    DELIVERED: "delivered",
    LOST: "lost",
    CANCELLED: "cancelled",
}
TERMINAL = ("delivered", "lost", "cancelled")

ORDER_COLUMNS = {
    "region": "h",
    "warehouse": "h",
    "created": "d",
    "promised": "d",
    "n_lines": "h",
    "first_line": "q",
    "units": "i",
    "units_from_stock": "i",
    "units_backordered": "i",
    "units_lost": "i",
    "pending_units": "i",
    "allocated": "d",
    "pick_start": "d",
    "picked": "d",
    "shipped": "d",
    "delivered": "d",
    "transport_cost": "d",
    "status": "b",
}
LINE_COLUMNS = {
    "order_id": "q",
    "sku": "i",
    "units": "i",
    "from_stock": "i",
    "backordered": "i",
    "lost": "i",
    "filled": "d",
}


class OrderBook:
    """Columns of orders and of their lines."""

    def __init__(self) -> None:
        self.orders = Columns(ORDER_COLUMNS)
        self.lines = Columns(LINE_COLUMNS)
        o = self.orders.cols
        self.o = o
        self.ln = self.lines.cols
        self._n = 0
        self._nl = 0

    def new(
        self, region: int, created: float, promised: float, skus: list[int], units: list[int]
    ) -> int:
        """Add an order with its lines; return its id."""
        oid = self._n
        self._n += 1
        first = self._nl
        nl = len(skus)
        self._nl += nl
        o = self.o
        o["region"].append(region)
        o["warehouse"].append(-1)
        o["created"].append(created)
        o["promised"].append(promised)
        o["n_lines"].append(nl)
        o["first_line"].append(first)
        o["units"].append(sum(units))
        for name in ("units_from_stock", "units_backordered", "units_lost", "pending_units"):
            o[name].append(0)
        for name in ("allocated", "pick_start", "picked", "shipped", "delivered"):
            o[name].append(NAN)
        o["transport_cost"].append(0.0)
        o["status"].append(AWAITING_STOCK)
        ln = self.ln
        ln["order_id"].extend([oid] * nl)
        ln["sku"].extend(skus)
        ln["units"].extend(units)
        zeros = [0] * nl
        ln["from_stock"].extend(zeros)
        ln["backordered"].extend(zeros)
        ln["lost"].extend(zeros)
        ln["filled"].extend([NAN] * nl)
        return oid

    def __len__(self) -> int:
        return self._n
