"""Customer demand: when orders arrive and what they hold, generated in bulk with NumPy.

A region's arrivals are a Poisson process whose rate is piecewise constant: per hour, and
within the first hour of an event day per declared sub-interval (minutes). Within a segment
the count is Poisson(expected) and the times are uniform, which is exact for such a rate. The
expected orders of a day are

    orders_per_day x weekday_shape[weekday] x product of the multipliers of active events
                   x product of the demand_factor of disruptions covering the day,

spread over the day by the hourly shape of the active event that starts last (else the
region's own). A disruption's demand shock scales the day's rate before any count is drawn,
so arrivals stay an exact Poisson process; the forecast builds its profile without shocks
(nobody foresaw them). Pre-sale orders of an event are split off (Poisson splitting) and drawn up
front from their own stream, so their deposits can be known before the wave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from simchain.scenario.schema import Event, Scenario
from simchain.timebase import HOURS_PER_DAY, date_to_clock


@dataclass(frozen=True)
class Segments:
    """A day's rate: segment starts and widths (hours from the day start), expected orders."""

    starts: np.ndarray
    widths: np.ndarray
    expected: np.ndarray


@dataclass(frozen=True)
class Orders:
    """Orders in arrival order: times (clock hours), lines per order, SKU and units per line,
    and for pre-sale orders the event index and deposit time (else -1 and NaN)."""

    times: np.ndarray
    n_lines: np.ndarray
    skus: np.ndarray
    units: np.ndarray
    event: np.ndarray
    deposit: np.ndarray


def _normalise(values: list[float] | None, n: int) -> np.ndarray:
    a = np.ones(n) if values is None else np.asarray(values, dtype=float)
    return a / a.sum()


class DemandProfile:
    """The expected orders of one region over the calendar."""

    def __init__(self, scenario: Scenario, region: str, shocks: bool = True):
        """`shocks=False`: the demand that could be foreseen, without disruptions' shocks."""
        demand = scenario.regions[region].demand
        self.region = region
        self.scenario = scenario
        self.shocks = shocks and any(
            region in d.nodes and d.demand_factor != 1 for d in scenario.disruptions.values()
        )
        self.start = scenario.calendar.start
        self.base = demand.orders_per_day
        week = np.ones(7) if demand.weekday_shape is None else np.asarray(demand.weekday_shape)
        self.weekday = week / week.mean()
        self.hourly = _normalise(demand.hourly_shape, 24)
        self.events: list[tuple[int, Event]] = [
            (i, ev)
            for i, ev in enumerate(scenario.events.values())
            if ev.regions is None or region in ev.regions
        ]

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def active(self, day: int) -> list[tuple[int, Event]]:
        d = self.date(day)
        return [(i, ev) for i, ev in self.events if ev.start <= d <= ev.last]

    def expected_orders(self, day: int) -> float:
        """Expected orders on a day (all of them, pre-sale included)."""
        mult = self.base * self.weekday[self.date(day).weekday()]
        for _, ev in self.active(day):
            mult *= ev.multiplier
        if self.shocks:
            mult *= self.scenario.demand_factor(self.region, self.date(day))
        return float(mult)

    def presale(self, day: int) -> tuple[int, Event] | None:
        """The active event whose pre-sale covers this day, if any."""
        for i, ev in self.active(day):
            if ev.presale is not None and ev.presale.share > 0:
                return i, ev
        return None

    def segments(self, day: int) -> Segments:
        """The day's piecewise-constant rate."""
        total = self.expected_orders(day)
        shaper = None
        for _, ev in self.active(day):
            if (ev.hourly_shape or ev.first_hour_shape) and (
                shaper is None or ev.start >= shaper.start
            ):
                shaper = ev
        hourly = self.hourly
        if shaper is not None and shaper.hourly_shape is not None:
            hourly = _normalise(shaper.hourly_shape, 24)
        starts = np.arange(24, dtype=float)
        widths = np.ones(24)
        expected = total * hourly
        if shaper is not None and shaper.first_hour_shape is not None:
            split = _normalise(shaper.first_hour_shape, len(shaper.first_hour_shape))
            k = len(split)
            starts = np.concatenate([np.arange(k) / k, starts[1:]])
            widths = np.concatenate([np.full(k, 1.0 / k), widths[1:]])
            expected = np.concatenate([expected[0] * split, expected[1:]])
        return Segments(starts, widths, expected)

    def cumulative(self, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Breakpoints (clock hours) and expected orders up to each, over `days` days: linear
        interpolation between breakpoints is exact, since the rate is constant within."""
        times = [np.zeros(1)]
        amounts = [np.zeros(1)]
        for d in range(days):
            seg = self.segments(d)
            times.append(d * HOURS_PER_DAY + seg.starts + seg.widths)
            amounts.append(seg.expected)
        return np.concatenate(times), np.cumsum(np.concatenate(amounts))

    def expected_by_hour(self, days: int) -> np.ndarray:
        """Expected orders in each clock hour of the first `days` days."""
        out = np.empty(days * 24)
        for d in range(days):
            seg = self.segments(d)
            hours = np.floor(seg.starts).astype(int)
            out[d * 24 : (d + 1) * 24] = np.bincount(hours, weights=seg.expected, minlength=24)
        return out


class RegionDemand:
    """The orders of one region, day by day, from its own random streams."""

    def __init__(
        self,
        scenario: Scenario,
        region: str,
        rng: np.random.Generator,
        presale_rng: np.random.Generator,
    ):
        self.scenario = scenario
        self.demand = scenario.regions[region].demand
        self.profile = DemandProfile(scenario, region)
        self.rng = rng
        sku_ids = list(scenario.skus)
        weights = self.demand.sku_weights
        popularity = scenario.popularity()
        if weights is None:
            w = np.array([popularity[s] for s in sku_ids], dtype=float)
        else:
            w = np.array([weights.get(s, 0.0) for s in sku_ids], dtype=float)
        self.sku_p = w / w.sum()
        self.horizon = scenario.calendar.horizon
        self._presale = self._draw_presale(presale_rng)

    def _arrivals(
        self, rng: np.random.Generator, day: int, scale: float, until: float
    ) -> np.ndarray:
        """Sorted arrival times of one day with the rate scaled by `scale`, before `until`."""
        seg = self.profile.segments(day)
        day_start = day * HOURS_PER_DAY
        counts = rng.poisson(seg.expected * scale)
        n = int(counts.sum())
        times = (
            day_start
            + np.repeat(seg.starts, counts)
            + rng.random(n) * np.repeat(seg.widths, counts)
        )
        times.sort()
        return times[times < until]

    def _baskets(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
        n_lines = self.demand.lines_per_order.sample(rng, n).astype(np.int64)
        total = int(n_lines.sum())
        skus = rng.choice(len(self.sku_p), size=total, p=self.sku_p)
        units = self.demand.units_per_line.sample(rng, total).astype(np.int64)
        return n_lines, skus, units

    def _draw_presale(self, rng: np.random.Generator) -> dict[int, Orders]:
        """Every pre-sale order of the horizon, by day, with its deposit time."""
        out: dict[int, Orders] = {}
        days = int(np.ceil(self.horizon / HOURS_PER_DAY))
        for day in range(days):
            found = self.profile.presale(day)
            if found is None:
                continue
            index, ev = found
            assert ev.presale is not None
            times = self._arrivals(rng, day, ev.presale.share, self.horizon)
            n = len(times)
            n_lines, skus, units = self._baskets(rng, n)
            opens = date_to_clock(self.profile.start, ev.presale.deposits_open)
            closes = date_to_clock(self.profile.start, ev.start)
            deposit = np.sort(opens + rng.random(n) * (closes - opens))
            out[day] = Orders(times, n_lines, skus, units, np.full(n, index), deposit)
        return out

    def presale_orders(self) -> list[Orders]:
        return list(self._presale.values())

    def day(self, day: int) -> Orders:
        """The region's orders arriving on day `day` (clock hours), pre-sale ones included."""
        found = self.profile.presale(day)
        share = found[1].presale.share if found is not None and found[1].presale else 0.0
        times = self._arrivals(self.rng, day, 1.0 - share, self.horizon)
        n = len(times)
        n_lines, skus, units = self._baskets(self.rng, n)
        regular = Orders(times, n_lines, skus, units, np.full(n, -1), np.full(n, np.nan))
        pre = self._presale.get(day)
        return regular if pre is None else merge([regular, pre])[0]


def merge(parts: list[Orders]) -> tuple[Orders, np.ndarray]:
    """Merge several order sets into arrival order; also return each order's part index."""
    times = np.concatenate([p.times for p in parts])
    part = np.concatenate([np.full(len(p.times), i, dtype=np.int64) for i, p in enumerate(parts)])
    n_lines = np.concatenate([p.n_lines for p in parts])
    skus = np.concatenate([p.skus for p in parts])
    units = np.concatenate([p.units for p in parts])
    order = np.argsort(times, kind="stable")
    starts = np.cumsum(n_lines) - n_lines
    nl = n_lines[order]
    within = np.arange(int(nl.sum())) - np.repeat(np.cumsum(nl) - nl, nl)
    line_idx = np.repeat(starts[order], nl) + within
    merged = Orders(
        times[order],
        nl,
        skus[line_idx],
        units[line_idx],
        np.concatenate([p.event for p in parts])[order],
        np.concatenate([p.deposit for p in parts])[order],
    )
    return merged, part[order]
