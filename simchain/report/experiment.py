"""Experiment reports: figures of an experiment's summary and comparison tables, and one
self-contained `report.html` in the experiment folder.

Every figure is a plain function of the tables (`summary.csv`, `comparison.csv`, or
`result.summary` / `result.comparison` in a notebook) returning a matplotlib Figure. Given one
metric it draws one plot; given a list, one plot per metric side by side (small multiples),
so that an experiment of many metrics still makes a handful of files. Which way is better
for a metric comes from `simchain.kpis.direction`.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simchain.display import format_kpi
from simchain.experiment.schema import Experiment
from simchain.experiment.spec import as_set_strings
from simchain.experiment.stats import LEVEL
from simchain.kpis import direction
from simchain.report.figure import image, save_figures, table, write_page

Metrics = str | Sequence[str]

#: Small multiples: plots per row, and the size of one plot (inches).
COLUMNS = 3
PANEL = (4.2, 3.4)
#: Above this many points a trade-off plot labels only the non-dominated ones.
LABEL_ALL = 12
#: A service metric and a cost metric, in order of preference, for the default trade-off.
SERVICE = ("otif", "fill_rate", "order_fill_rate")
COST = ("total_cost", "cost_per_order")


# --- the tables ------------------------------------------------------------------------------


def parameters(frame: pd.DataFrame) -> list[str]:
    """The sweep's parameters: the columns between `point` and `metric` (none without one)."""
    cols = list(frame.columns)
    if "point" not in cols or "metric" not in cols:
        return []
    return cols[cols.index("point") + 1 : cols.index("metric")]


def _short(param: str) -> str:
    """A parameter's path by its last two parts: `pickers.count`."""
    return ".".join(param.split(".")[-2:])


def labels(
    frame: pd.DataFrame, params: Sequence[str] | None = None, variant: bool | None = None
) -> list[str]:
    """A short label per row: its variant, its parameter values (`20, 3min`; see `axis_name`
    for what they are), or `variant: values`. By default the variant is named when the table
    has several, the values when it has several points. `params`: the parameter columns
    (default: `parameters(frame)`)."""
    params = parameters(frame) if params is None else params
    named = frame["variant"].nunique() > 1 if variant is None else variant
    points = frame["point"].nunique() > 1
    out = []
    for r in frame.to_dict("records"):
        at = ", ".join(_cell(r[p]) for p in params) or str(r["point"])
        if named and points:
            out.append(f"{r['variant']}: {at}")
        else:
            out.append(at if points else str(r["variant"]))
    return out


def axis_name(
    frame: pd.DataFrame, params: Sequence[str] | None = None, variant: bool | None = None
) -> str:
    """What the `labels` of the same rows name: `variant`, `pickers.count, pick_time`, ..."""
    params = parameters(frame) if params is None else params
    named = frame["variant"].nunique() > 1 if variant is None else variant
    if frame["point"].nunique() <= 1:
        return "variant"
    at = ", ".join(map(_short, params)) or "point"
    return f"variant: {at}" if named else at


def _cell(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rows(frame: pd.DataFrame, metric: str, order: Sequence[str] | None) -> pd.DataFrame:
    """One metric's rows, variants in `order` (default: as they appear), then points by id."""
    return _ordered(frame[frame["metric"] == metric], order)


def _ordered(rows: pd.DataFrame, order: Sequence[str] | None) -> pd.DataFrame:
    listed = list(order or []) + [v for v in rows["variant"].unique() if v not in (order or [])]
    rank = {v: i for i, v in enumerate(listed)}
    key = rows["variant"].map(rank)
    return rows.assign(_v=key).sort_values(["_v", "point"], kind="stable").drop(columns="_v")


def _values(frame: pd.DataFrame, param: str) -> list[Any]:
    """A parameter's distinct values: ascending if all numbers, else in point order."""
    ordered = frame.sort_values("point", kind="stable")[param]
    distinct = list(dict.fromkeys(ordered.tolist()))
    if _numeric(distinct):
        return sorted(distinct)
    return distinct


def _numeric(values: Sequence[Any]) -> bool:
    return all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in values
    )


def better(metric: str) -> str:
    """ "higher is better", "lower is better" or "" (see `simchain.kpis.direction`)."""
    return {1: "higher is better", -1: "lower is better"}.get(direction(metric), "")


def _titled(metric: str) -> str:
    way = better(metric)
    return f"{metric} ({way})" if way else metric


# --- the non-dominated set -------------------------------------------------------------------


def non_dominated(values: Any, directions: Sequence[int]) -> np.ndarray:
    """Which rows of `values` (n points x k metrics) no other row dominates. `directions[j]` is
    +1 where a higher value of metric j is better and -1 where a lower one is. A point
    dominates another when it is at least as good on every metric and strictly better on one,
    so tied points do not dominate each other. A point with a NaN neither is non-dominated nor
    dominates."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(directions):
        raise ValueError(f"expected n x {len(directions)} values, found shape {v.shape}")
    if any(d not in (1, -1) for d in directions):
        raise ValueError(f"directions must be +1 or -1 per metric, found {list(directions)}")
    s = v * np.asarray(directions, dtype=float)  # now higher is better on every metric
    valid = ~np.isnan(s).any(axis=1)
    others = s[valid]
    out = np.zeros(len(s), dtype=bool)
    for i in np.flatnonzero(valid):
        dominated = ((others >= s[i]).all(axis=1) & (others > s[i]).any(axis=1)).any()
        out[i] = not dominated
    return out


def pareto(summary: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per variant and point: the mean and CI half-width of each metric (`<metric>`,
    `<metric>_half`), whether it has a value of each (`valued`) and whether it is
    `non_dominated` on them (NaN when a metric has no direction; False without values)."""
    wide: pd.DataFrame | None = None
    keys = ["variant", "point", *parameters(summary)]
    for m in metrics:
        part = summary.loc[summary["metric"] == m, [*keys, "mean", "ci_half_width"]]
        part = part.rename(columns={"mean": m, "ci_half_width": f"{m}_half"})
        wide = part if wide is None else wide.merge(part, on=keys)
    assert wide is not None
    wide = wide.reset_index(drop=True)
    directions = [direction(m) for m in metrics]
    wide["valued"] = np.isfinite(wide[list(metrics)].to_numpy(dtype=float)).all(axis=1)
    if all(directions):
        wide["non_dominated"] = non_dominated(wide[list(metrics)].to_numpy(), directions)
    else:
        wide["non_dominated"] = np.nan
    return wide


def tradeoff_metrics(metrics: Sequence[str], chosen: Sequence[str] | None = None) -> list[str]:
    """The trade-off plot's (x, y): `chosen` (the experiment's `tradeoff`), else a cost
    against a service level when the metrics have both, else the first two metrics."""
    if chosen:
        return list(chosen)
    cost = next((m for m in COST if m in metrics), None)
    cost = cost or next((m for m in metrics if m.endswith("_cost")), None)
    service = next((m for m in SERVICE if m in metrics), None)
    if cost and service:
        return [cost, service]
    return list(metrics[:2])


# --- figures ---------------------------------------------------------------------------------


def _panels(n: int, extra_height: float = 0.0) -> tuple[Figure, list[Axes]]:
    """A figure of `n` plots, COLUMNS to a row (one plot: slide size)."""
    if n == 1:
        fig = Figure(figsize=(8.0, 4.5 + extra_height), layout="constrained")
        return fig, [fig.subplots()]
    cols = min(n, COLUMNS)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(PANEL[0] * cols, (PANEL[1] + extra_height) * rows), layout="constrained")
    grid = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in grid[n:]:
        fig.delaxes(ax)
    return fig, list(grid[:n])


def _no_values(ax: Axes, values: Any) -> None:
    """Say so on a plot whose metric has no value (NaN: e.g. no order due in the window)."""
    if not np.isfinite(np.asarray(values, dtype=float)).any():
        ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", color="gray")


def _names(metrics: Metrics) -> list[str]:
    return [metrics] if isinstance(metrics, str) else list(metrics)


def _ticks(ax: Axes, positions: Any, names: list[str], axis: str = "x") -> None:
    if axis == "y":
        ax.set_yticks(positions, names)
        return
    long = len(names) > 4 or max((len(n) for n in names), default=0) > 12
    ax.set_xticks(positions, names, rotation=30 if long else 0, ha="right" if long else "center")


def bars(summary: pd.DataFrame, metrics: Metrics, order: Sequence[str] | None = None) -> Figure:
    """The mean of each metric per variant (and point), with its confidence interval as an
    error bar. `order`: the variants' order (default: as in the table)."""
    names = _names(metrics)
    fig, axes = _panels(len(names))
    for ax, metric in zip(axes, names, strict=True):
        rows = _rows(summary, metric, order)
        x = np.arange(len(rows))
        half = rows["ci_half_width"].to_numpy(dtype=float)
        ax.bar(x, rows["mean"].to_numpy(dtype=float), yerr=half, capsize=4, color="tab:blue")
        _ticks(ax, x, labels(rows))
        _no_values(ax, rows["mean"])
        ax.set(title=_titled(metric), ylabel="mean", xlabel=axis_name(rows))
    fig.suptitle(f"Means with {LEVEL:.0%} confidence intervals")
    return fig


#: How a paired difference is marked: its interval excludes zero, on the better or the worse
#: side, or on a metric with no direction; or it does not exclude zero.
VERDICTS = {
    "better": "tab:green",
    "worse": "tab:red",
    "differs": "tab:purple",
    "not significant": "tab:gray",
}


def verdict(metric: str, low: float, high: float) -> str:
    """One of VERDICTS for a difference whose confidence interval is [low, high]."""
    if not (low > 0 or high < 0):  # NaN (no interval) too
        return "not significant"
    way = direction(metric)
    if way == 0:
        return "differs"
    return "better" if (low > 0) == (way > 0) else "worse"


def differences(
    comparison: pd.DataFrame,
    metrics: Metrics,
    baseline: str | None = None,
    order: Sequence[str] | None = None,
) -> Figure:
    """Each variant's paired difference from the baseline (default: the table's first
    variant) with its confidence interval, a zero line, and the points coloured by VERDICTS."""
    names = _names(metrics)
    base = baseline or str(comparison["variant"].iloc[0])
    others = comparison[comparison["variant"] != base]
    n_rows = others["variant"].nunique() * others["point"].nunique()
    fig, axes = _panels(len(names), extra_height=max(0.0, 0.25 * (n_rows - 4)))
    legend: dict[str, Any] = {}
    for ax, metric in zip(axes, names, strict=True):
        rows = _rows(others, metric, order)
        y = -np.arange(len(rows), dtype=float)
        d = rows["diff_mean"].to_numpy(dtype=float)
        half = rows["diff_ci_half_width"].to_numpy(dtype=float)
        ax.errorbar(d, y, xerr=half, fmt="none", ecolor="black", capsize=3, label="_ci")
        seen: dict[str, Any] = {}
        kinds = [
            verdict(metric, lo, hi)
            for lo, hi in zip(rows["diff_ci_low"], rows["diff_ci_high"], strict=True)
        ]
        for kind, color in VERDICTS.items():
            sel = np.array([k == kind for k in kinds], dtype=bool)
            if sel.any():
                seen[kind] = ax.scatter(d[sel], y[sel], color=color, zorder=3, label=kind)
        ax.axvline(0.0, color="black", lw=1)
        ax.margins(y=0.15)
        _no_values(ax, d)
        _ticks(ax, y, labels(rows, variant=True), axis="y")
        ax.set(
            title=_titled(metric),
            xlabel=f"difference from {base}",
            ylabel=axis_name(rows, variant=True),
        )
        legend |= seen
    if legend:
        fig.legend(
            list(legend.values()),
            [f"{k} (CI excludes 0)" if k != "not significant" else k for k in legend],
            loc="outside lower center",
            ncols=len(legend),
            fontsize=8,
        )
    fig.suptitle(f"Paired differences from {base}, {LEVEL:.0%} confidence intervals")
    return fig


def response(
    summary: pd.DataFrame,
    metrics: Metrics,
    param: str | None = None,
    order: Sequence[str] | None = None,
) -> Figure:
    """Each metric's mean against a swept parameter, one line per variant, the confidence
    interval as a band (points with error bars where sampled points share a value). `param`
    defaults to the table's one parameter."""
    params = parameters(summary)
    if param is None:
        if len(params) != 1:
            raise ValueError(f"name the parameter: the table has {params or 'none'}")
        param = params[0]
    names = _names(metrics)
    fig, axes = _panels(len(names))
    values = _values(summary, param)
    numeric = _numeric(values)
    for ax, metric in zip(axes, names, strict=True):
        rows = _rows(summary, metric, order)
        for variant, line in rows.groupby("variant", sort=False):
            pos = {v: (v if numeric else i) for i, v in enumerate(values)}
            line = line.assign(_x=line[param].map(pos)).sort_values("_x", kind="stable")
            x = line["_x"].to_numpy(dtype=float)
            if line[param].duplicated().any():  # sampled points sharing a value: no curve
                ax.errorbar(
                    x,
                    line["mean"].to_numpy(dtype=float),
                    yerr=line["ci_half_width"].to_numpy(dtype=float),
                    fmt="o",
                    capsize=3,
                    label=str(variant),
                )
                continue
            ax.plot(x, line["mean"].to_numpy(dtype=float), marker="o", label=str(variant))
            ax.fill_between(
                x,
                line["ci_low"].to_numpy(dtype=float),
                line["ci_high"].to_numpy(dtype=float),
                alpha=0.2,
            )
        _no_values(ax, rows["mean"])
        if not numeric:
            _ticks(ax, np.arange(len(values)), [str(v) for v in values])
        ax.set(title=_titled(metric), xlabel=_short(param), ylabel="mean")
        if rows["variant"].nunique() > 1:
            ax.legend(fontsize=7)
    fig.suptitle(f"Response to {param}: means, {LEVEL:.0%} confidence bands")
    return fig


def heatmap(
    summary: pd.DataFrame,
    metrics: Metrics,
    params: Sequence[str] | None = None,
    variant: str | None = None,
) -> Figure:
    """The mean of each metric over two swept parameters (rows: the first, columns: the
    second), cells annotated; brighter is better where the metric has a direction. `params`
    defaults to the table's two parameters, `variant` to its first."""
    rows_p, cols_p = list(params or parameters(summary))
    names = _names(metrics)
    variant = variant or str(summary["variant"].iloc[0])
    mine = summary[summary["variant"] == variant]
    r_vals, c_vals = _values(mine, rows_p), _values(mine, cols_p)
    fig, axes = _panels(len(names))
    for ax, metric in zip(axes, names, strict=True):
        cells = mine[mine["metric"] == metric]
        if cells.duplicated([rows_p, cols_p]).any():
            raise ValueError(f"several points per ({rows_p}, {cols_p}): heatmaps need a grid")
        grid = cells.pivot(index=rows_p, columns=cols_p, values="mean")
        grid = grid.reindex(index=r_vals, columns=c_vals)
        data = grid.to_numpy(dtype=float)
        cmap = "viridis_r" if direction(metric) < 0 else "viridis"
        im = ax.imshow(data, cmap=cmap, aspect="auto", origin="lower")
        finite = data[np.isfinite(data)]
        mid = (finite.min() + finite.max()) / 2 if len(finite) else 0.0
        for (i, j), v in np.ndenumerate(data):
            dark = (v < mid) if cmap == "viridis" else (v > mid)
            ax.text(
                j,
                i,
                format_kpi(metric, v),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
        ax.set_xticks(np.arange(len(c_vals)), [str(v) for v in c_vals])
        ax.set_yticks(np.arange(len(r_vals)), [str(v) for v in r_vals])
        ax.set(title=_titled(metric), xlabel=_short(cols_p), ylabel=_short(rows_p))
        fig.colorbar(im, ax=ax, label="mean")
    fig.suptitle(f"{variant}: means over {_short(rows_p)} x {_short(cols_p)}")
    return fig


def tradeoff(summary: pd.DataFrame, x: str, y: str, order: Sequence[str] | None = None) -> Figure:
    """Metric `y` against metric `x`, a point per variant (and point) with confidence-interval
    whiskers both ways; the non-dominated ones (given which way is better for each) marked in
    red and labelled, and joined by a dashed line."""
    wide = _ordered(pareto(summary, [x, y]), order).reset_index(drop=True)
    names = labels(wide, parameters(summary))
    fig, (ax,) = _panels(1)
    xs, ys = wide[x].to_numpy(dtype=float), wide[y].to_numpy(dtype=float)
    ax.errorbar(
        xs,
        ys,
        xerr=wide[f"{x}_half"].to_numpy(dtype=float),
        yerr=wide[f"{y}_half"].to_numpy(dtype=float),
        fmt="none",
        ecolor="gray",
        alpha=0.6,
        capsize=2,
        label="_ci",
    )
    known = wide["non_dominated"].notna().all() and len(wide)
    front = wide["non_dominated"].to_numpy(dtype=float) == 1 if known else np.zeros(len(wide), bool)
    valued = wide["valued"].to_numpy(dtype=bool)
    if known and not valued.any():
        title = f"Trade-off: {y} against {x} (no values)"
    elif known:
        ax.scatter(xs[valued & ~front], ys[valued & ~front], color="tab:blue", label="dominated")
        ax.scatter(xs[front], ys[front], color="tab:red", s=60, zorder=3, label="non-dominated")
        line = np.argsort(xs[front], kind="stable")
        ax.plot(xs[front][line], ys[front][line], "--", color="tab:red", lw=1, label="_front")
        ax.legend(fontsize=8)
        title = f"Trade-off: {y} against {x} (red: non-dominated)"
    else:
        ax.scatter(xs, ys, color="tab:blue", label="variants")
        unknown = [m for m in (x, y) if not direction(m)]
        title = f"Trade-off: {y} against {x} (no Pareto set: no better direction for {unknown[0]})"
    at: dict[tuple[float, float], list[int]] = {}  # tied points: one label naming them all
    for i in range(len(wide)):
        if front[i] or len(wide) <= LABEL_ALL:
            at.setdefault((xs[i], ys[i]), []).append(i)
    for (px, py), members in at.items():
        ax.annotate(
            " / ".join(names[i] for i in members),
            (px, py),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=8,
            fontweight="bold" if front[members[0]] else "normal",
        )
    ax.set(title=title, xlabel=_titled(x), ylabel=_titled(y))
    if len(wide) and wide["point"].nunique() > 1:
        ax.text(
            0.01,
            0.01,
            f"points: {axis_name(wide, parameters(summary))}",
            transform=ax.transAxes,
            fontsize=8,
            color="gray",
        )
    return fig


# --- the report ------------------------------------------------------------------------------


@dataclass
class ExperimentTables:
    """What an experiment folder holds for its report."""

    spec: Experiment
    scenario: str
    summary: pd.DataFrame
    comparison: pd.DataFrame
    manifest: dict[str, Any]


def read_experiment(folder: Path) -> ExperimentTables:
    """An experiment folder's spec, summary, comparison and manifest."""
    folder = Path(folder)
    recorded = json.loads((folder / "experiment.json").read_text(encoding="utf-8"))
    spec = Experiment.model_validate(recorded["experiment"])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return ExperimentTables(
        spec,
        str(recorded.get("scenario", spec.scenario)),
        _csv(folder / "summary.csv"),
        _csv(folder / "comparison.csv"),
        manifest,
    )


def _csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # every run failed: a table without rows
        return pd.DataFrame()


def figures(t: ExperimentTables) -> dict[str, Figure]:
    """Every figure of the experiment's report, by file name."""
    spec, summary = t.spec, t.summary
    if summary.empty:
        return {}
    order = [spec.baseline_variant, *(v for v in spec.variants if v != spec.baseline_variant)]
    metrics = [m for m in spec.metrics if (summary["metric"] == m).any()]
    params = parameters(summary)
    out = {"means": bars(summary, metrics, order)}
    if len(spec.variants) > 1 and not t.comparison.empty:
        out["differences"] = differences(t.comparison, metrics, spec.baseline_variant, order)
    if len(params) == 1:
        out["response"] = response(summary, metrics, params[0], order)
    if len(params) == 2 and spec.sweep is not None and spec.sweep.grid:
        for variant in order:
            name = "heatmap" if len(spec.variants) == 1 else f"heatmap_{variant}"
            out[name] = heatmap(summary, metrics, params, variant)
    if len(metrics) >= 2:
        x, y = tradeoff_metrics(metrics, spec.tradeoff)
        out["tradeoff"] = tradeoff(summary, x, y, order)
    return out


def pm(metric: str, mean: float, half: float, signed: bool = False) -> str:
    """`mean ± half-width` as the terminal's comparison table shows it (`format_kpi`); the
    mean alone without an interval; `signed` puts a + on positive differences."""
    m = format_kpi(metric, mean)
    if signed and mean > 0:
        m = "+" + m
    return m if math.isnan(half) else f"{m} ± {format_kpi(metric, half)}"


MARKS = {"better": " * better", "worse": " * worse", "differs": " *", "not significant": ""}


def _wide(frame: pd.DataFrame, metrics: list[str], cell: Any, order: list[str]) -> str:
    """One row per variant and point, one column per metric."""
    params = parameters(frame)
    first = _rows(frame, metrics[0], order)
    rows = []
    for r in first.to_dict("records"):
        at = frame[(frame["variant"] == r["variant"]) & (frame["point"] == r["point"])]
        by_metric = {
            str(m): rec for m, rec in zip(at["metric"], at.to_dict("records"), strict=True)
        }
        cells = [cell(m, by_metric[m]) if m in by_metric else "" for m in metrics]
        rows.append([r["variant"], *(str(r[p]) for p in params), *cells])
    arrows = {1: " ↑", -1: " ↓", 0: ""}
    header = ["variant", *map(_short, params), *(m + arrows[direction(m)] for m in metrics)]
    return table(header, rows)


def _varied(spec: Experiment) -> str:
    """What the variants and the sweep change, as HTML."""
    rows = []
    for name, v in spec.variants.items():
        sets = "; ".join(as_set_strings(v.overrides)) or "(the scenario as written)"
        role = "baseline" if name == spec.baseline_variant else ""
        rows.append([name, role, sets, v.description or ""])
    parts = [table(["variant", "", "overrides", "description"], rows)]
    common = as_set_strings(spec.overrides)
    if common:
        parts.append(f"<p>Every run: {html.escape('; '.join(common))}.</p>")
    sweep = spec.sweep
    if sweep is not None:
        if sweep.grid:
            what = "; ".join(f"{p} in {json.dumps(v)}" for p, v in sweep.grid.items())
            kind = "a full grid"
        else:
            bounds = sweep.random or sweep.latin_hypercube or {}
            what = "; ".join(
                f"{p} from {b.low:g} to {b.high:g}" + (" (integers)" if b.integer else "")
                for p, b in bounds.items()
            )
            kind = f"{sweep.samples} {'random' if sweep.random else 'Latin hypercube'} samples"
        parts.append(f"<p>Sweep ({html.escape(kind)}): {html.escape(what)}.</p>")
    return "\n".join(parts)


def write_experiment_report(folder: Path) -> Path:
    """Draw an experiment folder's figures into `figures/` (PNG and SVG) and write the
    self-contained `report.html`; returns its path."""
    folder = Path(folder)
    t = read_experiment(folder)
    spec, summary, comp = t.spec, t.summary, t.comparison
    level = f"{LEVEL:.0%}"
    order = [spec.baseline_variant, *(v for v in spec.variants if v != spec.baseline_variant)]
    metrics = [m for m in spec.metrics if not summary.empty and (summary["metric"] == m).any()]
    runs, failed = t.manifest.get("runs", 0), t.manifest.get("failures", 0)
    horizon = f", horizon {spec.days:g} days" if spec.days else ""
    body = [
        f"<h1>{html.escape(spec.name)}</h1>",
        f"<p>{html.escape(spec.description)}</p>" if spec.description else "",
        f"<p>Scenario <code>{html.escape(spec.scenario)}</code> (each variant's as run in "
        "<code>scenarios/</code>)"
        f"{horizon}; {spec.replications} replications per variant and point, master seed "
        f"{spec.seed}, common random numbers; {runs} runs"
        + (f", <b>{failed} failed</b> (left out of the statistics)" if failed else "")
        + ".</p>",
        "<h2>What varied</h2>",
        _varied(spec),
    ]
    if not metrics:
        body.append("<p>No successful run: nothing to summarise.</p>")
    else:
        body += [
            "<h2>Comparison</h2>",
            f"<p>Mean ± half-width of the {level} confidence interval of the mean over the "
            "replications (Student t); ↑ higher is better, ↓ lower is better.</p>",
            _wide(summary, metrics, lambda m, r: pm(m, r["mean"], r["ci_half_width"]), order),
        ]
        others = comp[comp["variant"] != spec.baseline_variant] if not comp.empty else comp
        if len(others):
            body += [
                f"<h2>Differences from the baseline, {html.escape(spec.baseline_variant)}</h2>",
                f"<p>Paired replication by replication (common random numbers): mean "
                f"difference ± half-width of its {level} confidence interval. * marks an "
                "interval that excludes zero, with whether the difference is better or worse "
                "where the metric has a direction.</p>",
                _wide(
                    others,
                    metrics,
                    lambda m, r: (
                        pm(m, r["diff_mean"], r["diff_ci_half_width"], signed=True)
                        + MARKS[verdict(m, r["diff_ci_low"], r["diff_ci_high"])]
                    ),
                    order,
                ),
            ]
        if len(metrics) >= 2:
            x, y = tradeoff_metrics(metrics, spec.tradeoff)
            front = _ordered(pareto(summary, [x, y]), order)
            if front["non_dominated"].notna().all():
                chosen = front[front["non_dominated"].astype(bool)]
                best = labels(chosen, parameters(summary))
                blank = labels(front[~front["valued"]], parameters(summary))
                missing = f" No values of both: {', '.join(blank)}." if blank else ""
                found = (
                    f"Non-dominated on {x} and {y} (means): {', '.join(best)}."
                    if best
                    else f"No variant has values of both {x} and {y}: no Pareto set."
                )
                body.append(f"<p>{html.escape(found + missing)}</p>")
    params = parameters(summary)
    if len(params) > 2 or (len(params) == 2 and not (spec.sweep and spec.sweep.grid)):
        body.append(
            f"<p>A sweep over {len(params)} parameters"
            + ("" if len(params) > 2 else " not on a grid")
            + ": no response curves or heatmaps (see summary.csv).</p>"
        )
    embedded = save_figures(folder, figures(t))
    body += [image(name, data) for name, data in embedded.items()]
    return write_page(
        folder / "report.html", f"{spec.name}: simchain experiment report", "\n".join(body)
    )
