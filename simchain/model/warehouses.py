"""Warehouses: a stock ledger per SKU, backorder queues, and picking and packing stations.

Ledger per SKU: `on_hand` (free stock, not yet allocated to an order), `backorders` (units
owed to customer lines and to downstream transfer orders), `on_order` (units ordered upstream,
not yet received). Inventory position = on_hand + on_order - backorders.

Event-order convention (the validation tests rely on it): an arriving demand is served from
`on_hand` at its arrival instant, before any receipt at the same instant (`allocate` runs in
the arrival's own event and takes stock at once); the stocking policy is asked right after the
demand is booked (`position_fell`, inside `allocate`, line by line); a receipt fills the
oldest backorders first (`receive` works each SKU's `waiting` queue from its front).

Speed: an order in stock with a free picker costs one event (the pick) and one more per
staffed stage; an order waits in a queue, never in a SimPy process.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import simpy
from simpy.events import Timeout

from simchain.model import orders as st
from simchain.model.floor import Floor
from simchain.model.network import WarehouseNode
from simchain.model.orders import OrderBook
from simchain.model.receiving import Receiving
from simchain.policies.stocking import AdaptivePolicy, Levels, OrderRule
from simchain.recording import Columns

LINE = 0  # a claim by a customer order line
TRANSFER = 1  # a claim by a downstream warehouse's transfer order


@dataclass(slots=True)
class Claim:
    """Units owed from a SKU's stock, waiting in its backorder queue (oldest first)."""

    kind: int  # LINE or TRANSFER
    ref: int  # the line id, or the transfer's replenishment id
    owed: int  # 0 once filled or withdrawn by a cancelled order


class Replenisher(Protocol):
    """Where a warehouse's orders upstream go (the replenishment actor)."""

    def replenish(self, wh: Warehouse, sku: int, quantity: int) -> None: ...

    def transship(self, wh: Warehouse, sku: int) -> None: ...

    def ship_transfer(self, rid: int, quantity: int) -> None: ...


class Warehouse:
    """One warehouse during a run. Owns its ledger (on hand, backorders, on order per SKU),
    its backorder queues, its receiving dock (`receiving`) and its floor (`floor`: picking and
    packing). Changes the order book's allocation columns and logs its inventory. Calls the
    replenisher to order upstream, transship and ship transfers, and its floor with every
    order whose stock is all allocated."""

    def __init__(
        self,
        node: WarehouseNode,
        env: simpy.Environment,
        book: OrderBook,
        inventory_log: Columns,
        replenishment_log: Columns,
        replenisher: Replenisher,
        floor: Floor,
    ):
        self.node = node
        self.env = env
        self.book = book
        self.index = node.index
        self.name = node.name
        self.replenisher = replenisher
        policies = node.policies
        n = len(policies)
        self.policies = policies
        # What the warehouse asks per SKU: the policy, or an adaptive policy's current levels.
        self.rules: list[OrderRule] = [
            Levels(-1, 0) if isinstance(p, AdaptivePolicy) else p for p in policies
        ]
        self.periodic = [p.review_period is not None for p in policies]
        self.echelon = [p.position == "echelon" for p in policies]
        self.downstream: list[Warehouse] = []  # warehouses replenished from this one
        self.siblings: list[Warehouse] = []  # asked for transshipments, in preference order
        # Per SKU, the upstream warehouses whose echelon position includes this one's.
        self.watchers: list[list[Warehouse]] = [[] for _ in range(n)]
        self.on_hand = [0] * n
        self.backorders = [0] * n
        self.on_order = [0] * n
        self.customer_backorders = [0] * n  # the part of `backorders` owed to customers
        # Units asked of it (lines, transfers) since the last midnight: a moving_average's day.
        self.asked = [0] * n
        self.waiting: list[deque[Claim]] = [deque() for _ in range(n)]
        self.floor = floor
        spec = node.spec
        self.receiving = Receiving(
            env,
            self,
            replenishment_log,
            node.staffing.get("receivers"),
            spec.receivers.units_per_hour if spec.receivers is not None else 0.0,
            spec.storage_capacity,
        )
        # Open backorder claims of customer lines, so a cancelled order can withdraw them.
        self.line_claims: dict[int, Claim] = {}
        log = inventory_log.cols
        self._log_t = log["time"].append
        self._log_w = log["warehouse"].append
        self._log_s = log["sku"].append
        self._log_oh = log["on_hand"].append
        self._log_bo = log["backorders"].append
        self._log_oo = log["on_order"].append
        self._log_cb = log["customer_backorders"].append

    def link(self, warehouses: Sequence[Warehouse]) -> None:
        """Know the other warehouses by object: downstream, siblings and watchers."""
        node = self.node
        self.downstream = [warehouses[d] for d in node.downstream]
        self.siblings = [warehouses[s] for s in node.siblings]
        self.watchers = [[warehouses[u] for u in ups] for ups in node.watchers]

    # --- ledger ---------------------------------------------------------------------------

    def log(self, sku: int) -> None:
        self._log_t(self.env.now)
        self._log_w(self.index)
        self._log_s(sku)
        self._log_oh(self.on_hand[sku])
        self._log_bo(self.backorders[sku])
        self._log_oo(self.on_order[sku])
        self._log_cb(self.customer_backorders[sku])

    def position(self, sku: int) -> int:
        return self.on_hand[sku] + self.on_order[sku] - self.backorders[sku]

    def echelon_position(self, sku: int) -> int:
        """Local position plus the echelon positions of the warehouses downstream: units in
        transit or owed to them count once, as their on order."""
        return self.position(sku) + sum(d.echelon_position(sku) for d in self.downstream)

    def spare(self, sku: int) -> int:
        """Units a sibling may have by transshipment: stock on hand above the reorder point,
        the stock its policy holds for its own demand until a replenishment comes."""
        keep = max(self.rules[sku].reorder_level(), 0)
        return max(self.on_hand[sku] - self.backorders[sku] - keep, 0)

    def can_serve(self, skus: list[int], units: list[int]) -> bool:
        """Whether stock on hand covers every line of an order."""
        on_hand = self.on_hand
        if len(skus) == 1:
            return on_hand[skus[0]] >= units[0]
        for s, u in zip(skus, units, strict=True):
            if on_hand[s] < u:
                return False
        if len(set(skus)) == len(skus):
            return True
        need: dict[int, int] = {}
        for s, u in zip(skus, units, strict=True):
            need[s] = need.get(s, 0) + u
        return all(on_hand[s] >= u for s, u in need.items())

    def review(self, sku: int, scheduled: bool = False) -> None:
        """Ask the SKU's policy whether to order, and place the order upstream. Periodic
        policies answer only at their scheduled reviews."""
        if not scheduled and self.periodic[sku]:
            return
        pos = self.echelon_position(sku) if self.echelon[sku] else self.position(sku)
        q = self.rules[sku].order_quantity(pos)
        if q > 0:
            self.replenisher.replenish(self, sku, q)

    def review_and_log(self, sku: int, scheduled: bool = False) -> None:
        """Review one SKU and log the ledger if the review ordered something."""
        before = self.on_order[sku]
        self.review(sku, scheduled)
        if self.on_order[sku] != before:
            self.log(sku)

    def position_fell(self, sku: int) -> None:
        """Demand (or a rejected receipt) lowered the position: this warehouse reviews (as
        `review` does; inlined, it runs for every demand line), and so do the upstream ones
        watching its echelon."""
        if not self.periodic[sku]:
            pos = (
                self.echelon_position(sku)
                if self.echelon[sku]
                else self.on_hand[sku] + self.on_order[sku] - self.backorders[sku]
            )
            q = self.rules[sku].order_quantity(pos)
            if q > 0:
                self.replenisher.replenish(self, sku, q)
        for up in self.watchers[sku]:
            up.review_and_log(sku)

    def allocate(self, oid: int, lost_sales: bool) -> None:
        """Serve a new customer order from stock; backorder or lose what is short."""
        o, ln = self.book.o, self.book.ln
        first = o.first_line[oid]
        n = o.n_lines[oid]
        now = self.env.now
        on_hand = self.on_hand
        asked = self.asked
        skus, units, from_stock, filled = ln.sku, ln.units, ln.from_stock, ln.filled
        pending = 0
        served = 0
        lost = 0
        for line in range(first, first + n):
            s = skus[line]
            u = units[line]
            asked[s] += u
            have = on_hand[s]
            take = have if have < u else u
            on_hand[s] = have - take
            short = u - take
            from_stock[line] = take
            served += take
            if short == 0:
                filled[line] = now
            elif lost_sales:
                ln.lost[line] = short
                lost += short
                ln.filled[line] = now
            else:
                ln.backordered[line] = short
                self.backorders[s] += short
                self.customer_backorders[s] += short
                claim = Claim(LINE, line, short)
                self.waiting[s].append(claim)
                self.line_claims[line] = claim
                pending += short
                if self.siblings:  # before the review: the policy counts what they send
                    self.replenisher.transship(self, s)
            self.position_fell(s)
            self.log(s)
        o.units_from_stock[oid] = served
        o.units_backordered[oid] = pending
        o.units_lost[oid] = lost
        o.pending_units[oid] = pending
        if self.receiving.dock:  # stock left, or new backorders may take goods waiting
            self.receiving.make_room()
        if pending:
            return
        o.allocated[oid] = now
        if served:
            self.floor.ready(oid)
        else:
            o.status[oid] = st.LOST

    def _line_filled(self, line: int, units: int, complete: bool) -> None:
        """Backordered units of a customer line arrived; release the order when all have."""
        o, ln = self.book.o, self.book.ln
        oid = ln.order_id[line]
        if complete:
            ln.filled[line] = self.env.now
        o.pending_units[oid] -= units
        if o.pending_units[oid] == 0:
            o.allocated[oid] = self.env.now
            self.floor.ready(oid)

    def claim_transfer(self, rid: int, sku: int, quantity: int) -> None:
        """A downstream warehouse's transfer order: ship what is on hand, owe the rest (a
        sibling's transshipment asks only for what it can spare, so it is never owed)."""
        self.asked[sku] += quantity
        take = min(self.on_hand[sku], quantity)
        if take:
            self.on_hand[sku] -= take
            self.replenisher.ship_transfer(rid, take)
        short = quantity - take
        if short:
            self.backorders[sku] += short
            self.waiting[sku].append(Claim(TRANSFER, rid, short))
        self.review(sku)
        self.log(sku)
        if self.receiving.dock:
            self.receiving.make_room()

    def receive(self, sku: int, quantity: int, restock: bool = False, rejected: int = 0) -> None:
        """Goods in: fill the oldest backorders first, keep the rest on hand. A restock
        (returned goods) was never on order; rejected (defective) units leave the order book
        unfilled, so the policy is asked again."""
        self.on_hand[sku] += quantity
        if not restock:
            self.on_order[sku] -= quantity + rejected
        wait = self.waiting[sku]
        while wait and self.on_hand[sku] > 0:
            claim = wait[0]
            if claim.owed == 0:  # withdrawn by a cancelled order
                wait.popleft()
                continue
            take = min(self.on_hand[sku], claim.owed)
            self.on_hand[sku] -= take
            self.backorders[sku] -= take
            claim.owed -= take
            if claim.owed == 0:
                wait.popleft()
            if claim.kind == LINE:
                self.customer_backorders[sku] -= take
                if claim.owed == 0:
                    del self.line_claims[claim.ref]
                self._line_filled(claim.ref, take, claim.owed == 0)
            else:
                self.replenisher.ship_transfer(claim.ref, take)
        if rejected:
            self.position_fell(sku)
        self.log(sku)

    def lose_stock(self, share: float) -> list[tuple[int, int]]:
        """A fire or flood destroys `share` of every SKU's free stock on hand (rounded down to
        the unit); stock allocated to orders waiting for a picker is spared. The position
        falls, so the policies are asked to review. Returns (sku, units destroyed) per SKU hit."""
        lost = []
        for s, have in enumerate(self.on_hand):
            units = math.floor(round(share * have, 6))  # 0.29 x 100 is 29, not 28.999...
            if units > 0:
                self.on_hand[s] -= units
                self.position_fell(s)
                self.log(s)
                lost.append((s, units))
        if lost and self.receiving.dock:
            self.receiving.make_room()
        return lost

    def cancel(self, oid: int) -> bool:
        """Cancel an order that has not started picking: withdraw its backorders and put its
        allocated units back on hand. Returns whether it was cancelled."""
        o = self.book.o
        status = o.status[oid]
        if status not in (st.AWAITING_STOCK, st.AWAITING_PICK) or not math.isnan(
            o.pick_start[oid]
        ):  # picking has started: too late
            return False
        ln = self.book.ln
        first = o.first_line[oid]
        touched = set()
        for line in range(first, first + o.n_lines[oid]):
            s = ln.sku[line]
            owed = 0
            claim = self.line_claims.pop(line, None)
            if claim is not None:
                owed = claim.owed
                claim.owed = 0
                self.backorders[s] -= owed
                self.customer_backorders[s] -= owed
            self.on_hand[s] += ln.units[line] - ln.lost[line] - owed
            touched.add(s)
        for s in touched:
            # Withdrawn backorders may leave stock that older claims were waiting for.
            self.receive(s, 0, restock=True)
        o.pending_units[oid] = 0
        o.status[oid] = st.CANCELLED
        o.cancelled[oid] = self.env.now
        return True

    def reviews(self, period: float, skus: list[int]) -> Generator[simpy.Event, Any, None]:
        """Periodic review of some SKUs: every `period` hours from the start."""
        while True:
            yield Timeout(self.env, period)
            for s in skus:
                self.review_and_log(s, scheduled=True)
