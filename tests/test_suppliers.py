"""Suppliers and sourcing: capacity, outages, reliability, quality, MOQ, prices, the sourcing
policies and the supplier scorecard. Statistical checks derive their expectations from the
declared parameters (binomial tests for shares, a renewal argument for random outages)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

import simchain
from simchain.errors import ScenarioError
from simchain.model.suppliers import Supplier, supplier_node
from simchain.policies.sourcing import (
    Cheapest,
    Fastest,
    PrimaryBackup,
    Split,
    SupplierView,
)
from simchain.streams import Streams
from tests.builders import product, region, scenario, validated, warehouse

ALPHA = 1e-3  # a correct model fails a check this rarely
Data = dict[str, Any]


def network(**supplier: Any) -> Data:
    """One supplier `vendor` (extra fields from `supplier`), one DC on base stock, one city."""
    return scenario(
        "suppliers",
        start="2026-01-01",
        horizon="200d",
        warm_up="10d",
        skus={"a": product(10.0, 20.0), "b": product(4.0, 9.0)},
        suppliers={"vendor": {"lead_time": "3d", **supplier}},
        warehouses={"dc": warehouse({"kind": "s_S", "s": 40, "S": 120})},
        regions={"city": region(30, demand={"units_per_line": {"dist": "geometric", "mean": 2}})},
        lanes={"dc": {"city": {"transit_time": "1d"}}},
    )


def two_vendors(kind: str, **sourcing: Any) -> Data:
    data = network()
    data["suppliers"]["backup"] = {"lead_time": "5d", "price_factor": 1.2}
    data["warehouses"]["dc"]["replenished_from"] = ["vendor", "backup"]
    data["warehouses"]["dc"]["sourcing"] = {"kind": kind, **sourcing}
    return data


def supplier_of(data: Data, name: str = "vendor", seed: int = 1) -> Supplier:
    sc = validated(data)
    return Supplier(supplier_node(0, name, sc, Streams(seed)))


def run(data: Data, seed: int = 3) -> simchain.SimulationResult:
    return simchain.simulate(validated(data), seed=seed)


def view(name: str, **kw: Any) -> SupplierView:
    base = {"unit_price": 1.0, "expected_arrival": 10.0, "down": False, "late": False, "ordered": 0}
    return SupplierView(name, **{**base, **kw})


# --- the supplier line ---------------------------------------------------------------------


def test_capacity_is_a_fifo_line() -> None:
    sup = supplier_of(network(lead_time="2d", capacity_per_day=240))
    # 240 units/day = 10 units/hour: 100 units take 10 h, the next order waits for them.
    assert sup.place(0, 0.0, 100) == (10.0, 58.0, 58.0)
    assert sup.place(1, 5.0, 50) == (15.0, 63.0, 63.0)
    assert sup.place(2, 100.0, 10) == (101.0, 149.0, 149.0)


def test_calendar_outage_holds_dispatch_and_pauses_production() -> None:
    outage = {"start": "2026-01-02", "end": "2026-01-03"}  # clock [24 h, 72 h)
    sup = supplier_of(network(lead_time="1d", capacity_per_day=240, outages=[outage]))
    assert sup.node.outages == [(24.0, 72.0)]
    assert not sup.down(23.9) and sup.down(24.0) and sup.down(71.9) and not sup.down(72.0)
    # 100 units from hour 20: 4 h of work before the outage, 6 h after it.
    dispatch, due, _ = sup.place(0, 20.0, 100)
    assert (dispatch, due) == (78.0, 102.0)
    # Placed during the outage without capacity: leaves when it ends.
    free = supplier_of(network(lead_time="1d", outages=[outage]))
    assert free.place(0, 30.0, 5)[0] == 72.0


def test_random_outages_take_the_renewal_share_of_time() -> None:
    """Alternating up-times (mean 20 d) and outages (mean 5 d): down 5/25 of the time."""
    data = network(
        random_outages={
            "every": {"dist": "exponential", "mean": "20d"},
            "duration": {"dist": "exponential", "mean": "5d"},
        }
    )
    data["calendar"]["horizon"] = "20000d"
    sup = supplier_of(data)
    down = sum(min(e, 20000 * 24) - b for b, e in sup.node.outages) / (20000 * 24)
    n = len(sup.node.outages)
    assert n > 500
    # Each cycle's down share has sd about 0.16 (exponential parts): the mean is tight.
    assert abs(down - 0.2) < 4 * 0.16 / np.sqrt(n), (down, n)
    assert all(
        b2 > e1 for (_, e1), (b2, _) in zip(sup.node.outages, sup.node.outages[1:], strict=False)
    )


# --- the simulated supplier: reliability, quality, MOQ, prices, scorecard ----------------


def test_declared_reliability_and_quality_are_observed() -> None:
    """On-time share ~ Binomial(1 - late_share) over judged orders; rejected units ~
    Binomial(defect_share) over received units; late orders arrive exactly `delay` late."""
    data = network(
        lead_time={"dist": "uniform", "low": "2d", "high": "4d"},
        reliability={"late_share": 0.15, "delay": "2d"},
        defect_share=0.04,
        min_order_quantity=50,
    )
    data["calendar"]["horizon"] = "1500d"
    res = run(data)
    rep = res.tables["replenishments"]
    card = res.tables["suppliers"].set_index("supplier").loc["vendor"]
    judged = rep[rep["due"] < rep["placed"].max()]
    on_time = int((judged["received"] <= judged["due"]).sum())
    assert len(judged) > 1000
    assert stats.binomtest(on_time, len(judged), 0.85).pvalue > ALPHA
    assert stats.binomtest(on_time, len(judged), 0.79).pvalue < ALPHA  # the test has power
    late = judged[judged["received"] > judged["due"]]
    assert ((late["received"] - late["due"]) == pd.Timedelta(days=2)).all()
    got = rep[rep["received"].notna()]
    rejected, received = int(got["rejected"].sum()), int(got["quantity"].sum())
    assert stats.binomtest(rejected, received, 0.04).pvalue > ALPHA
    assert stats.binomtest(rejected, received, 0.05).pvalue < ALPHA
    assert card["defect_rate"] == pytest.approx(rejected / received, rel=0.02)
    assert card["on_time_rate"] == pytest.approx(0.85, abs=0.05)
    assert res.kpis["supplier_on_time_rate"] == card["on_time_rate"]
    assert res.kpis["supplier_defect_rate"] == card["defect_rate"]
    assert (rep["quantity"] >= 50).all()


def test_rejected_units_are_reordered_and_conserved() -> None:
    """Units accepted = units received - rejected, and the ledger balances per SKU."""
    res = run(network(defect_share=0.3))
    rep, inv = res.tables["replenishments"], res.tables["inventory"]
    lines = res.tables["order_lines"]
    for sku in ("a", "b"):
        r = rep[(rep["sku"] == sku) & rep["received"].notna()]
        mine = inv[inv["sku"] == sku]
        first, last = mine.iloc[0], mine.iloc[-1]
        accepted = int((r["quantity"] - r["rejected"]).sum())
        served = int(lines.loc[lines["sku"] == sku, "units"].sum())
        assert first["on_hand"] + accepted == served - last["backorders"] + last["on_hand"]
        # on order = ordered - received (accepted or rejected)
        ordered = int(rep.loc[rep["sku"] == sku, "quantity"].sum())
        assert last["on_order"] == ordered - int(r["quantity"].sum())


def test_purchase_cost_uses_the_suppliers_prices() -> None:
    data = network(price_factor=1.5, unit_prices={"b": 3.0})
    res = run(data)
    rep = res.tables["replenishments"]
    window = rep[rep["placed"] >= pd.Timestamp("2026-01-11")]
    price = window["sku"].map({"a": 15.0, "b": 3.0}).astype(float)
    assert res.kpis["purchase_cost"] == pytest.approx(float((window["quantity"] * price).sum()))


# --- sourcing ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    shares=hs.lists(hs.integers(1, 9), min_size=2, max_size=4),
    orders=hs.lists(hs.integers(1, 500), min_size=1, max_size=60),
)
def test_split_keeps_shares_exact_to_a_unit(shares: list[int], orders: list[int]) -> None:
    names = [f"s{i}" for i in range(len(shares))]
    policy = Split(shares=dict(zip(names, map(float, shares), strict=True)))
    ordered = [0] * len(names)
    total = 0
    for q in orders:
        parts = policy.split(q, [view(n, ordered=o) for n, o in zip(names, ordered, strict=True)])
        assert sum(parts) == q and min(parts) >= 0
        ordered = [o + p for o, p in zip(ordered, parts, strict=True)]
        total += q
        for o, s in zip(ordered, shares, strict=True):
            assert abs(o - total * s / sum(shares)) < len(names), (ordered, total)


def test_choice_policies() -> None:
    cands = [
        view("p", unit_price=2.0, expected_arrival=50.0),
        view("q", unit_price=1.0, expected_arrival=90.0),
        view("r", unit_price=1.0, expected_arrival=70.0),
    ]
    assert Cheapest().split(10, cands) == [0, 0, 10]  # tie on price: earlier arrival
    assert Fastest().split(10, cands) == [10, 0, 0]
    assert PrimaryBackup().split(10, cands) == [10, 0, 0]
    down = [view("p", down=True), *cands[1:]]
    assert PrimaryBackup().split(10, down) == [0, 10, 0]
    assert Cheapest().split(10, [cands[0], view("q", unit_price=0.5, down=True)]) == [10, 0]
    late = [view("p", late=True), view("q", late=True), view("r")]
    assert PrimaryBackup().split(10, late) == [0, 0, 10]


def test_primary_backup_switches_during_the_primarys_outage() -> None:
    data = two_vendors("primary_backup")
    data["suppliers"]["vendor"]["outages"] = [{"start": "2026-03-01", "end": "2026-03-20"}]
    rep = run(data).tables["replenishments"]
    during = rep[(rep["placed"] >= "2026-03-01") & (rep["placed"] < "2026-03-21")]
    outside = rep[(rep["placed"] < "2026-03-01") | (rep["placed"] >= "2026-03-21")]
    assert len(during) > 3 and (during["source"] == "backup").all()
    assert (outside["source"] == "vendor").all()


def test_primary_backup_switches_while_the_primary_is_late() -> None:
    data = two_vendors("primary_backup")
    data["suppliers"]["vendor"]["reliability"] = {"late_share": 0.5, "delay": "10d"}
    rep = run(data).tables["replenishments"].sort_values("placed")
    vendor = rep[rep["source"] == "vendor"]
    backup = rep[rep["source"] == "backup"]
    assert len(backup) > 3 and len(vendor) > 3
    for placed in backup["placed"]:  # a vendor order was open and past its date
        overdue = vendor[(vendor["due"] < placed) & ~(vendor["received"] <= placed)]
        assert len(overdue), placed


def test_split_sourcing_in_a_run_follows_the_shares() -> None:
    rep = run(two_vendors("split", shares={"vendor": 3, "backup": 1})).tables["replenishments"]
    units = rep.groupby("source", observed=True)["quantity"].sum()
    assert abs(units["vendor"] - 3 * units["backup"]) <= 4 * 2  # within a unit per order pair


def test_cheapest_and_fastest_pick_as_declared() -> None:
    rep = run(two_vendors("cheapest")).tables["replenishments"]
    assert set(rep["source"]) == {"vendor"}  # the backup is 20 % dearer
    data = two_vendors("fastest")
    data["suppliers"]["backup"]["lead_time"] = "1d"
    rep = run(data).tables["replenishments"]
    assert set(rep["source"]) == {"backup"}


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["warehouses"]["dc"].update(sourcing={"kind": "single"}), "sourcing kind"),
        (
            lambda d: d["warehouses"]["dc"].update(
                sourcing={"kind": "split", "shares": {"vendor": 1, "other": 1}}
            ),
            "shares must name exactly",
        ),
        (lambda d: d["warehouses"]["dc"].update(replenished_from=["vendor", "vendor"]), "twice"),
        (
            lambda d: d["suppliers"]["vendor"].update(unit_prices={"zz": 1.0}),
            "unknown SKU 'zz'",
        ),
        (
            lambda d: d["suppliers"]["vendor"].update(
                outages=[{"start": "2026-02-05", "end": "2026-02-01"}]
            ),
            "end is before start",
        ),
        (lambda d: d["suppliers"]["vendor"].update(defect_share=1.0), "less than 1"),
    ],
)
def test_bad_supplier_and_sourcing_input_is_named(edit: Any, message: str) -> None:
    data = copy.deepcopy(two_vendors("primary_backup"))
    edit(data)
    with pytest.raises(ScenarioError, match=message):
        validated(data)


def test_one_supplier_with_a_multi_supplier_kind_is_an_error() -> None:
    data = network()
    data["warehouses"]["dc"]["sourcing"] = {"kind": "cheapest"}
    with pytest.raises(ScenarioError, match="needs at least two suppliers"):
        validated(data)
