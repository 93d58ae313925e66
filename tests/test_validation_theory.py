"""Validation against queueing and inventory theory: simulated KPIs vs closed-form values.

Every expected value is computed here with stockpyl / scipy from the scenario's parameters.
Statistical checks run independent replications (same seed, `replication=0..n-1`), treat each
replication's KPI as one observation, and require the theoretical value to lie within the mean
+- ~3 standard errors (Student t, 99.73 % two-sided) plus a tiny absolute tolerance for the
millisecond rounding of timestamps. Each check also asserts that its interval is narrow, so a
pass means something.

Timing convention (simchain/model/warehouses.py): an arriving demand is served from on-hand
stock at its arrival instant, before any receipt at the same instant, and the stocking policy
is asked right after the demand is booked. With continuous review, unit demand and a constant
lead time L, base-stock S therefore gives IL(t) = S - D(t - L, t], so a demand at t is served
from stock iff fewer than S units were demanded in (t - L, t) (PASTA: fill rate =
P(D(L) <= S - 1)). KPIs are measured over the window [warm_up, horizon).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from stockpyl.loss_functions import poisson_loss
from stockpyl.rq import r_q_cost_poisson

from simchain import simulate
from tests import builders

pytestmark = pytest.mark.slow

SEED = 20260901
HOUR = pd.Timedelta(hours=1)
COVERAGE = 0.9973  # "3 sigma", two-sided


# --- helpers -----------------------------------------------------------------------------


def one_dc(
    policy,
    *,
    orders_per_day,
    lead_time="2d",
    days=400,
    warm_up="10d",
    holding_cost_per_day=None,
    ordering_cost=0.0,
    backorder_cost=0.0,
    initial_stock="target",
    pickers=None,
):
    """One supplier, one warehouse, one region, one SKU; Poisson orders of one unit."""
    item = builders.product(10.0, 20.0)
    if holding_cost_per_day is not None:
        item["holding_cost_per_day"] = holding_cost_per_day
    dc = builders.warehouse(policy, initial_stock=initial_stock)
    if pickers is not None:
        dc["pickers"] = pickers
    data = builders.scenario(
        "validation",
        start="2026-01-01",
        horizon=f"{days}d",
        warm_up=warm_up,
        skus={"item": item},
        suppliers={"vendor": {"lead_time": lead_time}},
        warehouses={"dc": dc},
        regions={
            "city": builders.region(
                orders_per_day,
                demand={"lines_per_order": 1, "units_per_line": 1},
                unmet_demand="backorder",
            )
        },
        lanes={"dc": {"city": {"transit_time": "12h", "cost_per_unit": 0.0}}},
        costs={"ordering_cost": ordering_cost, "backorder_cost_per_unit_day": backorder_cost},
    )
    return builders.validated(data, "<test_validation_theory>")


def replications(scenario, n):
    return [simulate(scenario, seed=SEED, replication=r) for r in range(n)]


def window(scenario):
    """[begin, end) of the KPI window as timestamps, computed from the calendar."""
    start = pd.Timestamp(scenario.calendar.start)
    return (
        start + pd.Timedelta(hours=scenario.calendar.warm_up),
        start + pd.Timedelta(hours=scenario.calendar.horizon),
    )


def window_days(scenario):
    begin, end = window(scenario)
    return (end - begin) / pd.Timedelta(days=1)


def assert_covers(values, expected, what, *, atol=1e-6, max_half_width):
    """The t confidence interval of the replication mean contains `expected` (+- atol)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + COVERAGE / 2, n - 1)) * se
    detail = (
        f"{what}: simulated {mean:.5g} +- {half:.3g} ({n} replications, se {se:.3g}), "
        f"theory {expected:.5g}, z = {(mean - expected) / se if se else float('nan'):.2f}"
    )
    assert half <= max_half_width, f"interval too wide to validate anything; {detail}"
    assert abs(mean - expected) <= half + atol, detail


def lines_with_created(result):
    """order_lines joined with their order's creation time."""
    orders = result.tables["orders"][["order_id", "created"]]
    return result.tables["order_lines"].merge(orders, on="order_id", validate="many_to_one")


# --- 1. base stock, Poisson demand, constant lead time ------------------------------------------


@pytest.mark.parametrize("S", [36, 46])
def test_base_stock_poisson_matches_lead_time_demand_distribution(S):
    """Base-stock S, lambda = 20/day, L = 2 d (mean lead-time demand 40), backorders.

    fill_rate = P(D(L) <= S - 1); avg_on_hand_units = E[(S - D(L))^+];
    avg_backorder_units = E[(D(L) - S)^+], D(L) ~ Poisson(lambda L).
    """
    lam, lead_days = 20.0, 2.0
    mu = lam * lead_days
    sc = one_dc({"kind": "base_stock", "S": S}, orders_per_day=lam, lead_time=f"{lead_days}d")
    runs = replications(sc, 20)
    kpis = [r.kpis for r in runs]
    loss, comp_loss = poisson_loss(S, mu)  # E[(D - S)^+], E[(S - D)^+]

    fill = stats.poisson.cdf(S - 1, mu)
    assert_covers([k["fill_rate"] for k in kpis], fill, "fill rate", max_half_width=0.03)
    assert_covers(
        [k["avg_on_hand_units"] for k in kpis],
        float(comp_loss),
        "avg on hand",
        atol=1e-3,
        max_half_width=0.1 * max(float(comp_loss), 1.0),
    )
    assert_covers(
        [k["avg_backorder_units"] for k in kpis],
        float(loss),
        "avg backorders",
        atol=1e-3,
        max_half_width=0.1 * max(float(loss), 1.0),
    )


def test_base_stock_sample_path_follows_fifo_recursion():
    """Exact sample path, no statistics: with base-stock S, constant L and FIFO backorders,
    the n-th unit demanded (n >= S) is filled by the reorder triggered by demand n - S, so
    filled_n = max(created_n, created_{n-S} + L); the first S demands are served at once.
    A demand served at its arrival is served from stock (from_stock = 1) iff fewer than S
    units were demanded in (t - L, t). Each demand places one unit order at its instant,
    received exactly L later.
    """
    S, lead = 30, 48.0
    sc = one_dc({"kind": "base_stock", "S": S}, orders_per_day=20.0, lead_time="2d", days=120)
    res = simulate(sc, seed=SEED, replication=0)
    lines = lines_with_created(res).sort_values("created", kind="stable")
    t0 = pd.Timestamp(sc.calendar.start)
    created = ((lines["created"] - t0) / HOUR).to_numpy()
    filled = ((lines["filled"] - t0) / HOUR).to_numpy()
    n = len(created)
    assert n > 2000

    expected = created.copy()
    expected[S:] = np.maximum(created[S:], created[:-S] + lead)
    horizon = sc.calendar.horizon
    open_ = expected >= horizon
    assert np.array_equal(np.isnan(filled), open_)
    np.testing.assert_allclose(filled[~open_], expected[~open_], rtol=0, atol=1e-5)

    before = np.searchsorted(created, created, side="left")
    in_lead = before - np.searchsorted(created, created - lead, side="right")
    from_stock = np.asarray(lines["from_stock"])
    assert np.array_equal(from_stock == 1, in_lead <= S - 1)
    assert np.array_equal(np.asarray(lines["backordered"]), 1 - from_stock)

    rep = res.tables["replenishments"]
    got = rep[rep["received"].notna()]
    assert (got["quantity"] == 1).all()
    np.testing.assert_allclose((got["received"] - got["placed"]) / HOUR, lead, atol=1e-5)
    placed = np.sort(((rep["placed"] - t0) / HOUR).to_numpy())
    np.testing.assert_allclose(placed, created, rtol=0, atol=1e-5)


# --- 2. (r, Q), Poisson demand, constant lead time ----------------------------------------------


def test_r_q_poisson_cost_and_fill_rate_match_exact_formulas():
    """(r, Q) = (32, 40), lambda = 12/day, L = 3 d, h = 0.5, p = 5 per unit-day, K = 50.

    Cost per day = (holding + ordering + shortage cost) / window days must match
    stockpyl.rq.r_q_cost_poisson; with IP uniform on r+1..r+Q, fill rate = mean_y
    P(D(L) <= y - 1), and E[on hand], E[backorders] are the averages of the Poisson
    complementary loss / loss over y. Ordering cost counts orders placed in the window.
    """
    lam, lead_days, r, q = 12.0, 3.0, 32, 40
    h, p, k = 0.5, 5.0, 50.0
    mu = lam * lead_days
    sc = one_dc(
        {"kind": "r_Q", "r": r, "Q": q},
        orders_per_day=lam,
        lead_time=f"{lead_days}d",
        holding_cost_per_day=h,
        ordering_cost=k,
        backorder_cost=p,
    )
    days = window_days(sc)
    kpis = [res.kpis for res in replications(sc, 20)]

    cost = r_q_cost_poisson(r, q, h, p, k, lam, lead_days)
    simulated = [
        (kp["holding_cost"] + kp["ordering_cost"] + kp["shortage_cost"]) / days for kp in kpis
    ]
    assert_covers(simulated, cost, "cost per day", atol=1e-3, max_half_width=0.03 * cost)

    y = np.arange(r + 1, r + q + 1)
    fill = float(stats.poisson.cdf(y - 1, mu).mean())
    assert_covers([kp["fill_rate"] for kp in kpis], fill, "fill rate", max_half_width=0.02)

    losses = np.array([poisson_loss(int(v), mu) for v in y], dtype=float)
    assert_covers(
        [kp["avg_on_hand_units"] for kp in kpis],
        float(losses[:, 1].mean()),
        "avg on hand",
        atol=1e-3,
        max_half_width=1.0,
    )
    assert_covers(
        [kp["avg_backorder_units"] for kp in kpis],
        float(losses[:, 0].mean()),
        "avg backorders",
        atol=1e-3,
        max_half_width=0.1,
    )
    assert_covers(
        [kp["replenishment_orders"] / days for kp in kpis],
        lam / q,
        "orders per day",
        max_half_width=0.02,
    )


# --- 3. Little's law for backorders -------------------------------------------------------------


def test_littles_law_for_backorders():
    """Base-stock S = 30 below the mean lead-time demand 40 (lambda = 20/day, L = 2 d).

    Time-weighted average backorders (kpi avg_backorder_units, from the inventory log) equal
    (backordered units per hour) x (mean wait in hours, created -> filled) of the lines
    created in the window, waits censored at the horizon; the two differ only by boundary
    terms of order L / window, so they must agree within 1 %. The same area measured from
    the lines (overlap of [created, filled) with the window) must equal the KPI exactly.
    The level itself must match the Poisson loss E[(D(L) - S)^+].
    """
    S, lam, lead_days = 30, 20.0, 2.0
    sc = one_dc({"kind": "base_stock", "S": S}, orders_per_day=lam, lead_time=f"{lead_days}d")
    begin, end = window(sc)
    hours = (end - begin) / HOUR
    levels, little = [], []
    for res in replications(sc, 12):
        lines = lines_with_created(res)
        bo = lines[lines["backordered"] > 0]
        assert (bo["backordered"] == 1).all()  # unit demand: one unit per backordered line
        kpi = res.kpis["avg_backorder_units"]

        lo = bo["created"].clip(lower=begin, upper=end)
        hi = bo["filled"].fillna(end).clip(lower=begin, upper=end)
        area = float((((hi - lo) / HOUR) * bo["backordered"]).sum()) / hours
        assert area == pytest.approx(kpi, rel=1e-9, abs=1e-9)

        mine = bo[(bo["created"] >= begin) & (bo["created"] < end)]
        rate = float(mine["backordered"].sum()) / hours
        wait = float(((mine["filled"].fillna(end) - mine["created"]) / HOUR).mean())
        assert rate * wait == pytest.approx(kpi, rel=0.01)
        levels.append(kpi)
        little.append(rate * wait)

    expected = float(poisson_loss(S, lam * lead_days)[0])
    assert_covers(levels, expected, "avg backorders", atol=1e-3, max_half_width=0.5)
    assert_covers(little, expected, "lambda x W", atol=1e-3, max_half_width=0.5)


# --- 4. picker station as an M/M/c queue --------------------------------------------------------


def erlang_c(c, a):
    """P(wait > 0) in M/M/c with offered load a = lambda / mu, via Erlang B from scipy."""
    b = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    rho = a / c
    return b / (1 - rho * (1 - b))


def test_picker_station_matches_erlang_c():
    """c = 2 pickers, exponential pick time (mean 10 min), Poisson orders 9/h (rho = 0.75),
    stock never short. Mean wait in queue (pick_start - allocated) of orders created in the
    window = C(c, a) / (c mu - lambda); share of orders that wait = C(c, a); picker
    utilization KPI = rho.
    """
    c, lam_h, pick_min = 2, 9.0, 10.0
    mu_h = 60.0 / pick_min
    a = lam_h / mu_h
    sc = one_dc(
        {"kind": "base_stock", "S": 0},
        orders_per_day=lam_h * 24,
        days=60,
        warm_up="2d",
        initial_stock={"item": 10_000_000},
        pickers={"count": c, "pick_time": {"dist": "exponential", "mean": f"{pick_min}min"}},
    )
    begin, _ = window(sc)
    waits, waited, util = [], [], []
    for res in replications(sc, 12):
        orders = res.tables["orders"]
        assert (orders["units_backordered"] == 0).all()
        obs = orders[orders["created"] >= begin]
        q = (obs["pick_start"] - obs["allocated"]) / HOUR
        assert q.notna().mean() > 0.999
        waits.append(float(q.mean()))
        waited.append(float((q > 0).mean()))
        util.append(res.kpis["picker_utilization"])

    p_wait = erlang_c(c, a)
    assert_covers(waits, p_wait / (c * mu_h - lam_h), "Wq (h)", atol=1e-5, max_half_width=0.02)
    assert_covers(waited, p_wait, "P(wait)", max_half_width=0.02)
    assert_covers(util, a / c, "utilization", max_half_width=0.01)
