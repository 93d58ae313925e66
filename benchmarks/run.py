"""`make bench`: speed and result size of the bundled scenarios.

Reports, per scenario: orders generated per second (demand generation alone, no SimPy),
orders simulated per second (the SimPy run), whole-run orders per second (simulation + tables
+ KPIs), recorded bytes per order in memory and bytes per order of the written run folder
(parquet). Best of N repeats. Targets live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simchain import load_scenario, simulate
from simchain.demand import RegionDemand
from simchain.output import write_run
from simchain.scenario.schema import Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"classroom_single_dc": 3, "two_echelon": 2, "double11": 1}


def generation_rate(sc: Scenario) -> float:
    """Orders (with baskets) generated per second over the whole horizon, all regions."""
    streams = Streams(0)
    t0 = time.perf_counter()
    n = 0
    for region in sc.regions:
        demand = RegionDemand(sc, region, streams.rng("d"), streams.rng("p"))
        for day in range(math.ceil(sc.calendar.horizon / HOURS_PER_DAY)):
            n += len(demand.day(day).times)
    return n / (time.perf_counter() - t0)


def bench(name: str, repeats: int) -> dict[str, float]:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    best_sim = best_whole = 0.0
    result = None
    for rep in range(repeats):
        t0 = time.perf_counter()
        result = simulate(sc, seed=rep)
        whole = time.perf_counter() - t0
        n = result.stats["orders_simulated"]
        best_sim = max(best_sim, result.stats["orders_per_s"])
        best_whole = max(best_whole, n / whole)
    assert result is not None
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_run(result, Path(tmp) / "run", command=["bench"])
        on_disk = sum(p.stat().st_size for p in folder.iterdir())
    n = result.stats["orders_simulated"]
    return {
        "orders": n,
        "generated_orders_per_s": generation_rate(sc),
        "sim_orders_per_s": best_sim,
        "whole_orders_per_s": best_whole,
        "memory_bytes_per_order": result.stats["recorded_bytes_per_order"],
        "disk_bytes_per_order": on_disk / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, help="repeats per scenario (default: 3, 2, 1)")
    ap.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--no-experiment", action="store_true", help="skip the runner benchmark")
    args = ap.parse_args()
    table = Table(title="simchain benchmark (best of the repeats)", title_justify="left")
    columns = (
        "scenario",
        "orders",
        "generated orders/s",
        "simulated orders/s",
        "whole run orders/s",
        "recorded B/order (memory)",
        "result B/order (parquet)",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for name in args.scenarios:
        r = bench(name, args.repeats or SCENARIOS.get(name, 1))
        table.add_row(
            name,
            f"{r['orders']:,.0f}",
            f"{r['generated_orders_per_s']:,.0f}",
            f"{r['sim_orders_per_s']:,.0f}",
            f"{r['whole_orders_per_s']:,.0f}",
            f"{r['memory_bytes_per_order']:,.0f}",
            f"{r['disk_bytes_per_order']:,.0f}",
        )
    Console(width=130).print(table)
    if not args.no_experiment:
        Console(width=130).print(experiment_bench())


EXPERIMENT = """\
schema_version: 1
name: bench
scenario: {scenario}
days: 30
variants:
  nearest_with_stock: {{}}
  least_loaded: {{set: {{routing.kind: least_loaded}}}}
replications: 4
seed: 1
metrics: [otif, total_cost]
"""


def experiment_bench() -> Table:
    """8 runs of a few seconds each: serial, on a pool of 2 processes and on a local Dask
    cluster of 2 workers; the speed-up over serial (the pool's aim: 1.8x or better on two
    cores) and the Dask backend's overhead against the pool."""
    from simchain.experiment.runner import run_experiment
    from simchain.experiment.spec import load_experiment

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(EXPERIMENT.format(scenario=ROOT / "scenarios" / "two_echelon.yaml"))
        exp = load_experiment(path)
        for label, kwargs in (
            ("serial", {"workers": 1}),
            ("pool of 2", {"workers": 2}),
            ("Dask local:2", {"cluster": "local:2"}),
        ):
            t0 = time.perf_counter()
            run_experiment(exp, Path(tmp) / label.replace(" ", "_"), **kwargs)  # type: ignore[arg-type]
            times[label] = time.perf_counter() - t0
    table = Table(title="experiment runner: 8 runs of two_echelon (30 days)", title_justify="left")
    for col in ("backend", "wall s", "speed-up vs serial", "vs pool"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for label, t in times.items():
        table.add_row(
            label, f"{t:.1f}", f"{times['serial'] / t:.2f}x", f"{t / times['pool of 2']:.2f}x"
        )
    return table


if __name__ == "__main__":
    main()
