"""Parcels' paths over the lane graph: from a warehouse, through sorting hubs, to a region.

Chosen once per (warehouse, region) when a run is set up, by the scenario's `path_choice`:
`fastest` minimises the sum of the legs' mean transit times plus the mean handling time of
every hub passed, `cheapest` the sum of the legs' costs per unit; ties go to fewer legs.
Parcels never pass through a warehouse: transfers between warehouses are replenishment.
"""

from __future__ import annotations

import heapq

from simchain.scenario.schema import Lane, Scenario


def leg_weight(sc: Scenario, dest: str, lane: Lane) -> float:
    """What one leg adds to a path under the scenario's path choice."""
    if sc.path_choice == "cheapest":
        return lane.cost_per_unit
    hub = sc.hubs.get(dest)
    handling = hub.handling_time.mean_value() if hub is not None else 0.0
    return lane.transit_time.mean_value() + handling


def best_paths(sc: Scenario, warehouse: str) -> dict[str, list[str]]:
    """Region -> the best path (node names, the warehouse first) from one warehouse, for
    every region reachable from it (Dijkstra: weights are never negative)."""
    found: dict[str, list[str]] = {}
    done: set[str] = set()
    heap: list[tuple[float, int, list[str]]] = [(0.0, 0, [warehouse])]
    while heap:
        weight, legs, path = heapq.heappop(heap)
        node = path[-1]
        if node in done:
            continue
        done.add(node)
        if node in sc.regions:
            found[node] = path
            continue
        for dest, lane in sc.lanes.get(node, {}).items():
            if dest not in done and (dest in sc.hubs or dest in sc.regions):
                step = leg_weight(sc, dest, lane)
                heapq.heappush(heap, (weight + step, legs + 1, [*path, dest]))
    return found


def hubs_reached(sc: Scenario, warehouse: str) -> list[str]:
    """Hubs a warehouse's parcels can reach, in declared order (for error messages)."""
    seen: set[str] = set()
    todo = [d for d in sc.lanes.get(warehouse, {}) if d in sc.hubs]
    while todo:
        hub = todo.pop()
        if hub not in seen:
            seen.add(hub)
            todo.extend(d for d in sc.lanes.get(hub, {}) if d in sc.hubs)
    return [h for h in sc.hubs if h in seen]
