"""Carrier choice: which carrier of a warehouse-to-region lane takes a packed order.

A lane's own `transit_time` / `cost_per_unit` / `departures` are its `default` carrier; a
lane may offer more under `carriers`. A policy is pure: it sees each carrier's cost for the
parcel and the hour it is expected to reach the region (next departure with room, then the
mean transit), and the order's service class and promised time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from simchain.policies.registry import carriers

DEFAULT = "default"  # the lane's own carrier


@dataclass(frozen=True, slots=True)
class CarrierView:
    name: str
    cost: float  # for this parcel
    arrival: float  # expected clock hour at the region
    service_carrier: bool  # the carrier the order's service class names


class CarrierPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def choose(self, options: Sequence[CarrierView], promised: float) -> int:
        raise NotImplementedError


@carriers.register("by_service")
class ByService(CarrierPolicy):
    """The carrier the order's service class names, where the lane has it; else the default."""

    kind: Literal["by_service"] = "by_service"

    def choose(self, options: Sequence[CarrierView], promised: float) -> int:
        for i, c in enumerate(options):
            if c.service_carrier:
                return i
        return 0


@carriers.register("cheapest")
class Cheapest(CarrierPolicy):
    """The cheapest carrier for the parcel (ties: the earliest arrival)."""

    kind: Literal["cheapest"] = "cheapest"

    def choose(self, options: Sequence[CarrierView], promised: float) -> int:
        return min(range(len(options)), key=lambda i: (options[i].cost, options[i].arrival))


@carriers.register("fastest")
class Fastest(CarrierPolicy):
    """The earliest expected arrival (next departure with room + mean transit)."""

    kind: Literal["fastest"] = "fastest"

    def choose(self, options: Sequence[CarrierView], promised: float) -> int:
        return min(range(len(options)), key=lambda i: (options[i].arrival, options[i].cost))


@carriers.register("capacity_aware")
class CapacityAware(CarrierPolicy):
    """The cheapest carrier expected to arrive by the promise, given the room left on its
    departures; if none can, the cheapest (fast room is kept for parcels it can save)."""

    kind: Literal["capacity_aware"] = "capacity_aware"

    def choose(self, options: Sequence[CarrierView], promised: float) -> int:
        able = [i for i, c in enumerate(options) if c.arrival <= promised]
        return min(able or range(len(options)), key=lambda i: (options[i].cost, options[i].arrival))
