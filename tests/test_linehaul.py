"""Scheduled departures: cut-off times and truck capacity on lanes, checked exactly."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.model import compiled
from simchain.model.agenda import Agenda
from simchain.model.carriers import Schedule
from simchain.scenario.schema import Departures
from tests.builders import base_stock, product, region, scenario, validated, warehouse
from tests.frames import hours_from

START = dt.date(2026, 11, 1)
H = pd.Timedelta(hours=1)
Data = dict[str, Any]


def network(trucks: Data, cutoffs: Data, truck_transit: Any = "5h") -> Data:
    """A DC sending transfers to a front warehouse by truck; the front warehouse's parcels
    leave at carrier cut-offs. Constant transit times (by default), so arrivals are exact."""
    return scenario(
        "linehaul",
        start=str(START),
        horizon="20d",
        warm_up="1d",
        skus={"a": product(), "b": product()},
        suppliers={"vendor": {"lead_time": "2d"}},
        warehouses={
            "dc": warehouse(base_stock(3000)),
            "fdc": warehouse({"kind": "s_S", "s": 40, "S": 150}, replenished_from="dc"),
        },
        regions={"city": region(150, served_by="fdc")},
        lanes={
            "dc": {"fdc": {"transit_time": truck_transit, "departures": trucks}},
            "fdc": {"city": {"transit_time": "20h", "departures": cutoffs}},
        },
        events={"peak": {"start": "2026-11-11", "multiplier": 3.0}},
    )


def clock(ts: pd.Series) -> np.ndarray:
    return hours_from(START, ts)


def departures(times: list[float], days: int) -> np.ndarray:
    return np.array(sorted(d * 24 + t for d in range(days + 2) for t in times))


def test_schedule_books_in_order_and_splits_large_shipments() -> None:
    spec = Departures.model_validate({"times": ["6h", "18h"], "capacity": 100})
    s = Schedule(spec, START)
    assert s.book(0.0, 60) == [(6.0, 60)]
    assert s.book(1.0, 60) == [(6.0, 40), (18.0, 20)]  # split over two trucks
    assert s.book(2.0, 30) == [(18.0, 30)]
    assert s.book(7.0, 250) == [(18.0, 50), (30.0, 100), (42.0, 100)]
    assert s.book(100.0, 1) == [(102.0, 1)]


def test_cutoffs_and_trucks_give_exact_arrivals_and_respect_capacity() -> None:
    trucks = {"times": ["6h", "18h"], "capacity": 150}
    cutoffs = {"times": ["11h", "23h"]}
    res = simulate(validated(network(trucks, cutoffs)), seed=5)
    # Parcels: each leaves at the first cut-off at or after it is handed over, 20 h transit.
    o = res.tables["orders"].dropna(subset=["delivered"])
    shipped, delivered = clock(o["shipped"]), clock(o["delivered"])
    cut = departures([11.0, 23.0], 21)
    leave = cut[np.searchsorted(cut, shipped - 1e-9)]
    assert np.allclose(delivered, leave + 20, atol=1e-5)
    assert len(o) > 2000
    # Transfers: each part arrives 5 h after a truck departure at or after it was handed over.
    rep = res.tables["replenishments"]
    tr = rep[(rep["kind"] == "transfer") & rep["received"].notna()]
    left = clock(tr["received"]) - 5.0
    trucks_at = departures([6.0, 18.0], 21)
    on_truck = np.isclose(left[:, None], trucks_at[None, :], atol=1e-5).any(axis=1)
    assert on_truck.all() and (left >= clock(tr["shipped"]) - 1e-5).all()
    load = tr.groupby(np.round(left, 4))["quantity"].sum()
    assert load.max() <= 150 and (load == 150).sum() >= 3  # the peak fills trucks
    # Work-conserving: a part that missed a truck found every earlier truck since it was
    # ready full.
    for s, lv in zip(clock(tr["shipped"]), left, strict=True):
        for t in trucks_at[(trucks_at >= s - 1e-9) & (trucks_at < lv - 1e-6)]:
            assert load.get(round(t, 4), 0) == 150, (s, lv, t)


TRUCKS = {"times": ["6h", "18h"], "capacity": 150}
CUTOFFS = {"times": ["11h", "23h"]}
RANDOM = {"dist": "uniform", "low": "3h", "high": "9h"}


def lane(res: Any, origin: str, destination: str) -> pd.DataFrame:
    sh = res.tables["shipments"]
    return sh[(sh["origin"] == origin) & (sh["destination"] == destination)]


def transfers(res: Any) -> pd.DataFrame:
    rep = res.tables["replenishments"]
    return rep[(rep["kind"] == "transfer") & rep["received"].notna()]


def test_every_truck_arrives_its_transit_after_it_leaves() -> None:
    res = simulate(validated(network(TRUCKS, CUTOFFS)), seed=5)
    trucks, parcels = lane(res, "dc", "fdc"), lane(res, "fdc", "city")
    # The timetable: every departure before the horizon has a row, loaded or not.
    assert np.allclose(clock(trucks["scheduled"])[:40], departures([6.0, 18.0], 19)[:40])
    assert (trucks["scheduled"] < pd.Timestamp(START) + 20 * 24 * H).sum() == 40
    assert (trucks["departure"] == trucks["scheduled"]).all()
    for rows, transit in ((trucks, 5.0), (parcels, 20.0)):
        loaded = rows[rows["units"] > 0]
        assert (clock(loaded["arrival"]) == clock(loaded["departure"]) + transit).all()
        assert rows.loc[rows["units"] == 0, "arrival"].isna().all()
        assert (rows.loc[rows["units"] == 0, "shipments"] == 0).all()
    assert (trucks["units"] <= 150).all() and (trucks["units"] == 150).sum() >= 3
    assert np.isinf(parcels["capacity"]).all()
    # Loads split over trucks: a transfer received in parts from different trucks.
    tr = transfers(res)
    assert (tr.groupby("order_id")["received"].nunique() > 1).any()
    # Each truck's load is exactly what the front warehouse received at its arrival.
    got = tr.groupby("received")["quantity"].agg(["sum", "size"])
    arrived = trucks[trucks["arrival"] <= pd.Timestamp(START) + 20 * 24 * H]
    arrived = arrived.set_index("arrival")
    assert got["sum"].to_dict() == arrived["units"].to_dict()
    assert got["size"].to_dict() == arrived["shipments"].to_dict()
    # Each parcel truck carries exactly the orders delivered at its arrival.
    o = res.tables["orders"]
    assert parcels["units"].sum() == o["shipped"].notna().sum()
    per_arrival = o.groupby("delivered").size()
    p = parcels[parcels["arrival"].isin(per_arrival.index)].set_index("arrival")["units"]
    assert p.to_dict() == per_arrival.to_dict()


def test_loads_aboard_one_truck_arrive_together_with_random_transit() -> None:
    sc = validated(network(TRUCKS, CUTOFFS, RANDOM))
    res = simulate(sc, seed=11)
    trucks = lane(res, "dc", "fdc")
    loaded = trucks[trucks["units"] > 0]
    transit = clock(loaded["arrival"]) - clock(loaded["departure"])
    assert ((transit >= 3) & (transit <= 9)).all() and len(np.unique(transit)) > 10
    # Every receipt arrives with a truck; a truck's loads arrive at one instant, together.
    tr = transfers(res)
    arrivals = set(loaded["arrival"])
    assert set(tr["received"]) <= arrivals
    got = tr.groupby("received")["quantity"].sum()
    assert (got == loaded.set_index("arrival")["units"].reindex(got.index)).all()
    # Same seed, same trucks.
    again = lane(simulate(sc, seed=11), "dc", "fdc")
    pd.testing.assert_frame_equal(trucks, again)


def test_a_departure_keeps_its_transit_draw_whatever_the_policy() -> None:
    """The k-th departure takes the k-th draw of the lane's stream (common random numbers)."""
    base = network(TRUCKS, CUTOFFS, RANDOM)
    other = network(TRUCKS, CUTOFFS, RANDOM)
    other["warehouses"]["fdc"]["stocking"]["default"] = {"kind": "s_S", "s": 90, "S": 400}
    runs = [lane(simulate(validated(d), seed=3), "dc", "fdc") for d in (base, other)]
    a, b = (r.set_index("scheduled") for r in runs)
    both = a.index[(a["units"] > 0) & (b["units"] > 0).reindex(a.index, fill_value=False)]
    assert len(both) >= 10
    assert not a.loc[both, "units"].equals(b.loc[both, "units"])  # the policy matters...
    transit_a = a.loc[both, "arrival"] - a.loc[both, "departure"]
    transit_b = b.loc[both, "arrival"] - b.loc[both, "departure"]
    assert (transit_a == transit_b).all()  # ...but not to the trucks' transit


def test_truck_utilization_is_units_over_capacity_of_the_window_departures() -> None:
    res = simulate(validated(network(TRUCKS, CUTOFFS)), seed=5)
    # By hand: 19 days in the window, two trucks of 150 a day; a truck leaving at t arrives
    # at t + 5 h, before the horizon.
    tr = transfers(res)
    left = clock(tr["received"]) - 5.0
    carried = tr["quantity"][(left >= 24) & (left < 20 * 24)].sum()
    assert res.kpis["truck_utilization"] == pytest.approx(carried / (19 * 2 * 150), abs=1e-12)
    assert res.kpis["truck_utilization.dc-fdc"] == res.kpis["truck_utilization"]
    assert "truck_utilization.fdc-city" not in res.kpis  # cut-offs without capacity
    # Without scheduled lanes: no trucks, no truck KPIs.
    data = network(TRUCKS, CUTOFFS)
    for dests in data["lanes"].values():
        for spec in dests.values():
            del spec["departures"]
    plain = simulate(validated(data), seed=5)
    assert plain.tables["shipments"].empty
    assert not [k for k in plain.kpis if k.startswith("truck_utilization")]


@pytest.mark.skipif(
    compiled(),
    reason="counts the agenda's calls by patching it, which compiled callers do not see; "
    "make test runs it again on the model's sources",
)
def test_a_truck_is_one_event_whatever_it_carries(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduled: Counter[str] = Counter()
    schedule = Agenda.schedule

    def counting(self: Agenda, delay: float, value: Any, callback: Any) -> None:
        scheduled[callback.__name__] += 1
        schedule(self, delay, value, callback)

    monkeypatch.setattr(Agenda, "schedule", counting)
    res = simulate(validated(network(TRUCKS, CUTOFFS)), seed=5)
    sh = res.tables["shipments"]
    assert scheduled["_unloaded"] == (sh["units"] > 0).sum()
    assert scheduled["_delivered"] == 0  # no last mile: parcels are handed over by their truck
    purchases = res.tables["replenishments"]["kind"] == "purchase"
    assert scheduled["_arrived"] == res.tables["replenishments"]["order_id"][purchases].nunique()
    assert sh["shipments"].sum() > 10 * scheduled["_unloaded"]


def test_couriers_book_parcels_for_their_truck_arrival() -> None:
    data = network(TRUCKS, CUTOFFS)
    data["regions"]["city"]["last_mile"] = {"couriers": 1, "parcels_per_day": 150}
    res = simulate(validated(data), seed=5)
    parcels = lane(res, "fdc", "city")
    o = res.tables["orders"].dropna(subset=["delivered"])
    shipped = clock(o["shipped"])
    cut = departures([11.0, 23.0], 21)
    arrival = cut[np.searchsorted(cut, shipped - 1e-9)] + 20
    late = clock(o["delivered"]) > arrival + 1e-6
    assert (clock(o["delivered"]) >= arrival - 1e-6).all()
    assert late.sum() > 100  # the peak overflows the couriers
    per_day = o.groupby(o["delivered"].dt.floor("D")).size()
    assert per_day.max() <= 150
    assert parcels["units"].sum() == res.tables["orders"]["shipped"].notna().sum()
