"""The scenario file format (schema_version 1), as frozen pydantic models.

Field types do the checking: durations carry units, distributions are tagged mappings, ids are
mapping keys, unknown keys are errors. Cross-references between blocks are checked in
`references.py`, where the file position of each id is known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from simchain.policies import carriers, routing, sourcing, stocking
from simchain.policies.carriers import ByService, CarrierPolicy
from simchain.policies.routing import NearestWithStock, RoutingPolicy
from simchain.policies.sourcing import Single, SourcingPolicy
from simchain.policies.stocking import MAX_UNITS, StockingPolicy
from simchain.scenario.distributions import CountDist, DurationDist
from simchain.timebase import Duration

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Id = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")]

if TYPE_CHECKING:
    StockingSpec = StockingPolicy
    RoutingSpec = RoutingPolicy
    SourcingSpec = SourcingPolicy
    CarrierSpec = CarrierPolicy
else:
    StockingSpec = Annotated[
        Union[tuple(stocking.kinds.values())],  # noqa: UP007 - built from the registry
        Field(discriminator="kind"),
    ]
    RoutingSpec = Annotated[
        Union[tuple(routing.kinds.values())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
    SourcingSpec = Annotated[
        Union[tuple(sourcing.kinds.values())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
    CarrierSpec = Annotated[
        Union[tuple(carriers.kinds.values())],  # noqa: UP007
        Field(discriminator="kind"),
    ]


def _date(raw: Any) -> Any:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an ISO date such as 2026-11-11, found {raw!r}")


Date = Annotated[dt.date, BeforeValidator(_date), PlainSerializer(str, return_type=str)]
TimeOfDay = Annotated[Duration, Field(ge=0, lt=24)]


class Block(BaseModel):
    # strict: a YAML `yes` is not a count of 1, nor is 1762819200 a date.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Calendar(Block):
    """When the run starts (a date: Nov 11 is a date, not a number) and how long it lasts."""

    start: Date
    horizon: Duration = Field(gt=0)
    warm_up: Duration = 0.0


class Sku(Block):
    unit_cost: PositiveFloat
    price: PositiveFloat
    popularity: PositiveFloat | None = Field(
        None, description="relative share of order lines (default 1, or from sku_popularity)"
    )
    abc_class: str | None = Field(None, description="class label, e.g. A, B or C")
    category: Id | None = Field(None, description="a key of `categories` (returns behaviour)")
    holding_cost_per_day: NonNegFloat | None = Field(
        None, description="per unit and day; default unit_cost x costs.holding_rate_per_year/365"
    )


class Reliability(Block):
    """How often, and by how much, deliveries miss the date the supplier confirmed."""

    late_share: float = Field(ge=0, le=1, description="share of orders delivered late")
    delay: DurationDist = Field(description="how late a late order is")


class Outage(Block):
    """Days the supplier ships nothing (e.g. Golden Week); orders wait for it to reopen."""

    start: Date
    end: Date = Field(description="last day of the outage (inclusive)")


class RandomOutages(Block):
    """Unplanned outages (of a supplier, or disruptions): up-times and outage durations drawn
    from distributions, as an alternating renewal process from the start of the run."""

    every: DurationDist = Field(description="time from the end of one outage to the next")
    duration: DurationDist


class Supplier(Block):
    lead_time: DurationDist = Field(
        description="from dispatch to arrival; the supplier confirms dispatch + lead time"
    )
    capacity_per_day: PositiveFloat | None = Field(
        None, description="units it can ship per day (FIFO); none means unlimited"
    )
    reliability: Reliability | None = Field(None, description="none: always on time")
    defect_share: float = Field(
        0.0, ge=0, lt=1, description="share of units found defective and rejected on receipt"
    )
    min_order_quantity: int = Field(
        1, ge=1, le=MAX_UNITS, description="smaller orders are raised to this quantity"
    )
    price_factor: PositiveFloat = Field(
        1.0, description="unit price = the SKU's unit_cost x this, unless listed in unit_prices"
    )
    unit_prices: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="price per unit of some SKUs"
    )
    outages: list[Outage] = Field(default_factory=list)
    random_outages: RandomOutages | None = None


class Shift(Block):
    """A daily shift: `count` people from `start` (time of day) for `length`."""

    start: Duration = Field(ge=0, lt=24, description="time of day, e.g. 8h")
    length: Duration = Field(gt=0, le=24)
    count: int = Field(ge=0, le=100_000)


class StaffingPeriod(Block):
    """Dates with other shifts or extra (temporary) staff, e.g. the Double-11 fortnight."""

    start: Date
    end: Date = Field(description="last day (inclusive)")
    shifts: list[Shift] | None = Field(None, description="default: the usual shifts")
    factor: NonNegFloat = Field(1.0, description="headcount multiplier (temps), rounded")


class Crew(Block):
    """People on duty at a warehouse station: a round-the-clock count, or daily shifts with
    date ranges that differ (the peak's temps and long shifts)."""

    count: int | None = Field(
        None, gt=0, le=100_000, description="round-the-clock headcount (or give shifts)"
    )
    shifts: list[Shift] | None = Field(None, min_length=1, description="the usual day's shifts")
    periods: list[StaffingPeriod] = Field(
        default_factory=list, description="date ranges that differ; a later entry wins"
    )
    cost_per_hour: NonNegFloat = Field(0.0, description="labour cost of one person on duty")

    @model_validator(mode="after")
    def _count_or_shifts(self) -> Self:
        if (self.count is None) == (self.shifts is None):
            raise ValueError("give either count (round the clock) or shifts")
        return self

    def headcount(
        self,
        start: dt.date,
        hours: float,
        day_factor: Callable[[dt.date], float] | None = None,
    ) -> tuple[list[float], list[int]]:
        """People on duty as a step function over [0, hours): change times (clock hours,
        the first 0) and the headcount from each. Shifts belong to the day they start on;
        `day_factor` scales a day's headcount further (disruptions)."""
        days = math.ceil(hours / 24) + 1
        deltas: dict[float, int] = {}
        for d in range(-1, days):
            shifts, factor = self.shifts, 1.0
            day = start + dt.timedelta(days=d)
            for p in self.periods:
                if p.start <= day <= p.end:
                    shifts = p.shifts if p.shifts is not None else shifts
                    factor = p.factor
            if day_factor is not None:
                factor *= day_factor(day)
            spans = (
                [(0.0, 24.0, self.count or 0)]
                if shifts is None
                else [(sh.start, sh.length, sh.count) for sh in shifts]
            )
            for begin, length, count in spans:
                n = round(count * factor)
                if n:
                    deltas[d * 24 + begin] = deltas.get(d * 24 + begin, 0) + n
                    end = d * 24 + begin + length
                    deltas[end] = deltas.get(end, 0) - n
        times, counts, level = [0.0], [0], 0
        for t in sorted(deltas):
            level += deltas[t]
            if t <= 0:
                counts[0] = level
            elif t < hours and level != counts[-1]:
                times.append(t)
                counts.append(level)
        return times, counts


Role = Literal["pickers", "packers", "receivers"]
ROLES: tuple[Role, ...] = ("pickers", "packers", "receivers")


class Pickers(Crew):
    """Pickers and how they pick. A pick takes either `pick_time` per order, or `travel` per
    tour plus `per_line` handling for each line picked; the method decides what a tour is."""

    pick_time: DurationDist | None = Field(
        None, description="time for one picker to pick one order (or give travel and per_line)"
    )
    travel: DurationDist | None = Field(None, description="walking time of one tour")
    per_line: DurationDist | None = Field(None, description="handling time of one order line")
    method: Literal["discrete", "batch", "zone", "wave", "goods_to_person"] = Field(
        "discrete", description="one order per tour, batches, zones, waves, goods-to-person"
    )
    orders_per_tour: int = Field(
        1, ge=1, le=1000, description="batch and wave: up to this many waiting orders a tour"
    )
    zones: int = Field(1, ge=1, le=100, description="zone: the floor split among pickers")
    waves: list[TimeOfDay] | None = Field(
        None, min_length=1, description="wave: times of day orders are released to picking"
    )
    speedup: PositiveFloat = Field(
        1.0, description="goods_to_person: how many times faster than walking to the shelf"
    )
    slotting: dict[str, Annotated[float, Field(ge=0, lt=1)]] = Field(
        default_factory=dict,
        description="ABC class -> share of travel cut when a tour's lines are all that fast",
    )

    @model_validator(mode="after")
    def _pick_model(self) -> Pickers:
        timed = self.travel is not None and self.per_line is not None
        if (self.pick_time is None) == (not timed) or (
            self.pick_time is not None and (self.travel or self.per_line)
        ):
            raise ValueError("give either pick_time, or travel and per_line")
        m = self.method
        only = {
            "orders_per_tour": (self.orders_per_tour != 1, ("batch", "wave")),
            "zones": (self.zones != 1, ("zone",)),
            "waves": (self.waves is not None, ("wave",)),
            "speedup": (self.speedup != 1.0, ("goods_to_person",)),
        }
        for name, (given, methods) in only.items():
            if given and m not in methods:
                raise ValueError(f"{name} applies to method {' or '.join(methods)}, not {m}")
        if m == "wave" and self.waves is None:
            raise ValueError("method wave needs waves (release times of day)")
        if m == "zone" and self.zones < 2:
            raise ValueError("method zone needs zones >= 2")
        needs_travel = m in ("batch", "zone") or self.slotting
        if needs_travel and not timed:
            raise ValueError(f"{'slotting' if self.slotting else m} needs travel and per_line")
        return self


class Packers(Crew):
    """Packers: each packs one picked order at a time."""

    pack_time: DurationDist = Field(description="time for one packer to pack one order")


class Receivers(Crew):
    """Receivers: inbound goods are put away, in arrival order, at this rate per person
    before they can be sold or shipped on."""

    units_per_hour: PositiveFloat = Field(description="units one receiver puts away an hour")


class Stocking(Block):
    """Policy per SKU: the SKU's own entry, else its ABC class's, else the default."""

    default: StockingSpec | None = None
    classes: dict[str, StockingSpec] = Field(default_factory=dict)
    skus: dict[str, StockingSpec] = Field(default_factory=dict)


class Warehouse(Block):
    replenished_from: Id | Annotated[list[Id], Field(min_length=1)] = Field(
        description="a supplier id or an upstream warehouse id; or several supplier ids"
    )
    sourcing: SourcingSpec = Field(
        default_factory=Single, description="how orders are shared among several suppliers"
    )
    initial_stock: Literal["target"] | dict[str, Annotated[int, Field(ge=0, le=MAX_UNITS)]] = Field(
        "target", description="'target' starts each SKU at its policy's order-up-to level"
    )
    pickers: Pickers | None = Field(None, description="none means picking takes no time")
    packers: Packers | None = Field(None, description="none means packing takes no time")
    receivers: Receivers | None = Field(None, description="none means put-away takes no time")
    storage_capacity: int | None = Field(
        None, gt=0, le=MAX_UNITS, description="units the warehouse can hold; none: no limit"
    )
    priority: Literal["fifo", "earliest_promise", "premium_first"] = Field(
        "fifo", description="which waiting order pickers and packers take next"
    )
    stocking: Stocking
    transship_from: list[Id] = Field(
        default_factory=list,
        description="sibling warehouses asked, in this order, for units a customer line is "
        "short (each needs a lane from it to here); a sibling gives only stock on hand above "
        "its reorder point",
    )


def _shape(n: int | None) -> Any:
    def check(values: list[float]) -> list[float]:
        if n is not None and len(values) != n:
            raise ValueError(f"expected {n} values, found {len(values)}")
        if sum(values) <= 0:
            raise ValueError("the values must have a positive sum")
        return values

    return check


Shape7 = Annotated[list[NonNegFloat], AfterValidator(_shape(7))]
Shape24 = Annotated[list[NonNegFloat], AfterValidator(_shape(24))]
ShapeAny = Annotated[list[NonNegFloat], Field(min_length=1), AfterValidator(_shape(None))]


class Demand(Block):
    """Orders per day on an ordinary day, shaped by weekday, hour and calendar events."""

    orders_per_day: NonNegFloat = Field(description="average of an ordinary week")
    weekday_shape: Shape7 | None = Field(
        None, description="Mon..Sun relative volumes (scaled to average 1)"
    )
    hourly_shape: Shape24 | None = Field(
        None, description="relative volume of each hour 0..23 (default flat)"
    )
    lines_per_order: CountDist = Field(default=1, validate_default=True)
    units_per_line: CountDist = Field(default=1, validate_default=True)
    sku_weights: dict[str, PositiveFloat] | None = Field(
        None, min_length=1, description="relative line shares; default each SKU's popularity"
    )
    patience: Duration | None = Field(
        None, gt=0, description="an order not picked this long after creation is cancelled"
    )


class CourierPeriod(Block):
    """Dates with another courier headcount or productivity: the peak, temps, a disruption."""

    start: Date
    end: Date = Field(description="last day (inclusive)")
    couriers: int | None = Field(None, ge=0, le=10**7, description="default: the usual")
    parcels_per_day: NonNegFloat | None = Field(None, description="per courier; default: usual")


class LastMile(Block):
    """The region's couriers: at most couriers x parcels_per_day deliveries a day."""

    couriers: int = Field(gt=0, le=10**7)
    parcels_per_day: PositiveFloat = Field(description="parcels one courier delivers a day")
    periods: list[CourierPeriod] = Field(
        default_factory=list, description="date ranges that differ; a later entry wins"
    )

    def capacity_on(self, day: dt.date) -> float:
        """Parcels the region's couriers can deliver on a calendar day."""
        couriers, rate = self.couriers, self.parcels_per_day
        for p in self.periods:
            if p.start <= day <= p.end:
                couriers = p.couriers if p.couriers is not None else couriers
                rate = p.parcels_per_day if p.parcels_per_day is not None else rate
        return couriers * rate


STANDARD = "standard"  # the service class of orders in no declared class


class ServiceClass(Block):
    """A delivery promise some customers pay for, e.g. premium next-day."""

    share: float = Field(gt=0, le=1, description="share of the region's orders")
    promised_within: Duration = Field(gt=0)
    carrier: Id | None = Field(
        None, description="the lane carrier these orders ship with (carrier_choice by_service)"
    )


class Region(Block):
    served_by: list[Id] = Field(min_length=1)
    demand: Demand
    promised_within: Duration = Field(72.0, gt=0, description="the standard class's promise")
    service_classes: dict[Id, ServiceClass] = Field(
        default_factory=dict, description="classes besides standard, which takes the rest"
    )
    unmet_demand: Literal["backorder", "lost_sales"] = "backorder"
    last_mile: LastMile | None = Field(None, description="none: unlimited delivery capacity")

    @model_validator(mode="after")
    def _classes(self) -> Region:
        if STANDARD in self.service_classes:
            raise ValueError(f"'{STANDARD}' is the class of the other orders; use another name")
        if sum(c.share for c in self.service_classes.values()) > 1 + 1e-9:
            raise ValueError("service class shares add up to more than 1")
        return self

    def promises(self) -> list[tuple[str, float, float]]:
        """(class, share, promised within) for standard, then the declared classes."""
        rest = 1.0 - sum(c.share for c in self.service_classes.values())
        return [(STANDARD, max(rest, 0.0), self.promised_within)] + [
            (name, c.share, c.promised_within) for name, c in self.service_classes.items()
        ]


class Presale(Block):
    """Deposits: part of an event's orders is known in advance, and may be pre-positioned."""

    share: float = Field(ge=0, le=1, description="share of the event's orders paid by deposit")
    deposits_open: Date = Field(description="deposits (advance demand) start on this date")
    prepositioned: bool = Field(
        False, description="pre-packed near the customer: no picking, `transit` to deliver"
    )
    transit: DurationDist | None = Field(
        None, description="delivery time of pre-positioned parcels (default: the lane's)"
    )


class Event(Block):
    """A dated demand event: a multiplier on its days, optionally its own intraday profile.

    Overlapping events multiply their multipliers; the intraday profile is the one of the
    active event that starts last (the most specific)."""

    start: Date
    end: Date | None = Field(None, description="last day (inclusive); default: start")
    multiplier: NonNegFloat = 1.0
    hourly_shape: Shape24 | None = None
    first_hour_shape: ShapeAny | None = Field(
        None, description="split of hour 0 into equal parts, e.g. 60 minute weights"
    )
    regions: list[Id] | None = Field(None, description="default: every region")
    presale: Presale | None = None

    @property
    def last(self) -> dt.date:
        return self.end or self.start


class ForecastError(Block):
    cv: NonNegFloat = Field(0.0, description="spread of the forecast/truth ratio")
    bias: float = Field(0.0, gt=-1, description="mean ratio - 1 (e.g. -0.1 under-forecasts)")


class Forecast(Block):
    """What the planner believes: the true expected demand times a log-normal error."""

    period: Duration = Field(24.0, gt=0)
    normal: ForecastError = Field(default_factory=ForecastError)
    during_events: ForecastError | None = Field(
        None, description="error in periods touching an event with a multiplier != 1"
    )


class Category(Block):
    return_rate: float = Field(0.0, ge=0, le=1, description="share of delivered units returned")


class Returns(Block):
    """How returned units come back: request delay, transit back, inspection, restock share."""

    delay: DurationDist = Field(description="from delivery to the return reaching the warehouse")
    inspection: Duration = 0.0
    restock_share: float = Field(1.0, ge=0, le=1, description="the rest is scrapped")


class ScheduleChange(Block):
    """Dates with another departure schedule, e.g. more trucks in the peak."""

    start: Date
    end: Date = Field(description="last day (inclusive)")
    times: list[TimeOfDay] | None = Field(None, min_length=1, description="default: the usual")
    capacity: PositiveFloat | None = Field(None, description="default: the usual")


class Departures(Block):
    """Scheduled departures (trucks, carrier pick-ups): a shipment leaves on the first one at
    or after it is ready that has room; what does not fit waits for the next."""

    times: list[TimeOfDay] = Field(min_length=1, description="times of day, e.g. [10h, 22h]")
    capacity: PositiveFloat | None = Field(
        None, description="per departure, in the lane's units (parcels or units); none: no limit"
    )
    periods: list[ScheduleChange] = Field(default_factory=list)

    def on(self, day: dt.date) -> tuple[list[float], float]:
        """(sorted times of day, capacity per departure) on a calendar day."""
        times, cap = self.times, self.capacity
        for p in self.periods:
            if p.start <= day <= p.end:
                times = p.times if p.times is not None else times
                cap = p.capacity if p.capacity is not None else cap
        return sorted(times), (cap if cap is not None else math.inf)


class Carrier(Block):
    """Another carrier on a lane to a region, e.g. a premium express next to the economy
    carrier that is the lane's own."""

    transit_time: DurationDist = Field(description="from departure to arrival")
    cost_per_unit: NonNegFloat = 0.0
    cost_per_parcel: NonNegFloat = Field(0.0, description="per customer order carried")
    departures: Departures | None = Field(None, description="cut-offs; none: leaves when ready")
    own_couriers: bool = Field(
        False, description="delivers with its own couriers, outside the region's last_mile cap"
    )


class Hub(Block):
    """A sorting centre on the way to the regions: parcels pass through, no stock is kept."""

    handling_time: DurationDist = Field(
        default="0h", validate_default=True, description="from arrival to hand-over onward"
    )


class Lane(Block):
    transit_time: DurationDist = Field(description="from departure to arrival")
    cost_per_unit: NonNegFloat = 0.0
    cost_per_parcel: NonNegFloat = Field(
        0.0, description="lanes to regions: per customer order carried, on top of per unit"
    )
    departures: Departures | None = Field(
        None, description="none: a shipment leaves as soon as it is ready"
    )
    carriers: dict[Id, Carrier] = Field(
        default_factory=dict,
        description="lanes to regions: carriers besides the lane's own ('default')",
    )


PathChoice = Literal["fastest", "cheapest"]


class Costs(Block):
    holding_rate_per_year: NonNegFloat = Field(0.25, description="fraction of unit cost")
    ordering_cost: NonNegFloat = Field(0.0, description="fixed cost per replenishment order")
    backorder_cost_per_unit_day: NonNegFloat = 0.0
    lost_sale_cost_per_unit: NonNegFloat | None = Field(
        None, description="default: the lost margin, price - unit_cost"
    )


class Disruption(Block):
    """Something going wrong over dates at some warehouses and regions (`nodes`): the lanes
    into and out of them closed or slowed, their couriers and pickers cut, their demand
    shocked, stock destroyed; or at suppliers, their lead times stretched. Dated by `start`
    and `end`, or `random`: windows drawn when a run starts (each from the disruption's own
    stream), so every policy meets the same ones."""

    start: Date | None = Field(None, description="first day (or give `random`)")
    end: Date | None = Field(None, description="last day (inclusive)")
    random: RandomOutages | None = Field(
        None, description="instead of start and end: gaps and durations of random windows"
    )
    nodes: list[Id] = Field(
        min_length=1, description="warehouse, region and hub ids hit (suppliers: lead_time_factor)"
    )
    lanes_closed: bool = Field(
        False, description="lanes touching the nodes carry nothing: shipments wait it out"
    )
    transit_factor: PositiveFloat = Field(
        1.0, description="transit time multiplier for shipments leaving on those lanes"
    )
    courier_factor: NonNegFloat = Field(1.0, description="share of courier capacity left")
    picker_factor: NonNegFloat = Field(
        1.0, description="share of warehouse staff (pickers, packers, receivers) on duty left"
    )
    demand_factor: NonNegFloat = Field(
        1.0, description="orders of the regions hit x this (a shock the forecast does not see)"
    )
    stock_lost: float = Field(
        0.0, ge=0, le=1, description="share of on-hand stock destroyed at the start (warehouses)"
    )
    lead_time_factor: PositiveFloat = Field(
        1.0,
        description="lead time x this for purchase orders placed meanwhile with the suppliers "
        "hit (give their ids in nodes); planners keep planning on the usual lead time",
    )

    @model_validator(mode="after")
    def _dated_or_random(self) -> Disruption:
        if self.random is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either start and end, or random, not both")
        if self.random is None and (self.start is None or self.end is None):
            raise ValueError("give start and end (dates), or random")
        return self

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """First and last day. Random disruptions have none until a run dates them
        (simchain.disruptions.resolve); asking before is a bug, not bad input."""
        if self.start is None or self.end is None:
            raise RuntimeError("a random disruption must be resolved into dated windows first")
        return self.start, self.end

    def covers(self, day: dt.date) -> bool:
        first, last = self.window
        return first <= day <= last


class SkuPopularity(Block):
    """Popularity by law: Zipf over the SKUs in the order declared (rank 1 first), or shares
    per ABC class split evenly within each class."""

    law: Literal["zipf", "abc"]
    exponent: PositiveFloat = Field(1.0, description="zipf: share of rank k ~ 1/k^exponent")
    class_shares: dict[str, PositiveFloat] | None = Field(
        None, description="abc: share of lines per class, e.g. {A: 80, B: 15, C: 5}"
    )


class Scenario(Block):
    """A whole scenario file."""

    schema_version: Literal[1]
    name: Id
    description: str = ""
    calendar: Calendar
    skus: dict[Id, Sku] = Field(min_length=1)
    suppliers: dict[Id, Supplier] = Field(min_length=1)
    warehouses: dict[Id, Warehouse] = Field(min_length=1)
    regions: dict[Id, Region] = Field(min_length=1)
    hubs: dict[Id, Hub] = Field(
        default_factory=dict, description="sorting centres parcels may pass on their way"
    )
    lanes: dict[Id, dict[Id, Lane]] = Field(description="origin -> destination -> lane")
    path_choice: PathChoice = Field(
        "fastest",
        description="parcels' path from warehouse to region: least mean transit and "
        "handling, or least cost per unit; ties by fewer legs",
    )
    costs: Costs = Field(default_factory=Costs)
    routing: RoutingSpec = Field(default_factory=NearestWithStock)
    carrier_choice: CarrierSpec = Field(
        default_factory=ByService, description="which carrier of a lane takes a parcel"
    )
    events: dict[Id, Event] = Field(default_factory=dict)
    sku_popularity: SkuPopularity | None = Field(
        None, description="a popularity law over SKUs instead of per-SKU popularity"
    )
    forecast: Forecast = Field(default_factory=Forecast)
    categories: dict[Id, Category] = Field(default_factory=dict)
    returns: Returns | None = None
    disruptions: dict[Id, Disruption] = Field(default_factory=dict)

    def popularity(self) -> dict[str, float]:
        """Relative line share of each SKU, from the declared law or the SKUs' own values."""
        law = self.sku_popularity
        names = list(self.skus)
        if law is None:
            return {
                s: (v.popularity if v.popularity is not None else 1.0) for s, v in self.skus.items()
            }
        if law.law == "zipf":
            return {s: 1.0 / (rank + 1) ** law.exponent for rank, s in enumerate(names)}
        counts: dict[str, int] = {}
        for v in self.skus.values():
            if v.abc_class is not None:
                counts[v.abc_class] = counts.get(v.abc_class, 0) + 1
        shares = law.class_shares or {}
        return {
            s: shares.get(v.abc_class or "", 0.0) / counts[v.abc_class] if v.abc_class else 0.0
            for s, v in self.skus.items()
        }

    def return_rate(self, sku: str) -> float:
        cat = self.skus[sku].category
        return self.categories[cat].return_rate if cat is not None else 0.0

    def policy_for(self, warehouse: str, sku: str) -> StockingPolicy:
        """The stocking policy in force for one SKU at one warehouse (checked to exist)."""
        st = self.warehouses[warehouse].stocking
        if sku in st.skus:
            return st.skus[sku]
        cls = self.skus[sku].abc_class
        if cls is not None and cls in st.classes:
            return st.classes[cls]
        assert st.default is not None, "checked by references.check"
        return st.default

    def courier_capacity(self, region: str, day: dt.date) -> float:
        """Parcels a region's couriers can deliver on a day, disruptions included."""
        spec = self.regions[region].last_mile
        assert spec is not None
        cap = spec.capacity_on(day)
        for d in self.disruptions.values():
            if region in d.nodes and d.covers(day):
                cap *= d.courier_factor
        return cap

    def demand_factor(self, region: str, day: dt.date) -> float:
        """Demand shocks on a region's arrival rate on a day (overlapping ones multiply)."""
        return math.prod(
            d.demand_factor
            for d in self.disruptions.values()
            if region in d.nodes and d.demand_factor != 1 and d.covers(day)
        )

    def crew_headcount(
        self, warehouse: str, role: Role = "pickers"
    ) -> tuple[list[float], list[int]]:
        """People of a crew on duty at a warehouse over the run (see Crew.headcount),
        disruptions included: their `picker_factor` thins every crew of the warehouse."""
        crew: Crew | None = getattr(self.warehouses[warehouse], role)
        assert crew is not None
        hits = [d for d in self.disruptions.values() if warehouse in d.nodes]

        def factor(day: dt.date) -> float:
            return math.prod(d.picker_factor for d in hits if d.covers(day))

        return crew.headcount(self.calendar.start, self.calendar.horizon, factor)

    def lane_disruptions(self, origin: str, dest: str) -> list[Disruption]:
        """The disruptions touching a lane, in declared order."""
        return [d for d in self.disruptions.values() if origin in d.nodes or dest in d.nodes]

    def sources(self, warehouse: str) -> list[str]:
        """The supplier or upstream warehouse ids a warehouse orders from, in listed order."""
        src = self.warehouses[warehouse].replenished_from
        return [src] if isinstance(src, str) else list(src)

    def unit_price(self, supplier: str, sku: str) -> float:
        """What a supplier charges for one unit of a SKU."""
        spec = self.suppliers[supplier]
        if sku in spec.unit_prices:
            return spec.unit_prices[sku]
        return self.skus[sku].unit_cost * spec.price_factor

    def holding_cost_per_day(self, sku: str) -> float:
        s = self.skus[sku]
        if s.holding_cost_per_day is not None:
            return s.holding_cost_per_day
        return s.unit_cost * self.costs.holding_rate_per_year / 365.0

    def lost_sale_cost(self, sku: str) -> float:
        if self.costs.lost_sale_cost_per_unit is not None:
            return self.costs.lost_sale_cost_per_unit
        s = self.skus[sku]
        return max(s.price - s.unit_cost, 0.0)
