"""Resource use over time (`resources.parquet`): where capacity binds, hour by hour.

Pickers and packers per warehouse and hour: people on duty, busy people and orders waiting
for one (time averages over the hour; a batch tour's picker counts once, shared among its
orders). Couriers per region and day: capacity and parcels delivered.
Computed from the tables and the scenario, after the run; nothing is recorded for it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simchain.scenario.schema import Role, Scenario

HOUR = np.timedelta64(3_600_000, "ms")
COLUMNS = ("time", "resource", "kind", "capacity", "used", "utilization", "queue")


STAGES: dict[Role, tuple[str, str, str]] = {
    # station -> (order column when the work starts, when it ends, stage waited from)
    "pickers": ("pick_start", "picked", "allocated"),
    "packers": ("pack_start", "packed", "picked"),
}


def station_work(orders: pd.DataFrame, role: Role) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, share of a person) of the work on each order a station started; end NaT:
    still running. Orders of one batch tour share its picker."""
    begin, end, _ = STAGES[role]
    went = orders[orders[begin].notna()]
    if role == "pickers":
        share = 1.0 / went["tour_orders"].to_numpy(dtype=float).clip(min=1)
    else:
        share = np.ones(len(went))
    return went[begin].to_numpy(), went[end].to_numpy(), share


def receiver_work(rep: pd.DataFrame, warehouse: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, units) of the receivers' work on each receipt checked in at a warehouse:
    first in, first out at full rate, from when the receipt before it was done (or it
    arrived) until its check-in; rejected units are not checked in."""
    mine = rep[(rep["destination"] == warehouse) & rep["checked_in"].notna()]
    mine = mine.sort_values("checked_in", kind="stable")
    end = mine["checked_in"].to_numpy()
    came = mine["received"].to_numpy()
    start = np.maximum(came, np.concatenate([came[:1], end[:-1]]))
    units = (mine["quantity"] - mine["rejected"]).to_numpy(dtype=float)
    return start, end, units


def _area(
    enter: np.ndarray, leave: np.ndarray, grid: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Integral, from -inf to each grid time, of the (weighted) number of intervals
    [enter, leave) open (hours x items); leave NaN = still open."""
    w = np.ones(len(enter)) if weight is None else np.asarray(weight, dtype=float)
    out = np.zeros(len(grid))
    for times, sign in ((enter, 1.0), (leave, -1.0)):
        keep = ~np.isnan(times)
        order = np.argsort(times[keep], kind="stable")
        t, wt = times[keep][order], w[keep][order]
        k = np.searchsorted(t, grid, side="left")
        mass = np.concatenate([[0.0], np.cumsum(wt)])
        moment = np.concatenate([[0.0], np.cumsum(wt * t)])
        out += sign * (mass[k] * grid - moment[k])
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


def _clock(ts: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Datetime64 values (NaT allowed) as hours from the start (NaN)."""
    return _hours(pd.Series(ts, dtype="datetime64[ms]"), start)


def _receivers(
    rep: pd.DataFrame, sc: Scenario, name: str, start: pd.Timestamp, grid: np.ndarray
) -> pd.DataFrame:
    """Receivers by hour, in units: what they could check in, what they did (each receipt's
    work spread over its span), and the units waiting on the dock for them."""
    width = np.diff(grid)
    began, ended, units = receiver_work(rep, name)
    t0, t1 = _clock(began, start), _clock(ended, start)
    rate = np.divide(units, t1 - t0, out=np.zeros(len(units)), where=t1 > t0)
    used = np.diff(_area(t0, t1, grid, rate))
    done = units[t1 <= t0]  # checked in the instant they came: at the hour they did
    if len(done):
        used += np.histogram(t1[t1 <= t0], bins=grid, weights=done)[0]
    came = rep[(rep["destination"] == name) & rep["received"].notna()]
    waiting = (came["quantity"] - came["rejected"]).to_numpy(dtype=float)
    queue = np.diff(
        _area(_hours(came["received"], start), _hours(came["checked_in"], start), grid, waiting)
    )
    crew = sc.warehouses[name].receivers
    assert crew is not None
    per_hour = crew.units_per_hour
    capacity = np.diff(_step_area(*sc.crew_headcount(name, "receivers"), grid)) * per_hour
    return pd.DataFrame(
        {
            "time": start + pd.to_timedelta(grid[:-1], unit="h"),
            "resource": f"receivers:{name}",
            "kind": "receivers",
            "capacity": capacity / width,
            "used": used / width,
            "queue": queue / width,
        }
    )


def _trucks(shipments: pd.DataFrame, days: pd.DatetimeIndex) -> list[pd.DataFrame]:
    """Trucks by lane and day of departure: room offered and units carried."""
    frames = []
    lanes = shipments.groupby(["origin", "destination", "carrier"], observed=True, sort=False)
    for (origin, dest, carrier), trucks in lanes:
        day = trucks["departure"].dt.floor("D")
        by = "" if carrier == "default" else f":{carrier}"
        frames.append(
            pd.DataFrame(
                {
                    "time": days,
                    "resource": f"trucks:{origin}-{dest}{by}",
                    "kind": "trucks",
                    "capacity": trucks["capacity"].groupby(day).sum().reindex(days, fill_value=0),
                    "used": trucks["units"].groupby(day).sum().reindex(days, fill_value=0),
                    "queue": np.nan,
                }
            ).reset_index(drop=True)
        )
    return frames


def resources(tables: dict[str, pd.DataFrame], sc: Scenario) -> pd.DataFrame:
    """One row per resource and period: pickers, packers and receivers by hour, couriers
    and trucks by day."""
    start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
    horizon = sc.calendar.horizon
    orders = tables["orders"]
    frames = []
    grid = np.arange(0.0, horizon + 1e-9, 1.0)
    if grid[-1] < horizon:
        grid = np.append(grid, horizon)
    width = np.diff(grid)
    for name, wh in sc.warehouses.items():
        mine = orders[orders["warehouse"] == name]
        for role, (begin, _, ready) in STAGES.items():
            if getattr(wh, role) is None:
                continue
            began, ended, share = station_work(mine, role)
            used = np.diff(_area(_clock(began, start), _clock(ended, start), grid, share))
            waited = mine[mine[ready].notna() & (mine["status"] != "lost")]
            wait_end = waited[begin].fillna(waited["cancelled"])
            queue = np.diff(_area(_hours(waited[ready], start), _hours(wait_end, start), grid))
            capacity = np.diff(_step_area(*sc.crew_headcount(name, role), grid))
            frames.append(
                pd.DataFrame(
                    {
                        "time": start + pd.to_timedelta(grid[:-1], unit="h"),
                        "resource": f"{role}:{name}",
                        "kind": role,
                        "capacity": capacity / width,
                        "used": used / width,
                        "queue": queue / width,
                    }
                )
            )
        if wh.receivers is not None:
            frames.append(_receivers(tables["replenishments"], sc, name, start, grid))
    days = pd.date_range(start, periods=int(np.ceil(horizon / 24)), freq="D")
    if "shipments" in tables and len(tables["shipments"]):
        frames.extend(_trucks(tables["shipments"], days))
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
