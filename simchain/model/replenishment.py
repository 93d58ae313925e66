"""Replenishment: purchases from suppliers, transfers from upstream warehouses, and
transshipments between siblings, from the order to the dock.

Replenishment ids number every order in the order placed. A purchase arrives as one agenda
entry at the supplier's date; a transfer rides its lane (trucks on a scheduled lane, so a
large one may arrive in parts). Each arrival is a row of the replenishments log; what is
still open at the end gets a row with no receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, cast

import simpy
from simpy.events import Timeout

from simchain.model.agenda import Agenda
from simchain.model.network import Network
from simchain.model.suppliers import Supplier
from simchain.model.transport import Transport
from simchain.model.warehouses import Warehouse
from simchain.policies.sourcing import SupplierView
from simchain.recording import NAN, Columns

REPLENISHMENT_COLUMNS = {
    "order_id": "q",
    "placed": "d",
    "shipped": "d",
    "received": "d",
    "source": "h",
    "destination": "h",
    "sku": "i",
    "quantity": "q",
    "transport_cost": "d",
    "due": "d",
    "rejected": "q",
    "checked_in": "d",
    "put_away": "d",
    "stocked": "q",
    "waited_for_room": "q",
}


@dataclass(slots=True)
class OpenReplenishment:
    """A replenishment order not yet received in full."""

    placed: float
    source: int  # node code: a supplier, or the shipping warehouse
    destination: int  # warehouse code
    sku: int
    quantity: int
    received: int = 0
    due: float = NAN  # the supplier's confirmed date; NaN for transfers


class Arrival(NamedTuple):
    """(Part of) a replenishment reaching its destination's dock."""

    rid: int
    shipped: float
    quantity: int
    cost: float  # transport cost of this part


class Replenishment:
    """Replenishment during a run. Owns the open replenishment orders, the suppliers'
    running totals per warehouse and the replenishments log. Changes a warehouse's
    `on_order` when it orders for it; books suppliers (place, receive) and lanes (trips);
    hands arrivals to the destination's receiving dock. Called by warehouses (their policies
    order, they ship transfers and ask for transshipments)."""

    def __init__(
        self,
        network: Network,
        env: simpy.Environment,
        agenda: Agenda,
        transport: Transport,
        warehouses: list[Warehouse],
    ):
        self.net = network
        self.env = env
        self.agenda = agenda
        self.transport = transport
        self.warehouses = warehouses  # filled by the caller once the warehouses exist
        self.suppliers = [Supplier(node) for node in network.suppliers]
        self.n_suppliers = len(self.suppliers)
        self.ordered_from = [[0] * self.n_suppliers for _ in network.warehouses]
        self.open: dict[int, OpenReplenishment] = {}
        self._next_rid = 0
        self.log = Columns(REPLENISHMENT_COLUMNS)

    def replenish(self, wh: Warehouse, sku: int, quantity: int) -> None:
        """Order for `wh` from its upstream warehouse or its suppliers (shared by its sourcing
        policy, raised to minimum order quantities), and book it as on order."""
        now = self.env.now
        node = wh.node
        if node.upstream is not None:
            up = self.warehouses[node.upstream]
            rid = self._new(now, self.n_suppliers + up.index, wh, sku, quantity)
            wh.on_order[sku] += quantity
            up.claim_transfer(rid, sku, quantity)
            return
        sources = [self.suppliers[s] for s in node.suppliers]
        if len(sources) == 1:
            self._purchase(sources[0], wh, sku, quantity)
            return
        views = [
            SupplierView(
                sup.name,
                self.net.unit_prices[sup.index][sku],
                sup.expected_arrival(now, quantity),
                sup.down(now),
                sup.late(now),
                self.ordered_from[wh.index][sup.index],
            )
            for sup in sources
        ]
        parts = node.sourcing.split(quantity, views)
        for sup, q in zip(sources, parts, strict=True):
            if q > 0:
                self._purchase(sup, wh, sku, q)

    def transship(self, wh: Warehouse, sku: int) -> None:
        """A customer line at `wh` was just backordered: ask its siblings, in order, for the
        units owed that what is on order (earlier transshipments included) does not cover.
        Asked before `wh` reviews, so its policy counts them as on order and orders only what
        is still missing. A sibling gives what it can spare; the transshipment is a transfer
        order on the sibling's lane, shipped at once and received like any transfer."""
        need = wh.backorders[sku] - wh.on_hand[sku] - wh.on_order[sku]
        now = self.env.now
        for sib in wh.siblings:
            if need <= 0:
                return
            q = min(need, sib.spare(sku))
            if q <= 0:
                continue
            rid = self._new(now, self.n_suppliers + sib.index, wh, sku, q)
            wh.on_order[sku] += q
            sib.claim_transfer(rid, sku, q)
            need -= q
            # Upstream warehouses watching the sibling's echelon but not `wh`'s saw it fall.
            for up in sib.watchers[sku]:
                if up not in wh.watchers[sku]:
                    up.review_and_log(sku)

    def _new(
        self, now: float, src: int, wh: Warehouse, sku: int, quantity: int, due: float = NAN
    ) -> int:
        rid = self._next_rid
        self._next_rid += 1
        self.open[rid] = OpenReplenishment(now, src, wh.index, sku, quantity, 0, due)
        return rid

    def _purchase(self, sup: Supplier, wh: Warehouse, sku: int, quantity: int) -> None:
        now = self.env.now
        quantity = max(quantity, sup.min_order_quantity)
        self.ordered_from[wh.index][sup.index] += quantity
        wh.on_order[sku] += quantity
        rid = self._next_rid  # booked below, once the confirmed date is known
        dispatch, due, arrival = sup.place(rid, now, quantity)
        self._new(now, sup.index, wh, sku, quantity, due)
        self.agenda.schedule(arrival - now, Arrival(rid, dispatch, quantity, 0.0), self._arrived)

    def ship_transfer(self, rid: int, quantity: int) -> None:
        """An upstream warehouse (or a sibling) ships (part of) a transfer order down its
        lane."""
        order = self.open[rid]
        key = (order.source - self.n_suppliers, self.net.warehouse_names[order.destination])
        lane = self.net.lanes[key]
        cost = lane.cost_per_unit * quantity
        for delay, units, truck in self.transport.trip(key, quantity, lane.transit):
            load = Arrival(rid, self.env.now, units, cost * units / quantity)
            if truck is None:
                self.agenda.schedule(delay, load, self._arrived)
            else:
                truck.loads.append((self.receive, load))

    def _arrived(self, event: Timeout) -> None:
        self.receive(cast(Arrival, event.value))

    def receive(self, load: Arrival) -> None:
        """(Part of) an order reaches its destination: the supplier finds its defects, the
        log gets its row, the dock the good units."""
        rid, shipped, quantity, cost = load
        order = self.open[rid]
        order.received += quantity
        if order.received == order.quantity:
            del self.open[rid]
        rejected = 0
        if order.source < self.n_suppliers:
            rejected = self.suppliers[order.source].receive(rid, quantity)
        row = len(self.log)
        self._record(rid, order, shipped, self.env.now, quantity, cost, rejected)
        self.warehouses[order.destination].receiving.arrive(
            order.sku, quantity - rejected, rejected, row
        )

    def _record(
        self,
        rid: int,
        order: OpenReplenishment,
        shipped: float,
        received: float,
        quantity: int,
        cost: float,
        rejected: int,
    ) -> None:
        c = self.log.cols
        c["order_id"].append(rid)
        c["placed"].append(order.placed)
        c["shipped"].append(shipped)
        c["received"].append(received)
        c["source"].append(order.source)
        c["destination"].append(order.destination)
        c["sku"].append(order.sku)
        c["quantity"].append(quantity)
        c["transport_cost"].append(cost)
        c["due"].append(order.due)
        c["rejected"].append(rejected)
        c["checked_in"].append(NAN)
        c["put_away"].append(NAN)
        c["stocked"].append(0)
        c["waited_for_room"].append(0)

    def flush_open(self) -> None:
        """Rows for what is still on order at the end: received is NaN."""
        for rid, order in sorted(self.open.items()):
            self._record(rid, order, NAN, NAN, order.quantity - order.received, 0.0, 0)
