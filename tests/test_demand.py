"""The demand model against what the scenario declares.

Every expected value is computed here, from the declared profile, by a small reference
implementation written for the tests (`declared_*` below): orders_per_day x weekday share
(scaled to average 1) x the product of the multipliers of the events active that day, spread
over the day by the hourly shape of the active event that starts last (else the region's own),
hour 0 split by that event's first_hour_shape. Statistical checks use scipy.stats and accept
when the p-value is above ALPHA; every check that could pass vacuously is paired with a wrong
profile that the same test must reject.

Scenarios are built as the raw mappings a YAML file would hold and validated like one. The
bundled double11 scenario is checked demand-only (RegionDemand), a full run takes a minute.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simchain
from simchain.demand import DemandProfile, RegionDemand
from simchain.forecast import Forecast
from simchain.scenario.schema import Scenario
from simchain.simulate import SimulationResult
from simchain.streams import Streams
from tests import builders
from tests.frames import plain, start_of

Data = dict[str, Any]
HOUR = pd.Timedelta(hours=1)
ALPHA = 1e-3  # a correct model fails a check about once in a thousand seeds
REJECT = 1e-6  # a wrong profile must be rejected far more firmly
EPS = 2 / 3_600_000  # hours: timestamps are rounded to the millisecond
SWEEP = 0.25  # hours between two patience checks
AMPLE = {"kind": "s_S", "s": 0, "S": 1_000_000}  # never runs out, never reorders
ROOT = Path(__file__).resolve().parents[1]

# --- scenarios and runs -----------------------------------------------------------------------


def base(n_skus: int = 3, days: str = "30d", start: str = "2026-09-01", **demand: Any) -> Data:
    """One supplier, one warehouse with ample stock, one region, `n_skus` SKUs."""
    return builders.scenario(
        "demand_test",
        start=start,
        horizon=days,
        warm_up=None,
        skus={f"sku{i:02d}": builders.product(10.0, 25.0) for i in range(n_skus)},
        suppliers={"vendor": {"lead_time": "2d"}},
        warehouses={"dc": builders.warehouse(AMPLE)},
        regions={"city": builders.region(100, demand=demand)},
        lanes={"dc": {"city": {"transit_time": "1d"}}},
    )


def load(data: Data) -> Scenario:
    return builders.validated(copy.deepcopy(data), "<test_demand>")


def run(data: Data, seed: int) -> tuple[Scenario, SimulationResult]:
    sc = load(data)
    return sc, simchain.simulate(sc, seed=seed)


def clock(ts: pd.Series, sc: Scenario) -> np.ndarray:
    """Timestamps as clock hours from the calendar start (NaT -> NaN)."""
    return ((ts - start_of(sc)) / HOUR).to_numpy(dtype=float)


def rows(df: pd.DataFrame, mask: Any, limit: int = 5) -> str:
    return "\n" + df[mask].head(limit).to_string()


def dist_mean(spec: Data | int) -> float:
    """Mean of a declared count distribution (a constant or {dist: empirical, ...})."""
    if isinstance(spec, int):
        return float(spec)
    assert spec["dist"] == "empirical"
    values = np.asarray(spec["values"], dtype=float)
    weights = np.asarray(spec.get("weights", [1] * len(values)), dtype=float)
    return float((values * weights).sum() / weights.sum())


# --- the declared profile, re-derived independently of simchain.demand -------------------------


def covers(ev: Any, region: str, date: dt.date) -> bool:
    return (ev.regions is None or region in ev.regions) and ev.start <= date <= (ev.end or ev.start)


def declared_day(sc: Scenario, region: str, date: dt.date) -> float:
    """Expected orders of a whole calendar day."""
    demand = sc.regions[region].demand
    week = np.ones(7) if demand.weekday_shape is None else np.asarray(demand.weekday_shape)
    value = demand.orders_per_day * week[date.weekday()] / week.mean()
    for ev in sc.events.values():
        if covers(ev, region, date):
            value *= ev.multiplier
    return float(value)


def declared_segments(sc: Scenario, region: str, date: dt.date) -> list[tuple[float, float, float]]:
    """(start hour, end hour, expected orders) of the day's piecewise-constant rate."""
    shaper = None
    for ev in sc.events.values():
        shaped = covers(ev, region, date) and (ev.hourly_shape or ev.first_hour_shape)
        if shaped and (shaper is None or ev.start >= shaper.start):
            shaper = ev
    hourly = sc.regions[region].demand.hourly_shape or [1.0] * 24
    if shaper is not None and shaper.hourly_shape is not None:
        hourly = shaper.hourly_shape
    shares = np.asarray(hourly, dtype=float) / sum(hourly)
    total = declared_day(sc, region, date)
    segs = [(h, h + 1.0, total * shares[h]) for h in range(24)]
    if shaper is not None and shaper.first_hour_shape is not None:
        split = np.asarray(shaper.first_hour_shape, dtype=float)
        split /= split.sum()
        k = len(split)
        segs = [(i / k, (i + 1) / k, total * shares[0] * split[i]) for i in range(k)] + segs[1:]
    return segs


def declared_integral(sc: Scenario, region: str, t0: float, t1: float) -> float:
    """Expected orders created in clock hours [t0, t1)."""
    out = 0.0
    for day in range(int(t0 // 24), math.ceil(t1 / 24)):
        date = sc.calendar.start + dt.timedelta(days=day)
        for a, b, expected in declared_segments(sc, region, date):
            a, b = a + 24 * day, b + 24 * day
            overlap = max(0.0, min(b, t1) - max(a, t0))
            out += expected * overlap / (b - a)
    return out


def chi2_poisson(observed: np.ndarray, expected: np.ndarray) -> float:
    """p-value of Poisson counts against fully specified means (cells with mean 0 must be 0)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    zero = expected == 0
    if (observed[zero] > 0).any():
        return 0.0
    o, e = observed[~zero], expected[~zero]
    return float(stats.chi2.sf(((o - e) ** 2 / e).sum(), len(e)))


def chi2_shares(counts: np.ndarray, shares: np.ndarray) -> float:
    """p-value of multinomial counts against declared shares."""
    counts = np.asarray(counts, dtype=float)
    shares = np.asarray(shares, dtype=float) / np.sum(shares)
    return float(stats.chisquare(counts, counts.sum() * shares).pvalue)


def day_counts(orders: pd.DataFrame, sc: Scenario, n_days: int) -> np.ndarray:
    day = np.floor(clock(orders["created"], sc) / 24).astype(int)
    return np.bincount(day, minlength=n_days)


# --- 1. daily counts ----------------------------------------------------------------------------


def profile_scenario() -> Data:
    data = base(n_skus=2, days="60d", weekday_shape=[1.0, 1.1, 1.0, 0.9, 1.2, 1.6, 1.4])
    data["regions"]["city"]["demand"]["orders_per_day"] = 150
    data["regions"]["elsewhere"] = builders.region(
        40, demand={"weekday_shape": [1, 1, 1, 1, 1, 2, 0]}
    )
    data["lanes"]["dc"]["elsewhere"] = {"transit_time": "1d"}
    data["events"] = {
        "promo": {"start": "2026-09-20", "end": "2026-09-26", "multiplier": 2.0},
        "flash": {"start": "2026-09-24", "end": "2026-09-25", "multiplier": 1.5},
        "lull": {"start": "2026-10-10", "end": "2026-10-14", "multiplier": 0.5},
        "outage": {"start": "2026-10-18", "multiplier": 0.0},
        "local": {
            "start": "2026-10-20",
            "end": "2026-10-22",
            "multiplier": 4.0,
            "regions": ["elsewhere"],
        },
        # shapes the day without changing its volume
        "shape_only": {"start": "2026-10-25", "hourly_shape": [1] * 12 + [3] * 12},
    }
    return data


def without(sc: Scenario, *names: str) -> Scenario:
    """The scenario with some events removed: a wrong profile to reject."""
    events = {k: v for k, v in sc.events.items() if k not in names}
    return sc.model_copy(update={"events": events})


def test_daily_counts_match_declared_profile() -> None:
    """Daily counts of each region, pooled over two seeds, fit Poisson(declared day) by a
    chi-square over the 60 days; dropping an event, taking the max of overlapping events
    instead of their product, ignoring the weekday shape or the region filter of an event
    are all rejected. Days with an expected 0 (multiplier 0, weekday weight 0) have no order."""
    data = profile_scenario()
    seeds = (11, 12)
    runs = [run(data, seed) for seed in seeds]
    sc = runs[0][0]
    n_days = 60
    dates = [sc.calendar.start + dt.timedelta(days=d) for d in range(n_days)]

    def expected(scn: Scenario, region: str) -> np.ndarray:
        return len(seeds) * np.array([declared_day(scn, region, d) for d in dates])

    for _, res in runs:  # the daily table counts the same orders
        both_regions = day_counts(res.tables["orders"], sc, n_days)
        assert (res.tables["daily"]["orders"].to_numpy() == both_regions).all()
    for region in sc.regions:
        counts = sum(
            day_counts(res.tables["orders"][res.tables["orders"]["region"] == region], sc, n_days)
            for _, res in runs
        )
        want = expected(sc, region)
        # DemandProfile agrees with the reference implementation, day by day
        profile = DemandProfile(sc, region)
        assert np.allclose([profile.expected_orders(d) for d in range(n_days)], want / len(seeds))
        p = chi2_poisson(counts, want)
        assert p > ALPHA, (region, p, counts, want)
        assert (counts[want == 0] == 0).all(), region
        assert (want == 0).any(), "the profile should include empty days"
        # wrong profiles are rejected
        flat_week = sc.model_copy(
            update={
                "regions": {
                    r: v.model_copy(
                        update={"demand": v.demand.model_copy(update={"weekday_shape": None})}
                    )
                    for r, v in sc.regions.items()
                }
            }
        )
        wrong = {"no weekday shape": expected(flat_week, region)}
        if region == "city":
            wrong["no promo"] = expected(without(sc, "promo"), region)
            overlap = want.copy()
            promo, flash = sc.events["promo"], sc.events["flash"]
            both = np.array([covers(promo, region, d) and covers(flash, region, d) for d in dates])
            assert both.sum() == 2
            overlap[both] /= min(promo.multiplier, flash.multiplier)  # max instead of product
            wrong["max of overlapping events"] = overlap
            local = sc.events["local"]
            wrong["event of another region"] = want * np.array(
                [local.multiplier if covers(local, "elsewhere", d) else 1.0 for d in dates]
            )
        else:
            wrong["no local event"] = expected(without(sc, "local"), region)
        for name, bad in wrong.items():
            p_bad = chi2_poisson(counts, bad)
            assert p_bad < REJECT, (region, name, p_bad)


# --- 2. intraday shape of an event day ----------------------------------------------------------

D11_HOURLY = [36, 12, 4, 2, 1, 0.8, 0.9, 1.4, 2.2, 2.6, 2.9, 3.0]
D11_HOURLY += [2.6, 2.4, 2.3, 2.3, 2.3, 2.3, 2.4, 2.7, 3.2, 3.4, 3.0, 2.3]
D11_FIRST_HOUR = [30, 14, 11, 8, 7, 6, 5, 5, 4, 4, 3, 3]
EVENING = [2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2, 3.5, 4.5, 5, 5, 5, 5, 4.8, 4.8, 4.8, 5, 5.5, 6.5]
EVENING += [8, 9, 8.5, 6]


def test_event_day_follows_its_hourly_and_first_hour_shape() -> None:
    """On Nov 11 (multiplier 8 inside a 1.2 season) the 24 hourly counts fit the event's
    hourly_shape and the 12 five-minute counts of hour 0 its first_hour_shape; the day before
    follows the season's shape (the active event that starts last wins, an event without a
    shape does not); the region's own shape, the season's shape on Nov 11 or an even split of
    hour 0 are rejected."""
    data = base(n_skus=2, days="3d", start="2026-11-09", hourly_shape=EVENING)
    data["regions"]["city"]["demand"]["orders_per_day"] = 1000
    season = [1] * 8 + [2] * 8 + [4] * 8
    data["events"] = {
        "season": {
            "start": "2026-11-05",
            "end": "2026-11-15",
            "multiplier": 1.2,
            "hourly_shape": season,
        },
        "double11": {
            "start": "2026-11-11",
            "multiplier": 8.0,
            "hourly_shape": D11_HOURLY,
            "first_hour_shape": D11_FIRST_HOUR,
        },
        "plain": {"start": "2026-11-11", "end": "2026-11-12", "multiplier": 1.0},
    }
    sc, res = run(data, seed=21)
    t = clock(res.tables["orders"]["created"], sc)
    checked = 0
    for day in range(3):
        date = sc.calendar.start + dt.timedelta(days=day)
        mine = t[(t >= 24 * day) & (t < 24 * day + 24)] - 24 * day
        hours = np.bincount(np.floor(mine).astype(int), minlength=24)
        want = [declared_integral(sc, "city", 24 * day + h, 24 * day + h + 1) for h in range(24)]
        p = chi2_poisson(hours, np.array(want))
        assert p > ALPHA, (date, p)
        checked += len(mine)
        for bad_shape in (EVENING, season, D11_HOURLY):
            bad = np.asarray(bad_shape, dtype=float)
            bad = sum(want) * bad / bad.sum()
            if np.allclose(bad, want):
                continue
            assert chi2_poisson(hours, bad) < REJECT, (date, bad_shape)
    assert checked == len(t)

    nov11 = t[(t >= 48) & (t < 72)] - 48
    first = nov11[nov11 < 1.0]
    split = np.bincount(np.floor(first * 12).astype(int), minlength=12)
    want = [declared_integral(sc, "city", 48 + i / 12, 48 + (i + 1) / 12) for i in range(12)]
    assert chi2_poisson(split, np.array(want)) > ALPHA, split
    assert chi2_shares(split, D11_FIRST_HOUR) > ALPHA
    assert chi2_shares(split, np.ones(12)) < REJECT
    # the first 15 minutes carry (30 + 14 + 11) / 100 of the hour
    share15 = split[:3].sum() / split.sum()
    assert abs(share15 - sum(D11_FIRST_HOUR[:3]) / sum(D11_FIRST_HOUR)) < 0.03, share15
    # the event day's volume: 1000 x 1.2 x 8
    mean = declared_day(sc, "city", dt.date(2026, 11, 11))
    assert mean == pytest.approx(9600)
    assert abs(len(nov11) - mean) < 4 * math.sqrt(mean), len(nov11)


# --- 3. total orders = integral of the rate -----------------------------------------------------


def integral_scenario(horizon: str) -> Data:
    """Evening-heavy days; day 10 is an afternoon event, so its first half holds ~5 % of it."""
    data = base(
        n_skus=2, days=horizon, hourly_shape=EVENING, weekday_shape=[1, 1, 1, 1, 1.3, 1.5, 0.8]
    )
    data["regions"]["city"]["demand"]["orders_per_day"] = 120
    data["events"] = {
        "afternoon": {
            "start": "2026-09-11",
            "multiplier": 8.0,
            "hourly_shape": [0.1] * 12 + [2] * 12,
        },
        "early": {"start": "2026-09-04", "multiplier": 2.0, "first_hour_shape": [5, 1, 1, 1]},
    }
    data["forecast"] = {"period": "12h"}
    return data


@pytest.mark.parametrize("horizon", ["11d", "10.5d", "10.25d"])
def test_total_orders_match_integral_of_rate(horizon: str) -> None:
    """Orders created over the horizon, summed over three seeds, are within 4 sd (Poisson) of
    the integral of the declared rate, also when the horizon ends mid-day (a naive pro-rata of
    the last day is rejected); no order is created at or after the horizon; the forecast's
    expected units integrate the same rate, period by period."""
    data = integral_scenario(horizon)
    seeds = (31, 32, 33)
    sc = load(data)
    h = sc.calendar.horizon
    mean = declared_integral(sc, "city", 0.0, h)
    profile = DemandProfile(sc, "city")
    full = int(h // 24)
    assert sum(profile.expected_orders(d) for d in range(full)) == pytest.approx(
        declared_integral(sc, "city", 0.0, 24.0 * full)
    )
    total = 0
    for seed in seeds:
        _, res = run(data, seed)
        orders = res.tables["orders"]
        t = clock(orders["created"], sc)
        assert (t < h).all() and (t >= 0).all()
        assert res.kpis["orders"] == len(orders)
        total += len(orders)
    n = len(seeds)
    z = (total - n * mean) / math.sqrt(n * mean)
    assert abs(z) < 4, (total, n * mean, z)
    if h % 24:
        last = full * 24
        naive = declared_integral(sc, "city", 0.0, last) + (h - last) / 24 * declared_day(
            sc, "city", sc.calendar.start + dt.timedelta(days=full)
        )
        z_naive = (total - n * naive) / math.sqrt(n * naive)
        assert abs(z_naive) > 6, ("pro-rata of the last day should be rejected", z_naive)

    # forecast truth: expected units per period = expected orders (1 line of 1 unit here)
    fc = res.tables["forecast"]
    period = sc.forecast.period
    n_periods = math.ceil(h / period)
    assert len(fc) == n_periods * len(sc.skus)
    per_period = fc.groupby("period_start", observed=True)["expected_units"].sum().to_numpy()
    want = [
        declared_integral(sc, "city", k * period, min((k + 1) * period, h))
        for k in range(n_periods)
    ]
    assert np.allclose(per_period, want, rtol=1e-9), (per_period[-3:], want[-3:])


# --- 4. pre-sale ---------------------------------------------------------------------------------


def presale_scenario() -> Data:
    data = base(n_skus=4, days="14d", start="2026-10-25")
    data["regions"]["city"]["demand"]["orders_per_day"] = 250
    data["warehouses"]["dc"]["pickers"] = {
        "count": 6,
        "pick_time": {"dist": "exponential", "mean": "2min"},
    }
    data["lanes"]["dc"]["city"] = {"transit_time": "3d"}
    data["events"] = {
        "wave1": {
            "start": "2026-11-01",
            "multiplier": 5.0,
            "presale": {
                "share": 0.3,
                "deposits_open": "2026-10-27",
                "prepositioned": True,
                "transit": {"dist": "uniform", "low": "1h", "high": "2h"},
            },
        },
        "wave2": {
            "start": "2026-11-03",
            "end": "2026-11-04",
            "multiplier": 2.0,
            "presale": {"share": 0.5, "deposits_open": "2026-11-02"},
        },
    }
    data["calendar"]["warm_up"] = "3d"
    return data


def test_presale_share_deposits_and_prepositioning() -> None:
    """On each pre-sale event day, the number of pre-sale orders is Binomial(orders of the day,
    share); deposits lie in [deposits_open, event start) and are uniform (KS); pre-positioned
    orders skip picking and travel with the pre-sale transit, other pre-sale orders are picked
    and use the lane; no pre-sale order outside its event's days."""
    sc, res = run(presale_scenario(), seed=41)
    orders = plain(res.tables["orders"])
    pre = orders["presale_event"].notna()
    created_day = orders["created"].dt.date
    for name, ev in sc.events.items():
        assert ev.presale is not None
        mine = orders[orders["presale_event"] == name]
        days = pd.date_range(pd.Timestamp(ev.start), pd.Timestamp(ev.last)).date
        assert mine["created"].dt.date.isin(days).all(), name
        for day in days:
            n_day = int((created_day == day).sum())
            k = int(((created_day == day) & (orders["presale_event"] == name)).sum())
            want = declared_day(sc, "city", day)
            assert abs(n_day - want) < 4 * math.sqrt(want), (name, day, n_day, want)
            p = stats.binomtest(k, n_day, ev.presale.share).pvalue
            assert p > ALPHA, (name, day, k, n_day)
            if name == "wave1":  # 300 of 1250: a share off by 0.1 is rejected
                assert stats.binomtest(k, n_day, ev.presale.share - 0.1).pvalue < REJECT
        opens = pd.Timestamp(ev.presale.deposits_open)
        closes = pd.Timestamp(ev.start)
        assert (mine["deposit"] >= opens).all() and (mine["deposit"] < closes).all(), name
        assert (mine["deposit"] < mine["created"]).all(), name
        u = ((mine["deposit"] - opens) / (closes - opens)).to_numpy(dtype=float)
        assert stats.kstest(u, "uniform").pvalue > ALPHA, name
        # sensitivity: a deposit window opening a fifth of its length later is rejected
        assert stats.kstest((u - 0.2) / 0.8, "uniform").pvalue < REJECT, name

        shipped = mine[mine["shipped"].notna()]
        assert len(shipped) == len(mine), "ample stock: every pre-sale order ships"
        transit = ((shipped["delivered"] - shipped["shipped"]) / HOUR).dropna().to_numpy()
        assert len(transit) > 0.5 * len(shipped), name
        if ev.presale.prepositioned:
            assert (mine["pick_start"] == mine["picked"]).all(), name
            assert (mine["pick_start"] == mine["allocated"]).all(), name
            assert (mine["allocated"] == mine["created"]).all(), name
            assert (mine["shipped"] == mine["picked"]).all(), name
            assert ((transit >= 1 - EPS) & (transit <= 2 + EPS)).all(), name
            assert stats.kstest(transit - 1, "uniform").pvalue > ALPHA, name
        else:
            assert (mine["picked"] > mine["pick_start"]).mean() > 0.99, name
            assert np.allclose(transit, 72.0, atol=EPS), name
    assert not orders.loc[~pre, "deposit"].notna().any()
    regular = orders[~pre & orders["shipped"].notna()]
    assert (regular["picked"] > regular["pick_start"]).mean() > 0.99
    regular_transit = ((regular["delivered"] - regular["shipped"]) / HOUR).dropna()
    assert np.allclose(regular_transit, 72.0, atol=EPS)
    # the daily table and the KPI count them
    daily = res.tables["daily"].set_index("date")
    per_day = orders[pre].groupby(orders.loc[pre, "created"].dt.floor("D")).size()
    assert (daily["presale_orders"].reindex(per_day.index) == per_day).all()
    assert daily["presale_orders"].sum() == pre.sum()
    obs = orders["created"] >= start_of(sc) + sc.calendar.warm_up * HOUR
    assert res.kpis["presale_orders"] == (pre & obs).sum()


# --- 5. forecast error ---------------------------------------------------------------------------

LINES = {"dist": "empirical", "values": [1, 2, 3], "weights": [6, 3, 1]}
UNITS = {"dist": "empirical", "values": [1, 2], "weights": [8, 2]}


def forecast_scenario() -> Data:
    data = base(
        n_skus=60,
        days="60d",
        lines_per_order=LINES,
        units_per_line=UNITS,
        weekday_shape=[1, 1, 1, 1, 1.2, 1.4, 0.9],
    )
    data["regions"]["city"]["demand"]["orders_per_day"] = 20
    for i, sku in enumerate(data["skus"].values()):
        sku["popularity"] = 1 + i % 7
    data["events"] = {
        "promo": {"start": "2026-09-20", "end": "2026-09-26", "multiplier": 2.0},
        "flash": {"start": "2026-09-25", "multiplier": 1.5},
        "lull": {"start": "2026-10-10", "end": "2026-10-14", "multiplier": 0.5},
        "shape_only": {
            "start": "2026-10-20",
            "end": "2026-10-22",
            "hourly_shape": [1] * 12 + [3] * 12,
        },
    }
    data["forecast"] = {
        "period": "1d",
        "normal": {"cv": 0.2, "bias": 0.05},
        "during_events": {"cv": 0.5, "bias": -0.1},
    }
    return data


def sampling_sd(cv: float, bias: float, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """Standard deviations of the sample mean and sample cv of n ratios under the declared law,
    by Monte Carlo."""
    s2 = math.log1p(cv**2)
    mu = math.log1p(bias) - s2 / 2
    draws = np.exp(rng.normal(mu, math.sqrt(s2), (400, n)))
    means = draws.mean(axis=1)
    cvs = draws.std(axis=1, ddof=1) / means
    return float(means.std()), float(cvs.std())


def test_forecast_error_follows_declared_law() -> None:
    """forecast_units / expected_units has mean 1 + bias and cv = cv, separately in normal
    periods and in periods of events with a multiplier != 1 (an event with multiplier 1 is a
    normal period); the log-ratio is normal with the implied mu and sigma (t and chi-square
    tests); each group's ratios are rejected under the other group's law; expected_units
    summed over SKUs = expected orders x mean lines x mean units, split by popularity."""
    data = forecast_scenario()
    sc, res = run(data, seed=51)
    fc = plain(res.tables["forecast"])
    dates = fc["period_start"].dt.date
    special = np.array(
        [
            any(ev.multiplier != 1 and covers(ev, "city", d) for ev in sc.events.values())
            for d in dates
        ]
    )
    assert 0 < special.mean() < 0.5
    ratio = (fc["forecast_units"] / fc["expected_units"]).to_numpy()
    rng = np.random.default_rng(5)
    laws = {"normal": sc.forecast.normal, "during_events": sc.forecast.during_events}
    groups = {"normal": ratio[~special], "during_events": ratio[special]}
    for name, r in groups.items():
        law = laws[name]
        assert law is not None
        n = len(r)
        sd_mean, sd_cv = sampling_sd(law.cv, law.bias, n, rng)
        mean, cv = r.mean(), r.std(ddof=1) / r.mean()
        assert abs(mean - (1 + law.bias)) < 4 * sd_mean, (name, mean, sd_mean)
        assert abs(cv - law.cv) < 4 * sd_cv, (name, cv, sd_cv)
        assert 4 * sd_cv < 0.25 * law.cv  # the check is tight enough to mean something
        s2 = math.log1p(law.cv**2)
        mu = math.log1p(law.bias) - s2 / 2
        logs = np.log(r)
        assert stats.ttest_1samp(logs, mu).pvalue > ALPHA, name
        var_stat = (n - 1) * logs.var(ddof=1) / s2
        p_var = 2 * min(stats.chi2.cdf(var_stat, n - 1), stats.chi2.sf(var_stat, n - 1))
        assert p_var > ALPHA, (name, logs.var(ddof=1), s2)
        other = laws["during_events" if name == "normal" else "normal"]
        assert other is not None
        s2o = math.log1p(other.cv**2)
        var_other = (n - 1) * logs.var(ddof=1) / s2o
        assert min(stats.chi2.cdf(var_other, n - 1), stats.chi2.sf(var_other, n - 1)) < REJECT

    # the truth behind the forecast
    demand = data["regions"]["city"]["demand"]
    per_order = dist_mean(demand["lines_per_order"]) * dist_mean(demand["units_per_line"])
    by_period = fc.groupby("period_start")["expected_units"].sum()
    want = [declared_day(sc, "city", d.date()) * per_order for d in by_period.index]
    assert np.allclose(by_period.to_numpy(), want, rtol=1e-9)
    pop = sc.popularity()
    share = np.array([pop[s] for s in sc.skus]) / sum(pop.values())
    first = fc[fc["period_start"] == fc["period_start"].iloc[0]]
    assert np.allclose(first["expected_units"] / first["expected_units"].sum(), share)
    # the same forecast without SimPy, from the same streams
    again = Forecast(sc, Streams(51)).table(sc.calendar.start)
    pd.testing.assert_frame_equal(again, res.tables["forecast"])


@pytest.mark.parametrize("period", ["1d", "12h", "90min", "15min"])
def test_forecast_truth_integrates_the_rate_per_period(period: str) -> None:
    """On a day whose first hour is split unevenly (first_hour_shape), expected_units of each
    forecast period = the declared expected orders in that period x mean lines x mean units,
    also for periods shorter than an hour."""
    data = base(
        n_skus=2, days="1d", start="2026-11-11", hourly_shape=EVENING, lines_per_order=LINES
    )
    data["regions"]["city"]["demand"]["orders_per_day"] = 2400
    data["events"] = {
        "double11": {
            "start": "2026-11-11",
            "multiplier": 8.0,
            "hourly_shape": D11_HOURLY,
            "first_hour_shape": D11_FIRST_HOUR,
        }
    }
    data["forecast"] = {"period": period}
    sc = load(data)
    fc = Forecast(sc, Streams(1)).table(sc.calendar.start)
    per_order = dist_mean(LINES)
    got = fc.groupby("period_start", observed=True)["expected_units"].sum().to_numpy()
    p, h = sc.forecast.period, sc.calendar.horizon
    want = np.array(
        [declared_integral(sc, "city", k * p, min((k + 1) * p, h)) for k in range(len(got))]
    )
    assert len(got) == math.ceil(h / p)
    assert got.sum() == pytest.approx(want.sum() * per_order)
    assert np.allclose(got, want * per_order, rtol=1e-9), (got[:4], want[:4] * per_order)


# --- 6. SKU popularity ---------------------------------------------------------------------------


def popularity_scenario(law: Data) -> Data:
    data = base(n_skus=12, days="25d", lines_per_order=LINES)
    data["regions"]["city"]["demand"]["orders_per_day"] = 200
    data["sku_popularity"] = law
    if law["law"] == "abc":
        for i, sku in enumerate(data["skus"].values()):
            sku["abc_class"] = "A" if i < 2 else "B" if i < 6 else "C"
    # a region with its own sku_weights ignores the law
    data["regions"]["town"] = builders.region(40, demand={"sku_weights": {"sku03": 1, "sku09": 3}})
    data["lanes"]["dc"]["town"] = {"transit_time": "1d"}
    return data


def declared_law(data: Data) -> np.ndarray:
    """Line shares of the SKUs (declared order) under the scenario's popularity law."""
    law = data["sku_popularity"]
    if law["law"] == "zipf":
        ranks = np.arange(1, len(data["skus"]) + 1)
        w = 1.0 / ranks ** law.get("exponent", 1.0)
    else:
        classes = [s["abc_class"] for s in data["skus"].values()]
        size = {c: classes.count(c) for c in set(classes)}
        w = np.array([law["class_shares"][c] / size[c] for c in classes], dtype=float)
    return w / w.sum()


@pytest.mark.parametrize(
    ("law", "wrong"),
    [
        ({"law": "zipf", "exponent": 1.2}, {"law": "zipf", "exponent": 1.0}),
        ({"law": "zipf"}, {"law": "zipf", "exponent": 1.2}),
        (
            {"law": "abc", "class_shares": {"A": 70, "B": 20, "C": 10}},
            {"law": "abc", "class_shares": {"A": 65, "B": 25, "C": 10}},
        ),
    ],
    ids=["zipf-1.2", "zipf-default", "abc"],
)
def test_sku_popularity_laws_give_line_shares(law: Data, wrong: Data) -> None:
    """Scenario.popularity() follows the declared law, and the SKU counts of order_lines fit
    it (chi-square); a nearby wrong law is rejected. A region with sku_weights uses those
    instead (only its SKUs, in its ratio)."""
    data = popularity_scenario(law)
    sc, res = run(data, seed=61)
    pop = sc.popularity()
    shares = np.array([pop[s] for s in sc.skus]) / sum(pop.values())
    assert np.allclose(shares, declared_law(data))
    lines = plain(res.tables["order_lines"])
    region = res.tables["orders"]["region"].astype(object).to_numpy()[lines["order_id"]]
    city = lines[region == "city"]
    counts = city["sku"].value_counts().reindex(list(sc.skus), fill_value=0).to_numpy()
    assert counts.sum() > 5000
    assert chi2_shares(counts, shares) > ALPHA, (counts, shares)
    bad = declared_law({**data, "sku_popularity": wrong})
    assert chi2_shares(counts, bad) < REJECT
    town = lines.loc[region == "town", "sku"].value_counts()
    assert set(town.index) == {"sku03", "sku09"}
    assert stats.binomtest(int(town["sku09"]), int(town.sum()), 0.75).pvalue > ALPHA


# --- 7. returns ----------------------------------------------------------------------------------


def returns_scenario(days: str = "40d", orders_per_day: int = 300) -> Data:
    data = base(
        n_skus=10,
        days=days,
        lines_per_order={"dist": "empirical", "values": [1, 2], "weights": [1, 1]},
        units_per_line={"dist": "empirical", "values": [1, 2, 3], "weights": [3, 2, 1]},
    )
    data["regions"]["city"]["demand"]["orders_per_day"] = orders_per_day
    for i, sku in enumerate(data["skus"].values()):
        if i < 4:
            sku["category"] = "apparel"
        elif i < 8:
            sku["category"] = "general"
    data["categories"] = {"apparel": {"return_rate": 0.3}, "general": {"return_rate": 0.05}}
    data["returns"] = {
        "delay": {"dist": "uniform", "low": "2d", "high": "6d"},
        "inspection": "12h",
        "restock_share": 0.7,
    }
    data["warehouses"]["dc"]["stocking"] = {"default": {"kind": "s_S", "s": 1500, "S": 3000}}
    data["lanes"]["dc"]["city"] = {
        "transit_time": {"dist": "triangular", "low": "12h", "mode": "20h", "high": "36h"}
    }
    data["calendar"]["warm_up"] = "5d"
    return data


def conservation(sc: Scenario, tables: dict[str, pd.DataFrame]) -> None:
    """initial + received + restocked = units allocated to live (not cancelled) lines, net of
    lost and of what is still owed, + final on hand, per warehouse and SKU (one echelon)."""
    t = {k: plain(v) for k, v in tables.items()}
    orders, lines, inv, rep = t["orders"], t["order_lines"], t["inventory"], t["replenishments"]
    lines = lines.join(orders.set_index("order_id")[["warehouse", "status"]], on="order_id")
    live = lines[lines["status"] != "cancelled"]
    net = (live["units"] - live["lost"]).groupby([live["warehouse"], live["sku"]]).sum()
    got = rep[rep["received"].notna()]
    received = got.groupby(["destination", "sku"])["quantity"].sum()
    restocked = t["returns"].groupby(["warehouse", "sku"])["restocked"].sum()
    assert (inv["on_hand"] >= 0).all() and (inv["backorders"] >= 0).all()
    for w in sc.warehouses:
        for s in sc.skus:
            mine = inv[(inv["warehouse"] == w) & (inv["sku"] == s)]
            first, last = mine.iloc[0], mine.iloc[-1]
            assert first["time"] == start_of(sc)
            inflow = int(first["on_hand"]) + int(received.get((w, s), 0))
            inflow += int(restocked.get((w, s), 0))
            outflow = int(net.get((w, s), 0)) - int(last["backorders"]) + int(last["on_hand"])
            assert inflow == outflow, (w, s, inflow, outflow)


def test_returns_rate_delay_restock_and_conservation() -> None:
    """Per category, returned / delivered units ~ Binomial(return_rate) over the orders whose
    returns are all due before the horizon (a rate off by 5 points is rejected); SKUs without a
    category never come back; back - delivered = uniform delay + inspection (bounds, mean, KS);
    restocked share ~ Binomial(restock_share); restocked units enter the inventory log at their
    return time and units are conserved per warehouse-SKU."""
    data = returns_scenario()
    sc, res = run(data, seed=71)
    assert sc.returns is not None
    t = {k: plain(v) for k, v in res.tables.items()}
    orders, lines, returns = t["orders"], t["order_lines"], t["returns"]
    assert len(returns) > 1000
    delay = sc.returns.delay
    low, high = float(delay.low) + sc.returns.inspection, float(delay.high) + sc.returns.inspection
    h = sc.calendar.horizon
    delivered = clock(res.tables["orders"]["delivered"], sc)
    settled = orders["order_id"][delivered < h - high - 1e-6]  # every return of these is back
    lines = lines[lines["order_id"].isin(settled)]
    back = returns[returns["order_id"].isin(settled)]
    category = {s: v.category for s, v in sc.skus.items()}
    assert (lines["lost"] == 0).all()
    for cat, spec in [*sc.categories.items(), (None, None)]:
        sold = int(lines.loc[lines["sku"].map(category).fillna("-") == (cat or "-"), "units"].sum())
        came = int(back.loc[back["sku"].map(category).fillna("-") == (cat or "-"), "units"].sum())
        if spec is None:
            assert sold > 0 and came == 0
            continue
        assert stats.binomtest(came, sold, spec.return_rate).pvalue > ALPHA, (cat, came, sold)
        assert stats.binomtest(came, sold, spec.return_rate - 0.05).pvalue < REJECT, cat
    # orders record the units they send back, the returns table has them all
    of = orders.set_index("order_id")["units_returned"]
    by_order = back.groupby("order_id")["units"].sum()
    assert (of.reindex(by_order.index) == by_order).all()
    assert of.reindex(settled).sum() == back["units"].sum()
    # the KPI counts units back by the horizon, of orders created after warm-up
    window = orders["order_id"][orders["created"] >= start_of(sc) + sc.calendar.warm_up * HOUR]
    in_window = returns["order_id"].isin(window)
    assert res.kpis["returned_units"] == returns.loc[in_window, "units"].sum()
    assert (
        res.kpis["returned_units"]
        < orders.loc[orders["order_id"].isin(window), "units_returned"].sum()
    )

    wait = ((returns["back"] - returns["delivered"]) / HOUR).to_numpy(dtype=float)
    assert ((wait >= low - EPS) & (wait <= high + EPS)).all(), (wait.min(), wait.max())
    one = back.drop_duplicates("order_id")
    w = ((one["back"] - one["delivered"]) / HOUR).to_numpy(dtype=float)
    sd = (high - low) / math.sqrt(12)
    assert abs(w.mean() - (low + high) / 2) < 4 * sd / math.sqrt(len(w)), w.mean()
    assert stats.kstest((w - low) / (high - low), "uniform").pvalue > ALPHA
    assert stats.kstest((w - low + 12) / (high - low), "uniform").pvalue < REJECT  # no inspection

    assert (returns["restocked"] + returns["scrapped"] == returns["units"]).all()
    k, n = int(returns["restocked"].sum()), int(returns["units"].sum())
    assert stats.binomtest(k, n, sc.returns.restock_share).pvalue > ALPHA, (k, n)
    # each restock is logged in the inventory at its return time
    inv = t["inventory"]
    logged = set(zip(inv["time"], inv["warehouse"], inv["sku"], strict=True))
    restocks = returns[returns["restocked"] > 0]
    missing = [
        key
        for key in zip(restocks["back"], restocks["warehouse"], restocks["sku"], strict=True)
        if key not in logged
    ]
    assert not missing, missing[:5]
    conservation(sc, res.tables)


# --- 8. patience ---------------------------------------------------------------------------------


def patience_scenario() -> Data:
    data = base(
        n_skus=3,
        days="30d",
        patience="12h",
        lines_per_order={"dist": "empirical", "values": [1, 2], "weights": [2, 1]},
    )
    data["regions"]["city"]["demand"]["orders_per_day"] = 40
    data["suppliers"]["vendor"]["lead_time"] = "20d"
    data["warehouses"]["dc"]["stocking"] = {"default": {"kind": "base_stock", "S": 5}}
    data["calendar"]["warm_up"] = "2d"
    return data


def test_patience_cancels_unshipped_orders() -> None:
    """Stock runs out for 20 days: every order not shipped by the first 15-minute check at or
    after created + patience is cancelled then; cancelled orders never ship, their stock is
    released (nothing negative, units conserved, final backorders = unfilled live lines) and
    the KPI and the daily table count them."""
    sc, res = run(patience_scenario(), seed=81)
    patience = sc.regions["city"].demand.patience
    assert patience is not None
    h = sc.calendar.horizon
    orders = plain(res.tables["orders"])
    created = clock(res.tables["orders"]["created"], sc)
    shipped = clock(res.tables["orders"]["shipped"], sc)
    cancelled_at = clock(res.tables["orders"]["cancelled"], sc)
    cancelled = (orders["status"] == "cancelled").to_numpy()
    assert cancelled.sum() > 100, cancelled.sum()
    check = np.ceil((created + patience - EPS) / SWEEP) * SWEEP
    wait = cancelled_at[cancelled] - created[cancelled]
    assert ((wait >= patience - EPS) & (wait <= patience + SWEEP + EPS)).all(), (
        wait.min(),
        wait.max(),
    )
    assert np.allclose(cancelled_at[cancelled], check[cancelled], atol=EPS)
    assert np.isnan(cancelled_at[~cancelled]).all()
    gone = orders[cancelled]
    for col in ("allocated", "pick_start", "picked", "shipped", "delivered"):
        assert gone[col].isna().all(), col
    late = ~cancelled & (check < h - EPS) & ~(shipped <= check + EPS)
    assert not late.any(), "should have been cancelled" + rows(orders, late)
    assert (shipped[~np.isnan(shipped)] - created[~np.isnan(shipped)] <= patience + SWEEP).all()
    # some orders waited for stock released by cancellations (or receipts) and shipped in time
    waited = ~cancelled & (orders["units_backordered"] > 0).to_numpy() & ~np.isnan(shipped)
    assert waited.any()
    # stock: never negative, conserved, and only live unfilled lines are still owed
    conservation(sc, res.tables)
    lines = plain(res.tables["order_lines"])
    status = orders.set_index("order_id")["status"]
    live_unfilled = lines[lines["filled"].isna() & (lines["order_id"].map(status) != "cancelled")]
    inv = plain(res.tables["inventory"])
    for s in sc.skus:
        last = inv[inv["sku"] == s].iloc[-1]
        owed = int(live_unfilled.loc[live_unfilled["sku"] == s, "backordered"].sum())
        assert int(last["backorders"]) == owed, (s, last["backorders"], owed)
    obs = orders["created"] >= start_of(sc) + sc.calendar.warm_up * HOUR
    assert res.kpis["cancelled_orders"] == (cancelled & obs.to_numpy()).sum()
    assert res.tables["daily"]["orders_cancelled"].sum() == cancelled.sum()


# --- 9. the daily table --------------------------------------------------------------------------


def test_daily_table_counts_and_backlog() -> None:
    """Two regions (backorders with patience, lost sales), few pickers, a horizon ending
    mid-day: daily orders sum to the orders; each flow column matches the orders table; the
    backlog is never negative and equals, at every day's end, the orders created but not yet
    shipped, cancelled or lost (and the cumulated flows)."""
    data = base(n_skus=3, days="20.5d", patience="1d")
    data["regions"]["city"]["demand"]["orders_per_day"] = 60
    data["regions"]["town"] = builders.region(
        30, demand={"hourly_shape": EVENING}, unmet_demand="lost_sales"
    )
    data["lanes"]["dc"]["town"] = {"transit_time": "2d"}
    data["warehouses"]["dc"]["stocking"] = {"default": {"kind": "base_stock", "S": 15}}
    data["warehouses"]["dc"]["pickers"] = {"count": 1, "pick_time": "20min"}
    data["suppliers"]["vendor"]["lead_time"] = {"dist": "uniform", "low": "2d", "high": "5d"}
    sc, res = run(data, seed=91)
    orders = plain(res.tables["orders"])
    daily = res.tables["daily"]
    n_days = math.ceil(sc.calendar.horizon / 24)
    assert len(daily) == n_days == 21
    assert (daily["date"] == pd.date_range(start_of(sc), periods=n_days, freq="D")).all()
    assert daily["orders"].sum() == len(orders)
    assert daily["units_demanded"].sum() == orders["units"].sum()
    lost = orders["status"] == "lost"
    assert lost.any() and (orders["status"] == "cancelled").any()
    counts = {
        "orders": orders["created"],
        "orders_shipped": orders["shipped"],
        "orders_delivered": orders["delivered"],
        "orders_cancelled": orders["cancelled"],
        "orders_lost": orders.loc[lost, "created"],
    }
    for col, times in counts.items():
        per_day = day_counts(pd.DataFrame({"created": times.dropna()}), sc, n_days)
        assert (daily[col].to_numpy() == per_day).all(), col
    backlog = daily["backlog_orders"].to_numpy()
    assert (backlog >= 0).all()
    flows = np.cumsum(
        daily["orders"] - daily["orders_shipped"] - daily["orders_cancelled"] - daily["orders_lost"]
    )
    assert np.array_equal(backlog, flows.to_numpy())
    assert backlog.max() > 0
    for d in range(n_days):
        end = start_of(sc) + pd.Timedelta(days=d + 1)
        born = orders["created"] < end
        closed = (orders["shipped"] < end) | (orders["cancelled"] < end) | (lost & born)
        assert backlog[d] == (born & ~closed).sum(), d
    still_open = orders["status"].isin(["awaiting_stock", "awaiting_pick"]).sum()
    assert backlog[-1] == still_open
    # the backlog by stage, counted order by order from the stage times
    stock, pick = daily["backlog_awaiting_stock"], daily["backlog_awaiting_pick"]
    assert np.array_equal(stock + pick, backlog)
    assert stock.max() > 0 and pick.max() > 0
    for d in range(n_days):
        end = start_of(sc) + pd.Timedelta(days=d + 1)
        gone = orders["cancelled"] < end
        waiting = (orders["created"] < end) & ~lost & ~(orders["allocated"] < end) & ~gone
        picking = (orders["allocated"] < end) & ~lost & ~(orders["picked"] < end) & ~gone
        moving = (orders["shipped"] < end) & ~(orders["delivered"] < end)
        assert stock[d] == waiting.sum() and pick[d] == picking.sum(), d
        assert daily["in_transit"][d] == moving.sum(), d
    assert daily["in_transit"].iloc[-1] == (orders["status"] == "in_transit").sum()


# --- 10. reproducibility -------------------------------------------------------------------------


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    data = returns_scenario(days="20d", orders_per_day=80)
    data["forecast"] = {"normal": {"cv": 0.3}}
    data["events"] = {
        "sale": {
            "start": "2026-09-10",
            "multiplier": 3.0,
            "presale": {"share": 0.2, "deposits_open": "2026-09-05"},
        }
    }
    sc = load(data)
    a, b, c = (simchain.simulate(sc, seed=s) for s in (7, 7, 8))
    names = ("orders", "order_lines", "forecast", "returns", "daily", "inventory")
    for name in names:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
    assert a.kpis == pytest.approx(b.kpis, nan_ok=True)
    for name in ("orders", "forecast", "returns"):
        x, y = a.tables[name], c.tables[name]
        assert len(x) != len(y) or not x.equals(y), name
    assert not np.array_equal(
        a.tables["orders"]["created"].to_numpy()[:50], c.tables["orders"]["created"].to_numpy()[:50]
    )


# --- 11. the bundled double11 scenario -----------------------------------------------------------


def test_bundled_double11_demand_profile() -> None:
    """Demand only (no SimPy), all four regions, through Nov 11: the day counts over the
    ordinary baseline show the declared multipliers (Nov 1 3.5x, Nov 11 8x, within 2 %),
    hour 0 holds ~36 % of Nov 11 and its first 15 minutes ~55 % of that hour, and the
    pre-sale shares are the declared ones."""
    sc = simchain.load_scenario(ROOT / "scenarios" / "double11.yaml", days=42)
    assert sc.calendar.horizon == 42 * 24
    start = sc.calendar.start
    nov1 = (dt.date(2026, 11, 1) - start).days
    nov11 = (dt.date(2026, 11, 11) - start).days
    assert nov11 == 41
    ordinary = [
        d
        for d in range(nov11)
        if not any(
            covers(ev, r, start + dt.timedelta(days=d))
            for ev in sc.events.values()
            for r in sc.regions
        )
    ]
    assert len(ordinary) >= 15
    streams = Streams(2026)
    counts = {d: 0 for d in [*ordinary, nov1, nov11]}
    presale = {nov1: 0, nov11: 0}
    hour0 = first15 = 0
    nov11_times: list[np.ndarray] = []
    for region in sc.regions:
        gen = RegionDemand(
            sc, region, streams.rng(f"demand/{region}"), streams.rng(f"presale/{region}")
        )
        for d in counts:
            day = gen.day(d)
            counts[d] += len(day.times)
            if d in presale:
                presale[d] += int((day.event >= 0).sum())
            if d == nov11:
                nov11_times.append(day.times - 24 * d)
    times = np.concatenate(nov11_times)
    hour0 = int((times < 1).sum())
    first15 = int((times < 0.25).sum())

    base_day = np.mean([counts[d] for d in ordinary])
    declared_base = sum(r.demand.orders_per_day for r in sc.regions.values())
    assert abs(base_day / declared_base - 1) < 0.01, base_day
    for d, nominal in ((nov1, 3.5), (nov11, 8.0)):
        date = start + dt.timedelta(days=d)
        mult = math.prod(ev.multiplier for ev in sc.events.values() if covers(ev, "hefei", date))
        assert mult == pytest.approx(nominal)
        want = sum(declared_day(sc, r, date) for r in sc.regions)
        assert want == pytest.approx(mult * declared_base)
        assert abs(counts[d] - want) < 4 * math.sqrt(want), (date, counts[d], want)
        assert abs(counts[d] / base_day / mult - 1) < 0.02, (date, counts[d] / base_day)

    ev11 = sc.events["double11"]
    assert ev11.hourly_shape is not None and ev11.first_hour_shape is not None
    share0 = ev11.hourly_shape[0] / sum(ev11.hourly_shape)
    assert share0 == pytest.approx(0.36, abs=0.005)
    assert stats.binomtest(hour0, counts[nov11], share0).pvalue > ALPHA
    assert abs(hour0 / counts[nov11] - 0.36) < 0.01, hour0 / counts[nov11]
    split15 = sum(ev11.first_hour_shape[:3]) / sum(ev11.first_hour_shape)
    assert stats.binomtest(first15, hour0, split15).pvalue > ALPHA
    assert abs(first15 / hour0 - 0.55) < 0.01
    for d, name in ((nov1, "wave1"), (nov11, "double11")):
        share = sc.events[name].presale.share  # type: ignore[union-attr]
        assert stats.binomtest(presale[d], counts[d], share).pvalue > ALPHA, name
