"""Executing an experiment's runs, in-process, on a pool of processes or on a Dask cluster,
resumably.

Each run writes its own one-row part (`runs/<key>.parquet`) atomically the moment it ends, so
an interrupted experiment keeps every finished run and `resume` only does the rest. The final
tables are built from the parts sorted by key: they never depend on the number of workers or
on the order in which runs finished.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simchain.errors import Problem, ScenarioError, suggest
from simchain.experiment import stats
from simchain.experiment.plan import Run, runs
from simchain.experiment.spec import ExperimentFile
from simchain.output import atomic_text, atomic_write, git_revision, scenario_yaml
from simchain.scenario.schema import Scenario
from simchain.simulate import simulate
from simchain.version import __version__, library_versions

#: Columns of a run's row before its KPIs (the sweep's parameters come after `point`).
ID_COLUMNS = ("key", "experiment", "variant", "point")
RUN_COLUMNS = ("replication", "seed", "status", "error", "wall_s")

#: Called after each run: (runs done, runs to do, failures so far).
Progress = Callable[[int, int, int], None]


@dataclass
class ExperimentResult:
    """What an experiment produced: all runs, the summary and the comparison tables."""

    out: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    params: list[str]
    ran: int
    skipped: int
    failures: int
    wall_time_s: float


def execute(run: Run, scenario: Scenario, experiment: str, out: Path) -> dict[str, Any]:
    """Simulate one run and write its part (in the worker: a finished run is kept even if
    the parent dies)."""
    row = simulate_run(run, scenario, experiment)
    write_part(out, row)
    return row


def write_part(out: Path, row: dict[str, Any]) -> None:
    frame = pd.DataFrame([row])
    atomic_write(part_path(out, row["key"]), lambda fh: frame.to_parquet(fh, index=False))


def simulate_run(run: Run, scenario: Scenario, experiment: str) -> dict[str, Any]:
    """One run's row: its identity, status and KPIs; an exception becomes status "error"."""
    row: dict[str, Any] = {
        "key": run.key,
        "experiment": experiment,
        "variant": run.variant,
        "point": run.point.id,
        **{k: _cell(v) for k, v in run.point.params.items()},
        "replication": run.replication,
        "seed": run.seed,
    }
    t0 = time.perf_counter()
    try:
        result = simulate(scenario, seed=run.seed, replication=run.replication)
    except Exception as exc:
        row |= {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        if os.environ.get("SIMCHAIN_DEBUG"):
            traceback.print_exc()
        kpis: dict[str, float] = {}
    else:
        row |= {"status": "ok", "error": ""}
        kpis = result.kpis
    row["wall_s"] = time.perf_counter() - t0
    row |= {k: float(v) for k, v in kpis.items()}
    return row


def _cell(value: Any) -> Any:
    """A parameter value as a table cell: mappings and lists as their JSON text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def part_path(out: Path, key: str) -> Path:
    return out / "runs" / f"{key}.parquet"


def done_keys(out: Path) -> set[str]:
    """The runs with a part file (temporary files of an interrupted write do not count)."""
    folder = out / "runs"
    return {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()


def _check_metrics(exp: ExperimentFile, row: dict[str, Any]) -> None:
    """Refuse metrics the runs do not produce, as soon as the first run shows what they do."""
    params = exp.spec.sweep.parameters() if exp.spec.sweep else []
    produced = [str(k) for k in row if k not in (*ID_COLUMNS, *RUN_COLUMNS, *params)]
    for i, metric in enumerate(exp.spec.metrics):
        if metric not in produced:
            raise exp.problem(
                ("metrics", i),
                f"unknown KPI '{metric}'" + suggest(metric, produced) + " (see `kpis.csv`)",
            )


def _claim(exp: ExperimentFile, out: Path, resume: bool) -> None:
    """Record which experiment the folder holds; resuming it with another is refused, since
    its finished runs would be taken for runs of this one."""
    spec = exp.spec.model_dump(mode="json", by_alias=True)
    if spec.get("tradeoff") is None:  # as recorded before the field existed: still resumable
        spec.pop("tradeoff", None)
    mine = {"experiment": spec, "scenario": exp.scenario_path.resolve().as_posix()}
    recorded = out / "experiment.json"
    if resume and recorded.exists():
        theirs = json.loads(recorded.read_text(encoding="utf-8"))
        if theirs != mine:
            raise ScenarioError(
                str(out),
                [
                    Problem(
                        (), f"holds the runs of another experiment (or of a changed {exp.source})"
                    )
                ],
            )
    atomic_text(recorded, json.dumps(mine, indent=2) + "\n")


def _serial(
    todo: list[tuple[Run, Scenario]], name: str, out: Path
) -> Generator[dict[str, Any], None, None]:
    for run, sc in todo:
        yield execute(run, sc, name, out)


def one_thread() -> None:
    """In a worker process: Arrow's own thread pools (parquet, conversions) would compete
    with the other workers for the same cores; one run per core runs fastest."""
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _pooled(
    todo: list[tuple[Run, Scenario]], name: str, out: Path, workers: int
) -> Generator[dict[str, Any], None, None]:
    with ProcessPoolExecutor(max_workers=workers, initializer=one_thread) as pool:
        pending: set[Future[dict[str, Any]]] = {
            pool.submit(execute, run, sc, name, out) for run, sc in todo
        }
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()


def _dask(
    todo: list[tuple[Run, Scenario]], name: str, out: Path, cluster: str
) -> Generator[dict[str, Any], None, None]:
    """The same runs as tasks of a Dask distributed scheduler: `tcp://host:8786`, or
    `local:N` for a local cluster of N single-threaded worker processes. Workers return
    rows; parts are written here, so the workers need no access to the output folder."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # the optional extra is missing
        raise ScenarioError(
            "--cluster",
            [Problem(("--cluster",), "needs dask.distributed: pip install 'simchain[dask]'")],
        ) from exc
    local = None
    if cluster.startswith("local:"):
        n = int(cluster.removeprefix("local:"))
        local = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(local)
        client.run(one_thread)
    else:
        client = Client(cluster)
    try:
        futures = [client.submit(simulate_run, r, sc, name, pure=False) for r, sc in todo]
        try:
            for fut in as_completed(futures):
                row = fut.result()
                write_part(out, row)
                yield row
        finally:
            client.cancel(futures)
    finally:
        client.close()
        if local is not None:
            local.close()


def _check_cluster(cluster: str) -> None:
    ok = cluster.startswith(("tcp://", "tls://", "ucx://", "inproc://")) or (
        cluster.startswith("local:")
        and cluster.removeprefix("local:").isdigit()
        and int(cluster.removeprefix("local:")) >= 1
    )
    if not ok:
        raise ScenarioError(
            "--cluster",
            [Problem(("--cluster",), f"expected tcp://HOST:PORT or local:N, found {cluster!r}")],
        )


def run_experiment(
    exp: ExperimentFile,
    out: Path | None = None,
    workers: int | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    command: list[str] | None = None,
    cluster: str | None = None,
) -> ExperimentResult:
    """Run every run of the experiment not yet done and write the experiment folder:
    runs/<key>.parquet, runs.parquet, summary.csv, comparison.csv, scenarios/, manifest.json."""
    t0 = time.perf_counter()
    spec = exp.spec
    out = Path(out) if out is not None else Path("results") / spec.name
    workers = workers or os.cpu_count() or 1
    _check_options(out, workers, resume, cluster)
    _claim(exp, out, resume)
    plan = runs(spec)
    todo = _runs_to_do(exp, plan, done_keys(out) if resume else set())
    _write_scenarios(exp, out)
    if progress:
        progress(0, len(todo), 0)
    rows = _rows(todo, spec.name, out, workers, cluster)
    checked = _follow_runs(exp, rows, len(todo), progress)
    table = _runs_table(exp, out, plan, checked)
    failed = int((table["status"] != "ok").sum()) if len(table) else 0
    params = spec.sweep.parameters() if spec.sweep else []
    summary, comparison = _write_statistics(exp, out, table, params)
    wall = time.perf_counter() - t0
    result = ExperimentResult(
        out, table, summary, comparison, params, len(todo), len(plan) - len(todo), failed, wall
    )
    atomic_text(out / "manifest.json", json.dumps(_manifest(exp, result, command), indent=2) + "\n")
    return result


def _check_options(out: Path, workers: int, resume: bool, cluster: str | None) -> None:
    """Refuse a bad --cluster or --workers, and an output folder holding something else
    unless resumed, before anything is written."""
    if cluster is not None:
        _check_cluster(cluster)
    if workers < 1:
        raise ScenarioError(
            "--workers", [Problem(("--workers",), f"must be >= 1, found {workers}")]
        )
    if not resume and out.exists() and any(out.iterdir()):
        raise ScenarioError(
            str(out),
            [Problem((), "the output folder exists and is not empty: --resume it or pick --out")],
        )


def _runs_to_do(exp: ExperimentFile, plan: list[Run], done: set[str]) -> list[tuple[Run, Scenario]]:
    """The runs not done yet, each with its scenario: loaded once per variant and point, and
    all of them before the first run starts, so a bad override fails at once."""
    scenarios: dict[tuple[str, str], Scenario] = {}
    todo = []
    for run in plan:
        if run.key in done:
            continue
        at = (run.variant, run.point.id)
        if at not in scenarios:
            scenarios[at] = exp.load(run.variant, run.point.params)
        todo.append((run, scenarios[at]))
    return todo


def _write_scenarios(exp: ExperimentFile, out: Path) -> None:
    """Each variant's scenario as run (overrides applied) in scenarios/<variant>.yaml, for
    readers who want to rerun or inspect one alone."""
    for variant in exp.spec.variants:
        sc = exp.load(variant)
        atomic_text(out / "scenarios" / f"{variant}.yaml", scenario_yaml(sc))


def _rows(
    todo: list[tuple[Run, Scenario]], name: str, out: Path, workers: int, cluster: str | None
) -> Generator[dict[str, Any], None, None]:
    """The runs' rows as they finish: on the Dask cluster if given, else in-process when one
    worker (or one run) would do, else on a pool of at most one process per run."""
    if cluster is not None:
        return _dask(todo, name, out, cluster)
    if workers == 1 or len(todo) <= 1:
        return _serial(todo, name, out)
    return _pooled(todo, name, out, min(workers, len(todo)))


def _follow_runs(
    exp: ExperimentFile,
    rows: Generator[dict[str, Any], None, None],
    total: int,
    progress: Progress | None,
) -> bool:
    """Take each run's row as it finishes and report progress. The first successful run's
    KPIs are checked against the metrics at once, not after an hour of runs; True if one
    was."""
    checked = False
    failures = 0
    try:
        for n, row in enumerate(rows, 1):
            failures += row["status"] != "ok"
            if not checked and row["status"] == "ok":
                _check_metrics(exp, row)
                checked = True
            if progress:
                progress(n, total, failures)
    finally:
        rows.close()  # on a bad metric or Ctrl-C: cancel the runs not started
    return checked


def _runs_table(exp: ExperimentFile, out: Path, plan: list[Run], checked: bool) -> pd.DataFrame:
    """All runs' parts in key order, written as runs.parquet. If no run of this session
    succeeded (a resume with everything done, say), the metrics are checked here on the
    first successful run of the table."""
    frames = [pd.read_parquet(part_path(out, run.key)) for run in plan]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    ok = table[table["status"] == "ok"] if len(table) else table
    if not checked and len(ok):
        _check_metrics(exp, {str(k): v for k, v in ok.iloc[0].items()})
    atomic_write(out / "runs.parquet", lambda fh: table.to_parquet(fh, index=False))
    return table


def _write_statistics(
    exp: ExperimentFile, out: Path, table: pd.DataFrame, params: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary (per variant and point) and the comparison with the baseline, written as
    summary.csv and comparison.csv, with the sweep's parameter values next to each point."""
    spec = exp.spec
    summary = _with_params(stats.summary(table, spec.metrics), table, params)
    comparison = _with_params(
        stats.comparison(table, spec.metrics, spec.baseline_variant, list(spec.variants)),
        table,
        params,
    )
    atomic_write(out / "summary.csv", lambda fh: summary.to_csv(fh, index=False))
    atomic_write(out / "comparison.csv", lambda fh: comparison.to_csv(fh, index=False))
    return summary, comparison


def _with_params(frame: pd.DataFrame, runs: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The sweep's parameter values next to each point id, for readers of the CSV files."""
    if not params or frame.empty:
        return frame
    values = runs[["point", *params]].drop_duplicates("point")
    merged = frame.merge(values, on="point", how="left")
    at = list(frame.columns).index("point") + 1
    cols = [c for c in frame.columns]
    return merged[cols[:at] + params + cols[at:]]


def _manifest(
    exp: ExperimentFile, r: ExperimentResult, command: list[str] | None
) -> dict[str, Any]:
    spec = exp.spec
    return {
        "experiment": spec.name,
        "file": exp.source,
        "scenario": str(exp.scenario_path),
        "baseline": spec.baseline_variant,
        "variants": list(spec.variants),
        "replications": spec.replications,
        "seed": spec.seed,
        "metrics": spec.metrics,
        "runs": len(r.runs),
        "ran": r.ran,
        "resumed": r.skipped,
        "failures": r.failures,
        "failed_runs": r.runs.loc[r.runs["status"] != "ok", "key"].tolist() if len(r.runs) else [],
        "simchain_version": __version__,
        "git_revision": git_revision(),
        **library_versions(),
        "wall_time_s": round(r.wall_time_s, 3),
        "command_line": command if command is not None else sys.argv,
        "files": [
            "runs.parquet",
            "summary.csv",
            "comparison.csv",
            "experiment.json",
            "scenarios/",
            "runs/",
        ],
    }
