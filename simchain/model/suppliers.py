"""Suppliers: ship what they are asked for after a random lead time, within a daily capacity.

Capacity is a FIFO fluid line: an order waits for earlier orders to be worked through at
`capacity_per_day`, then takes its lead time to arrive. Without a capacity, the lead time
alone applies.
"""

from __future__ import annotations

from simchain.scenario.distributions import Sampler
from simchain.scenario.schema import Supplier as SupplierSpec
from simchain.timebase import HOURS_PER_DAY


class Supplier:
    def __init__(self, index: int, name: str, spec: SupplierSpec, lead_time: Sampler):
        self.index = index
        self.name = name
        self.capacity_per_hour = (
            spec.capacity_per_day / HOURS_PER_DAY if spec.capacity_per_day else None
        )
        self.lead_time = lead_time
        self._free_at = 0.0

    def dispatch_and_arrival(self, now: float, quantity: int) -> tuple[float, float]:
        """(time the order leaves the supplier, time it arrives) for an order placed now."""
        dispatch = now
        if self.capacity_per_hour is not None:
            dispatch = max(now, self._free_at) + quantity / self.capacity_per_hour
            self._free_at = dispatch
        return dispatch, dispatch + self.lead_time()
