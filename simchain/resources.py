"""Resource use over time (`resources.parquet`): where capacity binds, hour by hour.

Pickers per warehouse and hour: pickers on duty, busy pickers and orders waiting for a picker
(time averages over the hour). Couriers per region and day: capacity and parcels delivered.
Computed from the tables and the scenario, after the run; nothing is recorded for it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario

HOUR = np.timedelta64(3_600_000, "ms")
COLUMNS = ("time", "resource", "kind", "capacity", "used", "utilization", "queue")


def _area(enter: np.ndarray, leave: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Integral, from -inf to each grid time, of how many intervals [enter, leave) are open
    (hours x items); leave NaN = still open."""
    enter = np.sort(enter[~np.isnan(enter)])
    leave = np.sort(leave[~np.isnan(leave)])
    out = np.zeros(len(grid))
    for times, sign in ((enter, 1.0), (leave, -1.0)):
        k = np.searchsorted(times, grid, side="left")
        prefix = np.concatenate([[0.0], np.cumsum(times)])
        out += sign * (k * grid - prefix[k])
    return out


def _step_area(times: list[float], levels: list[int], grid: np.ndarray) -> np.ndarray:
    """Integral from 0 to each grid time of a step function (levels[i] from times[i])."""
    t = np.asarray(times, dtype=float)
    c = np.asarray(levels, dtype=float)
    at_changes = np.concatenate([[0.0], np.cumsum(c[:-1] * np.diff(t))])
    k = np.searchsorted(t, grid, side="right") - 1
    return at_changes[k] + c[k] * (grid - t[k])


def _hours(ts: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((ts - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)


def resources(tables: dict[str, pd.DataFrame], sc: Scenario) -> pd.DataFrame:
    """One row per resource and period: pickers by hour, couriers by day."""
    start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
    horizon = sc.calendar.horizon
    orders = tables["orders"]
    frames = []
    grid = np.arange(0.0, horizon + 1e-9, 1.0)
    if grid[-1] < horizon:
        grid = np.append(grid, horizon)
    width = np.diff(grid)
    for name, wh in sc.warehouses.items():
        if wh.pickers is None:
            continue
        mine = orders[orders["warehouse"] == name]
        went = mine[mine["pick_start"].notna()]
        busy = went[~(went["picked"] <= went["pick_start"])]  # running at the end: still busy
        used = np.diff(
            _area(_hours(busy["pick_start"], start), _hours(busy["picked"], start), grid)
        )
        waited = mine[mine["allocated"].notna() & (mine["status"] != "lost")]
        wait_end = waited["pick_start"].fillna(waited["cancelled"])
        queue = np.diff(_area(_hours(waited["allocated"], start), _hours(wait_end, start), grid))
        capacity = np.diff(_step_area(*sc.picker_headcount(name), grid))
        frames.append(
            pd.DataFrame(
                {
                    "time": start + pd.to_timedelta(grid[:-1], unit="h"),
                    "resource": f"pickers:{name}",
                    "kind": "pickers",
                    "capacity": capacity / width,
                    "used": used / width,
                    "queue": queue / width,
                }
            )
        )
    days = pd.date_range(start, periods=int(np.ceil(horizon / 24)), freq="D")
    done = orders[orders["delivered"].notna()]
    for name, region in sc.regions.items():
        if region.last_mile is None:
            continue
        mine = done[done["region"] == name]
        per_day = mine.groupby(mine["delivered"].dt.floor("D")).size().reindex(days, fill_value=0)
        frames.append(
            pd.DataFrame(
                {
                    "time": days,
                    "resource": f"couriers:{name}",
                    "kind": "couriers",
                    "capacity": [sc.courier_capacity(name, d.date()) for d in days],
                    "used": per_day.to_numpy(dtype=float),
                    "queue": np.nan,
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["utilization"] = out["used"] / out["capacity"]
    out["resource"] = out["resource"].astype("category")
    out["kind"] = out["kind"].astype("category")
    return out[list(COLUMNS)]
