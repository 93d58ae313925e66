"""Advance demand: pre-sale orders known from their deposit, before they are paid.

Policies that plan for a wave (a peak pre-build, say) ask how many units of a SKU are due in
a window, counting only deposits made by now: what a planner really knows at that moment.
"""

from __future__ import annotations

import numpy as np

from simchain.demand import Orders


class AdvanceDemand:
    def __init__(self, n_skus: int, parts: list[tuple[int, Orders]]):
        """`parts`: (region index, pre-sale orders of that region) pairs."""
        deposit, due, region, sku, units = [], [], [], [], []
        for r, orders in parts:
            per_line = np.repeat(np.arange(len(orders.times)), orders.n_lines)
            deposit.append(orders.deposit[per_line])
            due.append(orders.times[per_line])
            region.append(np.full(len(per_line), r))
            sku.append(orders.skus)
            units.append(orders.units)
        cat = lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t)  # noqa: E731
        self.deposit = cat(deposit, float)
        self.due = cat(due, float)
        self.region = cat(region, np.int64)
        self.sku = cat(sku, np.int64)
        self.units = cat(units, np.int64)
        self.n_skus = n_skus

    def units_due(
        self, sku: int, due_from: float, due_to: float, known_at: float, region: int | None = None
    ) -> int:
        """Units of `sku` due (paid) in [due_from, due_to) whose deposit was made by
        `known_at` (clock hours), in one region or all."""
        mask = (
            (self.sku == sku)
            & (self.due >= due_from)
            & (self.due < due_to)
            & (self.deposit <= known_at)
        )
        if region is not None:
            mask &= self.region == region
        return int(self.units[mask].sum())
