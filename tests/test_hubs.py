"""Sorting hubs and path choice: a parcel takes the fastest or the cheapest path over the lane
graph, leg by leg, and each leg's transit, trucks and disruptions are its own."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.scenario.paths import best_paths
from tests.builders import region, scenario, validated
from tests.frames import hours_from

START = dt.date(2026, 3, 2)
T0 = pd.Timestamp(START)
HOUR = pd.Timedelta(hours=1)
EPS = 1e-5  # timestamps are rounded to the millisecond
Data = dict[str, Any]

# The direct lane is slow and cheap; the path through the hub fast and dearer.
DIRECT, DIRECT_COST = 30.0, 1.0
TO_HUB, TO_HUB_COST = 5.0, 2.0
HANDLING = 3.0
FROM_HUB, FROM_HUB_COST = 10.0, 1.5


def network(path_choice: str | None = None) -> Data:
    """A DC that always has stock and picks instantly, serving one city directly or through a
    sorting hub; constant transit times, no courier cap: deliveries are exact."""
    data = scenario(
        "hubs",
        start=str(START),
        horizon="12d",
        warm_up="1d",
        regions={"city": region(200, demand={"units_per_line": {"dist": "geometric", "mean": 2}})},
        hubs={"wuxi_hub": {"handling_time": f"{HANDLING}h"}},
        lanes={
            "dc": {
                "city": {"transit_time": f"{DIRECT}h", "cost_per_unit": DIRECT_COST},
                "wuxi_hub": {"transit_time": f"{TO_HUB}h", "cost_per_unit": TO_HUB_COST},
            },
            "wuxi_hub": {"city": {"transit_time": f"{FROM_HUB}h", "cost_per_unit": FROM_HUB_COST}},
        },
    )
    if path_choice is not None:
        data["path_choice"] = path_choice
    return data


def hours(ts: pd.Series) -> np.ndarray:
    return hours_from(START, ts)


def delivered(data: Data, seed: int = 3) -> tuple[pd.DataFrame, Any]:
    res = simulate(validated(data), seed=seed)
    o = res.tables["orders"]
    return o[o["delivered"].notna()], res


def test_fastest_goes_through_the_hub_leg_by_leg() -> None:
    o, res = delivered(network())
    assert len(o) > 1500
    took = hours(o["delivered"]) - hours(o["shipped"])
    assert np.allclose(took, TO_HUB + HANDLING + FROM_HUB, atol=EPS)
    assert (o["hub"] == "wuxi_hub").all() and (o["carrier"] == "default").all()
    units = o["units"] - o["units_lost"]
    assert np.allclose(o["transport_cost"], (TO_HUB_COST + FROM_HUB_COST) * units)
    # the KPI counts every leg of the window's parcels
    every = res.tables["orders"]
    window = every[(every["created"] >= T0 + 24 * HOUR) & every["shipped"].notna()]
    legs = (TO_HUB_COST + FROM_HUB_COST) * (window["units"] - window["units_lost"])
    assert res.kpis["transport_cost"] == pytest.approx(legs.sum())


def test_cheapest_takes_the_direct_lane() -> None:
    o, _ = delivered(network("cheapest"))
    assert np.allclose(hours(o["delivered"]) - hours(o["shipped"]), DIRECT, atol=EPS)
    assert o["hub"].isna().all()
    assert np.allclose(o["transport_cost"], DIRECT_COST * (o["units"] - o["units_lost"]))


def test_ties_go_to_fewer_legs() -> None:
    data = network()
    data["lanes"]["dc"]["city"]["transit_time"] = f"{TO_HUB + HANDLING + FROM_HUB}h"
    assert best_paths(validated(data), "dc")["city"] == ["dc", "city"]
    data["lanes"]["dc"]["city"]["transit_time"] = f"{TO_HUB + HANDLING + FROM_HUB + 0.5}h"
    assert best_paths(validated(data), "dc")["city"] == ["dc", "wuxi_hub", "city"]


def test_hub_legs_wait_for_their_departures() -> None:
    """Trucks on both legs: the parcel waits for the first leg's truck, is handled at the
    hub after that truck arrives, then waits for the second leg's departure."""
    data = network()
    data["lanes"]["dc"]["wuxi_hub"]["departures"] = {"times": ["0h", "12h"]}
    data["lanes"]["wuxi_hub"]["city"]["departures"] = {"times": ["6h", "18h"], "capacity": 500}
    o, res = delivered(data)
    assert len(o) > 1500

    def next_of(times: list[float], t: np.ndarray) -> np.ndarray:
        grid = np.array(sorted(d * 24 + h for d in range(20) for h in times))
        return grid[np.searchsorted(grid, t - EPS)]

    at_hub = next_of([0.0, 12.0], hours(o["shipped"])) + TO_HUB + HANDLING
    want = next_of([6.0, 18.0], at_hub) + FROM_HUB
    assert np.allclose(hours(o["delivered"]), want, atol=EPS)
    sh = res.tables["shipments"]
    leg2 = sh[(sh["origin"] == "wuxi_hub") & (sh["destination"] == "city")]
    leg1 = sh[(sh["origin"] == "dc") & (sh["destination"] == "wuxi_hub")]
    end = T0 + 12 * 24 * HOUR  # two departures a day, empty ones too
    assert (leg1["scheduled"] < end).sum() == (leg2["scheduled"] < end).sum() == 24
    assert leg2["units"].sum() >= len(o) and (leg2["units"] <= 500).all()
    assert res.kpis["truck_utilization.wuxi_hub-city"] > 0


def test_a_closed_hub_holds_parcels_until_it_reopens() -> None:
    data = network()
    data["disruptions"] = {
        "fire": {
            "start": "2026-03-06",
            "end": "2026-03-07",
            "nodes": ["wuxi_hub"],
            "lanes_closed": True,
        }
    }
    o, _ = delivered(data)
    closed = (4 * 24.0, 6 * 24.0)

    def gate(t: np.ndarray) -> np.ndarray:
        return np.where((t >= closed[0]) & (t < closed[1]), closed[1], t)

    at_hub = gate(hours(o["shipped"])) + TO_HUB + HANDLING
    want = gate(at_hub) + FROM_HUB
    assert np.allclose(hours(o["delivered"]), want, atol=EPS)
    held = hours(o["delivered"]) - hours(o["shipped"]) > TO_HUB + HANDLING + FROM_HUB + EPS
    assert held.sum() > 300  # two days of parcels waited
    # Held at the hub, or at the warehouse: they leave when the hub reopens.
    after = np.round(hours(o.loc[held, "delivered"]) - closed[1], 4)
    assert set(after) == {FROM_HUB, TO_HUB + HANDLING + FROM_HUB}


def test_a_carrier_on_the_final_leg_is_chosen_at_the_hub() -> None:
    data = network()
    data["lanes"]["wuxi_hub"]["city"]["carriers"] = {
        "express": {"transit_time": "4h", "cost_per_unit": 5.0}
    }
    data["carrier_choice"] = {"kind": "fastest"}
    o, _ = delivered(data)
    assert (o["carrier"] == "express").all() and (o["hub"] == "wuxi_hub").all()
    assert np.allclose(hours(o["delivered"]) - hours(o["shipped"]), TO_HUB + HANDLING + 4.0)
    assert np.allclose(o["transport_cost"], (TO_HUB_COST + 5.0) * (o["units"] - o["units_lost"]))


def test_three_legs_through_two_hubs() -> None:
    data = network()
    data["hubs"]["nj_hub"] = {"handling_time": "1h"}
    data["lanes"]["wuxi_hub"] = {"nj_hub": {"transit_time": "2h", "cost_per_unit": 0.5}}
    data["lanes"]["nj_hub"] = {"city": {"transit_time": "4h", "cost_per_unit": 0.25}}
    o, _ = delivered(data)
    assert np.allclose(hours(o["delivered"]) - hours(o["shipped"]), TO_HUB + HANDLING + 2 + 1 + 4)
    assert (o["hub"] == "wuxi_hub").all()
    assert np.allclose(o["transport_cost"], (TO_HUB_COST + 0.75) * (o["units"] - o["units_lost"]))


def bad(data: Data, *fragments: str) -> None:
    with pytest.raises(ScenarioError) as err:
        validated(data)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_an_unknown_hub_in_a_lane_is_named() -> None:
    data = network()
    data["lanes"]["dc"]["wuxi_hb"] = data["lanes"]["dc"].pop("wuxi_hub")
    bad(data, "lanes.dc.wuxi_hb: unknown warehouse, region or hub 'wuxi_hb'", "'wuxi_hub'")
    data = network()
    data["lanes"]["wuxi_hb"] = data["lanes"].pop("wuxi_hub")
    bad(data, "lanes.wuxi_hb: lanes start at a warehouse or a hub", "did you mean 'wuxi_hub'")


def test_a_region_without_any_path_is_named() -> None:
    data = network()
    del data["lanes"]["dc"]["city"]
    del data["lanes"]["wuxi_hub"]
    bad(
        data,
        "regions.city.served_by.0: warehouse 'dc' serves region 'city' but there is no lane "
        "lanes.dc.city nor a path through hubs (no lane from a hub to 'city')",
    )
    data = network()
    del data["lanes"]["dc"]
    data["warehouses"]["fdc"] = copy.deepcopy(data["warehouses"]["dc"])
    data["lanes"]["fdc"] = {"wuxi_hub": {"transit_time": "1h"}}
    bad(data, "regions.city.served_by.0", "(no lane from 'dc' to a hub)")


def test_a_hub_id_clashing_with_a_warehouse_is_refused() -> None:
    data = network()
    data["hubs"]["dc"] = {}
    bad(data, "hubs.dc: id 'dc' is used for a warehouse and a hub; ids must be unique")


def test_hubs_do_not_carry_transfers() -> None:
    data = network()
    data["lanes"]["wuxi_hub"]["dc"] = {"transit_time": "1h"}
    bad(data, "lanes.wuxi_hub.dc: a lane from a hub goes to a hub or a region")
