"""The `simchain` command line, run as a subprocess, and the small Python API behind it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.cli_runner import simchain

SCENARIO = Path(__file__).parents[1] / "scenarios" / "classroom_single_dc.yaml"
FILE = "classroom.yaml"
SEED = "7"
DAYS = "30"

KPI_NAMES = [
    "orders",
    "units_demanded",
    "fill_rate",
    "order_fill_rate",
    "otif",
    "lost_sales_units",
    "backordered_units",
    "cancelled_orders",
    "cycle_time_mean_h",
    "cycle_time_p95_h",
    "avg_on_hand_units",
    "inventory_turns",
    "holding_cost",
    "ordering_cost",
    "purchase_cost",
    "transport_cost",
    "shortage_cost",
    "total_cost",
    "picker_utilization",
]
TABLES = ["orders", "order_lines", "inventory", "replenishments"]
VERBS = ["run", "validate", "schema", "scenarios", "policies"]


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def kpis(folder: Path) -> dict[str, float]:
    frame = pd.read_csv(folder / "kpis.csv")
    return dict(zip(frame["metric"], frame["value"], strict=True))


def run(cwd: Path, out: str, *extra: str) -> Path:
    """`simchain run FILE --seed 7 --days 30 --out out --quiet --no-report *extra` in cwd; the
    run folder (its tables, KPIs, scenario and manifest: the report is test_report.py's)."""
    args = ("run", FILE, "--seed", SEED, "--days", DAYS, "--out", out, "--quiet", "--no-report")
    args = (*args, *extra)
    proc = ok(simchain(cwd, *args))
    assert proc.stdout == "", "--quiet should print nothing"
    return cwd / out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder holding a copy of the classroom scenario as FILE."""
    cwd = tmp_path_factory.mktemp("cli")
    shutil.copy(SCENARIO, cwd / FILE)
    return cwd


@pytest.fixture(scope="module")
def base_run(workdir) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One `run --seed 7 --out base --days 30`, shared by the tests that read its folder."""
    proc = simchain(workdir, "run", FILE, "--seed", SEED, "--out", "base", "--days", DAYS)
    return ok(proc), workdir / "base"


# --- run -----------------------------------------------------------------------------------


def test_run_prints_kpis_and_writes_the_run_folder(base_run):
    proc, folder = base_run
    for name in ("kpis.csv", *(f"{t}.parquet" for t in TABLES), "scenario.yaml", "manifest.json"):
        assert (folder / name).is_file(), name
    assert "fill_rate" in proc.stdout
    assert "classroom_single_dc (seed 7)" in proc.stdout
    assert "results in base" in proc.stdout
    assert not list(folder.glob(".*.tmp")), "temporary files left behind"


def test_kpis_csv_has_metric_value_rows_for_every_kpi(base_run):
    _, folder = base_run
    frame = pd.read_csv(folder / "kpis.csv")
    assert list(frame.columns) == ["metric", "value"]
    assert frame["metric"].is_unique
    missing = [k for k in KPI_NAMES if k not in set(frame["metric"])]
    assert not missing, f"kpis.csv lacks {missing}"
    values = kpis(folder)
    assert values["orders"] > 0
    assert values["units_demanded"] >= values["orders"]
    for fraction in ("fill_rate", "order_fill_rate", "otif", "picker_utilization"):
        assert 0.0 <= values[fraction] <= 1.0, fraction
    parts = ("holding_cost", "ordering_cost", "purchase_cost", "transport_cost", "shortage_cost")
    assert values["total_cost"] == pytest.approx(sum(values[p] for p in parts))


@pytest.mark.parametrize("table", TABLES)
def test_tables_are_readable_parquet(base_run, table):
    _, folder = base_run
    frame = pd.read_parquet(folder / f"{table}.parquet")
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) > 0
    assert len(frame.columns) > 0


def test_manifest_records_seed_versions_command_and_time(base_run):
    _, folder = base_run
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["scenario"] == "classroom_single_dc"
    for key in ("simchain_version", "python", "simpy", "numpy", "pandas"):
        assert isinstance(manifest[key], str) and manifest[key], key
    command = manifest["command_line"]
    assert command[:3] == ["simchain", "run", FILE]
    assert command[command.index("--seed") + 1] == SEED
    assert command[command.index("--days") + 1] == DAYS
    assert isinstance(manifest["wall_time_s"], int | float) and manifest["wall_time_s"] >= 0


def test_resolved_scenario_validates_and_reproduces_the_kpis(base_run, workdir):
    _, folder = base_run
    resolved = folder / "scenario.yaml"
    data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    assert data["calendar"]["horizon"] == f"{DAYS}d"
    proc = ok(simchain(workdir, "validate", str(resolved)))
    assert "valid" in proc.stdout
    again = workdir / "again"
    args = ("run", str(resolved), "--seed", SEED, "--out", str(again), "--quiet", "--no-report")
    ok(simchain(workdir, *args))
    assert kpis(again) == kpis(folder)
    assert (again / "kpis.csv").read_text() == (folder / "kpis.csv").read_text()


def test_set_changes_the_result_and_is_recorded(base_run, workdir):
    _, base = base_run
    folder = run(workdir, "one_picker", "--set", "warehouses.hz_dc.pickers.count=1")
    assert kpis(folder)["picker_utilization"] > kpis(base)["picker_utilization"]
    resolved = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["warehouses"]["hz_dc"]["pickers"]["count"] == 1
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "warehouses.hz_dc.pickers.count=1" in manifest["command_line"]


def test_days_shortens_the_horizon(base_run, workdir):
    _, base = base_run
    folder = run(workdir, "short", "--days", "20")  # the last --days wins
    resolved = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["calendar"]["horizon"] == "20d"
    assert kpis(folder)["orders"] < kpis(base)["orders"]
    orders = pd.read_parquet(folder / "orders.parquet")
    end = pd.Timestamp(str(resolved["calendar"]["start"])) + pd.Timedelta(days=20)
    assert orders["created"].max() < end


def test_bundled_scenario_runs_by_name_into_the_default_folder(tmp_path):
    args = ("run", "classroom_single_dc", "--days", "20", "--seed", "3", "--no-report")
    proc = ok(simchain(tmp_path, *args))
    folder = tmp_path / "results" / "classroom_single_dc-seed3"
    assert (folder / "manifest.json").is_file()
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["seed"] == 3
    assert "classroom_single_dc" in proc.stdout


# --- the other verbs -----------------------------------------------------------------------


def test_validate_prints_a_summary(workdir):
    proc = ok(simchain(workdir, "validate", FILE))
    for word in ("classroom_single_dc", "zj_vendor", "hz_dc", "hangzhou", "2 pickers"):
        assert word in proc.stdout, word
    assert f"{FILE}: valid" in proc.stdout


def test_schema_is_json_schema_of_the_scenario_file(tmp_path):
    proc = ok(simchain(tmp_path, "schema"))
    schema = json.loads(proc.stdout)
    assert "warehouses" in schema["properties"]
    assert "calendar" in schema["properties"]


def test_scenarios_lists_the_bundled_scenarios(tmp_path):
    proc = ok(simchain(tmp_path, "scenarios"))
    assert "classroom_single_dc" in proc.stdout


def test_policies_lists_every_kind(tmp_path):
    proc = ok(simchain(tmp_path, "policies"))
    for kind in ("base_stock", "s_S", "r_Q", "nearest_with_stock"):
        assert kind in proc.stdout, kind


@pytest.mark.parametrize("verb", [None, *VERBS])
def test_help_works_for_every_verb(tmp_path, verb):
    args = ["--help"] if verb is None else [verb, "--help"]
    proc = ok(simchain(tmp_path, *args))
    assert proc.stdout.startswith(f"usage: simchain {verb or ''}".rstrip())
    if verb is None:
        for name in VERBS:
            assert name in proc.stdout


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).with_name("simchain")
    if not script.exists():
        pytest.skip("no simchain console script next to this interpreter")
    proc = subprocess.run(
        [str(script), "policies"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "s_S" in proc.stdout


# --- Python API ----------------------------------------------------------------------------


def test_python_api_matches_the_command_line(base_run):
    from simchain import load_scenario, simulate

    _, folder = base_run
    sc = load_scenario(SCENARIO, days=float(DAYS))
    r = simulate(sc, seed=int(SEED))
    assert isinstance(r.tables["orders"], pd.DataFrame)
    assert len(r.tables["orders"]) > 0
    assert set(KPI_NAMES) <= set(r.kpis)
    assert r.kpis == pytest.approx(kpis(folder), rel=1e-12, abs=1e-12, nan_ok=True)


def test_a_folder_named_like_a_bundled_scenario_does_not_hide_it(tmp_path: Path) -> None:
    """`simchain run two_echelon` where the previous run wrote `two_echelon/`, and an
    experiment beside a run folder named like its scenario: the names still mean the bundled
    files."""
    (tmp_path / "classroom_single_dc").mkdir()
    args = ("classroom_single_dc", "--days", "20", "--out", "r", "--quiet", "--no-report")
    proc = simchain(tmp_path, "run", *args)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "exp.yaml").write_text(
        "schema_version: 1\nname: e\nscenario: classroom_single_dc\ndays: 20\n"
        "seed: 1\nreplications: 1\nmetrics: [otif]\n",
        encoding="utf-8",
    )
    args = ("exp.yaml", "--workers", "1", "--out", "e", "--quiet", "--no-report")
    proc = simchain(tmp_path, "experiment", *args)
    assert proc.returncode == 0, proc.stderr
