"""Daily KPI time series (`daily.parquet`): the peak and its backlog, day by day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario
from simchain.tables import label_mask
from simchain.window import Days


def daily(tables: dict[str, pd.DataFrame], sc: Scenario) -> pd.DataFrame:
    """One row per calendar day of the run.

    Flows by the day they happen: orders created, units demanded, pre-sale orders, orders
    shipped, delivered, cancelled, lost, units returned back. Levels at the end of the day:
    `backlog_orders` (created, not yet shipped, cancelled or lost), split into
    `backlog_awaiting_stock`, `backlog_awaiting_pick` (waiting for or in picking),
    `backlog_awaiting_pack` (picked, waiting for or in packing), and
    `in_transit` (shipped, not yet delivered); `units_on_dock` (received, the receipt not yet
    wholly put away). Service by order day:
    `fill_rate` (units from stock / units of the orders created that day), `mean_cycle_time_h`
    of the orders created that day that were delivered.
    """
    orders = tables["orders"]
    days = Days(sc)
    day = {c: days.of(orders[c].to_numpy()) for c in ("created", "shipped", "delivered")}
    day["cancelled"] = days.of(orders["cancelled"].to_numpy())
    created = day["created"]
    out = pd.DataFrame({"date": days.index})
    out["orders"] = days.count(created)
    out["units_demanded"] = days.count(created, orders["units"].to_numpy())
    out["presale_orders"] = days.count(created, orders["presale_event"].notna().to_numpy())
    out["orders_shipped"] = days.count(day["shipped"])
    out["orders_delivered"] = days.count(day["delivered"])
    out["orders_cancelled"] = days.count(day["cancelled"])
    lost = label_mask(orders["status"], "lost")
    out["orders_lost"] = days.count(created, lost)
    returns = tables.get("returns")
    if returns is not None and len(returns):
        back = days.of(returns["back"].to_numpy())
        out["units_returned"] = days.count(back, returns["units"].to_numpy())
    else:
        out["units_returned"] = 0.0
    closed = out["orders_shipped"] + out["orders_cancelled"] + out["orders_lost"]
    out["backlog_orders"] = (out["orders"] - closed).cumsum()
    for name, level in _backlog_stages(orders, day, lost, days).items():
        out[name] = level
    out["units_on_dock"] = _on_dock(tables.get("replenishments"), days)
    served = days.count(created, orders["units_from_stock"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fill_rate"] = served / out["units_demanded"].to_numpy()
    out["mean_cycle_time_h"] = _mean_cycle_time(orders, days)
    return out


def _backlog_stages(
    orders: pd.DataFrame, day: dict[str, np.ndarray], lost: np.ndarray, days: Days
) -> dict[str, np.ndarray]:
    """Where the backlog is at the end of each day (orders lost to a stockout aside): waiting
    for stock, for a picker (or being picked), for a packer, and parcels on their way."""

    def code(col: str) -> np.ndarray:
        return day[col] if col in day else days.of(orders[col].to_numpy())

    def or_else(first: np.ndarray, then: np.ndarray) -> np.ndarray:
        return np.where(first == days.nat, then, first)

    allocated, picked, cancelled = code("allocated"), code("picked"), code("cancelled")
    stages = {
        "backlog_awaiting_stock": (code("created"), or_else(allocated, cancelled)),
        "backlog_awaiting_pick": (allocated, or_else(picked, cancelled)),
        "backlog_awaiting_pack": (picked, code("packed")),
        "in_transit": (code("shipped"), code("delivered")),
    }
    return {name: _level_at(days, enter, leave, lost) for name, (enter, leave) in stages.items()}


def _level_at(days: Days, enter: np.ndarray, leave: np.ndarray, left_out: np.ndarray) -> np.ndarray:
    """How many items (day codes of entering and leaving) have entered before each day's end
    and not left before it (an item leaving at midnight counts on the new day, as the daily
    flows do); items that never entered, or `left_out`, are not counted."""
    enter = np.where(left_out, days.nat, enter)
    leave = np.where(enter == days.nat, days.nat, leave)
    return (days.by_end(enter) - days.by_end(leave)).astype(float)


def _on_dock(rep: pd.DataFrame | None, days: Days) -> np.ndarray | float:
    """Units at the dock (received, not yet put away) at each day's end."""
    if rep is None or not len(rep):
        return 0.0
    accepted = (rep["quantity"] - rep["rejected"]).to_numpy()
    received, put_away = days.of(rep["received"].to_numpy()), days.of(rep["put_away"].to_numpy())
    came = days.count(received, accepted)
    went = days.count(np.where(received == days.nat, days.nat, put_away), accepted)
    return np.cumsum(came - went)


def _mean_cycle_time(orders: pd.DataFrame, days: Days) -> np.ndarray:
    """Mean hours from creation to delivery of the orders created each day and delivered."""
    delivered = orders["delivered"].to_numpy()
    done = ~np.isnat(delivered)
    created = orders["created"].to_numpy()[done]
    cycle = pd.Series(delivered[done] - created, copy=False).dt.total_seconds() / 3600.0
    # grouped by creation day: as codes of a categorical (from the first day any was
    # created), the groups and their order those of the days themselves
    day = days.number(created)
    first = int(day.min(initial=0))
    by = pd.Categorical.from_codes(
        day - first, categories=pd.RangeIndex(first, day.max(initial=0) + 1)
    )
    mean = cycle.groupby(pd.Series(by), observed=True).mean()
    return mean.reindex(range(days.n)).to_numpy()
