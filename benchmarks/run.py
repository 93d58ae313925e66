"""`make bench`: speed and memory of the bundled scenarios, a peer simulator, the classroom
demos and the experiment runner.

Per scenario, each in a fresh process (so its peak memory is its own): orders generated per
second (demand generation alone, no SimPy), orders simulated per second (the SimPy run),
whole-run orders per second (simulation + tables + KPIs: what `simulate()` costs), SimPy
events per order, the process's peak resident memory, recorded bytes per order in memory and
bytes per order of the written run folder (parquet). Best of N repeats for the speeds. Then
simchain against SupplyNetPy on one equal network (`benchmarks.peers`, when installed), the
classroom demos against their targets (`benchmarks.classroom`) and the experiment runner's
backends. Targets live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simchain import load_scenario, simulate
from simchain.demand import RegionDemand
from simchain.model import compiled
from simchain.output import write_run
from simchain.scenario.schema import Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"classroom_single_dc": 3, "two_echelon": 2, "double11": 1}
#: Whole-run orders per second the full Double-11 season should reach (2-core machine).
DOUBLE11_TARGET = 50_000
#: Peak resident memory the full Double-11 run should stay under.
MEMORY_TARGET_MB = 1024


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
    """One scenario in this process: speeds (best of the repeats), events per order, sizes
    and this process's peak memory."""
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    best_sim = best_whole = 0.0
    result = None
    for rep in range(repeats):
        result = None  # the previous run's tables are freed before the next run
        t0 = time.perf_counter()
        result = simulate(sc, seed=rep)
        whole = time.perf_counter() - t0
        n = result.stats["orders_simulated"]
        best_sim = max(best_sim, result.stats["orders_per_s"])
        best_whole = max(best_whole, n / whole)
    assert result is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_run(result, Path(tmp) / "run", command=["bench"])
        on_disk = sum(p.stat().st_size for p in folder.iterdir())
    n = result.stats["orders_simulated"]
    return {
        "orders": n,
        "generated_orders_per_s": generation_rate(sc),
        "sim_orders_per_s": best_sim,
        "whole_orders_per_s": best_whole,
        "events_per_order": result.stats["events"] / n,
        "peak_mb": peak_mb,
        "memory_bytes_per_order": result.stats["recorded_bytes_per_order"],
        "disk_bytes_per_order": on_disk / n,
    }


def bench_apart(name: str, repeats: int) -> dict[str, float]:
    """`bench` in a fresh process, so that the peak memory is this scenario's alone."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--measure", name, "--repeats", str(repeats)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def scenario_table(names: list[str], repeats: int | None) -> Table:
    build = "compiled model" if compiled() else "model from sources"
    table = Table(
        title=f"simchain benchmark ({build}; speeds best of the repeats, each scenario in a "
        "fresh process)",
        title_justify="left",
    )
    columns = (
        "scenario",
        "orders",
        "generated orders/s",
        "simulated orders/s",
        "whole run orders/s",
        "events/order",
        "peak memory MB",
        "recorded B/order (memory)",
        "result B/order (parquet)",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "scenario" else "right", no_wrap=True)
    for name in names:
        r = bench_apart(name, repeats or SCENARIOS.get(name, 1))
        table.add_row(
            name,
            f"{r['orders']:,.0f}",
            f"{r['generated_orders_per_s']:,.0f}",
            f"{r['sim_orders_per_s']:,.0f}",
            f"{r['whole_orders_per_s']:,.0f}",
            f"{r['events_per_order']:.2f}",
            f"{r['peak_mb']:,.0f}",
            f"{r['memory_bytes_per_order']:,.0f}",
            f"{r['disk_bytes_per_order']:,.0f}",
        )
        if name == "double11":
            table.caption = (
                f"double11 targets: whole run >= {DOUBLE11_TARGET:,} orders/s "
                f"({'met' if r['whole_orders_per_s'] >= DOUBLE11_TARGET else 'not met'}), "
                f"peak memory <= {MEMORY_TARGET_MB:,} MB "
                f"({'met' if r['peak_mb'] <= MEMORY_TARGET_MB else 'not met'})"
            )
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, help="repeats per scenario (default: 3, 2, 1)")
    ap.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--measure", metavar="NAME", help=argparse.SUPPRESS)  # one, as JSON
    ap.add_argument("--no-experiment", action="store_true", help="skip the runner benchmark")
    ap.add_argument("--no-peers", action="store_true", help="skip the peer benchmark")
    ap.add_argument("--no-classroom", action="store_true", help="skip the classroom demos")
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(bench(args.measure, args.repeats or 1)))
        return
    console = Console(width=150)
    console.print(scenario_table(args.scenarios, args.repeats))
    if not args.no_peers:
        from benchmarks import peers

        peers.main([])
    if not args.no_classroom:  # its own process: it reads its own command line
        subprocess.run([sys.executable, "-m", "benchmarks.classroom"], cwd=ROOT, check=True)
    if not args.no_experiment:
        console.print(experiment_bench())


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
