"""The build step: a validated Scenario and the run's random streams -> a Network.

The Network is what the simulation needs to know of the scenario, computed once and frozen:
index spaces (names by integer code), warehouses with their sources and neighbours, lanes
with their transit samplers, costs and disruptions, each region's paths and carriers, the
suppliers' terms and outages, the demand generators and the forecast. No SimPy; every ledger,
queue, booking and clock lives in the actors (`simchain.model.chain`). The random sources it
holds (samplers, demand generators) advance as a run draws from them, so a Network serves
one run: `simulate` builds a fresh one each time. `print(network)` summarises it.

Code spaces (the recorded tables decode them with these names):
- nodes (replenishment sources and destinations): suppliers, then warehouses;
- origins of lanes: warehouses, then hubs; places (shipment destinations): warehouses,
  regions, then hubs;
- carriers: the lanes' own (`DEFAULT`) first, then the others by name.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from simchain import disruptions
from simchain.advance import AdvanceDemand
from simchain.demand import RegionDemand
from simchain.forecast import Forecast
from simchain.model.carriers import LaneGate
from simchain.model.picking import mean_lines
from simchain.model.service import ServiceClasses
from simchain.model.suppliers import SupplierNode, supplier_node
from simchain.policies.carriers import DEFAULT, CarrierPolicy
from simchain.policies.routing import RoutingPolicy
from simchain.policies.sourcing import SourcingPolicy
from simchain.policies.stocking import PlannedPolicy, StockingPolicy
from simchain.scenario import schema
from simchain.scenario.distributions import UNIT_UNIFORM, Sampler
from simchain.scenario.paths import best_paths
from simchain.scenario.schema import Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY, date_to_clock

LaneKey = tuple[int, str]
"""A lane: (origin code, destination name); a lane's other carriers are lanes of their own,
keyed (origin, "<region>:<carrier>")."""

Staffing = tuple[list[float], list[int]]
"""A crew's headcount over the run: change times (clock hours) and people on duty from each."""


@dataclass(frozen=True, slots=True)
class Lane:
    """One carrier's service on a lane: transit draws, charges, disruptions, timetable."""

    key: LaneKey
    transit: Sampler
    cost_per_unit: float
    cost_per_parcel: float
    gate: LaneGate | None  # closures and slow-downs; None: never disrupted
    departures: schema.Departures | None  # scheduled trucks; None: leaves at once


@dataclass(frozen=True, slots=True)
class Path:
    """A parcel's way from its warehouse to its region: lane keys in order (a direct lane is
    a path of one leg), the hubs at the end of every leg but the last, and, with the lanes'
    own carriers, the sums that routing sees."""

    legs: tuple[LaneKey, ...]
    hubs: tuple[int, ...]  # hub codes, one per leg before the last
    transit: float  # mean transit times plus mean handling times
    cost: float  # per unit, every leg
    before: float  # per unit, the legs before the last


class CarrierOption(NamedTuple):
    """A carrier that may take a parcel on the final leg into a region."""

    carrier: int  # carrier code
    lane: LaneKey
    mean_transit: float
    own_couriers: bool  # delivers with its own couriers, not the region's


@dataclass(frozen=True, slots=True)
class RegionNode:
    """A customer region: where its orders may be served from and how they travel."""

    index: int
    name: str
    spec: schema.Region
    paths: dict[int, Path]  # candidate warehouse code -> its best path here
    nearest_first: tuple[int, ...]  # candidates by mean transit over the path, then code
    carriers: dict[int, tuple[CarrierOption, ...]]  # final-leg origin -> carriers, own first
    class_carrier: dict[int, int]  # service class code -> the carrier it asks for
    lost_sales: bool  # unmet demand is lost, not backordered
    patience: float | None  # hours before an unshipped order is cancelled
    courier_capacity: Callable[[dt.date], float] | None  # parcels a day; None: unlimited


@dataclass(frozen=True, slots=True)
class WarehouseNode:
    """A warehouse's place in the network, its stocking policies and its crews."""

    index: int
    name: str
    spec: schema.Warehouse
    policies: tuple[StockingPolicy, ...]  # per SKU code
    upstream: int | None  # the warehouse that replenishes it, if any
    suppliers: tuple[int, ...]  # supplier codes it buys from (none with an upstream)
    sourcing: SourcingPolicy
    downstream: tuple[int, ...]  # warehouses it replenishes
    siblings: tuple[int, ...]  # asked for transshipments, in preference order
    watchers: tuple[tuple[int, ...], ...]  # per SKU: upstream warehouses watching its echelon
    lead_time: tuple[float, float]  # mean and variance of its replenishment lead time, hours
    staffing: dict[str, Staffing]  # role (pickers, packers, receivers) -> headcount, if staffed
    pick_time: Sampler | None  # whole-order pick time (pick_time pickers)
    pick_travel: Sampler | None  # a tour's walk (travel + per_line pickers)
    pick_line: Sampler | None  # one line's handling
    pack_time: Sampler | None


@dataclass(frozen=True, slots=True)
class Returns:
    """Customer returns: how many units of a line come back, when, and in what state."""

    rate: np.ndarray  # per SKU code
    units: np.random.Generator  # units to return, drawn per line at order creation
    restock: Sampler  # uniform draws: a unit is restocked below the restock share
    delay: Sampler  # delivery to the return's arrival, before inspection
    inspection: float
    restock_share: float


@dataclass(frozen=True, slots=True)
class StockLossSpec:
    """A disruption destroying a share of the free stock of some warehouses, at an instant."""

    disruption: int  # disruption code
    warehouses: tuple[int, ...]
    at: float  # clock hours
    share: float


@dataclass(frozen=True, slots=True)
class Network:
    """Everything a run needs from its scenario, computed once (see the module docstring)."""

    # The scenario as the run saw it (random disruptions dated), for the tables and KPIs;
    # the actors read only the fields below.
    scenario: Scenario
    horizon: float
    start: dt.date
    sku_names: tuple[str, ...]
    region_names: tuple[str, ...]
    warehouse_names: tuple[str, ...]
    supplier_names: tuple[str, ...]
    hub_names: tuple[str, ...]
    node_names: tuple[str, ...]
    origin_names: tuple[str, ...]
    place_names: tuple[str, ...]
    carrier_names: tuple[str, ...]
    disruption_names: tuple[str, ...]
    abc_classes: tuple[str | None, ...]  # per SKU code
    mean_lines_per_order: float
    warehouses: tuple[WarehouseNode, ...]
    suppliers: tuple[SupplierNode, ...]
    unit_prices: tuple[tuple[float, ...], ...]  # [supplier][sku]
    regions: tuple[RegionNode, ...]
    lanes: dict[LaneKey, Lane]  # in declared order, each lane's other carriers after it
    hub_handling: tuple[Sampler, ...]
    prepacked: tuple[bool, ...]  # per calendar event: pre-sale parcels packed ahead
    presale_transit: tuple[Sampler | None, ...]  # per event: pre-positioned parcels' transit
    service: ServiceClasses
    routing: RoutingPolicy
    carrier_choice: CarrierPolicy
    returns: Returns | None  # None: nothing comes back
    demands: tuple[RegionDemand, ...]  # per region code
    advance_demand: AdvanceDemand  # pre-sale units known from their deposits
    forecast: Forecast
    event_windows: dict[str, tuple[float, float]]  # calendar event -> [start, end) clock hours
    stock_losses: tuple[StockLossSpec, ...]  # disruptions destroying stock within the run

    def __str__(self) -> str:
        lanes = sum(1 for lane in self.lanes.values() if ":" not in lane.key[1])
        return "\n".join(
            [
                f"network of {self.scenario.name}: {self.horizon / 24:g} days from {self.start}",
                f"  {len(self.sku_names)} SKUs, {len(self.suppliers)} suppliers, "
                f"{len(self.warehouses)} warehouses, {len(self.hub_names)} hubs, "
                f"{len(self.regions)} regions, {lanes} lanes, "
                f"{len(self.carrier_names)} carriers",
                *(_describe_warehouse(self, w) for w in self.warehouses),
                *(_describe_region(self, r) for r in self.regions),
            ]
        )


def _describe_warehouse(net: Network, w: WarehouseNode) -> str:
    source = (
        net.warehouse_names[w.upstream]
        if w.upstream is not None
        else ", ".join(net.supplier_names[s] for s in w.suppliers)
    )
    crews = ", ".join(f"{role} {max(counts)}" for role, (_, counts) in w.staffing.items())
    return f"  warehouse {w.name} <- {source}" + (f" ({crews})" if crews else "")


def _describe_region(net: Network, r: RegionNode) -> str:
    paths = ", ".join(
        f"{net.warehouse_names[w]} {r.paths[w].transit:.1f} h" for w in r.nearest_first
    )
    return f"  region {r.name} <- {paths}"


def build(scenario: Scenario, streams: Streams) -> Network:
    """The run's Network: random disruptions dated from their own streams (the run sees only
    dated ones), every index space, node, lane and path, and the run's random sources."""
    sc = disruptions.resolve(scenario, streams)
    names = _Names(sc)
    lanes = _lanes(sc, streams, names)
    warehouses = _warehouses(sc, streams, names)
    suppliers = tuple(supplier_node(i, n, sc, streams) for i, n in enumerate(sc.suppliers))
    service = ServiceClasses(sc, streams)
    regions = _regions(sc, names, service)
    events = list(sc.events.values())
    clock = functools.partial(date_to_clock, sc.calendar.start)
    demands = tuple(
        RegionDemand(sc, name, streams.rng(f"demand/{name}"), streams.rng(f"presale/{name}"))
        for name in names.regions
    )
    return Network(
        scenario=sc,
        horizon=sc.calendar.horizon,
        start=sc.calendar.start,
        sku_names=names.skus,
        region_names=names.regions,
        warehouse_names=names.warehouses,
        supplier_names=names.suppliers,
        hub_names=names.hubs,
        node_names=names.suppliers + names.warehouses,
        origin_names=names.origins,
        place_names=names.warehouses + names.regions + names.hubs,
        carrier_names=names.carriers,
        disruption_names=tuple(sc.disruptions),
        abc_classes=tuple(s.abc_class for s in sc.skus.values()),
        mean_lines_per_order=mean_lines(sc),
        warehouses=warehouses,
        suppliers=suppliers,
        unit_prices=tuple(
            tuple(sc.unit_price(sup, sku) for sku in names.skus) for sup in names.suppliers
        ),
        regions=regions,
        lanes=lanes,
        hub_handling=tuple(
            streams.sampler(f"handling/{name}", hub.handling_time) for name, hub in sc.hubs.items()
        ),
        prepacked=tuple(bool(ev.presale and ev.presale.prepositioned) for ev in events),
        presale_transit=tuple(
            _presale_transit(name, ev, streams) for name, ev in sc.events.items()
        ),
        service=service,
        routing=sc.routing,
        carrier_choice=sc.carrier_choice,
        returns=_returns(sc, streams),
        demands=demands,
        advance_demand=AdvanceDemand(
            len(names.skus),
            [(r, part) for r, d in enumerate(demands) for part in d.presale_orders()],
        ),
        forecast=Forecast(sc, streams, lookahead(warehouses)),
        event_windows={
            name: (clock(ev.start), clock(ev.last) + HOURS_PER_DAY)
            for name, ev in sc.events.items()
        },
        stock_losses=_stock_losses(sc, names),
    )


class _Names:
    """The index spaces of a scenario (see the module docstring)."""

    def __init__(self, sc: Scenario):
        self.skus = tuple(sc.skus)
        self.regions = tuple(sc.regions)
        self.warehouses = tuple(sc.warehouses)
        self.suppliers = tuple(sc.suppliers)
        self.hubs = tuple(sc.hubs)
        self.origins = self.warehouses + self.hubs
        self.origin_index = {name: i for i, name in enumerate(self.origins)}
        others = {c for ds in sc.lanes.values() for ln in ds.values() for c in ln.carriers}
        self.carriers = (DEFAULT, *sorted(others))


def _lanes(sc: Scenario, streams: Streams, names: _Names) -> dict[LaneKey, Lane]:
    """Every lane and, after it, its other carriers (sharing its disruptions)."""
    out: dict[LaneKey, Lane] = {}
    for origin, dests in sc.lanes.items():
        w = names.origin_index[origin]
        for dest, spec in dests.items():
            hits = sc.lane_disruptions(origin, dest)
            gate = LaneGate(hits, sc.calendar.start) if hits else None
            services = [(dest, f"{origin}/{dest}", spec)] + [
                (f"{dest}:{c}", f"{origin}/{dest}/{c}", carrier)
                for c, carrier in spec.carriers.items()
            ]
            for key_dest, stream, service in services:
                out[(w, key_dest)] = Lane(
                    (w, key_dest),
                    streams.sampler(f"transit/{stream}", service.transit_time),
                    service.cost_per_unit,
                    service.cost_per_parcel,
                    gate,
                    service.departures,
                )
    return out


def _warehouses(sc: Scenario, streams: Streams, names: _Names) -> tuple[WarehouseNode, ...]:
    """Warehouses with their sources, neighbours, lead times and crews."""
    index = {name: i for i, name in enumerate(names.warehouses)}
    supplier_index = {name: i for i, name in enumerate(names.suppliers)}
    upstream: list[int | None] = [index.get(sc.sources(w)[0]) for w in names.warehouses]
    out = []
    for w, name in enumerate(names.warehouses):
        spec = sc.warehouses[name]
        policies = tuple(sc.policy_for(name, s) for s in names.skus)
        up = upstream[w]
        sources = () if up is not None else tuple(supplier_index[x] for x in sc.sources(name))
        out.append(
            WarehouseNode(
                index=w,
                name=name,
                spec=spec,
                policies=policies,
                upstream=up,
                suppliers=sources,
                sourcing=spec.sourcing,
                downstream=tuple(d for d, u in enumerate(upstream) if u == w),
                siblings=tuple(index[x] for x in spec.transship_from),
                watchers=tuple(
                    _watchers(sc, names, upstream, w, s) for s in range(len(names.skus))
                ),
                lead_time=_lead_time(sc, name, up, names),
                staffing={
                    role: sc.crew_headcount(name, role)
                    for role in ("pickers", "packers", "receivers")
                    if getattr(spec, role) is not None
                },
                **_crew_samplers(spec, name, streams),
            )
        )
    return tuple(out)


def _watchers(
    sc: Scenario, names: _Names, upstream: list[int | None], w: int, sku: int
) -> tuple[int, ...]:
    """The upstream warehouses, nearest first, whose echelon position for `sku` includes
    warehouse `w`'s."""
    out = []
    up = upstream[w]
    while up is not None:
        if sc.policy_for(names.warehouses[up], names.skus[sku]).position == "echelon":
            out.append(up)
        up = upstream[up]
    return tuple(out)


def _lead_time(sc: Scenario, name: str, up: int | None, names: _Names) -> tuple[float, float]:
    """Mean and variance of a warehouse's replenishment lead time: the lane from its upstream
    warehouse, or its primary supplier's lead time plus expected lateness."""
    if up is not None:
        dist = sc.lanes[names.warehouses[up]][name].transit_time
        return dist.mean_value(), dist.variance_value()
    sup = sc.suppliers[sc.sources(name)[0]]
    mean, var = sup.lead_time.mean_value(), sup.lead_time.variance_value()
    rel = sup.reliability
    if rel is not None:  # a mixture: on time, or late by `delay`
        p, d = rel.late_share, rel.delay
        mean += p * d.mean_value()
        var += p * d.variance_value() + p * (1 - p) * d.mean_value() ** 2
    return mean, var


def _crew_samplers(
    spec: schema.Warehouse, name: str, streams: Streams
) -> dict[str, Sampler | None]:
    """The random work times of a warehouse's pickers and packers."""
    pickers, packers = spec.pickers, spec.packers
    out: dict[str, Sampler | None] = dict.fromkeys(
        ("pick_time", "pick_travel", "pick_line", "pack_time")
    )
    if pickers is not None and pickers.pick_time is not None:
        out["pick_time"] = streams.sampler(f"pick_time/{name}", pickers.pick_time)
    elif pickers is not None:
        assert pickers.travel is not None and pickers.per_line is not None
        out["pick_travel"] = streams.sampler(f"pick_travel/{name}", pickers.travel)
        out["pick_line"] = streams.sampler(f"pick_line/{name}", pickers.per_line)
    if packers is not None:
        out["pack_time"] = streams.sampler(f"pack_time/{name}", packers.pack_time)
    return out


def lookahead(warehouses: tuple[WarehouseNode, ...]) -> float:
    """How far past the horizon plans look: the longest protection interval of a planned
    policy, plus the time until its next recomputation."""
    longest = 0.0
    for wh in warehouses:
        for policy in wh.policies:
            if isinstance(policy, PlannedPolicy):
                span = wh.lead_time[0] + (policy.review_period or 0.0)
                longest = max(longest, span + policy.recompute_every)
    return longest


def _regions(sc: Scenario, names: _Names, service: ServiceClasses) -> tuple[RegionNode, ...]:
    """Each region's candidate warehouses with their paths and final-leg carriers."""
    best = {w: best_paths(sc, w) for w in names.warehouses}
    w_index = {name: i for i, name in enumerate(names.warehouses)}
    out = []
    for r, (name, region) in enumerate(sc.regions.items()):
        paths = {w_index[w]: _path(sc, best[w][name], names) for w in region.served_by}
        nearest = tuple(sorted(paths, key=lambda w, ps=paths: (ps[w].transit, w)))  # type: ignore[misc]
        carriers = {}
        for w in nearest:
            o = paths[w].legs[-1][0]
            carriers[o] = _carrier_options(sc, names, o, name)
        out.append(
            RegionNode(
                index=r,
                name=name,
                spec=region,
                paths=paths,
                nearest_first=nearest,
                carriers=carriers,
                class_carrier={
                    service.names.index(c): names.carriers.index(k.carrier)
                    for c, k in region.service_classes.items()
                    if k.carrier is not None
                },
                lost_sales=region.unmet_demand == "lost_sales",
                patience=region.demand.patience,
                courier_capacity=functools.partial(sc.courier_capacity, name)
                if region.last_mile
                else None,
            )
        )
    return tuple(out)


def _carrier_options(
    sc: Scenario, names: _Names, origin: int, region: str
) -> tuple[CarrierOption, ...]:
    """The carriers of the lane from `origin` into `region`: the lane's own first."""
    lane = sc.lanes[names.origins[origin]][region]
    own = CarrierOption(0, (origin, region), lane.transit_time.mean_value(), False)
    others = (
        CarrierOption(
            names.carriers.index(c),
            (origin, f"{region}:{c}"),
            spec.transit_time.mean_value(),
            spec.own_couriers,
        )
        for c, spec in lane.carriers.items()
    )
    return (own, *others)


def _path(sc: Scenario, nodes: list[str], names: _Names) -> Path:
    """A path from its node names; sums in leg order (a direct lane's are its own)."""
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
        tuple((names.origin_index[a], b) for a, b in itertools.pairwise(nodes)),
        tuple(names.hubs.index(h) for h in nodes[1:-1]),
        transit,
        cost,
        before,
    )


def _stock_losses(sc: Scenario, names: _Names) -> tuple[StockLossSpec, ...]:
    """Disruptions that destroy stock at warehouses, at their first instant (a start before
    the run destroys nothing: the initial stock is what was left)."""
    out = []
    for i, d in enumerate(sc.disruptions.values()):
        hit = tuple(names.warehouses.index(n) for n in d.nodes if n in names.warehouses)
        at = date_to_clock(sc.calendar.start, d.window[0])
        if d.stock_lost > 0 and hit and 0 <= at < sc.calendar.horizon:
            out.append(StockLossSpec(i, hit, at, d.stock_lost))
    return tuple(out)


def _presale_transit(name: str, event: schema.Event, streams: Streams) -> Sampler | None:
    """Pre-positioned pre-sale parcels' own transit, if the event declares one."""
    presale = event.presale
    if presale is None or not presale.prepositioned or not presale.transit:
        return None
    return streams.sampler(f"transit/presale/{name}", presale.transit)


def _returns(sc: Scenario, streams: Streams) -> Returns | None:
    rate = np.array([sc.return_rate(s) for s in sc.skus])
    spec = sc.returns
    if spec is None or not rate.any():
        return None
    return Returns(
        rate=rate,
        units=streams.rng("returns/units"),
        restock=streams.sampler("returns/restock", UNIT_UNIFORM),
        delay=streams.sampler("returns/delay", spec.delay),
        inspection=spec.inspection,
        restock_share=spec.restock_share,
    )
