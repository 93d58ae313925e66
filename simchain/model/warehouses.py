"""Warehouses: a stock ledger per SKU, backorder queues, and pickers.

Ledger per SKU: `on_hand` (free stock, not yet allocated to an order), `backorders` (units
owed to customer lines and to downstream transfer orders), `on_order` (units ordered upstream,
not yet received). Inventory position = on_hand + on_order - backorders.

Event-order convention (the validation tests rely on it): an arriving demand is served from
`on_hand` at its arrival instant, before any receipt at the same instant; the stocking policy
is asked right after the demand is booked; a receipt fills the oldest backorders first.

Speed: the immediate case (stock on hand, a free picker) creates no event; an order waits in a
deque, never in a SimPy process.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

import simpy
from simpy.events import Timeout

from simchain.model import orders as st
from simchain.policies.stocking import Levels, OrderRule, PlannedPolicy, StockingPolicy
from simchain.scenario.distributions import Sampler

if TYPE_CHECKING:
    from simchain.model.network import SupplyChain

LINE = 0  # a claim by a customer order line
TRANSFER = 1  # a claim by a downstream warehouse's transfer order


class Warehouse:
    def __init__(
        self,
        chain: SupplyChain,
        index: int,
        name: str,
        policies: list[StockingPolicy],
        staffing: tuple[list[float], list[int]] | None,
        pick_time: Sampler | None,
    ):
        self.chain = chain
        self.env = chain.env
        self.index = index
        self.name = name
        n = len(policies)
        self.policies = policies
        # What the warehouse asks per SKU: the policy, or a planned policy's current levels.
        self.rules: list[OrderRule] = [
            Levels(-1, 0) if isinstance(p, PlannedPolicy) else p for p in policies
        ]
        self.periodic = [p.review_period is not None for p in policies]
        self.echelon = [p.position == "echelon" for p in policies]
        self.downstream: list[Warehouse] = []  # warehouses replenished from this one
        # Per SKU, the upstream warehouses whose echelon position includes this one's.
        self.watchers: list[list[Warehouse]] = [[] for _ in range(n)]
        self.on_hand = [0] * n
        self.backorders = [0] * n
        self.on_order = [0] * n
        self.customer_backorders = [0] * n  # the part of `backorders` owed to customers
        self.waiting: list[deque[list[int]]] = [deque() for _ in range(n)]
        # Pickers on duty as a step function (change times, headcounts); none: no picking.
        self.staffing = staffing
        self.capacity = staffing[1][0] if staffing else 0
        self.busy = 0
        self.pick_time = pick_time
        self.mean_pick_time = 0.0  # hours, set by the chain: for routing's wait estimates
        self.pick_queue: deque[int] = deque()
        # Open backorder claims of customer lines, so a cancelled order can withdraw them.
        self.line_claims: dict[int, list[int]] = {}
        log = chain.inventory_log.cols
        self._log_t = log["time"].append
        self._log_w = log["warehouse"].append
        self._log_s = log["sku"].append
        self._log_oh = log["on_hand"].append
        self._log_bo = log["backorders"].append
        self._log_oo = log["on_order"].append
        self._log_cb = log["customer_backorders"].append

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
            self.chain.replenish(self, sku, q)

    def position_fell(self, sku: int) -> None:
        """Demand (or a rejected receipt) lowered the position: this warehouse reviews, and so
        do the upstream ones watching its echelon."""
        self.review(sku)
        for up in self.watchers[sku]:
            before = up.on_order[sku]
            up.review(sku)
            if up.on_order[sku] != before:
                up.log(sku)

    def allocate(self, oid: int, lost_sales: bool) -> None:
        """Serve a new customer order from stock; backorder or lose what is short."""
        book = self.chain.book
        o, ln = book.o, book.ln
        first = o["first_line"][oid]
        n = o["n_lines"][oid]
        now = self.env.now
        on_hand = self.on_hand
        pending = 0
        served = 0
        lost = 0
        for line in range(first, first + n):
            s = ln["sku"][line]
            u = ln["units"][line]
            take = on_hand[s] if on_hand[s] < u else u
            on_hand[s] -= take
            short = u - take
            ln["from_stock"][line] = take
            served += take
            if short == 0:
                ln["filled"][line] = now
            elif lost_sales:
                ln["lost"][line] = short
                lost += short
                ln["filled"][line] = now
            else:
                ln["backordered"][line] = short
                self.backorders[s] += short
                self.customer_backorders[s] += short
                claim = [LINE, line, short]
                self.waiting[s].append(claim)
                self.line_claims[line] = claim
                pending += short
            self.position_fell(s)
            self.log(s)
        o["units_from_stock"][oid] = served
        o["units_backordered"][oid] = pending
        o["units_lost"][oid] = lost
        o["pending_units"][oid] = pending
        if pending:
            return
        o["allocated"][oid] = now
        if served:
            self.ready(oid)
        else:
            o["status"][oid] = st.LOST

    def claim_transfer(self, rid: int, sku: int, quantity: int) -> None:
        """A downstream warehouse's transfer order: ship what is on hand, owe the rest."""
        take = min(self.on_hand[sku], quantity)
        if take:
            self.on_hand[sku] -= take
            self.chain.ship_transfer(rid, take)
        short = quantity - take
        if short:
            self.backorders[sku] += short
            self.waiting[sku].append([TRANSFER, rid, short])
        self.review(sku)
        self.log(sku)

    def receive(self, sku: int, quantity: int, restock: bool = False, rejected: int = 0) -> None:
        """Goods in: fill the oldest backorders first, keep the rest on hand. A restock
        (returned goods) was never on order; rejected (defective) units leave the order book
        unfilled, so the policy is asked again."""
        self.on_hand[sku] += quantity
        if not restock:
            self.on_order[sku] -= quantity + rejected
        wait = self.waiting[sku]
        chain = self.chain
        while wait and self.on_hand[sku] > 0:
            claim = wait[0]
            if claim[2] == 0:  # withdrawn by a cancelled order
                wait.popleft()
                continue
            take = min(self.on_hand[sku], claim[2])
            self.on_hand[sku] -= take
            self.backorders[sku] -= take
            claim[2] -= take
            if claim[2] == 0:
                wait.popleft()
            if claim[0] == LINE:
                self.customer_backorders[sku] -= take
                if claim[2] == 0:
                    del self.line_claims[claim[1]]
                chain.line_filled(claim[1], take, claim[2] == 0, self)
            else:
                chain.ship_transfer(claim[1], take)
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
        return lost

    def cancel(self, oid: int) -> bool:
        """Cancel an order that has not started picking: withdraw its backorders and put its
        allocated units back on hand. Returns whether it was cancelled."""
        o = self.chain.book.o
        status = o["status"][oid]
        if status not in (st.AWAITING_STOCK, st.AWAITING_PICK) or not math.isnan(
            o["pick_start"][oid]
        ):  # picking has started: too late
            return False
        ln = self.chain.book.ln
        first = o["first_line"][oid]
        touched = set()
        for line in range(first, first + o["n_lines"][oid]):
            s = ln["sku"][line]
            owed = 0
            claim = self.line_claims.pop(line, None)
            if claim is not None:
                owed = claim[2]
                claim[2] = 0
                self.backorders[s] -= owed
                self.customer_backorders[s] -= owed
            self.on_hand[s] += ln["units"][line] - ln["lost"][line] - owed
            touched.add(s)
        for s in touched:
            # Withdrawn backorders may leave stock that older claims were waiting for.
            self.receive(s, 0, restock=True)
        o["pending_units"][oid] = 0
        o["status"][oid] = st.CANCELLED
        o["cancelled"][oid] = self.env.now
        return True

    def reviews(self, period: float, skus: list[int]) -> Generator[simpy.Event, Any, None]:
        """Periodic review of some SKUs: every `period` hours from the start."""
        while True:
            yield Timeout(self.env, period)
            for s in skus:
                before = self.on_order[s]
                self.review(s, scheduled=True)
                if self.on_order[s] != before:
                    self.log(s)

    # --- picking --------------------------------------------------------------------------

    def ready(self, oid: int) -> None:
        """An order whose stock is all allocated goes to picking (pre-packed ones skip it)."""
        o = self.chain.book.o
        o["status"][oid] = st.AWAITING_PICK
        event = o["presale_event"][oid]
        if self.staffing is None or (event >= 0 and self.chain.prepacked[event]):
            o = self.chain.book.o
            o["pick_start"][oid] = o["picked"][oid] = self.env.now
            self.chain.ship_order(oid, self)
        elif self.busy < self.capacity:
            self.busy += 1
            self._start_pick(oid)
        else:
            self.pick_queue.append(oid)

    def pick_wait(self) -> float:
        """Expected hours before a new order's picking starts (0 without a picking stage)."""
        if self.staffing is None or self.busy < self.capacity:
            return 0.0
        if self.capacity == 0:
            return math.inf
        return (len(self.pick_queue) + 1) / self.capacity * self.mean_pick_time

    def _start_pick(self, oid: int) -> None:
        assert self.pick_time is not None
        self.chain.book.o["pick_start"][oid] = self.env.now
        Timeout(self.env, self.pick_time(), oid).callbacks.append(self._picked)

    def _picked(self, event: Timeout) -> None:
        oid = cast(int, event.value)
        self.chain.book.o["picked"][oid] = self.env.now
        self.busy -= 1
        self._next_picks()
        self.chain.ship_order(oid, self)

    def _next_picks(self) -> None:
        """Pickers off a pick (or just on duty) take the oldest waiting orders still wanted."""
        queue = self.pick_queue
        status = self.chain.book.o["status"]
        while queue and self.busy < self.capacity:
            oid = queue.popleft()
            if status[oid] != st.CANCELLED:
                self.busy += 1
                self._start_pick(oid)

    def shifts(self) -> Generator[simpy.Event, Any, None]:
        """Headcount changes: arriving pickers start on the queue at once; leaving ones
        finish the order in hand first."""
        assert self.staffing is not None
        times, counts = self.staffing
        for t, n in zip(times[1:], counts[1:], strict=True):
            yield Timeout(self.env, t - self.env.now)
            self.capacity = n
            self._next_picks()
