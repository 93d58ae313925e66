"""Customer returns: units drawn when an order is created come back after delivery, are
inspected, and are restocked or scrapped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, cast

import numpy as np
import simpy
from simpy.events import Timeout

from simchain.model.agenda import Agenda
from simchain.model.network import Returns
from simchain.model.orders import OrderBook
from simchain.recording import Columns

RETURN_COLUMNS = {
    "order_id": "q",
    "warehouse": "h",
    "sku": "i",
    "units": "i",
    "delivered": "d",
    "back": "d",
    "restocked": "i",
    "scrapped": "i",
}


class Restock(Protocol):
    """Where good returned units go: their warehouse's ledger."""

    def receive(
        self, sku: int, quantity: int, restock: bool = False, rejected: int = 0
    ) -> None: ...


class ReturnTrip(NamedTuple):
    """Units of an order on their way back: (sku, units) per line, and when it was
    delivered."""

    oid: int
    back: list[tuple[int, int]]
    delivered: float


class CustomerReturns:
    """Returns during a run. Owns the returns log and the order book's `units_returned`;
    changes stock only through its warehouses' `receive` (restocks). Called by the customers
    actor to draw what each new line will return, and by transport on each delivery."""

    def __init__(
        self,
        spec: Returns,
        env: simpy.Environment,
        agenda: Agenda,
        book: OrderBook,
        warehouses: Sequence[Restock],
    ):
        self.spec = spec
        self.env = env
        self.agenda = agenda
        self.book = book
        self.warehouses = warehouses
        self.log = Columns(RETURN_COLUMNS)

    def units_to_return(self, skus: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Per line of a batch of new orders, how many units the customer will send back."""
        return self.spec.units.binomial(units, self.spec.rate[skus])

    def delivered(self, oid: int) -> None:
        """Schedule the order's returns (drawn when the order was created) after the delay;
        units lost to a stockout never reached the customer and cannot come back."""
        o, ln = self.book.o, self.book.ln
        if not o.units_to_return[oid]:
            return
        first = o.first_line[oid]
        back: list[tuple[int, int]] = []
        for line in range(first, first + o.n_lines[oid]):
            k = min(ln.to_return[line], ln.units[line] - ln.lost[line])
            if k:
                back.append((ln.sku[line], k))
        if back:
            delay = self.spec.delay() + self.spec.inspection
            o.units_returned[oid] = sum(k for _, k in back)
            self.agenda.schedule(delay, ReturnTrip(oid, back, self.env.now), self._returned)

    def _returned(self, event: Timeout) -> None:
        oid, back, delivered = cast(ReturnTrip, event.value)
        share = self.spec.restock_share
        w = self.book.o.warehouse[oid]
        u = self.spec.restock
        c = self.log.cols
        for s, k in back:
            good = k if share == 1 else sum(1 for _ in range(k) if u() < share)
            c["order_id"].append(oid)
            c["warehouse"].append(w)
            c["sku"].append(s)
            c["units"].append(k)
            c["delivered"].append(delivered)
            c["back"].append(self.env.now)
            c["restocked"].append(good)
            c["scrapped"].append(k - good)
            if good:
                self.warehouses[w].receive(s, good, restock=True)
