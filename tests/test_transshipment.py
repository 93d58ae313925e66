"""Transshipments: a front warehouse short of a SKU pulls it from its siblings' spare stock."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.simulate import SimulationResult
from tests.builders import base_stock, region, scenario, validated, warehouse
from tests.frames import hours_from

START = dt.date(2026, 11, 1)
H = pd.Timedelta(hours=1)
Data = dict[str, Any]
KEEP = {"nj_fdc": 40, "hf_fdc": 40}  # the siblings' reorder points


def network() -> Data:
    """A DC three days' drive from three front warehouses. Shanghai is reviewed weekly and
    sells far more than a week's order-up-to level covers; Nanjing and Hefei sell little and
    hold far more than their reorder points, Nanjing less spare than Hefei. Constant transit
    times, so a transshipment arrives exactly 6 h (from Nanjing) or 10 h (Hefei) after it is
    placed."""
    fdc = {"transit_time": "3d", "cost_per_unit": 1.0}
    return scenario(
        "transship",
        start=str(START),
        horizon="30d",
        warm_up="2d",
        suppliers={"vendor": {"lead_time": "2d"}},
        warehouses={
            "dc": warehouse(base_stock(5000)),
            "sh_fdc": warehouse(
                {"kind": "periodic", "review_period": "7d", "S": 120},
                replenished_from="dc",
                transship_from=["nj_fdc", "hf_fdc"],
            ),
            "nj_fdc": warehouse(
                {"kind": "r_Q", "r": KEEP["nj_fdc"], "Q": 200}, replenished_from="dc"
            ),
            "hf_fdc": warehouse(
                {"kind": "s_S", "s": KEEP["hf_fdc"], "S": 900}, replenished_from="dc"
            ),
        },
        regions={
            "shanghai": region(40, served_by="sh_fdc"),
            "nanjing": region(3, served_by="nj_fdc"),
            "hefei": region(2, served_by="hf_fdc"),
        },
        lanes={
            "dc": {"sh_fdc": fdc, "nj_fdc": fdc, "hf_fdc": fdc},
            "nj_fdc": {
                "sh_fdc": {"transit_time": "6h", "cost_per_unit": 2.0},
                "nanjing": {"transit_time": "1d"},
            },
            "hf_fdc": {
                "sh_fdc": {"transit_time": "10h", "cost_per_unit": 3.0},
                "hefei": {"transit_time": "1d"},
            },
            "sh_fdc": {"shanghai": {"transit_time": "1d"}},
        },
    )


def run(data: Data, seed: int = 3) -> SimulationResult:
    return simulate(validated(data), seed=seed)


def without(data: Data) -> Data:
    out = copy.deepcopy(data)
    del out["warehouses"]["sh_fdc"]["transship_from"]
    return out


@pytest.fixture(scope="module")
def both() -> tuple[SimulationResult, SimulationResult]:
    return run(network()), run(without(network()))


def clock(ts: pd.Series) -> np.ndarray:
    return hours_from(START, ts)


def transshipments(res: SimulationResult) -> pd.DataFrame:
    rep = res.tables["replenishments"]
    return rep[rep["kind"] == "transshipment"].sort_values("order_id", kind="stable")


def test_transshipments_come_from_the_first_sibling_with_spare_stock(
    both: tuple[SimulationResult, SimulationResult],
) -> None:
    res = both[0]
    ts = transshipments(res)
    assert len(ts) >= 10
    assert set(ts["destination"]) == {"sh_fdc"}
    assert ts["source"].iloc[0] == "nj_fdc"
    assert set(ts["source"]) == {"nj_fdc", "hf_fdc"}
    inv = res.tables["inventory"]
    nj = inv[(inv["warehouse"] == "nj_fdc")]
    # Hefei gives only when Nanjing has nothing above its reorder point left at that instant.
    for placed in ts.loc[ts["source"] == "hf_fdc", "placed"]:
        then = nj[nj["time"] <= placed].iloc[-1]
        assert then["on_hand"] <= KEEP["nj_fdc"], placed
    # The transshipments are ordinary transfers on the sibling's lane: placed, shipped at
    # once, in after the lane's transit, at its cost per unit; counted in the KPIs.
    got = ts[ts["received"].notna()]
    assert (got["shipped"] == got["placed"]).all()
    transit = clock(got["received"]) - clock(got["shipped"])
    expected = np.where(got["source"] == "nj_fdc", 6.0, 10.0)
    assert np.allclose(transit, expected, atol=1e-5)
    per_unit = got["source"].map({"nj_fdc": 2.0, "hf_fdc": 3.0}).astype(float)
    assert np.allclose(got["transport_cost"], got["quantity"] * per_unit)
    begin = pd.Timestamp(START) + 2 * 24 * H
    assert res.kpis["transshipped_units"] == ts.loc[ts["placed"] >= begin, "quantity"].sum() > 0


def test_a_sibling_never_gives_below_its_reorder_point(
    both: tuple[SimulationResult, SimulationResult],
) -> None:
    res = both[0]
    ts = transshipments(res)
    inv = res.tables["inventory"]
    for (sib, placed), part in ts.groupby(["source", "placed"], observed=True):
        mine = inv[(inv["warehouse"] == sib) & (inv["sku"] == "a")]
        before = mine[mine["time"] < placed].iloc[-1]
        after = mine[mine["time"] == placed].iloc[-1]  # the sibling logs after shipping
        assert after["on_hand"] >= KEEP[str(sib)], (sib, placed)
        # What left the sibling's on hand is what was transshipped (no demand at the instant).
        units = int(
            part.drop_duplicates("order_id")["order_id"]
            .map(ts.groupby("order_id")["quantity"].sum())
            .sum()
        )
        assert before["on_hand"] - after["on_hand"] == units, (sib, placed)


def test_transshipped_units_are_conserved_and_counted_on_order(
    both: tuple[SimulationResult, SimulationResult],
) -> None:
    """Per warehouse: initial on hand + units received = units sold or owed to customer lines
    + units sent to other warehouses (transfers and transshipments) - final backorders + final
    on hand. Every transshipment arrives; while under way it is on order at Shanghai, whose
    position never passes its order-up-to level, and whose weekly orders from the DC shrink."""
    res, base = both
    for r in (res, base):
        rep, inv = r.tables["replenishments"], r.tables["inventory"]
        orders, lines = r.tables["orders"], r.tables["order_lines"]
        assert (rep["kind"] == "transshipment").any() == (r is res)
        sold = lines.groupby(orders["warehouse"].to_numpy()[lines["order_id"].to_numpy()])[
            "units"
        ].sum()
        got = rep[rep["received"].notna()]
        received = got.groupby("destination", observed=True)["quantity"].sum()
        sent = rep[rep["kind"] != "purchase"].groupby("source", observed=True)["quantity"].sum()
        for w in ("dc", "sh_fdc", "nj_fdc", "hf_fdc"):
            mine = inv[inv["warehouse"] == w]
            first, last = mine.iloc[0], mine.iloc[-1]
            inflow = first["on_hand"] + received.get(w, 0)
            outflow = sold.get(w, 0) + sent.get(w, 0) - last["backorders"] + last["on_hand"]
            assert inflow == outflow, (w, inflow, outflow)
    ts = transshipments(res)
    assert ts["received"].notna().all()  # all in before the horizon (6 h and 10 h lanes)
    sh = res.tables["inventory"][res.tables["inventory"]["warehouse"] == "sh_fdc"]
    position = sh["on_hand"] + sh["on_order"] - sh["backorders"]
    assert (position <= 120).all()
    from_dc = [
        r.tables["replenishments"].query("destination == 'sh_fdc' and kind == 'transfer'")
        for r in (res, base)
    ]
    assert from_dc[0]["quantity"].sum() < from_dc[1]["quantity"].sum()


def test_backorders_are_filled_faster_with_transshipments(
    both: tuple[SimulationResult, SimulationResult],
) -> None:
    res, base = both
    waits = []
    for r in (res, base):
        orders, lines = r.tables["orders"], r.tables["order_lines"]
        assert (orders["created"].to_numpy() == base.tables["orders"]["created"].to_numpy()).all()
        short = lines[(lines["backordered"] > 0) & lines["filled"].notna()]
        created = orders["created"].to_numpy()[short["order_id"].to_numpy()]
        waits.append(float(((short["filled"].to_numpy() - created) / H).mean()))
    with_ts, without_ts = waits
    assert with_ts < 0.5 * without_ts, waits
    assert res.kpis["avg_backorder_units"] < 0.5 * base.kpis["avg_backorder_units"]
    assert res.kpis["transshipped_units"] > 0
    assert base.kpis["transshipped_units"] == 0
    assert (base.tables["replenishments"]["kind"] != "transshipment").all()


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (
            lambda d: d["warehouses"]["sh_fdc"].update(transship_from=["nj_fcd"]),
            "warehouses.sh_fdc.transship_from.0",
            "unknown warehouse 'nj_fcd'",
        ),
        (
            lambda d: d["lanes"]["hf_fdc"].pop("sh_fdc"),
            "warehouses.sh_fdc.transship_from.1",
            "needs a lane lanes.hf_fdc.sh_fdc",
        ),
        (
            lambda d: d["warehouses"]["sh_fdc"].update(transship_from=["dc"]),
            "warehouses.sh_fdc.transship_from.0",
            "replenishment line",
        ),
        (
            lambda d: d["warehouses"]["sh_fdc"].update(transship_from=["sh_fdc"]),
            "warehouses.sh_fdc.transship_from.0",
            "itself",
        ),
    ],
)
def test_bad_references_name_the_field(change: Any, path: str, fragment: str) -> None:
    data = network()
    change(data)
    with pytest.raises(ScenarioError) as info:
        validated(data)
    assert any(p.dotted() == path and fragment in p.message for p in info.value.problems), (
        info.value.render()
    )


def test_transshipments_ride_the_lanes_trucks_and_wait_out_a_closure() -> None:
    """Departures at 20:00 on the Nanjing lane, and Nanjing's lanes closed on Nov 6-7: a
    transshipment leaves at the first 20:00 after it is placed, or after the reopening (the
    Nov 6 truck, loaded before the closure, leaves at the reopening)."""
    data = network()
    data["lanes"]["nj_fdc"]["sh_fdc"]["departures"] = {"times": ["20h"], "capacity": 1000}
    data["disruptions"] = {
        "storm": {
            "start": "2026-11-06",
            "end": "2026-11-07",
            "nodes": ["nj_fdc"],
            "lanes_closed": True,
        }
    }
    ts = transshipments(run(data))
    nj = ts[(ts["source"] == "nj_fdc") & ts["received"].notna()]
    assert len(nj) >= 10
    placed = clock(nj["placed"])
    reopen = 7 * 24.0  # Nov 8, 00:00
    closed = (placed >= 5 * 24) & (placed < reopen)
    ready = np.where(closed, reopen, placed)
    leave = np.ceil((ready - 20) / 24) * 24 + 20  # the first 20:00 at or after `ready`
    # A truck due to leave in the closure leaves when the lane reopens.
    leave = np.where((leave >= 5 * 24) & (leave < reopen), reopen, leave)
    assert np.allclose(clock(nj["received"]), leave + 6, atol=1e-5)
    assert closed.any() and (leave == reopen).any()
