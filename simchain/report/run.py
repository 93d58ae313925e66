"""Run reports: figures of a run folder's tables, and one self-contained `report.html`.

Every figure is a plain function of the tables (so a notebook can call it on
`result.tables`), drawn with matplotlib (figures of their own, no pyplot) at slide size, with titled
axes and units. `write_report` saves each as PNG and SVG under `figures/` and embeds the PNGs
in the HTML, which needs no network access to view.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simchain.display import format_kpi
from simchain.kpis import backlog_days, level_changes
from simchain.output import RUN_TABLES
from simchain.policies.stocking import AdaptivePolicy
from simchain.report.figure import (
    SIZE,
    blank_figure,
    cards,
    draw_figures,
    image,
    new_figure,
    table,
    warm_up,
    write_page,
)
from simchain.scenario.loader import load_scenario
from simchain.scenario.schema import Scenario
from simchain.window import Window

Tables = dict[str, pd.DataFrame]


def _events(ax: Axes, sc: Scenario) -> None:
    """Shade the calendar events (the Double-11 waves) on a time axis."""
    for i, (name, ev) in enumerate(sc.events.items()):
        start = mdates.date2num(pd.Timestamp(ev.start))
        end = mdates.date2num(pd.Timestamp(ev.end or ev.start) + pd.Timedelta(days=1))
        long = end - start > 7  # long windows (pre-sale deposits) shaded lightly, unlabelled
        ax.axvspan(start, end, color="orange", alpha=0.06 if long else 0.2, lw=0, zorder=0)
        if not long:  # labels staggered so that neighbouring days stay readable
            y = 0.98 - 0.05 * (i % 4)
            ax.text(start, y, name, transform=ax.get_xaxis_transform(), fontsize=7, va="top")


def flow(tables: Tables, sc: Scenario) -> Figure:
    """Orders created and delivered per day against the couriers' daily capacity."""
    daily = tables["daily"]
    fig, ax = new_figure()
    ax.plot(daily["date"], daily["orders"], label="orders created")
    ax.plot(daily["date"], daily["orders_delivered"], label="orders delivered")
    res = tables.get("resources")
    if res is not None and len(res) and (res["kind"] == "couriers").any():
        cap = res[res["kind"] == "couriers"].groupby("time")["capacity"].sum()
        ax.plot(cap.index, cap.to_numpy(), "--", label="courier capacity")
    _events(ax, sc)
    ax.set(title="Demand against delivery capacity", xlabel="date", ylabel="orders per day")
    ax.legend()
    return fig


def backlog(tables: Tables, sc: Scenario) -> Figure:
    """Where the unshipped orders are at each day's end, and the parcels in transit."""
    daily = tables["daily"]
    stages = {
        "backlog_awaiting_stock": "waiting for stock",
        "backlog_awaiting_pick": "waiting for or in picking",
        "backlog_awaiting_pack": "waiting for or in packing",
        "in_transit": "in transit",
    }
    fig, ax = new_figure()
    ax.stackplot(
        daily["date"],
        [daily[c].to_numpy() for c in stages],
        labels=list(stages.values()),
        alpha=0.8,
    )
    measured = daily[daily["date"] >= Window.of(sc).begin.floor("D")]
    days = backlog_days(measured)
    if days is not None:  # the peak and the day it cleared, as the KPIs measure them
        peak, clear = days
        top = float(measured["backlog_orders"].iloc[peak])
        at = measured["date"].iloc[peak]
        ax.plot(daily["date"], daily["backlog_orders"], "k", lw=1, label="unshipped orders")
        ax.annotate(f"peak {top:,.0f}", (at, top), xytext=(8, 0), textcoords="offset points")
        if clear is not None:
            ax.axvline(measured["date"].iloc[clear], color="k", ls=":", lw=1)
            ax.annotate(
                f"cleared {clear - peak} days after the peak",
                (measured["date"].iloc[clear], 0.5),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=8,
            )
    _events(ax, sc)
    ax.set(title="Backlog by stage at each day's end", xlabel="date", ylabel="orders")
    ax.legend(loc="upper left")
    return fig


def event_days(sc: Scenario, days: pd.Series) -> np.ndarray:
    """Whether each date falls in one of the scenario's calendar events (its short windows:
    the pre-sale's weeks of deposits, over 7 days, are not counted)."""
    inside = np.zeros(len(days), dtype=bool)
    for ev in sc.events.values():
        start, end = pd.Timestamp(ev.start), pd.Timestamp(ev.end or ev.start)
        if (end - start).days < 7:
            inside |= ((days >= start) & (days <= end)).to_numpy()
    return inside


def cycle_time(tables: Tables, sc: Scenario) -> Figure:
    """Order creation to delivery: p50 and p95 by the day the order was placed (left), and
    the distribution over the measured orders, on event days against other days (right)."""
    o = tables["orders"]
    done = o[o["delivered"].notna()]
    hours = (done["delivered"] - done["created"]).dt.total_seconds() / 3600.0
    day = done["created"].dt.floor("D")
    by_day = hours.groupby(day)
    fig = blank_figure(SIZE)
    ax, dist = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.4, 1]})
    ax.plot(by_day.median().index, by_day.median().to_numpy(), label="p50")
    q95 = by_day.quantile(0.95)
    ax.plot(q95.index, q95.to_numpy(), label="p95")
    _events(ax, sc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    ax.set(title="Order cycle time by order day", xlabel="order date", ylabel="hours")
    ax.legend()
    measured = (done["created"] >= Window.of(sc).begin).to_numpy()
    peak = event_days(sc, day) & measured
    normal = ~peak & measured
    values = hours.to_numpy()
    top = float(np.quantile(values[measured], 0.995)) if measured.any() else 1.0
    bins = np.linspace(0.0, max(top, 1.0), 40)
    drawn = False
    for part, label in ((normal, "other days"), (peak, "event days")):
        if part.any():
            dist.hist(np.minimum(values[part], top), bins, histtype="step", lw=1.5, label=label)
            drawn = True
    dist.set(title="Cycle time distribution", xlabel="hours (longest 0.5 % at the edge)")
    dist.set_ylabel("orders")
    if drawn:
        dist.legend(fontsize=8)
    fig.tight_layout()
    return fig


def utilization(tables: Tables, sc: Scenario) -> Figure:
    """Daily utilization of each kind of resource: pickers, packers, receivers, trucks,
    couriers (used / capacity, summed over the resources of the kind)."""
    res = tables.get("resources")
    fig, ax = new_figure()
    if res is not None and len(res):
        day = res["time"].dt.floor("D")
        for kind, rows in res.groupby("kind", observed=True):
            used = rows.groupby(day[rows.index])["used"].sum()
            cap = rows.groupby(day[rows.index])["capacity"].sum()
            ax.plot(used.index, (used / cap.where(cap > 0)).to_numpy(), label=str(kind))
        ax.legend()
    _events(ax, sc)
    ax.set(title="Resource utilization by day", xlabel="date", ylabel="used / capacity")
    return fig


def day_end_sums(log: pd.DataFrame, value: str, group: dict[str, str]) -> pd.DataFrame:
    """Day-end totals of a per-(warehouse, SKU) level log (`inventory`, `levels`) over groups
    of SKUs: one column per (warehouse, group), one row per day on which some level changed
    (carry forward to fill other days)."""
    changes = level_changes(log, value, group)
    day = changes["time"].dt.floor("D")
    daily = changes.groupby([day, "warehouse", "group"])["level"].last()
    return daily.unstack(["warehouse", "group"]).ffill().fillna(0.0)


def _days(sc: Scenario) -> pd.DatetimeIndex:
    start = pd.Timestamp(sc.calendar.start)
    return pd.date_range(start, start + pd.Timedelta(hours=sc.calendar.horizon), freq="D")


def stock(tables: Tables, sc: Scenario) -> Figure:
    """Free stock on hand per warehouse (all SKUs), at each day's end."""
    every = dict.fromkeys(sc.skus, "all")
    daily = day_end_sums(tables["inventory"], "on_hand", every).reindex(_days(sc)).ffill()
    fig, ax = new_figure()
    for name in sc.warehouses:
        if (name, "all") in daily:
            ax.step(daily.index, daily[(name, "all")].to_numpy(), where="post", label=name)
    _events(ax, sc)
    ax.set(title="Stock on hand per warehouse", xlabel="date", ylabel="units")
    ax.legend()
    return fig


def sku_classes(sc: Scenario) -> dict[str, str]:
    """SKU -> its ABC class ("all" for SKUs without one)."""
    return {sku: s.abc_class or "all" for sku, s in sc.skus.items()}


def policy_levels(tables: Tables, sc: Scenario) -> pd.DataFrame:
    """Reorder point and order-up-to level of every (warehouse, SKU) as a change log: fixed
    policies once at the start, adaptive ones (planned, moving average) as they change."""
    start = pd.Timestamp(sc.calendar.start)
    rows = []
    for wh in sc.warehouses:
        for sku in sc.skus:
            policy = sc.policy_for(wh, sku)
            if not isinstance(policy, AdaptivePolicy):
                rows.append((start, wh, sku, policy.reorder_level(), policy.target_level()))
    fixed = pd.DataFrame(rows, columns=["time", "warehouse", "sku", "reorder_point", "order_up_to"])
    planned = tables.get("levels")
    if planned is None or not len(planned):
        return fixed
    planned = planned.assign(
        warehouse=planned["warehouse"].astype(str), sku=planned["sku"].astype(str)
    )
    return pd.concat([fixed, planned], ignore_index=True) if len(fixed) else planned


def stock_by_class(tables: Tables, sc: Scenario) -> Figure:
    """Stock on hand per warehouse and ABC class at each day's end, against the class's
    reorder point and order-up-to level (each summed over the class's SKUs): stock dipping
    under the reorder point is cover running thin; under zero there is none."""
    classes = sku_classes(sc)
    names = sorted(set(classes.values()))
    days = _days(sc)
    on_hand = day_end_sums(tables["inventory"], "on_hand", classes).reindex(days).ffill()
    levels = policy_levels(tables, sc)
    reorder = day_end_sums(levels, "reorder_point", classes).reindex(days).ffill()
    target = day_end_sums(levels, "order_up_to", classes).reindex(days).ffill()
    rows = list(sc.warehouses)
    fig = blank_figure((SIZE[0], 1.0 + 2.2 * len(rows)))
    grid = fig.subplots(len(rows), len(names), squeeze=False, sharex=True)
    for i, wh in enumerate(rows):
        for j, cls in enumerate(names):
            ax = grid[i][j]
            key = (wh, cls)
            if key in on_hand:
                ax.step(days, on_hand[key].to_numpy(), where="post", label="on hand")
            if key in reorder:
                ax.step(days, reorder[key].to_numpy(), "--", where="post", label="reorder point")
            if key in target:
                ax.step(days, target[key].to_numpy(), ":", where="post", label="order-up-to")
            ax.set_title(f"{wh}, class {cls}" if cls != "all" else wh, fontsize=9)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("units")
    grid[0][0].legend(fontsize=7, loc="upper right")
    for ax in grid[-1]:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    fig.suptitle("Stock on hand by ABC class, with reorder points and order-up-to levels")
    fig.supxlabel("date")
    fig.tight_layout()
    return fig


def suppliers(tables: Tables, sc: Scenario) -> Figure:
    """The supplier scorecard: on-time, fill and defect rates, and the purchase lead time
    (mean, and p95 as a marker), one row per supplier."""
    card = tables["suppliers"]
    names = [str(s) for s in card["supplier"]]
    fig = blank_figure((SIZE[0], 1.6 + 0.5 * max(len(names), 2)))
    rates, lead = fig.subplots(1, 2)
    y = np.arange(len(names))
    for k, (col, label) in enumerate(
        [("on_time_rate", "on time"), ("fill_rate", "fill rate"), ("defect_rate", "defects")]
    ):
        bars = rates.barh(y + (1 - k) * 0.25, card[col].fillna(0.0).to_numpy(), 0.25, label=label)
        rates.bar_label(bars, fmt="{:.1%}", fontsize=7, padding=2)
    rates.set(yticks=y, yticklabels=names, xlim=(0, 1.15), title="Rates", xlabel="share")
    mean = lead.barh(y, card["lead_time_mean_d"].to_numpy(), 0.5, label="mean")
    lead.bar_label(mean, fmt="{:.1f}", fontsize=7, padding=2)
    lead.plot(card["lead_time_p95_d"].to_numpy(), y, "k|", markersize=18, label="p95")
    lead.set(yticks=y, yticklabels=names, title="Purchase lead time", xlabel="days")
    for ax in (rates, lead):
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.invert_yaxis()
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("Supplier scorecard")
    fig.tight_layout()
    return fig


def costs(kpis: dict[str, float]) -> Figure:
    """The cost breakdown of the run (the parts of total_cost)."""
    parts = [
        k
        for k in kpis
        if k.endswith("_cost") and k not in ("total_cost",) and not k.startswith("cost_per")
    ]
    fig, ax = new_figure()
    ax.barh([p.removesuffix("_cost") for p in parts], [kpis[p] for p in parts])
    ax.set(title="Cost breakdown", xlabel="cost (currency units)")
    return fig


FIGURES: dict[str, Callable[[Tables, Scenario], Figure]] = {
    "flow": flow,
    "backlog": backlog,
    "cycle_time": cycle_time,
    "utilization": utilization,
    "stock": stock,
    "stock_by_class": stock_by_class,
    "suppliers": suppliers,
}


#: The tables the report draws from (`write_report` reads no other).
REPORT_TABLES = ("orders", "inventory", "levels", "daily", "suppliers", "resources")


def read_run(
    folder: Path, names: Sequence[str] = RUN_TABLES
) -> tuple[Tables, Scenario, dict[str, float]]:
    """A run folder's tables (those of `names`: by default all), scenario and KPIs."""
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in names
        if (folder / f"{name}.parquet").exists()
    }
    sc = load_scenario(folder / "scenario.yaml")
    frame = pd.read_csv(folder / "kpis.csv")
    kpis = {str(k): float(v) for k, v in zip(frame["metric"], frame["value"], strict=True)}
    return tables, sc, kpis


def prepare() -> None:
    """Load now what `write_report` loads on its way (the parquet reader; matplotlib's fonts
    and backends: `warm_up`), for a process that waits for a run folder to report on."""
    # pandas.read_parquet loads both on first use
    import pyarrow.dataset
    import pyarrow.parquet  # noqa: F401

    warm_up()


HEADLINE = (
    "orders",
    "fill_rate",
    "otif",
    "cycle_time_mean_h",
    "cycle_time_p95_h",
    "backlog_peak_orders",
    "backlog_clear_days",
    "total_cost",
    "cost_per_order",
)


#: The run figures that take longest to draw (most plots or a layout pass), drawn first.
HEAVY = ("stock_by_class", "cycle_time", "suppliers")


def write_report(folder: Path, workers: int = 1) -> Path:
    """Draw every figure of a run folder into `figures/` (PNG and SVG) and write the
    self-contained `report.html`; returns its path. With `workers=2`, two processes draw
    the figures (`draw_figures`)."""
    tables, sc, kpis = read_run(folder, REPORT_TABLES)
    draws: dict[str, Callable[[], Figure]] = {
        name: functools.partial(draw, tables, sc) for name, draw in FIGURES.items()
    }
    draws["costs"] = functools.partial(costs, kpis)
    embedded = draw_figures(folder, draws, workers, order=HEAVY)
    manifest = folder / "manifest.json"
    run = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    seed = f"seed {run['seed']}, " if "seed" in run else ""
    body = f"""<h1>{html.escape(sc.name)}</h1>
<p>{html.escape(sc.description)}</p>
<p>{seed}from {sc.calendar.start}, {sc.calendar.horizon / 24:g} days (the first
{sc.calendar.warm_up / 24:g} days warm-up, not measured); {len(sc.skus)} SKUs,
{len(sc.warehouses)} warehouses, {len(sc.regions)} regions.</p>
{cards((k, format_kpi(k, kpis[k])) for k in HEADLINE if k in kpis)}
"""
    body += "\n".join(image(name, data) for name, data in embedded.items())
    card = tables.get("suppliers")
    if card is not None and len(card):
        body += "<h2>supplier scorecard (table)</h2>" + table(
            [str(c) for c in card.columns], card.itertuples(index=False)
        )
    body += f"""<h2>all KPIs</h2>
<div class="columns">{table(["metric", "value"], kpis.items())}</div>"""
    return write_page(folder / "report.html", f"{sc.name}: simchain run report", body)
