"""Planned stocking policies (forecast_driven, peak_prebuild), per-class service levels and
echelon inventory position.

Expected levels are computed here from the scenario's numbers with scipy (the normal quantile)
and the forecast table; fill rates against the Poisson distribution with replications.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.policies.stocking import ForecastDriven, PeakPrebuild, PlanInputs
from tests.builders import product, region, scenario, validated, warehouse
from tests.test_validation_theory import assert_covers, one_dc, replications

Data = dict[str, Any]
START = dt.date(2026, 1, 1)


def flat_plan(rate_per_day: float, **kw: Any) -> PlanInputs:
    """Inputs with a constant forecast rate, a 3-day lead time of sd 0.5 day."""
    base: dict[str, Any] = {
        "now": 240.0,
        "forecast": lambda t0, t1: rate_per_day * (t1 - t0) / 24,
        "lead_time_mean": 72.0,
        "lead_time_var": 12.0**2,
        "variance_to_mean": 1.5,
        "forecast_cv": lambda t0, t1: 0.2,
        "abc_class": "A",
        "clock": lambda d: (d - START).days * 24.0,
        "events": {"peak": (30 * 24.0, 31 * 24.0)},
    }
    return PlanInputs(**{**base, **kw})


def expected_levels(
    rate: float, span_days: float, level: float, order_cycle_days: float = 0.0
) -> tuple[int, int]:
    """The documented formula, written out independently."""
    var_daily = rate * 1.5 + (0.2 * rate) ** 2
    sigma = math.sqrt(span_days * var_daily + rate**2 * 0.5**2)
    s = round(rate * span_days + stats.norm.ppf(level) * sigma)
    return s, s + max(round(rate * order_cycle_days), 1)


# --- the levels, as pure functions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "span", "level", "cycle"),
    [
        ({}, 3.0, 0.95, 0.0),
        ({"service_level": 0.9, "class_service_levels": {"B": 0.99}}, 3.0, 0.9, 0.0),
        ({"class_service_levels": {"A": 0.99}}, 3.0, 0.99, 0.0),
        ({"review_period": "2d", "order_cycle": "4d"}, 5.0, 0.95, 4.0),
    ],
)
def test_levels_follow_the_safety_stock_formula(
    policy: Data, span: float, level: float, cycle: float
) -> None:
    fd = ForecastDriven.model_validate(policy)
    assert fd.levels(flat_plan(40.0)) == expected_levels(40.0, span, level, cycle)


def test_peak_prebuild_covers_the_event_from_a_lead_time_before_build_by() -> None:
    pb = PeakPrebuild.model_validate({"event": "peak", "build_by": "2026-01-29"})
    build_from = 28 * 24.0 - 72.0  # build_by minus the 3-day lead time
    for now, end in [
        (build_from - 1, build_from - 1 + 72),  # before: the usual protection interval
        (build_from, 31 * 24.0),  # from then until the event's end: through the event
        (30.5 * 24, 30.5 * 24 + 72),  # the interval already reaches past the event
        (31 * 24.0, 31 * 24.0 + 72),  # after the event: back to normal
    ]:
        assert pb.cover(flat_plan(10.0, now=now)) == (now, max(end, now + 72)), now


# --- in a run -------------------------------------------------------------------------------


def fd_network(**policy: Any) -> Data:
    """A DC replenishing two front warehouses, each serving a city; forecast error 30 %."""
    fd = {"kind": "forecast_driven", **policy}
    return scenario(
        "planned",
        start=str(START),
        horizon="60d",
        warm_up="5d",
        skus={
            "a": product(10.0, 20.0, abc_class="A"),
            "b": product(10.0, 20.0, abc_class="B"),
        },
        suppliers={"vendor": {"lead_time": "4d"}},
        warehouses={
            "dc": warehouse(fd),
            "fdc_20": warehouse(fd, replenished_from="dc"),
            "fdc_50": warehouse(fd, replenished_from="dc"),
        },
        regions={"c20": region(20, served_by="fdc_20"), "c50": region(50, served_by="fdc_50")},
        lanes={
            "dc": {"fdc_20": {"transit_time": "1d"}, "fdc_50": {"transit_time": "1d"}},
            "fdc_20": {"c20": {"transit_time": "1d"}},
            "fdc_50": {"c50": {"transit_time": "1d"}},
        },
        events={"peak": {"start": "2026-02-01", "multiplier": 5.0}},
        forecast={"normal": {"cv": 0.3}},
    )


def forecast_units(res: Any, regions: list[str], sku: str, t0: float, t1: float) -> float:
    """Forecast units of `regions` over clock hours [t0, t1), pro rata within periods."""
    f = res.tables["forecast"]
    f = f[f["region"].isin(regions) & (f["sku"] == sku)]
    per = f.groupby("period_start", observed=True)["forecast_units"].sum().sort_index()
    edges = np.arange(len(per) + 1) * 24.0
    cum = np.concatenate([[0.0], np.cumsum(per.to_numpy())])
    return float(np.interp(t1, edges, cum) - np.interp(t0, edges, cum))


def test_levels_table_uses_the_forecast_of_each_warehouses_demand() -> None:
    """Unit demand (variance_to_mean 1), constant lead times, forecast cv 0.3: the levels a
    warehouse logs at time t are the formula over the forecast of its own region (front
    warehouses) or of every region below it (the DC), never the true demand."""
    res = simulate(validated(fd_network()), seed=5)
    levels = res.tables["levels"]
    start = pd.Timestamp(START)
    checked = 0
    for wh, regions, lead in [("fdc_20", ["c20"], 1.0), ("dc", ["c20", "c50"], 4.0)]:
        for sku, z in [("a", stats.norm.ppf(0.95)), ("b", stats.norm.ppf(0.95))]:
            mine = levels[(levels["warehouse"] == wh) & (levels["sku"] == sku)]
            for _, row in mine.iloc[::7].iterrows():
                t = (row["time"] - start) / pd.Timedelta(hours=1)
                if t + lead * 24 > 60 * 24:  # the table stops at the horizon; plans look on
                    continue
                mean = forecast_units(res, regions, sku, t, t + lead * 24)
                daily = mean / lead
                sigma = math.sqrt(lead * (daily + (0.3 * daily) ** 2))
                assert row["reorder_point"] == max(round(mean + z * sigma), -1), (wh, sku, t)
                assert row["order_up_to"] == row["reorder_point"] + 1
                checked += 1
    assert checked > 20
    # The peak enters the reorder point at the first recomputation whose lead-time window
    # reaches it: 3 days ahead at the DC (4-day lead time), on the day at a front warehouse.
    # The x5 day adds 4 days' demand of SKU a (half the lines): 4 x 35 units below the DC,
    # 4 x 25 at fdc_50.
    for wh, ahead, extra in [("dc", "2026-01-29", 140), ("fdc_50", "2026-02-01", 100)]:
        a = levels[(levels["warehouse"] == wh) & (levels["sku"] == "a")]
        rp = a.set_index("time")["reorder_point"]
        day = pd.Timestamp(ahead)
        assert rp[day] - rp.asof(day - pd.Timedelta(days=1)) > extra / 2, wh
        assert rp.asof(day - pd.Timedelta(days=1)) < rp[rp.index < "2026-01-25"].max() + 20, wh


@pytest.mark.slow
def test_forecast_driven_fill_rate_matches_its_base_stock_equivalent() -> None:
    """Perfect forecast, continuous review, unit Poisson demand, constant lead time L: the
    levels stay at s = round(lam L + z sqrt(lam L)), S = s + 1, i.e. base stock S, so the fill
    rate is P(Poisson(lam L) <= s)."""
    lam, lead = 20.0, 2.0
    sc = one_dc(
        {"kind": "forecast_driven", "service_level": 0.9},
        orders_per_day=lam,
        lead_time=f"{lead:g}d",
        days=500,
    )
    runs = replications(sc, 12)
    s = round(lam * lead + stats.norm.ppf(0.9) * math.sqrt(lam * lead))
    for r in runs:
        lv = r.tables["levels"]
        assert set(lv["reorder_point"]) == {s} and set(lv["order_up_to"]) == {s + 1}
    assert_covers(
        [r.kpis["fill_rate"] for r in runs],
        float(stats.poisson.cdf(s, lam * lead)),
        "forecast_driven fill rate",
        max_half_width=0.025,
    )


def test_peak_prebuild_builds_before_the_event_and_releases_after() -> None:
    data = fd_network()
    data["forecast"] = {"normal": {"cv": 0.0}}
    pb = {"kind": "peak_prebuild", "event": "peak", "build_by": "2026-01-30"}
    data["warehouses"]["dc"]["stocking"] = {"default": pb}
    res = simulate(validated(data), seed=2)
    plain = fd_network()
    plain["forecast"] = {"normal": {"cv": 0.0}}
    base = simulate(validated(plain), seed=2)
    lv = res.tables["levels"]
    dc = lv[(lv["warehouse"] == "dc") & (lv["sku"] == "a")].set_index("time")["reorder_point"]
    build_from = pd.Timestamp("2026-01-30") - pd.Timedelta(days=4)
    normal = dc[dc.index < build_from - pd.Timedelta(days=3)].median()
    built = dc[(dc.index >= build_from) & (dc.index < "2026-02-01")]
    assert len(built) and built.min() > normal + 0.5 * 5 * 70 / 2  # covers the x5 day
    after = dc[dc.index >= "2026-02-02"]  # the levels table logs changes only
    assert len(after) and after.iloc[0] < 1.5 * normal and after.iloc[-1] < 1.5 * normal
    # The DC holds more before the event than the plain forecast-driven DC does.
    inv, inv0 = res.tables["inventory"], base.tables["inventory"]

    def dc_stock(t: pd.DataFrame, when: str) -> int:
        mine = t[(t["warehouse"] == "dc") & (t["time"] <= when)]
        return int(mine.groupby("sku", observed=True)["on_hand"].last().sum())

    assert dc_stock(inv, "2026-01-31 23:00") > dc_stock(inv0, "2026-01-31 23:00") + 100


# --- echelon position -------------------------------------------------------------------------


def echelon_network(position: str) -> Data:
    data = fd_network()
    data["events"] = {}
    data["warehouses"]["dc"]["stocking"] = {
        "default": {"kind": "base_stock", "S": 400, "position": position}
    }
    for w in ("fdc_20", "fdc_50"):
        data["warehouses"][w]["stocking"] = {"default": {"kind": "s_S", "s": 10, "S": 60}}
    return data


def final_positions(res: Any) -> dict[tuple[str, str], int]:
    inv = res.tables["inventory"]
    last = inv.groupby(["warehouse", "sku"], observed=True).last()
    pos = last["on_hand"] + last["on_order"] - last["backorders"]
    return {k: int(v) for k, v in pos.items()}


def test_echelon_base_stock_holds_the_echelon_position_and_orders_with_customer_demand() -> None:
    res = simulate(validated(echelon_network("echelon")), seed=8)
    pos = final_positions(res)
    for sku in ("a", "b"):
        echelon = sum(pos[(w, sku)] for w in ("dc", "fdc_20", "fdc_50"))
        assert echelon == 400, sku
    # One for one with customer demand: the DC buys at the instants customers order.
    rep = res.tables["replenishments"]
    bought = rep[(rep["kind"] == "purchase")]
    created = set(res.tables["orders"]["created"])
    late = bought[bought["placed"] > pd.Timestamp(START) + pd.Timedelta(days=10)]
    assert len(late) > 100 and late["placed"].isin(created).all()
    # With a local position the DC buys only when front warehouses order transfers.
    local = simulate(validated(echelon_network("local")), seed=8)
    rep = local.tables["replenishments"]
    transfers = set(rep.loc[rep["kind"] == "transfer", "placed"])
    assert rep.loc[rep["kind"] == "purchase", "placed"].iloc[1:].isin(transfers).all()


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"kind": "peak_prebuild", "event": "peek", "build_by": "2026-01-20"}, "unknown event"),
        ({"kind": "peak_prebuild", "event": "peak", "build_by": "2026-02-05"}, "build_by"),
        ({"kind": "forecast_driven", "service_level": 1.0}, "service_level"),
        ({"kind": "forecast_driven", "class_service_levels": {"A": 1.2}}, "class_service"),
        ({"kind": "base_stock", "S": 5, "position": "global"}, "position"),
    ],
)
def test_bad_planned_policy_is_named(policy: Data, message: str) -> None:
    data = copy.deepcopy(fd_network())
    data["warehouses"]["dc"]["stocking"] = {"default": policy}
    with pytest.raises(ScenarioError, match=message):
        validated(data)
