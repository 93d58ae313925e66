"""The last mile: courier capacity per region and day, peak periods, and its KPIs."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.model.carriers import Couriers
from simchain.model.lines import FluidLine
from simchain.scenario.schema import LastMile
from tests.builders import base_stock, region, scenario, validated, warehouse

Data = dict[str, Any]
START = dt.date(2026, 11, 1)
DAY = pd.Timedelta(days=1)


def city(last_mile: Data | None) -> Data:
    """One DC, ample stock, 400 orders a day and x4 on Nov 11; lane transit exactly 1 day."""
    town = region(400)
    if last_mile is not None:
        town["last_mile"] = last_mile
    return scenario(
        "last_mile",
        start=str(START),
        horizon="30d",
        warm_up="2d",
        warehouses={"dc": warehouse(base_stock(20000))},
        regions={"town": town},
        events={"d11": {"start": "2026-11-11", "multiplier": 4.0}},
    )


# --- the booking rule ------------------------------------------------------------------------


def test_couriers_book_days_in_order_and_spread_overflow() -> None:
    spec = LastMile(couriers=2, parcels_per_day=5.0)  # 10 a day
    c = Couriers(spec.capacity_on, START)
    times = [c.delivery_time(1.0) for _ in range(25)]
    assert times[:10] == [1.0] * 10  # today, on arrival
    assert times[10:20] == pytest.approx([24 + 24 * k / 10 for k in range(10)])  # spread
    assert times[20:] == pytest.approx([48 + 24 * k / 10 for k in range(5)])
    # a parcel reaching the region on day 3 is not held back by the queue of day 2
    assert c.delivery_time(3 * 24 + 5.0) == 3 * 24 + 5.0


def test_capacity_periods_later_entry_wins() -> None:
    spec = LastMile.model_validate(
        {
            "couriers": 50,
            "parcels_per_day": 140,
            "periods": [
                {"start": "2026-11-11", "end": "2026-11-20", "parcels_per_day": 250},
                {"start": "2026-11-11", "end": "2026-11-20", "couriers": 60},
                {"start": "2026-11-14", "end": "2026-11-16", "parcels_per_day": 150},
            ],
        }
    )
    assert spec.capacity_on(dt.date(2026, 11, 10)) == 50 * 140
    assert spec.capacity_on(dt.date(2026, 11, 11)) == 60 * 250
    assert spec.capacity_on(dt.date(2026, 11, 15)) == 60 * 150


def test_fluid_line_through_closures() -> None:
    line = FluidLine([0.0, 10.0, 20.0], [2.0, 0.0, 4.0])  # closed over [10, 20)
    assert line.finish(0.0, 10) == 5.0
    assert line.finish(6.0, 10) == 20.0 + 2 / 4  # 8 units by hour 10, 2 more at rate 4
    assert line.finish(0.0, 4, book=False) == 20.5 + 1.0  # behind the booked work
    assert line.finish(0.0, 4, book=False) == 20.5 + 1.0  # asking books nothing
    assert line.capacity(5.0, 25.0) == 10 + 20


# --- in a run -------------------------------------------------------------------------------


def test_deliveries_never_exceed_daily_capacity_and_the_peak_stretches_delivery() -> None:
    lm = {
        "couriers": 10,
        "parcels_per_day": 50,  # 500 a day against 400 usual, 1,600 on Nov 11
        "periods": [{"start": "2026-11-12", "end": "2026-11-16", "parcels_per_day": 80}],
    }
    res = simulate(validated(city(lm)), seed=4)
    orders = res.tables["orders"]
    assert (orders["status"] == "delivered").mean() > 0.97
    done = orders[orders["delivered"].notna()]
    per_day = done.groupby(done["delivered"].dt.floor("D")).size()
    cap = {
        d: (800 if pd.Timestamp("2026-11-12") <= d <= pd.Timestamp("2026-11-16") else 500)
        for d in per_day.index
    }
    assert all(per_day[d] <= cap[d] for d in per_day.index)
    assert per_day[pd.Timestamp("2026-11-13")] == 800  # saturated after the peak
    # never before the lane transit; exactly the transit when the couriers keep up
    wait = (done["delivered"] - done["shipped"]) / pd.Timedelta(hours=1)
    assert (wait >= 24 - 1e-6).all()
    calm = done[done["shipped"] < "2026-11-08"]
    assert (calm["delivered"] - calm["shipped"] == DAY).mean() > 0.99
    peak = done[done["created"].dt.floor("D") == pd.Timestamp("2026-11-11")]
    calm_days = ((calm["delivered"] - calm["created"]) / DAY).mean()
    assert calm_days == pytest.approx(1.0, abs=1e-3)
    assert ((peak["delivered"] - peak["created"]) / DAY).mean() > calm_days + 0.3
    # KPIs from the same tables
    k = res.kpis
    window = orders[orders["created"] >= pd.Timestamp(START) + 2 * DAY]
    judged = window[window["created"] + pd.Timedelta(hours=48) <= pd.Timestamp("2026-12-01")]
    within = (judged["delivered"] - judged["created"]) <= pd.Timedelta(hours=48)
    assert k["delivered_within_48h"] == pytest.approx(within.mean())
    assert 0.8 < k["courier_utilization"] <= 1.0
    assert k["courier_utilization"] == k["courier_utilization.town"]


def test_without_a_last_mile_delivery_is_the_lane_transit() -> None:
    res = simulate(validated(city(None)), seed=4)
    done = res.tables["orders"].dropna(subset=["delivered"])
    assert (done["delivered"] - done["shipped"] == DAY).all()
    assert "courier_utilization" not in res.kpis


def test_bad_courier_period_is_named() -> None:
    data = copy.deepcopy(city({"couriers": 3, "parcels_per_day": 100}))
    data["regions"]["town"]["last_mile"]["periods"] = [
        {"start": "2026-11-12", "end": "2026-11-10", "couriers": 5}
    ]
    with pytest.raises(ScenarioError, match=r"last_mile\.periods\.0\.end: end is before start"):
        validated(data)
