"""What carriers book: lane disruptions (`LaneGate`), scheduled departures and their trucks
(`Schedule`, `Truck`), and a region's couriers (`Couriers`).

The last mile: a region's couriers deliver at most so many parcels a day. Capacity is booked
when a parcel is handed to the carrier, for the day the parcel reaches the region (shipped +
lane transit): on that day if a delivery slot is left, else on the first later day with one.
A parcel pushed to a later day is delivered at its place in that day's queue (the day's
deliveries spread evenly over 24 h). No event per parcel beyond its delivery.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simchain.scenario.schema import Departures, Disruption
from simchain.timebase import HOURS_PER_DAY, date_to_clock


class LaneGate:
    """A lane's disruptions: when a shipment handed over now can leave (closures hold it until
    the lane reopens), and the transit-time factor for a trip leaving at a time. Pure: built
    once from the dated disruptions, asked by transport."""

    def __init__(self, disruptions: Sequence[Disruption], start: dt.date):
        def span(d: Disruption) -> tuple[float, float]:
            first, last = d.window
            return date_to_clock(start, first), date_to_clock(start, last) + HOURS_PER_DAY

        closed = sorted(span(d) for d in disruptions if d.lanes_closed)
        self.closed: list[tuple[float, float]] = []
        for b, e in closed:
            if self.closed and b <= self.closed[-1][1]:
                self.closed[-1] = (self.closed[-1][0], max(self.closed[-1][1], e))
            else:
                self.closed.append((b, e))
        self.slow = [(*span(d), d.transit_factor) for d in disruptions if d.transit_factor != 1]

    def departure(self, now: float) -> float:
        for b, e in self.closed:
            if b <= now < e:
                return e
        return now

    def transit_factor(self, t: float) -> float:
        return math.prod(f for b, e, f in self.slow if b <= t < e)


class Couriers:
    """A region's last-mile capacity during a run: owns the deliveries booked per day;
    `delivery_time` books one and says when it happens. Calls no one (transport asks)."""

    def __init__(self, capacity_on: Callable[[dt.date], float], start: dt.date):
        self.capacity_on = capacity_on
        self.start = start
        self.capacity: list[float] = []  # by day from the start, extended as needed
        self.used: list[int] = []
        self.full_before = 0  # every day before this one is fully booked

    def _day(self, d: int) -> None:
        while len(self.capacity) <= d:
            day = self.start + dt.timedelta(days=len(self.capacity))
            self.capacity.append(self.capacity_on(day))
            self.used.append(0)

    def delivery_time(self, arrival: float) -> float:
        """Book a delivery for a parcel reaching the region at `arrival` (clock hours)."""
        first = int(arrival // HOURS_PER_DAY)
        d = max(first, self.full_before)
        self._day(d)
        while self.used[d] >= self.capacity[d]:
            d += 1
            self._day(d)
        if first <= self.full_before:
            self.full_before = d
        slot = self.used[d]
        self.used[d] += 1
        if d == first:
            return arrival
        return (d + slot / self.capacity[d]) * HOURS_PER_DAY


@dataclass(slots=True)
class Truck:
    """A scheduled departure that carries something: one transit for everything aboard, so
    all its loads arrive together, handed over by one event at `arrival`."""

    departure: float  # when it leaves: the timetable time, or the reopening of a closed lane
    arrival: float
    units: int = 0
    loads: list[tuple[Callable[[Any], None], Any]] = field(default_factory=list)
    shipments: int = 0  # loads booked aboard, including those handed over on their own
    unloaded: bool = False


class Schedule:
    """A lane's scheduled departures with room per departure (whole units), booked in
    hand-over order: a shipment takes the first departures at or after it is ready that have
    room; a large one is split over several. Owns the timetable, the room left and the
    loaded trucks; transport books it and schedules the trucks' arrivals.

    With a `transit` sampler every departure of the timetable takes one draw, in departure
    order, as the timetable is built: the k-th departure always gets the k-th draw of the
    lane's stream, whatever was booked before it (common random numbers across policies)."""

    def __init__(
        self, spec: Departures, start: dt.date, transit: Callable[[], float] | None = None
    ):
        self.spec = spec
        self.start = start
        self.transit = transit
        self.times: list[float] = []  # departure clock times, built a day at a time
        self.capacity: list[float] = []
        self.room: list[float] = []
        self.transits: list[float] = []  # one draw per departure (with a sampler)
        self.trucks: dict[int, Truck] = {}  # by departure index, once loaded
        self.days = 0
        self.first_with_room = 0

    def _build_until(self, t: float) -> None:
        while not self.times or self.times[-1] < t:
            times, capacity = self.spec.on(self.start + dt.timedelta(days=self.days))
            for hour in times:
                self.times.append(self.days * HOURS_PER_DAY + hour)
                self.capacity.append(capacity)
                self.room.append(capacity)
                if self.transit is not None:
                    self.transits.append(self.transit())
            self.days += 1

    def _first_at(self, ready: float) -> int:
        """The first departure at or after `ready` that may have room."""
        self._build_until(ready)
        return max(bisect_left(self.times, ready), self.first_with_room)

    def book(self, ready: float, amount: int) -> list[tuple[float, int]]:
        """Book `amount` for a shipment ready at `ready`: (departure time, units) per truck it
        takes, in order."""
        return [(self.times[i], units) for i, units in self.take(ready, amount)]

    def take(self, ready: float, amount: int) -> list[tuple[int, int]]:
        """Book `amount` for a shipment ready at `ready`: (departure index, units) per truck
        it takes, in order."""
        i = self._first_at(ready)
        left = amount
        parts: list[tuple[int, int]] = []
        while left > 0:
            while i >= len(self.times):
                self._build_until(self.times[-1] + HOURS_PER_DAY)
            take = int(min(self.room[i], left))
            if take > 0:
                self.room[i] -= take
                left -= take
                parts.append((i, take))
            if left > 0:
                i += 1
        while self.first_with_room < len(self.times) and self.room[self.first_with_room] < 1:
            self.first_with_room += 1
        return parts

    def next_departure(self, ready: float) -> float:
        """When a parcel ready at `ready` would leave, if booked now (no booking made)."""
        i = self._first_at(ready)
        while True:
            while i >= len(self.times):
                self._build_until(self.times[-1] + HOURS_PER_DAY)
            if self.room[i] >= 1:
                return self.times[i]
            i += 1

    def departures_before(self, t: float) -> int:
        """How many departures of the timetable are scheduled before `t`."""
        self._build_until(t)
        return bisect_left(self.times, t)
