"""Disruptions by date: lanes closed or slowed, couriers and pickers cut."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.scenario import validate
from tests.test_carriers import DAY, city

Data = dict[str, Any]


def run(disruption: Data, last_mile: Data | None = None, pickers: Data | None = None) -> Any:
    data = city(last_mile)
    data["events"] = {}
    data["disruptions"] = {"storm": disruption}
    if pickers is not None:
        data["warehouses"]["dc"]["pickers"] = pickers
    return simulate(validate(data, "<test>"), seed=9)


def test_closed_lane_holds_shipments_until_it_reopens() -> None:
    res = run({"start": "2026-11-13", "end": "2026-11-14", "nodes": ["town"], "lanes_closed": True})
    done = res.tables["orders"].dropna(subset=["delivered"])
    held = (done["shipped"] >= "2026-11-13") & (done["shipped"] < "2026-11-15")
    assert held.sum() > 500
    # they leave when the lane reopens (Nov 15, 00:00) and take the 1-day transit
    assert (done.loc[held, "delivered"] == pd.Timestamp("2026-11-16")).all()
    assert (done.loc[~held, "delivered"] - done.loc[~held, "shipped"] == DAY).all()


def test_slowed_lane_stretches_transit_for_departures_in_the_window() -> None:
    res = run({"start": "2026-11-05", "end": "2026-11-05", "nodes": ["dc"], "transit_factor": 2.5})
    done = res.tables["orders"].dropna(subset=["delivered"])
    slow = done["shipped"].dt.floor("D") == pd.Timestamp("2026-11-05")
    assert slow.sum() > 300
    assert (done.loc[slow, "delivered"] - done.loc[slow, "shipped"] == 2.5 * DAY).all()
    assert (done.loc[~slow, "delivered"] - done.loc[~slow, "shipped"] == DAY).all()


def test_courier_cut_lowers_the_days_deliveries() -> None:
    lm = {"couriers": 10, "parcels_per_day": 50}  # 500 a day
    res = run(
        {"start": "2026-11-08", "end": "2026-11-10", "nodes": ["town"], "courier_factor": 0.6},
        last_mile=lm,
    )
    done = res.tables["orders"].dropna(subset=["delivered"])
    per_day = done.groupby(done["delivered"].dt.floor("D")).size()
    for day in pd.date_range("2026-11-08", "2026-11-10"):
        assert per_day[day] == 300  # saturated at 60 % of 500
    assert res.kpis["courier_utilization"] <= 1.0


def test_picker_cut_stops_picking_for_the_day() -> None:
    pickers = {"count": 2, "pick_time": "5min"}
    res = run(
        {"start": "2026-11-07", "end": "2026-11-07", "nodes": ["dc"], "picker_factor": 0.0},
        pickers=pickers,
    )
    o = res.tables["orders"]
    day = o["pick_start"].dt.floor("D") == pd.Timestamp("2026-11-07")
    assert not day.any()
    after = o[o["pick_start"].dt.floor("D") == pd.Timestamp("2026-11-08")]
    assert len(after) >= 2 * 24 * 12 - 2  # the queue keeps both pickers busy all of Nov 8
    # utilization is over the hours on duty: none on Nov 7
    assert 0 < res.kpis["picker_utilization"] < 1


def test_unknown_disruption_node_is_named() -> None:
    data = city(None)
    data["disruptions"] = {"storm": {"start": "2026-11-05", "end": "2026-11-06", "nodes": ["twon"]}}
    with pytest.raises(ScenarioError, match="unknown warehouse or region 'twon'"):
        validate(data, "<test>")
