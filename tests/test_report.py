"""Run reports: every figure drawn from a small run holds the series it names, and
`simchain report` writes a self-contained report.html with PNG and SVG figures."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from simchain import report
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]


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
    cycle = report.cycle_time(tables, sc)
    p50 = {ln.get_label(): ln for ln in cycle.axes[0].get_lines()}["p50"]
    assert len(p50.get_xdata()) >= 25
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
    assert len(images) == 6
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("flow", "backlog", "cycle_time", "utilization", "stock", "costs"):
        assert (run_folder / "figures" / f"{name}.png").stat().st_size > 5000
        assert (run_folder / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert "fill_rate" in page
    missing = simchain(run_folder.parent, "report", "nowhere")
    assert missing.returncode == 2 and "not a complete run folder" in missing.stderr


def test_a_run_can_skip_its_report(tmp_path: Path) -> None:
    scenario = str(ROOT / "scenarios" / "classroom_single_dc.yaml")
    proc = simchain(tmp_path, "run", scenario, "--days", "20", "--out", "r", "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "manifest.json").exists()
    assert not (tmp_path / "r" / "report.html").exists()
