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
from typing import TYPE_CHECKING, cast

from simpy.events import Timeout

from simchain.model.lines import FluidLine

if TYPE_CHECKING:
    from simchain.model.warehouses import Warehouse


class Receiving:
    def __init__(self, wh: Warehouse):
        self.wh = wh
        sc = wh.chain.scenario
        spec = sc.warehouses[wh.name]
        self.line: FluidLine | None = None
        if spec.receivers is not None:
            times, counts = sc.crew_headcount(wh.name, "receivers")
            rate = spec.receivers.units_per_hour
            self.line = FluidLine(times, [c * rate for c in counts])
        self.capacity = spec.storage_capacity
        self.dock: deque[list[int]] = deque()  # [sku, units left, log row]

    def arrive(self, sku: int, quantity: int, rejected: int, row: int) -> None:
        """A receipt reaches the dock (`row`: its replenishment log row). Defects are found
        on arrival and leave the order book at once; the good units go to the receivers."""
        wh = self.wh
        if rejected:
            wh.receive(sku, 0, rejected=rejected)
        if self.line is None:
            self._check_in(sku, quantity, row)
            return
        try:
            done = self.line.finish(wh.env.now, quantity)
        except ValueError:  # no receiver on duty ever again: it stays on the dock
            return
        Timeout(wh.env, done - wh.env.now, (sku, quantity, row)).callbacks.append(self._checked)

    def _checked(self, event: Timeout) -> None:
        sku, quantity, row = cast(tuple[int, int, int], event.value)
        self._check_in(sku, quantity, row)

    def _check_in(self, sku: int, quantity: int, row: int) -> None:
        cols = self.wh.chain.replenishment_log.cols
        cols["checked_in"][row] = self.wh.env.now
        if self.capacity is None:
            self._stock(sku, quantity, row, done=True)
            return
        if not self.dock:
            take = self._room(sku, quantity)
            self._stock(sku, take, row, done=take == quantity)
            quantity -= take
        if quantity:
            self.dock.append([sku, quantity, row])
            cols["waited_for_room"][row] = quantity

    def _room(self, sku: int, quantity: int) -> int:
        """Units of a receipt that may come in now: what fits, plus what backorders take."""
        assert self.capacity is not None
        room = self.capacity - sum(self.wh.on_hand) + self.wh.backorders[sku]
        return max(0, min(quantity, room))

    def _stock(self, sku: int, quantity: int, row: int, done: bool) -> None:
        cols = self.wh.chain.replenishment_log.cols
        if quantity:
            self.wh.receive(sku, quantity)
            cols["stocked"][row] += quantity
        if done:
            cols["put_away"][row] = self.wh.env.now

    def make_room(self) -> None:
        """Stock left: receipts waiting on the dock come in, in arrival order, while they fit."""
        while self.dock:
            sku, left, row = self.dock[0]
            take = self._room(sku, left)
            if take == 0:
                return
            self._stock(sku, take, row, done=take == left)
            if take < left:
                self.dock[0][1] = left - take
                return
            self.dock.popleft()
