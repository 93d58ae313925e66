"""Scenario builders for the tests: one minimal valid scenario and the pieces tests vary.

Most tests need a small network (one supplier, one warehouse, one region) with a few fields
changed. Writing that mapping out again in every test file hid what each test actually
varies and let the copies drift apart; here it is written once. A test builds from
`scenario()`, passing only the sections it changes, and edits the returned dict for anything
more special. The result is the raw mapping a scenario file would hold, so it goes through
the project's own validation (`validated`, `loaded_as_yaml`) exactly as user input does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from simchain.scenario import Scenario, load_text, validate

Data = dict[str, Any]


def product(unit_cost: float = 5.0, price: float = 9.0, **fields: Any) -> Data:
    """A SKU entry; the defaults are the cheap item most tests sell, `fields` adds e.g.
    abc_class."""
    return {"unit_cost": unit_cost, "price": price, **fields}


def base_stock(S: int) -> Data:
    """A base-stock policy of order-up-to level S: with a large S, stock that never runs out."""
    return {"kind": "base_stock", "S": S}


def warehouse(
    stocking: Data, *, replenished_from: str | list[str] = "vendor", **fields: Any
) -> Data:
    """A warehouse stocking every SKU by the policy `stocking`, replenished from `vendor`
    unless told otherwise; `fields` adds pickers, initial_stock, receivers and the like."""
    return {"replenished_from": replenished_from, **fields, "stocking": {"default": stocking}}


def region(
    orders_per_day: float,
    *,
    served_by: str | list[str] = "dc",
    demand: Data | None = None,
    **fields: Any,
) -> Data:
    """A region ordering `orders_per_day`, served by `served_by` (a warehouse or a list of
    them); `demand` adds demand fields (units_per_line, ...), `fields` region fields
    (promised_within, last_mile, ...)."""
    return {
        "served_by": [served_by] if isinstance(served_by, str) else list(served_by),
        "demand": {"orders_per_day": orders_per_day, **(demand or {})},
        **fields,
    }


def scenario(
    name: str,
    *,
    start: str | dt.date = "2026-11-01",
    horizon: str = "10d",
    warm_up: str | None = "1d",
    skus: Data | None = None,
    suppliers: Data | None = None,
    warehouses: Data | None = None,
    regions: Data | None = None,
    lanes: Data | None = None,
    **sections: Any,
) -> Data:
    """The raw mapping of a valid scenario. Left out, a section is the smallest network:
    SKU `a`, supplier `vendor` (1 day), warehouse `dc` with ample base stock, region `town`
    of 100 orders a day, a 1-day lane dc -> town. `warm_up=None` leaves the warm-up out (the
    scenario default). `sections` adds top-level sections as they are (events, hubs,
    routing, ...). Sections passed in are used as they are, not copied: a test may keep
    editing them after the call."""
    calendar: Data = {"start": start, "horizon": horizon}
    if warm_up is not None:
        calendar["warm_up"] = warm_up
    return {
        "schema_version": 1,
        "name": name,
        "calendar": calendar,
        "skus": {"a": product()} if skus is None else skus,
        "suppliers": {"vendor": {"lead_time": "1d"}} if suppliers is None else suppliers,
        "warehouses": {"dc": warehouse(base_stock(100_000))} if warehouses is None else warehouses,
        "regions": {"town": region(100)} if regions is None else regions,
        "lanes": {"dc": {"town": {"transit_time": "1d"}}} if lanes is None else lanes,
        **sections,
    }


def validated(data: Data, source: str = "<test>") -> Scenario:
    """Validate a scenario mapping as the loader validates a parsed file (all checks, errors
    as ScenarioError naming `source`)."""
    return validate(data, source)


def loaded_as_yaml(data: Data, source: str = "<test>") -> Scenario:
    """The mapping written out as YAML and read back with `load_text`, the path a scenario
    file takes (parsing and line numbers included)."""
    return load_text(yaml.safe_dump(data, sort_keys=False), source)
