"""The build step on its own: a scenario becomes a frozen Network with no SimPy inside."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from simchain import load_scenario
from simchain.model import network as network_module
from simchain.model.network import Network, build
from simchain.model.orders import LINE_COLUMNS, ORDER_COLUMNS, LineColumns, OrderColumns
from simchain.policies.carriers import DEFAULT
from simchain.streams import Streams

ROOT = Path(__file__).resolve().parent.parent


def network(name: str, seed: int = 1) -> Network:
    return build(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), Streams(seed))


def test_two_echelon_topology() -> None:
    net = network("two_echelon")
    assert net.warehouse_names == ("ks_rdc", "sh_fdc", "hz_fdc", "nj_fdc")
    rdc, sh = net.warehouses[0], net.warehouses[1]
    assert (rdc.upstream, rdc.suppliers, rdc.downstream) == (None, (0,), (1, 2, 3))
    assert (sh.upstream, sh.suppliers, sh.downstream) == (0, (), ())
    # node codes: suppliers, then warehouses
    assert net.node_names == ("zj_vendor", *net.warehouse_names)
    # each city is served first by its own front warehouse, over a direct lane
    for r, city in zip(net.regions, ("sh_fdc", "hz_fdc", "nj_fdc"), strict=True):
        first = r.nearest_first[0]
        assert net.warehouse_names[first] == city
        assert r.paths[first].legs == ((first, r.name),)
        assert r.paths[first].transit < r.paths[0].transit
        assert [o.carrier for o in r.carriers[first]] == [0]


def test_lead_time_of_a_front_warehouse_is_its_lane_from_upstream() -> None:
    net = network("two_echelon")
    sc = net.scenario
    for w in net.warehouses[1:]:
        dist = sc.lanes["ks_rdc"][w.name].transit_time
        assert w.lead_time == (dist.mean_value(), dist.variance_value())


def test_other_carriers_are_lanes_of_their_own_after_the_lane() -> None:
    net = network("double11_premium")
    assert net.carrier_names[0] == DEFAULT
    express = net.carrier_names.index("sf_express")
    keys = list(net.lanes)
    for w in ("hz_fdc", "nj_fdc", "hf_fdc"):
        origin = net.origin_names.index(w)
        region = {"hz_fdc": "hangzhou", "nj_fdc": "nanjing", "hf_fdc": "hefei"}[w]
        own, other = (origin, region), (origin, f"{region}:sf_express")
        assert keys.index(other) == keys.index(own) + 1
        options = net.regions[net.region_names.index(region)].carriers[origin]
        assert [(o.carrier, o.lane, o.own_couriers) for o in options] == [
            (0, own, False),
            (express, other, True),
        ]


def test_network_is_frozen() -> None:
    net = network("classroom_single_dc")
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.horizon = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.warehouses[0].upstream = 3  # type: ignore[misc]


def test_network_prints_a_summary() -> None:
    text = str(network("two_echelon"))
    assert text.splitlines()[0] == "network of two_echelon: 120 days from 2026-07-01"
    assert "warehouse sh_fdc <- ks_rdc (pickers 4)" in text
    assert "region shanghai <- sh_fdc 16.7 h, ks_rdc 36.7 h" in text


def test_the_build_step_imports_no_simpy() -> None:
    tree = ast.parse(Path(network_module.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "simpy" for name in imported)


def test_build_is_a_function_of_scenario_and_seed() -> None:
    a, b = network("double11", seed=4), network("double11", seed=4)
    assert str(a) == str(b)
    assert [lane.transit() for lane in a.lanes.values()] == [
        lane.transit() for lane in b.lanes.values()
    ]


def test_typed_order_columns_match_the_recorded_columns() -> None:
    """A column added to the book must get its typed accessor (and the reverse)."""
    assert set(OrderColumns.__annotations__) == set(ORDER_COLUMNS)
    assert set(LineColumns.__annotations__) == set(LINE_COLUMNS)


def test_advance_demand_knows_the_presale_units_from_their_deposits() -> None:
    net = network("double11")
    presale = [part for d in net.demands for part in d.presale_orders()]
    total = sum(int(part.units.sum()) for part in presale)
    assert total > 0
    known = net.advance_demand
    every_sku = range(len(net.sku_names))
    assert sum(known.units_due(s, 0, net.horizon, known_at=net.horizon) for s in every_sku) == total
    assert sum(known.units_due(s, 0, net.horizon, known_at=0.0) for s in every_sku) == 0
