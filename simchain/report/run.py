"""Run reports: figures of a run folder's tables, and one self-contained `report.html`.

Every figure is a plain function of the tables (so a notebook can call it on
`result.tables`), drawn with matplotlib (figures of their own, no pyplot) at slide size, with titled
axes and units. `write_report` saves each as PNG and SVG under `figures/` and embeds the PNGs
in the HTML, which needs no network access to view.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simchain.kpis import stock_total
from simchain.output import RUN_TABLES
from simchain.report.figure import image, new_figure, save_figures, table, write_page
from simchain.scenario.loader import load_scenario
from simchain.scenario.schema import Scenario

Tables = dict[str, pd.DataFrame]


def _events(ax: Axes, sc: Scenario) -> None:
    """Shade the calendar events (the Double-11 waves) on a time axis."""
    for i, (name, ev) in enumerate(sc.events.items()):
        start = mdates.date2num(pd.Timestamp(ev.start))
        end = mdates.date2num(pd.Timestamp(ev.end or ev.start) + pd.Timedelta(days=1))
        long = end - start > 7  # long windows (pre-sale deposits) shaded lightly, unlabelled
        ax.axvspan(start, end, color="orange", alpha=0.06 if long else 0.2, lw=0)
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
    _events(ax, sc)
    ax.set(title="Backlog by stage at each day's end", xlabel="date", ylabel="orders")
    ax.legend(loc="upper left")
    return fig


def cycle_time(tables: Tables, sc: Scenario) -> Figure:
    """Order creation to delivery, p50 and p95 by the day the order was placed."""
    o = tables["orders"]
    done = o[o["delivered"].notna()]
    hours = (done["delivered"] - done["created"]).dt.total_seconds() / 3600.0
    by_day = hours.groupby(done["created"].dt.floor("D"))
    fig, ax = new_figure()
    ax.plot(by_day.median().index, by_day.median().to_numpy(), label="p50")
    q95 = by_day.quantile(0.95)
    ax.plot(q95.index, q95.to_numpy(), label="p95")
    _events(ax, sc)
    ax.set(title="Order cycle time by order day", xlabel="order date", ylabel="hours")
    ax.legend()
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


def stock(tables: Tables, sc: Scenario) -> Figure:
    """Free stock on hand per warehouse (all SKUs), at each day's end."""
    inv = tables["inventory"]
    fig, ax = new_figure()
    for name in sc.warehouses:
        total = stock_total(inv, name)
        if not len(total):
            continue
        times = pd.DatetimeIndex(inv.loc[total.index, "time"])
        series = pd.Series(total.to_numpy(), index=times)
        daily = series.groupby(times.floor("D")).last()
        ax.step(daily.index, daily.to_numpy(), where="post", label=name)
    _events(ax, sc)
    ax.set(title="Stock on hand per warehouse", xlabel="date", ylabel="units")
    ax.legend()
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
}


def read_run(folder: Path) -> tuple[Tables, Scenario, dict[str, float]]:
    """A run folder's tables, scenario and KPIs."""
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in RUN_TABLES
        if (folder / f"{name}.parquet").exists()
    }
    sc = load_scenario(folder / "scenario.yaml")
    frame = pd.read_csv(folder / "kpis.csv")
    kpis = {str(k): float(v) for k, v in zip(frame["metric"], frame["value"], strict=True)}
    return tables, sc, kpis


def write_report(folder: Path) -> Path:
    """Draw every figure of a run folder into `figures/` (PNG and SVG) and write the
    self-contained `report.html`; returns its path."""
    tables, sc, kpis = read_run(folder)
    figures = {name: draw(tables, sc) for name, draw in FIGURES.items()}
    figures["costs"] = costs(kpis)
    embedded = save_figures(folder, figures)
    body = f"""<h1>{html.escape(sc.name)}</h1>
<p>{html.escape(sc.description)}</p>
<p>{sc.calendar.start}, {sc.calendar.horizon / 24:g} days (warm-up {sc.calendar.warm_up / 24:g}
days); {len(sc.skus)} SKUs, {len(sc.warehouses)} warehouses, {len(sc.regions)} regions.</p>
<h2>KPIs</h2>
{table(["metric", "value"], kpis.items())}
""" + "\n".join(image(name, data) for name, data in embedded.items())
    return write_page(folder / "report.html", f"{sc.name}: simchain run report", body)
