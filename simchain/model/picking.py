"""How long a picking tour takes, by picking method.

Either a whole order's `pick_time` (one draw per order), or `travel` for the tour plus
`per_line` handling for every line in it:

- discrete: one order per tour; batch: up to `orders_per_tour` waiting orders share one
  walk; wave: orders are released at set times, then picked like batch (or one by one);
- zone: each picker keeps to one of `zones` zones; an order's lines are picked zone after
  zone (pick and pass), walking 1/zones of the floor in each zone it touches, a zone per line
  up to `zones`;
- goods_to_person: shelves come to the picker, so the whole tour is `speedup` times faster;
- slotting: fast movers sit near the dock; a tour whose lines are all of an ABC class with a
  declared cut walks that much less (a mixed tour walks as far as its slowest-slotted line
  needs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from simchain.model.orders import OrderBook
from simchain.scenario.distributions import Sampler
from simchain.scenario.schema import Pickers, Scenario

Work = Callable[[list[int]], float]


def pick_work(
    spec: Pickers,
    pick_time: Sampler | None,
    travel: Sampler | None,
    handle: Sampler | None,
    abc_classes: Sequence[str | None],
    book: OrderBook,
) -> Work:
    """The hours a tour of orders takes at a warehouse's pickers: one `pick_time` draw per
    order, or one `travel` draw per tour and one `handle` draw per line."""
    if pick_time is not None:
        draw = pick_time
        speedup = spec.speedup

        def per_order(tour: list[int]) -> float:
            if len(tour) == 1:  # the common tour, without a generator (same sum: 0 + x is x)
                return draw() / speedup
            return sum(draw() for _ in tour) / speedup

        return per_order
    assert travel is not None and handle is not None
    walk = [1.0 - spec.slotting.get(c or "", 0.0) for c in abc_classes]
    slotted = any(w != 1.0 for w in walk)
    zones = spec.zones if spec.method == "zone" else 0
    speedup = spec.speedup
    o, ln = book.o, book.ln

    def walked(tour: list[int]) -> float:
        lines = 0
        far = 0.0
        for oid in tour:
            first, n = o.first_line[oid], o.n_lines[oid]
            lines += n
            if slotted:
                skus = ln.sku
                far = max(far, max(walk[skus[i]] for i in range(first, first + n)))
        handling = sum(handle() for _ in range(lines))
        share = far if slotted else 1.0
        if zones:
            share *= min(lines, zones) / zones
        return (travel() * share + handling) / speedup

    return walked


def mean_pick_hours(spec: Pickers, lines_per_order: float) -> float:
    """Expected picker-hours per order, for routing's wait estimates."""
    if spec.pick_time is not None:
        return spec.pick_time.mean_value() / spec.speedup
    assert spec.travel is not None and spec.per_line is not None
    walk = spec.travel.mean_value() / spec.orders_per_tour
    if spec.method == "zone":
        walk *= min(lines_per_order, spec.zones) / spec.zones
    return (walk + spec.per_line.mean_value() * lines_per_order) / spec.speedup


def mean_lines(sc: Scenario) -> float:
    """Lines per order, averaged over regions by their ordinary demand."""
    weights = np.array([r.demand.orders_per_day for r in sc.regions.values()])
    lines = np.array([r.demand.lines_per_order.mean_value() for r in sc.regions.values()])
    return float((weights * lines).sum() / weights.sum()) if weights.sum() > 0 else 1.0
