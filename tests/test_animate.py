"""Animations: `simchain animate` writes a GIF of exactly ceil(horizon / step) frames, each
frame's numbers are those of the run's tables at that moment, and bad output files exit 2."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from simchain import bundled
from simchain.report import animate as ani
from simchain.scenario.loader import load_scenario
from simchain.simulate import SimulationResult, simulate
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]
CLASSROOM = str(ROOT / "scenarios" / "classroom_single_dc.yaml")


@pytest.fixture(scope="module")
def run() -> SimulationResult:
    sc = load_scenario(CLASSROOM, overrides=["calendar.warm_up=0d"], days=12)
    return simulate(sc, seed=1)


def test_cli_writes_a_gif_of_the_predicted_frame_count(tmp_path: Path) -> None:
    proc = simchain(
        tmp_path, "animate", "classroom_single_dc", "--days", "3", "--step", "10h", "--out", "a.gif"
    )
    assert proc.returncode == 0, proc.stderr
    expected = math.ceil(72 / 10)  # frames at 0h, 10h, ... 70h
    assert expected == 8
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == expected
        assert gif.size == (900, 506)
    assert "8 frames, 10h" in proc.stdout
    sc = load_scenario(CLASSROOM, overrides=["calendar.warm_up=0d"], days=3)
    assert list(ani.frame_times(sc, 10.0)) == [0, 10, 20, 30, 40, 50, 60, 70]
    assert len(ani.frame_times(sc, 12.0)) == 6  # a step that divides the horizon: no extra


def test_default_step_makes_a_10_to_30_second_run() -> None:
    for horizon_days in (1, 3, 14, 30, 61, 120):
        horizon = horizon_days * 24.0
        for fps in (5, 10, 20):
            seconds = ani.frame_count(horizon, ani.default_step(horizon, fps)) / fps
            assert 10 <= seconds <= 30, (horizon_days, fps, seconds)


def _at(table: pd.DataFrame, column: str, when: pd.Timestamp) -> pd.Series:
    """Rows of a datetime column at or before `when`."""
    return table[column].notna() & (table[column] <= when)


def test_frame_state_matches_the_tables(run: SimulationResult) -> None:
    sc, tables = run.resolved or run.scenario, run.tables
    rep, inv, orders = tables["replenishments"], tables["inventory"], tables["orders"]
    first = rep.iloc[0]  # in flight half-way between its placing and its receipt
    mid = first["placed"] + (first["received"] - first["placed"]) / 2
    start = pd.Timestamp(sc.calendar.start)
    hours = [0.0, 30.5, (mid - start) / pd.Timedelta(hours=1), 200.0, 287.9]
    st = ani.frame_state(tables, sc, np.array(hours))
    assert st.replenishing.loc[2, ("zj_vendor", "hz_dc")] >= first["quantity"] > 0
    for k, h in enumerate(hours):
        when = start + pd.Timedelta(hours=h)
        # stock: the last ledger row of each SKU at or before the moment, summed
        rows = inv[inv["time"] <= when].sort_values("time", kind="stable")
        on_hand = rows.groupby("sku", observed=True)["on_hand"].last().sum()
        assert st.on_hand.loc[k, "hz_dc"] == on_hand
        # on order: placed, not yet received
        flying = _at(rep, "placed", when) & ~_at(rep, "received", when)
        assert st.replenishing.loc[k, ("zj_vendor", "hz_dc")] == rep.loc[flying, "quantity"].sum()
        # parcels: shipped, not yet delivered
        moving = _at(orders, "shipped", when) & ~_at(orders, "delivered", when)
        assert st.parcels.loc[k, ("hz_dc", "hangzhou")] == moving.sum()
        # queue: created, not shipped, cancelled nor lost; part of it waits for stock
        open_ = (
            _at(orders, "created", when)
            & ~_at(orders, "shipped", when)
            & ~_at(orders, "cancelled", when)
            & (orders["status"] != "lost")
        )
        waiting = open_ & ~_at(orders, "allocated", when)
        assert st.awaiting_stock.loc[k, "hz_dc"] == waiting.sum()
        assert st.in_process.loc[k, "hz_dc"] == (open_ & ~waiting).sum()
        assert st.delivered.loc[k, "hangzhou"] == _at(orders, "delivered", when).sum()
    assert st.on_hand.loc[0, "hz_dc"] == sum(  # opening stock: every SKU at its target
        inv[inv["time"] == start].groupby("sku", observed=True)["on_hand"].first()
    )
    assert st.peak["hz_dc"] >= st.on_hand["hz_dc"].max()


def test_frame_state_agrees_with_the_daily_table(run: SimulationResult) -> None:
    sc, tables = run.resolved or run.scenario, run.tables
    daily = tables["daily"]
    ends = (np.arange(len(daily)) + 1) * 24.0  # each day's end
    st = ani.frame_state(tables, sc, ends)
    assert list(st.parcels[("hz_dc", "hangzhou")]) == list(daily["in_transit"])
    backlog = st.awaiting_stock["hz_dc"] + st.in_process["hz_dc"]
    assert list(backlog) == list(daily["backlog_orders"])


def test_events_and_first_hour_are_named() -> None:
    sc = load_scenario(bundled.resolve("double11"))
    nov11 = (pd.Timestamp("2026-11-11") - pd.Timestamp(sc.calendar.start)) / pd.Timedelta(hours=1)
    labels = ani._in_force(sc, np.array([0.0, nov11 + 0.25, nov11 + 5.0]))
    assert labels[0] == ""
    assert labels[1] == "double11 (demand x8), first hour"
    assert labels[2] == "double11 (demand x8)"


def test_bad_suffix_exits_2(tmp_path: Path) -> None:
    proc = simchain(tmp_path, "animate", "classroom_single_dc", "--out", "demo.avi")
    assert proc.returncode == 2
    assert "use .gif or .mp4" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "demo.avi").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--days", "2", "--step", "6"], "with a unit"),
        (["--days", "2", "--step", "30s"], "at least 1min"),
        (["--step", "1min"], "172,800 frames"),  # 120 days: refused before simulating
        (["--fps", "0"], "--fps must be between 1 and 60"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, options: list[str], message: str) -> None:
    proc = simchain(tmp_path, "animate", "classroom_single_dc", *options, "--out", "a.gif")
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "a.gif").exists()


def test_mp4_without_ffmpeg_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()  # a PATH with no ffmpeg on it
    proc = simchain(
        tmp_path, "animate", "classroom_single_dc", "--out", "a.mp4", env={"PATH": str(empty)}
    )
    assert proc.returncode == 2
    assert "ffmpeg" in proc.stderr and ".gif" in proc.stderr
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_mp4_with_ffmpeg(tmp_path: Path) -> None:
    proc = simchain(
        tmp_path, "animate", "classroom_single_dc", "--days", "2", "--step", "12h", "--out", "a.mp4"
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.mp4").stat().st_size > 1000


def test_red_frames_follow_the_disruptions_in_force() -> None:
    """d1 hits the supplier (a slower lead time) on day 2, d10 the DC on day 4: at each frame
    exactly the nodes of the disruptions in force are framed (names that share a prefix
    included)."""
    sc = load_scenario(
        CLASSROOM,
        overrides=[
            "calendar.warm_up=0d",
            "disruptions={d1: {start: 2026-09-02, end: 2026-09-02, nodes: [zj_vendor], "
            "lead_time_factor: 2}, d10: {start: 2026-09-04, end: 2026-09-04, nodes: [hz_dc], "
            "picker_factor: 0.5}}",
        ],
        days=5,
    )
    res = simulate(sc, seed=1)
    times = ani.frame_times(sc, 12.0)
    scene = ani._Scene(sc, ani.frame_state(res.tables, sc, times), res.tables, "t")
    framed = []
    for k in range(len(times)):
        scene.draw(k)
        framed.append({n for n, a in scene.alerts.items() if a.get_visible()})
    by_day = [framed[k] for k in range(0, len(times), 2)]  # each midnight
    assert by_day == [set(), {"zj_vendor"}, set(), {"hz_dc"}, set()]
