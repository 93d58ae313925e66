"""Carrier choice: a lane's own (default) carrier and its other carriers; each policy picks
as it says, and a parcel then travels exactly as its carrier does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from tests.builders import region, scenario, validated
from tests.frames import hours_from

START = dt.date(2026, 5, 4)
HOUR = pd.Timedelta(hours=1)
CUTOFFS = (11.0, 23.0)
Data = dict[str, Any]


def lane_with_express(
    choice: str, economy: str = "48h", capacity: float | None = None, **region_fields: Any
) -> Data:
    express: Data = {
        "transit_time": "12h",
        "cost_per_unit": 12.0,
        "cost_per_parcel": 3.0,
        "departures": {"times": ["11h", "23h"]},
        "own_couriers": True,
    }
    if capacity is not None:
        express["departures"]["capacity"] = capacity
    return scenario(
        "express",
        start=str(START),
        horizon="20d",
        warm_up="2d",
        regions={
            "town": region(
                120,
                promised_within="72h",
                service_classes={
                    "premium": {"share": 0.3, "promised_within": "24h", "carrier": "express"}
                },
                last_mile={"couriers": 1, "parcels_per_day": 1000},
                **region_fields,
            )
        },
        lanes={
            "dc": {
                "town": {
                    "transit_time": economy,
                    "cost_per_unit": 2.5,
                    "cost_per_parcel": 0.5,
                    "carriers": {"express": express},
                }
            }
        },
        carrier_choice={"kind": choice},
    )


def run(data: Data, seed: int = 1) -> dict[str, pd.DataFrame]:
    res = simulate(validated(data), seed=seed)
    return res.tables


def hours(ts: pd.Series) -> np.ndarray:
    return hours_from(START, ts)


def next_cutoff(t: np.ndarray) -> np.ndarray:
    """The first express departure at or after each clock time."""
    day = np.floor(t / 24)
    tod = t - 24 * day
    out = np.full(len(t), np.inf)
    for c in sorted(CUTOFFS, reverse=True):
        out = np.where(tod <= c + 1e-9, 24 * day + c, out)
    return np.where(np.isinf(out), 24 * (day + 1) + min(CUTOFFS), out)


def test_by_service_premium_rides_express_and_travels_as_it_does() -> None:
    o = run(lane_with_express("by_service"))["orders"]
    done = o[o["delivered"].notna()]
    premium = done["service"] == "premium"
    assert premium.mean() == pytest.approx(0.3, abs=0.03)
    assert (done.loc[premium, "carrier"] == "express").all()
    assert (done.loc[~premium, "carrier"] == "default").all()
    shipped = hours(done["shipped"])
    delivered = hours(done["delivered"])
    express = (done["carrier"] == "express").to_numpy()
    # express: the next cut-off, then 12 h, delivered by its own couriers
    assert np.allclose(delivered[express], next_cutoff(shipped[express]) + 12, atol=1e-6)
    # default: 48 h transit, then the region's couriers (never short here: same day)
    assert np.allclose(delivered[~express], shipped[~express] + 48, atol=1e-6)
    units = done["units"].to_numpy()
    cost = np.where(express, 12.0 * units + 3.0, 2.5 * units + 0.5)
    assert np.allclose(done["transport_cost"], cost)


def test_cheapest_and_fastest() -> None:
    cheap = run(lane_with_express("cheapest"))["orders"]
    assert (cheap.loc[cheap["shipped"].notna(), "carrier"] == "default").all()
    # Economy takes 20 h: express is faster exactly when its next cut-off is < 8 h away.
    fast = run(lane_with_express("fastest", economy="20h"))["orders"]
    went = fast[fast["shipped"].notna()]
    t = hours(went["shipped"])
    wait = next_cutoff(t) - t
    chose_express = (went["carrier"] == "express").to_numpy()
    clear = np.abs(wait - 8) > 1e-6
    assert (chose_express[clear] == (wait[clear] < 8)).all()
    assert 0.2 < chose_express.mean() < 0.8
    # Same demand whatever the carrier policy.
    assert (cheap["created"] == fast["created"]).all()


def test_capacity_aware_takes_the_cheapest_in_time_and_respects_room() -> None:
    """Everything is promised within 24 h; economy (30 h) never makes it, express (12 h after
    a cut-off) does when a departure in time has room (10 parcels): express fills its trucks
    with parcels it can deliver in time, the rest goes economy (the cheaper when the promise
    is lost anyway), and the express trucks never carry more than their room."""
    data = lane_with_express("capacity_aware", economy="30h", capacity=10)
    data["regions"]["town"]["promised_within"] = "24h"
    tables = run(data)
    o, trucks = tables["orders"], tables["shipments"]
    went = o[o["shipped"].notna()]
    express = went[went["carrier"] == "express"]
    assert len(express) > 50 and (went["carrier"] == "default").sum() > 50
    # Express is taken only when it arrives in time (then it does, to the minute).
    sent = express[express["delivered"].notna()]
    assert (sent["delivered"] <= sent["promised"]).all()
    ex = trucks[trucks["carrier"] == "express"]
    assert (ex["units"] <= ex["capacity"]).all()
    assert (ex["units"] == 10).mean() > 0.8  # busy departures leave full
    # An order sent economy found no express departure with room that would arrive in time:
    # every express departure between its hand-over and its promise - 12 h was full.
    leave = hours(ex["departure"])
    full = (ex["units"] >= ex["capacity"]).to_numpy()
    for _, row in went[went["carrier"] == "default"].head(200).iterrows():
        t0, latest = hours(pd.Series([row["shipped"], row["promised"]]))
        usable = (leave >= t0 - 1e-9) & (leave + 12 <= latest + 1e-9)
        assert full[usable].all(), row["order_id"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["regions"]["town"]["service_classes"]["premium"].update(carrier="exprs"),
            "offers carrier 'exprs'",
        ),
        (
            lambda d: d["lanes"]["dc"]["town"]["carriers"].update(default={"transit_time": "1d"}),
            "the lane's own carrier",
        ),
        (lambda d: d.update(carrier_choice={"kind": "quickest"}), "carrier_choice"),
    ],
)
def test_bad_carrier_input_is_named(change: Any, message: str) -> None:
    data = lane_with_express("by_service")
    change(data)
    with pytest.raises(ScenarioError, match=message):
        validated(data)


def test_resources_table_rows_for_trucks() -> None:
    """Trucks by lane and day: the room offered and units carried per day of departure, as
    in shipments.parquet."""
    data = lane_with_express("capacity_aware", economy="30h", capacity=10)
    tables = run(data)
    r = tables["resources"]
    rows = r[r["resource"] == "trucks:dc-town:express"]
    assert len(rows) == 20
    trucks = tables["shipments"]
    ex = trucks[trucks["carrier"] == "express"]
    per_day = ex.groupby(ex["departure"].dt.floor("D"))
    days = rows["time"]  # the run's days (a truck loaded for after the horizon is not one)
    by_day = rows.set_index("time")
    assert (by_day["capacity"] == per_day["capacity"].sum().reindex(days)).all()
    assert (by_day["used"] == per_day["units"].sum().reindex(days)).all()
    assert rows["capacity"].eq(20).all()  # two departures a day, 10 parcels each
