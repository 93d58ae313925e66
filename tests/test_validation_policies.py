"""Validation of stocking policies against exact inventory theory, with replications.

Same method as tests/test_validation_theory.py (its docstring states the timing convention,
and its helpers build the one-warehouse network and the confidence intervals): expected
values come from stockpyl / scipy, each replication's statistic is one observation, the
theoretical value must lie within the t interval (~3 standard errors) of the mean, and each
interval must be narrow enough for the check to mean something.

1. (s, S) with periodic review against stockpyl.ss.s_s_cost_discrete (Zheng-Federgruen):
   cost per period charged on the END-OF-PERIOD inventory level, zero lead time.
2. Base-stock under time-varying Poisson demand (one-day peaks): the fill rate of a demand at
   t is P(Poisson(integral of the rate over (t - L, t]) <= S - 1).
3. Newsvendor: a single period with no replenishment; the best stock level of a sweep with
   common random numbers is stockpyl.newsvendor.newsvendor_poisson's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from stockpyl.newsvendor import newsvendor_poisson, newsvendor_poisson_cost
from stockpyl.ss import s_s_cost_discrete

from tests.builders import validated
from tests.test_validation_theory import (
    HOUR,
    assert_covers,
    lines_with_created,
    one_dc,
    replications,
    window,
)

pytestmark = pytest.mark.slow


def edited(scenario, edit):
    """The scenario with its resolved data changed in place by `edit`, validated again."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    edit(data)
    return validated(data, "<test_validation_policies>")


def hours_since_start(scenario, times):
    return ((times - pd.Timestamp(scenario.calendar.start)) / HOUR).to_numpy(dtype=float)


# --- 1. (s, S), periodic review, zero lead time, end-of-period costs ---------------------------


def periods(scenario, result):
    """Per daily period j of the KPI window, [24 j, 24 (j + 1)) h: the units ordered at its
    start and its end-of-period inventory level, as the periodic-review textbook model sees
    them.

    The review at 24 j orders and, with a zero lead time, receives at that instant. The
    period's level IL = on_hand - backorders is read just before the next review: the last
    inventory-log row strictly before 24 (j + 1) h (rows logged at the boundary itself are
    the next review's order and receipt). Orders come from the replenishments table.
    """
    begin, end = window(scenario)
    first, last = int(scenario.calendar.warm_up // 24), int(scenario.calendar.horizon // 24)
    starts = 24.0 * np.arange(first, last)

    inv = result.tables["inventory"]
    t = hours_since_start(scenario, inv["time"])
    assert np.all(np.diff(t) >= 0)
    level = (inv["on_hand"] - inv["backorders"]).to_numpy()
    at_end = level[np.searchsorted(t, starts + 24, side="left") - 1]

    rep = result.tables["replenishments"]
    placed = rep[(rep["placed"] >= begin) & (rep["placed"] < end)]
    assert len(placed) == result.kpis["replenishment_orders"]
    assert (placed["received"] == placed["placed"]).all()  # zero lead time
    at = hours_since_start(scenario, placed["placed"])
    assert np.isin(at, starts).all()  # only at reviews, one order per review
    assert len(np.unique(at)) == len(at)
    ordered = np.zeros(len(starts), dtype=np.int64)
    ordered[np.searchsorted(starts, at)] = placed["quantity"].to_numpy()
    return ordered, at_end


def test_s_S_periodic_review_matches_zheng_federgruen_cost():
    """(s, S) = (4, 10), daily review, Poisson demand 6/day, zero lead time, h = 1, p = 4 per
    unit and period, K = 5 (Snyder & Shen, Example 4.7).

    stockpyl's model: at the start of a period, if IP <= s order up to S (arrives at once),
    then the period's demand; h and p are charged on the end-of-period level, K per order.
    Between reviews on_order is 0, so IP = IL at every review. simchain's KPIs are
    time-weighted, so the end-of-period cost per period, (K x orders + sum of h IL^+ +
    p IL^-) / periods over the KPI window, is computed from the tables (see `periods`).
    Exact on every sample path: the review after a period ending at IL orders S - IL iff
    IL <= s.
    """
    s, S, mu, h, p, k = 4, 10, 6.0, 1.0, 4.0, 5.0
    sc = one_dc(
        {"kind": "s_S", "s": s, "S": S, "review_period": "1d"},
        orders_per_day=mu,
        lead_time="0h",
        days=1000,
        warm_up="20d",
        holding_cost_per_day=h,
        ordering_cost=k,
        backorder_cost=p,
    )
    costs = []
    for res in replications(sc, 16):
        ordered, level = periods(sc, res)
        np.testing.assert_array_equal(ordered[1:], np.where(level[:-1] <= s, S - level[:-1], 0))
        shortage = p * np.maximum(-level, 0).sum()
        total = k * np.count_nonzero(ordered) + h * np.maximum(level, 0).sum() + shortage
        costs.append(float(total) / len(level))
    expected = s_s_cost_discrete(s, S, h, p, k, True, mu)
    assert_covers(costs, expected, "cost per period", max_half_width=0.02 * expected)


# --- 2. base-stock under a time-varying Poisson rate ---------------------------------------------


def lead_time_fill_rate(rate, lead, base, hours):
    """Rate-weighted mean over the clock hours `hours` of P(Poisson(Lambda(t)) <= base - 1),
    Lambda(t) = integral of the rate over (t - lead, t]; `rate[i]` is the rate (per hour) in
    clock hour i and `lead` a whole number of hours, so Lambda is linear within each hour and
    Gauss-Legendre quadrature on each hour is exact up to the smoothness of the Poisson cdf."""
    cum = np.concatenate([[0.0], np.cumsum(rate)])
    knots = np.arange(len(cum), dtype=float)
    nodes, weights = np.polynomial.legendre.leggauss(16)
    t = np.asarray(hours, dtype=float)[:, None] + (nodes + 1) / 2  # (hours, nodes)
    lam = np.interp(t, knots, cum) - np.interp(t - lead, knots, cum, left=0.0)
    served = (stats.poisson.cdf(base - 1, lam) * weights).sum(axis=1) / 2
    r = rate[np.asarray(hours)]
    return float((r * served).sum() / r.sum())


def test_base_stock_fill_rate_follows_time_varying_lead_time_demand():
    """Base-stock S = 13, lambda = 20 orders/day of one unit, L = 12 h, continuous review;
    every tenth day is a peak with multiplier 4 (flat within the day, like every other day).

    IL(t) = S - D(t - L, t) still holds, so a demand at t is served from stock with
    probability P(Poisson(Lambda(t)) <= S - 1), Lambda(t) the expected demand over (t - L, t]:
    across a peak day it rises from lambda L to 4 lambda L by noon and stays there; across
    the next day it falls back by noon. Checked, pooled over the peaks of a replication:
    (a) the peak days, (b) the days after (lead-time window straddling the peak), (c) ordinary
    days whose lead-time window is at least a day clear of any peak, against
    P(Poisson(lambda L) <= S - 1).
    """
    S, lam, lead_hours, mult, every = 13, 20.0, 12, 4.0, 10
    days, warm_up = 400, 10
    peaks = np.arange(warm_up + 4, days - 1, every)
    base = one_dc(
        {"kind": "base_stock", "S": S},
        orders_per_day=lam,
        lead_time=f"{lead_hours}h",
        days=days,
        warm_up=f"{warm_up}d",
    )
    start = base.calendar.start

    def add_peaks(data):
        data["events"] = {
            f"peak{i}": {"start": str(start + dt.timedelta(days=int(d))), "multiplier": mult}
            for i, d in enumerate(peaks)
        }

    sc = edited(base, add_peaks)

    # The expected rate per clock hour, from the numbers above (flat weekday and hourly shape).
    day_rate = np.full(days, lam)
    day_rate[peaks] *= mult
    rate = np.repeat(day_rate / 24, 24)
    day_of = np.arange(days)
    dist = np.min(np.abs(day_of[:, None] - peaks[None, :]), axis=1)
    # Ordinary: no peak within two days either way, so (t - L, t] stays a day clear of peaks.
    ordinary = day_of[(dist >= 3) & (day_of >= warm_up)]
    groups = {"peak day": peaks, "day after": peaks + 1, "ordinary day": ordinary}

    def hours_of(day_list):
        return (24 * np.asarray(day_list)[:, None] + np.arange(24)).ravel()

    expected = {g: lead_time_fill_rate(rate, lead_hours, S, hours_of(d)) for g, d in groups.items()}
    steady = float(stats.poisson.cdf(S - 1, lam * lead_hours / 24))
    # Same formula with a constant Lambda = lambda L; the three days must be told apart.
    assert expected["ordinary day"] == pytest.approx(steady, rel=1e-12)
    assert expected["peak day"] < expected["day after"] - 0.2 < steady - 0.4

    observed = {g: [] for g in groups}
    for res in replications(sc, 16):
        lines = lines_with_created(res)
        day = (hours_since_start(sc, lines["created"]) // 24).astype(int)
        for g, d in groups.items():
            mine = lines[np.isin(day, d)]
            observed[g].append(float(mine["from_stock"].sum() / mine["units"].sum()))

    # The day after varies most between replications: its fill hinges on the demand of the
    # peak's last 12 h alone. Every interval stays well below the gaps between the days.
    widths = {"peak day": 0.02, "day after": 0.05, "ordinary day": 0.02}
    for g in groups:
        assert_covers(observed[g], expected[g], f"fill rate, {g}", max_half_width=widths[g])


# --- 3. newsvendor --------------------------------------------------------------------------------


def test_newsvendor_sweep_finds_stockpyl_optimum():
    """One period of 10 days, no replenishment (base-stock S = 0 never orders under lost
    sales), initial stock Q, Poisson demand with mean mu = 8 units per SKU over the period.
    Overage h = 1 per unit left at the end, underage p = 1.1 per unit lost.

    400 SKUs of equal popularity share the Poisson order stream; by Poisson splitting their
    demands are independent Poisson(mu), so one run holds 400 independent newsvendor periods
    and a replication's observation is their mean cost. Costs come from the tables: leftover
    = on hand in the SKU's last inventory-log row, lost = order_lines.lost.

    Q is swept around stockpyl's optimum S* with common random numbers (same seed and
    replication: the same demands, asserted), so the argmin of the mean cost is the empirical
    p / (p + h) quantile of the pooled demands. It equals S* unless the sample cdf lands on
    the wrong side of the critical ratio at S* - 1 or S*; the margin check makes that a
    > 5 sigma event, so the argmin must match exactly (no flat-curve allowance needed). The
    mean cost at S* must match stockpyl's expected cost, and, paired by replication (common
    random numbers make the differences precise), cost(Q) - cost(S*) must match
    g(Q) - g(S*) for every Q of the sweep.
    """
    n_skus, mu, days, h, p, reps = 400, 8.0, 10, 1.0, 1.1, 16
    q_star, best_cost = newsvendor_poisson(h, p, mu)
    q_star = int(q_star)
    ratio = p / (p + h)
    margin = min(ratio - stats.poisson.cdf(q_star - 1, mu), stats.poisson.cdf(q_star, mu) - ratio)
    assert margin > 5 * np.sqrt(0.25 / (n_skus * reps))  # the argmin is not a coin toss

    skus = [f"sku{i:04d}" for i in range(n_skus)]
    base = one_dc(
        {"kind": "base_stock", "S": 0},
        orders_per_day=n_skus * mu / days,
        days=days,
        warm_up="0d",
    )

    def scenario(q):
        def edit(data):
            data["skus"] = {s: {"unit_cost": 10.0, "price": 20.0} for s in skus}
            data["warehouses"]["dc"]["initial_stock"] = dict.fromkeys(skus, q)
            data["regions"]["city"]["unmet_demand"] = "lost_sales"

        return edited(base, edit)

    levels = range(q_star - 2, q_star + 3)
    costs = {}  # Q -> per replication, the mean cost over the SKUs
    demand = {}  # replication -> units demanded per SKU, the same for every Q
    for q in levels:
        costs[q] = []
        for r, res in enumerate(replications(scenario(q), reps)):
            assert res.tables["replenishments"].empty
            lines = res.tables["order_lines"]
            by_sku = lines.groupby("sku", observed=False)[["units", "from_stock", "lost"]].sum()
            by_sku = by_sku.loc[skus]
            inv = res.tables["inventory"]
            leftover = inv.groupby("sku", observed=False)["on_hand"].last().loc[skus]
            np.testing.assert_array_equal(leftover + by_sku["from_stock"], q)
            np.testing.assert_array_equal(by_sku["from_stock"] + by_sku["lost"], by_sku["units"])
            units = by_sku["units"].to_numpy()
            np.testing.assert_array_equal(demand.setdefault(r, units), units)
            costs[q].append(float((h * leftover + p * by_sku["lost"]).mean()))

    assert_covers([d.mean() for d in demand.values()], mu, "demand per SKU", max_half_width=0.2)
    pooled = np.concatenate(list(demand.values()))
    mean_cost = {q: float(np.mean(c)) for q, c in costs.items()}
    assert min(mean_cost, key=mean_cost.__getitem__) == q_star, (
        f"sweep argmin vs stockpyl S* = {q_star}: {mean_cost}; "
        f"sample cdf at S*-1, S*: {(pooled <= q_star - 1).mean():.3f}, "
        f"{(pooled <= q_star).mean():.3f}, critical ratio {ratio:.3f}"
    )
    assert_covers(
        costs[q_star], best_cost, f"cost at S* = {q_star}", max_half_width=0.05 * best_cost
    )
    for q in levels:
        if q != q_star:
            assert_covers(
                np.subtract(costs[q], costs[q_star]),
                newsvendor_poisson_cost(q, h, p, mu) - best_cost,
                f"cost(Q = {q}) - cost(S*)",
                max_half_width=0.1,
            )
