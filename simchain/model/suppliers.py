"""Suppliers: ship what they are asked for after a random lead time, within a daily capacity,
around outages, sometimes late, with some units defective.

Capacity is a FIFO fluid line: an order waits for earlier orders to be worked through at
`capacity_per_day`, then takes its lead time to arrive. Outages (calendar days and random
ones) stop the line: an order placed during one is dispatched when it ends, and production
pauses through it. When it accepts an order the supplier confirms a date, dispatch + lead
time; a late order (probability `late_share`) arrives `delay` after that date. Defective
units are found and rejected on receipt.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from simchain.model.lines import FluidLine
from simchain.scenario.distributions import UNIT_UNIFORM
from simchain.scenario.schema import Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY, date_to_clock


def renewal_spans(
    up: Callable[[], float], down: Callable[[], float], horizon: float
) -> list[tuple[float, float]]:
    """[begin, end) clock intervals of random outages starting before the horizon: an up-time
    from the start of the run, then outage and up-time in turn (RandomOutages)."""
    spans = []
    t = up()
    while t < horizon:
        d = down()
        spans.append((t, t + d))
        t += d + up()
    return spans


def outage_intervals(
    scenario: Scenario, name: str, streams: Streams, horizon: float
) -> list[tuple[float, float]]:
    """The supplier's outages as merged, sorted [begin, end) clock intervals."""
    spec = scenario.suppliers[name]
    start = scenario.calendar.start
    spans = [
        (date_to_clock(start, o.start), date_to_clock(start, o.end) + HOURS_PER_DAY)
        for o in spec.outages
    ]
    if spec.random_outages is not None:
        up = streams.sampler(f"outages/{name}/up", spec.random_outages.every)
        down = streams.sampler(f"outages/{name}/duration", spec.random_outages.duration)
        spans += renewal_spans(up, down, horizon)
    merged: list[tuple[float, float]] = []
    for b, e in sorted(s for s in spans if s[1] > s[0]):
        if merged and b <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((b, e))
    return merged


class Supplier:
    def __init__(self, index: int, name: str, scenario: Scenario, streams: Streams):
        spec = scenario.suppliers[name]
        self.index = index
        self.name = name
        self.capacity_per_hour = (
            spec.capacity_per_day / HOURS_PER_DAY if spec.capacity_per_day else None
        )
        self.lead_time = streams.sampler(f"lead_time/{name}", spec.lead_time)
        self.min_order_quantity = spec.min_order_quantity
        rel = spec.reliability
        self.late_share = rel.late_share if rel is not None else 0.0
        self.expected_delay = 0.0
        if rel is not None and rel.late_share > 0:
            self.late_draw = streams.sampler(f"reliability/{name}/late", UNIT_UNIFORM)
            self.delay = streams.sampler(f"reliability/{name}/delay", rel.delay)
            self.expected_delay = rel.late_share * rel.delay.mean_value()
        self.mean_lead_time = spec.lead_time.mean_value()
        self.defect_share = spec.defect_share
        self.defects = streams.rng(f"quality/{name}")
        outages = outage_intervals(scenario, name, streams, scenario.calendar.horizon)
        self.outages = outages
        base = self.capacity_per_hour or math.inf
        times, rates = [-math.inf], [base]
        for begin, end in outages:
            times += [begin, end]
            rates += [0.0, base]
        self.line = FluidLine(times, rates)
        self._open: set[int] = set()
        self._due_heap: list[tuple[float, int]] = []
        self.stretched = [  # (begin, end, factor): disruptions stretching the lead time
            (
                date_to_clock(scenario.calendar.start, d.window[0]),
                date_to_clock(scenario.calendar.start, d.window[1]) + HOURS_PER_DAY,
                d.lead_time_factor,
            )
            for d in scenario.disruptions.values()
            if d.lead_time_factor != 1 and name in d.nodes
        ]

    def lead_time_factor(self, now: float) -> float:
        """The lead-time multiplier for an order placed now (1 outside disruptions)."""
        return math.prod(f for b, e, f in self.stretched if b <= now < e)

    def down(self, now: float) -> bool:
        """In an outage now."""
        return self.line.rate_at(now) == 0

    def expected_arrival(self, now: float, quantity: int) -> float:
        """When an order placed now would arrive, on average (nothing is booked)."""
        dispatch = self.line.finish(now, quantity, book=False)
        return dispatch + self.mean_lead_time * self.lead_time_factor(now) + self.expected_delay

    # --- orders --------------------------------------------------------------------------

    def place(self, rid: int, now: float, quantity: int) -> tuple[float, float, float]:
        """Book an order: (dispatch time, confirmed date, arrival time)."""
        dispatch = self.line.finish(now, quantity)
        due = dispatch + self.lead_time() * self.lead_time_factor(now)
        arrival = due
        if self.late_share and self.late_draw() < self.late_share:
            arrival += self.delay()
        self._open.add(rid)
        heapq.heappush(self._due_heap, (due, rid))
        return dispatch, due, arrival

    def late(self, now: float) -> bool:
        """Whether an open order is past its confirmed date."""
        heap = self._due_heap
        while heap and heap[0][1] not in self._open:
            heapq.heappop(heap)
        return bool(heap) and heap[0][0] < now

    def receive(self, rid: int, quantity: int) -> int:
        """An order arrives; returns how many of its units are rejected as defective."""
        self._open.discard(rid)
        if not self.defect_share:
            return 0
        return int(self.defects.binomial(quantity, self.defect_share))
