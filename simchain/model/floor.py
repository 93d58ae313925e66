"""A warehouse's floor: an order whose stock is allocated is picked, packed and handed to
transport. Pre-packed pre-sale orders skip both stages; a stage without a crew takes no time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import simpy

from simchain.model import orders as st
from simchain.model.network import WarehouseNode
from simchain.model.orders import OrderBook
from simchain.model.picking import mean_pick_hours, pick_work
from simchain.model.stations import Station


class Shipper(Protocol):
    """Who takes a packed order (the transport actor)."""

    def ship_order(self, oid: int, warehouse: int) -> None: ...


class Floor:
    """Picking and packing at one warehouse during a run. Owns its stations (`pickers`,
    `packers`; None where the stage takes no time); stamps the order book's picking and
    packing columns and status. Calls the shipper with every packed order."""

    def __init__(
        self,
        node: WarehouseNode,
        env: simpy.Environment,
        book: OrderBook,
        shipper: Shipper,
        prepacked: Sequence[bool],
        abc_classes: Sequence[str | None],
        mean_lines_per_order: float,
    ):
        self.node = node
        self.env = env
        self.book = book
        self.index = node.index
        self.shipper = shipper
        self.prepacked = prepacked
        self.pickers = self._pickers(abc_classes, mean_lines_per_order)
        self.packers = self._packers()

    def stations(self) -> list[Station]:
        return [s for s in (self.pickers, self.packers) if s is not None]

    def _queue_key(self) -> Callable[[int], float] | None:
        """The order in which waiting orders are taken, by the warehouse's priority."""
        o = self.book.o
        priority = self.node.spec.priority
        if priority == "earliest_promise":
            return o.promised.__getitem__
        if priority == "premium_first":
            # Rounded: promised - created carries float noise that would break FIFO in a class.
            return lambda oid: round(o.promised[oid] - o.created[oid], 6)
        return None

    def _pickers(self, abc_classes: Sequence[str | None], lines: float) -> Station | None:
        node = self.node
        crew = node.spec.pickers
        if crew is None:
            return None
        work = pick_work(
            crew, node.pick_time, node.pick_travel, node.pick_line, abc_classes, self.book
        )
        station = Station(
            self.env,
            node.staffing["pickers"],
            work,
            self._pick_started,
            self._picked,
            self._not_cancelled,
            self._queue_key(),
            crew.orders_per_tour,
            crew.waves,
        )
        station.mean_work = mean_pick_hours(crew, lines)
        return station

    def _packers(self) -> Station | None:
        node = self.node
        crew = node.spec.packers
        if crew is None:
            return None
        pack_time = node.pack_time
        assert pack_time is not None
        station = Station(
            self.env,
            node.staffing["packers"],
            lambda tour: pack_time(),
            self._pack_started,
            self._packed,
            lambda oid: True,
            self._queue_key(),
        )
        station.mean_work = crew.pack_time.mean_value()
        return station

    def ready(self, oid: int) -> None:
        """An order whose stock is all allocated goes to picking (pre-packed ones skip
        picking and packing)."""
        o = self.book.o
        o.status[oid] = st.AWAITING_PICK
        event = o.presale_event[oid]
        if event >= 0 and self.prepacked[event]:
            o.pick_start[oid] = o.picked[oid] = o.pack_start[oid] = self.env.now
            o.packed[oid] = self.env.now
            self.shipper.ship_order(oid, self.index)
        elif self.pickers is None:
            o.pick_start[oid] = o.picked[oid] = self.env.now
            self._to_packing(oid)
        else:
            self.pickers.add(oid)

    def pick_wait(self) -> float:
        """Expected hours before a new order's picking starts (0 without a picking stage)."""
        return 0.0 if self.pickers is None else self.pickers.wait()

    def _pick_started(self, tour: list[int]) -> None:
        o = self.book.o
        now, size = self.env.now, len(tour)
        for oid in tour:
            o.pick_start[oid] = now
            o.tour_orders[oid] = size

    def _picked(self, tour: list[int]) -> None:
        picked = self.book.o.picked
        for oid in tour:
            picked[oid] = self.env.now
            self._to_packing(oid)

    def _to_packing(self, oid: int) -> None:
        o = self.book.o
        if self.packers is None:
            o.pack_start[oid] = o.packed[oid] = self.env.now
            self.shipper.ship_order(oid, self.index)
        else:
            o.status[oid] = st.AWAITING_PACK
            self.packers.add(oid)

    def _pack_started(self, tour: list[int]) -> None:
        pack_start = self.book.o.pack_start
        for oid in tour:
            pack_start[oid] = self.env.now

    def _packed(self, tour: list[int]) -> None:
        packed = self.book.o.packed
        for oid in tour:
            packed[oid] = self.env.now
            self.shipper.ship_order(oid, self.index)

    def _not_cancelled(self, oid: int) -> bool:
        return bool(self.book.o.status[oid] != st.CANCELLED)
