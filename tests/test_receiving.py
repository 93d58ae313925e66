"""Receiving: receivers check receipts in first in, first out at their rate; goods count as
stock only once put away; a storage capacity holds what does not fit on the dock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from tests.builders import product, region, scenario, validated, warehouse
from tests.frames import hours_from

START = dt.date(2026, 3, 2)
T0 = pd.Timestamp(START)
HOUR = pd.Timedelta(hours=1)
Data = dict[str, Any]


def dock(**fields: Any) -> Data:
    """One warehouse buying two SKUs in lots of 300 with a 2-day lead time."""
    return scenario(
        "dock",
        start=str(START),
        horizon="40d",
        warm_up="5d",
        skus={"a": product(4.0, 9.0), "b": product(6.0, 12.0)},
        suppliers={"vendor": {"lead_time": "2d"}},
        warehouses={
            "dc": warehouse(
                {"kind": "r_Q", "r": 150, "Q": 300},
                initial_stock={"a": 200, "b": 200},
                **fields,
            )
        },
        regions={"town": region(90, demand={"units_per_line": {"dist": "geometric", "mean": 2}})},
    )


def hours(ts: pd.Series) -> np.ndarray:
    return hours_from(START, ts)


def test_receivers_check_in_first_in_first_out_at_their_rate() -> None:
    """With one receiver at 40 units/h round the clock, each receipt is checked in when the
    one before it is done (or when it arrives) plus quantity / 40 h, exactly."""
    sc = validated(dock(receivers={"count": 1, "units_per_hour": 40}))
    rep = simulate(sc, seed=4).tables["replenishments"]
    got = rep[rep["received"].notna()].sort_values("received", kind="stable")
    assert len(got) > 20
    free = -np.inf
    expected = []
    for received, quantity in zip(hours(got["received"]), got["quantity"], strict=True):
        free = max(free, received) + quantity / 40
        expected.append(free)
    assert np.allclose(hours(got["checked_in"]), expected, atol=1e-6)
    # No storage limit: in stock as soon as checked in, all of it.
    assert (got["put_away"] == got["checked_in"]).all()
    assert (got["stocked"] == got["quantity"]).all()
    assert (got["waited_for_room"] == 0).all()


def test_goods_count_as_stock_only_once_put_away() -> None:
    """On-hand rises (other than by a cancellation, of which there are none) only at a
    put-away instant, by that receipt's units net of what its backorders took."""
    sc = validated(dock(receivers={"count": 1, "units_per_hour": 25}))
    res = simulate(sc, seed=6)
    rep = res.tables["replenishments"]
    inv = res.tables["inventory"].sort_values(["sku", "time"], kind="stable")
    got = rep[rep["put_away"].notna()]
    delayed = got[got["put_away"] > got["received"] + pd.Timedelta(minutes=1)]
    assert len(delayed) > 10  # the receivers really are a queue here
    for sku, mine in inv.groupby("sku", observed=True):
        rises = mine[mine["on_hand"].diff() > 0]
        theirs = set(got.loc[got["sku"] == sku, "put_away"])
        assert set(rises["time"]) <= theirs, sku
        # the units are on order until put away: never on hand and on order at once
        arrived = got[got["sku"] == sku]
        for _, row in arrived.head(5).iterrows():
            before = mine[mine["time"] < row["put_away"]].iloc[-1]
            assert before["on_order"] >= row["quantity"], (sku, row["order_id"])


def test_storage_capacity_holds_inbound_on_the_dock() -> None:
    """Free stock never exceeds the capacity; what does not fit waits on the dock in arrival
    order and comes in as stock leaves; the KPIs report it."""
    cap = 450
    sc = validated(dock(storage_capacity=cap))
    res = simulate(sc, seed=2)
    inv = res.tables["inventory"].sort_values("time", kind="stable")
    step = inv.groupby("sku", observed=True)["on_hand"].diff().fillna(inv["on_hand"])
    total = step.cumsum().to_numpy()
    assert total.max() <= cap
    rep = res.tables["replenishments"]
    got = rep[rep["received"].notna()]
    waited = got[got["waited_for_room"] > 0]
    assert len(waited) > 5
    assert (waited["put_away"].isna() | (waited["put_away"] > waited["received"])).all()
    done = got[got["put_away"].notna()].sort_values("received", kind="stable")
    # first come, first stocked: put-away times never overtake in arrival order
    assert done["put_away"].is_monotonic_increasing
    k = res.kpis
    window = got["received"] >= T0 + 5 * 24 * HOUR
    assert k["units_waited_for_room"] == got.loc[window, "waited_for_room"].sum()
    later = inv["time"] >= T0 + 5 * 24 * HOUR
    assert k["storage_utilization_peak"] == pytest.approx(
        max(total[later.to_numpy()].max(), total[~later.to_numpy()][-1]) / cap
    )
    assert k["storage_utilization_peak"] <= 1.0
    stocked = got[got["put_away"].notna() & window]
    assert k["dock_to_stock_h"] == pytest.approx(
        hours(stocked["put_away"]).mean() - hours(stocked["received"]).mean()
    )
    # Against the same run without the limit (same demand): less stock, never better service.
    free = simulate(validated(dock()), seed=2).kpis
    assert free["orders"] == k["orders"]
    assert k["avg_on_hand_units"] < free["avg_on_hand_units"]
    assert k["fill_rate"] <= free["fill_rate"]


def test_receiver_utilization_and_littles_law_at_the_dock() -> None:
    """Utilization = units checked in / units the receivers could check in (work pro rata
    over the window); the time-average units at the dock = arrival rate x mean wait."""
    rate = 30.0
    sc = validated(dock(receivers={"count": 1, "units_per_hour": rate}))
    res = simulate(sc, seed=8)
    rep = res.tables["replenishments"]
    got = rep[rep["checked_in"].notna()].sort_values("checked_in", kind="stable")
    end = hours(got["checked_in"])
    start = np.maximum(hours(got["received"]), np.concatenate([[-np.inf], end[:-1]]))
    lo, hi = 5 * 24.0, 40 * 24.0
    # the receiver works at full rate from start to end of each receipt
    assert np.allclose((end - start) * rate, got["quantity"], atol=1e-6)
    busy = (np.clip(end, lo, hi) - np.clip(start, lo, hi)).sum()
    assert res.kpis["receiver_utilization"] == pytest.approx(busy / (hi - lo), rel=1e-9)
    # Little's law over the run, units at the dock (received, not yet in stock).
    arrived = rep[rep["received"].notna()]
    enter = hours(arrived["received"])
    leave = np.minimum(hours(arrived["put_away"].fillna(T0 + 40 * 24 * HOUR)), 40 * 24.0)
    units = arrived["quantity"].to_numpy(dtype=float)
    grid = np.arange(0, 40 * 24.0, 0.01) + 0.005
    level = np.array([(units * ((enter <= t) & (leave > t))).sum() for t in grid[::50]])
    little_l = (units * (leave - enter)).sum() / (40 * 24.0)
    assert level.mean() == pytest.approx(little_l, rel=0.05)
    assert little_l > 5


def test_daily_units_on_dock() -> None:
    sc = validated(dock(receivers={"count": 1, "units_per_hour": 20}))
    res = simulate(sc, seed=1)
    rep = res.tables["replenishments"]
    daily = res.tables["daily"]
    got = rep[rep["received"].notna()]
    for _, day in daily.iloc[::7].iterrows():
        end = day["date"] + pd.Timedelta(days=1)
        there = (got["received"] < end) & ~(got["put_away"] < end)
        assert day["units_on_dock"] == (got["quantity"] - got["rejected"])[there].sum()


@pytest.mark.parametrize(
    ("warehouse", "message"),
    [
        ({"receivers": {"count": 1}}, "units_per_hour"),
        ({"receivers": {"units_per_hour": 10}}, "either count"),
        ({"storage_capacity": 0}, "greater than 0"),
        ({"priority": "vip"}, "priority"),
    ],
)
def test_bad_receiving_input_is_named(warehouse: Data, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        validated(dock(**warehouse))


def test_resources_table_rows_for_receivers() -> None:
    """Hourly receivers: capacity = on duty x rate; what they did adds up to the units
    checked in and matches the utilization KPI over the window; the dock queue obeys
    Little's law (time-average units waiting = units x mean wait / hours)."""
    rate = 30.0
    sc = validated(dock(receivers={"count": 1, "units_per_hour": rate}))
    res = simulate(sc, seed=8)
    r = res.tables["resources"]
    rc = r[r["resource"] == "receivers:dc"]
    assert len(rc) == 40 * 24 and (rc["capacity"] == rate).all()
    rep = res.tables["replenishments"]
    checked = rep[rep["checked_in"].notna()]
    assert rc["used"].sum() == pytest.approx((checked["quantity"] - checked["rejected"]).sum())
    assert (rc["used"] <= rc["capacity"] + 1e-9).all()
    window = rc["time"] >= T0 + 5 * 24 * HOUR
    assert rc.loc[window, "used"].sum() / rc.loc[window, "capacity"].sum() == pytest.approx(
        res.kpis["receiver_utilization"]
    )
    came = rep[rep["received"].notna()]
    end = T0 + 40 * 24 * HOUR
    wait = (came["checked_in"].fillna(end).clip(upper=end) - came["received"]) / HOUR
    units = (came["quantity"] - came["rejected"]).to_numpy()
    assert rc["queue"].mean() == pytest.approx((units * wait).sum() / (40 * 24), rel=1e-6)
