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
from simchain.tables import code_of, codes_of, label_mask
from simchain.window import Days

HOUR = np.timedelta64(3_600_000, "ms")
COLUMNS = ("time", "resource", "kind", "capacity", "used", "utilization", "queue")


STAGES: dict[Role, tuple[str, str, str]] = {
    # station -> (order column when the work starts, when it ends, stage waited from)
    "pickers": ("pick_start", "picked", "allocated"),
    "packers": ("pack_start", "packed", "picked"),
}


def station_work(
    orders: pd.DataFrame, role: Role, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, share of a person) of the work on each order a station started (of the
    `rows`, a mask, if given); end NaT: still running. Orders of one batch tour share its
    picker."""
    begin, end, _ = STAGES[role]
    began = orders[begin].to_numpy()
    went = ~np.isnat(began) if rows is None else rows & ~np.isnat(began)
    if role == "pickers":
        share = 1.0 / orders["tour_orders"].to_numpy()[went].astype(float).clip(min=1)
    else:
        share = np.ones(int(np.count_nonzero(went)))
    return began[went], orders[end].to_numpy()[went], share


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
    """Datetime64 values (NaT allowed) as hours from the start (NaN): one division of whole
    milliseconds, the same number `_hours` gives."""
    return (ts.astype("datetime64[ms]", copy=False) - np.datetime64(start, "ms")) / HOUR


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


class StationLoad:
    """A station's work and the orders waiting for it, over every warehouse at once, in clock
    hours from `start`; `used` and `queue` give one warehouse's share hour by hour."""

    def __init__(self, orders: pd.DataFrame, role: Role, start: pd.Timestamp):
        begin, _, ready = STAGES[role]
        where, self.warehouses = codes_of(orders["warehouse"])
        went = ~np.isnat(orders[begin].to_numpy())
        began, ended, self.share = station_work(orders, role, went)
        self.working_at = where[went]
        self.began, self.ended = _clock(began, start), _clock(ended, start)
        ready_at = orders[ready].to_numpy()
        waited = ~label_mask(orders["status"], "lost") & ~np.isnat(ready_at)
        start_at = orders[begin].to_numpy()[waited]
        wait_end = np.where(np.isnat(start_at), orders["cancelled"].to_numpy()[waited], start_at)
        self.waiting_at = where[waited]
        self.ready, self.wait_end = _clock(ready_at[waited], start), _clock(wait_end, start)

    def used(self, warehouse: str, grid: np.ndarray) -> np.ndarray:
        """Person-hours of work in each period of the grid."""
        mine = self.working_at == code_of(self.warehouses, warehouse)
        return np.diff(_area(self.began[mine], self.ended[mine], grid, self.share[mine]))

    def queue(self, warehouse: str, grid: np.ndarray) -> np.ndarray:
        """Order-hours waited in each period of the grid (orders lost to a stockout aside)."""
        mine = self.waiting_at == code_of(self.warehouses, warehouse)
        return np.diff(_area(self.ready[mine], self.wait_end[mine], grid))


def _stations(
    orders: pd.DataFrame, sc: Scenario, start: pd.Timestamp, grid: np.ndarray
) -> dict[tuple[Role, str], tuple[np.ndarray, np.ndarray]]:
    """(used, queue) by (station, warehouse) of every staffed station, one kind of station
    at a time (its load over all orders is dropped before the next one's is made)."""
    out = {}
    for role in STAGES:
        staffed = [name for name, wh in sc.warehouses.items() if getattr(wh, role) is not None]
        if staffed:
            load = StationLoad(orders, role, start)
            out.update(
                {(role, name): (load.used(name, grid), load.queue(name, grid)) for name in staffed}
            )
            del load
    return out


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
    stations = _stations(orders, sc, start, grid)
    for name, wh in sc.warehouses.items():
        for role in STAGES:
            if (role, name) not in stations:
                continue
            used, queue = stations[role, name]
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
    days = Days(sc)
    if "shipments" in tables and len(tables["shipments"]):
        frames.extend(_trucks(tables["shipments"], days.index))
    delivered = days.of(orders["delivered"].to_numpy())
    for name, region in sc.regions.items():
        if region.last_mile is None:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "time": days.index,
                    "resource": f"couriers:{name}",
                    "kind": "couriers",
                    "capacity": [sc.courier_capacity(name, d.date()) for d in days.index],
                    "used": days.count(delivered, label_mask(orders["region"], name)),
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
