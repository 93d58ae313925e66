"""The planner: turns the forecast into the levels of planned stocking policies.

A warehouse plans for the regions whose nearest warehouse it is, and an upstream warehouse
also for the warehouses it replenishes (their demand reaches it as transfer orders). The lead
time it plans with is that of its primary supplier (lead time plus expected lateness) or of
the lane from its upstream warehouse. The planner sees the forecast, never the true demand.
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from typing import Any

import simpy
from simpy.events import Timeout

from simchain.model.network import Network, RegionNode
from simchain.model.warehouses import Warehouse
from simchain.policies.stocking import Levels, PlanInputs, PlannedPolicy
from simchain.recording import Columns
from simchain.timebase import date_to_clock

LEVEL_COLUMNS = {
    "time": "d",
    "warehouse": "h",
    "sku": "i",
    "reorder_point": "q",
    "order_up_to": "q",
}


class Planner:
    """The planner during a run. Owns the levels log; changes adaptive policies' levels
    (`Levels` rules of the warehouses); reads the forecast. Calls a warehouse to review after
    a replan."""

    def __init__(self, network: Network, env: simpy.Environment):
        self.net = network
        self.env = env
        self.log = Columns(LEVEL_COLUMNS)  # each change of an adaptive policy's levels
        self.regions_of: list[list[RegionNode]] = [[] for _ in network.warehouses]
        for region in network.regions:
            self.regions_of[region.nearest_first[0]].append(region)
        self.variance_to_mean = [self._variance_to_mean(w.index) for w in network.warehouses]
        self.clock = functools.partial(date_to_clock, network.start)

    def _regions_under(self, w: int) -> list[RegionNode]:
        out = list(self.regions_of[w])
        for d in self.net.warehouses[w].downstream:
            out += self._regions_under(d)
        return out

    def _variance_to_mean(self, w: int) -> float:
        """E[X^2] / E[X] of units per line X, weighted by the regions' order volumes."""
        num = den = 0.0
        for region in self._regions_under(w):
            demand = region.spec.demand
            x = demand.units_per_line
            m = x.mean_value()
            weight = demand.orders_per_day * demand.lines_per_order.mean_value()
            num += weight * (x.variance_value() + m * m) / m
            den += weight
        return num / den if den else 1.0

    def forecast(self, w: int, sku: int, t0: float, t1: float) -> float:
        """Forecast units warehouse `w` must supply over [t0, t1)."""
        f = self.net.forecast
        total = sum(f.units(region.name, sku, t0, t1) for region in self.regions_of[w])
        return total + sum(self.forecast(d, sku, t0, t1) for d in self.net.warehouses[w].downstream)

    def inputs(self, w: int, sku: int) -> PlanInputs:
        mean, var = self.net.warehouses[w].lead_time
        return PlanInputs(
            now=self.env.now,
            forecast=functools.partial(self.forecast, w, sku),
            lead_time_mean=mean,
            lead_time_var=var,
            variance_to_mean=self.variance_to_mean[w],
            forecast_cv=self.net.forecast.cv,
            abc_class=self.net.abc_classes[sku],
            clock=self.clock,
            events=self.net.event_windows,
        )

    def plan(self, wh: Warehouse, sku: int) -> None:
        """Recompute one planned SKU's levels now."""
        policy = wh.policies[sku]
        rule = wh.rules[sku]
        assert isinstance(policy, PlannedPolicy) and isinstance(rule, Levels)
        self.record(wh, sku, rule, *policy.levels(self.inputs(wh.index, sku)))

    def record(
        self, wh: Warehouse, sku: int, rule: Levels, reorder_point: int, order_up_to: int
    ) -> None:
        """Set an adaptive policy's levels; a change is a row of the levels table."""
        if (reorder_point, order_up_to) == (rule.reorder_point, rule.order_up_to):
            return
        rule.reorder_point, rule.order_up_to = reorder_point, order_up_to
        c = self.log.cols
        c["time"].append(self.env.now)
        c["warehouse"].append(wh.index)
        c["sku"].append(sku)
        c["reorder_point"].append(reorder_point)
        c["order_up_to"].append(order_up_to)

    def replanning(
        self, wh: Warehouse, period: float, skus: list[int]
    ) -> Generator[simpy.Event, Any, None]:
        """Every `period`, recompute the levels of some SKUs; continuous-review SKUs then
        order at once if the new reorder point asks for it."""
        while True:
            yield Timeout(self.env, period)
            for s in skus:
                self.plan(wh, s)
                wh.review_and_log(s)
