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
from dataclasses import dataclass

import numpy as np

from simchain.model.lines import FluidLine
from simchain.scenario.distributions import UNIT_UNIFORM, Sampler
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


@dataclass(frozen=True, slots=True)
class SupplierNode:
    """A supplier's terms as the run sees them: samplers, rates and dated outages."""

    index: int
    name: str
    capacity_per_hour: float | None  # None: unlimited
    lead_time: Sampler
    mean_lead_time: float
    min_order_quantity: int
    late_share: float
    late_draw: Sampler | None  # uniform draws, late below `late_share`
    delay: Sampler | None  # how late a late order is
    expected_delay: float  # late share x mean delay
    defect_share: float
    defects: np.random.Generator
    outages: list[tuple[float, float]]  # merged [begin, end) clock intervals
    stretched: list[tuple[float, float, float]]  # (begin, end, lead-time factor)


def supplier_node(index: int, name: str, scenario: Scenario, streams: Streams) -> SupplierNode:
    """A supplier's node: its terms, its random sources and its outages drawn for the run."""
    spec = scenario.suppliers[name]
    rel = spec.reliability
    late = rel is not None and rel.late_share > 0
    start = scenario.calendar.start
    return SupplierNode(
        index=index,
        name=name,
        capacity_per_hour=spec.capacity_per_day / HOURS_PER_DAY if spec.capacity_per_day else None,
        lead_time=streams.sampler(f"lead_time/{name}", spec.lead_time),
        mean_lead_time=spec.lead_time.mean_value(),
        min_order_quantity=spec.min_order_quantity,
        late_share=rel.late_share if rel is not None else 0.0,
        late_draw=streams.sampler(f"reliability/{name}/late", UNIT_UNIFORM) if late else None,
        delay=streams.sampler(f"reliability/{name}/delay", rel.delay) if rel and late else None,
        expected_delay=rel.late_share * rel.delay.mean_value() if rel and late else 0.0,
        defect_share=spec.defect_share,
        defects=streams.rng(f"quality/{name}"),
        outages=outage_intervals(scenario, name, streams, scenario.calendar.horizon),
        stretched=[
            (
                date_to_clock(start, d.window[0]),
                date_to_clock(start, d.window[1]) + HOURS_PER_DAY,
                d.lead_time_factor,
            )
            for d in scenario.disruptions.values()
            if d.lead_time_factor != 1 and name in d.nodes
        ],
    )


class Supplier:
    """A supplier during a run. Owns its production line's bookings and its open orders;
    changes nothing else and calls no one: the replenishment actor asks it for dates and
    tells it what arrived."""

    def __init__(self, node: SupplierNode):
        self.node = node
        self.index = node.index
        self.name = node.name
        self.min_order_quantity = node.min_order_quantity
        base = node.capacity_per_hour or math.inf
        times, rates = [-math.inf], [base]
        for begin, end in node.outages:
            times += [begin, end]
            rates += [0.0, base]
        self.line = FluidLine(times, rates)
        self._open: set[int] = set()
        self._due_heap: list[tuple[float, int]] = []

    def lead_time_factor(self, now: float) -> float:
        """The lead-time multiplier for an order placed now (1 outside disruptions)."""
        return math.prod(f for b, e, f in self.node.stretched if b <= now < e)

    def down(self, now: float) -> bool:
        """In an outage now."""
        return self.line.rate_at(now) == 0

    def expected_arrival(self, now: float, quantity: int) -> float:
        """When an order placed now would arrive, on average (nothing is booked)."""
        dispatch = self.line.finish(now, quantity, book=False)
        node = self.node
        return dispatch + node.mean_lead_time * self.lead_time_factor(now) + node.expected_delay

    # --- orders --------------------------------------------------------------------------

    def place(self, rid: int, now: float, quantity: int) -> tuple[float, float, float]:
        """Book an order: (dispatch time, confirmed date, arrival time)."""
        node = self.node
        dispatch = self.line.finish(now, quantity)
        due = dispatch + node.lead_time() * self.lead_time_factor(now)
        arrival = due
        late, delay = node.late_draw, node.delay
        if late is not None and delay is not None and late() < node.late_share:
            arrival += delay()
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
        if not self.node.defect_share:
            return 0
        return int(self.node.defects.binomial(quantity, self.node.defect_share))
