"""The order book: every customer order and order line, as columns indexed by id.

An order is just its integer id; its state lives in typed columns, so an in-flight order costs
a few dozen bytes and no Python object. The status column holds exactly one state per order.
"""

from __future__ import annotations

import numpy as np

from simchain.recording import NAN, Columns

# Order states. Terminal: DELIVERED, LOST, CANCELLED. Open at the end of a run: the stage the
# order is waiting in.
AWAITING_STOCK = 0
AWAITING_PICK = 1
IN_TRANSIT = 2
DELIVERED = 3
LOST = 4
CANCELLED = 5
AWAITING_PACK = 6
STATUS_NAMES = {
    AWAITING_STOCK: "awaiting_stock",
    AWAITING_PICK: "awaiting_pick",
    IN_TRANSIT: "in_transit",
    DELIVERED: "delivered",
    LOST: "lost",
    CANCELLED: "cancelled",
    AWAITING_PACK: "awaiting_pack",
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
    "pack_start": "d",
    "packed": "d",
    "shipped": "d",
    "delivered": "d",
    "transport_cost": "d",
    "status": "b",
    "presale_event": "h",
    "deposit": "d",
    "cancelled": "d",
    "units_returned": "i",
    "units_to_return": "i",
    "tour_orders": "h",
    "service": "b",
    "carrier": "b",
    "split_of": "q",
    "hub": "h",
}
ORDER_DEFAULTS = {
    "warehouse": -1,
    **{t: NAN for t in ("allocated", "pick_start", "picked", "pack_start", "packed", "shipped")},
    "delivered": NAN,
    "tour_orders": 0,
    "carrier": -1,
    "split_of": -1,
    "hub": -1,
    "status": AWAITING_STOCK,
    "presale_event": -1,
    "deposit": NAN,
    "cancelled": NAN,
}
LINE_DEFAULTS = {"filled": NAN}
LINE_COLUMNS = {
    "order_id": "q",
    "sku": "i",
    "units": "i",
    "from_stock": "i",
    "backordered": "i",
    "lost": "i",
    "filled": "d",
    "to_return": "i",
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

    def add_batch(
        self,
        region: np.ndarray,
        created: np.ndarray,
        promised: np.ndarray,
        n_lines: np.ndarray,
        skus: np.ndarray,
        units: np.ndarray,
        presale_event: np.ndarray,
        deposit: np.ndarray,
        to_return: np.ndarray | None = None,
        service: np.ndarray | None = None,
    ) -> int:
        """Add orders (in arrival order) with their lines in a few NumPy calls; return the
        first new id. Rows exist from now on; each order takes part in the simulation when
        its arrival event fires."""
        n = len(created)
        first_id = self._n
        first_line = (self._nl + np.cumsum(n_lines) - n_lines).astype(np.int64)
        starts = first_line - self._nl
        order_units = np.add.reduceat(units, starts) if n else np.zeros(0, np.int64)
        if to_return is None:
            to_return = np.zeros(len(skus), dtype=np.int64)
        order_returns = np.add.reduceat(to_return, starts) if n else np.zeros(0, np.int64)
        self.orders.extend(
            n,
            {
                "region": region,
                "created": created,
                "promised": promised,
                "n_lines": n_lines,
                "first_line": first_line,
                "units": order_units,
                "presale_event": presale_event,
                "deposit": deposit,
                "units_to_return": order_returns,
                "service": np.zeros(n, np.int8) if service is None else service,
            },
            ORDER_DEFAULTS,
        )
        nl = len(skus)
        self.lines.extend(
            nl,
            {
                "order_id": np.repeat(np.arange(first_id, first_id + n, dtype=np.int64), n_lines),
                "sku": skus,
                "units": units,
                "to_return": to_return,
            },
            LINE_DEFAULTS,
        )
        self._n += n
        self._nl += nl
        return first_id

    def split(self, oid: int, groups: list[list[int]]) -> list[int]:
        """Split a new order's lines into parts shipped separately: the order keeps the first
        group, each other group becomes an order of its own (`split_of` the first), with the
        same region, times and class. Lines are reordered within the order's block so each
        part's lines stay contiguous. Returns the part ids, the order first."""
        o, ln = self.o, self.ln
        first = o["first_line"][oid]
        order = [i for g in groups for i in g]
        for col in ln.values():
            values = [col[i] for i in order]
            for k, v in enumerate(values):
                col[first + k] = v
        copied = ("region", "created", "promised", "presale_event", "deposit", "service")
        parts = [oid]
        start = first
        for g, group in enumerate(groups):
            lines = range(start, start + len(group))
            units = sum(ln["units"][i] for i in lines)
            back = sum(ln["to_return"][i] for i in lines)
            if g == 0:
                part = oid
                o["n_lines"][oid] = len(group)
                o["units"][oid] = units
                o["units_to_return"][oid] = back
            else:
                part = self._n
                row = {c: np.array([o[c][oid]]) for c in copied}
                row |= {
                    "first_line": np.array([start]),
                    "n_lines": np.array([len(group)]),
                    "units": np.array([units]),
                    "units_to_return": np.array([back]),
                    "split_of": np.array([oid]),
                }
                self.orders.extend(1, row, ORDER_DEFAULTS)
                self._n += 1
                parts.append(part)
            for i in lines:
                ln["order_id"][i] = part
            start += len(group)
        return parts

    def __len__(self) -> int:
        return self._n
