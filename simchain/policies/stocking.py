"""Stocking policies: given an inventory position, how much to order now.

Inventory position = on hand + on order - backorders. Review is continuous by default: the
warehouse asks its policy after every change of position caused by demand, so a reorder point
is never overshot unnoticed. A policy with a `review_period` is asked only at reviews, every
period from the start of the run (and at the start).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simchain.policies.registry import stocking
from simchain.timebase import Duration

MAX_UNITS = 10**12  # far above any real stock level, far below int64 overflow


class StockingPolicy(BaseModel):
    """Common base: frozen parameters and the two questions a warehouse asks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_period: Duration | None = Field(
        None, gt=0, description="review every period; none means continuous review"
    )

    def order_quantity(self, position: int) -> int:
        """Units to order now, given the inventory position after the latest change."""
        raise NotImplementedError

    def target_level(self) -> int:
        """The stock a warehouse starts with under `initial_stock: target`."""
        raise NotImplementedError


@stocking.register("base_stock")
class BaseStock(StockingPolicy):
    """Order-up-to S, one for one: every unit demanded is reordered at once."""

    kind: Literal["base_stock"] = "base_stock"
    S: int = Field(ge=0, le=MAX_UNITS, description="order-up-to level (base-stock level), units")

    def order_quantity(self, position: int) -> int:
        return self.S - position if position < self.S else 0

    def target_level(self) -> int:
        return self.S


@stocking.register("s_S")
class MinOrderUpTo(StockingPolicy):
    """(s, S): when the position falls to s or below, order up to S."""

    kind: Literal["s_S"] = "s_S"
    s: int = Field(ge=-1, le=MAX_UNITS, description="reorder point: order when position <= s")
    S: int = Field(ge=1, le=MAX_UNITS, description="order-up-to level, units")

    @model_validator(mode="after")
    def _s_below_S(self) -> MinOrderUpTo:
        if self.s >= self.S:
            raise ValueError(f"s ({self.s}) must be less than S ({self.S})")
        return self

    def order_quantity(self, position: int) -> int:
        return self.S - position if position <= self.s else 0

    def target_level(self) -> int:
        return self.S


@stocking.register("r_Q")
class ReorderPointQuantity(StockingPolicy):
    """(r, Q): when the position falls to r or below, order as many lots of Q as lift it above r."""

    kind: Literal["r_Q"] = "r_Q"
    r: int = Field(ge=-1, le=MAX_UNITS, description="reorder point: order when position <= r")
    Q: int = Field(ge=1, le=MAX_UNITS, description="order quantity (lot size), units")

    def order_quantity(self, position: int) -> int:
        if position > self.r:
            return 0
        lots = (self.r - position) // self.Q + 1
        return lots * self.Q

    def target_level(self) -> int:
        return self.r + self.Q


@stocking.register("periodic")
class PeriodicOrderUpTo(StockingPolicy):
    """(R, S): every review period R, order up to S."""

    kind: Literal["periodic"] = "periodic"
    review_period: Duration = Field(gt=0, description="time between reviews")
    S: int = Field(ge=0, le=MAX_UNITS, description="order-up-to level, units")

    def order_quantity(self, position: int) -> int:
        return self.S - position if position < self.S else 0

    def target_level(self) -> int:
        return self.S


@stocking.register("min_max")
class MinMax(StockingPolicy):
    """Min-max: when the position is below min, order up to max."""

    kind: Literal["min_max"] = "min_max"
    min: int = Field(ge=0, le=MAX_UNITS, description="order when position < min")
    max: int = Field(ge=1, le=MAX_UNITS, description="order up to this level")

    @model_validator(mode="after")
    def _min_below_max(self) -> MinMax:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self

    def order_quantity(self, position: int) -> int:
        return self.max - position if position < self.min else 0

    def target_level(self) -> int:
        return self.max
