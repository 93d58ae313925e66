"""A run's progress on a terminal: the simulated date, orders so far and orders per second.

Shown only when the output is a terminal (and not `--quiet`): logs and pipes stay clean.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from simchain.scenario.schema import Scenario
from simchain.timebase import clock_to_datetime


class RunProgress:
    """A bar over the simulated horizon; `advance` is the `progress` callback of `simulate`,
    `phase` names the work after the simulation (tables, files, report)."""

    def __init__(self, sc: Scenario, console: Console, show: bool) -> None:
        self.sc = sc
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[clock]}"),
            TextColumn("{task.fields[orders]:>10,} orders"),
            TextColumn("{task.fields[rate]:>8,.0f} orders/s"),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
            transient=True,
        )
        self.task: TaskID = self.bar.add_task(
            "simulating", total=sc.calendar.horizon, clock="", orders=0, rate=0.0
        )
        self.started = time.perf_counter()

    def advance(self, now_h: float, orders: int) -> None:
        elapsed = time.perf_counter() - self.started
        when = clock_to_datetime(self.sc.calendar.start, now_h)
        self.bar.update(
            self.task,
            completed=now_h,
            clock=f"{when:%Y-%m-%d %H:%M}",
            orders=orders,
            rate=orders / elapsed if elapsed > 0 else 0.0,
        )
        if now_h >= self.sc.calendar.horizon:
            self.phase("building tables and KPIs")

    def phase(self, description: str) -> None:
        self.bar.update(self.task, description=description)

    def __enter__(self) -> RunProgress:
        self.bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.bar.stop()
