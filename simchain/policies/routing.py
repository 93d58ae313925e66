"""Routing policies: which warehouse serves a customer order.

A policy is pure: it sees the region's candidate warehouses, nearest first (by mean transit
time of the lane to the region), and a way to ask whether one can serve the whole order from
stock on hand; it returns the chosen warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from simchain.policies.registry import routing


class RoutingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def choose(self, nearest_first: Sequence[int], can_serve: Callable[[int], bool]) -> int:
        raise NotImplementedError


@routing.register("nearest_with_stock")
class NearestWithStock(RoutingPolicy):
    """The nearest warehouse that holds every line of the order; else the nearest."""

    kind: Literal["nearest_with_stock"] = "nearest_with_stock"

    def choose(self, nearest_first: Sequence[int], can_serve: Callable[[int], bool]) -> int:
        for w in nearest_first:
            if can_serve(w):
                return w
        return nearest_first[0]


@routing.register("nearest")
class Nearest(RoutingPolicy):
    """Always the nearest warehouse, in stock or not."""

    kind: Literal["nearest"] = "nearest"

    def choose(self, nearest_first: Sequence[int], can_serve: Callable[[int], bool]) -> int:
        return nearest_first[0]
