"""`python -m benchmarks.classroom`: how long a trainer waits for each classroom demo.

Times `simchain demo NAME --no-report` and `simchain demo NAME` (with its report.html) for
every demo `simchain demo` lists, each in a fresh process (imports included, as a trainer
runs it), median of N runs, and prints them against the targets: 1.5 s without the report,
3 s with it. The output goes to a pipe, not a terminal (no progress bar). Targets live here,
never in unit tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simchain.classroom import DEMOS

#: Wall seconds a demo may take: without its report, and with it.
TARGETS = {"no report": 1.5, "with report": 3.0}


def command() -> list[str]:
    """The `simchain` command of this interpreter's environment."""
    script = Path(sys.executable).parent / "simchain"
    return [str(script)] if script.exists() else [sys.executable, "-m", "simchain.cli"]


def wall(args: list[str]) -> float:
    """Wall seconds of one run of `args` in a fresh process; a failed run stops the bench."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return took


def time_demo(name: str, repeats: int, out: Path) -> dict[str, float]:
    """Median wall seconds of the demo without and with its report (the runs alternate, so
    that a change in the machine's load weighs on both alike)."""
    base = [*command(), "demo", name, "--out", str(out / name)]
    runs: dict[str, list[float]] = {kind: [] for kind in TARGETS}
    for _ in range(repeats):
        runs["no report"].append(wall([*base, "--no-report"]))
        runs["with report"].append(wall(base))
    return {kind: statistics.median(times) for kind, times in runs.items()}


def table(results: dict[str, dict[str, float]], repeats: int) -> Table:
    t = Table(
        title=f"classroom demos: wall seconds, median of {repeats} fresh runs "
        f"({os.cpu_count()} cores)",
        title_justify="left",
    )
    t.add_column("demo")
    for kind, target in TARGETS.items():
        t.add_column(f"{kind} (s)", justify="right")
        t.add_column(f"target {target:g} s", justify="center")
    for name, times in results.items():
        cells = []
        for kind, target in TARGETS.items():
            met = times[kind] <= target
            cells += [f"{times[kind]:.2f}", "[green]met[/]" if met else "[red]missed[/]"]
        t.add_row(name, *cells)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("demos", nargs="*", default=list(DEMOS), help="demos (default: all)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    args = ap.parse_args()
    unknown = [d for d in args.demos if d not in DEMOS]
    if unknown:
        ap.error(f"unknown demo(s) {', '.join(unknown)}; the demos are: {', '.join(DEMOS)}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: time_demo(name, args.repeats, Path(tmp)) for name in args.demos}
    console = Console(width=110)
    console.print(table(results, args.repeats))
    start = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(args.repeats))
    console.print(f"(every run includes the interpreter's start-up: {start:.2f} s here)")


if __name__ == "__main__":
    main()
