"""Run reports: every figure drawn from a small run holds the series it names, and
`simchain report` writes a self-contained report.html with PNG and SVG figures."""

from __future__ import annotations

import base64
import functools
import io
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from simchain import load_scenario, report, simulate
from simchain.ahead import ReportAhead
from simchain.report.figure import DPI, SIZE, draw_figures, new_figure, png, tight_png
from simchain.scenario import validate
from tests.cli_runner import simchain
from tests.test_planned_policies import fd_network

ROOT = Path(__file__).parents[1]
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    proc = simchain(
        folder,
        "run",
        str(ROOT / "scenarios" / "classroom_single_dc.yaml"),
        "--days",
        "30",
        "--seed",
        "3",
        "--out",
        "r",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert (folder / "r" / "report.html").exists()  # every run writes its report
    return folder / "r"


def test_figures_hold_their_series(run_folder: Path) -> None:
    tables, sc, kpis = report.read_run(run_folder)
    flow = report.flow(tables, sc)
    lines = {ln.get_label(): ln for ln in flow.axes[0].get_lines()}
    assert {"orders created", "orders delivered"} <= set(lines)
    created = np.asarray(lines["orders created"].get_ydata(), dtype=float)
    assert created.sum() == tables["daily"]["orders"].sum() > 0
    backlog = report.backlog(tables, sc)
    labels = [c.get_label() for c in backlog.axes[0].collections]
    assert "waiting for stock" in labels and "in transit" in labels
    unshipped = {ln.get_label(): ln for ln in backlog.axes[0].get_lines()}["unshipped orders"]
    assert list(unshipped.get_ydata()) == list(tables["daily"]["backlog_orders"])
    notes = [t.get_text() for t in backlog.axes[0].texts]
    assert f"peak {kpis['backlog_peak_orders']:,.0f}" in notes
    cycle = report.cycle_time(tables, sc)
    p50 = {ln.get_label(): ln for ln in cycle.axes[0].get_lines()}["p50"]
    assert len(p50.get_xdata()) >= 25
    assert [p.get_label() for p in cycle.axes[1].patches] == ["other days"]  # no events here
    util = report.utilization(tables, sc)
    assert {ln.get_label() for ln in util.axes[0].get_lines()} >= {"pickers"}
    stock = report.stock(tables, sc)
    assert [ln.get_label() for ln in stock.axes[0].get_lines()] == list(sc.warehouses)
    costs = report.costs(kpis)
    widths = [p.get_width() for p in costs.axes[0].patches]
    parts = [k for k in kpis if k.endswith("_cost") and k != "total_cost"]
    assert sum(widths) == pytest.approx(sum(kpis[p] for p in parts))
    for fig in (flow, backlog, cycle, util, stock, costs):
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel()


def test_report_command_writes_a_self_contained_page(run_folder: Path) -> None:
    proc = simchain(run_folder.parent, "report", "r")
    assert proc.returncode == 0, proc.stderr
    page = (run_folder / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page  # nothing fetched to view it
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(report.FIGURES) + 1  # and the cost breakdown
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for name in [*report.FIGURES, "costs"]:
        assert (run_folder / "figures" / f"{name}.png").stat().st_size > 5000
        assert (run_folder / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert "fill_rate" in page
    assert "lead_time_p95_d" in page  # the scorecard table
    missing = simchain(run_folder.parent, "report", "nowhere")
    assert missing.returncode == 2 and "not a complete run folder" in missing.stderr


def test_a_run_can_skip_its_report(tmp_path: Path) -> None:
    scenario = str(ROOT / "scenarios" / "classroom_single_dc.yaml")
    proc = simchain(tmp_path, "run", scenario, "--days", "20", "--out", "r", "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "manifest.json").exists()
    assert not (tmp_path / "r" / "report.html").exists()


def _day_end(tables: report.Tables, wh: str, skus: list[str], day: pd.Timestamp) -> float:
    """Brute force: the sum over SKUs of the last on-hand entry logged before the day ends."""
    inv = tables["inventory"]
    total = 0.0
    for sku in skus:
        mine = inv[(inv["warehouse"] == wh) & (inv["sku"] == sku) & (inv["time"] < day + DAY)]
        total += float(mine["on_hand"].iloc[-1])
    return total


def test_stock_by_class_against_the_ledger_and_the_policies(run_folder: Path) -> None:
    tables, sc, _ = report.read_run(run_folder)
    fig = report.stock_by_class(tables, sc)
    classes = sorted({s.abc_class for s in sc.skus.values()})
    assert len(fig.axes) == len(sc.warehouses) * len(classes)
    for ax, cls in zip(fig.axes, classes, strict=False):  # the first warehouse's row
        wh = next(iter(sc.warehouses))
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(lines) == {"on hand", "reorder point", "order-up-to"}
        skus = [k for k, v in sc.skus.items() if v.abc_class == cls]
        days = pd.DatetimeIndex(lines["on hand"].get_xdata())
        values = np.asarray(lines["on hand"].get_ydata(), dtype=float)
        for i in (3, 11, 27):
            assert values[i] == _day_end(tables, wh, skus, days[i]), (cls, days[i])
        policies = [sc.policy_for(wh, k) for k in skus]
        reorder = np.asarray(lines["reorder point"].get_ydata(), dtype=float)
        target = np.asarray(lines["order-up-to"].get_ydata(), dtype=float)
        assert set(reorder) == {sum(p.reorder_level() for p in policies)}
        assert set(target) == {sum(p.target_level() for p in policies)}


def test_stock_by_class_follows_replanned_levels() -> None:
    """Planned policies: the reorder-point line is the levels table, summed per class."""
    res = simulate(validate(fd_network(), "<test>"), seed=2)
    fig = report.stock_by_class(res.tables, res.scenario)
    levels = res.tables["levels"]
    ax = fig.axes[0]  # dc, class A: the single SKU "a"
    line = {ln.get_label(): ln for ln in ax.get_lines()}["reorder point"]
    days = pd.DatetimeIndex(line.get_xdata())
    drawn = pd.Series(np.asarray(line.get_ydata(), dtype=float), index=days)
    mine = levels[(levels["warehouse"] == "dc") & (levels["sku"] == "a")]
    expected = mine.groupby(mine["time"].dt.floor("D"))["reorder_point"].last()
    assert expected.nunique() > 3  # the levels do move
    assert (drawn.reindex(expected.index) == expected.astype(float)).all()


def test_supplier_scorecard_figure(run_folder: Path) -> None:
    tables, sc, _ = report.read_run(run_folder)
    card = tables["suppliers"]
    rates, lead = report.suppliers(tables, sc).axes
    widths = {}
    for container in rates.containers:
        widths[container.get_label()] = [p.get_width() for p in container.patches]
    assert widths["on time"] == pytest.approx(list(card["on_time_rate"]))
    assert widths["fill rate"] == pytest.approx(list(card["fill_rate"]))
    assert widths["defects"] == pytest.approx(list(card["defect_rate"].fillna(0.0)))
    assert [p.get_width() for p in lead.patches] == pytest.approx(list(card["lead_time_mean_d"]))
    p95 = {ln.get_label(): ln for ln in lead.get_lines()}["p95"]
    assert list(p95.get_xdata()) == pytest.approx(list(card["lead_time_p95_d"]))
    assert [t.get_text() for t in rates.get_yticklabels()] == list(card["supplier"].astype(str))


def test_event_days_are_the_short_calendar_events() -> None:
    sc = load_scenario(ROOT / "scenarios" / "double11.yaml")
    days = pd.Series(pd.to_datetime(["2026-10-05", "2026-10-25", "2026-11-05", "2026-11-11"]))
    # the pre-sale's 12 days of deposits are not a peak; wave 2's deposit week and Nov 11 are
    assert list(report.run.event_days(sc, days)) == [False, False, True, True]


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_a_png_is_its_drawing_cut_to_the_tight_box(run_folder: Path) -> None:
    tables, sc, _ = report.read_run(run_folder)
    # the scorecard is laid out tight: its padded box passes the figure's edge
    for fig in (report.flow(tables, sc), report.suppliers(tables, sc)):
        data, box = tight_png(fig)
        assert np.array_equal(box.extents * DPI, np.round(box.extents * DPI))  # whole pixels
        assert (_pixels(data) == _pixels(png(fig, box))).all()  # as matplotlib crops it
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.text(1.4, 0.5, "beyond the figure's right edge", transform=ax.transAxes)
    data, box = tight_png(fig)
    assert box.x1 > SIZE[0] and _pixels(data).shape[1] == round(box.width * DPI)


def test_a_constrained_figure_is_cropped_where_its_layout_put_it() -> None:
    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1e6], [0, 1])
    ax.set(title="title", xlabel="x", ylabel="y")
    _, box = tight_png(fig)
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    assert box.x0 <= drawn.x0 and box.x1 >= drawn.x1 and box.y1 >= drawn.y1
    assert box.width > 7.5  # the layout spreads the plot over the figure


def _figures(parent: int, fail_in_copy: bool) -> dict[str, Callable[[], Figure]]:
    def draw(n: int) -> Figure:
        if fail_in_copy and os.getpid() != parent:
            raise RuntimeError("the copy fails")
        fig, ax = new_figure((4.0, 3.0))
        ax.plot(np.arange(10), np.arange(10) ** (n / 2))
        ax.set_title(f"figure {n}")
        return fig

    return {f"f{n}": functools.partial(draw, n) for n in range(5)}


@pytest.mark.parametrize("fail_in_copy", [False, True])
def test_two_processes_draw_the_same_figures(tmp_path: Path, fail_in_copy: bool) -> None:
    alone = draw_figures(tmp_path / "alone", _figures(os.getpid(), False), workers=1)
    shared = draw_figures(
        tmp_path / "shared", _figures(os.getpid(), fail_in_copy), workers=2, order=["f3"]
    )
    assert list(shared) == list(alone) == [f"f{n}" for n in range(5)]  # in the given order
    for name, data in alone.items():
        assert shared[name] == data
        assert (tmp_path / "shared" / "figures" / f"{name}.png").read_bytes() == (
            base64.b64decode(data)
        )
        assert (tmp_path / "shared" / "figures" / f"{name}.svg").exists()


class _Seen(dict[str, pd.DataFrame]):
    """A run's tables that note which ones are looked up."""

    def __init__(self, tables: report.Tables) -> None:
        super().__init__(tables)
        self.seen: set[str] = set()

    def __getitem__(self, name: str) -> pd.DataFrame:
        self.seen.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: object = None) -> Any:
        self.seen.add(name)
        return super().get(name, default)


def test_the_report_reads_every_table_its_figures_use(run_folder: Path) -> None:
    tables, sc, _ = report.read_run(run_folder)
    seen = _Seen(tables)
    for draw in report.FIGURES.values():
        draw(seen, sc)
    assert seen.seen <= set(report.run.REPORT_TABLES)
    assert "resources" in seen.seen and "orders" in seen.seen


def _unreported(run_folder: Path, tmp_path: Path) -> Path:
    """A copy of the run folder without its report."""
    folder = tmp_path / "r"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("report.html", "figures"))
    return folder


def _reported(folder: Path) -> bool:
    names = {p.stem for p in (folder / "figures").glob("*.png")}
    return (folder / "report.html").exists() and names == {*report.FIGURES, "costs"}


def test_a_report_started_ahead_is_written_by_the_copy(run_folder: Path, tmp_path: Path) -> None:
    folder = _unreported(run_folder, tmp_path)
    with ReportAhead() as ahead:
        assert ahead.write(folder) == folder / "report.html"
    assert _reported(folder)


def test_a_report_ahead_closed_unused_writes_nothing(tmp_path: Path) -> None:
    with ReportAhead() as ahead:
        pid = ahead.pid  # the run failed, or wanted no report after all: the copy is stopped
    assert ahead.pid == 0
    with pytest.raises(ChildProcessError):  # it was waited for: no process left over
        os.waitpid(pid, os.WNOHANG)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("step", ["prepare", "write_report"])  # before or after it is told
def test_a_failed_copy_leaves_the_report_to_this_process(
    run_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    folder = _unreported(run_folder, tmp_path)
    parent, real = os.getpid(), getattr(report.run, step)

    def fails_in_the_copy(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the copy fails")
        return real(*args, **kwargs)

    monkeypatch.setattr(report.run, step, fails_in_the_copy)
    with ReportAhead(workers=1) as ahead:
        ahead.write(folder)
    assert _reported(folder)
