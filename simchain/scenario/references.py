"""Cross-reference checks: every id a block names must exist, and the network must be usable.

One checker per scenario section: each takes the whole schema-valid scenario and returns the
problems of its section, with their field paths; `check` runs them all in a fixed order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from simchain.errors import Problem, suggest
from simchain.policies.carriers import DEFAULT
from simchain.policies.stocking import PeakPrebuild
from simchain.scenario.paths import best_paths, hubs_reached
from simchain.scenario.schema import (
    CourierPeriod,
    Disruption,
    Event,
    Outage,
    Presale,
    Scenario,
    StaffingPeriod,
)
from simchain.timebase import days


def check(sc: Scenario) -> list[Problem]:
    """All cross-reference problems of a schema-valid scenario (empty when it is sound)."""
    return [
        *check_ids(sc),
        *check_suppliers(sc),
        *check_warehouses(sc),
        *check_replenishment_loops(sc),
        *check_disruptions(sc),
        *check_regions(sc),
        *check_lanes(sc),
        *check_calendar(sc),
        *check_demand(sc),
    ]


def _unknown_skus(
    sc: Scenario, names: Iterable[str], at: tuple[str | int, ...]
) -> Iterator[Problem]:
    """'unknown SKU' at `at`.name for each of `names` that is not a SKU id."""
    for sku in names:
        if sku not in sc.skus:
            yield Problem((*at, sku), f"unknown SKU '{sku}'" + suggest(sku, sc.skus))


def _ends_before_start(
    spans: Sequence[Outage | StaffingPeriod | CourierPeriod], at: tuple[str | int, ...]
) -> Iterator[Problem]:
    """'end is before start' at `at`.i.end for each dated span that ends before it starts."""
    for i, span in enumerate(spans):
        if span.end < span.start:
            yield Problem((*at, i, "end"), "end is before start")


# --- nodes and suppliers ------------------------------------------------------------------


def check_ids(sc: Scenario) -> list[Problem]:
    """Supplier, warehouse, region and hub ids are unique across the four blocks: every use
    of an id after its first is a problem."""
    blocks: dict[str, Iterable[str]] = {
        "supplier": sc.suppliers,
        "warehouse": sc.warehouses,
        "region": sc.regions,
        "hub": sc.hubs,
    }
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for kind, block in blocks.items():
        for node in block:
            if node in seen:
                problems.append(
                    Problem(
                        (f"{kind}s", node),
                        f"id '{node}' is used for a {seen[node]} and a {kind}; ids must be unique",
                    )
                )
            seen.setdefault(node, kind)
    return problems


def check_suppliers(sc: Scenario) -> list[Problem]:
    """Suppliers' unit prices name known SKUs, and their outages end no earlier than they
    start."""
    problems: list[Problem] = []
    for sid, sup in sc.suppliers.items():
        problems += _unknown_skus(sc, sup.unit_prices, ("suppliers", sid, "unit_prices"))
        problems += _ends_before_start(sup.outages, ("suppliers", sid, "outages"))
    return problems


# --- warehouses ---------------------------------------------------------------------------


def check_warehouses(sc: Scenario) -> list[Problem]:
    """Each warehouse in turn: its sources, transshipment siblings, sourcing, picker periods,
    initial stock and stocking policies."""
    problems: list[Problem] = []
    for wid, wh in sc.warehouses.items():
        base = ("warehouses", wid)
        problems += _replenished_from(sc, wid)
        problems += _transship_from(sc, wid)
        problems += _sourcing(sc, wid)
        if wh.pickers is not None:
            problems += _ends_before_start(wh.pickers.periods, (*base, "pickers", "periods"))
        if isinstance(wh.initial_stock, dict):
            problems += _unknown_skus(sc, wh.initial_stock, (*base, "initial_stock"))
        problems += _stocking(sc, wid)
    return problems


def _replenished_from(sc: Scenario, wid: str) -> Iterator[Problem]:
    """A warehouse's sources are known suppliers, or one other warehouse with a lane from it,
    and none is listed twice."""
    sources = sc.sources(wid)
    field: tuple[str | int, ...] = ("warehouses", wid, "replenished_from")
    many = not isinstance(sc.warehouses[wid].replenished_from, str)
    for i, src in enumerate(sources):
        at = (*field, i) if many else field
        if src == wid:
            yield Problem(at, "a warehouse cannot replenish from itself")
        elif src not in sc.suppliers and src not in sc.warehouses:
            yield Problem(
                at,
                f"unknown supplier or warehouse '{src}'"
                + suggest(src, [*sc.suppliers, *sc.warehouses]),
            )
        elif src in sc.warehouses and len(sources) > 1:
            yield Problem(at, "several sources must all be suppliers; a warehouse has one upstream")
        elif src in sc.warehouses and wid not in sc.lanes.get(src, {}):
            yield Problem(at, f"replenishing from warehouse '{src}' needs a lane lanes.{src}.{wid}")
    if len(set(sources)) < len(sources):
        yield Problem(field, "a supplier is listed twice")


def _transship_from(sc: Scenario, wid: str) -> Iterator[Problem]:
    """A warehouse transships from known sibling warehouses (not up or down its replenishment
    line), each listed once and with a lane to it."""
    listed = sc.warehouses[wid].transship_from
    for i, sib in enumerate(listed):
        at = ("warehouses", wid, "transship_from", i)
        if sib == wid:
            yield Problem(at, "a warehouse cannot transship from itself")
        elif sib not in sc.warehouses:
            yield Problem(at, f"unknown warehouse '{sib}'" + suggest(sib, sc.warehouses))
        elif sib in sc.sources(wid) or wid in sc.sources(sib):
            yield Problem(
                at,
                f"'{sib}' is in a replenishment line with '{wid}'; transshipments are "
                "between siblings, not to or from the upstream warehouse",
            )
        elif sib in listed[:i]:
            yield Problem(at, f"warehouse '{sib}' is listed twice")
        elif wid not in sc.lanes.get(sib, {}):
            yield Problem(
                at, f"transshipping from warehouse '{sib}' needs a lane lanes.{sib}.{wid}"
            )


def _sourcing(sc: Scenario, wid: str) -> Iterator[Problem]:
    """A warehouse's sourcing kind fits its number of suppliers, and split shares name exactly
    those suppliers."""
    sourcing = sc.warehouses[wid].sourcing
    sources = sc.sources(wid)
    at = ("warehouses", wid, "sourcing")
    if sourcing.kind == "single" and len(sources) > 1:
        yield Problem(
            at,
            f"{len(sources)} suppliers need a sourcing kind other than 'single' "
            "(primary_backup, split, cheapest or fastest)",
        )
    elif sourcing.kind != "single" and len(sources) < 2:
        yield Problem(at, f"sourcing '{sourcing.kind}' needs at least two suppliers")
    shares = getattr(sourcing, "shares", None)
    if shares is not None and set(shares) != set(sources):
        yield Problem(
            (*at, "shares"),
            "shares must name exactly the suppliers in replenished_from: " + ", ".join(sources),
        )


def _stocking(sc: Scenario, wid: str) -> Iterator[Problem]:
    """A warehouse's stocking policies: peak pre-builds fit their events, per-SKU and per-class
    entries name known SKUs and classes, and without a default every SKU has a policy."""
    st = sc.warehouses[wid].stocking
    at = ("warehouses", wid, "stocking")
    yield from _peak_prebuilds(sc, wid)
    yield from _unknown_skus(sc, st.skus, (*at, "skus"))
    classes = {s.abc_class for s in sc.skus.values() if s.abc_class is not None}
    for cls in st.classes:
        if cls not in classes:
            yield Problem(
                (*at, "classes", cls), f"no SKU has abc_class '{cls}'" + suggest(cls, classes)
            )
    if st.default is None:
        uncovered = [
            s
            for s, spec in sc.skus.items()
            if s not in st.skus and (spec.abc_class is None or spec.abc_class not in st.classes)
        ]
        if uncovered:
            yield Problem(
                at,
                f"no policy for SKU(s) {', '.join(uncovered[:5])}"
                + (" ..." if len(uncovered) > 5 else "")
                + "; add a 'default', a class entry or a per-SKU entry",
            )


def _peak_prebuilds(sc: Scenario, wid: str) -> Iterator[Problem]:
    """Each peak pre-build policy of a warehouse (default, per class, per SKU) names a known
    event and is built by that event's start."""
    st = sc.warehouses[wid].stocking
    entries = [
        (("default",), st.default),
        *((("classes", k), v) for k, v in st.classes.items()),
        *((("skus", k), v) for k, v in st.skus.items()),
    ]
    for where, policy in entries:
        if not isinstance(policy, PeakPrebuild):
            continue
        spot = ("warehouses", wid, "stocking", *where)
        event = policy.event
        if event not in sc.events:
            yield Problem((*spot, "event"), f"unknown event '{event}'" + suggest(event, sc.events))
        elif policy.build_by > sc.events[event].start:
            yield Problem((*spot, "build_by"), f"build_by must not be after the start of '{event}'")


def check_replenishment_loops(sc: Scenario) -> list[Problem]:
    """Warehouse replenishment ends at a supplier: following each warehouse's (first) source
    upstream never comes back to a warehouse already passed."""
    problems: list[Problem] = []
    for wid in sc.warehouses:
        chain = [wid]
        node = sc.sources(wid)[0]
        while node in sc.warehouses:
            if node in chain:
                problems.append(
                    Problem(
                        ("warehouses", wid, "replenished_from"),
                        "replenishment loops: " + " -> ".join([*chain, node]),
                    )
                )
                break
            chain.append(node)
            node = sc.sources(node)[0]
    return problems


# --- disruptions --------------------------------------------------------------------------


def check_disruptions(sc: Scenario) -> list[Problem]:
    """Each disruption: its dates or random timing, that every effect it sets has nodes of the
    kind it acts on, and that every node is known and affected."""
    problems: list[Problem] = []
    for did, dis in sc.disruptions.items():
        problems += _disruption_effects(sc, did, dis)
        problems += _disruption_nodes(sc, did, dis)
    return problems


def _disruption_effects(sc: Scenario, did: str, dis: Disruption) -> Iterator[Problem]:
    """A disruption's timing is sound, and each effect it sets names nodes it can act on:
    warehouses for lost stock, regions for demand, suppliers for lead times, and any other
    node for lanes, transit, couriers and pickers."""
    base = ("disruptions", did)
    if dis.start is not None and dis.end is not None and dis.end < dis.start:
        yield Problem((*base, "end"), "end is before start")
    spec = dis.random
    if spec is not None and spec.every.mean_value() + spec.duration.mean_value() <= 0:
        yield Problem((*base, "random"), "every and duration cannot both be zero")
    if dis.stock_lost > 0 and not any(n in sc.warehouses for n in dis.nodes):
        yield Problem(
            (*base, "stock_lost"),
            "stock is lost at warehouses, but nodes names none: add a warehouse id",
        )
    if dis.demand_factor != 1 and not any(n in sc.regions for n in dis.nodes):
        yield Problem(
            (*base, "demand_factor"),
            "demand shocks hit regions, but nodes names none: add a region id",
        )
    places_hit = [n for n in dis.nodes if n not in sc.suppliers]
    acting = {
        "lanes_closed": dis.lanes_closed,
        "transit_factor": dis.transit_factor != 1,
        "courier_factor": dis.courier_factor != 1,
        "picker_factor": dis.picker_factor != 1,
    }
    for field in (f for f, on in acting.items() if on and not places_hit):
        yield Problem(
            (*base, field),
            f"{field} acts on warehouses, regions and hubs, but nodes names only suppliers",
        )
    if dis.lead_time_factor != 1 and not any(n in sc.suppliers for n in dis.nodes):
        yield Problem(
            (*base, "lead_time_factor"),
            "lead times are the suppliers', but nodes names none: add a supplier id",
        )


def _disruption_nodes(sc: Scenario, did: str, dis: Disruption) -> Iterator[Problem]:
    """Each node of a disruption is a known warehouse, region, hub or supplier, and a supplier
    is only named when the disruption changes its lead times."""
    for i, node in enumerate(dis.nodes):
        at = ("disruptions", did, "nodes", i)
        if node in sc.suppliers:
            if dis.lead_time_factor == 1:
                yield Problem(
                    at,
                    f"supplier '{node}' is hit only through lead_time_factor, which is 1 "
                    "here (for a supplier that stops, use its outages)",
                )
        elif node not in sc.warehouses and node not in sc.regions and node not in sc.hubs:
            yield Problem(
                at,
                f"unknown {'warehouse, region, hub' if sc.hubs else 'warehouse, region'}"
                f" or supplier '{node}'"
                + suggest(node, [*sc.warehouses, *sc.regions, *sc.hubs, *sc.suppliers]),
            )


# --- regions and lanes --------------------------------------------------------------------


def check_regions(sc: Scenario) -> list[Problem]:
    """Each region: its courier periods, that the warehouses serving it exist and reach it
    (directly or through hubs), that its service classes' carriers are offered on a lane to
    it, and that its SKU weights name known SKUs."""
    paths = {w: best_paths(sc, w) for w in sc.warehouses}
    problems: list[Problem] = []
    for rid, region in sc.regions.items():
        base = ("regions", rid)
        if region.last_mile is not None:
            problems += _ends_before_start(
                region.last_mile.periods, (*base, "last_mile", "periods")
            )
        for i, wid in enumerate(region.served_by):
            if wid not in sc.warehouses:
                problems.append(
                    Problem(
                        (*base, "served_by", i),
                        f"unknown warehouse '{wid}'" + suggest(wid, sc.warehouses),
                    )
                )
            elif rid not in paths[wid]:
                problems.append(Problem((*base, "served_by", i), _no_path(sc, wid, rid)))
        problems += _service_carriers(sc, rid)
        weights = region.demand.sku_weights or {}
        problems += _unknown_skus(sc, weights, (*base, "demand", "sku_weights"))
    return problems


def _no_path(sc: Scenario, warehouse: str, region: str) -> str:
    """Why a warehouse cannot reach a region it serves: the direct lane is missing, and so is
    every path through hubs (naming the hubs on either side, where there are any)."""
    msg = (
        f"warehouse '{warehouse}' serves region '{region}' but there is no lane "
        f"lanes.{warehouse}.{region}"
    )
    if not sc.hubs:
        return msg
    reached = hubs_reached(sc, warehouse)
    into = [h for h in sc.hubs if region in sc.lanes.get(h, {})]
    msg += " nor a path through hubs"
    if not reached:
        return msg + f" (no lane from '{warehouse}' to a hub)"
    if not into:
        return msg + f" (no lane from a hub to '{region}')"
    return (
        msg + f" (hubs reached from '{warehouse}': {', '.join(reached)}; "
        f"hubs with a lane to '{region}': {', '.join(into)})"
    )


def _service_carriers(sc: Scenario, rid: str) -> Iterator[Problem]:
    """The carrier a region's service class asks for is offered on a lane to the region, from
    a warehouse serving it or from a hub."""
    region = sc.regions[rid]
    offered = {
        c
        for origin in [*region.served_by, *sc.hubs]
        if (lane := sc.lanes.get(origin, {}).get(rid)) is not None
        for c in lane.carriers
    }
    for cname, service in region.service_classes.items():
        if service.carrier is not None and service.carrier not in offered:
            yield Problem(
                ("regions", rid, "service_classes", cname, "carrier"),
                f"no lane to region '{rid}' offers carrier '{service.carrier}'"
                + suggest(service.carrier, sorted(offered)),
            )


def check_lanes(sc: Scenario) -> list[Problem]:
    """Lanes start at a warehouse or a hub and end at another known node, and each lane's
    carriers and parcel costs fit where it goes."""
    problems: list[Problem] = []
    for origin, dests in sc.lanes.items():
        if origin not in sc.warehouses and origin not in sc.hubs:
            hint = (
                " (a supplier's lead_time already includes its transport)"
                if origin in sc.suppliers
                else suggest(origin, [*sc.warehouses, *sc.hubs])
            )
            problems.append(
                Problem(
                    ("lanes", origin),
                    "lanes start at a warehouse or a hub; unknown warehouse or hub "
                    f"'{origin}'" + hint,
                )
            )
        for dest in dests:
            problem = _lane_problem(sc, origin, dest)
            if problem is not None:
                problems.append(problem)
    return problems


def _lane_problem(sc: Scenario, origin: str, dest: str) -> Problem | None:
    """The first thing wrong with the lane from `origin` to `dest`: an unknown destination,
    a hub-to-warehouse lane, a loop, carriers or a parcel cost on a lane that carries no
    parcels, or a carrier named after the lane's own; None when it is sound."""
    at = ("lanes", origin, dest)
    lane = sc.lanes[origin][dest]
    if dest not in sc.warehouses and dest not in sc.regions and dest not in sc.hubs:
        places = "warehouse, region or hub" if sc.hubs else "warehouse or region"
        return Problem(
            at,
            f"unknown {places} '{dest}'" + suggest(dest, [*sc.warehouses, *sc.regions, *sc.hubs]),
        )
    if origin in sc.hubs and dest in sc.warehouses:
        return Problem(
            at,
            "a lane from a hub goes to a hub or a region; "
            "a transfer between warehouses needs a direct lane",
        )
    if dest == origin:
        return Problem(at, "a lane must join two different nodes")
    if lane.carriers and dest not in sc.regions:
        return Problem((*at, "carriers"), "only lanes to regions offer carriers")
    if lane.cost_per_parcel and dest not in sc.regions:
        return Problem(
            (*at, "cost_per_parcel"), "only lanes to regions carry parcels; use cost_per_unit"
        )
    if DEFAULT in lane.carriers:
        return Problem(
            (*at, "carriers", DEFAULT), f"'{DEFAULT}' is the lane's own carrier; use another name"
        )
    return None


def check_calendar(sc: Scenario) -> list[Problem]:
    """The warm-up is shorter than the horizon."""
    if sc.calendar.warm_up < sc.calendar.horizon:
        return []
    return [
        Problem(
            ("calendar", "warm_up"),
            f"warm_up ({days(sc.calendar.warm_up):g} d) must be shorter than the horizon "
            f"({days(sc.calendar.horizon):g} d); with --days, give more days than the warm-up",
        )
    ]


# --- demand -------------------------------------------------------------------------------


def check_demand(sc: Scenario) -> list[Problem]:
    """Popularity laws, categories and returns, and events."""
    return [*check_popularity(sc), *check_categories(sc), *check_events(sc)]


def check_popularity(sc: Scenario) -> list[Problem]:
    """With an sku_popularity law, no SKU sets its own popularity, and the abc law has class
    shares with a share for every SKU's class (the first SKU without one is reported)."""
    law = sc.sku_popularity
    if law is None:
        return []
    problems = [
        Problem(
            ("skus", sku, "popularity"),
            "popularity is set by sku_popularity; declare it in one place only",
        )
        for sku, spec in sc.skus.items()
        if spec.popularity is not None
    ]
    if law.law != "abc":
        return problems
    if not law.class_shares:
        return [
            *problems,
            Problem(("sku_popularity", "class_shares"), "the abc law needs class_shares"),
        ]
    for sku, spec in sc.skus.items():
        if spec.abc_class is None or spec.abc_class not in law.class_shares:
            problems.append(
                Problem(
                    ("skus", sku, "abc_class"),
                    f"the abc popularity law has no share for class {spec.abc_class!r} of this SKU",
                )
            )
            break
    return problems


def check_categories(sc: Scenario) -> list[Problem]:
    """SKUs name known categories, and categories with return rates come with a `returns`
    block."""
    problems = [
        Problem(
            ("skus", sku, "category"),
            f"unknown category '{spec.category}'" + suggest(spec.category, sc.categories),
        )
        for sku, spec in sc.skus.items()
        if spec.category is not None and spec.category not in sc.categories
    ]
    if sc.returns is None and any(c.return_rate > 0 for c in sc.categories.values()):
        problems.append(
            Problem(
                ("categories",),
                "return rates are declared but there is no `returns` block "
                "saying how returns come back",
            )
        )
    return problems


def check_events(sc: Scenario) -> list[Problem]:
    """Each event ends no earlier than it starts and names known regions, and its pre-sale is
    sound and overlaps no earlier event's pre-sale in a region (checking stops at the first
    overlap)."""
    problems: list[Problem] = []
    presale_days: dict[str, str] = {}
    for name, ev in sc.events.items():
        base = ("events", name)
        if ev.end is not None and ev.end < ev.start:
            problems.append(Problem((*base, "end"), f"end ({ev.end}) is before start ({ev.start})"))
        for i, region in enumerate(ev.regions or []):
            if region not in sc.regions:
                problems.append(
                    Problem(
                        (*base, "regions", i),
                        f"unknown region '{region}'" + suggest(region, sc.regions),
                    )
                )
        if ev.presale is not None:
            problems += _presale(name, ev.presale, ev.start)
            overlap = _presale_overlap(sc, name, ev, presale_days)
            if overlap is not None:
                problems.append(overlap)
                break
    return problems


def _presale(name: str, presale: Presale, start: dt.date) -> Iterator[Problem]:
    """A pre-sale's transit is for pre-positioned parcels only, and its deposits open before
    the event starts."""
    base = ("events", name, "presale")
    if presale.transit is not None and not presale.prepositioned:
        yield Problem(
            (*base, "transit"),
            "transit applies to pre-positioned parcels only; set prepositioned: true or remove it",
        )
    if presale.deposits_open >= start:
        yield Problem(
            (*base, "deposits_open"), f"deposits must open before the event starts ({start})"
        )


def _presale_overlap(
    sc: Scenario, name: str, ev: Event, presale_days: dict[str, str]
) -> Problem | None:
    """The first region and day where an event's pre-sale meets an earlier event's, or None.
    Records the event's days in `presale_days` ('region/day' -> event name) as it goes."""
    day = ev.start
    while day <= ev.last:
        for region in ev.regions or list(sc.regions):
            key = f"{region}/{day}"
            if key in presale_days:
                return Problem(
                    ("events", name, "presale"),
                    f"pre-sales of events '{presale_days[key]}' and "
                    f"'{name}' overlap on {day} in region '{region}'",
                )
            presale_days[key] = name
        day = day + dt.timedelta(days=1)
    return None
