"""Golden results: every bundled scenario and teaching demo at a fixed seed and a horizon
short enough for the suite, reduced to its KPIs and a fingerprint of every table column.

`tests/test_golden.py` compares `simulate()` against the files in `tests/golden/` exactly.
A golden file changes only in a commit that says why (a deliberate modelling change), never
to make a test pass. To rewrite them after such a change:

    .venv/bin/python -m tests.golden_cases
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simchain import load_scenario, simulate
from simchain.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

# Double-11 at a twentieth of its demand: the whole season (pre-sale, both waves, the tail)
# in a few seconds.
SMALL_D11 = tuple(
    f"regions.{region}.demand.orders_per_day={n}"
    for region, n in (("shanghai", 350), ("hangzhou", 250), ("nanjing", 200), ("hefei", 200))
)


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    seed: int
    days: float | None = None
    overrides: tuple[str, ...] = ()

    def scenario(self) -> Scenario:
        return load_scenario(ROOT / self.path, self.overrides, self.days)


CASES = (
    Case("classroom_single_dc", "scenarios/classroom_single_dc.yaml", seed=7, days=60),
    Case("two_echelon", "scenarios/two_echelon.yaml", seed=3, days=20),
    Case("double11", "scenarios/double11.yaml", seed=1, days=8),
    Case("double11_small_season", "scenarios/double11.yaml", seed=2, overrides=SMALL_D11),
    Case("double11_premium", "scenarios/double11_premium.yaml", seed=1, overrides=SMALL_D11),
    Case("double11_snowstorm", "scenarios/double11_snowstorm.yaml", seed=1, overrides=SMALL_D11),
    Case("teaching_bullwhip", "scenarios/teaching/bullwhip.yaml", seed=1),
    Case("teaching_double11_backlog", "scenarios/teaching/double11_backlog.yaml", seed=1),
    Case("teaching_lead_time_stockout", "scenarios/teaching/lead_time_stockout.yaml", seed=1),
    Case("teaching_safety_stock", "scenarios/teaching/safety_stock.yaml", seed=1),
)


def _canonical(col: pd.Series) -> bytes:
    """A column's values as bytes independent of its storage type: categories as their
    labels, times as nanoseconds, numbers as float64 (NaN and NaT alike)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return "\x1f".join("" if pd.isna(v) else str(v) for v in col.astype(object)).encode()
    if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col):
        values = col.to_numpy()
        ns = values.view(np.int64).astype(np.float64)
        ns[pd.isna(values)] = np.nan
        return ns.tobytes()
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan).tobytes()
    return "\x1f".join("" if pd.isna(v) else str(v) for v in col.astype(object)).encode()


def fingerprint(case: Case) -> dict[str, str]:
    """metric -> exact value (repr), and table.column -> digest, for one case."""
    result = simulate(case.scenario(), seed=case.seed)
    out = {f"kpi.{k}": repr(float(v)) for k, v in result.kpis.items()}
    for name in sorted(result.tables):
        table = result.tables[name]
        out[f"rows.{name}"] = str(len(table))
        for column in table.columns:
            digest = hashlib.sha256(_canonical(table[column])).hexdigest()[:16]
            out[f"table.{name}.{column}"] = digest
    return out


def path_of(case: Case) -> Path:
    return GOLDEN / f"{case.name}.csv"


def read(case: Case) -> dict[str, str]:
    with path_of(case).open(newline="") as f:
        return {row["key"]: row["value"] for row in csv.DictReader(f)}


def write(case: Case) -> None:
    GOLDEN.mkdir(exist_ok=True)
    with path_of(case).open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["key", "value"])
        out.writerows(fingerprint(case).items())


if __name__ == "__main__":
    for case in CASES:
        write(case)
        print(f"wrote {path_of(case).relative_to(ROOT)}")
