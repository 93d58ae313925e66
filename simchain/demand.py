"""Customer demand: order arrival times and baskets, generated in bulk with NumPy.

Arrivals are a Poisson process whose rate is piecewise constant per hour; within an hour the
count is Poisson(rate x 1 h) and the times are uniform, which is exact for such a rate. A
day's arrivals and baskets are drawn in a handful of NumPy calls, then fed to SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simchain.scenario.schema import Region, Scenario
from simchain.timebase import HOURS_PER_DAY


@dataclass(frozen=True)
class DayOfOrders:
    """A day of a region's orders: times (clock hours), lines per order, SKU and units per line."""

    times: np.ndarray
    n_lines: np.ndarray
    skus: np.ndarray
    units: np.ndarray


class RegionDemand:
    """The demand of one region, day by day, from its own random stream."""

    def __init__(self, scenario: Scenario, region: Region, rng: np.random.Generator):
        self.region = region
        self.rng = rng
        sku_ids = list(scenario.skus)
        weights = region.demand.sku_weights
        if weights is None:
            w = np.array([scenario.skus[s].popularity for s in sku_ids], dtype=float)
        else:
            w = np.array([weights.get(s, 0.0) for s in sku_ids], dtype=float)
        self.sku_p = w / w.sum()

    def hourly_rates(self, day_start: float) -> np.ndarray:
        """Expected orders in each of the 24 hours starting at `day_start` (clock hours)."""
        per_hour = self.region.demand.orders_per_day / HOURS_PER_DAY
        return np.full(24, per_hour)

    def day(self, day_start: float, until: float) -> DayOfOrders:
        """Orders arriving in [day_start, min(day_start + 24 h, until))."""
        rng = self.rng
        rates = self.hourly_rates(day_start)
        span = min(HOURS_PER_DAY, until - day_start)
        hours = int(np.ceil(span))
        rates = rates[:hours].copy()
        if span < hours:  # a partial last hour
            rates[-1] *= span - (hours - 1)
        counts = rng.poisson(rates)
        n = int(counts.sum())
        starts = np.repeat(np.arange(hours, dtype=float), counts)
        widths = np.repeat(np.minimum(1.0, span - np.arange(hours, dtype=float)), counts)
        times = np.sort(day_start + starts + rng.random(n) * widths)
        n_lines = self.region.demand.lines_per_order.sample(rng, n).astype(np.int64)
        total = int(n_lines.sum())
        skus = rng.choice(len(self.sku_p), size=total, p=self.sku_p)
        units = self.region.demand.units_per_line.sample(rng, total).astype(np.int64)
        return DayOfOrders(times, n_lines, skus, units)
