"""Cross-reference checks: every id a block names must exist, and the network must be usable."""

from __future__ import annotations

import datetime as dt

from simchain.errors import Problem, suggest
from simchain.policies.carriers import DEFAULT
from simchain.policies.stocking import PeakPrebuild
from simchain.scenario.paths import best_paths, hubs_reached
from simchain.scenario.schema import Scenario
from simchain.timebase import days


def check(sc: Scenario) -> list[Problem]:
    """All cross-reference problems of a schema-valid scenario (empty when it is sound)."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], msg: str) -> None:
        problems.append(Problem(path, msg))

    kinds: dict[str, list[str]] = {
        "supplier": list(sc.suppliers),
        "warehouse": list(sc.warehouses),
        "region": list(sc.regions),
        "hub": list(sc.hubs),
    }
    seen: dict[str, str] = {}
    for kind, block in kinds.items():
        for node in block:
            if node in seen:
                bad(
                    (f"{kind}s" if kind != "region" else "regions", node),
                    f"id '{node}' is used for a {seen[node]} and a {kind}; ids must be unique",
                )
            seen.setdefault(node, kind)
    classes = {s.abc_class for s in sc.skus.values() if s.abc_class is not None}
    places = "warehouse, region or hub" if sc.hubs else "warehouse or region"

    for sid, sup in sc.suppliers.items():
        for sku in sup.unit_prices:
            if sku not in sc.skus:
                bad(
                    ("suppliers", sid, "unit_prices", sku),
                    f"unknown SKU '{sku}'" + suggest(sku, sc.skus),
                )
        for i, out in enumerate(sup.outages):
            if out.end < out.start:
                bad(("suppliers", sid, "outages", i, "end"), "end is before start")

    for wid, wh in sc.warehouses.items():
        base = ("warehouses", wid)
        sources = sc.sources(wid)
        many = not isinstance(wh.replenished_from, str)
        for i, src in enumerate(sources):
            at = (*base, "replenished_from", i) if many else (*base, "replenished_from")
            if src == wid:
                bad(at, "a warehouse cannot replenish from itself")
            elif src not in sc.suppliers and src not in sc.warehouses:
                bad(
                    at,
                    f"unknown supplier or warehouse '{src}'"
                    + suggest(src, [*sc.suppliers, *sc.warehouses]),
                )
            elif src in sc.warehouses and len(sources) > 1:
                bad(at, "several sources must all be suppliers; a warehouse has one upstream")
            elif src in sc.warehouses and wid not in sc.lanes.get(src, {}):
                bad(at, f"replenishing from warehouse '{src}' needs a lane lanes.{src}.{wid}")
        if len(set(sources)) < len(sources):
            bad((*base, "replenished_from"), "a supplier is listed twice")
        for i, sib in enumerate(wh.transship_from):
            at = (*base, "transship_from", i)
            if sib == wid:
                bad(at, "a warehouse cannot transship from itself")
            elif sib not in sc.warehouses:
                bad(at, f"unknown warehouse '{sib}'" + suggest(sib, sc.warehouses))
            elif sib in sources or wid in sc.sources(sib):
                bad(
                    at,
                    f"'{sib}' is in a replenishment line with '{wid}'; transshipments are "
                    "between siblings, not to or from the upstream warehouse",
                )
            elif sib in wh.transship_from[:i]:
                bad(at, f"warehouse '{sib}' is listed twice")
            elif wid not in sc.lanes.get(sib, {}):
                bad(at, f"transshipping from warehouse '{sib}' needs a lane lanes.{sib}.{wid}")
        kind = wh.sourcing.kind
        if kind == "single" and len(sources) > 1:
            bad(
                (*base, "sourcing"),
                f"{len(sources)} suppliers need a sourcing kind other than 'single' "
                "(primary_backup, split, cheapest or fastest)",
            )
        elif kind != "single" and len(sources) < 2:
            bad((*base, "sourcing"), f"sourcing '{kind}' needs at least two suppliers")
        shares = getattr(wh.sourcing, "shares", None)
        if shares is not None and set(shares) != set(sources):
            bad(
                (*base, "sourcing", "shares"),
                "shares must name exactly the suppliers in replenished_from: " + ", ".join(sources),
            )
        if wh.pickers is not None:
            for i, period in enumerate(wh.pickers.periods):
                if period.end < period.start:
                    bad((*base, "pickers", "periods", i, "end"), "end is before start")
        if isinstance(wh.initial_stock, dict):
            for sku in wh.initial_stock:
                if sku not in sc.skus:
                    bad(
                        (*base, "initial_stock", sku),
                        f"unknown SKU '{sku}'" + suggest(sku, sc.skus),
                    )
        st = wh.stocking
        entries = [
            (("default",), st.default),
            *((("classes", k), v) for k, v in st.classes.items()),
            *((("skus", k), v) for k, v in st.skus.items()),
        ]
        for where, policy in entries:
            if not isinstance(policy, PeakPrebuild):
                continue
            spot = (*base, "stocking", *where)
            event = policy.event
            if event not in sc.events:
                bad((*spot, "event"), f"unknown event '{event}'" + suggest(event, sc.events))
            elif policy.build_by > sc.events[event].start:
                bad((*spot, "build_by"), f"build_by must not be after the start of '{event}'")
        for sku in st.skus:
            if sku not in sc.skus:
                bad(
                    (*base, "stocking", "skus", sku), f"unknown SKU '{sku}'" + suggest(sku, sc.skus)
                )
        for cls in st.classes:
            if cls not in classes:
                bad(
                    (*base, "stocking", "classes", cls),
                    f"no SKU has abc_class '{cls}'" + suggest(cls, classes),
                )
        if st.default is None:
            uncovered = [
                s
                for s, spec in sc.skus.items()
                if s not in st.skus and (spec.abc_class is None or spec.abc_class not in st.classes)
            ]
            if uncovered:
                bad(
                    (*base, "stocking"),
                    f"no policy for SKU(s) {', '.join(uncovered[:5])}"
                    + (" ..." if len(uncovered) > 5 else "")
                    + "; add a 'default', a class entry or a per-SKU entry",
                )

    # Warehouse replenishment must end at a supplier: no cycles.
    for wid in sc.warehouses:
        chain = [wid]
        node = sc.sources(wid)[0]
        while node in sc.warehouses:
            if node in chain:
                bad(
                    ("warehouses", wid, "replenished_from"),
                    "replenishment loops: " + " -> ".join([*chain, node]),
                )
                break
            chain.append(node)
            node = sc.sources(node)[0]

    for did, dis in sc.disruptions.items():
        if dis.start is not None and dis.end is not None and dis.end < dis.start:
            bad(("disruptions", did, "end"), "end is before start")
        spec = dis.random
        if spec is not None and spec.every.mean_value() + spec.duration.mean_value() <= 0:
            bad(("disruptions", did, "random"), "every and duration cannot both be zero")
        if dis.stock_lost > 0 and not any(n in sc.warehouses for n in dis.nodes):
            bad(
                ("disruptions", did, "stock_lost"),
                "stock is lost at warehouses, but nodes names none: add a warehouse id",
            )
        if dis.demand_factor != 1 and not any(n in sc.regions for n in dis.nodes):
            bad(
                ("disruptions", did, "demand_factor"),
                "demand shocks hit regions, but nodes names none: add a region id",
            )
        hit = [n for n in dis.nodes if n in sc.suppliers]
        places_hit = [n for n in dis.nodes if n not in sc.suppliers]
        acting = {
            "lanes_closed": dis.lanes_closed,
            "transit_factor": dis.transit_factor != 1,
            "courier_factor": dis.courier_factor != 1,
            "picker_factor": dis.picker_factor != 1,
        }
        for field in (f for f, on in acting.items() if on and not places_hit):
            bad(
                ("disruptions", did, field),
                f"{field} acts on warehouses, regions and hubs, but nodes names only suppliers",
            )
        if dis.lead_time_factor != 1 and not hit:
            bad(
                ("disruptions", did, "lead_time_factor"),
                "lead times are the suppliers', but nodes names none: add a supplier id",
            )
        for i, node in enumerate(dis.nodes):
            if node in sc.suppliers:
                if dis.lead_time_factor == 1:
                    bad(
                        ("disruptions", did, "nodes", i),
                        f"supplier '{node}' is hit only through lead_time_factor, which is 1 "
                        "here (for a supplier that stops, use its outages)",
                    )
            elif node not in sc.warehouses and node not in sc.regions and node not in sc.hubs:
                bad(
                    ("disruptions", did, "nodes", i),
                    f"unknown {'warehouse, region, hub' if sc.hubs else 'warehouse, region'}"
                    f" or supplier '{node}'"
                    + suggest(node, [*sc.warehouses, *sc.regions, *sc.hubs, *sc.suppliers]),
                )

    paths = {w: best_paths(sc, w) for w in sc.warehouses}
    for rid, region in sc.regions.items():
        base = ("regions", rid)
        if region.last_mile is not None:
            for i, span in enumerate(region.last_mile.periods):
                if span.end < span.start:
                    bad((*base, "last_mile", "periods", i, "end"), "end is before start")
        for i, wid in enumerate(region.served_by):
            if wid not in sc.warehouses:
                bad(
                    (*base, "served_by", i),
                    f"unknown warehouse '{wid}'" + suggest(wid, sc.warehouses),
                )
            elif rid not in paths[wid]:
                bad((*base, "served_by", i), _no_path(sc, wid, rid))
        offered = {
            c
            for origin in [*region.served_by, *sc.hubs]
            if (lane := sc.lanes.get(origin, {}).get(rid)) is not None
            for c in lane.carriers
        }
        for cname, service in region.service_classes.items():
            if service.carrier is not None and service.carrier not in offered:
                bad(
                    (*base, "service_classes", cname, "carrier"),
                    f"no lane to region '{rid}' offers carrier '{service.carrier}'"
                    + suggest(service.carrier, sorted(offered)),
                )
        weights = region.demand.sku_weights
        for sku in weights or {}:
            if sku not in sc.skus:
                bad(
                    (*base, "demand", "sku_weights", sku),
                    f"unknown SKU '{sku}'" + suggest(sku, sc.skus),
                )

    for origin, dests in sc.lanes.items():
        if origin not in sc.warehouses and origin not in sc.hubs:
            hint = (
                " (a supplier's lead_time already includes its transport)"
                if origin in sc.suppliers
                else suggest(origin, [*sc.warehouses, *sc.hubs])
            )
            bad(
                ("lanes", origin),
                f"lanes start at a warehouse or a hub; unknown warehouse or hub '{origin}'" + hint,
            )
        for dest in dests:
            if dest not in sc.warehouses and dest not in sc.regions and dest not in sc.hubs:
                bad(
                    ("lanes", origin, dest),
                    f"unknown {places} '{dest}'"
                    + suggest(dest, [*sc.warehouses, *sc.regions, *sc.hubs]),
                )
            elif origin in sc.hubs and dest in sc.warehouses:
                bad(
                    ("lanes", origin, dest),
                    "a lane from a hub goes to a hub or a region; "
                    "a transfer between warehouses needs a direct lane",
                )
            elif dest == origin:
                bad(("lanes", origin, dest), "a lane must join two different nodes")
            elif dests[dest].carriers and dest not in sc.regions:
                bad(("lanes", origin, dest, "carriers"), "only lanes to regions offer carriers")
            elif dests[dest].cost_per_parcel and dest not in sc.regions:
                bad(
                    ("lanes", origin, dest, "cost_per_parcel"),
                    "only lanes to regions carry parcels; use cost_per_unit",
                )
            elif DEFAULT in dests[dest].carriers:
                bad(
                    ("lanes", origin, dest, "carriers", DEFAULT),
                    f"'{DEFAULT}' is the lane's own carrier; use another name",
                )

    if sc.calendar.warm_up >= sc.calendar.horizon:
        bad(
            ("calendar", "warm_up"),
            f"warm_up ({days(sc.calendar.warm_up):g} d) must be shorter than the horizon "
            f"({days(sc.calendar.horizon):g} d); with --days, give more days than the warm-up",
        )
    return problems + check_demand(sc)


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


def check_demand(sc: Scenario) -> list[Problem]:
    """Events, popularity laws, categories and returns."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], msg: str) -> None:
        problems.append(Problem(path, msg))

    law = sc.sku_popularity
    if law is not None:
        for sku, spec in sc.skus.items():
            if spec.popularity is not None:
                bad(
                    ("skus", sku, "popularity"),
                    "popularity is set by sku_popularity; declare it in one place only",
                )
        if law.law == "abc":
            if not law.class_shares:
                bad(("sku_popularity", "class_shares"), "the abc law needs class_shares")
            else:
                for sku, spec in sc.skus.items():
                    if spec.abc_class is None or spec.abc_class not in law.class_shares:
                        bad(
                            ("skus", sku, "abc_class"),
                            f"the abc popularity law has no share for class "
                            f"{spec.abc_class!r} of this SKU",
                        )
                        break
    for sku, spec in sc.skus.items():
        if spec.category is not None and spec.category not in sc.categories:
            bad(
                ("skus", sku, "category"),
                f"unknown category '{spec.category}'" + suggest(spec.category, sc.categories),
            )
    if sc.returns is None and any(c.return_rate > 0 for c in sc.categories.values()):
        bad(
            ("categories",),
            "return rates are declared but there is no `returns` block "
            "saying how returns come back",
        )
    presale_days: dict[str, str] = {}
    for name, ev in sc.events.items():
        base = ("events", name)
        if ev.end is not None and ev.end < ev.start:
            bad((*base, "end"), f"end ({ev.end}) is before start ({ev.start})")
        for i, region in enumerate(ev.regions or []):
            if region not in sc.regions:
                bad(
                    (*base, "regions", i),
                    f"unknown region '{region}'" + suggest(region, sc.regions),
                )
        if ev.presale is not None:
            if ev.presale.transit is not None and not ev.presale.prepositioned:
                bad(
                    (*base, "presale", "transit"),
                    "transit applies to pre-positioned parcels only; set prepositioned: true "
                    "or remove it",
                )
            if ev.presale.deposits_open >= ev.start:
                bad(
                    (*base, "presale", "deposits_open"),
                    f"deposits must open before the event starts ({ev.start})",
                )
            day = ev.start
            while day <= ev.last:
                for region in ev.regions or list(sc.regions):
                    key = f"{region}/{day}"
                    if key in presale_days:
                        bad(
                            (*base, "presale"),
                            f"pre-sales of events '{presale_days[key]}' and "
                            f"'{name}' overlap on {day} in region '{region}'",
                        )
                        return problems
                    presale_days[key] = name
                day = day + dt.timedelta(days=1)
    return problems
