"""The HTML reports as a reader's browser shows them: headless Chromium opens each page from
disk, finds no console or page errors and no failed request, draws every image, and the
screenshot is not blank.

`make test` installs Chromium when absent and sets SIMCHAIN_REQUIRE_BROWSER=1, so there a
missing browser fails; elsewhere it skips these tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simchain.report.browser import chromium, render
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]

if chromium() is None:
    if os.environ.get("SIMCHAIN_REQUIRE_BROWSER") == "1":
        raise RuntimeError("Chromium is required (SIMCHAIN_REQUIRE_BROWSER=1) but not found")
    pytest.skip("no Chromium on this machine", allow_module_level=True)

pytestmark = pytest.mark.slow


def assert_not_blank(png: Path) -> None:
    """Something is drawn: a good share of pixels are not background, in several colours."""
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=float)
    ink = (pixels < 235).any(axis=2).mean()
    assert ink > 0.02, f"{png.name}: {ink:.1%} of the pixels are drawn"
    assert pixels.std() > 20
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_run_report_renders(tmp_path: Path) -> None:
    scenario = str(ROOT / "scenarios" / "classroom_single_dc.yaml")
    proc = simchain(tmp_path, "run", scenario, "--days", "30", "--out", "r", "--quiet")
    assert proc.returncode == 0, proc.stderr
    shot = tmp_path / "run.png"
    seen = render(tmp_path / "r" / "report.html", shot)
    assert seen.errors == []
    assert seen.images == len(list((tmp_path / "r" / "figures").glob("*.png"))) > 5
    assert seen.images_drawn == seen.images
    assert seen.height > 3000  # the whole page laid out, not only the first screen
    assert_not_blank(shot)


def test_a_broken_page_is_caught(tmp_path: Path) -> None:
    """The check itself can fail: a script error and a missing image are reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png"><script>nope()</script></body></html>',
        encoding="utf-8",
    )
    seen = render(page, tmp_path / "broken.png")
    assert any("nope" in e for e in seen.errors)
    assert seen.images == 1 and seen.images_drawn == 0
    with pytest.raises(AssertionError):
        assert_not_blank(tmp_path / "broken.png")


GRID = """\
schema_version: 1
name: grid
scenario: classroom.yaml
days: 20
seed: 7
variants:
  two: {}
  one: {set: [warehouses.hz_dc.pickers.count=1]}
replications: 2
metrics: [otif, cycle_time_mean_h, total_cost]
sweep:
  grid:
    regions.hangzhou.demand.orders_per_day: [40, 120]
    warehouses.hz_dc.pickers.pick_time: [2min, 4min]
"""


def test_experiment_report_renders(tmp_path: Path) -> None:
    shutil.copy(ROOT / "scenarios" / "classroom_single_dc.yaml", tmp_path / "classroom.yaml")
    (tmp_path / "grid.yaml").write_text(GRID, encoding="utf-8")
    proc = simchain(tmp_path, "experiment", "grid.yaml", "--workers", "1", "--out", "e", "--quiet")
    assert proc.returncode == 0, proc.stderr
    figures = {p.stem for p in (tmp_path / "e" / "figures").glob("*.png")}
    assert any(name.startswith("heatmap") for name in figures), figures
    shot = tmp_path / "experiment.png"
    seen = render(tmp_path / "e" / "report.html", shot)
    assert seen.errors == []
    assert seen.images == len(figures) and seen.images_drawn == seen.images
    assert_not_blank(shot)
