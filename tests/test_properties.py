"""Property-based tests over generated one- and two-echelon scenarios and seeds.

Each example is a small scenario, built as the raw mapping a YAML file would hold and validated
like one: 1-4 SKUs, 1-2 suppliers (some with a daily capacity), 1-3 warehouses of which some are
replenished from another warehouse, 1-3 regions served by 1-2 warehouses each, base_stock / s_S /
r_Q policies (default, per ABC class, per SKU), optional pickers, backorder or lost-sales
regions, initial stock 'target' or explicit small numbers, 10-40 days, low demand.

Properties, all read from the run's tables (never from simulator internals):

1. units are conserved per (warehouse, SKU);
2. every order is in exactly one state, consistent with its stage times and its units;
3. stock is never negative, and the stocking policy is always respected;
4. the same scenario and seed give identical tables and KPIs;
5. a different policy leaves the demand unchanged (common random numbers);
6. the resolved scenario YAML loads back to the same scenario;
7. a scenario that validates also simulates.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import simchain
from simchain.output import scenario_yaml
from simchain.scenario import load_text, validate
from simchain.scenario.schema import Scenario
from simchain.simulate import SimulationResult

STATES = {"delivered", "lost", "cancelled", "awaiting_stock", "awaiting_pick", "in_transit"}
STAGES = ("created", "allocated", "pick_start", "picked", "shipped", "delivered")
UNIT_HOURS = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
MS = pd.Timedelta(milliseconds=1)

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


def _hours(text: str) -> float:
    for unit in sorted(UNIT_HOURS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * UNIT_HOURS[unit]
    raise AssertionError(text)


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
        points = sorted(draw(st.lists(durations(lo_h, hi_h), min_size=n, max_size=n)), key=_hours)
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
def stockings(draw: st.DrawFn, skus: Data) -> Data:
    """A stocking block: default and/or per-class and per-SKU policies covering every SKU."""
    classes = sorted({v["abc_class"] for v in skus.values() if v.get("abc_class")})
    default = draw(st.none() | policies)
    by_class = {c: draw(policies) for c in classes if draw(st.booleans())}
    by_sku = {s: draw(policies) for s in skus if draw(st.booleans())}
    if default is None:
        for s, spec in skus.items():
            if s not in by_sku and spec.get("abc_class") not in by_class:
                by_sku[s] = draw(policies)
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


@st.composite
def scenarios(draw: st.DrawFn, empty_weights: bool = False) -> Data:
    """The raw mapping of a small one- or two-echelon scenario."""
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

    suppliers: Data = {}
    for i in range(draw(st.integers(1, 2))):
        sup: Data = {"lead_time": draw(duration_dists(0, 7 * 24))}
        if draw(st.booleans()):
            sup["capacity_per_day"] = draw(st.floats(1, 500, allow_nan=False))
        suppliers[f"sup{i}"] = sup

    lanes: dict[str, Data] = {}

    def lane() -> Data:
        out: Data = {"transit_time": draw(duration_dists(0, 3 * 24))}
        if draw(st.booleans()):
            out["cost_per_unit"] = draw(st.floats(0, 5, allow_nan=False))
        return out

    warehouses: Data = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"wh{i}"
        upstream = i > 0 and draw(st.booleans())
        source = draw(st.sampled_from(sorted(warehouses) if upstream else sorted(suppliers)))
        if source in warehouses:
            lanes.setdefault(source, {})[name] = lane()
        wh: Data = {"replenished_from": source, "stocking": draw(stockings(skus))}
        init = draw(initial_stocks(skus))
        if init != "target" or draw(st.booleans()):
            wh["initial_stock"] = init
        if draw(st.booleans()):
            wh["pickers"] = {
                "count": draw(st.integers(1, 3)),
                "pick_time": draw(duration_dists(0, 2)),
            }
        warehouses[name] = wh

    regions: Data = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"reg{i}"
        served_by = draw(
            st.lists(st.sampled_from(sorted(warehouses)), min_size=1, max_size=2, unique=True)
        )
        for w in served_by:
            lanes.setdefault(w, {})[name] = lane()
        demand: Data = {
            "orders_per_day": draw(
                st.integers(2, 30) | st.floats(0.5, 30, allow_nan=False) | st.just(0)
            )
        }
        if draw(st.booleans()):
            demand["lines_per_order"] = draw(count_dists(3))
        if draw(st.booleans()):
            demand["units_per_line"] = draw(count_dists(4))
        if draw(st.booleans()):
            chosen = draw(
                st.lists(st.sampled_from(sorted(skus)), unique=True, min_size=int(not empty_weights))
            )
            demand["sku_weights"] = {s: draw(st.floats(0.1, 10, allow_nan=False)) for s in chosen}
        region: Data = {"served_by": served_by, "demand": demand}
        if draw(st.booleans()):
            region["promised_within"] = draw(durations(6, 5 * 24))
        unmet = draw(st.sampled_from([None, "backorder", "lost_sales"]))
        if unmet is not None:
            region["unmet_demand"] = unmet
        regions[name] = region

    calendar: Data = {
        "start": draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))),
        "horizon": draw(durations(10 * 24, 40 * 24, ("h", "d", "w"))),
    }
    if draw(st.booleans()):
        calendar["warm_up"] = draw(durations(0, 3 * 24))
    data: Data = {
        "schema_version": 1,
        "name": "generated",
        "calendar": calendar,
        "skus": skus,
        "suppliers": suppliers,
        "warehouses": warehouses,
        "regions": regions,
        "lanes": lanes,
    }
    if draw(st.booleans()):
        data["costs"] = {
            "holding_rate_per_year": draw(st.floats(0, 1, allow_nan=False)),
            "ordering_cost": draw(st.floats(0, 200, allow_nan=False)),
            "backorder_cost_per_unit_day": draw(st.floats(0, 5, allow_nan=False)),
        }
    routing = draw(st.sampled_from([None, "nearest", "nearest_with_stock"]))
    if routing is not None:
        data["routing"] = {"kind": routing}
    return data


@st.composite
def policy_variants(draw: st.DrawFn) -> tuple[Data, Data]:
    """A scenario and a copy of it with other policies: stocking, initial stock, routing and
    what happens to unmet demand. Demand and the network are untouched."""
    data = draw(scenarios())
    other = copy.deepcopy(data)
    for wh in other["warehouses"].values():
        wh["stocking"] = draw(stockings(data["skus"]))
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
    sc = validate(copy.deepcopy(data), source="<generated>")
    return sc, simchain.simulate(sc, seed=seed)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings, for keyed look-ups."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


def window_end(sc: Scenario) -> pd.Timestamp:
    start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
    return start + pd.Timedelta(hours=sc.calendar.horizon)


def rows(df: pd.DataFrame, mask: Any, limit: int = 5) -> str:
    return "\n" + df[mask].head(limit).to_string()


def line_frame(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines with their order's warehouse, region, status and creation time."""
    assert (orders["order_id"].to_numpy() == np.arange(len(orders))).all()
    out = lines.copy()
    idx = out["order_id"].to_numpy()
    for col in ("warehouse", "region", "status", "created", "allocated"):
        out[col] = orders[col].to_numpy()[idx]
    return out


# --- 1. conservation ------------------------------------------------------------------------


@SIM
@given(scenarios(), seeds)
def test_units_are_conserved_per_warehouse_and_sku(data: Data, seed: int) -> None:
    """initial on hand + units received = units served or owed to customer lines (line units
    minus lost) + units claimed by downstream transfer orders - units still owed (final
    backorders) + final on hand; and final on order = units ordered but not yet received."""
    sc, res = run(data, seed)
    t = {k: plain(v) for k, v in res.tables.items()}
    orders, inv, rep = t["orders"], t["inventory"], t["replenishments"]
    lines = line_frame(orders, t["order_lines"])
    start = pd.Timestamp(sc.calendar.start)
    net = (lines["units"] - lines["lost"]).groupby([lines["warehouse"], lines["sku"]]).sum()
    got = rep[rep["received"].notna()]
    received = got.groupby(["destination", "sku"])["quantity"].sum()
    claimed = rep[rep["kind"] == "transfer"].groupby(["source", "sku"])["quantity"].sum()
    open_rep = rep[rep["received"].isna()]
    still_on_order = open_rep.groupby(["destination", "sku"])["quantity"].sum()
    open_transfers = open_rep[open_rep["kind"] == "transfer"]
    transfer_owed = open_transfers.groupby(["source", "sku"])["quantity"].sum()
    unfilled = lines[lines["filled"].isna()]
    unfilled_units = unfilled.groupby(["warehouse", "sku"])["backordered"].sum()
    unfilled_count = unfilled.groupby(["warehouse", "sku"]).size()

    for w, spec in sc.warehouses.items():
        for s in sc.skus:
            key = (w, s)
            mine = inv[(inv["warehouse"] == w) & (inv["sku"] == s)]
            assert len(mine) >= 1, key
            first, last = mine.iloc[0], mine.iloc[-1]
            assert first["time"] == start, key
            expected = (
                max(sc.policy_for(w, s).target_level(), 0)
                if spec.initial_stock == "target"
                else spec.initial_stock.get(s, 0)
            )
            assert first["on_hand"] == expected, (key, first["on_hand"], expected)
            assert mine["time"].is_monotonic_increasing, key
            inflow = int(first["on_hand"]) + int(received.get(key, 0))
            outflow = (
                int(net.get(key, 0))
                + int(claimed.get(key, 0))
                - int(last["backorders"])
                + int(last["on_hand"])
            )
            assert inflow == outflow, (
                f"{key}: initial {first['on_hand']} + received {received.get(key, 0)} != "
                f"line units net of lost {net.get(key, 0)} + transfers claimed "
                f"{claimed.get(key, 0)} - still owed {last['backorders']} + final on hand "
                f"{last['on_hand']}"
            )
            assert int(last["on_order"]) == int(still_on_order.get(key, 0)), key
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
    sc, res = run(data, seed)
    orders = plain(res.tables["orders"])
    lines = line_frame(orders, plain(res.tables["order_lines"]))
    end = window_end(sc)
    status = orders["status"]
    assert status.notna().all()
    assert set(status) <= STATES, set(status) - STATES

    # Units: per line, per order, and lines against orders.
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

    # Stage times: what is set for each state, and in order.
    is_set = orders[list(STAGES)].notna()
    assert is_set["created"].all()
    expected_set = {
        "delivered": (True, True, True, True, True, True),
        "in_transit": (True, True, True, True, True, False),
        "lost": (True, True, False, False, False, False),
        "awaiting_stock": (True, False, False, False, False, False),
    }
    for state, pattern in expected_set.items():
        mine = is_set[status == state]
        want = pd.DataFrame([pattern] * len(mine), index=mine.index, columns=list(STAGES))
        bad = (mine != want).any(axis=1)
        assert not bad.any(), f"{state}:" + rows(orders, bad.reindex(orders.index, fill_value=False))
    waiting_pick = is_set[status == "awaiting_pick"]
    assert waiting_pick["allocated"].all()
    assert not waiting_pick[["picked", "shipped", "delivered"]].any().any()
    for a, b in zip(STAGES, STAGES[1:], strict=False):
        both = is_set[a] & is_set[b]
        assert (orders.loc[both, a] <= orders.loc[both, b]).all(), (a, b)
    # A later stage is never set without the earlier ones.
    for a, b in zip(STAGES, STAGES[1:], strict=False):
        assert not (is_set[b] & ~is_set[a]).any(), (a, b)
    for col in STAGES:
        assert (orders[col].dropna() < end).all(), col
    promise = pd.Series(
        [pd.Timedelta(hours=sc.regions[r].promised_within) for r in orders["region"]],
        index=orders.index,
        dtype="timedelta64[ns]",
    )
    gap = (orders["promised"] - orders["created"] - promise).abs()
    assert (gap <= MS).all(), rows(orders, gap > MS)

    # States against units.
    lost = status == "lost"
    assert (orders.loc[lost, "units_lost"] == orders.loc[lost, "units"]).all()
    assert (orders.loc[lost, "allocated"] == orders.loc[lost, "created"]).all()
    left = orders["units_from_stock"] + orders["units_backordered"]
    assert (left[status.isin(["delivered", "in_transit", "awaiting_pick"])] > 0).all()
    assert (orders.loc[status == "awaiting_stock", "units_backordered"] > 0).all()
    from_stock_only = orders["units_backordered"] == 0
    allocated_at_once = orders.loc[from_stock_only, "allocated"]
    assert (allocated_at_once == orders.loc[from_stock_only, "created"]).all()

    # Lines: a line short of nothing is filled on arrival; an order is allocated when its
    # last line is filled; an order waiting for stock has a line not yet filled.
    whole = lines["backordered"] == 0
    assert (lines.loc[whole, "filled"] == lines.loc[whole, "created"]).all()
    last_fill = lines.groupby("order_id")["filled"].max()
    allocated = orders["allocated"].notna()
    ids = orders.loc[allocated, "order_id"]
    assert (last_fill.reindex(ids).to_numpy() == orders.loc[allocated, "allocated"]).all()
    assert lines.loc[lines["status"] != "awaiting_stock", "filled"].notna().all()
    unfilled = lines[lines["filled"].isna()]
    assert (unfilled["status"] == "awaiting_stock").all()
    assert (unfilled["backordered"] > 0).all()
    waiting = orders.loc[status == "awaiting_stock", "order_id"]
    assert waiting.isin(unfilled["order_id"]).all()

    # Regions: lost sales never backorder, backorder regions never lose; the warehouse is a
    # candidate of the region (the nearest one under `nearest` routing); transport is paid
    # on units shipped.
    for r, region in sc.regions.items():
        mine = orders[orders["region"] == r]
        if region.unmet_demand == "lost_sales":
            assert (mine["units_backordered"] == 0).all(), r
        else:
            assert (mine["units_lost"] == 0).all(), r
        assert mine["warehouse"].isin(region.served_by).all(), r
        if sc.routing.kind == "nearest":
            nearest = min(
                region.served_by,
                key=lambda w, r=r: (
                    sc.lanes[w][r].transit_time.mean_value(),
                    list(sc.warehouses).index(w),
                ),
            )
            assert (mine["warehouse"] == nearest).all(), r
        shipped = mine[mine["shipped"].notna()]
        cost = shipped["warehouse"].map(lambda w, r=r: sc.lanes[w][r].cost_per_unit)
        want = cost.astype(float) * (shipped["units"] - shipped["units_lost"])
        assert np.allclose(shipped["transport_cost"], want), r
        assert (mine.loc[mine["shipped"].isna(), "transport_cost"] == 0).all(), r
    # No pickers, no waiting for them.
    no_pickers = [w for w, spec in sc.warehouses.items() if spec.pickers is None]
    idle = orders["warehouse"].isin(no_pickers)
    assert not (idle & (status == "awaiting_pick")).any()
    instant = orders[idle & is_set["picked"]]
    assert (instant["picked"] == instant["allocated"]).all()
    assert (instant["pick_start"] == instant["allocated"]).all()


# --- 3. stock levels and policies -----------------------------------------------------------


@SIM
@given(scenarios(), seeds)
def test_stock_never_negative_and_policy_respected(data: Data, seed: int) -> None:
    """Levels are never negative; stock on hand and backorders never coexist; after every
    change the inventory position is above the reorder point and at most the order-up-to
    level (or the initial position); lost-sales demand never creates backorders."""
    sc, res = run(data, seed)
    inv = plain(res.tables["inventory"])
    rep = plain(res.tables["replenishments"])
    for col in ("on_hand", "backorders", "on_order"):
        assert (inv[col] >= 0).all(), f"negative {col}:" + rows(inv, inv[col] < 0)
    both = (inv["on_hand"] > 0) & (inv["backorders"] > 0)
    assert not both.any(), "stock on hand while units are owed:" + rows(inv, both)
    assert inv["time"].is_monotonic_increasing
    assert (inv["time"] <= window_end(sc)).all()

    position = inv["on_hand"] + inv["on_order"] - inv["backorders"]
    for w in sc.warehouses:
        for s in sc.skus:
            key = (inv["warehouse"] == w) & (inv["sku"] == s)
            pos = position[key]
            policy = sc.policy_for(w, s)
            if policy.kind == "base_stock":
                floor = policy.S - 1
            elif policy.kind == "s_S":
                floor = policy.s
            else:
                floor = policy.r
            assert (pos > floor).all(), f"{w}/{s} {policy!r}:" + rows(inv, key & (position <= floor))
            ceiling = max(policy.target_level(), int(pos.iloc[0]))
            assert (pos <= ceiling).all(), f"{w}/{s} {policy!r}:" + rows(
                inv, key & (position > ceiling)
            )

    # A warehouse that serves only lost-sales regions and supplies no other warehouse never
    # owes a unit.
    upstream = {spec.replenished_from for spec in sc.warehouses.values()}
    for w in sc.warehouses:
        served = [r for r, region in sc.regions.items() if w in region.served_by]
        if w in upstream or any(sc.regions[r].unmet_demand == "backorder" for r in served):
            continue
        mine = inv[inv["warehouse"] == w]
        assert (mine["backorders"] == 0).all(), w
    lines = res.tables["order_lines"]
    region_of = res.tables["orders"]["region"].astype(object).to_numpy()[lines["order_id"]]
    lost_sales = [r for r, region in sc.regions.items() if region.unmet_demand == "lost_sales"]
    assert (lines.loc[np.isin(region_of, lost_sales), "backordered"] == 0).all()

    # Replenishments: positive quantities, and placed <= shipped <= received.
    assert (rep["quantity"] > 0).all(), rows(rep, rep["quantity"] <= 0)
    done = rep[rep["received"].notna()]
    assert (done["placed"] <= done["shipped"]).all()
    assert (done["shipped"] <= done["received"]).all()
    assert (rep.loc[rep["received"].isna(), "shipped"].isna()).all()
    transfers = rep["kind"] == "transfer"
    assert rep.loc[transfers, "source"].isin(list(sc.warehouses)).all()
    assert rep.loc[~transfers, "source"].isin(list(sc.suppliers)).all()
    for w, spec in sc.warehouses.items():
        assert (rep.loc[rep["destination"] == w, "source"] == spec.replenished_from).all(), w


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
    demand = ["order_id", "region", "created", "promised", "lines", "units"]
    pd.testing.assert_frame_equal(a.tables["orders"][demand], b.tables["orders"][demand])
    basket = ["order_id", "sku", "units"]
    pd.testing.assert_frame_equal(
        a.tables["order_lines"][basket], b.tables["order_lines"][basket]
    )


# --- 6. resolved scenario round trip --------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_resolved_scenario_loads_back_equal(data: Data) -> None:
    sc = validate(copy.deepcopy(data), source="<generated>")
    text = scenario_yaml(sc)
    again = load_text(text, source="<resolved>")
    assert again == sc, text
    assert scenario_yaml(again) == text


# --- 7. valid scenarios run -----------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(scenarios(empty_weights=True), seeds)
def test_a_valid_scenario_simulates(data: Data, seed: int) -> None:
    """Whatever passes validation runs: no crash deep inside the simulator."""
    sc, res = run(data, seed)
    assert res.stats["orders_simulated"] == len(res.tables["orders"])
    assert sc.name == "generated"
