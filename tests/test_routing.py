"""Routing policies that weigh lanes and load: cheapest, fastest, least_loaded."""

from __future__ import annotations

from typing import Any

import pandas as pd

from simchain import simulate
from simchain.policies.routing import Cheapest, Fastest, LeastLoaded
from tests.builders import base_stock, product, region, scenario, validated, warehouse

Data = dict[str, Any]


class FakeRoutes:
    def __init__(self, cost: dict[int, float], transit: dict[int, float], wait: dict[int, float]):
        self.c, self.t, self.w = cost, transit, wait

    def cost(self, w: int) -> float:
        return self.c[w]

    def transit(self, w: int) -> float:
        return self.t[w]

    def pick_wait(self, w: int) -> float:
        return self.w[w]


def test_choices_by_the_numbers() -> None:
    routes = FakeRoutes({0: 3.0, 1: 1.0, 2: 2.0}, {0: 10, 1: 30, 2: 20}, {0: 25, 1: 0, 2: 1})
    everyone = [0, 1, 2]

    def stocked(w: int) -> bool:
        return w != 1

    assert Cheapest().choose(everyone, lambda w: True, routes) == 1
    assert Cheapest().choose(everyone, stocked, routes) == 2
    assert Fastest().choose(everyone, lambda w: True, routes) == 2  # 21 h beats 30 h and 35 h
    assert LeastLoaded().choose(everyone, lambda w: True, routes) == 1
    assert LeastLoaded().choose(everyone, lambda w: False, routes) == 0  # none: the nearest


def two_warehouses(kind: str) -> Data:
    """A near, dear warehouse with one slow picker and a far, cheap one with many."""

    def wh(pickers: int) -> Data:
        return warehouse(base_stock(50000), pickers={"count": pickers, "pick_time": "30min"})

    return scenario(
        "routing",
        start="2026-11-01",
        horizon="10d",
        warm_up="1d",
        warehouses={"near": wh(1), "far": wh(20)},
        regions={"city": region(200, served_by=["near", "far"])},
        lanes={
            "near": {"city": {"transit_time": "6h", "cost_per_unit": 4.0}},
            "far": {"city": {"transit_time": "20h", "cost_per_unit": 1.5}},
        },
        routing={"kind": kind},
    )


def shares(kind: str) -> pd.Series:
    res = simulate(validated(two_warehouses(kind)), seed=2)
    return res.tables["orders"]["warehouse"].value_counts(normalize=True)


def test_cheapest_sends_everything_down_the_cheap_lane() -> None:
    assert shares("cheapest")["far"] == 1.0


def test_fastest_and_least_loaded_spill_over_when_the_near_queue_grows() -> None:
    # The near warehouse picks 2 orders an hour against 8+ arriving: without spill-over its
    # queue would grow without bound.
    near = shares("nearest_with_stock")
    assert near["near"] == 1.0
    fastest = shares("fastest")
    # wait + 6 h beats 20 h while fewer than ~28 orders queue: the near one stays busy,
    # the rest goes far
    assert 0.15 < fastest["near"] < 0.35
    least = shares("least_loaded")
    assert least["near"] < fastest["near"]  # any queue at all sends an order far
    res = simulate(validated(two_warehouses("fastest")), seed=2)
    o = res.tables["orders"]
    wait = (o["pick_start"] - o["allocated"]) / pd.Timedelta(hours=1)
    assert wait[o["warehouse"] == "near"].max() < 20  # it never takes an order it cannot turn


def split_network(split: bool) -> Data:
    """The near warehouse stocks only `a`, the far one only `b`; orders want both."""

    def wh(stock: dict[str, int]) -> Data:
        out = warehouse(base_stock(0), initial_stock=stock)
        out["stocking"]["skus"] = {s: base_stock(n) for s, n in stock.items()}
        return out

    return scenario(
        "split",
        start="2026-11-01",
        horizon="6d",
        warm_up="1d",
        skus={"a": product(), "b": product()},
        warehouses={"near": wh({"a": 100000}), "far": wh({"b": 100000})},
        regions={
            "town": region(
                200,
                served_by=["near", "far"],
                demand={"lines_per_order": 2, "sku_weights": {"a": 1.0, "b": 1.0}},
                promised_within="60h",
            )
        },
        lanes={
            "near": {"town": {"transit_time": "1d"}},
            "far": {"town": {"transit_time": "2d"}},
        },
        routing={"kind": "nearest_with_stock", "split": split},
    )


def test_split_shipments_send_each_line_from_a_warehouse_holding_it() -> None:
    """With splits, an order wanting a and b ships a from near and b from far: two parts,
    both served from stock; the customer order counts once and is delivered with its last
    part. Without, it waits at the nearest warehouse for what it lacks."""
    split = simulate(validated(split_network(True)), seed=3)
    whole = simulate(validated(split_network(False)), seed=3)
    o, lines = split.tables["orders"], split.tables["order_lines"]
    parts = o[o["split_of"] >= 0]
    assert len(parts) > 200
    both = o[o["order_id"].isin(parts["split_of"])]
    assert (both["warehouse"] == "near").all() and (parts["warehouse"] == "far").all()
    line_wh = lines["order_id"].map(o.set_index("order_id")["warehouse"])
    assert (lines.loc[line_wh == "near", "sku"] == "a").all()
    assert (lines.loc[line_wh == "far", "sku"] == "b").all()
    assert (o["units_from_stock"] == o["units"]).all()
    k, k0 = split.kpis, whole.kpis
    assert (
        k["orders"]
        == k0["orders"]
        == (o["split_of"] < 0).sum()
        - (o.loc[o["split_of"] < 0, "created"] < pd.Timestamp("2026-11-02")).sum()
    )
    assert (
        k["split_orders"]
        == parts.loc[parts["created"] >= pd.Timestamp("2026-11-02"), "split_of"].nunique()
    )
    assert k["fill_rate"] == 1.0 and k0["fill_rate"] < 0.8
    # A split order is delivered when its far part is: created + 2 days, exactly.
    done = parts[parts["delivered"].notna()]
    assert ((done["delivered"] - done["created"]) == pd.Timedelta(days=2)).all()
    assert k["cycle_time_p50_h"] == 48.0
