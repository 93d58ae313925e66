"""Property-based tests over generated one- and two-echelon scenarios and seeds.

Each example is a small scenario, built as the raw mapping a YAML file would hold and validated
like one: 1-4 SKUs, 1-3 suppliers (some with a daily capacity), 1-3 warehouses of which some are
replenished from another warehouse, 1-3 regions served by 1-2 warehouses each, base_stock / s_S /
r_Q policies (default, per ABC class, per SKU), optional pickers, backorder or lost-sales
regions, initial stock 'target' or explicit small numbers, 10-40 days, low demand; now and then
customer patience (cancellations), returns, weekday and hourly shapes, dated events with
pre-sales, a Zipf popularity law and a forecast error (also one during events). Suppliers now
and then are late, reject defective units, have a minimum order quantity, their own prices,
calendar outages near the start or random outages; a warehouse may buy from several suppliers
(primary_backup, split, cheapest, fastest); a stocking policy may be planned (forecast_driven,
peak_prebuild for one of the events) or a moving average of the demand a warehouse observed,
and may see the echelon inventory position. Now and
then disruptions (dated or random) destroy stock at a warehouse and shock a region's demand.

Properties, all read from the run's tables (never from simulator internals):

1. units are conserved per (warehouse, SKU), rejected and destroyed units included;
2. every order is in exactly one state, consistent with its stage times and its units (and
   with patience, pickers, pre-sales and returns);
3. stock is never negative, and the stocking policy is always respected (local or echelon
   position; planned and moving-average policies against the levels table); purchases
   respect their suppliers (listed, minimum order quantity, outages, confirmed dates,
   capacity) and the sourcing policy, and the supplier scorecard counts them;
4. the same scenario and seed give identical tables and KPIs;
5. a different policy leaves the demand unchanged (common random numbers);
6. the resolved scenario YAML loads back to the same scenario;
7. a scenario that validates also simulates.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import simchain
from simchain.errors import ScenarioError
from simchain.output import scenario_yaml
from simchain.policies.stocking import AdaptivePolicy, MovingAverage, PlannedPolicy
from simchain.scenario import load_text
from simchain.scenario.schema import Region, Scenario
from simchain.simulate import SimulationResult
from simchain.timebase import parse_duration
from tests import builders
from tests.builders import validated
from tests.frames import plain, start_of

STATES = {
    "delivered",
    "lost",
    "cancelled",
    "awaiting_stock",
    "awaiting_pick",
    "awaiting_pack",
    "in_transit",
}
STAGES = (
    "created",
    "allocated",
    "pick_start",
    "picked",
    "pack_start",
    "packed",
    "shipped",
    "delivered",
)
UNIT_HOURS = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
MS = pd.Timedelta(milliseconds=1)
HOUR = pd.Timedelta(hours=1)

pytestmark = pytest.mark.slow

SIM = settings(max_examples=30, deadline=None)
Data = dict[str, Any]


# --- strategies: raw scenario mappings ------------------------------------------------------


@st.composite
def durations(
    draw: st.DrawFn, lo_h: float, hi_h: float, units: tuple[str, ...] = ("min", "h", "d")
) -> str:
    """A duration with a unit and at most one decimal, such as '90min', '2.5h' or '1.1d'."""
    unit = draw(st.sampled_from(units))
    size = UNIT_HOURS[unit]
    lo = math.ceil(lo_h / size * 10 - 1e-9)
    hi = math.floor(hi_h / size * 10 + 1e-9)
    if lo > hi:  # the unit is too coarse for the range: fall back to hours
        unit, lo, hi = "h", math.ceil(lo_h * 10), math.floor(hi_h * 10)
    tenths = draw(st.integers(lo, hi))
    number = str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
    return f"{number}{unit}"


@st.composite
def duration_dists(draw: st.DrawFn, lo_h: float, hi_h: float) -> Any:
    """A duration distribution: a plain duration, or one of the tagged distributions."""
    kind = draw(
        st.sampled_from(
            [
                "constant",
                "exponential",
                "lognormal",
                "gamma",
                "normal",
                "uniform",
                "triangular",
                "empirical",
            ]
        )
    )
    positive = max(lo_h, 0.5)
    if kind == "constant":
        return draw(durations(lo_h, hi_h))
    if kind == "exponential":
        return {"dist": "exponential", "mean": draw(durations(positive, hi_h))}
    if kind in ("lognormal", "gamma"):
        cv = draw(st.floats(0.1, 1.0, allow_nan=False))
        return {"dist": kind, "mean": draw(durations(positive, hi_h)), "cv": cv}
    if kind == "normal":
        return {
            "dist": "normal",
            "mean": draw(durations(lo_h, hi_h)),
            "sd": draw(durations(0, hi_h / 3)),
        }
    if kind in ("uniform", "triangular"):
        n = 2 if kind == "uniform" else 3
        points = sorted(
            draw(st.lists(durations(lo_h, hi_h), min_size=n, max_size=n)), key=parse_duration
        )
        names = ("low", "high") if kind == "uniform" else ("low", "mode", "high")
        return {"dist": kind, **dict(zip(names, points, strict=True))}
    values = draw(st.lists(durations(lo_h, hi_h), min_size=1, max_size=3))
    out: Data = {"dist": "empirical", "values": values}
    if draw(st.booleans()):
        out["weights"] = draw(
            st.lists(st.integers(1, 10), min_size=len(values), max_size=len(values))
        )
    return out


@st.composite
def count_dists(draw: st.DrawFn, top: int) -> Any:
    """Whole numbers >= 1: a constant, an empirical table or a geometric count."""
    kind = draw(st.sampled_from(["constant", "empirical", "geometric"]))
    if kind == "constant":
        return draw(st.integers(1, top))
    if kind == "geometric":
        return {"dist": "geometric", "mean": draw(st.floats(1.0, 1.0 + top / 3))}
    values = draw(st.lists(st.integers(1, top), min_size=1, max_size=top, unique=True))
    out: Data = {"dist": "empirical", "values": values}
    if draw(st.booleans()):
        out["weights"] = draw(
            st.lists(st.integers(1, 20), min_size=len(values), max_size=len(values))
        )
    return out


base_stock = st.builds(lambda S: {"kind": "base_stock", "S": S}, st.integers(0, 30))
min_order_up_to = st.integers(-1, 20).flatmap(
    lambda s: st.integers(max(s + 1, 1), s + 30).map(lambda S: {"kind": "s_S", "s": s, "S": S})
)
reorder_point_quantity = st.builds(
    lambda r, Q: {"kind": "r_Q", "r": r, "Q": Q}, st.integers(-1, 20), st.integers(1, 20)
)
policies = st.one_of(base_stock, min_order_up_to, reorder_point_quantity)


@st.composite
def planned_policies(draw: st.DrawFn, skus: Data, events: Data) -> Data:
    """forecast_driven, or peak_prebuild for one of the events (when there are some)."""
    classes = sorted({v["abc_class"] for v in skus.values() if v.get("abc_class")})
    kind = draw(
        st.sampled_from(["forecast_driven", "peak_prebuild"] if events else ["forecast_driven"])
    )
    out: Data = {"kind": kind}
    if draw(st.booleans()):
        out["service_level"] = draw(st.floats(0.5, 0.99))
    if draw(st.booleans()) and classes:
        chosen = draw(st.lists(st.sampled_from(classes), min_size=1, unique=True))
        out["class_service_levels"] = {c: draw(st.floats(0.5, 0.99)) for c in chosen}
    if draw(st.booleans()):
        out["order_cycle"] = draw(durations(0, 7 * 24))
    if draw(st.booleans()):
        out["recompute_every"] = draw(durations(6, 7 * 24))
    if draw(st.integers(0, 3)) == 0:
        out["review_period"] = draw(durations(6, 3 * 24))
    if kind == "peak_prebuild":
        event = draw(st.sampled_from(sorted(events)))
        out["event"] = event
        out["build_by"] = events[event]["start"] - dt.timedelta(days=draw(st.integers(0, 10)))
    return out


@st.composite
def moving_averages(draw: st.DrawFn) -> Data:
    """moving_average: a short window, a start, whole-day reviews, z given one way or another."""
    out: Data = {
        "kind": "moving_average",
        "window": draw(st.integers(1, 7)),
        "initial_demand_per_day": draw(st.integers(0, 20) | st.floats(0, 20)),
    }
    if draw(st.booleans()):
        out["review_period"] = f"{draw(st.integers(1, 3))}d"
    if draw(st.booleans()):
        out["cover"] = draw(durations(1, 7 * 24))
    if out["window"] == 1 or draw(st.booleans()):
        out["safety_factor"] = 0 if out["window"] == 1 else draw(st.floats(0, 3))
    elif draw(st.booleans()):
        out["service_level"] = draw(st.floats(0.5, 0.99))
    return out


@st.composite
def stocking_policies(draw: st.DrawFn, skus: Data, events: Data) -> Data:
    """Mostly a fixed policy, now and then a planned one or a moving average; any may use
    the echelon position."""
    pick = draw(st.integers(0, 6))
    if pick == 0:
        policy = draw(planned_policies(skus, events))
    elif pick == 1:
        policy = draw(moving_averages())
    else:
        policy = dict(draw(policies))
    if draw(st.integers(0, 4)) == 0:
        policy["position"] = "echelon"
    return policy


@st.composite
def stockings(draw: st.DrawFn, skus: Data, events: Data) -> Data:
    """A stocking block: default and/or per-class and per-SKU policies covering every SKU."""
    classes = sorted({v["abc_class"] for v in skus.values() if v.get("abc_class")})
    policy = stocking_policies(skus, events)
    default = draw(st.none() | policy)
    by_class = {c: draw(policy) for c in classes if draw(st.booleans())}
    by_sku = {s: draw(policy) for s in skus if draw(st.booleans())}
    if default is None:
        for s, spec in skus.items():
            if s not in by_sku and spec.get("abc_class") not in by_class:
                by_sku[s] = draw(policy)
    out: Data = {}
    if default is not None:
        out["default"] = default
    if by_class:
        out["classes"] = by_class
    if by_sku:
        out["skus"] = by_sku
    return out


@st.composite
def initial_stocks(draw: st.DrawFn, skus: Data) -> Any:
    if draw(st.booleans()):
        return "target"
    chosen = draw(st.lists(st.sampled_from(sorted(skus)), unique=True))
    return {s: draw(st.integers(0, 20)) for s in chosen}


def shape(n: int) -> st.SearchStrategy[list[float]]:
    """n relative volumes, >= 0 with a positive sum."""
    return st.lists(st.floats(0, 5, allow_nan=False), min_size=n, max_size=n).map(
        lambda v: [v[0] + 0.5, *v[1:]]
    )


@st.composite
def events(draw: st.DrawFn, start: dt.date, regions: list[str]) -> Data:
    """1-2 dated demand events near the start of the run; the first may have a pre-sale."""
    out: Data = {}
    for i in range(draw(st.integers(1, 2))):
        first = start + dt.timedelta(days=draw(st.integers(-2, 12)))
        ev: Data = {"start": first}
        if draw(st.booleans()):
            ev["end"] = first + dt.timedelta(days=draw(st.integers(0, 3)))
        if draw(st.booleans()):
            ev["multiplier"] = draw(st.floats(0, 4, allow_nan=False))
        if draw(st.booleans()):
            ev["hourly_shape"] = draw(shape(24))
        if draw(st.booleans()):
            ev["first_hour_shape"] = draw(shape(draw(st.integers(1, 6))))
        if draw(st.integers(0, 3)) == 0:
            ev["regions"] = draw(st.lists(st.sampled_from(regions), min_size=1, unique=True))
        if i == 0 and draw(st.booleans()):
            presale: Data = {
                "share": draw(st.floats(0.05, 1, allow_nan=False)),
                "deposits_open": first - dt.timedelta(days=draw(st.integers(1, 10))),
            }
            if draw(st.booleans()):
                presale["prepositioned"] = True
                if draw(st.booleans()):
                    presale["transit"] = draw(duration_dists(0, 2 * 24))
            ev["presale"] = presale
        out[f"ev{i}"] = ev
    return out


@st.composite
def disruption_blocks(
    draw: st.DrawFn,
    start: dt.date,
    warehouses: list[str],
    regions: list[str],
    suppliers: list[str],
) -> Data:
    """1-2 disruptions that destroy stock at a warehouse, shock a region's demand and now and
    then stretch a supplier's lead times, dated near the start or random."""
    out: Data = {}
    for i in range(draw(st.integers(1, 2))):
        dis: Data = {"nodes": [draw(st.sampled_from(warehouses)), draw(st.sampled_from(regions))]}
        if draw(st.booleans()):
            first = start + dt.timedelta(days=draw(st.integers(-2, 12)))
            dis["start"] = first
            dis["end"] = first + dt.timedelta(days=draw(st.integers(0, 4)))
        else:
            dis["random"] = {
                "every": draw(duration_dists(24, 10 * 24)),
                "duration": draw(duration_dists(6, 4 * 24)),
            }
        if draw(st.booleans()):
            dis["stock_lost"] = draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
        if draw(st.booleans()):
            dis["demand_factor"] = draw(st.floats(0, 3, allow_nan=False))
        if draw(st.integers(0, 2)) == 0:
            dis["nodes"].append(draw(st.sampled_from(suppliers)))
            dis["lead_time_factor"] = draw(st.floats(0.2, 5).filter(lambda f: f != 1))
        out[f"dis{i}"] = dis
    return out


@st.composite
def supplier_blocks(draw: st.DrawFn, skus: Data, start: dt.date) -> Data:
    """1-3 suppliers; now and then a capacity, lateness, defects, a minimum order quantity,
    prices, calendar outages near the start and random outages."""
    out: Data = {}
    for i in range(draw(st.integers(1, 3))):
        sup: Data = {"lead_time": draw(duration_dists(0, 7 * 24))}
        if draw(st.booleans()):
            sup["capacity_per_day"] = draw(st.floats(1, 500, allow_nan=False))
        if draw(st.integers(0, 3)) == 0:
            sup["reliability"] = {
                "late_share": draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 1)),
                "delay": draw(duration_dists(0, 3 * 24)),
            }
        if draw(st.integers(0, 3)) == 0:
            sup["defect_share"] = draw(st.floats(0, 0.5))
        if draw(st.integers(0, 3)) == 0:
            sup["min_order_quantity"] = draw(st.integers(1, 15))
        if draw(st.integers(0, 3)) == 0:
            sup["price_factor"] = draw(st.floats(0.5, 2))
        if draw(st.integers(0, 3)) == 0:
            chosen = draw(st.lists(st.sampled_from(sorted(skus)), min_size=1, unique=True))
            sup["unit_prices"] = {s: draw(st.floats(0.5, 200)) for s in chosen}
        if draw(st.integers(0, 3)) == 0:
            sup["outages"] = []
            for _ in range(draw(st.integers(1, 2))):
                first = start + dt.timedelta(days=draw(st.integers(-3, 20)))
                last = first + dt.timedelta(days=draw(st.integers(0, 5)))
                sup["outages"].append({"start": first, "end": last})
        if draw(st.integers(0, 4)) == 0:
            sup["random_outages"] = {
                "every": draw(duration_dists(24, 10 * 24)),
                "duration": draw(duration_dists(1, 3 * 24)),
            }
        out[f"sup{i}"] = sup
    return out


@st.composite
def sourcing_kinds(draw: st.DrawFn, listed: list[str]) -> Data:
    """A sourcing policy over several listed suppliers."""
    kind = draw(st.sampled_from(["primary_backup", "split", "cheapest", "fastest"]))
    out: Data = {"kind": kind}
    if kind == "split":
        share = st.integers(1, 5) | st.floats(0.1, 5)
        out["shares"] = {s: draw(share) for s in listed}
    return out


@st.composite
def sourcings(draw: st.DrawFn, suppliers: Data) -> Data:
    """A supplier-replenished warehouse's sources: one supplier (now and then as a list of
    one, or with the `single` kind spelled out), or 2-3 of them with a sourcing kind."""
    names = sorted(suppliers)
    if len(names) > 1 and draw(st.integers(0, 2)) == 0:
        listed = draw(st.permutations(names))[: draw(st.integers(2, len(names)))]
        return {"replenished_from": listed, "sourcing": draw(sourcing_kinds(listed))}
    source = draw(st.sampled_from(names))
    out: Data = {"replenished_from": [source] if draw(st.integers(0, 5)) == 0 else source}
    if draw(st.integers(0, 5)) == 0:
        out["sourcing"] = {"kind": "single"}
    return out


@st.composite
def picker_blocks(draw: st.DrawFn) -> Data:
    """Pickers with a whole-order pick time or travel plus handling, by any method."""
    out: Data = {"count": draw(st.integers(1, 3))}
    method = draw(st.sampled_from(["discrete", "batch", "zone", "wave", "goods_to_person"]))
    if method != "discrete" or draw(st.booleans()):
        out["method"] = method
    if method in ("batch", "zone") or draw(st.booleans()):
        out["travel"] = draw(duration_dists(0, 1))
        out["per_line"] = draw(duration_dists(0, 0.5))
        if draw(st.booleans()):
            out["slotting"] = {"A": draw(st.floats(0, 0.9)), "B": draw(st.floats(0, 0.5))}
    else:
        out["pick_time"] = draw(duration_dists(0, 2))
    if method in ("batch", "wave"):
        out["orders_per_tour"] = draw(st.integers(1, 6))
    if method == "zone":
        out["zones"] = draw(st.integers(2, 5))
    if method == "wave":
        out["waves"] = draw(st.lists(st.sampled_from([f"{h}h" for h in range(24)]), min_size=1))
    if method == "goods_to_person":
        out["speedup"] = draw(st.floats(1, 5))
    return out


def sku_blocks(draw: st.DrawFn) -> Data:
    """1-4 SKUs with a cost and a price; now and then a popularity, an ABC class and a
    holding cost."""
    skus: Data = {}
    for i in range(draw(st.integers(1, 4))):
        cost = draw(st.floats(0.5, 200, allow_nan=False))
        sku: Data = {"unit_cost": cost, "price": draw(st.floats(0.5, 400, allow_nan=False))}
        if draw(st.booleans()):
            sku["popularity"] = draw(st.floats(0.1, 10, allow_nan=False))
        cls = draw(st.none() | st.sampled_from("ABC"))
        if cls is not None:
            sku["abc_class"] = cls
        if draw(st.booleans()):
            sku["holding_cost_per_day"] = draw(st.floats(0, 2, allow_nan=False))
        skus[f"sku{i}"] = sku
    return skus


def lane_block(draw: st.DrawFn) -> Data:
    """A lane: a transit time, now and then a cost per unit."""
    out: Data = {"transit_time": draw(duration_dists(0, 3 * 24))}
    if draw(st.booleans()):
        out["cost_per_unit"] = draw(st.floats(0, 5, allow_nan=False))
    return out


def warehouse_source(
    draw: st.DrawFn, i: int, warehouses: Data, suppliers: Data, lanes: dict[str, Data]
) -> Data:
    """Where warehouse i is replenished from: now and then (not the first) an earlier
    warehouse, over a new lane, else its suppliers."""
    if i > 0 and draw(st.booleans()):
        source = draw(st.sampled_from(sorted(warehouses)))
        lanes.setdefault(source, {})[f"wh{i}"] = lane_block(draw)
        return {"replenished_from": source}
    return draw(sourcings(suppliers))


def add_operations(draw: st.DrawFn, wh: Data, skus: Data) -> None:
    """A warehouse's initial stock, and now and then pickers, packers, receivers, a storage
    capacity and an order priority."""
    init = draw(initial_stocks(skus))
    if init != "target" or draw(st.booleans()):
        wh["initial_stock"] = init
    if draw(st.booleans()):
        wh["pickers"] = draw(picker_blocks())
    if draw(st.integers(0, 3)) == 0:
        wh["packers"] = {
            "count": draw(st.integers(1, 3)),
            "pack_time": draw(duration_dists(0, 1)),
        }
    if draw(st.integers(0, 3)) == 0:
        wh["receivers"] = {
            "count": draw(st.integers(1, 3)),
            "units_per_hour": draw(st.floats(1, 200, allow_nan=False)),
        }
    if draw(st.integers(0, 3)) == 0:
        wh["storage_capacity"] = draw(st.integers(1, 300))
    if draw(st.integers(0, 2)) == 0:
        wh["priority"] = draw(st.sampled_from(["fifo", "earliest_promise", "premium_first"]))


def add_transshipments(draw: st.DrawFn, warehouses: Data, lanes: dict[str, Data]) -> None:
    """Now and then a warehouse may also draw on siblings (not its source, nor one it
    supplies), over lanes from them."""
    for name, wh in warehouses.items():
        up = wh["replenished_from"]
        siblings = [
            w
            for w in sorted(warehouses)
            if w not in (name, up) and warehouses[w]["replenished_from"] != name
        ]
        if siblings and draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(siblings), min_size=1, unique=True))
            for sib in chosen:
                # The lane is drawn even when the sibling already has one to this warehouse.
                lanes.setdefault(sib, {}).setdefault(name, lane_block(draw))
            wh["transship_from"] = chosen


def warehouse_blocks(draw: st.DrawFn, skus: Data, suppliers: Data, lanes: dict[str, Data]) -> Data:
    """1-3 warehouses, each replenished from suppliers or an earlier warehouse, with their
    operations; then now and then transshipments between siblings. Adds their lanes."""
    warehouses: Data = {}
    for i in range(draw(st.integers(1, 3))):
        wh = warehouse_source(draw, i, warehouses, suppliers, lanes)
        add_operations(draw, wh, skus)
        warehouses[f"wh{i}"] = wh
    add_transshipments(draw, warehouses, lanes)
    return warehouses


def demand_block(draw: st.DrawFn, skus: Data) -> Data:
    """A region's demand: a rate (now and then none), and now and then lines and units per
    order, SKU weights, weekday and hourly shapes and a customer patience."""
    quiet = draw(st.integers(0, 9)) == 0  # now and then a region without demand
    rate = st.just(0) if quiet else st.integers(2, 30) | st.floats(0.5, 30, allow_nan=False)
    demand: Data = {"orders_per_day": draw(rate)}
    if draw(st.booleans()):
        demand["lines_per_order"] = draw(count_dists(3))
    if draw(st.booleans()):
        demand["units_per_line"] = draw(count_dists(4))
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(sorted(skus)), unique=True, min_size=1))
        demand["sku_weights"] = {s: draw(st.floats(0.1, 10, allow_nan=False)) for s in chosen}
    if draw(st.integers(0, 3)) == 0:
        demand["weekday_shape"] = draw(shape(7))
    if draw(st.integers(0, 3)) == 0:
        demand["hourly_shape"] = draw(shape(24))
    if draw(st.integers(0, 2)) == 0:
        demand["patience"] = draw(durations(2, 5 * 24))
    return demand


def region_block(
    draw: st.DrawFn, name: str, skus: Data, warehouses: Data, lanes: dict[str, Data]
) -> Data:
    """A region served by 1-2 warehouses over new lanes (now and then with a cost per
    parcel), its demand, and now and then a promise, a premium class and what happens to
    unmet demand."""
    served_by = draw(
        st.lists(st.sampled_from(sorted(warehouses)), min_size=1, max_size=2, unique=True)
    )
    for w in served_by:
        lanes.setdefault(w, {})[name] = lane_block(draw)
        if draw(st.integers(0, 3)) == 0:
            lanes[w][name]["cost_per_parcel"] = draw(st.floats(0, 20, allow_nan=False))
    region: Data = {"served_by": served_by, "demand": demand_block(draw, skus)}
    if draw(st.booleans()):
        region["promised_within"] = draw(durations(6, 5 * 24))
    if draw(st.integers(0, 3)) == 0:
        region["service_classes"] = {
            "premium": {
                "share": draw(st.floats(0.05, 0.6)),
                "promised_within": draw(durations(2, 48)),
            }
        }
    unmet = draw(st.sampled_from([None, "backorder", "lost_sales"]))
    if unmet is not None:
        region["unmet_demand"] = unmet
    return region


def region_blocks(draw: st.DrawFn, skus: Data, warehouses: Data, lanes: dict[str, Data]) -> Data:
    """1-3 regions; adds their lanes."""
    return {
        f"reg{i}": region_block(draw, f"reg{i}", skus, warehouses, lanes)
        for i in range(draw(st.integers(1, 3)))
    }


def add_costs_and_routing(draw: st.DrawFn, data: Data) -> None:
    """Now and then cost rates; now and then a routing, which may split orders."""
    if draw(st.booleans()):
        data["costs"] = {
            "holding_rate_per_year": draw(st.floats(0, 1, allow_nan=False)),
            "ordering_cost": draw(st.floats(0, 200, allow_nan=False)),
            "backorder_cost_per_unit_day": draw(st.floats(0, 5, allow_nan=False)),
        }
    routing = draw(st.sampled_from([None, "nearest", "nearest_with_stock"]))
    if routing is not None:
        data["routing"] = {"kind": routing}
        if draw(st.booleans()):
            data["routing"]["split"] = True


def add_stockings(draw: st.DrawFn, data: Data) -> None:
    """Every warehouse's stocking block, drawn after the events (peak_prebuild names one);
    now and then a warehouse with siblings orders only once it owes."""
    for wh in data["warehouses"].values():
        wh["stocking"] = draw(stockings(data["skus"], data.get("events", {})))
        if "transship_from" in wh and draw(st.booleans()):
            # Ordering only once it owes, the warehouse asks its siblings on every shortfall.
            lot = draw(st.integers(1, 20))
            wh["stocking"] = {"default": {"kind": "r_Q", "r": -1, "Q": lot}}


def add_zipf_popularity(draw: st.DrawFn, data: Data) -> None:
    """Now and then a Zipf popularity law, replacing the SKUs' own popularities."""
    if draw(st.integers(0, 3)) == 0:
        data["sku_popularity"] = {"law": "zipf", "exponent": draw(st.floats(0.2, 2))}
        for sku in data["skus"].values():
            sku.pop("popularity", None)


def add_returns(draw: st.DrawFn, data: Data) -> None:
    """Now and then returns: some SKUs in a category that comes back, a delay, and now and
    then an inspection and a restock share."""
    if draw(st.integers(0, 2)) != 0:
        return
    data["categories"] = {
        "cat0": {"return_rate": draw(st.floats(0, 0.6, allow_nan=False))},
        "cat1": {"return_rate": draw(st.floats(0, 1, allow_nan=False))},
    }
    for sku in data["skus"].values():
        cat = draw(st.sampled_from([None, "cat0", "cat1"]))
        if cat is not None:
            sku["category"] = cat
    returns: Data = {"delay": draw(duration_dists(0, 5 * 24))}
    if draw(st.booleans()):
        returns["inspection"] = draw(durations(0, 24))
    if draw(st.booleans()):
        returns["restock_share"] = draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
    data["returns"] = returns


def add_forecast(draw: st.DrawFn, data: Data) -> None:
    """Now and then a forecast error, and (with events) now and then another during them."""
    if not draw(st.booleans()):
        return
    data["forecast"] = {
        "period": draw(durations(6, 7 * 24)),
        "normal": {"cv": draw(st.floats(0, 1)), "bias": draw(st.floats(-0.5, 0.5))},
    }
    if "events" in data and draw(st.booleans()):
        data["forecast"]["during_events"] = {
            "cv": draw(st.floats(0, 1)),
            "bias": draw(st.floats(-0.5, 0.5)),
        }


@st.composite
def scenarios(draw: st.DrawFn) -> Data:
    """The raw mapping of a small one- or two-echelon scenario. The sections are drawn in a
    fixed order (SKUs, start, suppliers, warehouses, regions, calendar, costs and routing,
    events, stocking, popularity, returns, disruptions, forecast, hub): keep it, so that a
    seed keeps giving the same scenarios."""
    skus = sku_blocks(draw)
    start = draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)))
    suppliers = draw(supplier_blocks(skus, start))
    lanes: dict[str, Data] = {}
    warehouses = warehouse_blocks(draw, skus, suppliers, lanes)
    regions = region_blocks(draw, skus, warehouses, lanes)
    horizon = draw(durations(10 * 24, 40 * 24, ("h", "d", "w")))
    warm_up = draw(durations(0, 3 * 24)) if draw(st.booleans()) else None
    data = builders.scenario(
        "generated",
        start=start,
        horizon=horizon,
        warm_up=warm_up,
        skus=skus,
        suppliers=suppliers,
        warehouses=warehouses,
        regions=regions,
        lanes=lanes,
    )
    add_costs_and_routing(draw, data)
    if draw(st.integers(0, 2)) > 0:
        data["events"] = draw(events(start, sorted(regions)))
    add_stockings(draw, data)
    add_zipf_popularity(draw, data)
    add_returns(draw, data)
    if draw(st.integers(0, 3)) == 0:
        data["disruptions"] = draw(
            disruption_blocks(start, sorted(warehouses), sorted(regions), sorted(suppliers))
        )
    add_forecast(draw, data)
    if draw(st.integers(0, 2)) == 0:
        add_hub(draw, data)
    return data


def add_hub(draw: st.DrawFn, data: Data) -> None:
    """A sorting hub between some warehouses and regions, its legs now and then on trucks;
    some regions are then reached from a warehouse only through it, some closures hit it."""
    lanes = data["lanes"]
    data["hubs"] = {"hub0": {}}
    if draw(st.booleans()):
        data["hubs"]["hub0"]["handling_time"] = draw(duration_dists(0, 12))
    legs = [(w, "hub0") for w in data["warehouses"] if draw(st.integers(0, 3)) > 0]
    legs += [("hub0", r) for r in data["regions"] if draw(st.integers(0, 3)) > 0]
    for origin, dest in legs:
        leg = lane_block(draw)
        if draw(st.integers(0, 2)) == 0:
            leg["departures"] = {"times": draw(st.lists(durations(0, 23), min_size=1, max_size=3))}
            if draw(st.booleans()):
                leg["departures"]["capacity"] = draw(st.integers(1, 20))
        lanes.setdefault(origin, {})[dest] = leg
    for rname, region in data["regions"].items():
        for w in region["served_by"]:
            via = "hub0" in lanes.get(w, {}) and rname in lanes.get("hub0", {})
            if via and draw(st.integers(0, 2)) > 0:
                del lanes[w][rname]
    if draw(st.booleans()):
        data["path_choice"] = draw(st.sampled_from(["fastest", "cheapest"]))
    if "disruptions" in data and draw(st.booleans()):
        first = next(iter(data["disruptions"].values()))
        first["nodes"].append("hub0")
        first["lanes_closed"] = True


def path_of(sc: Scenario, w: str, r: str) -> list[str]:
    """The path parcels from w to r should take: direct or through the one hub, by the
    scenario's path choice, ties to the direct lane."""
    options = [[w, r]] if r in sc.lanes.get(w, {}) else []
    if "hub0" in sc.lanes.get(w, {}) and r in sc.lanes.get("hub0", {}):
        options.append([w, "hub0", r])

    def weight(path: list[str]) -> float:
        legs = [sc.lanes[a][b] for a, b in itertools.pairwise(path)]
        if sc.path_choice == "cheapest":
            return sum(leg.cost_per_unit for leg in legs)
        handling = sc.hubs["hub0"].handling_time.mean_value() if len(path) > 2 else 0.0
        return sum(leg.transit_time.mean_value() for leg in legs) + handling

    return min(options, key=lambda p: (weight(p), len(p)))


def path_transit(sc: Scenario, path: list[str]) -> float:
    handling = sc.hubs["hub0"].handling_time.mean_value() if len(path) > 2 else 0.0
    legs = itertools.pairwise(path)
    return sum(sc.lanes[a][b].transit_time.mean_value() for a, b in legs) + handling


def path_cost(sc: Scenario, path: list[str]) -> float:
    return sum(sc.lanes[a][b].cost_per_unit for a, b in itertools.pairwise(path))


def parcel_cost(sc: Scenario, path: list[str]) -> float:
    """Per parcel: only the lane into the region charges it."""
    return sc.lanes[path[-2]][path[-1]].cost_per_parcel


@st.composite
def policy_variants(draw: st.DrawFn) -> tuple[Data, Data]:
    """A scenario and a copy of it with other policies: stocking, initial stock, routing and
    what happens to unmet demand. Demand and the network are untouched."""
    data = draw(scenarios())
    other = copy.deepcopy(data)
    for wh in other["warehouses"].values():
        wh["stocking"] = draw(stockings(data["skus"], data.get("events", {})))
        if "sourcing" in wh and wh["sourcing"]["kind"] != "single":
            wh["sourcing"] = draw(sourcing_kinds(wh["replenished_from"]))
        if draw(st.booleans()):
            wh["initial_stock"] = draw(initial_stocks(data["skus"]))
    other["routing"] = {"kind": draw(st.sampled_from(["nearest", "nearest_with_stock"]))}
    for region in other["regions"].values():
        if draw(st.booleans()):
            region["unmet_demand"] = draw(st.sampled_from(["backorder", "lost_sales"]))
    return data, other


seeds = st.integers(0, 2**32 - 1)


# --- helpers --------------------------------------------------------------------------------


def run(data: Data, seed: int) -> tuple[Scenario, SimulationResult]:
    sc = validated(copy.deepcopy(data), "<generated>")
    return sc, simchain.simulate(sc, seed=seed)


def clock(ts: pd.Series, sc: Scenario) -> pd.Series:
    """Timestamps as clock hours from the calendar start (NaT -> NaN)."""
    return (ts - start_of(sc)) / HOUR


def rows(df: pd.DataFrame, mask: Any, limit: int = 5) -> str:
    return "\n" + df[mask].head(limit).to_string()


def line_frame(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines with their order's warehouse, region, status and times."""
    assert (orders["order_id"].to_numpy() == np.arange(len(orders))).all()
    out = lines.copy()
    idx = out["order_id"].to_numpy()
    for col in ("warehouse", "region", "status", "created", "allocated", "delivered"):
        out[col] = orders[col].to_numpy()[idx]
    return out


def busy(intervals: pd.DataFrame, at: pd.Series) -> np.ndarray:
    """How many [start, end) intervals contain each time in `at` (each counting its
    `share` if given: the orders of one batch tour share a picker)."""
    share = intervals["share"] if "share" in intervals else pd.Series(1.0, intervals.index)
    t = at.to_numpy()
    out = np.zeros(len(t))
    for col, side in (("start", 1.0), ("end", -1.0)):
        order = np.argsort(intervals[col].to_numpy(), kind="stable")
        times = intervals[col].to_numpy()[order]
        mass = np.concatenate([[0.0], np.cumsum(share.to_numpy(dtype=float)[order])])
        out += side * mass[np.searchsorted(times, t, side="right")]
    return np.round(out, 9)


def initial_target(sc: Scenario, levels: pd.DataFrame, w: str, s: str) -> int:
    """What `initial_stock: target` starts a SKU at: its policy's order-up-to level, for a
    planned or moving-average policy the one set at the start (levels table; none there:
    Levels(-1, 0))."""
    policy = sc.policy_for(w, s)
    if not isinstance(policy, AdaptivePolicy):
        return max(policy.target_level(), 0)
    mine = levels[(levels["warehouse"] == w) & (levels["sku"] == s)]
    mine = mine[mine["time"] == start_of(sc)]
    return max(int(mine["order_up_to"].iloc[-1]), 0) if len(mine) else 0


# --- 1. conservation ------------------------------------------------------------------------


@SIM
@given(scenarios(), seeds)
def test_units_are_conserved_per_warehouse_and_sku(data: Data, seed: int) -> None:
    """initial on hand + units received, accepted and put away (stocked) + returned units
    restocked = units served or owed to customer lines (line units minus lost, orders not
    cancelled) + units claimed by downstream transfer orders - units still owed (final
    backorders) + units destroyed by disruptions (losses) + final on hand; and final on order
    = units ordered but not yet received, plus accepted units not yet put away (rejected
    units leave the order book on arrival).

    A cancelled order gives back what it was allocated and withdraws what it was owed, so its
    lines count for nothing."""
    sc, res = run(data, seed)
    t = {k: plain(v) for k, v in res.tables.items()}
    orders, inv, rep = t["orders"], t["inventory"], t["replenishments"]
    lines = line_frame(orders, t["order_lines"])
    live = lines[lines["status"] != "cancelled"]
    net = (live["units"] - live["lost"]).groupby([live["warehouse"], live["sku"]]).sum()
    assert (rep["rejected"] >= 0).all() and (rep["rejected"] <= rep["quantity"]).all()
    got = rep[rep["received"].notna()]
    assert (got["stocked"] <= got["quantity"] - got["rejected"]).all()
    put_away = got["put_away"].notna()
    assert (got.loc[put_away, "stocked"] == (got["quantity"] - got["rejected"])[put_away]).all()
    received = got.groupby(["destination", "sku"])["stocked"].sum()
    # Accepted units not yet in stock (with the receivers, or waiting for room) stay on order.
    docked = (got["quantity"] - got["rejected"] - got["stocked"]).groupby(
        [got["destination"], got["sku"]]
    )
    on_dock = docked.sum()
    restocked = t["returns"].groupby(["warehouse", "sku"])["restocked"].sum()
    # Transshipments leave a sibling as transfers leave an upstream warehouse.
    moved = rep[rep["kind"] != "purchase"]
    claimed = moved.groupby(["source", "sku"])["quantity"].sum()
    destroyed = t["losses"].groupby(["warehouse", "sku"])["units"].sum()
    assert (t["losses"]["units"] > 0).all()
    open_rep = rep[rep["received"].isna()]
    still_on_order = open_rep.groupby(["destination", "sku"])["quantity"].sum()
    open_transfers = open_rep[open_rep["kind"] != "purchase"]
    transfer_owed = open_transfers.groupby(["source", "sku"])["quantity"].sum()
    unfilled = live[live["filled"].isna()]
    unfilled_units = unfilled.groupby(["warehouse", "sku"])["backordered"].sum()
    unfilled_count = unfilled.groupby(["warehouse", "sku"]).size()

    for w, spec in sc.warehouses.items():
        for s in sc.skus:
            key = (w, s)
            mine = inv[(inv["warehouse"] == w) & (inv["sku"] == s)]
            assert len(mine) >= 1, key
            first, last = mine.iloc[0], mine.iloc[-1]
            assert first["time"] == start_of(sc), key
            expected = (
                initial_target(sc, t["levels"], w, s)
                if spec.initial_stock == "target"
                else spec.initial_stock.get(s, 0)
            )
            assert first["on_hand"] == expected, (key, first["on_hand"], expected)
            assert mine["time"].is_monotonic_increasing, key
            inflow = int(first["on_hand"]) + int(received.get(key, 0)) + int(restocked.get(key, 0))
            outflow = (
                int(net.get(key, 0))
                + int(claimed.get(key, 0))
                - int(last["backorders"])
                + int(destroyed.get(key, 0))
                + int(last["on_hand"])
            )
            assert inflow == outflow, (
                f"{key}: initial {first['on_hand']} + accepted {received.get(key, 0)} + "
                f"restocked {restocked.get(key, 0)} != line units net of lost "
                f"{net.get(key, 0)} + transfers claimed {claimed.get(key, 0)} - still owed "
                f"{last['backorders']} + destroyed {destroyed.get(key, 0)} + final on hand "
                f"{last['on_hand']}"
            )
            assert int(last["on_order"]) == int(still_on_order.get(key, 0)) + int(
                on_dock.get(key, 0)
            ), key
            # What is still owed: at least one unit per unfilled line, at most the unfilled
            # lines' backorders plus the open transfer orders on this warehouse.
            assert int(last["backorders"]) >= int(unfilled_count.get(key, 0)), key
            assert int(last["backorders"]) <= int(unfilled_units.get(key, 0)) + int(
                transfer_owed.get(key, 0)
            ), key


# --- 2. order states ------------------------------------------------------------------------


@SIM
@given(scenarios(), seeds)
def test_every_order_has_one_consistent_state(data: Data, seed: int) -> None:
    """Every order is in exactly one known state, consistent with its units, lines, stage
    times, promise, region and path (and with splits, patience, pickers, pre-sales and
    returns)."""
    sc, res = run(data, seed)
    orders = plain(res.tables["orders"])
    lines = line_frame(orders, plain(res.tables["order_lines"]))
    end = (
        (start_of(sc) + pd.Timedelta(hours=sc.calendar.horizon))
        .to_datetime64()
        .astype("datetime64[ms]")
    )
    status = orders["status"]
    assert status.notna().all()
    assert set(status) <= STATES, set(status) - STATES

    check_units(orders, lines)
    is_set = orders[[*STAGES, "cancelled"]].notna()
    check_stages_set(orders, is_set)
    check_stage_order(orders, is_set, end)
    check_promises(sc, orders)
    check_states_against_units(orders, is_set)
    check_line_fills(orders, lines, is_set)
    for r, region in sc.regions.items():
        mine = orders[orders["region"] == r]
        check_region_routing(sc, r, region, mine)
        check_region_transport(sc, r, region, mine)

    check_splits(sc, orders)
    check_patience(sc, orders)
    check_pickers(sc, orders, end)
    check_presale(sc, orders)
    check_returns(sc, orders, lines, plain(res.tables["returns"]))


def check_units(orders: pd.DataFrame, lines: pd.DataFrame) -> None:
    """Units: per line, per order, and lines against orders."""
    assert (lines["units"] >= 1).all()
    split = lines["from_stock"] + lines["backordered"] + lines["lost"]
    assert (split == lines["units"]).all(), rows(lines, split != lines["units"])
    for col in ("from_stock", "backordered", "lost"):
        assert (lines[col] >= 0).all(), col
    split = orders["units_from_stock"] + orders["units_backordered"] + orders["units_lost"]
    assert (split == orders["units"]).all(), rows(orders, split != orders["units"])
    by_order = lines.groupby("order_id")
    sums = by_order[["units", "from_stock", "backordered", "lost"]].sum()
    sums = sums.reindex(orders["order_id"], fill_value=0)
    assert (sums["units"].to_numpy() == orders["units"].to_numpy()).all()
    assert (sums["from_stock"].to_numpy() == orders["units_from_stock"].to_numpy()).all()
    assert (sums["backordered"].to_numpy() == orders["units_backordered"].to_numpy()).all()
    assert (sums["lost"].to_numpy() == orders["units_lost"].to_numpy()).all()
    n_lines = by_order.size().reindex(orders["order_id"], fill_value=0).to_numpy()
    assert (n_lines == orders["lines"].to_numpy()).all()
    assert (orders["lines"] >= 1).all()


def check_stages_set(orders: pd.DataFrame, is_set: pd.DataFrame) -> None:
    """Stage times: what is set for each state (None: either)."""
    assert is_set["created"].all()
    T, F, _ = True, False, None
    expected_set = {  # created ... delivered, cancelled
        "delivered": (T, T, T, T, T, T, T, T, F),
        "in_transit": (T, T, T, T, T, T, T, F, F),
        "awaiting_pack": (T, T, T, T, _, F, F, F, F),
        "awaiting_pick": (T, T, _, F, F, F, F, F, F),
        "lost": (T, T, F, F, F, F, F, F, F),
        "awaiting_stock": (T, F, F, F, F, F, F, F, F),
        "cancelled": (T, _, F, F, F, F, F, F, T),
    }
    for state, pattern in expected_set.items():
        mine = is_set[orders["status"] == state]
        for col, want in zip(is_set.columns, pattern, strict=True):
            if want is not None:
                bad = mine[col] != want
                assert not bad.any(), f"{state}, {col} set: {not want}" + rows(
                    orders, bad.reindex(orders.index, fill_value=False)
                )


def check_stage_order(orders: pd.DataFrame, is_set: pd.DataFrame, end: np.datetime64) -> None:
    """Stage times in order, a later stage never set without the earlier ones, all before
    the end of the run."""
    for a, b in itertools.pairwise(STAGES):
        both = is_set[a] & is_set[b]
        assert (orders.loc[both, a] <= orders.loc[both, b]).all(), (a, b)
    both = is_set["allocated"] & is_set["cancelled"]
    assert (orders.loc[both, "allocated"] <= orders.loc[both, "cancelled"]).all()
    # A later stage is never set without the earlier ones.
    for a, b in itertools.pairwise(STAGES):
        assert not (is_set[b] & ~is_set[a]).any(), (a, b)
    for col in (*STAGES, "cancelled"):
        assert (orders[col].dropna() < end).all(), col


def check_promises(sc: Scenario, orders: pd.DataFrame) -> None:
    """An order is promised its region's and service class's time after its creation."""
    hours = {(r, c): h for r, reg in sc.regions.items() for c, _, h in reg.promises()}
    promise = pd.Series(
        [
            pd.Timedelta(hours=hours[(r, c)])
            for r, c in zip(orders["region"], orders["service"], strict=True)
        ],
        index=orders.index,
        dtype="timedelta64[ns]",
    )
    gap = (orders["promised"] - orders["created"] - promise).abs()
    assert (gap <= MS).all(), rows(orders, gap > MS)


def check_states_against_units(orders: pd.DataFrame, is_set: pd.DataFrame) -> None:
    """States against units: lost orders lost all their units at once, started orders have
    units to ship, orders waiting for stock are owed some, orders short of nothing are
    allocated on creation."""
    status = orders["status"]
    lost = status == "lost"
    assert (orders.loc[lost, "units_lost"] == orders.loc[lost, "units"]).all()
    assert (orders.loc[lost, "allocated"] == orders.loc[lost, "created"]).all()
    left = orders["units_from_stock"] + orders["units_backordered"]
    started = ["delivered", "in_transit", "awaiting_pick", "awaiting_pack"]
    assert (left[status.isin(started)] > 0).all()
    assert (orders.loc[status == "awaiting_stock", "units_backordered"] > 0).all()
    from_stock_only = orders["units_backordered"] == 0
    allocated_at_once = orders.loc[from_stock_only & is_set["allocated"], "allocated"]
    assert (allocated_at_once == orders.loc[allocated_at_once.index, "created"]).all()


def check_line_fills(orders: pd.DataFrame, lines: pd.DataFrame, is_set: pd.DataFrame) -> None:
    """Lines: a line short of nothing is filled on arrival; an order is allocated when its
    last line is filled; an order waiting for stock has a line not yet filled."""
    whole = lines["backordered"] == 0
    assert (lines.loc[whole, "filled"] == lines.loc[whole, "created"]).all()
    last_fill = lines.groupby("order_id")["filled"].max()
    allocated = is_set["allocated"]
    ids = orders.loc[allocated, "order_id"]
    assert (last_fill.reindex(ids).to_numpy() == orders.loc[allocated, "allocated"]).all()
    open_ = lines["status"].isin(["awaiting_stock", "cancelled"])
    assert lines.loc[~open_, "filled"].notna().all()
    unfilled = lines[lines["filled"].isna()]
    assert (unfilled["backordered"] > 0).all()
    waiting = orders.loc[orders["status"] == "awaiting_stock", "order_id"]
    assert waiting.isin(unfilled["order_id"]).all()


def check_region_routing(sc: Scenario, r: str, region: Region, mine: pd.DataFrame) -> None:
    """A region's orders (`mine`): lost sales never backorder, backorder regions never
    lose; the warehouse is a candidate of the region (the nearest one under `nearest`
    routing)."""
    if region.unmet_demand == "lost_sales":
        assert (mine["units_backordered"] == 0).all(), r
    else:
        assert (mine["units_lost"] == 0).all(), r
    assert mine["warehouse"].isin(region.served_by).all(), r
    if sc.routing.kind == "nearest":
        nearest = min(
            region.served_by,
            key=lambda w: (path_transit(sc, path_of(sc, w, r)), list(sc.warehouses).index(w)),
        )
        first = mine[mine["split_of"] < 0]
        assert (first["warehouse"] == nearest).all(), r


def check_region_transport(sc: Scenario, r: str, region: Region, mine: pd.DataFrame) -> None:
    """A region's orders (`mine`): transport is paid on units shipped, for every leg of the
    path; the hub passed is the path's."""
    shipped = mine[mine["shipped"].notna()]
    paths = {w: path_of(sc, w, r) for w in region.served_by}
    cost = shipped["warehouse"].map(lambda w: path_cost(sc, paths[w]))
    parcel = shipped["warehouse"].map(lambda w: parcel_cost(sc, paths[w]))
    want = cost.astype(float) * (shipped["units"] - shipped["units_lost"]) + parcel.astype(float)
    assert np.allclose(shipped["transport_cost"], want), r
    assert (mine.loc[mine["shipped"].isna(), "transport_cost"] == 0).all(), r
    via = shipped["warehouse"].map(lambda w: len(paths[w]) > 2).astype(bool)
    assert shipped.loc[~via, "hub"].isna().all(), r
    assert (shipped.loc[shipped["hub"].notna(), "hub"] == "hub0").all(), r
    own = shipped["presale_event"].isin(prepositioned_with_transit(sc))
    assert shipped.loc[via & ~own, "hub"].notna().all(), r
    assert mine.loc[mine["shipped"].isna(), "hub"].isna().all(), r


SWEEP = 0.25  # hours between two patience checks
EPS = 2 / 3_600_000  # hours: timestamps are rounded to the millisecond


def check_splits(sc: Scenario, orders: pd.DataFrame) -> None:
    """A split order's parts: only under a routing that allows it, each part from another
    warehouse of the region, sharing the first part's region, times and service class."""
    parts = orders[orders["split_of"] >= 0]
    if not sc.routing.split:
        assert parts.empty
        return
    first = orders.set_index("order_id").loc[parts["split_of"]]
    assert (first["split_of"] < 0).all()
    for col in ("region", "created", "promised", "service"):
        assert (first[col].to_numpy() == parts[col].to_numpy()).all(), col
    assert (first["warehouse"].to_numpy() != parts["warehouse"].to_numpy()).all()
    siblings = parts.groupby("split_of")["warehouse"].agg(lambda w: w.nunique() == len(w))
    assert siblings.all()


def check_patience(sc: Scenario, orders: pd.DataFrame) -> None:
    """Orders are cancelled at the first patience check at or after their deadline, unless
    picking has started; only then, and only in regions with a patience."""
    horizon = sc.calendar.horizon
    for r, region in sc.regions.items():
        mine = orders[orders["region"] == r]
        cancelled = mine[mine["status"] == "cancelled"]
        patience = region.demand.patience
        if patience is None:
            assert cancelled.empty, r
            continue
        deadline = clock(mine["created"], sc) + patience
        check = np.ceil((deadline - EPS) / SWEEP) * SWEEP  # the first check at or after it
        at = clock(cancelled["cancelled"], sc)
        late = (at - check[cancelled.index]).abs() > EPS
        assert not late.any(), f"{r}: cancelled off its check" + rows(cancelled, late)
        started = mine["pick_start"].notna()
        early = clock(mine["pick_start"], sc) <= check + EPS
        assert (early | ~started).all(), f"{r}: picked after cancel" + rows(mine, ~early & started)
        open_ = mine["status"].isin(["awaiting_stock", "awaiting_pick"]) & ~started
        missed = open_ & (check < horizon - EPS)
        assert not missed.any(), f"{r}: should have been cancelled" + rows(mine, missed)


STATIONS = {  # crew -> (start column, end column, column the wait starts from)
    "pickers": ("pick_start", "picked", "allocated"),
    "packers": ("pack_start", "packed", "picked"),
}


def check_pickers(sc: Scenario, orders: pd.DataFrame, end: pd.Timestamp) -> None:
    """At pickers and packers: no more people busy than on duty (a batch tour's orders share
    one picker), and no order waits while someone is idle (except for a wave release).
    Without the crew (and for pre-packed orders) the stage takes no time."""
    prepacked = [name for name, ev in sc.events.items() if ev.presale and ev.presale.prepositioned]
    instant = orders["presale_event"].isin(prepacked)
    for w, spec in sc.warehouses.items():
        mine = orders[orders["warehouse"] == w]
        for role, (begin, finish, ready) in STATIONS.items():
            crew = getattr(spec, role)
            started = mine[mine[begin].notna()]
            instant_w = started if crew is None else started[instant[started.index]]
            assert (instant_w[finish] == instant_w[begin]).all(), (w, role)
            assert (instant_w[begin] == instant_w[ready]).all(), (w, role)
            if crew is None:
                assert not (mine["status"] == f"awaiting_{role[:4]}").any(), (w, role)
                continue
            working = started[~instant[started.index]]
            share = 1.0 / working["tour_orders"].clip(lower=1) if role == "pickers" else 1.0
            intervals = pd.DataFrame(
                {"start": working[begin], "end": working[finish].fillna(end), "share": share}
            )
            intervals = intervals[intervals["end"] > intervals["start"]]
            n = crew.count
            over = busy(intervals, intervals["start"]) > n
            assert not over.any(), f"{w}: more than {n} {role} busy" + rows(intervals, over)
            if getattr(crew, "method", None) == "wave":
                continue
            # Orders that waited: from ready until the work started, the order was cancelled
            # or the run ended. (A wait of no time may be a zero-time task.)
            waited_until = mine[begin].fillna(mine["cancelled"]).fillna(end)
            queued = mine[
                mine[ready].notna()
                & ~instant[mine.index]
                & (waited_until > mine[ready] + MS)
                & (mine["status"] != "lost")
            ]
            idle = busy(intervals, queued[ready]) < n
            assert not idle.any(), f"{w}: an order waited for idle {role}" + rows(queued, idle)


def prepositioned_with_transit(sc: Scenario) -> list[str]:
    """Events whose pre-positioned parcels travel on their own transit, skipping hubs."""
    return [
        name
        for name, ev in sc.events.items()
        if ev.presale and ev.presale.prepositioned and ev.presale.transit is not None
    ]


def check_presale(sc: Scenario, orders: pd.DataFrame) -> None:
    """Pre-sale orders: paid (deposit) before they are created, on a day of their event, in a
    region the event covers; other orders have no deposit."""
    pre = orders["presale_event"].notna()
    assert orders.loc[~pre, "deposit"].isna().all()
    assert orders.loc[pre, "deposit"].notna().all()
    assert (orders.loc[pre, "deposit"] < orders.loc[pre, "created"]).all()
    for name, ev in sc.events.items():
        mine = orders[orders["presale_event"] == name]
        if mine.empty:
            continue
        assert ev.presale is not None, name
        day = mine["created"].dt.date
        assert ((day >= ev.start) & (day <= ev.last)).all(), name
        if ev.regions is not None:
            assert mine["region"].isin(ev.regions).all(), name
        opens = pd.Timestamp(ev.presale.deposits_open)
        assert (mine["deposit"] >= opens).all(), name
        assert (mine["deposit"] < pd.Timestamp(ev.start)).all(), name


def check_returns(
    sc: Scenario, orders: pd.DataFrame, lines: pd.DataFrame, returns: pd.DataFrame
) -> None:
    """Returned units: only of delivered orders, at most what was delivered, of SKUs that
    have a return rate, back after the delay and inspection, restocked or scrapped."""
    returned = orders["units_returned"]
    assert (returned >= 0).all()
    if sc.returns is None:
        assert returns.empty and (returned == 0).all()
        return
    assert (orders.loc[returned > 0, "status"] == "delivered").all()
    assert (returned <= orders["units"] - orders["units_lost"]).all()
    assert (returns["units"] > 0).all()
    assert (returns["restocked"] + returns["scrapped"] == returns["units"]).all()
    assert (returns[["restocked", "scrapped"]] >= 0).all().all()
    share = sc.returns.restock_share
    if share == 1:
        assert (returns["scrapped"] == 0).all()
    if share == 0:
        assert (returns["restocked"] == 0).all()
    assert (returns["sku"].map(sc.return_rate) > 0).all()
    of = orders.loc[returns["order_id"]]
    assert (returns["warehouse"].to_numpy() == of["warehouse"].to_numpy()).all()
    assert (returns["delivered"].to_numpy() == of["delivered"].to_numpy()).all()
    wait = (returns["back"] - returns["delivered"]) / HOUR
    assert (wait >= sc.returns.inspection - EPS).all()
    by_order = returns.groupby("order_id")["units"].sum()
    assert (by_order == returned[by_order.index]).all()
    bought = (lines["units"] - lines["lost"]).groupby([lines["order_id"], lines["sku"]]).sum()
    back = returns.groupby(["order_id", "sku"])["units"].sum()
    assert (back <= bought.reindex(back.index)).all()


# --- 3. stock levels and policies -----------------------------------------------------------


@SIM
@given(scenarios(), seeds)
def test_stock_never_negative_and_policy_respected(data: Data, seed: int) -> None:
    """Levels are never negative; stock on hand and backorders never coexist; after every
    change the inventory position a policy sees is above its reorder point, and (unless
    cancelled orders or returns put stock back) at most its order-up-to level, plus what
    minimum order quantities add, or the initial position; lost-sales demand never creates
    backorders. Replenishments, purchases, sourcing and the supplier scorecard agree with
    the scenario (see `check_purchases`)."""
    sc, res = run(data, seed)
    inv = plain(res.tables["inventory"])
    rep = plain(res.tables["replenishments"])
    orders = plain(res.tables["orders"])
    levels = plain(res.tables["levels"])
    for col in ("on_hand", "backorders", "on_order"):
        assert (inv[col] >= 0).all(), f"negative {col}:" + rows(inv, inv[col] < 0)
    both = (inv["on_hand"] > 0) & (inv["backorders"] > 0)
    assert not both.any(), "stock on hand while units are owed:" + rows(inv, both)
    assert inv["time"].is_monotonic_increasing
    # before the horizon (an instant a hair before it may round to it in milliseconds)
    horizon = (start_of(sc) + pd.Timedelta(hours=sc.calendar.horizon)).round("ms")
    assert (inv["time"] <= horizon).all()

    position = inv["on_hand"] + inv["on_order"] - inv["backorders"]
    given_back = set(orders.loc[orders["status"] == "cancelled", "warehouse"])
    given_back |= set(res.tables["returns"]["warehouse"].astype(object))
    for w in sc.warehouses:
        # A purchase is raised to its supplier's minimum order quantity: a split order to
        # each supplier's.
        slack = sum(
            sc.suppliers[x].min_order_quantity - 1 for x in sc.sources(w) if x in sc.suppliers
        )
        for s in sc.skus:
            check_policy(sc, inv, position, levels, w, s, slack, given_back)
    check_levels(sc, levels)

    # A warehouse that serves only lost-sales regions and supplies no other warehouse never
    # owes a unit.
    upstream = {sc.sources(w)[0] for w in sc.warehouses}
    for w in sc.warehouses:
        served = [r for r, region in sc.regions.items() if w in region.served_by]
        if w in upstream or any(sc.regions[r].unmet_demand == "backorder" for r in served):
            continue
        mine = inv[inv["warehouse"] == w]
        assert (mine["backorders"] == 0).all(), w
    lines = res.tables["order_lines"]
    region_of = orders["region"].to_numpy()[lines["order_id"].to_numpy()]
    lost_sales = [r for r, region in sc.regions.items() if region.unmet_demand == "lost_sales"]
    assert (lines.loc[np.isin(region_of, lost_sales), "backordered"] == 0).all()

    # Replenishments: positive quantities, and placed <= shipped <= received; each from one
    # of the sources its warehouse lists.
    assert (rep["quantity"] > 0).all(), rows(rep, rep["quantity"] <= 0)
    done = rep[rep["received"].notna()]
    assert (done["placed"] <= done["shipped"]).all()
    assert (done["shipped"] <= done["received"]).all()
    assert (rep.loc[rep["received"].isna(), "shipped"].isna()).all()
    transfers = rep["kind"] != "purchase"
    assert rep.loc[transfers, "source"].isin(list(sc.warehouses)).all()
    assert rep.loc[~transfers, "source"].isin(list(sc.suppliers)).all()
    for w, spec in sc.warehouses.items():
        mine = rep[rep["destination"] == w]
        lateral = mine["kind"] == "transshipment"
        listed = mine["source"].where(lateral).isin(spec.transship_from) | (
            ~lateral & mine["source"].isin(sc.sources(w))
        )
        assert listed.all(), f"{w} orders from {sc.sources(w)}" + rows(mine, ~listed)
    check_purchases(sc, rep)
    check_sourcing(sc, rep)
    check_scorecard(sc, rep, plain(res.tables["suppliers"]))


def below(sc: Scenario, w: str) -> list[str]:
    """A warehouse and every warehouse replenished from it, directly or not."""
    out = [w]
    for d in sc.warehouses:
        if sc.sources(d)[0] == w:
            out += below(sc, d)
    return out


def position_path(
    sc: Scenario, inv: pd.DataFrame, position: pd.Series, w: str, s: str, echelon: bool
) -> pd.Series:
    """The inventory position a policy sees after each change, indexed like `inv`: the
    warehouse's own at every row of its ledger; or its echelon position (summed over `below`)
    at the end of each instant at which one of those changed (within an instant the
    warehouses are logged one after the other, so only the last state is consistent)."""
    if not echelon:
        return position[(inv["warehouse"] == w) & (inv["sku"] == s)]
    tree = below(sc, w)
    key = (inv["sku"] == s) & inv["warehouse"].isin(tree)
    where = inv.loc[key, "warehouse"]
    total = sum(position[key].where(where == d).ffill() for d in tree)
    assert isinstance(total, pd.Series)
    total = total[~inv.loc[key, "time"].duplicated(keep="last")]
    assert total.notna().all(), (w, s)  # every warehouse logs every SKU at the start
    return total.astype(np.int64)


def check_policy(
    sc: Scenario,
    inv: pd.DataFrame,
    position: pd.Series,
    levels: pd.DataFrame,
    w: str,
    s: str,
    slack: int,
    given_back: set[str],
) -> None:
    """A SKU's position against its policy: above the reorder point after every change (a
    continuous-review policy reorders at once), at most the order-up-to level plus `slack`
    or the initial position. An adaptive (planned or moving-average) policy's levels are those
    in force (from the levels table; a row at the instant of a recomputation may come just
    before or after it), and its ceiling the highest order-up-to level so far. Periodic review
    only caps the position.
    """
    policy = sc.policy_for(w, s)
    echelon = policy.position == "echelon"
    pos = position_path(sc, inv, position, w, s, echelon)
    tree = below(sc, w) if echelon else [w]
    floor: Any
    top: Any
    if isinstance(policy, AdaptivePolicy):
        mine = levels[(levels["warehouse"] == w) & (levels["sku"] == s)]
        when = mine["time"].to_numpy()
        t = inv.loc[pos.index, "time"].to_numpy()
        at = np.searchsorted(when, t, side="right") - 1  # -1: before any plan, Levels(-1, 0)
        before = np.searchsorted(when, t, side="left") - 1
        reorder = np.append(mine["reorder_point"].to_numpy(), -1)
        floor = np.minimum(reorder[at], reorder[before])
        top = np.append(np.maximum.accumulate(mine["order_up_to"].to_numpy()), 0)[at]
    else:
        if policy.kind == "base_stock":
            floor = policy.S - 1
        elif policy.kind == "s_S":
            floor = policy.s
        else:
            floor = policy.r
        top = policy.target_level()
    what = f"{w}/{s} {policy!r}" + (f" echelon over {tree}" if echelon else "")
    if policy.review_period is None:
        low = (pos <= floor).to_numpy()
        assert not low.any(), what + rows(inv, inv.index.isin(pos.index[low]))
    if given_back & set(tree):
        return
    ceiling = np.maximum(top + slack, int(pos.iloc[0]))
    high = (pos > ceiling).to_numpy()
    assert not high.any(), what + rows(inv, inv.index.isin(pos.index[high]))


def check_levels(sc: Scenario, levels: pd.DataFrame) -> None:
    """The adaptive levels: only of adaptive policies, at the start or at a recomputation
    (a review for a moving average, which orders up to S: reorder point S - 1), each a
    change, order-up-to above the reorder point."""
    for (w, s), mine in levels.groupby(["warehouse", "sku"]):
        policy = sc.policy_for(str(w), str(s))
        assert isinstance(policy, AdaptivePolicy), (w, s, policy)
        assert (mine["reorder_point"] >= -1).all(), (w, s)
        assert (mine["order_up_to"] > mine["reorder_point"]).all(), (w, s)
        if isinstance(policy, MovingAverage):
            assert (mine["order_up_to"] == mine["reorder_point"] + 1).all(), (w, s)
            every = policy.review_period
        else:
            assert isinstance(policy, PlannedPolicy), (w, s, policy)
            every = policy.recompute_every
        hours = clock(mine["time"], sc)
        assert ((hours - (hours / every).round() * every).abs() <= EPS).all(), (w, s, every)
        pair = mine[["reorder_point", "order_up_to"]]
        assert not (pair == pair.shift()).all(axis=1).any(), (w, s)


def outage_spans(sc: Scenario, supplier: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """A supplier's calendar outages as [first midnight, midnight after the last day)."""
    return [
        (pd.Timestamp(o.start), pd.Timestamp(o.end) + pd.Timedelta(days=1))
        for o in sc.suppliers[supplier].outages
    ]


def check_purchases(sc: Scenario, rep: pd.DataFrame) -> None:
    """Purchases: at least the supplier's minimum order quantity; rejected units only on
    receipt, none from a supplier without defects; dispatched outside the supplier's calendar
    outages (at once when nothing holds it); the confirmed date no earlier than dispatch, and
    received on it or later (exactly on it from a supplier never late); through a capacity
    line one after the other (FIFO), each taking quantity / capacity. Transfers have no
    confirmed date and reject nothing."""
    transfers = rep[rep["kind"] != "purchase"]
    assert transfers["due"].isna().all() and (transfers["rejected"] == 0).all()
    buys = rep[rep["kind"] == "purchase"].sort_values("order_id")
    assert buys["due"].notna().all()
    assert (buys.loc[buys["received"].isna(), "rejected"] == 0).all()
    for name, spec in sc.suppliers.items():
        mine = buys[buys["source"] == name]
        small = mine["quantity"] < spec.min_order_quantity
        assert not small.any(), f"{name}: below the MOQ" + rows(mine, small)
        if spec.defect_share == 0:
            assert (mine["rejected"] == 0).all(), name
        got = mine[mine["received"].notna()]
        assert (got["due"] >= got["shipped"] - MS).all(), name + rows(
            got, got["due"] < got["shipped"]
        )
        early = got["received"] < got["due"] - MS
        assert not early.any(), f"{name}: received before the confirmed date" + rows(got, early)
        if spec.reliability is None or spec.reliability.late_share == 0:
            late = got["received"] > got["due"] + MS
            assert not late.any(), f"{name}: late, never late" + rows(got, late)
        spans = outage_spans(sc, name)
        for begin, end in spans:
            inside = (got["shipped"] >= begin) & (got["shipped"] < end)
            assert not inside.any(), f"{name}: shipped in [{begin}, {end})" + rows(got, inside)
        if spec.capacity_per_day is None:
            if spec.random_outages is None:  # held only by a calendar outage, to its end
                held = got["shipped"] != got["placed"]
                ends = [e for _, e in spans]
                assert got.loc[held, "shipped"].isin(ends).all(), name + rows(got, held)
            continue
        # FIFO through the line: work on an order starts when it is placed and the previous
        # one is done (dispatched), and takes quantity / capacity, outages aside.
        work = pd.to_timedelta(got["quantity"] / spec.capacity_per_day, unit="D")
        previous = got["shipped"].shift()
        ready = got["placed"].where(previous.isna() | (previous < got["placed"]), previous)
        fast = got["shipped"] < ready + work - 2 * MS
        assert not fast.any(), f"{name}: faster than its capacity" + rows(got, fast)


def maybe_down(sc: Scenario, supplier: str, at: pd.Timestamp) -> bool:
    """Whether a supplier may be in an outage at a time (random outages are not recorded)."""
    if sc.suppliers[supplier].random_outages is not None:
        return True
    return any(b - MS <= at < e + MS for b, e in outage_spans(sc, supplier))


def check_sourcing(sc: Scenario, rep: pd.DataFrame) -> None:
    """Who gets a warehouse's purchases: its one supplier (single); a listed supplier only
    while every one listed before it is down or holds an order past its confirmed date
    (primary_backup); none dearer than a supplier that is up (cheapest); units within a unit
    per supplier of the shares (split, when no minimum order quantity distorts them)."""
    buys = rep[rep["kind"] == "purchase"]
    for w, spec in sc.warehouses.items():
        listed = sc.sources(w)
        if listed[0] in sc.warehouses:
            continue
        mine = buys[buys["destination"] == w]
        kind = spec.sourcing.kind
        if kind == "single":
            assert (mine["source"] == listed[0]).all(), w
        elif kind == "split" and all(sc.suppliers[x].min_order_quantity == 1 for x in listed):
            shares = spec.sourcing.shares  # type: ignore[attr-defined]
            units = mine.groupby("source")["quantity"].sum().reindex(listed, fill_value=0)
            want = units.sum() * pd.Series(shares)[listed] / sum(shares.values())
            assert ((units - want).abs() < len(listed)).all(), (w, units.to_dict(), want.to_dict())
        elif kind == "primary_backup":
            for row in mine[mine["source"] != listed[0]].to_dict("records"):
                t = row["placed"]
                for before in listed[: listed.index(row["source"])]:
                    theirs = buys[(buys["source"] == before) & (buys["order_id"] < row["order_id"])]
                    overdue = (theirs["due"] <= t + MS) & ~(theirs["received"] < t - MS)
                    assert maybe_down(sc, before, t) or overdue.any(), (w, row, before)
        elif kind == "cheapest":
            for row in mine.to_dict("records"):
                price = sc.unit_price(row["source"], row["sku"])
                for other in listed:
                    if sc.unit_price(other, row["sku"]) < price:
                        assert maybe_down(sc, other, row["placed"]), (w, row, other)


def check_scorecard(sc: Scenario, rep: pd.DataFrame, card: pd.DataFrame) -> None:
    """One scorecard row per supplier, in order, counting its purchases placed in the window;
    rates within [0, 1]; suppliers nobody lists get no orders."""
    assert list(card["supplier"]) == list(sc.suppliers)
    begin = start_of(sc) + pd.Timedelta(hours=sc.calendar.warm_up)
    buys = rep[(rep["kind"] == "purchase") & (rep["placed"] >= begin)]
    listed = {x for w in sc.warehouses for x in sc.sources(w)}
    for row in card.to_dict("records"):
        mine = buys[buys["source"] == row["supplier"]]
        got = mine[mine["received"].notna()]
        assert row["orders"] == len(mine), row
        assert row["units_ordered"] == mine["quantity"].sum(), row
        assert row["units_received"] == got["quantity"].sum(), row
        assert row["units_rejected"] == got["rejected"].sum(), row
        for rate in ("on_time_rate", "fill_rate", "defect_rate"):
            assert math.isnan(row[rate]) or 0 <= row[rate] <= 1, row
        if row["supplier"] not in listed:
            assert row["orders"] == 0, row


# --- 4. determinism -------------------------------------------------------------------------


def _same_kpis(a: dict[str, float], b: dict[str, float]) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])), (k, a[k], b[k])


@settings(max_examples=25, deadline=None)
@given(scenarios(), seeds)
def test_same_scenario_and_seed_give_identical_results(data: Data, seed: int) -> None:
    _, first = run(data, seed)
    _, second = run(data, seed)
    assert list(first.tables) == list(second.tables)
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name], obj=name)
    _same_kpis(first.kpis, second.kpis)


# --- 5. common random numbers ---------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(policy_variants(), seeds)
def test_other_policies_see_the_same_demand(pair: tuple[Data, Data], seed: int) -> None:
    data, other = pair
    _, a = run(data, seed)
    _, b = run(other, seed)
    demand = ["order_id", "region", "created", "promised", "presale_event", "deposit"]
    orders_a, lines_a = customer_view(a.tables["orders"], a.tables["order_lines"])
    orders_b, lines_b = customer_view(b.tables["orders"], b.tables["order_lines"])
    pd.testing.assert_frame_equal(orders_a[demand], orders_b[demand])
    pd.testing.assert_frame_equal(lines_a, lines_b)
    pd.testing.assert_frame_equal(a.tables["forecast"], b.tables["forecast"])


def customer_view(orders: pd.DataFrame, lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer orders (a split order's parts folded into its first) and their baskets,
    whatever the routing did with them."""
    first = orders[orders["split_of"] < 0].reset_index(drop=True)
    # Parts take ids as they are made, so customer orders are numbered by their rank.
    rank = pd.Series(np.arange(len(first)), index=first["order_id"].to_numpy())
    root = orders.set_index("order_id")["split_of"]
    root = root.where(root >= 0, root.index.to_series()).map(rank)
    first["order_id"] = rank.to_numpy()
    basket = pd.DataFrame(
        {
            "order_id": lines["order_id"].map(root).to_numpy(),
            "sku": lines["sku"].astype(str).to_numpy(),
            "units": lines["units"].to_numpy(),
        }
    )
    basket = basket.sort_values(["order_id", "sku", "units"], kind="stable")
    return first, basket.reset_index(drop=True)


# --- 6. resolved scenario round trip --------------------------------------------------------


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two models differ, field by field, with both stored values (a dump would
    hide the difference: it spells numbers the way the YAML does)."""
    if isinstance(a, BaseModel) and isinstance(b, BaseModel) and type(a) is type(b):
        a = {k: getattr(a, k) for k in type(a).model_fields}
        b = {k: getattr(b, k) for k in type(b).model_fields}
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in dict.fromkeys([*a, *b]):
            out += _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]


def assert_round_trip(sc: Scenario) -> None:
    text = scenario_yaml(sc)
    again = load_text(text, source="<resolved>")
    diff = _differences(sc, again)
    assert again == sc, "resolved YAML loads back different:\n" + "\n".join(diff) + "\n" + text
    assert scenario_yaml(again) == text


# Shrinking a whole scenario through YAML takes longer than the rest of this file; the focused
# tests below give minimal examples, and the message here names the fields that differ.
@settings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(scenarios())
def test_resolved_scenario_loads_back_equal(data: Data) -> None:
    assert_round_trip(validated(copy.deepcopy(data), "<generated>"))


def tiny(**demand: Any) -> Data:
    """A one-warehouse scenario to vary one field in."""
    return builders.scenario(
        "tiny",
        start=dt.date(2026, 9, 1),
        horizon="10d",
        warm_up=None,
        skus={"a": builders.product(1, 2), "b": builders.product(3, 5)},
        suppliers={"sup": {"lead_time": "2d"}},
        warehouses={"dc": builders.warehouse(builders.base_stock(5), replenished_from="sup")},
        regions={"city": builders.region(5, demand=demand)},
        lanes={"dc": {"city": {"transit_time": "1d"}}},
    )


@settings(max_examples=100, deadline=None)
@given(durations(0, 60 * 24, tuple(UNIT_HOURS)))
def test_a_duration_round_trips(text: str) -> None:
    """Any duration a user writes (here a lane's transit time) is written back exactly."""
    data = tiny()
    data["lanes"]["dc"]["city"]["transit_time"] = text
    assert_round_trip(validated(data, "<tiny>"))


@settings(max_examples=50, deadline=None)
@given(count_dists(4), count_dists(4))
def test_a_count_distribution_round_trips(lines: Any, units: Any) -> None:
    data = tiny(lines_per_order=lines, units_per_line=units)
    assert_round_trip(validated(data, "<tiny>"))


# --- 7. whatever validates simulates --------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b"]), st.floats(0.1, 10, allow_nan=False)) | st.none(),
    seeds,
)
def test_any_valid_sku_weights_simulate(weights: dict[str, float] | None, seed: int) -> None:
    """A scenario that validates must run: no error from deep inside the simulator. (An
    empty mapping gives no SKU a share: it must be refused when validated, not crash later.)"""
    data = tiny(**({} if weights is None else {"sku_weights": weights}))
    try:
        validated(copy.deepcopy(data), "<tiny>")
    except ScenarioError:
        assert weights == {}, "positive weights of known SKUs must be accepted"
        return
    _, res = run(data, seed)
    lines = res.tables["order_lines"]
    if weights:
        assert set(lines["sku"].astype(str)) <= set(weights)
