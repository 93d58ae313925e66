"""FIFO fluid lines: work flowing through a capacity whose rate changes over time.

A supplier's production line (closed during outages) and a region's couriers (more of them
in the peak) are both a line worked at a piecewise-constant rate. Work is booked when it is
handed over, in hand-over order, and its finish time computed at once: no event per unit and
no process per line.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence


class FluidLine:
    """Rate `rates[i]` (work per hour; 0 = closed, inf = instant) holds from `times[i]` until
    `times[i + 1]`, the last one forever; before `times[0]` the first rate holds. Owns only
    `free_at`, the end of the work booked so far (a supplier's production line, a dock's
    receivers)."""

    def __init__(self, times: Sequence[float], rates: Sequence[float]):
        if len(times) != len(rates) or not times:
            raise ValueError("one rate per change time, at least one")
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("change times must increase")
        if any(r < 0 or math.isnan(r) for r in rates):
            raise ValueError("rates must be >= 0")
        self.times = list(times)
        self.rates = list(rates)
        self.free_at = -math.inf

    @classmethod
    def constant(cls, rate: float) -> FluidLine:
        return cls([0.0], [rate])

    def rate_at(self, t: float) -> float:
        return self.rates[max(bisect_right(self.times, t) - 1, 0)]

    def finish(self, t: float, amount: float, book: bool = True) -> float:
        """When `amount` of work handed over at `t` is done, after the work booked before it;
        `book=False` only asks."""
        start = max(t, self.free_at)
        times, rates = self.times, self.rates
        i = max(bisect_right(times, start) - 1, 0)
        left = float(amount)
        while True:
            rate = rates[i]
            end = times[i + 1] if i + 1 < len(times) else math.inf
            if rate == math.inf and start < end:
                break
            if rate == 0 and end == math.inf:
                raise ValueError("the line closes for good before the work is done")
            if rate > 0:
                need = left / rate
                if start + need < end:  # work ending as the line closes waits for it
                    start += need
                    break
                left -= (end - start) * rate
            start = end
            i += 1
        if book:
            self.free_at = start
        return start

    def capacity(self, t0: float, t1: float) -> float:
        """Work the line can do over [t0, t1) (finite rates only)."""
        total = 0.0
        for i, rate in enumerate(self.rates):
            lo = self.times[i] if i else -math.inf
            hi = self.times[i + 1] if i + 1 < len(self.times) else math.inf
            a, b = max(lo, t0), min(hi, t1)
            if b > a:
                total += rate * (b - a)
        return total
