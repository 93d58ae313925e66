"""Pickers in shifts: the headcount timeline, picks only by pickers on duty, no idle picker
while orders wait, and utilization against the hours on duty."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.scenario.schema import Pickers
from tests.builders import base_stock, region, scenario, validated, warehouse

START = dt.date(2026, 11, 1)
Data = dict[str, Any]


def staffed(pickers: Data) -> Data:
    pick_time = {"dist": "exponential", "mean": "20min"}
    return scenario(
        "shifts",
        start=str(START),
        horizon="12d",
        warm_up="1d",
        warehouses={"dc": warehouse(base_stock(5000), pickers={"pick_time": pick_time, **pickers})},
        regions={"town": region(150)},
    )


SHIFTS = {
    "shifts": [
        {"start": "8h", "length": "8h", "count": 2},
        {"start": "22h", "length": "4h", "count": 1},  # across midnight
    ],
    "periods": [{"start": "2026-11-05", "end": "2026-11-06", "factor": 2.5}],
}


def test_headcount_timeline() -> None:
    p = Pickers.model_validate({**SHIFTS, "pick_time": "10min"})
    times, counts = p.headcount(START, 7 * 24)
    step = dict(zip(times, counts, strict=True))
    assert step[0.0] == 1 and step[2.0] == 0  # the night shift begun the day before
    assert step[8.0] == 2 and step[16.0] == 0 and step[22.0] == 1 and step[26.0] == 0
    # Nov 5 (day 4): x2.5 rounds 2 -> 5 and 1 -> 2 (half to even: 2.5 -> 2)
    assert step[4 * 24 + 8] == 5 and step[4 * 24 + 22] == 2
    assert step[4 * 24 + 26] == 0  # Nov 5's night shift ends on Nov 6 at 2h
    assert step[6 * 24 + 8] == 2  # back to normal on Nov 7
    assert all(b > a for a, b in itertools.pairwise(times))
    assert Pickers.model_validate({"count": 3, "pick_time": "1min"}).headcount(START, 48) == (
        [0.0],
        [3],
    )


def on_duty(times: list[float], counts: list[int], at: np.ndarray) -> np.ndarray:
    i = np.searchsorted(np.asarray(times), at, side="right") - 1
    return np.asarray(counts)[i]


def test_picks_follow_the_shifts_and_no_picker_idles_while_orders_wait() -> None:
    sc = validated(staffed(SHIFTS))
    res = simulate(sc, seed=3)
    o = res.tables["orders"]
    o = o[o["pick_start"].notna()]
    h = pd.Timedelta(hours=1)
    t0 = pd.Timestamp(START)
    start = ((o["pick_start"] - t0) / h).to_numpy()
    end = ((o["picked"].fillna(t0 + 12 * 24 * h) - t0) / h).to_numpy()
    allocated = ((o["allocated"] - t0) / h).to_numpy()
    assert sc.warehouses["dc"].pickers is not None
    times, counts = sc.warehouses["dc"].pickers.headcount(START, 12 * 24)
    duty = on_duty(times, counts, start)
    # Every pick starts with a picker on duty, and never more picks than pickers then.
    in_progress = np.array([((start <= t) & (end > t)).sum() for t in start])
    assert (in_progress <= duty).all()
    # An order that waited started when a pick finished or a shift began, never otherwise.
    events = set(np.round(end, 6)) | set(np.round(times, 6))
    waited = start > allocated + 1e-9
    assert waited.sum() > 100
    assert all(round(t, 6) in events for t in start[waited])
    # Orders wait overnight: the queue is served from 8h.
    assert (np.mod(start[waited], 24) >= 8 - 1e-6).mean() > 0.3
    # Utilization = busy picker-hours / hours on duty in the window.
    lo, hi = 24.0, 12 * 24.0
    busy = (np.clip(end, lo, hi) - np.clip(start, lo, hi)).sum()
    grid = np.arange(lo, hi, 1 / 60)
    duty_hours = on_duty(times, counts, grid).sum() / 60
    assert res.kpis["picker_utilization"] == pytest.approx(busy / duty_hours, rel=2e-3)


def test_count_or_shifts_not_both() -> None:
    for pickers in ({"count": 2, **SHIFTS}, {}):
        with pytest.raises(ScenarioError, match="either count"):
            validated(staffed(pickers))
    bad = {**SHIFTS, "periods": [{"start": "2026-11-05", "end": "2026-11-01"}]}
    with pytest.raises(ScenarioError, match="end is before start"):
        validated(staffed(bad))


def test_resources_table_and_littles_law_for_the_picking_queue() -> None:
    """Hourly pickers on duty match the shifts; busy picker-hours match the utilization KPI;
    the time-average queue L equals arrival rate x mean wait (Little's law), over the run."""
    sc = validated(staffed(SHIFTS))
    res = simulate(sc, seed=5)
    r = res.tables["resources"]
    r = r[r["resource"] == "pickers:dc"]
    assert len(r) == 12 * 24
    assert sc.warehouses["dc"].pickers is not None
    times, counts = sc.warehouses["dc"].pickers.headcount(START, 12 * 24)
    hours = np.arange(12 * 24) + 0.5
    assert np.allclose(r["capacity"], on_duty(times, counts, hours))
    window = r["time"] >= pd.Timestamp(START) + pd.Timedelta(days=1)
    busy = r.loc[window, "used"].sum()
    assert busy / r.loc[window, "capacity"].sum() == pytest.approx(
        res.kpis["picker_utilization"], rel=1e-6
    )
    # pickers leaving a shift finish the order in hand: some hours use more than capacity
    assert (r["used"] > r["capacity"] + 1e-9).any()
    o = res.tables["orders"]
    h = pd.Timedelta(hours=1)
    q = o[o["allocated"].notna() & (o["status"] != "lost")]
    end = pd.Timestamp(START) + 12 * 24 * h
    left = q["pick_start"].fillna(q["cancelled"]).fillna(end).clip(upper=end)
    wait = ((left - q["allocated"]) / h).to_numpy()
    horizon_h = 12 * 24.0
    little_l = r["queue"].mean()  # time-average number waiting over the run
    assert little_l == pytest.approx(len(q) / horizon_h * wait.mean(), rel=1e-6)
    assert little_l > 1  # the overnight queue is real


def test_labour_cost_is_hours_on_duty_times_the_rate() -> None:
    """Labour is paid for hours on duty in the window, busy or not, and enters total cost and
    the cost per delivered order."""
    data = staffed({**SHIFTS, "cost_per_hour": 30.0})
    sc = validated(data)
    k = simulate(sc, seed=2).kpis
    assert sc.warehouses["dc"].pickers is not None
    times, counts = sc.warehouses["dc"].pickers.headcount(START, 12 * 24)
    grid = np.arange(24.0, 12 * 24.0, 1 / 60)
    duty_hours = on_duty(times, counts, grid).sum() / 60
    assert k["labour_cost"] == pytest.approx(30.0 * duty_hours, rel=2e-3)
    parts = ("holding", "ordering", "purchase", "transport", "shortage", "labour")
    assert k["total_cost"] == pytest.approx(sum(k[f"{p}_cost"] for p in parts))
    assert k["cost_per_order"] == pytest.approx(
        (k["labour_cost"] + k["transport_cost"]) / k["delivered_orders"]
    )
    unpaid = simulate(validated(staffed(SHIFTS)), seed=2).kpis
    assert unpaid["labour_cost"] == 0.0
    assert unpaid["fill_rate"] == k["fill_rate"]  # the rate changes the bill, not the run
