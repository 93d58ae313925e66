"""Daily KPI time series (`daily.parquet`): the peak and its backlog, day by day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario


def _count_by_day(
    times: pd.Series, days: pd.DatetimeIndex, weights: pd.Series | None = None
) -> np.ndarray:
    valid = times.notna()
    day = times[valid].dt.floor("D")
    w = weights[valid] if weights is not None else pd.Series(1.0, index=day.index)
    return w.groupby(day).sum().reindex(days, fill_value=0).to_numpy(dtype=float)


def _level_at(enter: pd.Series, leave: pd.Series, at: np.ndarray) -> np.ndarray:
    """How many items have entered before t and not left before t, at each time t (an item
    leaving exactly at midnight counts on the new day, as the daily flows do)."""
    came = np.sort(enter.dropna().to_numpy())
    went = np.sort(leave[enter.notna()].dropna().to_numpy())
    return (np.searchsorted(came, at, side="left") - np.searchsorted(went, at, side="left")).astype(
        float
    )


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
    start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
    n_days = int(np.ceil(sc.calendar.horizon / 24))
    days = pd.date_range(start, periods=n_days, freq="D")
    out = pd.DataFrame({"date": days})
    out["orders"] = _count_by_day(orders["created"], days)
    out["units_demanded"] = _count_by_day(orders["created"], days, orders["units"])
    out["presale_orders"] = _count_by_day(orders["created"][orders["presale_event"].notna()], days)
    out["orders_shipped"] = _count_by_day(orders["shipped"], days)
    out["orders_delivered"] = _count_by_day(orders["delivered"], days)
    out["orders_cancelled"] = _count_by_day(orders["cancelled"], days)
    lost = orders["status"] == "lost"
    out["orders_lost"] = _count_by_day(orders["created"][lost], days)
    returns = tables.get("returns")
    if returns is not None and len(returns):
        out["units_returned"] = _count_by_day(returns["back"], days, returns["units"])
    else:
        out["units_returned"] = 0.0
    closed = out["orders_shipped"] + out["orders_cancelled"] + out["orders_lost"]
    out["backlog_orders"] = (out["orders"] - closed).cumsum()
    # Where the backlog is at the end of each day: waiting for stock, for a picker (or being
    # picked), and parcels on their way.
    ends = (days + pd.Timedelta(days=1)).to_numpy()
    live = orders[orders["status"] != "lost"]
    stages = {
        "backlog_awaiting_stock": (
            live["created"],
            live["allocated"].fillna(live["cancelled"]),
        ),
        "backlog_awaiting_pick": (live["allocated"], live["picked"].fillna(live["cancelled"])),
        "backlog_awaiting_pack": (live["picked"], live["packed"]),
        "in_transit": (live["shipped"], live["delivered"]),
    }
    for name, (enter, leave) in stages.items():
        out[name] = _level_at(enter, leave, ends)
    rep = tables.get("replenishments")
    if rep is not None and len(rep):
        # Units at the dock (received, not yet put away) at each day's end.
        docked = rep[rep["received"].notna()]
        came = _count_by_day(docked["received"], days, docked["quantity"] - docked["rejected"])
        stocked = docked[docked["put_away"].notna()]
        went = _count_by_day(stocked["put_away"], days, stocked["quantity"] - stocked["rejected"])
        out["units_on_dock"] = np.cumsum(came - went)
    else:
        out["units_on_dock"] = 0.0
    served = _count_by_day(orders["created"], days, orders["units_from_stock"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fill_rate"] = served / out["units_demanded"].to_numpy()
    done = orders[orders["delivered"].notna()]
    cycle = (done["delivered"] - done["created"]).dt.total_seconds() / 3600.0
    mean_cycle = cycle.groupby(done["created"].dt.floor("D")).mean()
    out["mean_cycle_time_h"] = mean_cycle.reindex(days).to_numpy()
    return out
