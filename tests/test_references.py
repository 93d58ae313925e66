"""The cross-reference checkers of simchain.scenario.references, one scenario section at a time.

GOOD is a small scenario that uses every section the checkers look at and passes them all.
Each bad case changes GOOD a little and calls one checker alone, which must report exactly the
expected field paths and messages; the loader must report the same problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from simchain.errors import Problem, ScenarioError
from simchain.scenario import Scenario, load_text, validate
from simchain.scenario import references as refs
from simchain.scenario.loader import parse_yaml

Data = dict[str, Any]
Change = Callable[[Data], None]
Checker = Callable[[Scenario], list[Problem]]

GOOD = """
schema_version: 1
name: references
calendar: {start: 2026-11-01, horizon: 30d, warm_up: 2d}
sku_popularity: {law: abc, class_shares: {A: 3, B: 1}}
skus:
  phone: {unit_cost: 8, price: 29, abc_class: A, category: gadgets}
  cable: {unit_cost: 5, price: 19, abc_class: B}
categories:
  gadgets: {return_rate: 0.05}
returns: {delay: 5d}
suppliers:
  vendor:
    lead_time: 3d
    unit_prices: {phone: 7.5}
    outages: [{start: 2026-11-20, end: 2026-11-21}]
warehouses:
  dc:
    replenished_from: vendor
    initial_stock: {phone: 100}
    stocking:
      default: {kind: s_S, s: 50, S: 100}
      classes: {A: {kind: peak_prebuild, event: double11, build_by: 2026-11-08}}
  fdc:
    replenished_from: dc
    pickers: {count: 2, pick_time: 2min, periods: [{start: 2026-11-10, end: 2026-11-12}]}
    stocking: {classes: {A: {kind: s_S, s: 20, S: 40}}, skus: {cable: {kind: s_S, s: 5, S: 10}}}
hubs:
  sorter: {handling_time: 2h}
regions:
  city:
    served_by: [fdc]
    demand: {orders_per_day: 20, sku_weights: {phone: 2, cable: 1}}
    service_classes: {express: {share: 0.1, promised_within: 24h, carrier: sf}}
    last_mile: {couriers: 3, parcels_per_day: 40}
lanes:
  dc: {fdc: {transit_time: 1d}, sorter: {transit_time: 4h}}
  fdc: {city: {transit_time: 8h, carriers: {sf: {transit_time: 4h}}}}
  sorter: {city: {transit_time: 6h}}
events:
  double11:
    start: 2026-11-11
    end: 2026-11-12
    multiplier: 3
    regions: [city]
    presale: {share: 0.2, deposits_open: 2026-11-04}
disruptions:
  storm: {start: 2026-11-15, end: 2026-11-16, nodes: [city], courier_factor: 0.5}
"""

# In the order `check` runs them.
CHECKERS: list[Checker] = [
    refs.check_ids,
    refs.check_suppliers,
    refs.check_warehouses,
    refs.check_replenishment_loops,
    refs.check_disruptions,
    refs.check_regions,
    refs.check_lanes,
    refs.check_calendar,
    refs.check_popularity,
    refs.check_categories,
    refs.check_events,
]

DROP = object()


def put(dotted: str, value: Any) -> Change:
    """A change setting the field at a dotted path of GOOD (mappings only), or deleting it."""
    *parents, key = dotted.split(".")

    def change(data: Data) -> None:
        node = data
        for name in parents:
            node = node.setdefault(name, {})
        if value is DROP:
            del node[key]
        else:
            node[key] = value

    return change


def changed(*changes: Change) -> Data:
    """The raw mapping of GOOD, as the loader parses it, with `changes` applied."""
    data, _ = parse_yaml(GOOD, "<test>")
    assert isinstance(data, dict)
    for change in changes:
        change(data)
    return data


def unchecked(*changes: Change) -> Scenario:
    """GOOD with `changes` applied: schema-valid, its cross-references not yet checked."""
    return Scenario.model_validate(changed(*changes))


def found(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.dotted(), p.message) for p in problems]


EARLY, LATE = dt.date(2026, 11, 5), dt.date(2026, 11, 12)
BAD = [
    pytest.param(
        refs.check_ids,
        [put("hubs.dc", {"handling_time": "1h"})],
        [("hubs.dc", "id 'dc' is used for a warehouse and a hub; ids must be unique")],
        id="ids",
    ),
    pytest.param(
        refs.check_suppliers,
        [put("suppliers.vendor.unit_prices", {"phnoe": 7.5})],
        [("suppliers.vendor.unit_prices.phnoe", "unknown SKU 'phnoe' (did you mean 'phone'?)")],
        id="suppliers-unit-prices",
    ),
    pytest.param(
        refs.check_suppliers,
        [put("suppliers.vendor.outages", [{"start": LATE, "end": dt.date(2026, 11, 11)}])],
        [("suppliers.vendor.outages.0.end", "end is before start")],
        id="suppliers-outages",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.dc.replenished_from", "vendr")],
        [
            (
                "warehouses.dc.replenished_from",
                "unknown supplier or warehouse 'vendr' (did you mean 'vendor'?)",
            )
        ],
        id="warehouses-replenished-from",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.fdc.transship_from", ["dc"])],
        [
            (
                "warehouses.fdc.transship_from.0",
                "'dc' is in a replenishment line with 'fdc'; transshipments are between "
                "siblings, not to or from the upstream warehouse",
            )
        ],
        id="warehouses-transship-from",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.dc.sourcing", {"kind": "primary_backup"})],
        [("warehouses.dc.sourcing", "sourcing 'primary_backup' needs at least two suppliers")],
        id="warehouses-sourcing",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.dc.initial_stock", {"cabel": 5})],
        [("warehouses.dc.initial_stock.cabel", "unknown SKU 'cabel' (did you mean 'cable'?)")],
        id="warehouses-initial-stock",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.dc.stocking.classes.A.build_by", LATE)],
        [
            (
                "warehouses.dc.stocking.classes.A.build_by",
                "build_by must not be after the start of 'double11'",
            )
        ],
        id="warehouses-peak-prebuild",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.fdc.stocking.classes.AA", {"kind": "s_S", "s": 1, "S": 2})],
        [("warehouses.fdc.stocking.classes.AA", "no SKU has abc_class 'AA' (did you mean 'A'?)")],
        id="warehouses-stocking-class",
    ),
    pytest.param(
        refs.check_warehouses,
        [put("warehouses.fdc.stocking.skus", DROP)],
        [
            (
                "warehouses.fdc.stocking",
                "no policy for SKU(s) cable; add a 'default', a class entry or a per-SKU entry",
            )
        ],
        id="warehouses-stocking-coverage",
    ),
    pytest.param(
        refs.check_replenishment_loops,
        [put("warehouses.dc.replenished_from", "fdc")],
        [
            ("warehouses.dc.replenished_from", "replenishment loops: dc -> fdc -> dc"),
            ("warehouses.fdc.replenished_from", "replenishment loops: fdc -> dc -> fdc"),
        ],
        id="replenishment-loops",
    ),
    pytest.param(
        refs.check_disruptions,
        [put("disruptions.storm.nodes", ["ctiy"])],
        [
            (
                "disruptions.storm.nodes.0",
                "unknown warehouse, region, hub or supplier 'ctiy' (did you mean 'city'?)",
            )
        ],
        id="disruptions-unknown-node",
    ),
    pytest.param(
        refs.check_disruptions,
        [put("disruptions.storm.nodes", ["vendor"])],
        [
            (
                "disruptions.storm.courier_factor",
                "courier_factor acts on warehouses, regions and hubs, but nodes names only "
                "suppliers",
            ),
            (
                "disruptions.storm.nodes.0",
                "supplier 'vendor' is hit only through lead_time_factor, which is 1 here (for a "
                "supplier that stops, use its outages)",
            ),
        ],
        id="disruptions-supplier-node",
    ),
    pytest.param(
        refs.check_regions,
        [put("regions.city.served_by", ["dcx"])],
        [
            ("regions.city.served_by.0", "unknown warehouse 'dcx' (did you mean 'dc'?)"),
            (
                "regions.city.service_classes.express.carrier",
                "no lane to region 'city' offers carrier 'sf'",
            ),
        ],
        id="regions-served-by",
    ),
    pytest.param(
        refs.check_regions,
        [put("regions.city.served_by", ["dc"]), put("lanes.sorter", DROP)],
        [
            (
                "regions.city.served_by.0",
                "warehouse 'dc' serves region 'city' but there is no lane lanes.dc.city nor a "
                "path through hubs (no lane from a hub to 'city')",
            ),
            (
                "regions.city.service_classes.express.carrier",
                "no lane to region 'city' offers carrier 'sf'",
            ),
        ],
        id="regions-no-path",
    ),
    pytest.param(
        refs.check_regions,
        [put("regions.city.demand.sku_weights.cabel", 1)],
        [("regions.city.demand.sku_weights.cabel", "unknown SKU 'cabel' (did you mean 'cable'?)")],
        id="regions-sku-weights",
    ),
    pytest.param(
        refs.check_lanes,
        [put("lanes.vendor", {"dc": {"transit_time": "2d"}})],
        [
            (
                "lanes.vendor",
                "lanes start at a warehouse or a hub; unknown warehouse or hub 'vendor' (a "
                "supplier's lead_time already includes its transport)",
            )
        ],
        id="lanes-origin",
    ),
    pytest.param(
        refs.check_lanes,
        [put("lanes.fdc.ctiy", {"transit_time": "8h"})],
        [("lanes.fdc.ctiy", "unknown warehouse, region or hub 'ctiy' (did you mean 'city'?)")],
        id="lanes-destination",
    ),
    pytest.param(
        refs.check_lanes,
        [put("lanes.sorter.dc", {"transit_time": "2h"})],
        [
            (
                "lanes.sorter.dc",
                "a lane from a hub goes to a hub or a region; a transfer between warehouses "
                "needs a direct lane",
            )
        ],
        id="lanes-hub-to-warehouse",
    ),
    pytest.param(
        refs.check_lanes,
        [put("lanes.dc.dc", {"transit_time": "2h"})],
        [("lanes.dc.dc", "a lane must join two different nodes")],
        id="lanes-loop",
    ),
    pytest.param(
        refs.check_lanes,
        [put("lanes.dc.fdc.carriers", {"sf": {"transit_time": "4h"}})],
        [("lanes.dc.fdc.carriers", "only lanes to regions offer carriers")],
        id="lanes-carriers",
    ),
    pytest.param(
        refs.check_calendar,
        [put("calendar.warm_up", "30d")],
        [
            (
                "calendar.warm_up",
                "warm_up (30 d) must be shorter than the horizon (30 d); with --days, give more "
                "days than the warm-up",
            )
        ],
        id="calendar",
    ),
    pytest.param(
        refs.check_popularity,
        [put("skus.cable.popularity", 2.0)],
        [
            (
                "skus.cable.popularity",
                "popularity is set by sku_popularity; declare it in one place only",
            )
        ],
        id="popularity-twice",
    ),
    pytest.param(
        refs.check_popularity,
        [put("sku_popularity.class_shares", {"A": 3})],
        [("skus.cable.abc_class", "the abc popularity law has no share for class 'B' of this SKU")],
        id="popularity-class-shares",
    ),
    pytest.param(
        refs.check_popularity,
        [put("sku_popularity.class_shares", {"C": 1})],
        [("skus.phone.abc_class", "the abc popularity law has no share for class 'A' of this SKU")],
        id="popularity-first-sku-without-share",
    ),
    pytest.param(
        refs.check_categories,
        [put("skus.phone.category", "gadget")],
        [("skus.phone.category", "unknown category 'gadget' (did you mean 'gadgets'?)")],
        id="categories-unknown",
    ),
    pytest.param(
        refs.check_categories,
        [put("returns", DROP)],
        [
            (
                "categories",
                "return rates are declared but there is no `returns` block saying how returns "
                "come back",
            )
        ],
        id="categories-returns",
    ),
    pytest.param(
        refs.check_events,
        [put("events.double11.regions", ["cty"])],
        [("events.double11.regions.0", "unknown region 'cty' (did you mean 'city'?)")],
        id="events-regions",
    ),
    pytest.param(
        refs.check_events,
        [put("events.double11.presale.deposits_open", dt.date(2026, 11, 11))],
        [
            (
                "events.double11.presale.deposits_open",
                "deposits must open before the event starts (2026-11-11)",
            )
        ],
        id="events-deposits",
    ),
    pytest.param(
        refs.check_events,
        [put("events.encore", {"start": LATE, "presale": {"share": 0.1, "deposits_open": EARLY}})],
        [
            (
                "events.encore.presale",
                "pre-sales of events 'double11' and 'encore' overlap on 2026-11-12 in region "
                "'city'",
            ),
        ],
        id="events-presale-overlap",
    ),
]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_each_checker_passes_the_good_scenario(checker: Checker) -> None:
    assert checker(load_text(GOOD, "<test>")) == []


@pytest.mark.parametrize(("checker", "changes", "expected"), BAD)
def test_a_checker_alone_reports_the_field_and_message(
    checker: Checker, changes: list[Change], expected: list[tuple[str, str]]
) -> None:
    assert found(checker(unchecked(*changes))) == expected


@pytest.mark.parametrize(("checker", "changes", "expected"), BAD)
def test_the_loader_reports_the_same_problems(
    checker: Checker, changes: list[Change], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ScenarioError) as info:
        validate(changed(*changes), "<test>")
    reported = found(info.value.problems)
    assert all(problem in reported for problem in expected), reported


def test_check_runs_the_checkers_in_order() -> None:
    sc = unchecked(
        put("hubs.fdc", {"handling_time": "1h"}),
        put("lanes.vendor", {"dc": {"transit_time": "2d"}}),
        put("calendar.warm_up", "30d"),
        put("returns", DROP),
    )
    problems = refs.check(sc)
    assert [p.dotted() for p in problems] == [
        "hubs.fdc",
        "lanes.vendor",
        "calendar.warm_up",
        "categories",
    ]
    assert problems == [p for checker in CHECKERS for p in checker(sc)]


def test_event_checks_stop_at_the_first_presale_overlap() -> None:
    encore = {"start": LATE, "presale": {"share": 0.1, "deposits_open": EARLY}}
    sc = unchecked(
        put("events.encore", encore),
        put("events.later", {"start": LATE, "end": dt.date(2026, 11, 1)}),
    )
    assert [p.dotted() for p in refs.check_events(sc)] == ["events.encore.presale"]
