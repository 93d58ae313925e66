"""Disruptions by date or at random: lanes closed or slowed, couriers and pickers cut,
demand shocked, stock destroyed."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.demand import DemandProfile, RegionDemand
from simchain.disruptions import resolve
from simchain.errors import ScenarioError
from simchain.output import write_run
from simchain.scenario import load_text
from simchain.streams import Streams
from tests.builders import validated
from tests.test_carriers import DAY, city

Data = dict[str, Any]


def run(disruption: Data, last_mile: Data | None = None, pickers: Data | None = None) -> Any:
    data = city(last_mile)
    data["events"] = {}
    data["disruptions"] = {"storm": disruption}
    if pickers is not None:
        data["warehouses"]["dc"]["pickers"] = pickers
    return simulate(validated(data), seed=9)


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
    with pytest.raises(ScenarioError, match="unknown warehouse, region or supplier 'twon'"):
        validated(data)


# --- supplier lead times ----------------------------------------------------------------------


def test_lead_time_factor_stretches_purchases_placed_in_the_window() -> None:
    """Vendor lead time exactly 1 day, x3 for orders placed Nov 6-8: those are due (and
    arrive) 3 days after they leave, the rest 1 day; the same orders are placed up to the
    window, so the lead-time draws do not shift (common random numbers)."""
    storm = {"start": "2026-11-06", "end": "2026-11-08", "nodes": ["vendor"], "lead_time_factor": 3}
    slow, plain = run(storm), run({**storm, "nodes": ["dc"], "lead_time_factor": 1})
    rep = slow.tables["replenishments"]
    rep = rep[rep["kind"] == "purchase"].dropna(subset=["received"])
    inside = (rep["placed"] >= "2026-11-06") & (rep["placed"] < "2026-11-09")
    assert inside.sum() >= 3
    assert (rep.loc[inside, "received"] - rep.loc[inside, "shipped"] == 3 * DAY).all()
    assert (rep.loc[~inside, "received"] - rep.loc[~inside, "shipped"] == DAY).all()
    before = plain.tables["replenishments"]
    early = before["placed"] < "2026-11-06"
    assert rep[rep["placed"] < "2026-11-06"]["quantity"].tolist() == (
        before.loc[early & (before["kind"] == "purchase"), "quantity"].tolist()
    )


@pytest.mark.parametrize(
    ("disruption", "where", "message"),
    [
        ({"nodes": ["dc"], "lead_time_factor": 2}, "storm.lead_time_factor", "add a supplier id"),
        ({"nodes": ["vendor"]}, "storm.nodes.0", "only through lead_time_factor"),
        (
            {"nodes": ["vendor"], "lead_time_factor": 2, "lanes_closed": True},
            "storm.lanes_closed",
            "nodes names only suppliers",
        ),
    ],
)
def test_lead_time_factor_needs_a_supplier(disruption: Data, where: str, message: str) -> None:
    data = city(None)
    data["disruptions"] = {"storm": {"start": "2026-11-05", "end": "2026-11-06", **disruption}}
    with pytest.raises(ScenarioError, match=message) as err:
        validated(data)
    assert where in str(err.value)


# --- demand shocks ----------------------------------------------------------------------------


def two_towns() -> Data:
    """The city scenario with a second, identical region ("village") that no shock hits."""
    data = city(None)
    data["events"] = {}
    data["regions"]["village"] = copy.deepcopy(data["regions"]["town"])
    data["lanes"]["dc"]["village"] = {"transit_time": "1d"}
    return data


def daily_counts(res: Any, region: str) -> pd.Series:
    o = res.tables["orders"]
    o = o[o["region"] == region]
    return o.groupby(o["created"].dt.floor("D")).size()


def test_demand_shock_multiplies_the_orders_of_its_window() -> None:
    """400 orders a day x 1.5 over Nov 8-17: the window's count is Poisson(6000), checked
    within 4 sd. Each region draws a day at a time from its own stream: before the shock the
    orders are identical to an unshocked run's, and the region it does not hit is identical
    throughout; after it, the shocked region's stream has moved on (other draws, the same
    rate). The forecast does not see the shock."""
    plain = two_towns()
    shocked = two_towns()
    shocked["disruptions"] = {
        "promo": {
            "start": "2026-11-08",
            "end": "2026-11-17",
            "nodes": ["town"],
            "demand_factor": 1.5,
        }
    }
    a = simulate(validated(plain), seed=4)
    b = simulate(validated(shocked), seed=4)
    window = (pd.Timestamp("2026-11-08"), pd.Timestamp("2026-11-18"))
    ca, cb = daily_counts(a, "town"), daily_counts(b, "town")
    inside = cb[(cb.index >= window[0]) & (cb.index < window[1])].sum()
    assert abs(inside - 6000) <= 4 * math.sqrt(6000), inside
    after = cb[cb.index >= window[1]].sum()  # Nov 18-30: 13 days at 400
    assert abs(after - 5200) <= 4 * math.sqrt(5200), after
    before = ca.index < window[0]
    pd.testing.assert_series_equal(ca[before], cb[cb.index < window[0]])
    pd.testing.assert_series_equal(daily_counts(a, "village"), daily_counts(b, "village"))
    pd.testing.assert_frame_equal(a.tables["forecast"], b.tables["forecast"])


def test_demand_shock_scales_the_rate_before_sampling() -> None:
    """Over a long run the counts in and out of a shock match Poisson means (4 sd); a shock
    composes with an event multiplicatively; a factor of 0 silences the region."""
    data = city(None)
    data["calendar"]["horizon"] = "300d"
    data["disruptions"] = {
        "slump": {"start": "2026-12-01", "end": "2027-03-10", "nodes": ["town"]},
        "zero": {"start": "2027-05-01", "end": "2027-05-05", "nodes": ["town"]},
    }
    data["disruptions"]["slump"]["demand_factor"] = 0.5  # 100 days
    data["disruptions"]["zero"]["demand_factor"] = 0.0
    data["events"] = {"d11": {"start": "2026-11-11", "multiplier": 4.0}}
    data["disruptions"]["promo"] = {
        "start": "2026-11-11",
        "end": "2026-11-11",
        "nodes": ["town"],
        "demand_factor": 1.5,
    }
    sc = validated(data)
    profile = DemandProfile(sc, "town")
    assert profile.expected_orders(10) == pytest.approx(400 * 4 * 1.5)  # Nov 11
    assert DemandProfile(sc, "town", shocks=False).expected_orders(10) == pytest.approx(1600)
    demand = RegionDemand(sc, "town", Streams(5).rng("demand/town"), Streams(5).rng("p"))
    counts = np.array([len(demand.day(d).times) for d in range(300)])
    days = [sc.calendar.start + dt.timedelta(days=d) for d in range(300)]
    factor = np.array([sc.demand_factor("town", day) for day in days])
    slump = factor == 0.5
    assert slump.sum() == 100
    assert abs(counts[slump].sum() - 20000) <= 4 * math.sqrt(20000)
    assert (counts[factor == 0] == 0).all() and (factor == 0).sum() == 5
    normal = (factor == 1) & (np.arange(300) != 10)
    mean = 400 * normal.sum()
    assert abs(counts[normal].sum() - mean) <= 4 * math.sqrt(mean)


# --- stock destroyed ---------------------------------------------------------------------------


def test_flood_destroys_the_declared_share_at_its_start_and_stops_picking() -> None:
    """A flood at the DC on Nov 10-12: 30 % of on-hand stock gone at Nov 10 00:00 (rounded
    down), read from the inventory ledger; the losses table and the KPIs agree; base stock
    reorders what was lost at once; no pick starts while the pickers are out."""
    pickers = {"count": 2, "pick_time": "5min"}
    flood = {
        "start": "2026-11-10",
        "end": "2026-11-12",
        "nodes": ["dc"],
        "stock_lost": 0.3,
        "picker_factor": 0.0,
    }
    res = run(flood, pickers=pickers)
    inv = res.tables["inventory"]
    at = pd.Timestamp("2026-11-10")
    before = int(inv[inv["time"] < at]["on_hand"].iloc[-1])
    row = inv[inv["time"] == at].iloc[0]
    lost = math.floor(0.3 * before)
    assert lost > 1000
    assert int(row["on_hand"]) == before - lost
    losses = res.tables["losses"]
    assert len(losses) == 1
    assert losses["time"].iloc[0] == at and int(losses["units"].iloc[0]) == lost
    assert str(losses["disruption"].iloc[0]) == "storm"
    assert res.kpis["stock_lost_units"] == lost
    assert res.kpis["stock_lost_cost"] == pytest.approx(5.0 * lost)
    costs = ("holding", "ordering", "purchase", "transport", "shortage", "labour", "stock_lost")
    assert res.kpis["total_cost"] == pytest.approx(sum(res.kpis[f"{c}_cost"] for c in costs))
    rep = res.tables["replenishments"]
    assert rep.loc[rep["placed"] == at, "quantity"].sum() == lost
    o = res.tables["orders"]
    out = (o["pick_start"] >= at) & (o["pick_start"] < pd.Timestamp("2026-11-13"))
    assert not out.any()


# --- random disruptions ------------------------------------------------------------------------

RANDOM = {
    "every": {"dist": "exponential", "mean": "20d"},
    "duration": {"dist": "uniform", "low": "1d", "high": "5d"},
}


def random_scenario(horizon: str = "30d", **fields: Any) -> Data:
    data = city(None)
    data["events"] = {}
    data["calendar"]["horizon"] = horizon
    data["disruptions"] = {"outage": {"random": RANDOM, "nodes": ["dc"], **fields}}
    return data


def test_random_windows_are_reproducible_per_seed_and_differ_across_seeds() -> None:
    sc = validated(random_scenario("400d"))
    first = resolve(sc, Streams(1)).disruptions
    assert first == resolve(sc, Streams(1)).disruptions
    assert first != resolve(sc, Streams(2)).disruptions
    assert first != resolve(sc, Streams(1, replication=1)).disruptions
    assert list(first) == [f"outage#{k}" for k in range(1, len(first) + 1)]
    assert sc.disruptions["outage"].random is not None  # the scenario given is untouched


def test_random_windows_follow_the_declared_distributions() -> None:
    """Over 20 years, the mean window (uniform 1-5 d: 3 d) and the mean gap between windows
    (exponential, 20 d) match within 4 standard errors; ends are rounded to midnights, which
    adds at most a day of spread and no bias."""
    sc = validated(random_scenario("7300d"))
    spans = [d.window for d in resolve(sc, Streams(3)).disruptions.values()]
    assert len(spans) > 250
    length = np.array([(last - first).days + 1 for first, last in spans], dtype=float)
    gaps = np.array([(b[0] - a[1]).days - 1 for a, b in itertools.pairwise(spans)], dtype=float)
    assert (gaps >= 0).all()  # windows never overlap
    se_len = math.sqrt(4**2 / 12 + 1 / 6) / math.sqrt(len(length))
    assert abs(length.mean() - 3.0) <= 4 * se_len, length.mean()
    se_gap = math.sqrt(20**2 + 1 / 6) / math.sqrt(len(gaps))
    assert abs(gaps.mean() - 20.0) <= 4 * se_gap, gaps.mean()


def test_random_outage_reaches_the_run_its_kpis_and_manifest(tmp_path: Path) -> None:
    """Pickers out in random windows: no pick starts inside one, the labour KPI counts only
    the hours on duty outside them; scenario.yaml keeps `random`, manifest.json dates it."""
    data = random_scenario("120d", picker_factor=0.0)
    data["warehouses"]["dc"]["pickers"] = {"count": 2, "pick_time": "5min", "cost_per_hour": 10}
    res = simulate(validated(data), seed=11)
    assert res.resolved is not None
    windows = {k: d.window for k, d in res.resolved.disruptions.items()}
    assert len(windows) >= 2
    starts = res.tables["orders"]["pick_start"].dropna()
    out_days: set[dt.date] = set()
    for first, last in windows.values():
        inside = (starts >= pd.Timestamp(first)) & (starts < pd.Timestamp(last) + DAY)
        assert not inside.any(), (first, last)
        out_days |= {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    start = dt.date(2026, 11, 1)
    kpi_days = [start + dt.timedelta(days=d) for d in range(2, 120)]  # after the 2-day warm-up
    on_duty = sum(1 for d in kpi_days if d not in out_days) * 24 * 2
    assert res.kpis["labour_cost"] == pytest.approx(10 * on_duty)
    folder = write_run(res, tmp_path / "run")
    again = load_text((folder / "scenario.yaml").read_text(), "<run>")
    assert again == res.scenario and again.disruptions["outage"].random is not None
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["disruptions"] == {
        k: [first.isoformat(), last.isoformat()] for k, (first, last) in windows.items()
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"random": RANDOM, "start": "2026-11-05", "end": "2026-11-06"}, "not both"),
        ({"start": "2026-11-05"}, "give start and end"),
        ({}, "give start and end"),
        ({"random": {"every": "0h", "duration": "0h"}}, "cannot both be zero"),
    ],
    ids=["both", "end-missing", "neither", "never-ending"],
)
def test_dates_or_random_exactly_one_and_sound(fields: Data, message: str) -> None:
    data = city(None)
    data["disruptions"] = {"storm": {"nodes": ["town"], **fields}}
    with pytest.raises(ScenarioError, match=message):
        validated(data)
