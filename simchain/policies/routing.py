"""Routing policies: which warehouse serves a customer order.

A policy is pure: it sees the region's candidate warehouses, nearest first (by mean transit
time of the lane to the region), a way to ask whether one can serve the whole order from
stock on hand, and `Routes`: what a planner knows of each candidate now (lane cost and mean
transit to the region, the picking queue); it returns the chosen warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from simchain.policies.registry import routing


class Routes(Protocol):
    """Read-only facts about the candidate warehouses of one region, now."""

    def cost(self, w: int) -> float:
        """Lane cost per unit from warehouse w to the region."""
        ...

    def transit(self, w: int) -> float:
        """Mean lane transit time from warehouse w to the region, hours."""
        ...

    def pick_wait(self, w: int) -> float:
        """Expected hours before picking starts at warehouse w (queue / pickers on duty x
        mean pick time; 0 without a picking stage, inf with nobody on duty and a queue)."""
        ...


class RoutingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    split: bool = Field(
        False,
        description="when the chosen warehouse is short, ship the lines it cannot serve from "
        "the nearest candidates that hold them (a split shipment)",
    )

    def choose(
        self,
        nearest_first: Sequence[int],
        can_serve: Callable[[int], bool],
        routes: Routes | None = None,
    ) -> int:
        raise NotImplementedError


def _best(
    nearest_first: Sequence[int],
    can_serve: Callable[[int], bool],
    key: Callable[[int], float],
) -> int:
    """The candidate holding the order with the smallest key (ties: nearest), else the
    nearest."""
    able = [w for w in nearest_first if can_serve(w)]
    return min(able, key=key) if able else nearest_first[0]


@routing.register("nearest_with_stock")
class NearestWithStock(RoutingPolicy):
    """The nearest warehouse that holds every line of the order; else the nearest."""

    kind: Literal["nearest_with_stock"] = "nearest_with_stock"

    def choose(
        self,
        nearest_first: Sequence[int],
        can_serve: Callable[[int], bool],
        routes: Routes | None = None,
    ) -> int:
        for w in nearest_first:
            if can_serve(w):
                return w
        return nearest_first[0]


@routing.register("nearest")
class Nearest(RoutingPolicy):
    """Always the nearest warehouse, in stock or not."""

    kind: Literal["nearest"] = "nearest"

    def choose(
        self,
        nearest_first: Sequence[int],
        can_serve: Callable[[int], bool],
        routes: Routes | None = None,
    ) -> int:
        return nearest_first[0]


class _Ranked(RoutingPolicy):
    """The in-stock candidate with the best (smallest) rank; else the nearest."""

    def rank(self, routes: Routes) -> Callable[[int], float]:
        raise NotImplementedError

    def choose(
        self,
        nearest_first: Sequence[int],
        can_serve: Callable[[int], bool],
        routes: Routes | None = None,
    ) -> int:
        assert routes is not None
        return _best(nearest_first, can_serve, self.rank(routes))


@routing.register("cheapest")
class Cheapest(_Ranked):
    """The warehouse with the cheapest lane that holds every line of the order; else the nearest."""

    kind: Literal["cheapest"] = "cheapest"

    def rank(self, routes: Routes) -> Callable[[int], float]:
        return routes.cost


@routing.register("fastest")
class Fastest(_Ranked):
    """The in-stock warehouse promising the earliest delivery (picking wait + mean transit)."""

    kind: Literal["fastest"] = "fastest"

    def rank(self, routes: Routes) -> Callable[[int], float]:
        return lambda w: routes.pick_wait(w) + routes.transit(w)


@routing.register("least_loaded")
class LeastLoaded(_Ranked):
    """The in-stock warehouse with the shortest expected picking wait; else the nearest."""

    kind: Literal["least_loaded"] = "least_loaded"

    def rank(self, routes: Routes) -> Callable[[int], float]:
        return routes.pick_wait
