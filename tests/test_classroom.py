"""Classroom demos through the command line: each explains, runs and prints a takeaway whose
numbers are the run folder's own (recomputed here from its files), and shows what it teaches."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simchain import ahead, cli
from simchain.classroom import DEMOS, TEACHING
from simchain.scenario.loader import load_scenario
from simchain.window import Window
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]
DAY = pd.Timedelta(days=1)


def demo(tmp: Path, name: str, *extra: str) -> tuple[str, Path]:
    proc = simchain(tmp, "demo", name, "--seed", "0", "--out", name, *extra)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, tmp / name


def window(folder: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The observation window of the run folder's scenario.yaml."""
    w = Window.of(load_scenario(folder / "scenario.yaml"))
    return w.begin, w.end


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def test_demo_lists_all_four(tmp_path: Path) -> None:
    proc = simchain(tmp_path, "demo")
    assert proc.returncode == 0, proc.stderr
    names = ["bullwhip", "lead_time_stockout", "safety_stock", "double11_backlog"]
    assert list(DEMOS) == names
    for name in names:
        assert name in proc.stdout
        assert f"scenarios/teaching/{name}.yaml" in proc.stdout


def test_unknown_demo_exits_2_with_the_names(tmp_path: Path) -> None:
    proc = simchain(tmp_path, "demo", "bulwhip")
    assert proc.returncode == 2
    assert "did you mean 'bullwhip'" in proc.stderr
    for name in DEMOS:
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", list(DEMOS))
def test_teaching_scenarios_validate(tmp_path: Path, name: str) -> None:
    path = TEACHING / f"{name}.yaml"
    assert path.read_text().startswith("# Teaching:")  # the header explains its figures
    proc = simchain(tmp_path, "validate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_teaching_scenarios_stay_out_of_the_bundled_names(tmp_path: Path) -> None:
    listed = simchain(tmp_path, "scenarios")
    assert listed.returncode == 0
    for name in DEMOS:
        assert name not in listed.stdout
    by_name = simchain(tmp_path, "run", "bullwhip", "--quiet")
    assert by_name.returncode == 2  # not a bundled name ...
    by_path = simchain(  # ... but any file runs by its path
        tmp_path, "run", str(TEACHING / "bullwhip.yaml"), "--days", "30", "--quiet", "--no-report"
    )
    assert by_path.returncode == 0, by_path.stderr


def test_bullwhip_grows_upstream(tmp_path: Path) -> None:
    out, folder = demo(tmp_path, "bullwhip")
    assert "what you are about to see" in out and "takeaway" in out
    assert (folder / "report.html").exists()
    begin, end = window(folder)
    days = pd.date_range(begin.floor("D"), end - DAY, freq="D")
    orders = pd.read_parquet(folder / "orders.parquet")
    orders = orders[(orders["created"] >= begin) & (orders["created"] < end)]
    demand = orders.groupby(orders["created"].dt.floor("D"))["units"].sum()
    demand = demand.reindex(days, fill_value=0).astype(float)
    rep = pd.read_parquet(folder / "replenishments.parquet")
    rep = rep[(rep["placed"] >= begin) & (rep["placed"] < end)]
    levels = pd.read_parquet(folder / "levels.parquet")
    ratios = []
    below = demand.var()
    for stage in ("front_wh", "regional_dc", "national_dc"):  # downstream to upstream
        mine = rep[rep["destination"] == stage]
        q = mine.groupby(mine["placed"].dt.floor("D"))["quantity"].sum()
        q = q.reindex(days, fill_value=0).astype(float)
        ratio = q.var() / demand.var()
        row = next(ln for ln in out.splitlines() if ln.strip().startswith(stage))
        assert f"{q.var():.1f}" in row and f"{ratio:.2f}" in row, row
        assert f"{q.var() / below:.2f}" in row, row  # the step from the stage below
        below = q.var()
        lv = levels[levels["warehouse"] == stage].set_index("time")["order_up_to"]
        in_force = pd.concat(
            [lv[lv.index <= begin].tail(1), lv[(lv.index > begin) & (lv.index < end)]]
        )
        assert row.rstrip().endswith(f"{in_force.min():.0f}-{in_force.max():.0f}"), row
        assert in_force.max() > in_force.min()  # the level moves with the orders received
        ratios.append(ratio)
    # Every stage amplifies what it receives: each ratio above the one below it, all above 1.
    assert 1 < ratios[0] < ratios[1] < ratios[2]
    assert f"daily variance is {ratios[-1]:.2f} times" in out


def test_lead_time_jump_cuts_the_fill_rate(tmp_path: Path) -> None:
    out, folder = demo(tmp_path, "lead_time_stockout")
    assert "Oct 15" in out and (folder / "report.html").exists()
    begin, end = window(folder)
    change = pd.Timestamp("2026-10-15")
    orders = pd.read_parquet(folder / "orders.parquet")
    orders = orders[(orders["created"] >= begin) & (orders["created"] < end)]
    fills = []
    for part in (orders[orders["created"] < change], orders[orders["created"] >= change]):
        fills.append(part["units_from_stock"].sum() / part["units"].sum())
    row = next(ln for ln in out.splitlines() if ln.strip().startswith("fill rate"))
    assert pct(fills[0]) in row and pct(fills[1]) in row
    assert fills[1] < fills[0]
    daily = pd.read_parquet(folder / "daily.parquet")
    daily = daily[daily["date"] >= begin.floor("D")]
    short_after = int(((daily["fill_rate"] < 1) & (daily["date"] >= change)).sum())
    stockout = next(ln for ln in out.splitlines() if "days with a stockout" in ln)
    assert f"{short_after} of {int((daily['date'] >= change).sum())}" in stockout
    assert short_after > 0
    rep = pd.read_parquet(folder / "replenishments.parquet")
    rep = rep[(rep["kind"] == "purchase") & (rep["placed"] >= begin)]
    lead = (rep["due"] - rep["placed"]).dt.total_seconds() / 86400
    before, after = lead[rep["placed"] < change].mean(), lead[rep["placed"] >= change].mean()
    assert f"{before:.1f} days before and {after:.1f} days after" in out
    assert after > 2 * before  # x2.8 on a lognormal of mean 5 days


def test_safety_stock_buys_service(tmp_path: Path) -> None:
    out, folder = demo(tmp_path, "safety_stock")
    assert (folder / "service_vs_stock.png").stat().st_size > 0
    fills, stocks = [], []
    lines = out.splitlines()
    for label in ("z0.00", "z1.00", "z1.65", "z2.33"):
        run = folder / label
        assert (run / "manifest.json").exists()
        kpis = pd.read_csv(run / "kpis.csv").set_index("metric")["value"]
        fill, stock = float(kpis["fill_rate"]), float(kpis["avg_on_hand_units"])
        row = next(ln for ln in lines if ln.rstrip().endswith(f"{folder.name}/{label}"))
        assert pct(fill) in row and f"{stock:,.0f}" in row, row
        fills.append(fill)
        stocks.append(stock)
    assert fills == sorted(fills) and fills[0] < fills[-1]
    assert stocks == sorted(stocks) and stocks[0] < stocks[-1]
    table = pd.read_csv(folder / "safety_stock.csv")
    assert np.allclose(table["fill_rate"], fills)
    assert table["safety_stock"].iloc[0] == pytest.approx(0, abs=1)  # z = 0: none
    assert np.all(np.diff(table["safety_stock"]) > 0)


def test_double11_backlog_peaks_on_the_spike_and_clears(tmp_path: Path) -> None:
    out, folder = demo(tmp_path, "double11_backlog")
    assert (folder / "report.html").exists()
    kpis = pd.read_csv(folder / "kpis.csv").set_index("metric")["value"]
    peak, clear = float(kpis["backlog_peak_orders"]), float(kpis["backlog_clear_days"])
    begin, _ = window(folder)
    daily = pd.read_parquet(folder / "daily.parquet")
    daily = daily[daily["date"] >= begin.floor("D")].reset_index(drop=True)
    peak_day = daily["date"].iloc[int(daily["backlog_orders"].to_numpy().argmax())]
    assert peak_day.date() >= dt.date(2026, 11, 11)
    assert math.isfinite(clear) and clear > 0
    row = next(ln for ln in out.splitlines() if "backlog peak" in ln)
    assert f"{peak:,.0f} orders" in row and f"{peak_day:%b} {peak_day.day}" in row
    row = next(ln for ln in out.splitlines() if "days to clear" in ln)
    assert f"{clear:.0f} (" in row
    assert daily["backlog_orders"].iloc[-1] <= 0.05 * peak


def test_quiet_prints_only_the_takeaway(tmp_path: Path) -> None:
    out, _ = demo(tmp_path, "bullwhip", "--quiet", "--no-report")
    assert "what you are about to see" not in out
    assert "variance ratio" in out


@pytest.mark.slow
def test_variants_on_a_pool_run_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = dataclasses.replace(DEMOS["safety_stock"], variants=DEMOS["safety_stock"].variants[1:3])
    pooled = cli.demo_runs(two, 0, tmp_path / "pool", report=False, progress=False)
    monkeypatch.setattr(ahead, "processes", lambda: 1)  # one by one, in this process
    alone = cli.demo_runs(two, 0, tmp_path / "alone", report=False, progress=False)
    assert [r.label for r in pooled] == [r.label for r in alone] == ["z1.00", "z1.65"]
    for p, a in zip(pooled, alone, strict=True):
        assert p.folder == tmp_path / "pool" / p.label and (p.folder / "manifest.json").exists()
        assert repr(p.result.kpis) == repr(a.result.kpis)
        for name, table in a.tables.items():
            pd.testing.assert_frame_equal(p.tables[name], table)
