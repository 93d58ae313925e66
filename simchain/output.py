"""Writing a run folder: every file written atomically, enough to reproduce the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd
import yaml

from simchain.disruptions import dated
from simchain.scenario.schema import Scenario
from simchain.simulate import SimulationResult
from simchain.version import __version__, library_versions

RUN_TABLES = (
    "orders",
    "order_lines",
    "inventory",
    "replenishments",
    "returns",
    "losses",
    "levels",
    "forecast",
    "daily",
    "suppliers",
    "resources",
    "shipments",
)


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def scenario_yaml(sc: Scenario) -> str:
    """The fully resolved scenario as YAML: loading it gives the same Scenario back. Random
    disruptions stay random here (their dated windows are in the manifest)."""
    data = sc.model_dump(mode="json", exclude_none=True)
    return "# Fully resolved scenario of this run (defaults filled in).\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True
    )


def git_revision() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def manifest(result: SimulationResult, command: list[str] | None) -> dict[str, Any]:
    return {
        "simchain_version": __version__,
        "git_revision": git_revision(),
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replication": result.replication,
        **library_versions(),
        "wall_time_s": round(result.wall_time_s, 3),
        "stats": {k: round(v, 3) for k, v in result.stats.items()},
        "command_line": command if command is not None else sys.argv,
        # The disruption windows the run met, random ones dated (scenario.yaml keeps `random`).
        "disruptions": dated(result.resolved or result.scenario),
        "files": ["kpis.csv", *(f"{t}.parquet" for t in RUN_TABLES), "scenario.yaml"],
    }


def _parquet_writer(table: pd.DataFrame) -> Callable[[IO[bytes]], Any]:
    def write(fh: IO[bytes]) -> None:
        table.to_parquet(fh, index=False)

    return write


def write_run(result: SimulationResult, out: Path, command: list[str] | None = None) -> Path:
    """Write the run folder: kpis.csv, the tables as parquet, scenario.yaml, manifest.json."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # An old manifest would vouch for a folder this run may not finish rewriting.
    (out / "manifest.json").unlink(missing_ok=True)
    kpis = result.kpi_frame()
    atomic_write(out / "kpis.csv", lambda fh: kpis.to_csv(fh, index=False))
    for name in RUN_TABLES:
        atomic_write(out / f"{name}.parquet", _parquet_writer(result.tables[name]))
    atomic_text(out / "scenario.yaml", scenario_yaml(result.scenario))
    # The manifest goes last: its presence says the folder is complete.
    atomic_text(out / "manifest.json", json.dumps(manifest(result, command), indent=2) + "\n")
    return out
