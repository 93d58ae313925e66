"""Experiment reports: every figure holds the series of the experiment's tables (bar heights
and error bars, paired differences, response curves, heatmaps, the trade-off's Pareto set),
report.html embeds them with the comparison table, and `simchain report` rebuilds it."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from simchain import ScenarioError
from simchain.display import format_kpi
from simchain.experiment import runner
from simchain.experiment.runner import run_experiment
from simchain.experiment.spec import load_experiment
from simchain.kpis import direction
from simchain.report import experiment as rep
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom_single_dc.yaml"
PICKERS = "warehouses.hz_dc.pickers.count"
DEMAND = "regions.hangzhou.demand.orders_per_day"

HEAD = """\
schema_version: 1
scenario: classroom.yaml
days: 20
seed: 7
"""
#: Three variants, no sweep.
VARIANTS = (
    HEAD
    + """\
name: variants
variants:
  two: {set: {warehouses.hz_dc.pickers.count: 2}}
  one: {set: [warehouses.hz_dc.pickers.count=1]}
  three: {set: [warehouses.hz_dc.pickers.count=3]}
baseline: two
replications: 3
metrics: [otif, cycle_time_mean_h, total_cost]
"""
)
#: One variant over a 2 x 2 grid of two parameters, 2 replications.
GRID = (
    HEAD
    + f"""\
name: grid
replications: 2
metrics: [otif, cycle_time_mean_h, total_cost]
sweep:
  grid:
    {PICKERS}: [1, 2]
    {DEMAND}: [40, 120]
"""
)
#: Two variants over one parameter, and a trade-off named in the file.
LINE = (
    HEAD
    + f"""\
name: line
variants:
  two: {{}}
  one: {{set: [warehouses.hz_dc.pickers.count=1]}}
replications: 2
metrics: [otif, cycle_time_mean_h, total_cost]
tradeoff: [cycle_time_mean_h, otif]
sweep:
  grid:
    {DEMAND}: [40, 80, 120]
"""
)


def write(folder: Path, text: str) -> Path:
    shutil.copy(CLASSROOM, folder / "classroom.yaml")
    path = folder / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The variants experiment, run through the command line (which writes the report)."""
    folder = tmp_path_factory.mktemp("variants")
    write(folder, VARIANTS)
    proc = simchain(folder, "experiment", "exp.yaml", "--workers", "1", "--out", "v", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return folder / "v"


def _run(folder: Path, text: str) -> Path:
    exp = load_experiment(write(folder, text))
    run_experiment(exp, folder / "out", workers=1)
    rep.write_experiment_report(folder / "out")
    return folder / "out"


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("grid"), GRID)


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("line"), LINE)


def ticks(ax, axis: str = "x") -> list[str]:
    got = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in got]


def errorbars(ax, axis: str = "y") -> np.ndarray:
    """Each whisker of the axes' error bar container along `axis` as (low, high)."""
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    x_first = container.has_xerr  # matplotlib draws the x whiskers first
    at = 1 if axis == "y" and x_first else 0
    segments = container.lines[2][at].get_segments()
    k = 1 if axis == "y" else 0
    return np.array([(s[0][k], s[1][k]) for s in segments])


def scatter(ax, label: str) -> np.ndarray:
    found = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_label() == label]
    return np.asarray(found[0].get_offsets()) if found else np.empty((0, 2))


# --- which way is better, and the non-dominated set ------------------------------------------


@pytest.mark.parametrize(
    ("metric", "way"),
    [
        ("otif", 1),
        ("fill_rate", 1),
        ("otif.premium", 1),
        ("delivered_within_48h", 1),
        ("total_cost", -1),
        ("labour_cost", -1),
        ("cost_per_order", -1),
        ("cycle_time_p95_h", -1),
        ("backlog_peak_orders", -1),
        ("avg_backorder_units", -1),
        ("orders", 0),
        ("picker_utilization.sh_fdc", 0),
    ],
)
def test_metric_directions(metric, way):
    assert direction(metric) == way


def test_non_dominated_by_hand():
    up = [1, 1]  # both higher is better
    # c is dominated by a on both metrics; b and a trade off
    assert rep.non_dominated([[3, 1], [1, 3], [2, 0.5]], up).tolist() == [True, True, False]
    # better on one metric and tied on the other is enough to dominate
    assert rep.non_dominated([[2, 5], [1, 5]], up).tolist() == [True, False]
    # identical points do not dominate each other
    assert rep.non_dominated([[2, 5], [2, 5], [1, 1]], up).tolist() == [True, True, False]
    # a point only better on one metric and worse on the other is not dominated
    assert rep.non_dominated([[10, 0], [0, 10], [5, 5]], up).tolist() == [True, True, True]


def test_non_dominated_follows_the_direction_of_each_metric():
    # (total_cost: lower is better, otif: higher is better)
    points = [[100, 0.90], [200, 0.95], [150, 0.80], [300, 0.95]]
    assert rep.non_dominated(points, [-1, 1]).tolist() == [True, True, False, False]
    # were both higher-is-better, the costliest would win
    assert rep.non_dominated(points, [1, 1]).tolist() == [False, False, False, True]
    assert rep.non_dominated(points, [-1, -1]).tolist() == [True, False, True, False]


def test_non_dominated_edge_cases():
    got = rep.non_dominated([[1, np.nan], [0, 0], [2, 2]], [1, 1])
    assert got.tolist() == [False, False, True]  # NaN: left out, dominating nothing
    assert rep.non_dominated(np.empty((0, 2)), [1, -1]).tolist() == []
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        rep.non_dominated([[1, 2]], [1, 0])
    with pytest.raises(ValueError, match="shape"):
        rep.non_dominated([1, 2], [1, 1])


def test_default_tradeoff_metrics():
    assert rep.tradeoff_metrics(["otif", "fill_rate", "total_cost"]) == ["total_cost", "otif"]
    assert rep.tradeoff_metrics(["labour_cost", "cycle_time_mean_h", "fill_rate"]) == [
        "labour_cost",
        "fill_rate",
    ]
    assert rep.tradeoff_metrics(["cycle_time_mean_h", "otif"]) == ["cycle_time_mean_h", "otif"]
    assert rep.tradeoff_metrics(["otif", "total_cost"], ["otif", "total_cost"]) == [
        "otif",
        "total_cost",
    ]


def synthetic(metrics: dict[str, list[float]]) -> pd.DataFrame:
    """A summary table of variants a, b, c, ... with the given means and a half-width of 1."""
    rows = []
    for metric, means in metrics.items():
        for i, m in enumerate(means):
            rows.append(
                {
                    "variant": "abcdefgh"[i],
                    "point": "p000",
                    "metric": metric,
                    "n": 3,
                    "mean": m,
                    "std": 1.0,
                    "ci_half_width": 1.0 + i,
                    "ci_low": m - 1.0 - i,
                    "ci_high": m + 1.0 + i,
                }
            )
    return pd.DataFrame(rows)


def test_tradeoff_marks_the_pareto_set_with_the_right_directions():
    summary = synthetic({"total_cost": [100, 200, 150, 300], "otif": [0.90, 0.95, 0.80, 0.95]})
    fig = rep.tradeoff(summary, "total_cost", "otif")
    ax = fig.axes[0]
    assert {tuple(p) for p in scatter(ax, "non-dominated")} == {(100, 0.90), (200, 0.95)}
    assert {tuple(p) for p in scatter(ax, "dominated")} == {(150, 0.80), (300, 0.95)}
    texts = {t.get_text(): t.get_fontweight() for t in ax.texts}
    assert texts["a"] == texts["b"] == "bold" and texts["c"] == "normal"
    assert "lower is better" in ax.get_xlabel() and "higher is better" in ax.get_ylabel()
    # the whiskers are the CI half-widths, both ways
    for axis in ("x", "y"):
        assert np.diff(errorbars(ax, axis), axis=1).ravel() / 2 == pytest.approx([1, 2, 3, 4])
    table = rep.pareto(summary, ["total_cost", "otif"]).set_index("variant")
    assert table["non_dominated"].to_dict() == {"a": True, "b": True, "c": False, "d": False}
    # cycle time is lower-is-better like a cost: the same set
    cycle = summary.replace({"metric": {"total_cost": "cycle_time_mean_h"}})
    ax = rep.tradeoff(cycle, "cycle_time_mean_h", "otif").axes[0]
    assert {tuple(p) for p in scatter(ax, "non-dominated")} == {(100, 0.90), (200, 0.95)}


def test_a_variant_without_values_is_neither_dominated_nor_on_the_front():
    nan = float("nan")
    summary = synthetic({"total_cost": [100, nan, 150], "otif": [0.9, 0.95, 0.8]})
    table = rep.pareto(summary, ["total_cost", "otif"]).set_index("variant")
    assert table["valued"].to_dict() == {"a": True, "b": False, "c": True}
    ax = rep.tradeoff(summary, "total_cost", "otif").axes[0]
    assert {tuple(p) for p in scatter(ax, "non-dominated")} == {(100, 0.90)}
    assert {tuple(p) for p in scatter(ax, "dominated")} == {(150, 0.80)}
    empty = synthetic({"total_cost": [nan, nan], "otif": [0.9, 0.95]})
    ax = rep.tradeoff(empty, "total_cost", "otif").axes[0]
    assert "no values" in ax.get_title() and len(scatter(ax, "dominated")) == 0


def test_tradeoff_without_a_direction_marks_no_pareto_set():
    summary = synthetic({"orders": [100, 200], "otif": [0.9, 0.8]})
    ax = rep.tradeoff(summary, "orders", "otif").axes[0]
    assert len(scatter(ax, "non-dominated")) == 0 and len(scatter(ax, "variants")) == 2
    assert "no Pareto set" in ax.get_title()


# --- figures of real experiments ---------------------------------------------------------------


def test_bars_are_the_means_and_their_error_bars_the_intervals(variants: Path):
    t = rep.read_experiment(variants)
    metrics = t.spec.metrics
    fig = rep.bars(t.summary, metrics, order=["two", "one", "three"])
    assert len(fig.axes) == len(metrics)
    means = t.summary.set_index(["variant", "metric"])
    for ax, metric in zip(fig.axes, metrics, strict=True):
        assert ticks(ax) == ["two", "one", "three"]
        heights = [p.get_height() for p in ax.patches]
        expected = [means.loc[(v, metric), "mean"] for v in ticks(ax)]
        assert heights == pytest.approx(expected)
        lo_hi = errorbars(ax)
        half = [means.loc[(v, metric), "ci_half_width"] for v in ticks(ax)]
        assert (lo_hi[:, 1] - lo_hi[:, 0]) / 2 == pytest.approx(half)
        assert (lo_hi.mean(axis=1)) == pytest.approx(expected)
    one = rep.bars(t.summary, "otif")  # one metric: one plot
    assert len(one.axes) == 1 and "higher is better" in one.axes[0].get_title()


def test_differences_are_paired_with_intervals_and_a_zero_line(variants: Path):
    t = rep.read_experiment(variants)
    comp = t.comparison
    fig = rep.differences(comp, t.spec.metrics, "two", order=["two", "one", "three"])
    by = comp.set_index(["variant", "metric"])
    for ax, metric in zip(fig.axes, t.spec.metrics, strict=True):
        names = ticks(ax, "y")
        assert names == ["one", "three"]  # the baseline is not compared with itself
        lo_hi = errorbars(ax, "x")
        assert lo_hi.mean(axis=1) == pytest.approx(
            [by.loc[(v, metric), "diff_mean"] for v in names]
        )
        assert (lo_hi[:, 1] - lo_hi[:, 0]) / 2 == pytest.approx(
            [by.loc[(v, metric), "diff_ci_half_width"] for v in names], nan_ok=True
        )
        zero = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0, 0]]
        assert zero, "a line at zero"
        for v, y in zip(names, ax.get_yticks(), strict=True):
            row = by.loc[(v, metric)]
            kind = rep.verdict(metric, row["diff_ci_low"], row["diff_ci_high"])
            assert (by.loc[(v, metric), "diff_mean"], y) in {tuple(p) for p in scatter(ax, kind)}


def test_verdicts():
    assert rep.verdict("otif", 0.01, 0.03) == "better"
    assert rep.verdict("otif", -0.03, -0.01) == "worse"
    assert rep.verdict("total_cost", -30, -10) == "better"
    assert rep.verdict("total_cost", 10, 30) == "worse"
    assert rep.verdict("total_cost", -10, 30) == "not significant"
    assert rep.verdict("orders", 1, 3) == "differs"
    assert rep.verdict("otif", float("nan"), float("nan")) == "not significant"


def test_heatmap_is_the_pivot_of_the_means(grid: Path):
    t = rep.read_experiment(grid)
    s = t.summary
    assert rep.parameters(s) == [PICKERS, DEMAND]
    fig = rep.heatmap(s, t.spec.metrics)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == len(t.spec.metrics)
    for im, metric in zip(images, t.spec.metrics, strict=True):
        pivot = s[s["metric"] == metric].pivot_table(index=PICKERS, columns=DEMAND, values="mean")
        assert np.asarray(im.get_array()) == pytest.approx(pivot.to_numpy())
        ax = im.axes
        assert ticks(ax) == ["40", "120"] and ticks(ax, "y") == ["1", "2"]
        cells = {t.get_text() for t in ax.texts}
        assert {format_kpi(metric, v) for v in pivot.to_numpy().ravel()} <= cells  # annotated
    # lower is better: the colour map is reversed, so that brighter is better throughout
    assert images[1].get_cmap().name == "viridis_r" and images[0].get_cmap().name == "viridis"


def test_grid_bars_label_each_point(grid: Path):
    t = rep.read_experiment(grid)
    ax = rep.bars(t.summary, "total_cost").axes[0]
    assert ticks(ax) == ["1, 40", "1, 120", "2, 40", "2, 120"]
    assert ax.get_xlabel() == "pickers.count, demand.orders_per_day"
    s = t.summary[t.summary["metric"] == "total_cost"].sort_values("point")
    assert [p.get_height() for p in ax.patches] == pytest.approx(s["mean"].tolist())


def test_response_curves_are_the_means_at_each_value(line: Path):
    t = rep.read_experiment(line)
    s = t.summary
    fig = rep.response(s, t.spec.metrics, order=["two", "one"])
    for ax, metric in zip(fig.axes, t.spec.metrics, strict=True):
        curves = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(curves) == {"two", "one"}  # one line per variant
        for variant, ln in curves.items():
            mine = s[(s["metric"] == metric) & (s["variant"] == variant)].sort_values(DEMAND)
            assert list(ln.get_xdata()) == [40, 80, 120]
            assert np.asarray(ln.get_ydata()) == pytest.approx(mine["mean"].to_numpy())
        assert len(ax.collections) == 2  # a confidence band per variant
        assert ax.get_xlabel() == "demand.orders_per_day"


def test_report_figures_of_each_kind_of_experiment(variants: Path, grid: Path, line: Path):
    def made(folder: Path) -> set[str]:
        return {p.stem for p in (folder / "figures").glob("*.png")}

    assert made(variants) == {"means", "differences", "tradeoff"}
    assert made(grid) == {"means", "heatmap", "tradeoff"}  # one variant: no differences
    assert made(line) == {"means", "differences", "response", "tradeoff"}
    for folder in (variants, grid, line):
        for name in made(folder):
            assert (folder / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    # the file's `tradeoff:` is the plot's
    ax = rep.figures(rep.read_experiment(line))["tradeoff"].axes[0]
    assert ax.get_xlabel().startswith("cycle_time_mean_h") and ax.get_ylabel().startswith("otif")


def test_every_figure_is_a_figure_with_titles(grid: Path):
    for name, fig in rep.figures(rep.read_experiment(grid)).items():
        assert isinstance(fig, Figure), name
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_title() and ax.get_xlabel(), name


# --- the page --------------------------------------------------------------------------------


def page_of(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def test_the_page_embeds_every_figure_and_the_tables(variants: Path):
    page = page_of(variants)
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert {name for name, _ in images} == {p.stem for p in (variants / "figures").glob("*.png")}
    for name, data in images:
        assert base64.b64decode(data) == (variants / "figures" / f"{name}.png").read_bytes()
    assert "<h1>variants</h1>" in page and "3 replications" in page and "seed 7" in page
    assert "warehouses.hz_dc.pickers.count=1" in page  # what varied
    assert "95% confidence interval" in page
    t = rep.read_experiment(variants)
    for r in t.summary.to_dict("records"):
        assert f'<td class="num">{rep.pm(r["metric"], r["mean"], r["ci_half_width"])}</td>' in page
    for r in t.comparison[t.comparison["variant"] != "two"].to_dict("records"):
        cell = rep.pm(r["metric"], r["diff_mean"], r["diff_ci_half_width"], signed=True)
        mark = rep.MARKS[rep.verdict(r["metric"], r["diff_ci_low"], r["diff_ci_high"])]
        assert f'<td class="num">{cell}{mark}</td>' in page
    front = rep.pareto(t.summary, ["total_cost", "otif"]).set_index("variant")
    best = [v for v in ("two", "one", "three") if front.loc[v, "non_dominated"]]
    assert f"Non-dominated on total_cost and otif (means): {', '.join(best)}." in page


def test_the_page_of_a_sweep_names_its_points(grid: Path):
    page = page_of(grid)
    assert "Sweep (a full grid)" in page and "demand.orders_per_day" in page
    assert "<th>pickers.count</th><th>demand.orders_per_day</th>" in page
    assert "Differences from the baseline" not in page  # one variant
    assert 'alt="heatmap"' in page


def test_pm_formats():
    assert rep.pm("otif", 0.98765, 0.0123) == "98.77% ± 1.23%"
    assert rep.pm("total_cost", 12345.6, 789.2) == "12,346 ± 789"
    assert rep.pm("cycle_time_mean_h", -3.5, 1.25, signed=True) == "-3.50 ± 1.25"
    assert rep.pm("backlog_peak_orders", 2.0, float("nan"), signed=True) == "+2"


# --- the command line ------------------------------------------------------------------------


def test_report_command_rebuilds_an_experiment_report(variants: Path):
    before = page_of(variants)
    shutil.rmtree(variants / "figures")
    (variants / "report.html").unlink()
    proc = simchain(variants.parent, "report", variants.name)
    assert proc.returncode == 0, proc.stderr
    assert "report.html" in proc.stdout
    assert page_of(variants) == before
    assert (variants / "figures" / "tradeoff.png").exists()


def test_report_command_refuses_other_folders(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    for folder in ("empty", "nowhere"):
        proc = simchain(tmp_path, "report", folder)
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "neither" in proc.stderr or "nor an experiment folder" in proc.stderr
        assert "Traceback" not in proc.stderr
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "experiment.json").write_text("{}")
    proc = simchain(tmp_path, "report", "unfinished")
    assert proc.returncode == 2 and "unfinished experiment folder" in proc.stderr


def test_an_experiment_can_skip_its_report(tmp_path: Path):
    write(tmp_path, VARIANTS.replace("replications: 3", "replications: 1"))
    proc = simchain(tmp_path, "experiment", "exp.yaml", "--workers", "1", "--no-report", "--quiet")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "results" / "variants"
    assert (out / "summary.csv").exists()
    assert not (out / "report.html").exists() and not (out / "figures").exists()


def test_a_report_of_an_experiment_whose_runs_all_failed(tmp_path: Path, monkeypatch):
    def broken(scenario, seed=0, replication=0):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "simulate", broken)
    exp = load_experiment(write(tmp_path, VARIANTS.replace("replications: 3", "replications: 1")))
    run_experiment(exp, tmp_path / "out", workers=1)
    rep.write_experiment_report(tmp_path / "out")
    page = page_of(tmp_path / "out")
    assert "3 failed" in page and "No successful run" in page


# --- the experiment file's `tradeoff:` -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[total_cost, otf]", "exp.yaml:13: tradeoff: 'otf' is not among the metrics"),
        ("[total_cost, otf]", "did you mean 'otif'"),
        ("[otif, otif]", "expected two different metrics, found 'otif' twice"),
        ("[otif]", "exp.yaml:13: tradeoff: list should have at least 2 items"),
    ],
)
def test_a_bad_tradeoff_is_refused(tmp_path: Path, value: str, expected: str):
    path = write(tmp_path, VARIANTS + f"tradeoff: {value}\n")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert expected in info.value.render()


def test_a_tradeoff_less_folder_resumes(tmp_path: Path):
    """Folders written before `tradeoff:` existed record no such field: still resumable."""
    exp = load_experiment(write(tmp_path, VARIANTS.replace("replications: 3", "replications: 1")))
    run_experiment(exp, tmp_path / "out", workers=1)
    assert '"tradeoff"' not in (tmp_path / "out" / "experiment.json").read_text()
    result = run_experiment(exp, tmp_path / "out", workers=1, resume=True)
    assert result.ran == 0


def test_sampled_sweeps_get_a_report(tmp_path: Path):
    """Sampled points may share a value (integers): points with error bars, no curve; two
    sampled parameters: no heatmap, and the page says why."""
    text = (
        HEAD
        + f"""\
name: sampled
replications: 1
metrics: [otif, total_cost]
sweep:
  samples: 4
  latin_hypercube:
    {PICKERS}: {{low: 1, high: 2, integer: true}}
"""
    )
    (tmp_path / "one").mkdir()
    out = _run(tmp_path / "one", text)
    t = rep.read_experiment(out)
    assert t.summary[PICKERS].duplicated().any()
    figs = rep.figures(t)
    assert set(figs) == {"means", "response", "tradeoff"}
    ax = figs["response"].axes[1]
    s = t.summary[t.summary["metric"] == "total_cost"].sort_values(PICKERS, kind="stable")
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert list(bars.lines[0].get_xdata()) == s[PICKERS].tolist()
    assert np.asarray(bars.lines[0].get_ydata()) == pytest.approx(s["mean"].to_numpy())
    (tmp_path / "two").mkdir()
    two = text.replace("{low: 1, high: 2, integer: true}", "{low: 1, high: 3, integer: true}")
    two += f"    {DEMAND}: {{low: 40, high: 80}}\n"
    out = _run(tmp_path / "two", two)
    assert {p.stem for p in (out / "figures").glob("*.png")} == {"means", "tradeoff"}
    assert "A sweep over 2 parameters not on a grid" in page_of(out)
