"""The supply chain as SimPy sees it: built from a Scenario, run once, recorded in columns.

Long-lived actors (one demand process per region) are generator processes; orders, picks,
shipments and receipts are single timeout events with a callback, so an order costs about
three events: arrival, pick done, delivery.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import simpy
from simpy.events import Timeout

from simchain import disruptions
from simchain.advance import AdvanceDemand
from simchain.demand import RegionDemand, merge
from simchain.forecast import Forecast
from simchain.model import orders as st
from simchain.model.agenda import Agenda
from simchain.model.carriers import Couriers, LaneGate, Schedule, Truck
from simchain.model.moving_average import MovingAverages
from simchain.model.orders import OrderBook
from simchain.model.planning import Planner
from simchain.model.service import ServiceClasses
from simchain.model.suppliers import Supplier
from simchain.model.warehouses import Warehouse
from simchain.policies.carriers import DEFAULT, CarrierPolicy, CarrierView
from simchain.policies.routing import RoutingPolicy
from simchain.policies.sourcing import SupplierView
from simchain.policies.stocking import MovingAverage, PlannedPolicy
from simchain.recording import NAN, Columns
from simchain.scenario.distributions import UNIT_UNIFORM, Sampler
from simchain.scenario.paths import best_paths
from simchain.scenario.schema import Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY, date_to_clock

Progress = Callable[[float, int], None]  # (simulated hours, orders so far)

INVENTORY_COLUMNS = {
    "time": "d",
    "warehouse": "h",
    "sku": "i",
    "on_hand": "q",
    "backorders": "q",
    "on_order": "q",
    "customer_backorders": "q",
}
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
LOSS_COLUMNS = {"time": "d", "warehouse": "h", "sku": "i", "units": "q", "disruption": "h"}
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
SHIPMENT_COLUMNS = {
    "origin": "h",
    "destination": "h",
    "carrier": "b",
    "scheduled": "d",
    "departure": "d",
    "arrival": "d",
    "capacity": "d",
    "units": "q",
    "shipments": "q",
}


CarrierOption = tuple[int, tuple[int, str], float, bool]  # carrier, lane key, mean transit, own


@dataclass(frozen=True, slots=True)
class Path:
    """A parcel's way from its warehouse to its region: lane keys in order (a direct lane is
    a path of one leg), the hubs at the end of every leg but the last, and, with the lanes'
    own carriers, the sums that routing sees."""

    legs: tuple[tuple[int, str], ...]
    hubs: tuple[int, ...]  # hub codes, one per leg before the last
    transit: float  # mean transit times plus mean handling times
    cost: float  # per unit, every leg
    before: float  # per unit, the legs before the last


class RegionRoutes:
    """What routing policies may know of one region's candidate warehouses (policies.routing
    .Routes), read from the chain as it is now: costs and transits are over each warehouse's
    path to the region."""

    def __init__(self, chain: SupplyChain, region: str, candidates: list[int]):
        paths = chain.paths[chain.region_names.index(region)]
        self.chain = chain
        self.costs = {w: paths[w].cost for w in candidates}
        self.transits = {w: paths[w].transit for w in candidates}

    def cost(self, w: int) -> float:
        return self.costs[w]

    def transit(self, w: int) -> float:
        return self.transits[w]

    def pick_wait(self, w: int) -> float:
        return self.chain.warehouses[w].pick_wait()


class SupplyChain:
    """All actors of one run, wired together; `run()` simulates the whole horizon."""

    def __init__(self, scenario: Scenario, streams: Streams):
        # Random disruptions dated from their own streams: the run sees only dated ones.
        scenario = disruptions.resolve(scenario, streams)
        self.scenario = scenario
        self.streams = streams
        self.env = simpy.Environment()
        self.agenda = Agenda(self.env)
        self.horizon = scenario.calendar.horizon
        self.sku_names = list(scenario.skus)
        self.region_names = list(scenario.regions)
        self.warehouse_names = list(scenario.warehouses)
        self.supplier_names = list(scenario.suppliers)
        # Replenishment sources and destinations share one index space: suppliers, then
        # warehouses.
        self.node_names = self.supplier_names + self.warehouse_names
        # Lane origins: warehouses, then hubs; destinations (shipments table): warehouses,
        # regions, then hubs.
        self.hub_names = list(scenario.hubs)
        self.origin_names = self.warehouse_names + self.hub_names
        origin_index = {name: i for i, name in enumerate(self.origin_names)}
        self.place_names = self.warehouse_names + self.region_names + self.hub_names
        self.hub_handling = [
            streams.sampler(f"handling/{name}", hub.handling_time)
            for name, hub in scenario.hubs.items()
        ]
        self.book = OrderBook()
        self.inventory_log = Columns(INVENTORY_COLUMNS)
        self.replenishment_log = Columns(REPLENISHMENT_COLUMNS)
        self.shipment_log = Columns(SHIPMENT_COLUMNS)
        self.loss_log = Columns(LOSS_COLUMNS)  # stock destroyed by disruptions
        self.disruption_names = list(scenario.disruptions)
        self.routing: RoutingPolicy = scenario.routing

        self.suppliers = {
            name: Supplier(i, name, scenario, streams) for i, name in enumerate(scenario.suppliers)
        }
        self.warehouses = [
            Warehouse(self, i, name, [scenario.policy_for(name, s) for s in self.sku_names])
            for i, name in enumerate(scenario.warehouses)
        ]
        self._by_name = {w.name: w for w in self.warehouses}
        # Replenishment sources per warehouse: its suppliers, or its upstream warehouse.
        self.upstream: list[Warehouse | None] = []
        self.sources: list[list[Supplier]] = []
        for name in self.warehouse_names:
            src = scenario.sources(name)
            up = self._by_name.get(src[0])
            self.upstream.append(up)
            self.sources.append([] if up is not None else [self.suppliers[x] for x in src])
        for wh in self.warehouses:
            wh.siblings = [self._by_name[x] for x in scenario.warehouses[wh.name].transship_from]
        self.sourcing = [scenario.warehouses[w].sourcing for w in self.warehouse_names]
        self.unit_prices = [
            [scenario.unit_price(sup, sku) for sku in self.sku_names] for sup in self.supplier_names
        ]
        self.ordered_from = [[0] * len(self.supplier_names) for _ in self.warehouse_names]
        for wh, up in zip(self.warehouses, self.upstream, strict=True):
            if up is not None:
                up.downstream.append(wh)
            for s in range(len(self.sku_names)):
                while up is not None:
                    if up.echelon[s]:
                        wh.watchers[s].append(up)
                    up = self.upstream[up.index]
                up = self.upstream[wh.index]
        # Lanes: transit samplers and unit costs, by (origin warehouse or hub, destination
        # name).
        self.lane_transit: dict[tuple[int, str], Sampler] = {}
        self.lane_cost: dict[tuple[int, str], float] = {}
        self.parcel_cost: dict[tuple[int, str], float] = {}  # lanes to regions
        self.lane_gates: dict[tuple[int, str], LaneGate] = {}
        self.lane_schedules: dict[tuple[int, str], Schedule] = {}
        for origin, dests in scenario.lanes.items():
            w = origin_index[origin]
            for dest, lane in dests.items():
                self.lane_transit[(w, dest)] = streams.sampler(
                    f"transit/{origin}/{dest}", lane.transit_time
                )
                self.lane_cost[(w, dest)] = lane.cost_per_unit
                self.parcel_cost[(w, dest)] = lane.cost_per_parcel
                hits = scenario.lane_disruptions(origin, dest)
                if hits:
                    self.lane_gates[(w, dest)] = LaneGate(hits, scenario.calendar.start)
                if lane.departures is not None:
                    self.lane_schedules[(w, dest)] = Schedule(
                        lane.departures, scenario.calendar.start, self.lane_transit[(w, dest)]
                    )
                # A lane's other carriers are lanes of their own, keyed "<region>:<carrier>",
                # sharing the lane's disruptions.
                for cname, carrier in lane.carriers.items():
                    key = (w, f"{dest}:{cname}")
                    self.lane_transit[key] = streams.sampler(
                        f"transit/{origin}/{dest}/{cname}", carrier.transit_time
                    )
                    self.lane_cost[key] = carrier.cost_per_unit
                    self.parcel_cost[key] = carrier.cost_per_parcel
                    if hits:
                        self.lane_gates[key] = self.lane_gates[(w, dest)]
                    if carrier.departures is not None:
                        self.lane_schedules[key] = Schedule(
                            carrier.departures, scenario.calendar.start, self.lane_transit[key]
                        )
        # Regions: each candidate warehouse's path, candidates nearest first (mean transit
        # over the path), and lane lookups.
        self.paths: list[dict[int, Path]] = []
        self.nearest_first: list[list[int]] = []
        # Per region and origin of a final leg (a candidate warehouse or a hub), the
        # carriers: (name code, lane key, mean transit, own couriers), the lane's own first.
        others = {c for ds in scenario.lanes.values() for ln in ds.values() for c in ln.carriers}
        self.carrier_names = [DEFAULT, *sorted(others)]
        self.region_carriers: list[dict[int, list[CarrierOption]]] = []
        self.class_carrier: list[dict[int, int]] = []  # region -> service code -> carrier code
        self.lost_sales: list[bool] = []
        self.routes: list[RegionRoutes] = []
        self.couriers: list[Couriers | None] = []
        best = {w: best_paths(scenario, w) for w in self.warehouse_names}
        for r, (name, region) in enumerate(scenario.regions.items()):
            paths = {
                self._by_name[w].index: self._path(best[w][name], origin_index)
                for w in region.served_by
            }
            self.paths.append(paths)
            cands = sorted(paths, key=lambda w, ps=paths: (ps[w].transit, w))  # type: ignore[misc]
            self.nearest_first.append(list(cands))
            options = {}
            for w in cands:
                o = paths[w].legs[-1][0]
                lane = scenario.lanes[self.origin_names[o]][name]
                options[o] = [(0, (o, name), lane.transit_time.mean_value(), False)] + [
                    (
                        self.carrier_names.index(c),
                        (o, f"{name}:{c}"),
                        spec.transit_time.mean_value(),
                        spec.own_couriers,
                    )
                    for c, spec in lane.carriers.items()
                ]
            self.region_carriers.append(options)
            self.lost_sales.append(region.unmet_demand == "lost_sales")
            self.routes.append(RegionRoutes(self, name, cands))
            self.couriers.append(
                Couriers(
                    functools.partial(scenario.courier_capacity, name), scenario.calendar.start
                )
                if region.last_mile
                else None
            )
            del r
        # Pre-sale events: pre-packed parcels skip picking and ship with their own transit.
        events = list(scenario.events.items())
        self.prepacked = [bool(ev.presale and ev.presale.prepositioned) for _, ev in events]
        self.presale_transit: list[Sampler | None] = [
            streams.sampler(f"transit/presale/{name}", ev.presale.transit)
            if ev.presale is not None and ev.presale.prepositioned and ev.presale.transit
            else None
            for name, ev in events
        ]
        self.service = ServiceClasses(scenario, streams)
        self.carrier_choice: CarrierPolicy = scenario.carrier_choice
        for region in scenario.regions.values():
            self.class_carrier.append(
                {
                    self.service.names.index(c): self.carrier_names.index(k.carrier)
                    for c, k in region.service_classes.items()
                    if k.carrier is not None
                }
            )
        self.planner = Planner(self)
        self.forecast = Forecast(scenario, streams, self.planner.lookahead())
        self.moving_averages = MovingAverages(self)
        # Customer patience: per region, orders in creation order with their deadlines.
        self.patience = [scenario.regions[r].demand.patience for r in self.region_names]
        self.deadlines: list[deque[tuple[float, int]]] = [deque() for _ in self.region_names]
        # Returns: per-SKU return rates, one uniform stream per region.
        self.return_rate = [scenario.return_rate(s) for s in self.sku_names]
        self.return_rate_array = np.array(self.return_rate)
        self.returns_on = scenario.returns is not None and any(self.return_rate)
        if self.returns_on:
            assert scenario.returns is not None
            self.return_units_rng = streams.rng("returns/units")
            self.restock_uniform = streams.sampler("returns/restock", UNIT_UNIFORM)
            self.return_delay = streams.sampler("returns/delay", scenario.returns.delay)
        self.returns_log = Columns(RETURN_COLUMNS)
        # Open replenishment orders: id -> [placed, source node, destination warehouse, sku,
        # quantity, quantity received, confirmed date (NaN for transfers)]
        self.open_replenishments: dict[int, list[Any]] = {}
        self._next_rid = 0

    def _path(self, nodes: list[str], origin_index: dict[str, int]) -> Path:
        """A path from its node names; sums in leg order (a direct lane's are its own)."""
        sc = self.scenario
        transit = cost = before = 0.0
        for k, (a, b) in enumerate(itertools.pairwise(nodes)):
            lane = sc.lanes[a][b]
            transit += lane.transit_time.mean_value()
            if b in sc.hubs:
                transit += sc.hubs[b].handling_time.mean_value()
            cost += lane.cost_per_unit
            if k < len(nodes) - 2:
                before += lane.cost_per_unit
        return Path(
            tuple((origin_index[a], b) for a, b in itertools.pairwise(nodes)),
            tuple(self.hub_names.index(h) for h in nodes[1:-1]),
            transit,
            cost,
            before,
        )

    # --- set-up and run -------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> None:
        """Simulate to the horizon. `progress(now_h, orders_so_far)` is called after each
        simulated day when given (stopping the clock at day ends leaves the run unchanged)."""
        sc = self.scenario
        self.moving_averages.set_levels()
        for w in self.warehouses:
            init = sc.warehouses[w.name].initial_stock
            replans: dict[float, list[int]] = {}
            for s, sku in enumerate(self.sku_names):
                policy = w.policies[s]
                if isinstance(policy, PlannedPolicy):
                    self.planner.plan(w, s)
                    replans.setdefault(policy.recompute_every, []).append(s)
                if init == "target":
                    w.on_hand[s] = max(w.rules[s].target_level(), 0)
                else:
                    w.on_hand[s] = init.get(sku, 0)
            for every, skus in sorted(replans.items()):
                self.env.process(self.planner.replanning(w, every, skus))
        for w in self.warehouses:
            periods: dict[float, list[int]] = {}
            for s in range(len(self.sku_names)):
                w.review(s, scheduled=True)
                w.log(s)
                period = w.policies[s].review_period
                if period is not None and not isinstance(w.policies[s], MovingAverage):
                    periods.setdefault(period, []).append(s)
            for period, skus in sorted(periods.items()):
                self.env.process(w.reviews(period, skus))
            for station in (w.pickers, w.packers):
                if station is not None and len(station.staffing[0]) > 1:
                    self.env.process(station.shifts())
                if station is not None and station.waves is not None:
                    self.env.process(station.releases())
        if self.moving_averages:  # reviewed at midnights, after the day's demand is closed
            self.env.process(self.moving_averages.midnights())
        demands = [
            RegionDemand(
                sc,
                name,
                self.streams.rng(f"demand/{name}"),
                self.streams.rng(f"presale/{name}"),
            )
            for name in self.region_names
        ]
        self.advance_demand = AdvanceDemand(
            len(self.sku_names),
            [(r, part) for r, d in enumerate(demands) for part in d.presale_orders()],
        )
        self.env.process(self._customers(demands))
        self._schedule_stock_losses()
        if any(p is not None for p in self.patience):
            self.env.process(self._patience_sweep())
        if progress is not None:
            for day_end in range(int(HOURS_PER_DAY), math.ceil(self.horizon), int(HOURS_PER_DAY)):
                self.env.run(until=day_end)
                progress(float(day_end), self._arrived(day_end))
        self.env.run(until=self.horizon)
        if progress is not None:
            progress(self.horizon, self._arrived(self.horizon))
        self._flush_open_replenishments()
        self._record_shipments()

    def _arrived(self, now: float) -> int:
        """Orders created before `now` (the book already holds the rest of today's batch)."""
        if not len(self.book):
            return 0
        created = np.frombuffer(self.book.orders.cols["created"], dtype=np.float64)
        arrived = int(np.count_nonzero(created < now))
        del created  # the view pins the buffer: the book could not grow while it lives
        return arrived

    def _schedule_stock_losses(self) -> None:
        """One event per disruption that destroys stock, at its first instant (a start before
        the run destroys nothing: the initial stock is what was left)."""
        sc = self.scenario
        for i, d in enumerate(sc.disruptions.values()):
            hit = [self._by_name[n] for n in d.nodes if n in self._by_name]
            at = date_to_clock(sc.calendar.start, d.window[0])
            if d.stock_lost > 0 and hit and 0 <= at < self.horizon:
                Timeout(self.env, at, (i, hit, d.stock_lost)).callbacks.append(self._stock_lost)

    def _stock_lost(self, event: Timeout) -> None:
        i, hit, share = cast(tuple[int, list[Warehouse], float], event.value)
        c = self.loss_log.cols
        for wh in hit:
            for s, units in wh.lose_stock(share):
                c["time"].append(self.env.now)
                c["warehouse"].append(wh.index)
                c["sku"].append(s)
                c["units"].append(units)
                c["disruption"].append(i)

    def _customers(self, demands: list[RegionDemand]) -> Generator[simpy.Event, Any, None]:
        """All customers: a day of every region's arrivals drawn in bulk (each region from its
        own streams), merged in time order, added to the order book at once, then replayed."""
        env = self.env
        day = 0
        while day * HOURS_PER_DAY < self.horizon:
            batch, region = merge([d.day(day) for d in demands])
            service, promise = self.service.draw(region)
            first = self.book.add_batch(
                region,
                batch.times,
                batch.times + promise,
                batch.n_lines,
                batch.skus,
                batch.units,
                batch.event,
                batch.deposit,
                self.return_units_rng.binomial(batch.units, self.return_rate_array[batch.skus])
                if self.returns_on
                else None,
                service,
            )
            sku_list, unit_list = batch.skus.tolist(), batch.units.tolist()
            region_list = region.tolist()
            k = 0
            for i, (t, n) in enumerate(
                zip(batch.times.tolist(), batch.n_lines.tolist(), strict=True)
            ):
                yield Timeout(env, t - env.now)
                self.arrive(first + i, region_list[i], sku_list[k : k + n], unit_list[k : k + n])
                k += n
            day += 1

    def _patience_sweep(self) -> Generator[simpy.Event, Any, None]:
        """Cancel orders not shipped within their region's patience, checked every 15 min
        (one event per sweep, not one per order)."""
        o = self.book.o
        step = 0.25
        while True:
            yield Timeout(self.env, step)
            now = self.env.now
            for queue in self.deadlines:
                while queue and queue[0][0] <= now:
                    _, oid = queue.popleft()
                    if o["status"][oid] in (st.AWAITING_STOCK, st.AWAITING_PICK):
                        self.warehouses[o["warehouse"][oid]].cancel(oid)

    # --- customer orders ------------------------------------------------------------------

    def arrive(self, oid: int, r: int, skus: list[int], units: list[int]) -> None:
        """A customer order arrives: route it, then allocate stock at the chosen warehouse."""
        whs = self.warehouses
        w = self.routing.choose(
            self.nearest_first[r], lambda i: whs[i].can_serve(skus, units), self.routes[r]
        )
        parts = [(oid, w)]
        if self.routing.split and not whs[w].can_serve(skus, units):
            parts = self._split(oid, r, w, skus, units)
        patience = self.patience[r]
        for part, house in parts:
            self.book.o["warehouse"][part] = house
            if patience is not None:
                self.deadlines[r].append((self.env.now + patience, part))
            whs[house].allocate(part, self.lost_sales[r])

    def _split(
        self, oid: int, r: int, w: int, skus: list[int], units: list[int]
    ) -> list[tuple[int, int]]:
        """Lines the chosen warehouse `w` cannot serve from stock go to the nearest candidate
        that can (else they stay at `w`, backordered); one part per warehouse, `w`'s first.
        If `w` could serve none of the lines, the routing's choice stands: no split."""
        left = {i: list(self.warehouses[i].on_hand) for i in self.nearest_first[r]}
        groups: dict[int, list[int]] = {w: []}
        first = self.book.o["first_line"][oid]
        for k, (s, u) in enumerate(zip(skus, units, strict=True)):
            house = w
            if left[w][s] < u:
                house = next((i for i in self.nearest_first[r] if left[i][s] >= u), w)
            left[house][s] -= min(u, left[house][s])
            groups.setdefault(house, []).append(first + k)
        chosen = [(h, g) for h, g in groups.items() if g]
        if not groups[w]:  # a split ships part of an order elsewhere, never all of it
            return [(oid, w)]
        ids = self.book.split(oid, [g for _, g in chosen])
        return [(part, h) for part, (h, _) in zip(ids, chosen, strict=True)]

    def line_filled(self, line: int, units: int, complete: bool, wh: Warehouse) -> None:
        """Backordered units of a customer line arrived; release the order when all have."""
        o, ln = self.book.o, self.book.ln
        oid = ln["order_id"][line]
        if complete:
            ln["filled"][line] = self.env.now
        o["pending_units"][oid] -= units
        if o["pending_units"][oid] == 0:
            o["allocated"][oid] = self.env.now
            wh.ready(oid)

    def ship_order(self, oid: int, wh: Warehouse) -> None:
        """Hand a packed order to the carrier of the first leg of its path to its region."""
        o = self.book.o
        path = self.paths[o["region"][oid]][wh.index]
        event = o["presale_event"][oid]
        # A pre-positioned parcel with its own transit leaves from near the buyers: it does
        # not ride the lane's trucks, nor pass the path's hubs.
        own = self.presale_transit[event] if event >= 0 else None
        if len(path.legs) == 1 or own is not None:
            self._final_leg(oid, path, own)
            return
        o["shipped"][oid] = self.env.now
        o["status"][oid] = st.IN_TRANSIT
        o["hub"][oid] = path.hubs[0]
        # Charged in full at hand-over, the final leg with the lane's own carrier until a
        # carrier takes it (_final_leg).
        o["carrier"][oid] = 0
        units = o["units"][oid] - o["units_lost"][oid]
        o["transport_cost"][oid] = path.cost * units + self.parcel_cost[path.legs[-1]]
        self._hub_leg((oid, path, 0))

    def _hub_leg(self, load: tuple[int, Path, int]) -> None:
        """Send a parcel on leg k of its path, to a hub, then on after the hub's handling:
        without a truck, one event covers the leg and the handling; with one, the handling
        starts when the truck unloads."""
        oid, path, k = load
        lane = path.legs[k]
        ((delay, _, truck),) = self._trip(lane, 1, self.lane_transit[lane])
        onward = (oid, path, k + 1)
        if truck is not None:
            truck.loads.append((self._at_hub, onward))
        else:
            handling = self.hub_handling[path.hubs[k]]()
            self.agenda.schedule(delay + handling, onward, self._handled)

    def _at_hub(self, load: tuple[int, Path, int]) -> None:
        """A truck unloads a parcel at a hub: handling, then the next leg."""
        handling = self.hub_handling[load[1].hubs[load[2] - 1]]()
        if handling > 0:
            self.agenda.schedule(handling, load, self._handled)
        else:
            self._next_leg(load)

    def _handled(self, event: Timeout) -> None:
        self._next_leg(cast(tuple[int, Path, int], event.value))

    def _next_leg(self, load: tuple[int, Path, int]) -> None:
        oid, path, k = load
        if k < len(path.legs) - 1:
            self._hub_leg(load)
        else:
            self._final_leg(oid, path, None)

    def _final_leg(self, oid: int, path: Path, own: Sampler | None) -> None:
        """Hand a parcel to a carrier of the lane into its region (chosen now), booking the
        region's couriers for its arrival; `own`: a pre-positioned parcel's own transit."""
        o = self.book.o
        now = self.env.now
        r = o["region"][oid]
        options = self.region_carriers[r][path.legs[-1][0]]
        pick = 0 if len(options) == 1 else self._choose_carrier(oid, options)
        code, lane, _, own_couriers = options[pick]
        if own is not None or len(path.legs) == 1:
            o["shipped"][oid] = now
            o["status"][oid] = st.IN_TRANSIT
        o["carrier"][oid] = code
        units = o["units"][oid] - o["units_lost"][oid]
        per_unit = path.before + self.lane_cost[lane]
        o["transport_cost"][oid] = per_unit * units + self.parcel_cost[lane]
        transit = own or self.lane_transit[lane]
        ((delay, _, truck),) = self._trip(lane, 1, transit, by_truck=own is None)
        arrival = truck.arrival if truck is not None else now + delay
        couriers = None if own_couriers else self.couriers[r]
        at = couriers.delivery_time(arrival) if couriers is not None else arrival
        if truck is not None and at == arrival:
            truck.loads.append((self._deliver, oid))  # delivered as the truck arrives
        else:
            self.agenda.schedule(at - now if couriers is not None else delay, oid, self._delivered)

    def _parcel_cost(self, lane: tuple[int, str], oid: int) -> float:
        """What a lane's carrier charges for an order: per unit shipped, plus per parcel."""
        o = self.book.o
        units = o["units"][oid] - o["units_lost"][oid]
        return self.lane_cost[lane] * units + self.parcel_cost[lane]

    def _choose_carrier(self, oid: int, options: list[CarrierOption]) -> int:
        """Ask the carrier choice policy, with each carrier's cost for this parcel and its
        expected arrival (next departure with room, then the mean transit)."""
        o = self.book.o
        now = self.env.now
        wanted = self.class_carrier[o["region"][oid]].get(int(o["service"][oid]), -1)
        views = []
        for code, lane, mean, _ in options:
            gate = self.lane_gates.get(lane)
            ready = gate.departure(now) if gate is not None else now
            schedule = self.lane_schedules.get(lane)
            leave = schedule.next_departure(ready) if schedule is not None else ready
            factor = gate.transit_factor(leave) if gate is not None else 1.0
            views.append(
                CarrierView(
                    self.carrier_names[code],
                    self._parcel_cost(lane, oid),
                    leave + mean * factor,
                    code == wanted,
                )
            )
        return self.carrier_choice.choose(views, o["promised"][oid])

    def _delivered(self, event: Timeout) -> None:
        self._deliver(cast(int, event.value))

    def _deliver(self, oid: int) -> None:
        o = self.book.o
        o["delivered"][oid] = self.env.now
        o["status"][oid] = st.DELIVERED
        if self.returns_on and o["units_to_return"][oid]:
            self._maybe_return(oid)

    # --- returns ---------------------------------------------------------------------------

    def _maybe_return(self, oid: int) -> None:
        """Schedule the order's returns (drawn when the order was created) after the delay;
        units lost to a stockout never reached the customer and cannot come back."""
        o, ln = self.book.o, self.book.ln
        first = o["first_line"][oid]
        back: list[tuple[int, int]] = []
        for line in range(first, first + o["n_lines"][oid]):
            k = min(ln["to_return"][line], ln["units"][line] - ln["lost"][line])
            if k:
                back.append((ln["sku"][line], k))
        if back:
            assert self.scenario.returns is not None
            delay = self.return_delay() + self.scenario.returns.inspection
            o["units_returned"][oid] = sum(k for _, k in back)
            self.agenda.schedule(delay, (oid, back, self.env.now), self._returned)

    def _returned(self, event: Timeout) -> None:
        oid, back, delivered = cast(tuple[int, list[tuple[int, int]], float], event.value)
        assert self.scenario.returns is not None
        share = self.scenario.returns.restock_share
        w = self.book.o["warehouse"][oid]
        u = self.restock_uniform
        c = self.returns_log.cols
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

    # --- replenishment --------------------------------------------------------------------

    def replenish(self, wh: Warehouse, sku: int, quantity: int) -> None:
        """Order for `wh` from its upstream warehouse or its suppliers (shared by its sourcing
        policy, raised to minimum order quantities), and book it as on order."""
        now = self.env.now
        up = self.upstream[wh.index]
        if up is not None:
            rid = self._new_replenishment(now, len(self.suppliers) + up.index, wh, sku, quantity)
            wh.on_order[sku] += quantity
            up.claim_transfer(rid, sku, quantity)
            return
        sources = self.sources[wh.index]
        if len(sources) == 1:
            self._purchase(sources[0], wh, sku, quantity)
            return
        views = [
            SupplierView(
                sup.name,
                self.unit_prices[sup.index][sku],
                sup.expected_arrival(now, quantity),
                sup.down(now),
                sup.late(now),
                self.ordered_from[wh.index][sup.index],
            )
            for sup in sources
        ]
        parts = self.sourcing[wh.index].split(quantity, views)
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
            rid = self._new_replenishment(now, len(self.suppliers) + sib.index, wh, sku, q)
            wh.on_order[sku] += q
            sib.claim_transfer(rid, sku, q)
            need -= q
            # Upstream warehouses watching the sibling's echelon but not `wh`'s saw it fall.
            for up in sib.watchers[sku]:
                if up not in wh.watchers[sku]:
                    before = up.on_order[sku]
                    up.review(sku)
                    if up.on_order[sku] != before:
                        up.log(sku)

    def _new_replenishment(
        self, now: float, src: int, wh: Warehouse, sku: int, quantity: int, due: float = NAN
    ) -> int:
        rid = self._next_rid
        self._next_rid += 1
        self.open_replenishments[rid] = [now, src, wh.index, sku, quantity, 0, due]
        return rid

    def _purchase(self, sup: Supplier, wh: Warehouse, sku: int, quantity: int) -> None:
        now = self.env.now
        quantity = max(quantity, sup.min_order_quantity)
        self.ordered_from[wh.index][sup.index] += quantity
        wh.on_order[sku] += quantity
        rid = self._next_rid  # booked below, once the confirmed date is known
        dispatch, due, arrival = sup.place(rid, now, quantity)
        self._new_replenishment(now, sup.index, wh, sku, quantity, due)
        self.agenda.schedule(arrival - now, (rid, dispatch, quantity, 0.0), self._received)

    def ship_transfer(self, rid: int, quantity: int) -> None:
        """An upstream warehouse (or a sibling) ships (part of) a transfer order down its
        lane."""
        src, dest = self.open_replenishments[rid][1:3]
        up = src - len(self.suppliers)
        key = (up, self.warehouse_names[dest])
        cost = self.lane_cost[key] * quantity
        for delay, units, truck in self._trip(key, quantity, self.lane_transit[key]):
            load = (rid, self.env.now, units, cost * units / quantity)
            if truck is None:
                self.agenda.schedule(delay, load, self._received)
            else:
                truck.loads.append((self._receive, load))

    def _trip(
        self, lane: tuple[int, str], amount: int, transit: Sampler, by_truck: bool = True
    ) -> list[tuple[float, int, Truck | None]]:
        """(hours from hand-over to arrival, units, truck) for each part of a shipment on a
        lane: waiting for a closed lane to reopen and, on a scheduled lane, for a departure
        with room (a large shipment may take several); the caller puts each part aboard its
        truck, or schedules its own arrival where the truck is None (unscheduled lanes draw
        one transit per shipment, slowed by a disruption)."""
        now = self.env.now
        gate = self.lane_gates.get(lane)
        schedule = self.lane_schedules.get(lane) if by_truck else None
        if gate is None and schedule is None:
            return [(transit(), amount, None)]
        ready = gate.departure(now) if gate is not None else now
        if schedule is None:
            assert gate is not None
            return [(ready - now + transit() * gate.transit_factor(ready), amount, None)]
        out: list[tuple[float, int, Truck | None]] = []
        for i, units in schedule.take(ready, amount):
            truck = schedule.trucks.get(i)
            if truck is None:
                truck = schedule.trucks[i] = self._truck(lane, schedule, i)
            truck.units += units
            truck.shipments += 1
            # A truck with no transit may already have unloaded at this very instant.
            out.append((truck.arrival - now, units, None if truck.unloaded else truck))
        return out

    def _truck(self, lane: tuple[int, str], schedule: Schedule, i: int) -> Truck:
        """Departure i gets its first load: fix its transit (its own draw, slowed by a
        disruption at its leaving time) and schedule its one arrival event."""
        gate = self.lane_gates.get(lane)
        leave = schedule.times[i]
        factor = 1.0
        if gate is not None:  # a departure inside a closure waits for the reopening
            leave = gate.departure(leave)
            factor = gate.transit_factor(leave)
        truck = Truck(leave, leave + schedule.transits[i] * factor)
        self.agenda.schedule(truck.arrival - self.env.now, truck, self._unloaded)
        return truck

    def _unloaded(self, event: Timeout) -> None:
        """A truck arrives: hand over everything aboard, in booking order."""
        truck = cast(Truck, event.value)
        truck.unloaded = True
        loads, truck.loads = truck.loads, []
        for hand_over, load in loads:
            hand_over(load)

    def _record_shipments(self) -> None:
        """One row per departure of a scheduled lane before the horizon (empty ones carry 0
        units), and per later departure already loaded."""
        c = self.shipment_log.cols
        for (w, dest), schedule in self.lane_schedules.items():  # w: origin code
            gate = self.lane_gates.get((w, dest))
            n = schedule.departures_before(self.horizon)
            for i in sorted(set(range(n)) | set(schedule.trucks)):
                truck = schedule.trucks.get(i)
                place, _, carrier = dest.partition(":")
                c["origin"].append(w)
                c["destination"].append(self.place_names.index(place))
                c["carrier"].append(self.carrier_names.index(carrier or DEFAULT))
                c["scheduled"].append(schedule.times[i])
                if truck is None:
                    leave = schedule.times[i]
                    c["departure"].append(gate.departure(leave) if gate is not None else leave)
                    c["arrival"].append(NAN)
                else:
                    c["departure"].append(truck.departure)
                    c["arrival"].append(truck.arrival)
                c["capacity"].append(schedule.capacity[i])
                c["units"].append(truck.units if truck else 0)
                c["shipments"].append(truck.shipments if truck else 0)

    def _received(self, event: Timeout) -> None:
        self._receive(cast(tuple[int, float, int, float], event.value))

    def _receive(self, load: tuple[int, float, int, float]) -> None:
        rid, shipped, quantity, cost = load
        rec = self.open_replenishments[rid]
        placed, src, dest, sku, due = rec[0], rec[1], rec[2], rec[3], rec[6]
        rec[5] += quantity
        if rec[5] == rec[4]:
            del self.open_replenishments[rid]
        rejected = 0
        if src < len(self.suppliers):
            rejected = self.suppliers[self.supplier_names[src]].receive(rid, quantity)
        row = len(self.replenishment_log)
        self._record_replenishment(
            rid, placed, shipped, self.env.now, src, dest, sku, quantity, cost, due, rejected
        )
        self.warehouses[dest].receiving.arrive(sku, quantity - rejected, rejected, row)

    def _record_replenishment(
        self,
        rid: int,
        placed: float,
        shipped: float,
        received: float,
        src: int,
        dest: int,
        sku: int,
        quantity: int,
        cost: float,
        due: float,
        rejected: int,
    ) -> None:
        c = self.replenishment_log.cols
        c["order_id"].append(rid)
        c["placed"].append(placed)
        c["shipped"].append(shipped)
        c["received"].append(received)
        c["source"].append(src)
        c["destination"].append(dest)
        c["sku"].append(sku)
        c["quantity"].append(quantity)
        c["transport_cost"].append(cost)
        c["due"].append(due)
        c["rejected"].append(rejected)
        c["checked_in"].append(NAN)
        c["put_away"].append(NAN)
        c["stocked"].append(0)
        c["waited_for_room"].append(0)

    def _flush_open_replenishments(self) -> None:
        """Rows for what is still on order at the end: received is NaN."""
        for rid, rec in sorted(self.open_replenishments.items()):
            placed, src, dest, sku, qty, got, due = rec
            self._record_replenishment(
                rid, placed, NAN, NAN, src, dest, sku, qty - got, 0.0, due, 0
            )
