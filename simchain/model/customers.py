"""Customers: every region's arrivals, routed to a warehouse (or split over several), and
cancelled when they have waited past their patience.

A day of all regions' orders is drawn in bulk (each region from its own streams), merged in
time order and added to the order book at once, then replayed in time order by chained
callbacks: an arrival due before anything else in SimPy's queue is served without an
event. Patience is checked by one sweep every 15 minutes, not an event per order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from simchain.demand import merge
from simchain.model import orders as st
from simchain.model.network import Network, RegionNode
from simchain.model.orders import OrderBook
from simchain.model.returns import CustomerReturns
from simchain.model.warehouses import Warehouse
from simchain.timebase import HOURS_PER_DAY

PATIENCE_SWEEP = 0.25  # hours between two checks of the deadlines


@dataclass(slots=True)
class _Replay:
    """A drawn day of orders being replayed: ids from `first`, per order its time, region
    and line count, per line its SKU and units; `next` order and its first `line` to come."""

    first: int
    times: list[float]
    regions: list[int]
    n_lines: list[int]
    skus: list[int]
    units: list[int]
    next: int = 0
    line: int = 0


class RegionRoutes:
    """What routing policies may know of one region's candidate warehouses
    (policies.routing.Routes): costs and transits over each warehouse's path to the region,
    and the expected wait at its pickers now."""

    def __init__(self, region: RegionNode, warehouses: list[Warehouse]):
        self.costs = {w: region.paths[w].cost for w in region.nearest_first}
        self.transits = {w: region.paths[w].transit for w in region.nearest_first}
        self.warehouses = warehouses

    def cost(self, w: int) -> float:
        return self.costs[w]

    def transit(self, w: int) -> float:
        return self.transits[w]

    def pick_wait(self, w: int) -> float:
        return self.warehouses[w].floor.pick_wait()


class Customers:
    """The customers of every region during a run. Owns the order arrivals, the routing
    decisions and the patience deadlines; adds orders to the order book and sets their
    warehouse. Calls a warehouse to allocate (or cancel) an order, and returns to draw what
    new lines will send back."""

    def __init__(
        self,
        network: Network,
        env: simpy.Environment,
        book: OrderBook,
        warehouses: list[Warehouse],
        returns: CustomerReturns | None,
    ):
        self.net = network
        self.env = env
        self.book = book
        self.warehouses = warehouses
        self.returns = returns
        self.routing = network.routing
        self.routes = [RegionRoutes(r, warehouses) for r in network.regions]
        # Per region, orders in creation order with their deadlines.
        self.deadlines: list[deque[tuple[float, int]]] = [deque() for _ in network.regions]
        self.day = 0  # the next day to draw
        self.replay = _Replay(0, [], [], [], [], [])

    def start_arrivals(self) -> None:
        self.env.process(self._start())

    def start_patience(self) -> None:
        """Start the deadline sweep if any region has a patience."""
        if any(r.patience is not None for r in self.net.regions):
            self.env.process(self._patience_sweep())

    def _add_day(self, day: int) -> tuple[int, Any, np.ndarray]:
        """Draw a day of every region's orders, add them to the book; (first id, batch,
        region codes)."""
        batch, region = merge([d.day(day) for d in self.net.demands])
        service, promise = self.net.service.draw(region)
        to_return = (
            self.returns.units_to_return(batch.skus, batch.units)
            if self.returns is not None
            else None
        )
        first = self.book.add_batch(
            region,
            batch.times,
            batch.times + promise,
            batch.n_lines,
            batch.skus,
            batch.units,
            batch.event,
            batch.deposit,
            to_return,
            service,
        )
        return first, batch, region

    def _start(self) -> Generator[simpy.Event, Any, None]:
        """Replay starts inside a process's start-up event, in its place among the others."""
        self._serve()
        return
        yield  # a generator, so SimPy runs it as a process

    def _load_day(self) -> bool:
        """Draw the next day's orders into the replay; False once past the horizon."""
        if self.day * HOURS_PER_DAY >= self.net.horizon:
            return False
        first, batch, region = self._add_day(self.day)
        self.day += 1
        self.replay = _Replay(
            first,
            batch.times.tolist(),
            region.tolist(),
            batch.n_lines.tolist(),
            batch.skus.tolist(),
            batch.units.tolist(),
        )
        return True

    def _arrived(self, event: simpy.Event) -> None:
        self._serve()

    def _serve(self) -> None:
        """Serve arrivals in time order. An arrival due before anything else in SimPy's queue
        is served at once, the clock set to its time (as its timeout would have set it); one
        that is not waits for a timeout, whose callback serves it and the ones after."""
        env = self.env
        while True:
            day = self.replay
            i = day.next
            if i == len(day.times):
                if not self._load_day():
                    return
                continue
            delay = day.times[i] - env.now
            if delay > 0:
                due = env.now + delay  # what a timeout would set the clock to
                if due >= env.peek():
                    Timeout(env, delay).callbacks.append(self._arrived)
                    return
                env._now = due  # nothing else happens before it: no event needed
            elif env.peek() <= env.now:
                Timeout(env, 0.0).callbacks.append(self._arrived)  # after those due now
                return
            k = day.line
            n = day.n_lines[i]
            day.next = i + 1
            day.line = k + n
            self.arrive(day.first + i, day.regions[i], day.skus[k : k + n], day.units[k : k + n])

    def arrived(self, now: float) -> int:
        """Orders created before `now` (the book already holds the rest of today's batch)."""
        if not len(self.book):
            return 0
        created = np.frombuffer(self.book.o.created, dtype=np.float64)
        arrived = int(np.count_nonzero(created < now))
        del created  # the view pins the buffer: the book could not grow while it lives
        return arrived

    def _patience_sweep(self) -> Generator[simpy.Event, Any, None]:
        """Cancel orders not shipped within their region's patience."""
        o = self.book.o
        while True:
            yield Timeout(self.env, PATIENCE_SWEEP)
            now = self.env.now
            for queue in self.deadlines:
                while queue and queue[0][0] <= now:
                    _, oid = queue.popleft()
                    if o.status[oid] in (st.AWAITING_STOCK, st.AWAITING_PICK):
                        self.warehouses[o.warehouse[oid]].cancel(oid)

    def arrive(self, oid: int, r: int, skus: list[int], units: list[int]) -> None:
        """A customer order arrives: route it, then allocate stock at the chosen warehouse."""
        whs = self.warehouses
        region = self.net.regions[r]
        w = self.routing.choose(
            region.nearest_first, lambda i: whs[i].can_serve(skus, units), self.routes[r]
        )
        parts = [(oid, w)]
        if self.routing.split and not whs[w].can_serve(skus, units):
            parts = self._split(oid, region, w, skus, units)
        patience = region.patience
        for part, house in parts:
            self.book.o.warehouse[part] = house
            if patience is not None:
                self.deadlines[r].append((self.env.now + patience, part))
            whs[house].allocate(part, region.lost_sales)

    def _split(
        self, oid: int, region: RegionNode, w: int, skus: list[int], units: list[int]
    ) -> list[tuple[int, int]]:
        """Lines the chosen warehouse `w` cannot serve from stock go to the nearest candidate
        that can (else they stay at `w`, backordered); one part per warehouse, `w`'s first.
        If `w` could serve none of the lines, the routing's choice stands: no split."""
        nearest = region.nearest_first
        left = {i: list(self.warehouses[i].on_hand) for i in nearest}
        groups: dict[int, list[int]] = {w: []}
        first = self.book.o.first_line[oid]
        for k, (s, u) in enumerate(zip(skus, units, strict=True)):
            house = w
            if left[w][s] < u:
                house = next((i for i in nearest if left[i][s] >= u), w)
            left[house][s] -= min(u, left[house][s])
            groups.setdefault(house, []).append(first + k)
        chosen = [(h, g) for h, g in groups.items() if g]
        if not groups[w]:  # a split ships part of an order elsewhere, never all of it
            return [(oid, w)]
        ids = self.book.split(oid, [g for _, g in chosen])
        return [(part, h) for part, (h, _) in zip(ids, chosen, strict=True)]
