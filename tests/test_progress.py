"""The progress of long runs: a callback per simulated day that leaves the run unchanged, and
a bar on terminals only (never in pipes or logs, never with --quiet)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd

from simchain import load_scenario, simulate

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "classroom_single_dc.yaml"


def test_progress_is_called_each_day_and_changes_nothing() -> None:
    sc = load_scenario(SCENARIO, days=20)
    calls: list[tuple[float, int]] = []
    watched = simulate(sc, seed=4, progress=lambda now, n: calls.append((now, n)))
    plain = simulate(sc, seed=4)
    assert watched.kpis == plain.kpis
    times = [t for t, _ in calls]
    assert times == [24.0 * d for d in range(1, 20)] + [sc.calendar.horizon]
    created = watched.tables["orders"]["created"]
    start = pd.Timestamp(sc.calendar.start)
    for t, n in calls:  # the orders placed so far, not the day's batch already drawn
        assert n == int((created < start + pd.Timedelta(hours=t)).sum()), t
    assert calls[-1][1] == watched.stats["orders_simulated"] == len(created)


def _on_terminal(tmp: Path, *args: str) -> str:
    """Run `simchain ARGS` with its output on a pseudo-terminal; everything it printed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simchain.cli", *args],
        cwd=tmp,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.wait(timeout=120) == 0, text
    return text


def test_bar_on_a_terminal_only(tmp_path: Path) -> None:
    args = ("run", str(SCENARIO), "--days", "30", "--no-report")
    shown = _on_terminal(tmp_path, *args, "--out", "a")
    assert "simulating" in shown and "orders/s" in shown
    assert "2026-" in shown.split("simulating", 1)[1]  # the simulated date
    quiet = _on_terminal(tmp_path, *args, "--out", "b", "--quiet")
    assert quiet.strip() == ""
    piped = subprocess.run(
        [sys.executable, "-m", "simchain.cli", *args, "--out", "c"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0
    assert "simulating" not in piped.stdout + piped.stderr
    assert "orders simulated" in piped.stdout  # the summary line still comes
