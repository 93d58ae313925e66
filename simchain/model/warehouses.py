"""Warehouses: a stock ledger per SKU, backorder queues, and picking and packing stations.

Ledger per SKU: `on_hand` (free stock, not yet allocated to an order), `backorders` (units
owed to customer lines and to downstream transfer orders), `on_order` (units ordered upstream,
not yet received). Inventory position = on_hand + on_order - backorders.

Event-order convention (the validation tests rely on it): an arriving demand is served from
`on_hand` at its arrival instant, before any receipt at the same instant; the stocking policy
is asked right after the demand is booked; a receipt fills the oldest backorders first.

Speed: an order in stock with a free picker costs one event (the pick) and one more per
staffed stage; an order waits in a queue, never in a SimPy process.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Literal

import simpy
from simpy.events import Timeout

from simchain.model import orders as st
from simchain.model.picking import mean_lines, mean_pick_hours, pick_work
from simchain.model.receiving import Receiving
from simchain.model.stations import Station
from simchain.policies.stocking import AdaptivePolicy, Levels, OrderRule, StockingPolicy
from simchain.scenario.schema import Packers, Pickers

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
    ):
        self.chain = chain
        self.env = chain.env
        self.index = index
        self.name = name
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
        self.waiting: list[deque[list[int]]] = [deque() for _ in range(n)]
        # Picking and packing stations; none: the stage takes no time.
        self.pickers = self._station("pickers")
        self.packers = self._station("packers")
        self.receiving = Receiving(self)
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

    def _station(self, role: Literal["pickers", "packers"]) -> Station | None:
        chain = self.chain
        sc = chain.scenario
        spec = sc.warehouses[self.name]
        crew = getattr(spec, role)
        if crew is None:
            return None
        o = chain.book.o
        key: Callable[[int], float] | None = None
        if spec.priority == "earliest_promise":
            key = o["promised"].__getitem__
        elif spec.priority == "premium_first":
            # Rounded: promised - created carries float noise that would break FIFO in a class.
            key = lambda oid: round(o["promised"][oid] - o["created"][oid], 6)  # noqa: E731
        if role == "pickers":
            assert isinstance(crew, Pickers)
            station = Station(
                self.env,
                sc.crew_headcount(self.name, role),
                pick_work(sc, self.name, chain.streams, chain.book),
                self._pick_started,
                self._picked,
                self._not_cancelled,
                key,
                crew.orders_per_tour,
                crew.waves,
            )
            station.mean_work = mean_pick_hours(crew, mean_lines(sc))
            return station
        assert isinstance(crew, Packers)
        pack_time = chain.streams.sampler(f"pack_time/{self.name}", crew.pack_time)
        station = Station(
            self.env,
            sc.crew_headcount(self.name, role),
            lambda tour: pack_time(),
            self._pack_started,
            self._packed,
            lambda oid: True,
            key,
        )
        station.mean_work = crew.pack_time.mean_value()
        return station

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
        asked = self.asked
        pending = 0
        served = 0
        lost = 0
        for line in range(first, first + n):
            s = ln["sku"][line]
            u = ln["units"][line]
            asked[s] += u
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
                if self.siblings:  # before the review: the policy counts what they send
                    self.chain.transship(self, s)
            self.position_fell(s)
            self.log(s)
        o["units_from_stock"][oid] = served
        o["units_backordered"][oid] = pending
        o["units_lost"][oid] = lost
        o["pending_units"][oid] = pending
        if self.receiving.dock:  # stock left, or new backorders may take goods waiting
            self.receiving.make_room()
        if pending:
            return
        o["allocated"][oid] = now
        if served:
            self.ready(oid)
        else:
            o["status"][oid] = st.LOST

    def claim_transfer(self, rid: int, sku: int, quantity: int) -> None:
        """A downstream warehouse's transfer order: ship what is on hand, owe the rest (a
        sibling's transshipment asks only for what it can spare, so it is never owed)."""
        self.asked[sku] += quantity
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
        if lost and self.receiving.dock:
            self.receiving.make_room()
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

    # --- picking and packing -----------------------------------------------------------

    def ready(self, oid: int) -> None:
        """An order whose stock is all allocated goes to picking (pre-packed ones skip
        picking and packing)."""
        o = self.chain.book.o
        o["status"][oid] = st.AWAITING_PICK
        event = o["presale_event"][oid]
        if event >= 0 and self.chain.prepacked[event]:
            o["pick_start"][oid] = o["picked"][oid] = o["pack_start"][oid] = self.env.now
            o["packed"][oid] = self.env.now
            self.chain.ship_order(oid, self)
        elif self.pickers is None:
            o["pick_start"][oid] = o["picked"][oid] = self.env.now
            self._to_packing(oid)
        else:
            self.pickers.add(oid)

    def pick_wait(self) -> float:
        """Expected hours before a new order's picking starts (0 without a picking stage)."""
        return 0.0 if self.pickers is None else self.pickers.wait()

    def _pick_started(self, tour: list[int]) -> None:
        o = self.chain.book.o
        now, size = self.env.now, len(tour)
        for oid in tour:
            o["pick_start"][oid] = now
            o["tour_orders"][oid] = size

    def _picked(self, tour: list[int]) -> None:
        picked = self.chain.book.o["picked"]
        for oid in tour:
            picked[oid] = self.env.now
            self._to_packing(oid)

    def _to_packing(self, oid: int) -> None:
        o = self.chain.book.o
        if self.packers is None:
            o["pack_start"][oid] = o["packed"][oid] = self.env.now
            self.chain.ship_order(oid, self)
        else:
            o["status"][oid] = st.AWAITING_PACK
            self.packers.add(oid)

    def _pack_started(self, tour: list[int]) -> None:
        pack_start = self.chain.book.o["pack_start"]
        for oid in tour:
            pack_start[oid] = self.env.now

    def _packed(self, tour: list[int]) -> None:
        packed = self.chain.book.o["packed"]
        for oid in tour:
            packed[oid] = self.env.now
            self.chain.ship_order(oid, self)

    def _not_cancelled(self, oid: int) -> bool:
        return bool(self.chain.book.o["status"][oid] != st.CANCELLED)
