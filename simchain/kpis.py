"""KPIs: plain functions over the run's tables (never over simulator internals).

Everything is measured over the observation window [start + warm_up, start + horizon): flows
count what was created (orders) or placed (replenishments) in the window; levels are
time-weighted over the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from simchain.model.lines import FluidLine
from simchain.policies.carriers import DEFAULT
from simchain.resources import STAGES, receiver_work, station_work
from simchain.scenario.schema import ROLES, Role, Scenario
from simchain.scorecard import purchases_in_window, score
from simchain.tables import code_of, codes_of, label_mask
from simchain.timebase import DAYS_PER_YEAR
from simchain.window import Window

DAY = pd.Timedelta(days=1)
NAT = np.iinfo(np.int64).min  # NaT as an int64

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
    return time_weighted_levels(log, (value,), window, keys)[value]


def time_weighted_levels(
    log: pd.DataFrame,
    values: tuple[str, ...],
    window: Window,
    keys: tuple[str, ...] = ("warehouse", "sku"),
) -> dict[str, pd.Series]:
    """`time_weighted` of several levels of one log at once (one sort, one grouping); each
    Series is indexed by the keys' labels in sorted order."""
    if log.empty:
        return {v: pd.Series(dtype=float) for v in values}
    position, group_of, index = _key_groups(log, keys)
    t = log["time"].to_numpy()
    # Rows by key (in the order of the categories, as sorting the table orders them), then by
    # time, the log's order kept among equal times.
    if len(t) < 2 or bool((t[1:] >= t[:-1]).all()):
        order = np.argsort(position, kind="stable")
    else:
        order = np.lexsort((t, position))
    group, t = group_of[position[order]], t[order]
    del position
    begin = np.datetime64(window.begin, "ms")
    end = np.datetime64(window.end, "ms")
    until = np.empty_like(t)  # each row holds until the next of its key, or the window's end
    until[:-1] = t[1:]
    until[-1] = end
    changes = group[1:] != group[:-1]
    if group.min() < 0:
        changes |= group[1:] < 0  # a row with a key missing is no row's next
    until[:-1][changes] = end
    del changes
    np.minimum(until, end, out=until)
    np.maximum(t, begin, out=t)
    held = np.subtract(until, t, out=until.view("m8[ms]"))  # in place: no new arrays
    weight = np.divide(held, np.timedelta64(1, "h"), out=t.view(np.float64))
    np.maximum(weight, 0.0, out=weight)
    del until, held, t
    total_h = (end - begin) / np.timedelta64(1, "h")
    if group.min() < 0:
        keep = group >= 0
        order, group, weight = order[keep], group[keep], weight[keep]
    # Grouped by the labels' sorted order, the rows in the order above: the sums are those
    # of grouping the sorted table by the labels themselves.
    by = pd.Series(pd.Categorical.from_codes(group, categories=pd.RangeIndex(len(index))))
    areas = pd.DataFrame({v: log[v].to_numpy()[order] * weight for v in values}, copy=False)
    grouped = areas.groupby(by, observed=True)
    out = {}
    for v in values:
        total = grouped[v].sum()
        out[v] = pd.Series(total.to_numpy(), index=index[total.index.to_numpy()]) / total_h
    return out


def _key_groups(
    log: pd.DataFrame, keys: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Per row, its place among the key combinations as the table sorts them (each key's
    categories in their order, a missing key last); the group of each place: the
    combination's number in the sorted order of the labels (-1: a key missing); and the
    labels by group number (a MultiIndex for several keys)."""
    position = np.zeros(len(log), dtype=np.int64)
    group_of = np.zeros(1, dtype=np.int64)
    levels = []
    for k in keys:
        col = log[k]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, labels = codes_of(col)
        else:  # a plain column sorts by its labels
            codes, uniques = pd.factorize(col, sort=True)
            labels = pd.Index(uniques)
        n = len(labels)
        order = labels.argsort()
        rank = np.empty(n + 1, dtype=np.int64)  # a code's number in label order; -1: missing
        rank[order], rank[n] = np.arange(n), -1
        place = np.where(codes < 0, n, codes) if codes.min(initial=0) < 0 else codes
        position = position * (n + 1) + place
        group_of = np.where(
            (group_of[:, None] < 0) | (rank[None, :] < 0), -1, group_of[:, None] * n + rank
        ).ravel()
        levels.append(labels[order])
    if len(group_of) < 2**15:
        position = position.astype(np.int16)  # a stable sort of 16-bit keys is a radix sort
        group_of = group_of.astype(np.int16)
    index = levels[0] if len(keys) == 1 else pd.MultiIndex.from_product(levels)
    return position, group_of, index


def compute(tables: dict[str, pd.DataFrame], sc: Scenario) -> dict[str, float]:
    """The KPI table of one run (metric -> value); see the README for definitions. The order
    of the keys is the order of kpis.csv's rows: service, stock, costs, then utilizations."""
    w = Window.of(sc)
    orders = tables["orders"]
    inv = tables["inventory"]
    rep = tables["replenishments"]
    obs = Rows(orders, orders["created"].to_numpy() >= w.begin.to_datetime64())
    cust = CustomerOrders.of(obs)  # a split order's parts count once from here on
    lines = tables["order_lines"]
    obs_lines = Rows(lines, obs.holds(lines["order_id"]))
    k = service(obs, cust, tables.get("returns"), sc, w)
    k.update(delivery(cust, w))
    k.update(stock(inv, obs, lines, sc, w))
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


@dataclass(frozen=True, eq=False)
class Rows:
    """Some rows of a table, as a boolean mask: a column is read through it (those rows of
    that one column), never a copy of the whole table."""

    table: pd.DataFrame
    mask: np.ndarray

    def __len__(self) -> int:
        return int(np.count_nonzero(self.mask))

    def values(self, col: str) -> np.ndarray:
        """The rows' values of a numeric or time column."""
        return self.table[col].to_numpy()[self.mask]

    def codes(self, col: str) -> np.ndarray:
        """The rows' codes of a column of labels (-1: missing); see `tables.codes_of`."""
        return codes_of(self.table[col])[0][self.mask]

    def label(self, col: str, label: str) -> np.ndarray:
        """Which of the rows have `label` in column `col`."""
        return label_mask(self.table[col], label)[self.mask]

    def total(self, col: str) -> float:
        return _total(self.values(col))

    def narrowed(self, keep: np.ndarray) -> Rows:
        """Those of the rows where `keep` (over the whole table) holds."""
        return Rows(self.table, self.mask & keep)

    @cached_property
    def _found(self) -> np.ndarray:
        """Whether each order id is among the rows' `order_id`s, by id."""
        ids = self.values("order_id")
        found = np.zeros(int(ids.max(initial=-1)) + 1, dtype=bool)
        found[ids] = True
        return found

    def holds(self, ids: pd.Series) -> np.ndarray:
        """Whether each of `ids` is the `order_id` of one of the rows (as `Series.isin`)."""
        wanted = ids.to_numpy()
        mine = self.values("order_id")
        if len(mine) and mine.min() < 0:
            return np.isin(wanted, mine)
        found = self._found
        inside = (wanted >= 0) & (wanted < len(found))
        out = np.zeros(len(wanted), dtype=bool)
        out[inside] = found[wanted[inside]]
        return out


def _total(values: np.ndarray) -> float:
    """A column's sum as pandas makes it: NaN counts as nothing, integers add exactly."""
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if missing.any():
            values = np.where(missing, 0.0, values)
        return float(values.sum())
    return float(values.sum(dtype=np.int64))


def _per_row(col: pd.Series, by_label: Mapping[str, float] | pd.Series) -> np.ndarray:
    """A number per row, looked up by the row's label (NaN: a label not in `by_label`)."""
    codes, labels = codes_of(col)
    table = pd.Series(by_label, dtype=float).reindex(labels).to_numpy(dtype=float)
    return np.append(table, np.nan)[codes]  # code -1 (missing): the NaN at the end


@dataclass(frozen=True, eq=False)
class CustomerOrders:
    """One row per customer order, as arrays (see `customer_orders`): a split order's parts
    folded into their first, delivered when its last part is (parts lost to a stockout
    aside), cancelled if any part was."""

    created: np.ndarray
    promised: np.ndarray
    service: np.ndarray  # codes of `services`
    services: pd.Index
    units: np.ndarray
    units_from_stock: np.ndarray
    units_lost: np.ndarray
    delivered: np.ndarray  # NaT unless delivered (whole)
    is_delivered: np.ndarray
    is_cancelled: np.ndarray

    def __len__(self) -> int:
        return len(self.created)

    @classmethod
    def of(cls, rows: Rows) -> CustomerOrders:
        """The customer orders of some order rows (a split order's parts are all among them
        or none: they are created at once), in the order of their first rows."""
        times = {c: rows.values(c) for c in ("created", "promised", "delivered")}
        counts = {c: rows.values(c) for c in ("units", "units_from_stock", "units_lost")}
        service, services = rows.codes("service"), codes_of(rows.table["service"])[1]
        delivered = rows.label("status", "delivered")
        cancelled = rows.label("status", "cancelled")
        split_of = rows.values("split_of")
        parts = split_of >= 0
        if not parts.any():
            return cls(**times, **counts, service=service, services=services,
                       is_delivered=delivered, is_cancelled=cancelled)  # fmt: skip
        root = np.where(parts, split_of, rows.values("order_id"))
        group = pd.factorize(root)[0]  # numbered in order of first appearance
        n = int(group.max()) + 1
        seen = np.maximum.accumulate(group)
        first = np.flatnonzero(np.concatenate([[True], group[1:] > seen[:-1]]))
        last = np.full(n, NAT, dtype=np.int64)  # NaT is the least int64: the max skips it
        np.maximum.at(last, group, times["delivered"].view(np.int64))
        arrived = np.bincount(group[delivered], minlength=n) > 0
        unsettled = ~(delivered | rows.label("status", "lost"))
        whole = arrived & (np.bincount(group[unsettled], minlength=n) == 0)
        summed = {c: np.bincount(group, v, minlength=n).astype(np.int64) for c, v in counts.items()}
        return cls(
            created=times["created"][first],
            promised=times["promised"][first],
            service=service[first],
            services=services,
            **summed,
            delivered=np.where(whole, last, NAT).view(times["delivered"].dtype),
            is_delivered=whole,
            is_cancelled=~whole & (np.bincount(group[cancelled], minlength=n) > 0),
        )

    def on_time_in_full(self, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Which orders were promised before `end`, and of those, which were delivered by
        their promise with nothing lost."""
        due = self.promised < end.to_datetime64()
        on_time = self.is_delivered[due] & (self.delivered[due] <= self.promised[due])
        return due, on_time & (self.units_lost[due] == 0)


def service(
    obs: Rows, cust: CustomerOrders, returns: pd.DataFrame | None, sc: Scenario, w: Window
) -> dict[str, float]:
    """Customer service of the orders created in the window (`obs`, and `cust`: the same as
    customer orders): demand, fill rates, on time in full (per service class when the
    scenario has classes), and the units lost, backordered and returned."""
    k: dict[str, float] = {}
    units = obs.total("units")
    k["orders"] = float(len(cust))
    k["units_demanded"] = units
    k["fill_rate"] = _ratio(obs.total("units_from_stock"), units)
    k["order_fill_rate"] = _ratio(
        float(np.count_nonzero(cust.units_from_stock == cust.units)), len(cust)
    )
    if sc.routing.split:
        split_of = obs.values("split_of")
        k["split_orders"] = float(len(np.unique(split_of[split_of >= 0])))
    due, otif = cust.on_time_in_full(w.end)
    k["otif"] = _ratio(float(otif.sum()), len(otif))
    if any(r.service_classes for r in sc.regions.values()):
        classes = cust.service[due]
        for code, name in enumerate(cust.services):
            hit = otif[classes == code]
            if len(hit):
                k[f"otif.{name}"] = _ratio(float(hit.sum()), len(hit))
    k["lost_sales_units"] = obs.total("units_lost")
    k["backordered_units"] = obs.total("units_backordered")
    k["cancelled_orders"] = float(np.count_nonzero(cust.is_cancelled))
    k["presale_orders"] = float(np.count_nonzero(obs.codes("presale_event") >= 0))
    k["returned_units"] = (
        _total(returns["units"].to_numpy()[obs.holds(returns["order_id"])])
        if returns is not None
        else 0.0
    )
    return k


def delivery(cust: CustomerOrders, w: Window) -> dict[str, float]:
    """How fast customer orders arrived: delivered orders, their cycle times (mean, median,
    95th percentile), and the share delivered within 48 and 72 hours of those that had that
    long before the window's end."""
    k: dict[str, float] = {}
    done = cust.is_delivered
    cycle = _hours(cust.delivered[done] - cust.created[done])
    k["delivered_orders"] = float(len(cycle))
    k["cycle_time_mean_h"] = float(cycle.mean()) if len(cycle) else float("nan")
    k["cycle_time_p50_h"] = float(np.percentile(cycle, 50)) if len(cycle) else float("nan")
    k["cycle_time_p95_h"] = float(np.percentile(cycle, 95)) if len(cycle) else float("nan")
    for within in (48, 72):
        span = np.timedelta64(within, "h")
        judged = cust.created + span <= w.end.to_datetime64()
        fast = cust.delivered[judged] - cust.created[judged] <= span
        k[f"delivered_within_{within}h"] = _ratio(float(fast.sum()), len(fast))
    return k


def stock(
    inv: pd.DataFrame, obs: Rows, lines: pd.DataFrame, sc: Scenario, w: Window
) -> dict[str, float]:
    """Time-weighted stock and backorders over the window, inventory turns (cost of the units
    sold to the window's orders, a year of it, over the average stock's value) and the cost
    of holding that stock."""
    k: dict[str, float] = {}
    levels = time_weighted_levels(inv, ("on_hand", "customer_backorders", "backorders"), w)
    on_hand, backorders = levels["on_hand"], levels["customer_backorders"]
    k["avg_on_hand_units"] = float(on_hand.sum())
    k["avg_backorder_units"] = float(backorders.sum())
    k["avg_transfer_backorder_units"] = float(levels["backorders"].sum() - backorders.sum())
    unit_cost = unit_costs(sc)
    hold_day = pd.Series({s: sc.holding_cost_per_day(s) for s in sc.skus})
    sku_of = on_hand.index.get_level_values(1) if len(on_hand) else pd.Index([])
    avg_value = float((on_hand.to_numpy() * unit_cost.reindex(sku_of).to_numpy()).sum())
    sold = obs.narrowed(~np.isnat(obs.table["shipped"].to_numpy()))
    sold_lines = Rows(lines, sold.holds(lines["order_id"]))
    served = sold_lines.values("units") - sold_lines.values("lost")
    cogs = _total(served * _per_row(lines["sku"], unit_cost)[sold_lines.mask])
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
    obs: Rows,
    obs_lines: Rows,
    rep: pd.DataFrame,
    avg_backorder_units: float,
    sc: Scenario,
    w: Window,
) -> dict[str, float]:
    """Transport (customer orders and the replenishments shipped in the window), shortage
    (lost sales and the time-weighted backorders) and labour (crews on duty) costs."""
    k: dict[str, float] = {}
    moved = rep[(rep["shipped"] >= w.begin) & rep["received"].notna()]
    k["transport_cost"] = float(obs.total("transport_cost") + moved["transport_cost"].sum())
    lost_sale = _per_row(obs_lines.table["sku"], {s: sc.lost_sale_cost(s) for s in sc.skus})
    lost_cost = obs_lines.values("lost") * lost_sale[obs_lines.mask]
    k["shortage_cost"] = float(
        _total(lost_cost) + avg_backorder_units * sc.costs.backorder_cost_per_unit_day * w.days
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
    if not (orders["split_of"] >= 0).any():
        return orders
    c = CustomerOrders.of(Rows(orders, np.ones(len(orders), dtype=bool)))
    status = np.where(c.is_delivered, "delivered", np.where(c.is_cancelled, "cancelled", "open"))
    return pd.DataFrame(
        {
            "created": c.created,
            "promised": c.promised,
            "service": pd.Categorical.from_codes(c.service, categories=c.services),
            "units": c.units,
            "units_from_stock": c.units_from_stock,
            "units_lost": c.units_lost,
            "delivered": c.delivered,
            "status": status,
        }
    )


def crew_utilization(orders: pd.DataFrame, sc: Scenario, w: Window, role: Role) -> dict[str, float]:
    """Busy person-hours / person-hours on duty in the window, overall and per warehouse, for
    the pickers or the packers (`<role>_utilization[.<warehouse>]`)."""
    out: dict[str, float] = {}
    busy_total = 0.0
    avail_total = 0.0
    lo, hi = np.datetime64(w.begin, "ms"), np.datetime64(w.end, "ms")
    label = role[:-1] + "_utilization"  # pickers -> picker_utilization
    where, warehouses = codes_of(orders["warehouse"])
    went = ~np.isnat(orders[STAGES[role][0]].to_numpy())
    began, ended, share = station_work(orders, role, went)
    start = np.clip(began, lo, hi)
    end = np.clip(np.where(np.isnat(ended), hi, ended), lo, hi)
    busy_by_order = _hours(end - start) * share
    where = where[went]
    for name, wh in sc.warehouses.items():
        if getattr(wh, role) is None:
            continue
        code = code_of(warehouses, name)
        busy = float(busy_by_order[where == code].sum())
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
    at = orders["delivered"].to_numpy()
    inside = (at >= first.to_datetime64()) & (at < (days[-1] + DAY).to_datetime64())
    region, regions = codes_of(orders["region"])
    per_region = np.bincount(region[inside & (region >= 0)], minlength=len(regions))
    for name, spec in sc.regions.items():
        if spec.last_mile is None:
            continue
        cap = sum(sc.courier_capacity(name, d.date()) for d in days)
        code = code_of(regions, name)
        n = float(per_region[code]) if code >= 0 else 0.0
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
