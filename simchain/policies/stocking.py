"""Stocking policies: given an inventory position, how much to order now.

Inventory position = on hand + on order - backorders (local), or, with `position: echelon`,
that plus the echelon positions of every warehouse replenished from this one. Review is
continuous by default: the warehouse asks its policy after every change of position caused
by demand, so a reorder point is never overshot unnoticed. A policy with a `review_period` is
asked only at reviews, every period from the start of the run (and at the start).

Adaptive policies hold no fixed levels: the warehouse orders through their current reorder
point and order-up-to level (`Levels`), and every change of them is a row of `levels`. The
planned ones (`forecast_driven`, `peak_prebuild`) turn the planner's forecast of customer demand
into levels every `recompute_every` and order like (s, S) in between; `moving_average` sets its
order-up-to level at each review from the demand the warehouse itself observed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simchain.policies.registry import stocking
from simchain.timebase import HOURS_PER_DAY, Duration

MAX_UNITS = 10**12  # far above any real stock level, far below int64 overflow


class StockingPolicy(BaseModel):
    """Common base: frozen parameters and the two questions a warehouse asks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_period: Duration | None = Field(
        None, gt=0, description="review every period; none means continuous review"
    )
    position: Literal["local", "echelon"] = Field(
        "local", description="echelon adds the positions of the warehouses downstream"
    )

    def order_quantity(self, position: int) -> int:
        """Units to order now, given the inventory position after the latest change."""
        raise NotImplementedError

    def target_level(self) -> int:
        """The stock a warehouse starts with under `initial_stock: target`."""
        raise NotImplementedError

    def reorder_level(self) -> int:
        """The highest position at which the policy orders: the stock it holds to cover
        demand until a replenishment comes, which a warehouse never gives to a sibling."""
        raise NotImplementedError


class _UpToS(StockingPolicy):
    """Whenever the position is below S, order up to S (each kind declares its own S)."""

    if TYPE_CHECKING:
        S: int

    def order_quantity(self, position: int) -> int:
        return self.S - position if position < self.S else 0

    def target_level(self) -> int:
        return self.S

    def reorder_level(self) -> int:
        return self.S - 1


@stocking.register("base_stock")
class BaseStock(_UpToS):
    """Order-up-to S, one for one: every unit demanded is reordered at once."""

    kind: Literal["base_stock"] = "base_stock"
    S: int = Field(ge=0, le=MAX_UNITS, description="order-up-to level (base-stock level), units")


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

    def reorder_level(self) -> int:
        return self.s


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

    def reorder_level(self) -> int:
        return self.r


@stocking.register("periodic")
class PeriodicOrderUpTo(_UpToS):
    """(R, S): every review period R, order up to S."""

    kind: Literal["periodic"] = "periodic"
    review_period: Duration = Field(gt=0, description="time between reviews")
    S: int = Field(ge=0, le=MAX_UNITS, description="order-up-to level, units")


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

    def reorder_level(self) -> int:
        return self.min - 1


# --- planned policies ----------------------------------------------------------------------

ServiceLevel = float  # a cycle service level in (0, 1)


@dataclass(frozen=True)
class PlanInputs:
    """What a planner knows about one SKU at one warehouse when it recomputes levels.

    Times are clock hours. `forecast(t0, t1)` is the forecast of units this warehouse must
    supply over [t0, t1) (its own regions' and, for an upstream warehouse, the warehouses it
    replenishes). Demand variance per unit of mean is `variance_to_mean` (compound Poisson:
    E[units per line^2] / E[units per line]); `forecast_cv(t0, t1)` is the forecast's error
    over a span (the `during_events` one when the span touches an event period)."""

    now: float
    forecast: Callable[[float, float], float]
    lead_time_mean: float
    lead_time_var: float
    variance_to_mean: float
    forecast_cv: Callable[[float, float], float]
    abc_class: str | None
    clock: Callable[[dt.date], float]
    events: Mapping[str, tuple[float, float]]  # id -> [first hour, end hour)


class OrderRule(Protocol):
    """What a warehouse asks, per SKU: a fixed policy, or a planned policy's current Levels."""

    def order_quantity(self, position: int) -> int: ...

    def target_level(self) -> int: ...

    def reorder_level(self) -> int: ...


@dataclass
class Levels:
    """The current reorder point and order-up-to level of a planned policy; orders as (s, S)."""

    reorder_point: int
    order_up_to: int

    def order_quantity(self, position: int) -> int:
        return self.order_up_to - position if position <= self.reorder_point else 0

    def target_level(self) -> int:
        return self.order_up_to

    def reorder_level(self) -> int:
        return self.reorder_point


class AdaptivePolicy(StockingPolicy):
    """A policy whose levels move during the run: the warehouse orders through its current
    `Levels`, so the fixed-level questions have no answer here."""

    def order_quantity(self, position: int) -> int:
        raise TypeError("an adaptive policy orders through its current Levels")

    def target_level(self) -> int:
        raise TypeError("an adaptive policy's target comes from its current Levels")

    def reorder_level(self) -> int:
        raise TypeError("an adaptive policy's reorder point comes from its current Levels")


class PlannedPolicy(AdaptivePolicy):
    """Reorder point = forecast demand over the protection interval P (lead time + review
    period) + safety stock z * sqrt(P * sigma_D^2 + D^2 * sigma_L^2), with D the forecast
    daily demand, sigma_D^2 = D * variance_to_mean + (forecast_cv * D)^2 and z for the target
    cycle service level; order-up-to = reorder point + max(1, D * order_cycle)."""

    service_level: float = Field(0.95, gt=0, lt=1, description="target cycle service level")
    class_service_levels: dict[str, float] = Field(
        default_factory=dict, description="per ABC class, e.g. {A: 0.98, B: 0.95, C: 0.9}"
    )
    order_cycle: Duration = Field(
        0.0, ge=0, description="demand one order covers beyond the reorder point"
    )
    recompute_every: Duration = Field(24.0, gt=0, description="time between recomputations")

    @model_validator(mode="after")
    def _levels_in_range(self) -> PlannedPolicy:
        bad = {k: v for k, v in self.class_service_levels.items() if not 0 < v < 1}
        if bad:
            raise ValueError(f"class_service_levels must lie in (0, 1), found {bad}")
        return self

    def target(self, abc_class: str | None) -> ServiceLevel:
        """The cycle service level this SKU is planned for."""
        if abc_class is not None and abc_class in self.class_service_levels:
            return self.class_service_levels[abc_class]
        return self.service_level

    def cover(self, plan: PlanInputs) -> tuple[float, float]:
        """[t0, t1): the span whose demand the reorder point must cover, from now."""
        return plan.now, plan.now + plan.lead_time_mean + (self.review_period or 0.0)

    def levels(self, plan: PlanInputs) -> tuple[int, int]:
        """(reorder point, order-up-to level) from the forecast, now."""
        t0, t1 = self.cover(plan)
        span = max((t1 - t0) / HOURS_PER_DAY, 1e-9)
        mean = plan.forecast(t0, t1)
        daily = mean / span
        var_daily = daily * plan.variance_to_mean + (plan.forecast_cv(t0, t1) * daily) ** 2
        var_lead = plan.lead_time_var / HOURS_PER_DAY**2
        z = NormalDist().inv_cdf(self.target(plan.abc_class))
        safety = z * math.sqrt(span * var_daily + daily**2 * var_lead)
        reorder_point = max(round(mean + safety), -1)
        lot = max(round(daily * self.order_cycle / HOURS_PER_DAY), 1)
        return min(reorder_point, MAX_UNITS - lot), min(reorder_point + lot, MAX_UNITS)


@stocking.register("forecast_driven")
class ForecastDriven(PlannedPolicy):
    """Reorder point and order-up-to recomputed from the forecast for a cycle service level."""

    kind: Literal["forecast_driven"] = "forecast_driven"


@stocking.register("peak_prebuild")
class PeakPrebuild(PlannedPolicy):
    """Forecast-driven, with stock built ahead of a declared event by `build_by`, then released.

    From one lead time before `build_by` until the event ends, the reorder point covers the
    forecast through the end of the event; before and after, the usual interval."""

    kind: Literal["peak_prebuild"] = "peak_prebuild"
    event: str = Field(description="the id of an entry of `events`")
    build_by: dt.date = Field(description="the pre-built stock should be in by this date")

    def cover(self, plan: PlanInputs) -> tuple[float, float]:
        t0, t1 = super().cover(plan)
        end = plan.events[self.event][1]
        build_from = plan.clock(self.build_by) - plan.lead_time_mean
        if build_from <= plan.now < end:
            return t0, max(t1, end)
        return t0, t1


@stocking.register("moving_average")
class MovingAverage(AdaptivePolicy):
    """Order up to cover x the moving average of the demand this warehouse saw, plus safety.

    At each review (whole days, at midnight) the order-up-to level is
    S = cover x mean + z x sqrt(cover) x sd, with mean and sd (sample) of the daily demand the
    warehouse observed over the last `window` days: its customers' units at a front warehouse,
    the units its downstream warehouses ordered upstream. It orders S - IP when positive; a
    position above S is held (no negative orders), so a falling level shows only as smaller
    orders later. Before `window` days are observed, the missing days count as
    `initial_demand_per_day` each, as if that had been the steady demand before the run.
    """

    kind: Literal["moving_average"] = "moving_average"
    review_period: Duration = Field(
        24.0, gt=0, description="time between reviews, whole days (demand is counted by day)"
    )
    window: int = Field(ge=1, le=3650, description="days of observed demand averaged")
    initial_demand_per_day: float = Field(
        ge=0,
        le=MAX_UNITS,
        allow_inf_nan=False,
        description="units a day assumed for the days before the run, until window days are seen",
    )
    cover: Duration | None = Field(
        None, gt=0, description="days of demand the level covers; default lead time + review"
    )
    service_level: float | None = Field(
        None, gt=0, lt=1, description="cycle service level that sets z; default 0.95"
    )
    safety_factor: float | None = Field(
        None, ge=0, le=10, allow_inf_nan=False, description="z itself, instead of service_level"
    )

    @model_validator(mode="after")
    def _consistent(self) -> MovingAverage:
        days = self.review_period / HOURS_PER_DAY
        if abs(days - round(days)) > 1e-9:
            raise ValueError(
                f"review_period must be a whole number of days (found {days:g} d): "
                "a moving_average counts demand by day and reviews at midnight"
            )
        if self.safety_factor is not None and self.service_level is not None:
            raise ValueError("give service_level or safety_factor, not both")
        if self.window < 2 and self.z() > 0:
            raise ValueError("a standard deviation needs window >= 2 (or safety_factor: 0)")
        return self

    @property
    def review_days(self) -> int:
        return round(self.review_period / HOURS_PER_DAY)

    def z(self) -> float:
        """The safety factor: given, or the normal quantile of the service level."""
        if self.safety_factor is not None:
            return self.safety_factor
        return NormalDist().inv_cdf(self.service_level or 0.95)

    def cover_days(self, lead_time_mean: float) -> float:
        """Days of demand the level covers: the override, else lead time + review period."""
        hours = self.cover if self.cover is not None else lead_time_mean + self.review_period
        return hours / HOURS_PER_DAY

    def order_up_to(self, mean: float, sd: float, cover_days: float) -> int:
        """S from the observed daily mean and standard deviation over the cover."""
        level = cover_days * mean + self.z() * math.sqrt(cover_days) * sd
        return min(max(round(level), 0), MAX_UNITS)
