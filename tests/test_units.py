"""Unit tests of the building blocks, against hand-computed values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError

from simchain.kpis import Window, time_weighted
from simchain.policies.routing import Nearest, NearestWithStock
from simchain.policies.stocking import BaseStock, MinOrderUpTo, ReorderPointQuantity
from simchain.scenario.distributions import CountDist, DurationDist, Sampler
from simchain.streams import Streams
from simchain.timebase import clock_to_timestamps, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "hours"),
    [("45s", 0.0125), ("90min", 1.5), ("2.5h", 2.5), ("3d", 72.0), ("1w", 168.0), ("0h", 0.0)],
)
def test_durations_parse_to_hours(text, hours):
    assert parse_duration(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["3", "3x", "h", "-2h", "2 hours", ""])
def test_malformed_durations_are_refused(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("hours", [0.0, 1.5, 72.0, 0.25, 30.0, 1e-3])
def test_format_duration_round_trips(hours):
    assert parse_duration(format_duration(hours)) == pytest.approx(hours)


def test_clock_to_timestamps_keeps_nan_as_nat():
    ts = clock_to_timestamps(dt.date(2026, 11, 1), np.array([0.0, 240.5, np.nan]))
    assert ts[0] == np.datetime64("2026-11-01T00:00")
    assert ts[1] == np.datetime64("2026-11-11T00:30")
    assert np.isnat(ts[2])


DUR = TypeAdapter(DurationDist)
COUNT = TypeAdapter(CountDist)


@pytest.mark.parametrize(
    ("spec", "mean", "sd"),
    [
        ({"dist": "exponential", "mean": "90s"}, 0.025, 0.025),
        ({"dist": "lognormal", "mean": "5d", "cv": 0.3}, 120.0, 36.0),
        ({"dist": "gamma", "mean": "2d", "cv": 0.5}, 48.0, 24.0),
        ({"dist": "uniform", "low": "1h", "high": "3h"}, 2.0, 2 / np.sqrt(12)),
        ({"dist": "triangular", "low": "0h", "mode": "0h", "high": "3h"}, 1.0, np.sqrt(0.5)),
        ("2h", 2.0, 0.0),
    ],
)
def test_duration_distributions_have_declared_moments(spec, mean, sd):
    dist = DUR.validate_python(spec)
    assert dist.mean_value() == pytest.approx(mean)
    x = dist.sample(np.random.default_rng(1), 200_000)
    assert x.mean() == pytest.approx(mean, rel=0.01, abs=1e-9)
    assert x.std() == pytest.approx(sd, rel=0.02, abs=1e-9)


def test_count_distributions():
    emp = COUNT.validate_python({"dist": "empirical", "values": [1, 2, 3], "weights": [75, 20, 5]})
    x = emp.sample(np.random.default_rng(2), 100_000)
    assert set(np.unique(x)) == {1.0, 2.0, 3.0}
    assert x.mean() == pytest.approx(1.3, rel=0.01)
    geo = COUNT.validate_python({"dist": "geometric", "mean": 1.3})
    g = geo.sample(np.random.default_rng(3), 100_000)
    assert g.min() >= 1
    assert g.mean() == pytest.approx(1.3, rel=0.01)
    assert COUNT.validate_python(2).sample(np.random.default_rng(0), 3).tolist() == [2, 2, 2]


@pytest.mark.parametrize(
    ("adapter", "spec", "match"),
    [
        (DUR, 5, "needs a unit"),
        (DUR, {"dist": "exponential", "mean": 5}, "needs a unit"),
        (DUR, {"dist": "lognormal", "mean": "5d"}, "needs cv"),
        (DUR, {"dist": "exponential", "mean": "1h", "cv": 0.2}, "does not take cv"),
        (DUR, {"dist": "uniform", "low": "3h", "high": "1h"}, "must not exceed"),
        (DUR, {"dist": "empirical", "values": ["1h"], "weights": [1, 2]}, "weights has 2"),
        (COUNT, {"dist": "exponential", "mean": 2}, "a count takes"),
        (COUNT, 0, "whole number >= 1"),
        (COUNT, 1.5, "whole number >= 1"),
    ],
)
def test_bad_distributions_are_refused(adapter, spec, match):
    with pytest.raises(ValidationError, match=match):
        adapter.validate_python(spec)


def test_sampler_draws_the_same_sequence_as_bulk_sampling():
    dist = DUR.validate_python({"dist": "exponential", "mean": "1h"})
    s = Sampler(dist, np.random.default_rng(5), block=7)
    one_by_one = [s() for _ in range(20)]
    rng = np.random.default_rng(5)
    bulk = np.concatenate([dist.sample(rng, 7) for _ in range(3)])[:20]
    assert one_by_one == pytest.approx(bulk.tolist())


def test_streams_are_reproducible_and_independent_by_name():
    a = Streams(7, 0).rng("demand/x").random(5)
    assert np.array_equal(a, Streams(7, 0).rng("demand/x").random(5))
    assert not np.array_equal(a, Streams(7, 0).rng("demand/y").random(5))
    assert not np.array_equal(a, Streams(7, 1).rng("demand/x").random(5))
    assert not np.array_equal(a, Streams(8, 0).rng("demand/x").random(5))


@pytest.mark.parametrize(
    ("policy", "position", "expected"),
    [
        (BaseStock(S=10), 10, 0),
        (BaseStock(S=10), 9, 1),
        (BaseStock(S=10), -3, 13),
        (MinOrderUpTo(s=4, S=10), 5, 0),
        (MinOrderUpTo(s=4, S=10), 4, 6),
        (MinOrderUpTo(s=4, S=10), -2, 12),
        (ReorderPointQuantity(r=4, Q=5), 5, 0),
        (ReorderPointQuantity(r=4, Q=5), 4, 5),
        (ReorderPointQuantity(r=4, Q=5), 0, 5),
        (ReorderPointQuantity(r=4, Q=5), -1, 10),
    ],
)
def test_stocking_policies_order_quantities(policy, position, expected):
    q = policy.order_quantity(position)
    assert q == expected
    if isinstance(policy, ReorderPointQuantity) and q:
        assert policy.r < position + q <= policy.r + policy.Q


def test_s_must_be_below_S():
    with pytest.raises(ValidationError, match="must be less than S"):
        MinOrderUpTo(s=10, S=10)


def test_routing_policies():
    stocked = {2}
    assert NearestWithStock().choose([1, 2, 3], lambda w: w in stocked) == 2
    assert NearestWithStock().choose([1, 3], lambda w: w in stocked) == 1
    assert Nearest().choose([1, 2, 3], lambda w: w in stocked) == 1


def test_time_weighted_mean_by_hand():
    start = pd.Timestamp("2026-01-01")
    hours = pd.to_timedelta
    log = pd.DataFrame(
        {
            "time": [start, start + hours("10h"), start + hours("30h"), start],
            "warehouse": ["w", "w", "w", "v"],
            "sku": ["a", "a", "a", "a"],
            "on_hand": [5, 2, 8, 1],
        }
    )
    # window [20 h, 40 h): w/a holds 2 for 10 h then 8 for 10 h -> 5; v/a holds 1 throughout.
    window = Window(start + hours("20h"), start + hours("40h"))
    got = time_weighted(log, "on_hand", window)
    assert got[("w", "a")] == pytest.approx(5.0)
    assert got[("v", "a")] == pytest.approx(1.0)
    assert window.days == pytest.approx(20 / 24)


def test_days_without_orders_are_fine():
    """Low demand leaves whole days empty; the run must not care."""
    from simchain import simulate
    from tests.builders import base_stock, loaded_as_yaml, product, region, scenario, warehouse

    data = scenario(
        "quiet",
        start=dt.date(2026, 1, 1),
        horizon="20d",
        warm_up=None,
        skus={"item": product(10, 20)},
        suppliers={"vendor": {"lead_time": "2d"}},
        warehouses={"dc": warehouse(base_stock(5))},
        regions={"city": region(0.1)},
        lanes={"dc": {"city": {"transit_time": "12h"}}},
    )
    sc = loaded_as_yaml(data, "<quiet>")
    r = simulate(sc, seed=0)
    assert len(r.tables["orders"]) < 10
    assert r.kpis["orders"] == len(r.tables["orders"])


def test_advance_demand_counts_only_deposits_made_so_far():
    from simchain.advance import AdvanceDemand
    from simchain.demand import Orders

    orders = Orders(
        times=np.array([100.0, 101.0, 102.0]),
        n_lines=np.array([1, 2, 1]),
        skus=np.array([0, 0, 1, 0]),
        units=np.array([1, 2, 3, 4]),
        event=np.array([0, 0, 0]),
        deposit=np.array([10.0, 20.0, 30.0]),
    )
    book = AdvanceDemand(2, [(0, orders)])
    assert book.units_due(0, 0, 200, known_at=1000) == 1 + 2 + 4
    assert book.units_due(0, 0, 200, known_at=25) == 1 + 2
    assert book.units_due(1, 0, 200, known_at=25) == 3
    assert book.units_due(0, 101, 200, known_at=1000) == 2 + 4
    assert book.units_due(0, 0, 200, known_at=1000, region=1) == 0


def test_periodic_and_min_max_order_quantities():
    from simchain.policies.stocking import MinMax, PeriodicOrderUpTo

    periodic = PeriodicOrderUpTo(review_period="1d", S=50)
    assert periodic.order_quantity(50) == 0
    assert periodic.order_quantity(-5) == 55
    mm = MinMax(min=10, max=40)
    assert mm.order_quantity(10) == 0  # strictly below min triggers
    assert mm.order_quantity(9) == 31
    with pytest.raises(ValidationError, match="must not exceed"):
        MinMax(min=50, max=40)


def test_periodic_review_orders_only_at_review_times():
    """A policy with a review period orders at multiples of the period, never in between;
    a continuous one orders whenever demand takes the position down."""
    from simchain import simulate
    from simchain.scenario import load_scenario

    root = __import__("pathlib").Path(__file__).parents[1]
    sc = load_scenario(
        root / "scenarios" / "classroom_single_dc.yaml",
        overrides=[
            "warehouses.hz_dc.stocking.classes.A={kind: periodic, review_period: 3d, S: 1200}",
            "warehouses.hz_dc.stocking.classes.B={kind: s_S, s: 280, S: 480, review_period: 12h}",
        ],
        days=40,
    )
    rep = simulate(sc, seed=5).tables["replenishments"]
    start = pd.Timestamp("2026-09-01")
    hours = (rep["placed"] - start) / pd.Timedelta(hours=1)
    a = hours[rep["sku"] == "phone_case"]
    b = hours[rep["sku"] == "usb_cable"]
    assert len(a) >= 10 and len(b) >= 5
    assert np.allclose(a % 72, 0)
    assert np.allclose(b % 12, 0)
    c = hours[rep["sku"] == "power_bank"]  # continuous s_S: orders at demand times
    assert len(c) and not np.allclose(c % 1, 0)
