"""The order book: every customer order and order line, as columns indexed by id.

An order is just its integer id; its state lives in typed columns, so an in-flight order costs
a few dozen bytes and no Python object. The status column holds exactly one state per order.
"""

from __future__ import annotations

from array import array
from typing import Any, TypeAlias

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


Column: TypeAlias = "array[Any]"


class _Typed:
    """Attribute access to a Columns' arrays, one declared attribute per column, so that a
    misspelled column is a type error (mypy), not a KeyError in the middle of a run. The
    arrays are the recorder's own: writing through an attribute writes the column."""

    __slots__ = ()

    def __init__(self, columns: Columns):
        for name, col in columns.cols.items():
            setattr(self, name, col)


class OrderColumns(_Typed):
    """The order columns (ORDER_COLUMNS), indexed by order id."""

    __slots__ = tuple(ORDER_COLUMNS)
    region: Column
    warehouse: Column
    created: Column
    promised: Column
    n_lines: Column
    first_line: Column
    units: Column
    units_from_stock: Column
    units_backordered: Column
    units_lost: Column
    pending_units: Column
    allocated: Column
    pick_start: Column
    picked: Column
    pack_start: Column
    packed: Column
    shipped: Column
    delivered: Column
    transport_cost: Column
    status: Column
    presale_event: Column
    deposit: Column
    cancelled: Column
    units_returned: Column
    units_to_return: Column
    tour_orders: Column
    service: Column
    carrier: Column
    split_of: Column
    hub: Column


class LineColumns(_Typed):
    """The order line columns (LINE_COLUMNS), indexed by line id."""

    __slots__ = tuple(LINE_COLUMNS)
    order_id: Column
    sku: Column
    units: Column
    from_stock: Column
    backordered: Column
    lost: Column
    filled: Column
    to_return: Column


class OrderBook:
    """Columns of orders (`o`) and of their lines (`ln`), with typed attribute access.

    Owns the order and line columns; the customers actor adds orders, the warehouses,
    transport and returns actors stamp their stages. It calls no one."""

    def __init__(self) -> None:
        self.orders = Columns(ORDER_COLUMNS)
        self.lines = Columns(LINE_COLUMNS)
        self.o = OrderColumns(self.orders)
        self.ln = LineColumns(self.lines)
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
        first = o.first_line[oid]
        order = [i for g in groups for i in g]
        for col in self.lines.cols.values():
            values = [col[i] for i in order]
            for k, v in enumerate(values):
                col[first + k] = v
        copied = ("region", "created", "promised", "presale_event", "deposit", "service")
        parts = [oid]
        start = first
        for g, group in enumerate(groups):
            lines = range(start, start + len(group))
            units = sum(ln.units[i] for i in lines)
            back = sum(ln.to_return[i] for i in lines)
            if g == 0:
                part = oid
                o.n_lines[oid] = len(group)
                o.units[oid] = units
                o.units_to_return[oid] = back
            else:
                part = self._n
                row = {c: np.array([self.orders.cols[c][oid]]) for c in copied}
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
                ln.order_id[i] = part
            start += len(group)
        return parts

    def __len__(self) -> int:
        return self._n
