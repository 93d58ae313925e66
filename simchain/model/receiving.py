"""Receiving: inbound goods are checked in before they count as stock, and only if they fit.

A receipt is `received` at the dock, `checked_in` by the receivers, then `put_away` into
stock. Receivers work the dock in arrival order at their headcount x `units_per_hour` (a
FIFO fluid line: a receipt's check-in time is known when it arrives; one event per receipt).
Then storage: free stock on hand may not exceed `storage_capacity`; units a receipt brings
for backorders pass straight through (they leave at once), the rest waits on the dock, in
arrival order, until stock leaves. Until put away, units stay on order for the policies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import NamedTuple, Protocol, cast

import simpy
from simpy.events import Timeout

from simchain.model.lines import FluidLine
from simchain.recording import Columns


class Stock(Protocol):
    """What receiving needs of its warehouse's ledger."""

    on_hand: list[int]
    backorders: list[int]

    def receive(
        self, sku: int, quantity: int, restock: bool = False, rejected: int = 0
    ) -> None: ...


class Receipt(NamedTuple):
    """Good units of a receipt being checked in."""

    sku: int
    units: int
    row: int  # its replenishment log row


@dataclass(slots=True)
class Waiting:
    """A receipt's units waiting on the dock for room."""

    sku: int
    left: int
    row: int


class Receiving:
    """A warehouse's dock and receivers. Owns the dock queue and the receivers' line; changes
    the ledger only through `stock.receive` and stamps the replenishment log's receiving
    columns (checked_in, put_away, stocked, waited_for_room)."""

    def __init__(
        self,
        env: simpy.Environment,
        stock: Stock,
        log: Columns,
        staffing: tuple[list[float], list[int]] | None,
        units_per_hour: float,
        capacity: int | None,
    ):
        self.env = env
        self.stock = stock
        self.cols = log.cols
        self.line: FluidLine | None = None
        if staffing is not None:
            times, counts = staffing
            self.line = FluidLine(times, [c * units_per_hour for c in counts])
        self.capacity = capacity
        self.dock: deque[Waiting] = deque()

    def arrive(self, sku: int, quantity: int, rejected: int, row: int) -> None:
        """A receipt reaches the dock (`row`: its replenishment log row). Defects are found
        on arrival and leave the order book at once; the good units go to the receivers."""
        if rejected:
            self.stock.receive(sku, 0, rejected=rejected)
        if self.line is None:
            self._check_in(sku, quantity, row)
            return
        now = self.env.now
        try:
            done = self.line.finish(now, quantity)
        except ValueError:  # no receiver on duty ever again: it stays on the dock
            return
        Timeout(self.env, done - now, Receipt(sku, quantity, row)).callbacks.append(self._checked)

    def _checked(self, event: Timeout) -> None:
        sku, quantity, row = cast(Receipt, event.value)
        self._check_in(sku, quantity, row)

    def _check_in(self, sku: int, quantity: int, row: int) -> None:
        self.cols["checked_in"][row] = self.env.now
        if self.capacity is None:
            self._stock(sku, quantity, row, done=True)
            return
        if not self.dock:
            take = self._room(sku, quantity)
            self._stock(sku, take, row, done=take == quantity)
            quantity -= take
        if quantity:
            self.dock.append(Waiting(sku, quantity, row))
            self.cols["waited_for_room"][row] = quantity

    def _room(self, sku: int, quantity: int) -> int:
        """Units of a receipt that may come in now: what fits, plus what backorders take."""
        assert self.capacity is not None
        room = self.capacity - sum(self.stock.on_hand) + self.stock.backorders[sku]
        return max(0, min(quantity, room))

    def _stock(self, sku: int, quantity: int, row: int, done: bool) -> None:
        if quantity:
            self.stock.receive(sku, quantity)
            self.cols["stocked"][row] += quantity
        if done:
            self.cols["put_away"][row] = self.env.now

    def make_room(self) -> None:
        """Stock left: receipts waiting on the dock come in, in arrival order, while they fit."""
        while self.dock:
            first = self.dock[0]
            take = self._room(first.sku, first.left)
            if take == 0:
                return
            self._stock(first.sku, take, first.row, done=take == first.left)
            if take < first.left:
                first.left -= take
                return
            self.dock.popleft()
