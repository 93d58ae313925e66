"""Classroom demos: `simchain demo NAME` runs a teaching scenario between a plain-language
explanation (what the class is about to see) and a takeaway that quotes the run's own numbers.

One job: the teaching demos. Each `Demo` names its scenario in `scenarios/teaching/` (kept out
of `simchain scenarios`, which lists `scenarios/*.yaml` only), the variants it runs (one, or
several for a comparison), its explanation, and its takeaway: a function of the finished runs
that computes every figure it prints from the runs' tables and KPIs, the same data the run
folders hold. Running and writing the run folders is the command line's (as for
`simchain run`); nothing here simulates.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from simchain.bundled import SOURCE_SCENARIOS
from simchain.kpis import backlog_days, customer_orders, on_time_in_full
from simchain.policies.stocking import PlannedPolicy
from simchain.scenario.schema import Scenario
from simchain.simulate import SimulationResult
from simchain.window import Window

TEACHING = SOURCE_SCENARIOS / "teaching"
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Variant:
    """One run of a demo: a label (its subfolder, when there are several) and overrides."""

    label: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    """A finished run of a demo: its variant's label, its result and its run folder."""

    label: str
    result: SimulationResult
    folder: Path

    @property
    def scenario(self) -> Scenario:
        return self.result.resolved or self.result.scenario

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.result.tables


@dataclass(frozen=True)
class Demo:
    name: str
    summary: str  # one line, for `simchain demo`
    explanation: str  # printed before the run
    takeaway: Callable[[list[Run], Path], str]  # the runs and the demo folder -> text
    variants: tuple[Variant, ...] = (Variant(""),)
    reports: bool = True  # each run folder gets its report.html (the comparisons skip them)
    figure: bool = False  # the takeaway draws a figure (with matplotlib)

    @property
    def path(self) -> Path:
        return TEACHING / f"{self.name}.yaml"


def _text(s: str) -> str:
    return textwrap.dedent(s).strip()


def _days(w: Window) -> pd.DatetimeIndex:
    return pd.date_range(w.begin.floor("D"), w.end - DAY, freq="D")


def _date(t: pd.Timestamp) -> str:
    return f"{t:%b} {t.day}"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.1f} %"


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


# --- bullwhip ------------------------------------------------------------------------------


def stages(sc: Scenario) -> list[str]:
    """Warehouses from the most downstream (nearest the customers) to the most upstream."""

    def depth(w: str) -> int:
        src = sc.warehouses[w].replenished_from
        return 1 + depth(src) if isinstance(src, str) and src in sc.warehouses else 0

    return sorted(sc.warehouses, key=lambda w: (-depth(w), w))


def daily_orders(run: Run) -> pd.DataFrame:
    """Units per day over the observation window: customer demand (orders created) and the
    replenishment orders each warehouse placed (by the day placed)."""
    sc = run.scenario
    w = Window.of(sc)
    days = _days(w)
    orders = run.tables["orders"]
    seen = orders[(orders["created"] >= w.begin) & (orders["created"] < w.end)]
    out = pd.DataFrame(index=days)
    out["customers"] = seen.groupby(seen["created"].dt.floor("D"))["units"].sum()
    rep = run.tables["replenishments"]
    rep = rep[
        (rep["placed"] >= w.begin) & (rep["placed"] < w.end) & (rep["kind"] != "transshipment")
    ]
    for wh in stages(sc):
        mine = rep[rep["destination"] == wh]
        out[wh] = mine.groupby(mine["placed"].dt.floor("D"))["quantity"].sum()
    return out.fillna(0.0).astype(float)


def level_range(run: Run, stage: str) -> tuple[float, float]:
    """Lowest and highest order-up-to level a stage set within the observation window (its
    moving-average levels, from levels.parquet; the level in force at the window's start
    counts)."""
    w = Window.of(run.scenario)
    lv = run.tables["levels"]
    mine = lv[lv["warehouse"] == stage].sort_values("time", kind="stable")
    before = mine[mine["time"] <= w.begin].tail(1)
    inside = pd.concat([before, mine[(mine["time"] > w.begin) & (mine["time"] < w.end)]])
    if not len(inside):
        return float("nan"), float("nan")
    return float(inside["order_up_to"].min()), float(inside["order_up_to"].max())


def bullwhip_takeaway(runs: list[Run], folder: Path) -> str:
    run = runs[0]
    sc = run.scenario
    q = daily_orders(run)
    base_var = float(q["customers"].var())
    base_cv = _ratio(float(q["customers"].std()), float(q["customers"].mean()))
    rows = []
    below = base_var
    for col in q.columns:
        src = sc.warehouses[col].replenished_from if col != "customers" else stages(sc)[0]
        var = float(q[col].var())
        cv = _ratio(float(q[col].std()), float(q[col].mean()))
        rows.append(
            (col, str(src), float(q[col].mean()), var, var / base_var, cv / base_cv, var / below)
        )
        below = var
    n = len(q)
    lines = [
        f"Daily orders at each stage, {_date(q.index[0])} - {_date(q.index[-1])} ({n} days; "
        "customers from orders.parquet, the stages from replenishments.parquet, levels from "
        "levels.parquet):",
        f"  {'stage':<13}{'orders from':<14}{'mean/day':>9}{'variance':>10}"
        f"{'variance ratio':>16}{'CV ratio':>10}{'x stage below':>15}{'order-up-to':>14}",
    ]
    for stage, src, mean, var, vr, cvr, step in rows:
        span = "" if stage == "customers" else "{:.0f}-{:.0f}".format(*level_range(run, stage))
        shown = "" if stage == "customers" else f"{step:.2f}"
        lines.append(
            f"  {stage:<13}{src:<14}{mean:>9.1f}{var:>10.1f}{vr:>16.2f}{cvr:>10.2f}"
            f"{shown:>15}{span:>14}"
        )
    ups = " -> ".join(f"{r[4]:.2f}" for r in rows[1:])
    steps = ", ".join(f"{r[6]:.2f}" for r in rows[1:])
    top = rows[-1]
    lines += [
        "",
        f"Every stage orders about what customers buy ({rows[0][2]:.1f} units a day on average),"
        f" yet the variance of daily orders, relative to customer demand, goes {ups} on the "
        f"way up (each stage multiplies the variance of the orders it receives by {steps}): "
        f"the factory receives orders whose daily variance is {top[4]:.2f} times that of "
        "customer demand.",
        "Why: each stage sets its order-up-to level from the average of the orders it has "
        "received lately, so the level moves (the last column), and every rise is ordered on "
        "top of the day's demand: the stage above sees a bigger swing than the stage itself "
        "saw, and reacts the same way. The longer a stage's lead time, the more days of the "
        "average its level holds and the bigger the step. Every stage reviews daily, so none of "
        "it is batching, and no customer behaviour changed.",
    ]
    return "\n".join(lines)


# --- lead time stockout --------------------------------------------------------------------


def lead_time_change(sc: Scenario) -> tuple[str, str, float, pd.Timestamp]:
    """(warehouse, supplier, lead-time factor, first day): the first disruption stretching
    the lead time of the warehouse's supplier."""
    wh, spec = next(iter(sc.warehouses.items()))
    supplier = str(spec.replenished_from)
    stretch = next(
        d for d in sc.disruptions.values() if supplier in d.nodes and d.lead_time_factor != 1
    )
    return wh, supplier, stretch.lead_time_factor, pd.Timestamp(stretch.window[0])


def lead_time_takeaway(runs: list[Run], folder: Path) -> str:
    run = runs[0]
    sc = run.scenario
    w = Window.of(sc)
    wh, supplier, factor, change = lead_time_change(sc)
    orders = run.tables["orders"]
    seen = orders[(orders["created"] >= w.begin) & (orders["created"] < w.end)]
    before = seen[seen["created"] < change]
    after = seen[seen["created"] >= change]
    fill_before = _ratio(float(before["units_from_stock"].sum()), float(before["units"].sum()))
    fill_after = _ratio(float(after["units_from_stock"].sum()), float(after["units"].sum()))
    daily = run.tables["daily"]
    daily = daily[(daily["date"] >= w.begin.floor("D")) & (daily["date"] < w.end)]
    short = daily["fill_rate"] < 1
    days_before = int((short & (daily["date"] < change)).sum())
    days_after = int((short & (daily["date"] >= change)).sum())
    n_before = int((daily["date"] < change).sum())
    n_after = int((daily["date"] >= change).sum())
    rep = run.tables["replenishments"]
    # placed to the date the supplier confirmed: known for orders still open at the end too
    got = rep[(rep["kind"] == "purchase") & (rep["placed"] >= w.begin)]
    lead = (got["due"] - got["placed"]).dt.total_seconds() / 86400.0
    lt_before = float(lead[got["placed"] < change].mean())
    lt_after = float(lead[got["placed"] >= change].mean())
    points = ", ".join(f"{sku} {sc.policy_for(wh, sku).reorder_level():,}" for sku in sc.skus)
    lost = int(after["units_lost"].sum())
    return "\n".join(
        [
            f"From {_date(change)} {supplier}'s lead time was {factor:g} times as long. Measured "
            f"from replenishments.parquet, purchase orders took (placed to confirmed arrival) "
            f"{lt_before:.1f} days before and {lt_after:.1f} days after.",
            f"The reorder points ({points} units) were not changed.",
            f"  {'':<24}{'before ' + _date(change):>16}{'from ' + _date(change):>16}",
            f"  {'fill rate':<24}{_pct(fill_before):>16}{_pct(fill_after):>16}",
            f"  {'days with a stockout':<24}{f'{days_before} of {n_before}':>16}"
            f"{f'{days_after} of {n_after}':>16}",
            f"  {'units lost':<24}{int(before['units_lost'].sum()):>16,}{lost:>16,}",
            "(fill rate: units served from stock / units ordered, orders.parquet; a stockout "
            "day: a day whose fill rate in daily.parquet is below 100 %.)",
            "",
            "A reorder point is demand over the lead time plus safety stock. When the lead time "
            f"grows from {lt_before:.1f} to {lt_after:.1f} days, a reorder point sized for the "
            "short wait runs out long before the order placed at it arrives, cycle after cycle: "
            "re-size the reorder point whenever the lead time changes.",
        ]
    )


# --- safety stock --------------------------------------------------------------------------

SERVICE_LEVELS = (0.0, 1.0, 1.65, 2.33)  # safety factors z


def _service_variants() -> tuple[Variant, ...]:
    out = []
    for z in SERVICE_LEVELS:
        level = NormalDist().cdf(z)
        out.append(
            Variant(f"z{z:.2f}", (f"warehouses.hz_dc.stocking.default.service_level={level!r}",))
        )
    return tuple(out)


def safety_stock_row(run: Run) -> dict[str, float]:
    """z, target cycle service level, safety stock (reorder point - forecast demand over the
    lead time, summed over SKUs), average on hand, fill rate and the measured cycle service
    level (share of purchase cycles without running out) of one run."""
    sc = run.scenario
    w = Window.of(sc)
    wh = next(iter(sc.warehouses))
    policy = sc.policy_for(wh, next(iter(sc.skus)))
    assert isinstance(policy, PlannedPolicy)
    supplier = sc.warehouses[wh].replenished_from
    assert isinstance(supplier, str)
    lead_days = sc.suppliers[supplier].lead_time.mean_value() / 24
    ok, cycles = cycle_service(run, wh)
    levels = run.tables["levels"]
    levels = levels[levels["warehouse"] == wh].sort_values("time", kind="stable")
    forecast = run.tables["forecast"]
    forecast = forecast[(forecast["period_start"] >= w.begin) & (forecast["period_start"] < w.end)]
    per_day = forecast.groupby("sku", observed=True)["forecast_units"].sum() / w.days
    safety = 0.0
    for sku in sc.skus:
        reorder_point = float(levels.loc[levels["sku"] == sku, "reorder_point"].iloc[-1])
        safety += reorder_point - float(per_day[sku]) * lead_days
    return {
        "z": NormalDist().inv_cdf(policy.service_level),
        "target_csl": policy.service_level,
        "safety_stock": safety,
        "avg_on_hand": run.result.kpis["avg_on_hand_units"],
        "fill_rate": run.result.kpis["fill_rate"],
        "measured_csl": _ratio(ok, cycles),
        "cycles": float(cycles),
    }


def cycle_service(run: Run, wh: str) -> tuple[int, int]:
    """Share of the warehouse's purchase orders (placed in the window, received by the
    horizon) during whose lead time no customer unit of their SKU went unserved (no line
    lost or backordered; order_lines.parquet, by the time its order was created), as
    (cycles without a shortage, cycles)."""
    w = Window.of(run.scenario)
    rep = run.tables["replenishments"]
    cycles = rep[(rep["destination"] == wh) & (rep["placed"] >= w.begin) & rep["received"].notna()]
    lines = run.tables["order_lines"]
    short = lines[(lines["lost"] > 0) | (lines["backordered"] > 0)]
    created = run.tables["orders"].set_index("order_id")["created"]
    when = created.reindex(short["order_id"]).to_numpy()
    ok = 0
    for sku, group in cycles.groupby("sku", observed=True):
        t = np.sort(when[(short["sku"] == sku).to_numpy()])
        lo = np.searchsorted(t, group["placed"].to_numpy(), side="left")
        hi = np.searchsorted(t, group["received"].to_numpy(), side="left")
        ok += int((hi == lo).sum())
    return ok, len(cycles)


def safety_stock_takeaway(runs: list[Run], folder: Path) -> str:
    from simchain.output import atomic_write

    rows = [safety_stock_row(r) for r in runs]
    table = pd.DataFrame([{"run": r.label, **row} for r, row in zip(runs, rows, strict=True)])
    atomic_write(folder / "safety_stock.csv", lambda fh: table.to_csv(fh, index=False))
    figure = _service_vs_stock(rows, folder)
    lines = [
        "One run per safety factor, the same customers and lead times in each (same seed):",
        f"  {'z':>5}{'safety stock':>14}{'avg on hand':>13}{'fill rate':>11}"
        f"{'cycle service':>15}{'theory':>9}   run folder",
    ]
    for row, run in zip(rows, runs, strict=True):
        lines.append(
            f"  {row['z']:>5.2f}{round(row['safety_stock']):>14,}{row['avg_on_hand']:>13,.0f}"
            f"{_pct(row['fill_rate']):>11}{_pct(row['measured_csl']):>15}"
            f"{_pct(row['target_csl']):>9}   {run.folder}"
        )
    lines += [
        "(safety stock: reorder point - forecast demand over the lead time, levels.parquet and "
        "forecast.parquet; avg on hand and fill rate: kpis.csv; cycle service: share of "
        "purchase orders during whose lead time no customer went short.)",
        "",
        *_safety_stock_lessons(rows),
        f"Figure: {figure}; the table: {folder / 'safety_stock.csv'}",
    ]
    return "\n".join(lines)


def _service_vs_stock(rows: list[dict[str, float]], folder: Path) -> Path:
    """The service-level-against-stock figure of the safety-stock demo; its path."""
    from simchain.output import atomic_write
    from simchain.report.figure import new_figure, png

    stock = [row["avg_on_hand"] for row in rows]
    fig, ax = new_figure((7.0, 4.5))
    for key, style, label in (
        ("fill_rate", "o-", "fill rate (measured)"),
        ("measured_csl", "s-", "cycle service (measured)"),
        ("target_csl", "x--", "cycle service (theory)"),
    ):
        ax.plot(stock, [100 * row[key] for row in rows], style, label=label)
    for row in rows:
        ax.annotate(
            f"z = {row['z']:.2f}",
            (row["avg_on_hand"], 100 * row["fill_rate"]),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=8,
        )
    ax.set_xlabel("average units on hand")
    ax.set_ylabel("%")
    ax.set_title("Service level against average stock")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    figure = folder / "service_vs_stock.png"
    data = png(fig)
    atomic_write(figure, lambda fh: fh.write(data))
    return figure


def _safety_stock_lessons(rows: list[dict[str, float]]) -> list[str]:
    """What the safety-stock runs show, in the runs' own numbers."""
    first, last = rows[0], rows[-1]
    gains = [  # points of fill rate per 100 units of average stock, step by step
        100 * _ratio(100 * (b["fill_rate"] - a["fill_rate"]), b["avg_on_hand"] - a["avg_on_hand"])
        for a, b in itertools.pairwise(rows)
    ]
    short = [row for row in rows[1:] if row["measured_csl"] < row["target_csl"]]
    lessons = [
        f"From z = {first['z']:.2f} to z = {last['z']:.2f} the average stock grows by "
        f"{last['avg_on_hand'] - first['avg_on_hand']:,.0f} units "
        f"({_ratio(last['avg_on_hand'], first['avg_on_hand']) - 1:+.0%}) and the fill rate "
        f"goes from {_pct(first['fill_rate'])} to {_pct(last['fill_rate'])}. Each extra 100 "
        "units of average stock buys "
        + ", then ".join(f"{g:.2f}" for g in gains)
        + " points of fill rate"
        + (
            ": service gets dearer the higher you go."
            if all(b < a for a, b in itertools.pairwise(gains))
            else "."
        )
    ]
    if all(row["fill_rate"] > row["measured_csl"] for row in rows):
        lessons.append(
            "The fill rate stays above the cycle service level: a cycle that runs out runs "
            "out only for its last few hours or days, so most units are still served."
        )
    if short:
        lessons.append(
            "The measured cycle service falls short of the formula's target at z = "
            + ", ".join(f"{row['z']:.2f}" for row in short)
            + f". Each run has only about {first['cycles']:.0f} replenishment cycles, and "
            "the formula "
            "treats demand over the lead time as normal, while this supplier's lead time is "
            "skewed (lognormal: a long tail of late deliveries) and dominates it, so the "
            "safety stock the formula gives is a little thin."
        )
    return lessons


# --- Double-11 backlog ---------------------------------------------------------------------


def otif(orders: pd.DataFrame, end: pd.Timestamp) -> float:
    """On time in full, as the `otif` KPI, over some orders."""
    hits = on_time_in_full(customer_orders(orders), end)
    return _ratio(float(hits.sum()), len(hits))


def double11_takeaway(runs: list[Run], folder: Path) -> str:
    run = runs[0]
    sc = run.scenario
    w = Window.of(sc)
    k = run.result.kpis
    daily = run.tables["daily"]
    daily = daily[daily["date"] >= w.begin.floor("D")].reset_index(drop=True)
    days = backlog_days(daily)
    peak_at = days[0] if days is not None else 0
    peak_day = pd.Timestamp(daily["date"].iloc[peak_at])
    clear_days = k["backlog_clear_days"]
    cleared = math.isfinite(clear_days)
    clear_day = peak_day + int(clear_days) * DAY if cleared else w.end
    spike = max(sc.events.items(), key=lambda e: e[1].multiplier)
    spike_day = pd.Timestamp(spike[1].start)
    orders = run.tables["orders"]
    seen = orders[(orders["created"] >= w.begin) & (orders["created"] < w.end)]
    inside = (seen["created"] >= spike_day) & (seen["created"] < clear_day + DAY)
    normal = daily[daily["date"] < spike_day]["orders"].mean()
    shipped = daily["orders_shipped"].max()
    spike_orders = daily.loc[daily["date"] == spike_day, "orders"].sum()
    during = f"OTIF, orders of {_date(spike_day)} - {_date(clear_day)}"
    width = len(during) + 2
    return "\n".join(
        [
            f"Orders: about {normal:,.0f} a day before the spike, {spike_orders:,.0f} on "
            f"{_date(spike_day)}; the DC shipped at most {shipped:,.0f} in a day (daily.parquet).",
            f"  {'backlog peak':<{width}}{k['backlog_peak_orders']:,.0f} orders at the end of "
            f"{_date(peak_day)}",
            f"  {'days to clear':<{width}}"
            + (
                f"{clear_days:.0f} (back under 5 % of the peak by the end of {_date(clear_day)})"
                if cleared
                else "not cleared by the end of the run"
            ),
            f"  {during:<{width}}{_pct(otif(seen[inside], w.end))}",
            f"  {'OTIF, the other days':<{width}}{_pct(otif(seen[~inside], w.end))}",
            "(backlog: orders created and not yet shipped, kpis.csv backlog_peak_orders and "
            "backlog_clear_days; OTIF: delivered within the promise with nothing missing.)",
            "",
            f"The spike brought about {_ratio(spike_orders, normal):.0f} days of orders in one "
            f"day, but the DC can ship only about {_ratio(shipped, normal):.1f} normal days a "
            "day. The backlog is the difference, and it shrinks only by the spare capacity each "
            "day after: orders placed in those days miss their promise while the queue drains.",
        ]
    )


# --- the demos -----------------------------------------------------------------------------

DEMOS: dict[str, Demo] = {
    d.name: d
    for d in (
        Demo(
            "bullwhip",
            "order swings grow at every stage upstream of steady customer demand",
            _text(
                """
                A chain of four stages: a factory, a national DC, a regional DC and a front
                warehouse in Shanghai that serves the customers. Customers buy one product at a
                steady rate, about 40 a day, with no trend and no promotion.

                Each stage plans like a careful buyer, every day: it averages the orders it
                has received over the last two weeks (the front warehouse sees customers; the
                DCs see only the orders of the stage below), and orders up to enough stock to
                cover its lead time at that average, plus safety stock.

                Watch the variance of the orders each stage places per day, compared with what
                customers buy: if it grows as you go up the chain, that is the bullwhip effect.
                """
            ),
            bullwhip_takeaway,
        ),
        Demo(
            "lead_time_stockout",
            "a supplier lead time jumps from 5 to 14 days; the reorder point does not move",
            _text(
                """
                One DC in Hangzhou buys two products from a Zhejiang vendor that delivers in
                about 5 days. Its reorder points cover 5 days of demand plus safety stock (95 %
                cycle service).

                On Oct 15 the vendor's plant shuts and it makes the goods to order at a
                sister plant: from then on every order takes about 14 days. Nobody re-sizes
                the reorder points.

                Watch the fill rate before and after Oct 15, and the days on which customers
                find the shelf empty (here they buy elsewhere: lost sales).
                """
            ),
            lead_time_takeaway,
        ),
        Demo(
            "safety_stock",
            "the same DC at z = 0, 1, 1.65, 2.33: what safety stock buys in service",
            _text(
                """
                One DC, two products, half a year of steady demand; the supplier's lead time
                is about 5 days and varies. The DC's reorder point is the demand over the lead
                time plus safety stock z x sigma, sized for a target cycle service level (the
                chance of not running out before an order arrives).

                The demo runs the same scenario four times, with z = 0, 1, 1.65 and 2.33 (50 %,
                84 %, 95 % and 99 % cycle service), and the same customers and lead times in
                each run.

                Watch how much stock each step of z adds, and how much service it buys.
                """
            ),
            safety_stock_takeaway,
            _service_variants(),
            reports=False,  # four reports would take longer than the runs; the figure compares
            figure=True,
        ),
        Demo(
            "double11_backlog",
            "a scaled-down Double-11: the backlog forms on Nov 11 and drains for days",
            _text(
                """
                One DC near Shanghai serves Shanghai and Hangzhou, about 1,000 orders on a
                normal day. On Nov 11 eight days of orders arrive in one day, a third of them in
                the first hour after midnight. The DC's pickers can handle about twice a
                normal day; the stock was built up in advance, so goods are not the problem.

                Watch the backlog of orders waiting to ship: when it peaks, how many days it
                takes to clear, and what happens meanwhile to on-time-in-full delivery (OTIF)
                against the 72-hour promise.
                """
            ),
            double11_takeaway,
        ),
    )
}
