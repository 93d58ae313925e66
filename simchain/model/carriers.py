"""The last mile: a region's couriers deliver at most so many parcels a day.

Capacity is booked when a parcel is handed to the carrier, for the day the parcel reaches the
region (shipped + lane transit): on that day if a delivery slot is left, else on the first
later day with one. A parcel pushed to a later day is delivered at its place in that day's
queue (the day's deliveries spread evenly over 24 h). No event per parcel beyond its delivery.
"""

from __future__ import annotations

import datetime as dt

from simchain.scenario.schema import LastMile
from simchain.timebase import HOURS_PER_DAY


class Couriers:
    def __init__(self, spec: LastMile, start: dt.date):
        self.spec = spec
        self.start = start
        self.capacity: list[float] = []  # by day from the start, extended as needed
        self.used: list[int] = []
        self.full_before = 0  # every day before this one is fully booked

    def _day(self, d: int) -> None:
        while len(self.capacity) <= d:
            day = self.start + dt.timedelta(days=len(self.capacity))
            self.capacity.append(self.spec.capacity_on(day))
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
