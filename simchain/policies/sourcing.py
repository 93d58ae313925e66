"""Sourcing policies: which of a warehouse's suppliers gets a replenishment order.

A policy is pure: it sees the candidate suppliers in the order the warehouse lists them, each
as a `SupplierView` (its state at the moment of ordering), and splits the quantity among them.
Minimum order quantities are applied afterwards, by the supplier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simchain.policies.registry import sourcing


@dataclass(frozen=True)
class SupplierView:
    """What a buyer knows about one candidate supplier when placing an order."""

    name: str
    unit_price: float
    expected_arrival: float  # clock hours, for an order placed now
    down: bool  # in an outage now
    late: bool  # holds an open order past its confirmed date
    ordered: int  # units this warehouse has ordered from it so far


class SourcingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        """Units to order from each candidate (same order), summing to `quantity`."""
        raise NotImplementedError


def _all_to(i: int, quantity: int, n: int) -> list[int]:
    out = [0] * n
    out[i] = quantity
    return out


def _available(candidates: Sequence[SupplierView]) -> list[int]:
    """Indices of candidates not in an outage; all of them if every one is down."""
    up = [i for i, c in enumerate(candidates) if not c.down]
    return up or list(range(len(candidates)))


@sourcing.register("single")
class Single(SourcingPolicy):
    """Everything from the one supplier the warehouse names."""

    kind: Literal["single"] = "single"

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        return _all_to(0, quantity, len(candidates))


@sourcing.register("primary_backup")
class PrimaryBackup(SourcingPolicy):
    """The first supplier listed; the next one while it is down or has late open orders."""

    kind: Literal["primary_backup"] = "primary_backup"

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        for i, c in enumerate(candidates):
            if not (c.down or c.late):
                return _all_to(i, quantity, len(candidates))
        return _all_to(_available(candidates)[0], quantity, len(candidates))


@sourcing.register("split")
class Split(SourcingPolicy):
    """Units shared among suppliers by fixed shares, kept exact over the run's orders."""

    kind: Literal["split"] = "split"
    shares: dict[str, float] = Field(
        min_length=2, description="supplier id -> relative share of the units ordered"
    )

    @model_validator(mode="after")
    def _positive(self) -> Split:
        if any(not (v > 0 and math.isfinite(v)) for v in self.shares.values()):
            raise ValueError("shares must be positive numbers")
        return self

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        total = sum(self.shares.values())
        ordered = sum(c.ordered for c in candidates) + quantity
        # Each supplier's shortfall against its share of all units ordered so far, including
        # this order, scaled to this order's size when some supplier is ahead of its share;
        # whole units by largest remainder.
        want = [max(ordered * self.shares[c.name] / total - c.ordered, 0.0) for c in candidates]
        scale = quantity / sum(want)
        want = [x * scale for x in want]
        parts = [math.floor(x) for x in want]
        by_remainder = sorted(range(len(parts)), key=lambda j: parts[j] - want[j])
        for j in by_remainder[: quantity - sum(parts)]:
            parts[j] += 1
        return parts


@sourcing.register("cheapest")
class Cheapest(SourcingPolicy):
    """The lowest unit price among suppliers not in an outage (ties: earliest arrival)."""

    kind: Literal["cheapest"] = "cheapest"

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        i = min(
            _available(candidates),
            key=lambda j: (candidates[j].unit_price, candidates[j].expected_arrival),
        )
        return _all_to(i, quantity, len(candidates))


@sourcing.register("fastest")
class Fastest(SourcingPolicy):
    """The earliest expected arrival (queue, outages and mean lead time); ties: cheapest."""

    kind: Literal["fastest"] = "fastest"

    def split(self, quantity: int, candidates: Sequence[SupplierView]) -> list[int]:
        i = min(
            range(len(candidates)),
            key=lambda j: (candidates[j].expected_arrival, candidates[j].unit_price),
        )
        return _all_to(i, quantity, len(candidates))
