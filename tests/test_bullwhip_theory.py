"""The `moving_average` stocking policy against the bullwhip theory of Chen, Drezner, Ryan &
Simchi-Levi (2000), "Quantifying the bullwhip effect in a simple supply chain", Management
Science 46(3).

Their stage reviews every period, orders up to y_t = L x mean_p + z x sd (mean_p the average
of its last p demands), and with iid demand and z = 0 its orders are
q_t = y_t - y_{t-1} + D_{t-1} = D_{t-1} + (L/p)(D_{t-1} - D_{t-p-1}), so

    Var(q) / Var(D) = 1 + 2L/p + 2L^2/p^2    (exactly, while no order is negative),

and with z > 0 that value is a lower bound.

How simchain lines up with it. A `moving_average` warehouse reviews at midnights; the demand
it saw since the previous midnight closes as one day of its window and it orders
S_t - IP_t. With daily review the position after one review is S_{t-1}, the next day's demand
lowers it by D_{t-1} and nothing else moves it (receipts do not change the position), so the
order at midnight t is S_t - S_{t-1} + D_{t-1}. S_t = round(cover x mean_p) with cover = lead
time + review period in days: Chen's L is the cover, here L = (supplier lead time) + 1 day
(or the `cover` given). The lead time itself only shifts when goods arrive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.scenario import load_text
from tests.builders import product, region, scenario, validated, warehouse
from tests.test_validation_theory import SEED, assert_covers

Data = dict[str, Any]
START = pd.Timestamp("2026-01-01")
DAY = pd.Timedelta(days=1)


def chain_of(stages: dict[str, tuple[float, Data]], days: int, warm_up: int) -> Data:
    """Independent single-warehouse chains in one scenario: per name, a supplier with a
    constant lead time (days), a warehouse with the given policy, a region of Poisson orders
    of one unit at `orders_per_day` (in the policy mapping, popped)."""
    data = scenario(
        "bullwhip_theory",
        start=str(START.date()),
        horizon=f"{days}d",
        warm_up=f"{warm_up}d",
        skus={"item": product(10.0, 20.0)},
        suppliers={},
        warehouses={},
        regions={},
        lanes={},
    )
    for name, (lead, policy) in stages.items():
        policy = dict(policy)
        rate = policy.pop("orders_per_day")
        data["suppliers"][f"vendor_{name}"] = {"lead_time": f"{lead:g}d"}
        data["warehouses"][name] = warehouse(
            {"kind": "moving_average", **policy},
            replenished_from=f"vendor_{name}",
            initial_stock="target",
        )
        data["regions"][f"city_{name}"] = region(
            rate, served_by=name, demand={"lines_per_order": 1, "units_per_line": 1}
        )
        data["lanes"][name] = {f"city_{name}": {"transit_time": "12h"}}
    return data


def by_day(times: pd.Series, values: pd.Series, days: int) -> np.ndarray:
    """Sum of `values` per whole day since the start (day k = [k, k+1) days), days 0..days-1."""
    k = ((times - START) / DAY).to_numpy()
    index = np.floor(k + 1e-9).astype(int)
    return np.bincount(index, weights=values.to_numpy(), minlength=days)[:days]


def demand_and_orders(res: Any, wh: str, days: int) -> tuple[np.ndarray, np.ndarray]:
    """D[k]: units its customers asked in day k; q[k]: units it ordered at midnight k."""
    orders = res.tables["orders"]
    mine = orders[orders["warehouse"] == wh]
    rep = res.tables["replenishments"]
    placed = rep[rep["destination"] == wh]
    assert ((placed["placed"] - START) % DAY == pd.Timedelta(0)).all()  # only at midnights
    return (
        by_day(mine["created"], mine["units"], days),
        by_day(placed["placed"], placed["quantity"], days),
    )


def chen(lead: float, window: int) -> float:
    return 1 + 2 * lead / window + 2 * lead**2 / window**2


# --- the sample path, exactly -----------------------------------------------------------------


def test_orders_follow_the_moving_average_recursion_exactly() -> None:
    """Day by day, with no statistics: the level at midnight t is round(L x mean of the last p
    days' demand) (days before the run counted as `initial_demand_per_day`), logged in
    levels.parquet as (S - 1, S), and the order is S_t - IP_t when positive, IP_t the position
    just before the review (the previous review's S, or the position it held above it, minus
    the day's demand)."""
    days, lead, window, assumed = 80, 2.0, 4, 30.0
    policy = {
        "orders_per_day": 30,
        "window": window,
        "initial_demand_per_day": assumed,
        "safety_factor": 0,
    }
    sc = validated(chain_of({"dc": (lead, policy)}, days, 1))
    res = simulate(sc, seed=SEED)
    demand, q = demand_and_orders(res, "dc", days)
    cover = lead + 1
    history = np.concatenate([np.full(window, assumed), demand])
    level = [round(cover * assumed)]
    position = level[0]  # initial stock = target, nothing on order
    for t in range(1, days):  # the midnight at the horizon is not reviewed
        level.append(round(cover * history[t : t + window].mean()))
        position -= demand[t - 1]
        order = max(level[t] - position, 0)
        assert q[t] == order, t
        position += order
    assert q[0] == 0
    lv = res.tables["levels"]
    logged = pd.Series(lv["order_up_to"].to_numpy(), index=(lv["time"] - START) // DAY)
    expected = pd.Series(level)
    changes = expected[expected != expected.shift()]
    assert logged.to_dict() == changes.to_dict()
    assert (lv["reorder_point"] == lv["order_up_to"] - 1).all()


def test_an_upstream_stage_forecasts_from_the_orders_it_receives() -> None:
    """Two stages: the DC's observed demand is the front warehouse's orders, each counted in
    the day that ends at the midnight it was placed (the DC reviews after the warehouse below
    it), never the customers' demand."""
    days = 60
    data = chain_of(
        {"fdc": (1.0, {"orders_per_day": 40, "window": 3, "initial_demand_per_day": 40})},
        days,
        1,
    )
    data["suppliers"]["vendor"] = {"lead_time": "3d"}
    data["warehouses"]["dc"] = warehouse(
        {"kind": "moving_average", "window": 5, "initial_demand_per_day": 40, "safety_factor": 0},
        initial_stock="target",
    )
    data["warehouses"]["fdc"]["replenished_from"] = "dc"
    data["lanes"]["dc"] = {"fdc": {"transit_time": "1d"}}
    res = simulate(validated(data), seed=SEED)
    _, fdc_orders = demand_and_orders(res, "fdc", days)
    _, dc_orders = demand_and_orders(res, "dc", days)
    # The DC's day t (closed at midnight t) holds the front warehouse's order of midnight t.
    seen = np.concatenate([np.full(5, 40.0), fdc_orders[1:]])
    lv = res.tables["levels"]
    dc_levels = lv[lv["warehouse"] == "dc"]
    level = dict(zip((dc_levels["time"] - START) // DAY, dc_levels["order_up_to"], strict=True))
    current = level[0]
    position = current
    for t in range(1, days):
        current = level.get(t, current)
        assert current == round(4 * seen[t : t + 5].mean()), t
        position -= fdc_orders[t]
        order = max(current - position, 0)
        assert dc_orders[t] == order, t
        position += order


# --- Chen et al.'s variance ratio -----------------------------------------------------------

# (name, supplier lead time in days, window p, z, orders per day): Chen's L = lead time + 1.
PAIRS = [
    ("L2_p4", 1.0, 4, 0.0, 40),
    ("L3_p3", 2.0, 3, 0.0, 50),
    ("L4_p5", 3.0, 5, 0.0, 50),
    ("L3_p3_z", 2.0, 3, 1.65, 50),
]
DAYS, WARM_UP, REPLICATIONS = 250, 10, 8


def chen_runs() -> list[Any]:
    stages = {
        name: (
            lead,
            {
                "orders_per_day": rate,
                "window": window,
                "initial_demand_per_day": rate,
                "safety_factor": z,
            },
        )
        for name, lead, window, z, rate in PAIRS
    }
    sc = validated(chain_of(stages, DAYS, WARM_UP))
    return [simulate(sc, seed=SEED, replication=r) for r in range(REPLICATIONS)]


def variance_ratio(res: Any, wh: str) -> tuple[float, float]:
    """Var(orders) / Var(demand) over the reviews from the end of the warm-up to the last one
    before the horizon, with the share of those reviews that ordered nothing (a negative order
    held back, or exactly zero)."""
    demand, q = demand_and_orders(res, wh, DAYS)
    t = np.arange(WARM_UP, DAYS)
    return float(q[t].var(ddof=1) / demand[t - 1].var(ddof=1)), float((q[t] == 0).mean())


@pytest.fixture(scope="module")
def chen_results() -> dict[str, tuple[list[float], list[float]]]:
    runs = chen_runs()
    out = {}
    for name, *_ in PAIRS:
        pairs = [variance_ratio(r, name) for r in runs]
        out[name] = ([p[0] for p in pairs], [p[1] for p in pairs])
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "lead", "window", "rate"), [(p[0], p[1], p[2], p[4]) for p in PAIRS if p[3] == 0]
)
def test_variance_ratio_matches_chen_et_al(
    chen_results: dict[str, tuple[list[float], list[float]]],
    name: str,
    lead: float,
    window: int,
    rate: float,
) -> None:
    """z = 0, daily review, Poisson demand: the replication mean of Var(q)/Var(D) covers
    1 + 2L/p + 2L^2/p^2 with L = lead time + 1 day. Demand sizes keep held-back (negative)
    orders rare: the unclipped order has mean lambda and variance lambda x ratio, so it is
    negative with probability about Phi(-sqrt(lambda / ratio)) < 0.1 %. Rounding S to whole
    units adds at most Var(e_t - e_{t-1}) <= 1 unit^2, i.e. 1/lambda to the ratio (the atol)."""
    ratios, idle = chen_results[name]
    expected = chen(lead + 1, window)
    assert max(idle) < 0.005, f"{name}: reviews without an order {idle}"
    assert_covers(ratios, expected, name, atol=1 / rate, max_half_width=0.1 * expected)


def test_chen_lower_bound_with_safety_stock(
    chen_results: dict[str, tuple[list[float], list[float]]],
) -> None:
    """z = 1.65: re-estimating the spread every day moves the level further, so the ratio lies
    above Chen et al.'s z = 0 value (their lower bound): the whole interval is above it."""
    ratios, _ = chen_results["L3_p3_z"]
    x = np.asarray(ratios)
    half = float(stats.t.ppf(0.99865, len(x) - 1)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    assert x.mean() - half >= chen(3, 3), (x.mean(), half)


# --- bad input ------------------------------------------------------------------------------

ONE_DC = """\
schema_version: 1
name: bad
calendar: {start: 2026-01-01, horizon: 20d}
skus: {item: {unit_cost: 10, price: 20}}
suppliers: {vendor: {lead_time: 2d}}
warehouses:
  dc:
    replenished_from: vendor
    stocking:
      default: {kind: moving_average, %s}
regions:
  city: {served_by: [dc], demand: {orders_per_day: 5}}
lanes: {dc: {city: {transit_time: 12h}}}
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("initial_demand_per_day: 5", "window"),
        ("window: 7", "initial_demand_per_day"),
        ("window: 7, initial_demand_per_day: 5, review_period: 36h", "whole number of days"),
        ("window: 7, initial_demand_per_day: 5, service_level: 0.9, safety_factor: 1", "not both"),
        ("window: 1, initial_demand_per_day: 5", "window >= 2"),
        ("window: 0, initial_demand_per_day: 5, safety_factor: 0", "window"),
        ("window: 7, initial_demand_per_day: -1", "initial_demand_per_day"),
        ("window: 7, initial_demand_per_day: 5, safety_factor: -0.5", "safety_factor"),
        ("window: 7, initial_demand_per_day: 5, windw: 3", "windw"),
    ],
)
def test_bad_moving_average_is_named_with_file_and_line(fields: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(ONE_DC % fields, source="bad.yaml")
    text = str(info.value)
    assert "bad.yaml:10: warehouses.dc.stocking.default" in text, text
    assert message in text, text


def test_one_day_window_without_safety_stock_orders_yesterdays_demand_plus_the_change() -> None:
    """window 1, z = 0 is valid: with cover L, q_t = D_{t-1} + L (D_{t-1} - D_{t-2})."""
    days = 40
    policy = {"orders_per_day": 200, "window": 1, "initial_demand_per_day": 200, "cover": "1d"}
    res = simulate(
        validated(chain_of({"dc": (2.0, {**policy, "safety_factor": 0})}, days, 1)),
        seed=SEED,
    )
    demand, q = demand_and_orders(res, "dc", days)
    t = np.arange(2, days)
    assert np.array_equal(q[t], np.maximum(2 * demand[t - 1] - demand[t - 2], 0))
