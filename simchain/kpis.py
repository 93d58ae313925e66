"""KPIs: plain functions over the run's tables (never over simulator internals).

Everything is measured over the observation window [start + warm_up, start + horizon): flows
count what was created (orders) or placed (replenishments) in the window; levels are
time-weighted over the window.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simchain.model.lines import FluidLine
from simchain.policies.carriers import DEFAULT
from simchain.resources import receiver_work, station_work
from simchain.scenario.schema import ROLES, Role, Scenario
from simchain.scorecard import purchases_in_window, score
from simchain.timebase import DAYS_PER_YEAR
from simchain.window import HOUR, Window

DAY = pd.Timedelta(days=1)

#: Which way is better, per KPI: +1 higher, -1 lower (also every `delivered_within_<N>h`,
#: +1, and every `*_cost`, -1). A dotted KPI such as `otif.premium` goes by its name before
#: the dot. Counts of demand and activity (orders, replenishment orders, transshipments),
#: stock levels and utilizations are not listed: more is neither better nor worse in itself.
HIGHER_IS_BETTER = frozenset(
    {
        "fill_rate",
        "order_fill_rate",
        "otif",
        "delivered_orders",
        "inventory_turns",
        "supplier_on_time_rate",
        "supplier_fill_rate",
    }
)
LOWER_IS_BETTER = frozenset(
    {
        "lost_sales_units",
        "backordered_units",
        "cancelled_orders",
        "cycle_time_mean_h",
        "cycle_time_p50_h",
        "cycle_time_p95_h",
        "avg_backorder_units",
        "avg_transfer_backorder_units",
        "cost_per_order",
        "supplier_defect_rate",
        "supplier_lead_time_mean_d",
        "stock_lost_units",
        "dock_to_stock_h",
        "units_waited_for_room",
        "backlog_peak_orders",
        "backlog_clear_days",
    }
)


def direction(metric: str) -> int:
    """+1 if a higher value of the KPI is better, -1 if lower is better (every `*_cost`),
    0 if neither (see HIGHER_IS_BETTER)."""
    name = metric.split(".", 1)[0]
    if name in HIGHER_IS_BETTER or name.startswith("delivered_within_"):
        return 1
    if name in LOWER_IS_BETTER or name.endswith("_cost"):
        return -1
    return 0


def time_weighted(
    log: pd.DataFrame, value: str, window: Window, keys: tuple[str, ...] = ("warehouse", "sku")
) -> pd.Series:
    """Time-weighted mean of a level per key over the window, from a change log.

    Each row's value holds from its time until the next row of the same key (or the window's
    end); rows before the window count from its beginning.
    """
    if log.empty:
        return pd.Series(dtype=float)
    df = log.sort_values([*keys, "time"], kind="stable")
    same_next = np.ones(len(df), dtype=bool)
    for k in keys:
        col = df[k].to_numpy()
        same_next[:-1] &= col[1:] == col[:-1]
    same_next[-1] = False
    t = df["time"].to_numpy()
    nxt = np.empty_like(t)
    nxt[:-1] = t[1:]
    nxt = np.where(same_next, nxt, np.datetime64(window.end, "ms"))
    begin = np.datetime64(window.begin, "ms")
    end = np.datetime64(window.end, "ms")
    lo = np.maximum(t, begin)
    hi = np.minimum(nxt, end)
    weight = np.maximum((hi - lo) / np.timedelta64(1, "h"), 0.0)
    total_h = (end - begin) / np.timedelta64(1, "h")
    area = (
        pd.Series(df[value].to_numpy(dtype=float) * weight)
        .groupby([df[k].to_numpy() for k in keys])
        .sum()
    )
    return area / total_h


def compute(tables: dict[str, pd.DataFrame], sc: Scenario) -> dict[str, float]:
    """The KPI table of one run (metric -> value); see the README for definitions. The order
    of the keys is the order of kpis.csv's rows: service, stock, costs, then utilizations."""
    w = Window.of(sc)
    orders = tables["orders"]
    inv = tables["inventory"]
    rep = tables["replenishments"]
    obs = orders[orders["created"] >= w.begin]
    cust = customer_orders(obs)  # a split order's parts count once from here on
    lines = tables["order_lines"]
    obs_lines = lines[lines["order_id"].isin(obs["order_id"])]
    k = service(obs, cust, tables.get("returns"), sc, w)
    k.update(delivery(cust, w))
    k.update(stock(inv, obs, obs_lines, sc, w))
    k.update(replenishment(rep, sc, w))
    k.update(operating_costs(obs, obs_lines, rep, k["avg_backorder_units"], sc, w))
    k.update(stock_losses(tables.get("losses"), sc, w))
    k.update(totals(k))
    k.update(crew_utilization(orders, sc, w, "pickers"))
    k.update(crew_utilization(orders, sc, w, "packers"))
    k.update(receiving(rep, inv, sc, w))
    k.update(courier_utilization(orders, sc, w))
    if "shipments" in tables:
        k.update(truck_utilization(tables["shipments"], w))
    if "daily" in tables:
        daily = tables["daily"]
        k.update(backlog(daily[daily["date"] >= w.begin.floor("D")]))
    return k


def service(
    obs: pd.DataFrame,
    cust: pd.DataFrame,
    returns: pd.DataFrame | None,
    sc: Scenario,
    w: Window,
) -> dict[str, float]:
    """Customer service of the orders created in the window (`obs`, and `cust`: the same as
    customer orders): demand, fill rates, on time in full (per service class when the
    scenario has classes), and the units lost, backordered and returned."""
    k: dict[str, float] = {}
    units = float(obs["units"].sum())
    k["orders"] = float(len(cust))
    k["units_demanded"] = units
    k["fill_rate"] = _ratio(float(obs["units_from_stock"].sum()), units)
    k["order_fill_rate"] = _ratio(
        float((cust["units_from_stock"] == cust["units"]).sum()), len(cust)
    )
    if sc.routing.split:
        k["split_orders"] = float(obs.loc[obs["split_of"] >= 0, "split_of"].nunique())
    otif = on_time_in_full(cust, w.end)
    k["otif"] = _ratio(float(otif.sum()), len(otif))
    if any(r.service_classes for r in sc.regions.values()):
        for name, hit in otif.groupby(cust.loc[otif.index, "service"], observed=True):
            k[f"otif.{name}"] = _ratio(float(hit.sum()), len(hit))
    k["lost_sales_units"] = float(obs["units_lost"].sum())
    k["backordered_units"] = float(obs["units_backordered"].sum())
    k["cancelled_orders"] = float((cust["status"] == "cancelled").sum())
    k["presale_orders"] = float(obs["presale_event"].notna().sum())
    k["returned_units"] = (
        float(returns["units"][returns["order_id"].isin(obs["order_id"])].sum())
        if returns is not None
        else 0.0
    )
    return k


def delivery(cust: pd.DataFrame, w: Window) -> dict[str, float]:
    """How fast customer orders arrived: delivered orders, their cycle times (mean, median,
    95th percentile), and the share delivered within 48 and 72 hours of those that had that
    long before the window's end."""
    k: dict[str, float] = {}
    done = cust[cust["status"] == "delivered"]
    cycle = _hours(done["delivered"].to_numpy() - done["created"].to_numpy())
    k["delivered_orders"] = float(len(done))
    k["cycle_time_mean_h"] = float(cycle.mean()) if len(cycle) else float("nan")
    k["cycle_time_p50_h"] = float(np.percentile(cycle, 50)) if len(cycle) else float("nan")
    k["cycle_time_p95_h"] = float(np.percentile(cycle, 95)) if len(cycle) else float("nan")
    for within in (48, 72):
        judged = cust[cust["created"] + within * HOUR <= w.end]
        fast = judged["delivered"] - judged["created"] <= within * HOUR
        k[f"delivered_within_{within}h"] = _ratio(float(fast.sum()), len(judged))
    return k


def stock(
    inv: pd.DataFrame, obs: pd.DataFrame, obs_lines: pd.DataFrame, sc: Scenario, w: Window
) -> dict[str, float]:
    """Time-weighted stock and backorders over the window, inventory turns (cost of the units
    sold to the window's orders, a year of it, over the average stock's value) and the cost
    of holding that stock."""
    k: dict[str, float] = {}
    on_hand = time_weighted(inv, "on_hand", w)
    backorders = time_weighted(inv, "customer_backorders", w)
    k["avg_on_hand_units"] = float(on_hand.sum())
    k["avg_backorder_units"] = float(backorders.sum())
    k["avg_transfer_backorder_units"] = float(
        time_weighted(inv, "backorders", w).sum() - backorders.sum()
    )
    unit_cost = unit_costs(sc)
    hold_day = pd.Series({s: sc.holding_cost_per_day(s) for s in sc.skus})
    sku_of = on_hand.index.get_level_values(1) if len(on_hand) else pd.Index([])
    avg_value = float((on_hand.to_numpy() * unit_cost.reindex(sku_of).to_numpy()).sum())
    sold = obs["order_id"][obs["shipped"].notna()]
    sold_lines = obs_lines[obs_lines["order_id"].isin(sold)]
    served = sold_lines["units"] - sold_lines["lost"]
    cogs = float((served * sold_lines["sku"].map(unit_cost).astype(float)).sum())
    k["inventory_turns"] = _ratio(cogs * DAYS_PER_YEAR / w.days, avg_value)
    k["holding_cost"] = float(
        (on_hand.to_numpy() * hold_day.reindex(sku_of).to_numpy()).sum() * w.days
    )
    return k


def replenishment(rep: pd.DataFrame, sc: Scenario, w: Window) -> dict[str, float]:
    """Replenishment orders placed in the window, the units moved between warehouses, what
    ordering and buying cost, and how the suppliers did (`scorecard.score`)."""
    k: dict[str, float] = {}
    placed = rep[rep["placed"] >= w.begin]
    k["replenishment_orders"] = float(placed["order_id"].nunique())
    k["transshipped_units"] = float(placed.loc[placed["kind"] == "transshipment", "quantity"].sum())
    k["ordering_cost"] = k["replenishment_orders"] * sc.costs.ordering_cost
    supplied = score(purchases_in_window(rep, sc, w))
    k["purchase_cost"] = supplied.pop("purchase_cost")
    k.update({f"supplier_{name}": v for name, v in supplied.items() if "rate" in name})
    k["supplier_lead_time_mean_d"] = supplied["lead_time_mean_d"]
    return k


def operating_costs(
    obs: pd.DataFrame,
    obs_lines: pd.DataFrame,
    rep: pd.DataFrame,
    avg_backorder_units: float,
    sc: Scenario,
    w: Window,
) -> dict[str, float]:
    """Transport (customer orders and the replenishments shipped in the window), shortage
    (lost sales and the time-weighted backorders) and labour (crews on duty) costs."""
    k: dict[str, float] = {}
    moved = rep[(rep["shipped"] >= w.begin) & rep["received"].notna()]
    k["transport_cost"] = float(obs["transport_cost"].sum() + moved["transport_cost"].sum())
    lost_cost = obs_lines["lost"] * obs_lines["sku"].map(
        {s: sc.lost_sale_cost(s) for s in sc.skus}
    ).astype(float)
    k["shortage_cost"] = float(
        lost_cost.sum() + avg_backorder_units * sc.costs.backorder_cost_per_unit_day * w.days
    )
    k["labour_cost"] = sum(
        crew_hours(sc, name, role) * crew.cost_per_hour
        for name, wh in sc.warehouses.items()
        for role in ROLES
        if (crew := getattr(wh, role)) is not None
    )
    return k


def stock_losses(losses: pd.DataFrame | None, sc: Scenario, w: Window) -> dict[str, float]:
    """Units of stock destroyed by disruptions in the window, and their value at unit cost."""
    gone = (
        losses[losses["time"] >= w.begin]
        if losses is not None
        else pd.DataFrame({"sku": pd.Series(dtype=object), "units": pd.Series(dtype=float)})
    )
    value = gone["units"] * gone["sku"].map(unit_costs(sc)).astype(float)
    return {"stock_lost_units": float(gone["units"].sum()), "stock_lost_cost": float(value.sum())}


def totals(k: Mapping[str, float]) -> dict[str, float]:
    """The total cost (every cost KPI above it) and the cost per delivered order of what
    scales with orders (labour and transport)."""
    total = (
        k["holding_cost"]
        + k["ordering_cost"]
        + k["purchase_cost"]
        + k["transport_cost"]
        + k["shortage_cost"]
        + k["labour_cost"]
        + k["stock_lost_cost"]
    )
    per_order = _ratio(k["labour_cost"] + k["transport_cost"], k["delivered_orders"])
    return {"total_cost": total, "cost_per_order": per_order}


def unit_costs(sc: Scenario) -> pd.Series:
    """Each SKU's unit cost, indexed by SKU id (to value stock, sales and losses)."""
    return pd.Series({s: v.unit_cost for s, v in sc.skus.items()})


def on_time_in_full(cust: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Per customer order (`customer_orders`) promised before `end`: whether it was delivered
    by its promise with nothing lost (the `otif` KPI's share of True)."""
    due = cust[cust["promised"] < end]
    on_time = (due["status"] == "delivered") & (due["delivered"] <= due["promised"])
    return on_time & (due["units_lost"] == 0)


def backlog_days(daily: pd.DataFrame) -> tuple[int, int | None] | None:
    """Row positions of the peak end-of-day backlog of unshipped orders and of the first day
    after it with the backlog back to 5 % of the peak (None if never); None without backlog."""
    level = daily["backlog_orders"].to_numpy(dtype=float)
    if not len(level) or level.max() <= 0:
        return None
    peak = int(level.argmax())
    after = np.nonzero(level[peak:] <= 0.05 * level[peak])[0]
    return peak, peak + int(after[0]) if len(after) else None


def backlog(daily: pd.DataFrame) -> dict[str, float]:
    """Peak end-of-day backlog of unshipped orders, and days from that peak until the backlog
    is back to 5 % of it (NaN if it never is within the run)."""
    days = backlog_days(daily)
    if days is None:
        return {"backlog_peak_orders": 0.0, "backlog_clear_days": 0.0}
    peak, clear = days
    return {
        "backlog_peak_orders": float(daily["backlog_orders"].iloc[peak]),
        "backlog_clear_days": float(clear - peak) if clear is not None else float("nan"),
    }


def customer_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer order: a split order's parts folded into their first, delivered
    when its last part is (parts lost to a stockout aside), cancelled if any part was."""
    parts = orders["split_of"] >= 0
    if not parts.any():
        return orders
    root = orders["split_of"].where(parts, orders["order_id"])
    by = orders.groupby(root, sort=False)
    out = by.agg(
        created=("created", "first"),
        promised=("promised", "first"),
        service=("service", "first"),
        units=("units", "sum"),
        units_from_stock=("units_from_stock", "sum"),
        units_lost=("units_lost", "sum"),
        delivered=("delivered", "max"),
    )
    status = orders["status"].astype(str)
    arrived = (status == "delivered").groupby(root, sort=False).any()
    settled = status.isin(["delivered", "lost"]).groupby(root, sort=False).all()
    cancelled = (status == "cancelled").groupby(root, sort=False).any()
    whole = (arrived & settled).to_numpy()
    out["delivered"] = out["delivered"].where(whole)
    out["status"] = np.where(whole, "delivered", np.where(cancelled, "cancelled", "open"))
    return out.reset_index(drop=True)


def crew_utilization(orders: pd.DataFrame, sc: Scenario, w: Window, role: Role) -> dict[str, float]:
    """Busy person-hours / person-hours on duty in the window, overall and per warehouse, for
    the pickers or the packers (`<role>_utilization[.<warehouse>]`)."""
    out: dict[str, float] = {}
    busy_total = 0.0
    avail_total = 0.0
    lo, hi = np.datetime64(w.begin, "ms"), np.datetime64(w.end, "ms")
    label = role[:-1] + "_utilization"  # pickers -> picker_utilization
    for name, wh in sc.warehouses.items():
        if getattr(wh, role) is None:
            continue
        began, ended, share = station_work(orders[orders["warehouse"] == name], role)
        start = np.clip(began, lo, hi)
        end = np.clip(np.where(np.isnat(ended), hi, ended), lo, hi)
        busy = float((_hours(end - start) * share).sum())
        avail = crew_hours(sc, name, role)
        out[f"{label}.{name}"] = _ratio(busy, avail)
        busy_total += busy
        avail_total += avail
    if out or role == "pickers":  # picker_utilization is always reported (NaN: no pickers)
        out[label] = _ratio(busy_total, avail_total)
    return dict(sorted(out.items(), key=lambda kv: (kv[0] != label, kv[0])))


def receiving(rep: pd.DataFrame, inv: pd.DataFrame, sc: Scenario, w: Window) -> dict[str, float]:
    """Inbound KPIs, where declared: hours from dock to stock, receivers' utilization (units
    put away / units they could put away), units that waited on the dock for storage room,
    and the fullest any warehouse with a storage capacity got."""
    out: dict[str, float] = {}
    crews = {n: wh.receivers for n, wh in sc.warehouses.items() if wh.receivers is not None}
    sizes = {n: wh.storage_capacity for n, wh in sc.warehouses.items() if wh.storage_capacity}
    if not crews and not sizes:
        return out
    came = rep[(rep["received"] >= w.begin) & rep["received"].notna()]
    stocked = came[came["put_away"].notna()]
    out["dock_to_stock_h"] = float(
        _hours((stocked["put_away"] - stocked["received"]).to_numpy()).mean()
        if len(stocked)
        else float("nan")
    )
    if crews:
        done = sum(checked_in_units(rep, n, w) for n in crews)
        can = sum(crew_hours(sc, n, "receivers") * c.units_per_hour for n, c in crews.items())
        out["receiver_utilization"] = _ratio(done, can)
    if sizes:
        out["units_waited_for_room"] = float(came["waited_for_room"].sum())
        fullest = 0.0
        for name, size in sizes.items():
            fullest = max(fullest, stock_peak(inv, name, w) / size)
        out["storage_utilization_peak"] = fullest
    return out


def checked_in_units(rep: pd.DataFrame, warehouse: str, w: Window) -> float:
    """Units the receivers of a warehouse checked in during the window (see
    `resources.receiver_work`: each receipt counts pro rata to its work inside the window)."""
    start, end, units = receiver_work(rep, warehouse)
    lo, hi = np.datetime64(w.begin, "ms"), np.datetime64(w.end, "ms")
    span = _hours(end - start)
    inside = _hours(np.clip(end, lo, hi) - np.clip(start, lo, hi))
    share = np.divide(inside, span, out=(end >= lo).astype(float), where=span > 0)
    return float((units * share).sum())


def level_changes(
    log: pd.DataFrame, value: str, group: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A per-(warehouse, SKU) level log (`inventory`, `levels`: each row holds until the next
    row of its warehouse and SKU) summed over SKUs per warehouse and SKU group: one row per
    change in time order, with `time`, `warehouse`, `group` and `level` (the sum just after
    the change), indexed like `log`. Without `group`, every SKU is in group "all"."""
    log = log.sort_values("time", kind="stable")
    step = log.groupby(["warehouse", "sku"], observed=True, sort=False)[value].diff()
    step = step.fillna(log[value])
    wh = log["warehouse"].astype(str)
    grp = (
        log["sku"].astype(str).map(group)
        if group is not None
        else pd.Series("all", index=log.index, dtype=object)
    )
    level = step.groupby([wh, grp], sort=False).cumsum()
    return pd.DataFrame({"time": log["time"], "warehouse": wh, "group": grp, "level": level})


def stock_total(inv: pd.DataFrame, warehouse: str) -> pd.Series:
    """A warehouse's free stock, all SKUs, after each change of its ledger (indexed like
    `inv`, in time order; a step function)."""
    return level_changes(inv[inv["warehouse"] == warehouse], "on_hand")["level"]


def stock_peak(inv: pd.DataFrame, warehouse: str, w: Window) -> float:
    """The most free stock (all SKUs) a warehouse held at once in the window."""
    total = stock_total(inv, warehouse)
    later = inv.loc[total.index, "time"] >= w.begin
    before = total[~later]
    start = float(before.iloc[-1]) if len(before) else 0.0
    return max(start, float(total[later].max()) if later.any() else start)


def crew_hours(sc: Scenario, warehouse: str, role: Role) -> float:
    """Person-hours on duty of a warehouse crew over the window."""
    times, counts = sc.crew_headcount(warehouse, role)
    duty = FluidLine(times, [float(c) for c in counts])
    return duty.capacity(sc.calendar.warm_up, sc.calendar.horizon)


def courier_utilization(orders: pd.DataFrame, sc: Scenario, w: Window) -> dict[str, float]:
    """Parcels delivered / courier capacity, over the whole days of the window, overall and
    per region with a declared last mile."""
    first = w.begin.ceil("D")
    days = pd.date_range(first, w.end - pd.Timedelta(days=1), freq="D")
    if not len(days):
        return {}
    out: dict[str, float] = {}
    used = capacity = 0.0
    delivered = orders[(orders["delivered"] >= first) & (orders["delivered"] < days[-1] + DAY)]
    for name, region in sc.regions.items():
        if region.last_mile is None:
            continue
        cap = sum(sc.courier_capacity(name, d.date()) for d in days)
        n = float((delivered["region"] == name).sum())
        out[f"courier_utilization.{name}"] = _ratio(n, cap)
        used += n
        capacity += cap
    if out:
        out["courier_utilization"] = _ratio(used, capacity)
    return dict(sorted(out.items(), key=lambda kv: (kv[0] != "courier_utilization", kv[0])))


def truck_utilization(shipments: pd.DataFrame, w: Window) -> dict[str, float]:
    """Units carried / capacity offered by the departures leaving in the window, overall and
    per scheduled lane; departures without a capacity limit offer nothing to measure."""
    leaving = shipments[
        (shipments["departure"] >= w.begin)
        & (shipments["departure"] < w.end)
        & np.isfinite(shipments["capacity"])
    ]
    if leaving.empty:
        return {}
    out: dict[str, float] = {}
    lanes = leaving.groupby(["origin", "destination", "carrier"], observed=True, sort=False)
    for (origin, dest, carrier), trucks in lanes:
        by = "" if carrier == DEFAULT else f":{carrier}"  # a lane's other carrier
        out[f"truck_utilization.{origin}-{dest}{by}"] = _ratio(
            float(trucks["units"].sum()), float(trucks["capacity"].sum())
        )
    out["truck_utilization"] = _ratio(
        float(leaving["units"].sum()), float(leaving["capacity"].sum())
    )
    return dict(sorted(out.items(), key=lambda kv: (kv[0] != "truck_utilization", kv[0])))


def _hours(delta: np.ndarray) -> np.ndarray:
    """Timedeltas (NumPy) as float hours."""
    return np.asarray(delta / np.timedelta64(1, "h"), dtype=float)


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")
