"""Moving-average stocking in a run: each warehouse forecasts from the demand it observed.

A warehouse's ledger counts the units asked of it (customers' lines, transfer orders of the
warehouses it replenishes, siblings' transshipments). Every midnight, for the warehouses with
a `moving_average` SKU, from the most downstream up: the units asked since the previous
midnight join the SKU's window as one day, and on review days the order-up-to level is reset
and the warehouse orders. Downstream first, so an upstream warehouse's review sees the orders
placed below it at this same midnight, and its window counts them in the day just closed: the
demand between two reviews, as in the model of Chen, Drezner, Ryan & Simchi-Levi (2000,
Management Science 46(3)).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, NamedTuple

import simpy
from simpy.events import Timeout

from simchain.model.planning import Planner
from simchain.model.warehouses import Warehouse
from simchain.policies.stocking import Levels, MovingAverage
from simchain.timebase import HOURS_PER_DAY


class DemandWindow:
    """The last `window` days of observed demand, with running sums so that adding a day and
    reading the mean or standard deviation cost O(1). Days before the run count as `assumed`
    units each until observed days push them out."""

    __slots__ = ("assumed", "assumed_days", "days", "next", "squares", "total")

    def __init__(self, window: int, assumed: float):
        self.days = [0] * window
        self.next = 0  # the slot of the oldest day, overwritten by the next one
        self.assumed_days = window
        self.assumed = assumed
        self.total = 0  # sums over the observed days in the window (exact integers)
        self.squares = 0

    def add_day(self, units: int) -> None:
        if self.assumed_days:
            self.assumed_days -= 1
        else:
            old = self.days[self.next]
            self.total -= old
            self.squares -= old * old
        self.days[self.next] = units
        self.total += units
        self.squares += units * units
        self.next = (self.next + 1) % len(self.days)

    def mean(self) -> float:
        return (self.total + self.assumed_days * self.assumed) / len(self.days)

    def sd(self) -> float:
        """Sample standard deviation (n - 1); 0 for a one-day window."""
        n = len(self.days)
        if n < 2:
            return 0.0
        if not self.assumed_days:  # exact integer arithmetic once the window is all observed
            return math.sqrt((n * self.squares - self.total**2) / (n * (n - 1)))
        k, a = self.assumed_days, self.assumed
        total = self.total + k * a
        squares = self.squares + k * a * a
        return math.sqrt(max(squares - total * total / n, 0.0) / (n - 1))


class AveragedSku(NamedTuple):
    """One `moving_average` SKU of a warehouse: its policy, its window of observed days and
    the days of demand its level covers."""

    sku: int
    policy: MovingAverage
    window: DemandWindow
    cover: float


class MovingAverages:
    """The per-run state of every `moving_average` SKU: its window, cover and review days.
    Owns the windows; resets the warehouses' asked-today counters and, through the planner,
    their levels; calls a warehouse to review on its review days."""

    def __init__(self, env: simpy.Environment, warehouses: list[Warehouse], planner: Planner):
        self.env = env
        self.planner = planner

        def depth(wh: Warehouse) -> int:
            up = wh.node.upstream
            return 0 if up is None else 1 + depth(warehouses[up])

        # (warehouse, [(sku, policy, window, cover days)]), the most downstream first.
        self.stages: list[tuple[Warehouse, list[AveragedSku]]] = []
        for wh in sorted(warehouses, key=lambda w: (-depth(w), w.index)):
            mine = []
            for s, policy in enumerate(wh.policies):
                if isinstance(policy, MovingAverage):
                    window = DemandWindow(policy.window, policy.initial_demand_per_day)
                    cover = policy.cover_days(wh.node.lead_time[0])
                    mine.append(AveragedSku(s, policy, window, cover))
            if mine:
                self.stages.append((wh, mine))

    def __bool__(self) -> bool:
        return bool(self.stages)

    def set_levels(self) -> None:
        """Every SKU's order-up-to level from its window now (a change is logged)."""
        for wh, mine in self.stages:
            for s, policy, window, cover in mine:
                self._set(wh, s, policy.order_up_to(window.mean(), window.sd(), cover))

    def _set(self, wh: Warehouse, sku: int, level: int) -> None:
        rule = wh.rules[sku]
        assert isinstance(rule, Levels)
        self.planner.record(wh, sku, rule, level - 1, level)

    def midnights(self) -> Generator[simpy.Event, Any, None]:
        """Every midnight: close the day's demand, and review the SKUs whose review day it is."""
        env = self.env
        day = 0
        while True:
            yield Timeout(env, HOURS_PER_DAY)
            day += 1
            for wh, mine in self.stages:
                asked = wh.asked
                for s, policy, window, cover in mine:
                    window.add_day(asked[s])
                    asked[s] = 0
                    if day % policy.review_days:
                        continue
                    self._set(wh, s, policy.order_up_to(window.mean(), window.sd(), cover))
                    wh.review_and_log(s, scheduled=True)
