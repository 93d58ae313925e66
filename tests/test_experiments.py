"""The experiment runner: expansion, common random numbers, statistics, failures, resume,
serial vs pool, the command line, and the bundled experiment files."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from simchain import ScenarioError, load_scenario, simulate
from simchain.experiment import runner
from simchain.experiment.plan import points, runs
from simchain.experiment.runner import run_experiment
from simchain.experiment.spec import ExperimentFile, load_experiment
from simchain.experiment.stats import comparison, interval, t_quantile
from tests.cli_runner import simchain

ROOT = Path(__file__).parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom_single_dc.yaml"
PICKERS = "warehouses.hz_dc.pickers.count"

SMALL = """\
schema_version: 1
name: small
scenario: classroom.yaml
days: 25
variants:
  two: {set: {warehouses.hz_dc.pickers.count: 2}}
  one: {set: [warehouses.hz_dc.pickers.count=1]}
baseline: two
replications: 3
seed: 7
metrics: [otif, cycle_time_mean_h, total_cost]
"""


def write(folder: Path, text: str, name: str = "exp.yaml") -> Path:
    """An experiment file next to a copy of the classroom scenario."""
    shutil.copy(CLASSROOM, folder / "classroom.yaml")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def values(frame: pd.DataFrame) -> pd.DataFrame:
    """A runs table without what may differ between identical experiments: the wall time."""
    return frame.drop(columns="wall_s").reset_index(drop=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[ExperimentFile, Path]:
    """The small experiment, run once serially: (experiment, its output folder)."""
    folder = tmp_path_factory.mktemp("exp")
    exp = load_experiment(write(folder, SMALL))
    run_experiment(exp, folder / "serial", workers=1)
    return exp, folder / "serial"


# --- expansion ---------------------------------------------------------------------------


def test_variants_times_grid_times_replications(tmp_path):
    text = SMALL + (
        "sweep:\n  grid:\n"
        "    warehouses.hz_dc.pickers.pick_time: [3min, 4min, 5min]\n"
        "    calendar.warm_up: [7d, 14d]\n"
    )
    spec = load_experiment(write(tmp_path, text)).spec
    pts = points(spec)
    assert len(pts) == 6
    assert [p.id for p in pts] == [f"p{i:03d}" for i in range(6)]
    assert pts[0].params == {"warehouses.hz_dc.pickers.pick_time": "3min", "calendar.warm_up": "7d"}
    assert pts[-1].params == {
        "warehouses.hz_dc.pickers.pick_time": "5min",
        "calendar.warm_up": "14d",
    }
    plan = runs(spec)
    keys = [r.key for r in plan]
    assert len(plan) == 2 * 6 * 3 == len(set(keys))
    assert keys == sorted(keys)
    assert "one__p005__r002" in keys and "two__p000__r000" in keys
    assert {r.seed for r in plan} == {7}
    assert {r.replication for r in plan} == {0, 1, 2}


@pytest.mark.parametrize("kind", ["random", "latin_hypercube"])
def test_sampled_sweeps_are_reproducible_and_in_bounds(tmp_path, kind):
    text = SMALL + (
        f"sweep:\n  samples: 8\n  {kind}:\n"
        f"    {PICKERS}: {{low: 1, high: 4, integer: true}}\n"
        "    costs.holding_rate_per_year: {low: 0.1, high: 0.3}\n"
    )
    spec = load_experiment(write(tmp_path, text)).spec
    pts = points(spec)
    assert pts == points(spec)
    assert len(pts) == 8 and len(runs(spec)) == 2 * 8 * 3
    counts = [p.params[PICKERS] for p in pts]
    rates = np.array([p.params["costs.holding_rate_per_year"] for p in pts])
    assert all(isinstance(c, int) and 1 <= c <= 4 for c in counts)
    assert ((rates >= 0.1) & (rates <= 0.3)).all()
    if kind == "latin_hypercube":  # exactly one sample in each eighth of the range
        strata = np.floor((rates - 0.1) / 0.2 * 8).astype(int)
        assert sorted(strata) == list(range(8))


# --- common random numbers -----------------------------------------------------------------


def test_variants_of_a_replication_see_the_same_demand():
    one = load_scenario(CLASSROOM, overrides=[f"{PICKERS}=1"], days=25)
    two = load_scenario(CLASSROOM, overrides=[f"{PICKERS}=2"], days=25)
    a = simulate(one, seed=7, replication=1).tables["orders"]
    b = simulate(two, seed=7, replication=1).tables["orders"]
    assert len(a) == len(b) > 100
    np.testing.assert_array_equal(a["created"].to_numpy(), b["created"].to_numpy())
    other = simulate(one, seed=7, replication=2).tables["orders"]
    assert not np.array_equal(a["created"].to_numpy()[:50], other["created"].to_numpy()[:50])


def test_paired_differences_vary_less_than_unpaired(small):
    """Common random numbers pay off: the variance of the paired differences is well below
    the sum of the two variances (what independent runs would give)."""
    _, out = small
    table = pd.read_parquet(out / "runs.parquet")
    metric = "cycle_time_mean_h"
    wide = table.pivot(index="replication", columns="variant", values=metric)
    paired = (wide["one"] - wide["two"]).var(ddof=1)
    unpaired = wide["one"].var(ddof=1) + wide["two"].var(ddof=1)
    assert paired < 0.25 * unpaired


# --- statistics ------------------------------------------------------------------------------


@pytest.mark.parametrize("df", [*range(1, 41), 60, 99, 250, 1000, 5000])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_quantile_matches_scipy(df, level):
    assert t_quantile(df, level) == pytest.approx(sps.t.ppf((1 + level) / 2, df), rel=1e-10)


def test_interval_by_hand_n3():
    got = interval(np.array([1.0, 2.0, 6.0]))
    # mean 3, deviations -2 -1 3 -> sum of squares 14, variance 7; t(0.975, 2) = 4.302653
    assert got["n"] == 3 and got["mean"] == pytest.approx(3.0)
    assert got["std"] == pytest.approx(math.sqrt(7))
    assert got["ci_half_width"] == pytest.approx(4.302652729749464 * math.sqrt(7 / 3))
    assert got["ci_low"] == pytest.approx(3 - got["ci_half_width"])


def test_interval_n10_matches_scipy():
    x = np.array([3.1, 2.7, 4.4, 3.9, 3.0, 2.2, 5.1, 3.3, 3.8, 4.0])
    got = interval(np.append(x, np.nan))  # NaNs (failed runs) are ignored
    low, high = sps.t.interval(0.95, 9, loc=x.mean(), scale=sps.sem(x))
    assert got["n"] == 10
    assert got["std"] == pytest.approx(x.std(ddof=1))
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high), rel=1e-10)


def test_interval_of_one_value_has_no_spread():
    got = interval(np.array([5.0]))
    assert got["mean"] == 5.0 and math.isnan(got["std"]) and math.isnan(got["ci_half_width"])


def test_comparison_pairs_by_replication():
    frame = pd.DataFrame(
        {
            "variant": ["a"] * 3 + ["b"] * 3,
            "point": "p000",
            "replication": [0, 1, 2, 2, 0, 1],  # b's rows in another order: paired by number
            "status": "ok",
            "m": [10.0, 20.0, 30.0, 33.0, 11.0, 22.0],
        }
    )
    got = comparison(frame, ["m"], baseline="a").set_index("variant")
    assert got.loc["b", "diff_mean"] == pytest.approx(2.0)  # differences 1, 2, 3
    assert got.loc["b", "diff_std"] == pytest.approx(1.0)
    assert got.loc["b", "diff_ci_half_width"] == pytest.approx(t_quantile(2) / math.sqrt(3))
    assert got.loc["a", "diff_mean"] == 0.0
    assert got.loc["b", "rank"] == 1 and got.loc["a", "rank"] == 2


# --- the experiment folder -------------------------------------------------------------------


def test_experiment_folder(small):
    _, out = small
    table = pd.read_parquet(out / "runs.parquet")
    assert len(table) == 6 and (table["status"] == "ok").all()
    assert list(table["key"]) == sorted(table["key"])
    assert {"experiment", "variant", "point", "replication", "seed", "error", "wall_s"} <= set(
        table.columns
    )
    assert {"otif", "fill_rate", "total_cost"} <= set(table.columns)  # every KPI
    assert len(list((out / "runs").glob("*.parquet"))) == 6
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * 3 and (summary["n"] == 3).all()
    comp = pd.read_csv(out / "comparison.csv")
    assert set(comp["variant"]) == {"one", "two"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 6 and manifest["failures"] == 0 and manifest["baseline"] == "two"
    resolved = load_scenario(out / "scenarios" / "one.yaml")
    assert resolved.warehouses["hz_dc"].pickers is not None
    assert resolved.warehouses["hz_dc"].pickers.count == 1


def test_serial_and_pool_give_identical_runs(small, tmp_path):
    exp, serial = small
    run_experiment(exp, tmp_path / "pool", workers=2)
    a = pd.read_parquet(serial / "runs.parquet")
    b = pd.read_parquet(tmp_path / "pool" / "runs.parquet")
    pd.testing.assert_frame_equal(values(a), values(b))
    pd.testing.assert_frame_equal(
        pd.read_csv(serial / "comparison.csv"), pd.read_csv(tmp_path / "pool" / "comparison.csv")
    )


def test_resume_runs_only_the_missing_runs(small, tmp_path):
    exp, serial = small
    out = tmp_path / "resumed"
    shutil.copytree(serial, out)
    for key in ("one__p000__r001", "two__p000__r002"):
        (out / "runs" / f"{key}.parquet").unlink()
    (out / "runs.parquet").unlink()  # as if interrupted before the end
    with pytest.raises(ScenarioError, match="not empty"):
        run_experiment(exp, out, workers=1)
    changed = exp.spec.model_copy(update={"seed": 8})
    with pytest.raises(ScenarioError, match="another experiment"):
        run_experiment(ExperimentFile(changed, exp.source, exp.lines), out, resume=True)
    result = run_experiment(exp, out, workers=1, resume=True)
    assert (result.ran, result.skipped) == (2, 4)
    pd.testing.assert_frame_equal(
        values(pd.read_parquet(serial / "runs.parquet")),
        values(pd.read_parquet(out / "runs.parquet")),
    )


def test_a_failing_run_is_recorded_and_the_others_complete(small, tmp_path, monkeypatch):
    exp, _ = small
    real = runner.simulate

    def flaky(scenario, seed=0, replication=0):
        if replication == 1 and scenario.warehouses["hz_dc"].pickers.count == 1:
            raise RuntimeError("boom")
        return real(scenario, seed=seed, replication=replication)

    monkeypatch.setattr(runner, "simulate", flaky)
    result = run_experiment(exp, tmp_path / "flaky", workers=1)
    table = result.runs.set_index("key")
    assert result.failures == 1
    assert table.loc["one__p000__r001", "status"] == "error"
    assert table.loc["one__p000__r001", "error"] == "RuntimeError: boom"
    assert math.isnan(table.loc["one__p000__r001", "otif"])
    assert (table.drop(index="one__p000__r001")["status"] == "ok").all()
    summary = result.summary.set_index(["variant", "metric"])
    assert summary.loc[("one", "otif"), "n"] == 2 and summary.loc[("two", "otif"), "n"] == 3
    comp = result.comparison.set_index(["variant", "metric"])
    assert comp.loc[("one", "otif"), "n_pairs"] == 2


def test_an_unknown_metric_is_refused_after_the_first_run(tmp_path):
    text = SMALL.replace("[otif, cycle_time_mean_h", "[otif, cycle_time_mean")
    exp = load_experiment(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        run_experiment(exp, tmp_path / "out", workers=1)
    assert "exp.yaml:11: metrics.1: unknown KPI 'cycle_time_mean'" in info.value.render()
    assert "did you mean 'cycle_time_mean_h'" in info.value.render()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("replications: 3", "replication: 3"), "exp.yaml:9: replication: unknown key"),
        (("replications: 3", "replications: 0"), "exp.yaml:9: replications: expected a number"),
        (("baseline: two", "baseline: tow"), "did you mean 'two'"),
        (("count: 2}", "count: -2}"), "exp.yaml:6: variants.two.set: variant 'two' gives an"),
        (("count: 2}", "count: -2}"), "warehouses.hz_dc.pickers.count: expected a number"),
        (("pickers.count: 2}", "pickers.cnt: 2}"), "unknown field 'cnt'"),
        (("classroom.yaml", "nowhere.yaml"), "exp.yaml:3: scenario: no scenario file"),
        (
            ("seed: 7\n", "seed: 7\nsweep: {grid: {calendar.warm_up: [1d, 2d, 1d]}}\n"),
            'exp.yaml:11: sweep.grid: calendar.warm_up: the value "1d" is listed twice',
        ),
    ],
)
def test_bad_experiment_files(tmp_path, change, expected):
    path = write(tmp_path, SMALL.replace(*change))
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert expected in info.value.render()


# --- the command line ------------------------------------------------------------------------


def test_cli_runs_an_experiment_and_prints_the_comparison(tmp_path):
    write(tmp_path, SMALL.replace("replications: 3", "replications: 2"))
    proc = simchain(tmp_path, "experiment", "exp.yaml", "--workers", "2", "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert "vs two (95 % CI)" in proc.stdout and "cycle_time_mean_h" in proc.stdout
    assert (tmp_path / "results" / "small" / "comparison.csv").exists()
    again = simchain(tmp_path, "experiment", "exp.yaml")
    assert again.returncode == 2 and "not empty" in again.stderr
    resumed = simchain(tmp_path, "experiment", "exp.yaml", "--resume", "--quiet", "--no-report")
    assert resumed.returncode == 0 and resumed.stdout == ""


def test_cli_bad_experiment_file_exits_2(tmp_path):
    write(tmp_path, SMALL.replace("seed: 7", "seed: -7"))
    proc = simchain(tmp_path, "experiment", "exp.yaml")
    assert proc.returncode == 2
    assert "exp.yaml:10: seed: expected a number greater than or equal to 0" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- the bundled experiments -----------------------------------------------------------------

BUNDLED = {"stocking_strategies": 3 * 5, "routing_strategies": 4 * 5, "pickers_sweep": 3 * 5}
#: Full Double-11 runs take about a minute; here 8 days (one past the warm-up) at 1/20 of the
#: demand, so that each run takes well under a second and still exercises every override.
SHORT = [
    f"regions.{r}.demand.orders_per_day=300" for r in ("shanghai", "hangzhou", "nanjing", "hefei")
]


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_experiment_runs_shortened(name, tmp_path):
    exp = load_experiment(ROOT / "experiments" / f"{name}.yaml")
    assert len(runs(exp.spec)) == BUNDLED[name]
    spec = exp.spec.model_copy(update={"days": 8, "replications": 1, "overrides": SHORT})
    short = ExperimentFile(spec, exp.source, exp.lines)
    result = run_experiment(short, tmp_path / name, workers=1)
    assert result.failures == 0 and len(result.runs) == BUNDLED[name] // 5
    assert set(result.comparison["metric"]) == set(spec.metrics)


def test_the_readme_example_is_a_valid_experiment(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("schema_version: 1\nname: routing_strategies")
    path = tmp_path / "example.yaml"
    path.write_text(readme[start : readme.index("```", start)], encoding="utf-8")
    spec = load_experiment(path).spec
    assert len(runs(spec)) == 3 * 3 * 5


def test_killing_the_experiment_and_resuming_loses_and_duplicates_nothing(small, tmp_path):
    """Kill `simchain experiment` (SIGKILL, no clean-up) once some runs are written, then
    `--resume`: every run is there exactly once and the tables equal an uninterrupted run's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    _, serial = small
    write(tmp_path, SMALL)
    out = tmp_path / "results" / "small"
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simchain.cli", "experiment", "exp.yaml", "--workers", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list((out / "runs").glob("*.parquet")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the experiment ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert 1 <= len(done) < 6
    assert not (out / "runs.parquet").exists()
    resumed = simchain(tmp_path, "experiment", "exp.yaml", "--resume", "--quiet", "--no-report")
    assert resumed.returncode == 0, resumed.stderr
    table = pd.read_parquet(out / "runs.parquet")
    assert table["key"].is_unique and len(table) == 6
    assert sorted(p.name for p in (out / "runs").glob("*.parquet")) == sorted(
        f"{k}.parquet" for k in table["key"]
    )
    pd.testing.assert_frame_equal(values(pd.read_parquet(serial / "runs.parquet")), values(table))


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_runs(small, tmp_path):
    """Serial, process pool and a local Dask cluster: value for value the same runs."""
    exp, serial = small
    run_experiment(exp, tmp_path / "dask", cluster="local:2")
    pd.testing.assert_frame_equal(
        values(pd.read_parquet(serial / "runs.parquet")),
        values(pd.read_parquet(tmp_path / "dask" / "runs.parquet")),
    )
    assert len(list((tmp_path / "dask" / "runs").glob("*.parquet"))) == 6


def test_a_bad_cluster_address_is_refused(small, tmp_path):
    exp, _ = small
    with pytest.raises(ScenarioError, match="tcp://HOST:PORT or local:N"):
        run_experiment(exp, tmp_path / "x", cluster="local:zero")
