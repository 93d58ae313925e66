"""How KPI values read to people: shares as percentages, money and counts with thousands
separators. One place, so the terminal tables and the HTML reports agree."""

from __future__ import annotations

import math

FRACTIONS = (
    "fill_rate",
    "order_fill_rate",
    "otif",
    "picker_utilization",
    "packer_utilization",
    "receiver_utilization",
    "courier_utilization",
    "truck_utilization",
    "delivered_within",
)


def format_kpi(metric: str, value: float) -> str:
    """A KPI value as text: `otif` 0.6867 -> '68.67%', `total_cost` -> '100,321,456'."""
    if math.isnan(value):
        return "n/a"
    if metric.startswith(FRACTIONS) or metric.endswith("_rate"):
        return f"{value:.2%}"
    if metric.endswith("_cost"):
        return f"{value:,.0f}"
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e15:
        return f"{round(value):,}"
    return f"{value:,.2f}"
