"""Scheduled departures: cut-off times and truck capacity on lanes, checked exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from simchain import simulate
from simchain.model.carriers import Schedule
from simchain.scenario import validate
from simchain.scenario.schema import Departures

START = dt.date(2026, 11, 1)
H = pd.Timedelta(hours=1)
Data = dict[str, Any]


def network(trucks: Data, cutoffs: Data) -> Data:
    """A DC sending transfers to a front warehouse by truck; the front warehouse's parcels
    leave at carrier cut-offs. Constant transit times, so arrivals are exact."""
    return {
        "schema_version": 1,
        "name": "linehaul",
        "calendar": {"start": str(START), "horizon": "20d", "warm_up": "1d"},
        "skus": {"a": {"unit_cost": 5.0, "price": 9.0}, "b": {"unit_cost": 5.0, "price": 9.0}},
        "suppliers": {"vendor": {"lead_time": "2d"}},
        "warehouses": {
            "dc": {
                "replenished_from": "vendor",
                "stocking": {"default": {"kind": "base_stock", "S": 3000}},
            },
            "fdc": {
                "replenished_from": "dc",
                "stocking": {"default": {"kind": "s_S", "s": 40, "S": 150}},
            },
        },
        "regions": {"city": {"served_by": ["fdc"], "demand": {"orders_per_day": 150}}},
        "lanes": {
            "dc": {"fdc": {"transit_time": "5h", "departures": trucks}},
            "fdc": {"city": {"transit_time": "20h", "departures": cutoffs}},
        },
        "events": {"peak": {"start": "2026-11-11", "multiplier": 3.0}},
    }


def clock(ts: pd.Series) -> np.ndarray:
    return ((ts - pd.Timestamp(START)) / H).to_numpy(dtype=float)


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
    res = simulate(validate(network(trucks, cutoffs), "<test>"), seed=5)
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
