"""Animations: the network moving over simulated time, for a class to watch.

Everything is drawn from a run's tables (`result.tables`), never from the simulation core.
`frame_state` computes every frame's numbers at once (one `searchsorted` per table and group
over all frame times); `animate` draws them on one Figure (no pyplot) and writes a GIF
(Pillow) or an MP4 (ffmpeg).

Frame k shows the state at clock hour k x step, for k = 0 .. ceil(horizon / step) - 1: the
first frame is the opening state, the last is less than one step before the horizon.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from simchain.scenario.schema import Scenario
from simchain.timebase import HOURS_PER_DAY, format_duration

Tables = dict[str, pd.DataFrame]

FPS = 10
TARGET_SECONDS = 20.0  # the default step aims at a run of about this long (10-30 s)
MIN_STEP = 1 / 60  # one minute: the clock shows minutes, so every frame differs
MAX_FRAMES = 3000
# Steps a person can read off the clock: the default step is the one nearest the target.
NICE_STEPS = (
    *(m / 60 for m in (5, 10, 15, 20, 30)),
    *(1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0),
    *(d * HOURS_PER_DAY for d in (1, 2, 3, 7, 14)),
)
SUFFIXES = (".gif", ".mp4")
SIZE = (10.0, 5.625)  # inches: 16:9
DPI = 90  # 900 x 506 pixels


class AnimationError(ValueError):
    """Bad input to an animation (a step, a frame rate, an output suffix); exit code 2."""


# --- frames ----------------------------------------------------------------------------------


def default_step(horizon: float, fps: int = FPS) -> float:
    """The step (hours) among NICE_STEPS whose run at `fps` is nearest TARGET_SECONDS."""
    raw = horizon / (TARGET_SECONDS * fps)
    return min(NICE_STEPS, key=lambda s: abs(math.log(s / raw)))


def frame_count(horizon: float, step: float) -> int:
    """ceil(horizon / step): one frame per step, the first at the start."""
    return max(1, math.ceil(horizon / step - 1e-9))


def frame_times(scenario: Scenario, step: float) -> np.ndarray:
    """The clock hour of each frame: 0, step, 2 step, ... below the horizon."""
    return np.arange(frame_count(scenario.calendar.horizon, step)) * step


def check_step(scenario: Scenario, step: float) -> None:
    if not step >= MIN_STEP:
        raise AnimationError(f"--step must be at least 1min, found {format_duration(step)}")
    n = frame_count(scenario.calendar.horizon, step)
    if n > MAX_FRAMES:
        raise AnimationError(
            f"--step {format_duration(step)} makes {n:,} frames (at most {MAX_FRAMES:,}): "
            "give a larger step or fewer --days"
        )


def check_output(path: Path) -> str:
    """The writer an output file needs ('pillow' or 'ffmpeg'), or AnimationError."""
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return "pillow"
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None or not FFMpegWriter.isAvailable():
            raise AnimationError(
                f"{path}: writing .mp4 needs ffmpeg on the PATH, and it is not there; "
                "write a .gif instead (--out demo.gif)"
            )
        return "ffmpeg"
    raise AnimationError(
        f"{path}: unknown animation format {suffix or '(no suffix)'!r}; use .gif or .mp4"
    )


def _hours(col: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """Clock hours of a datetime column (NaT -> NaN)."""
    return ((col - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float, na_value=np.nan)


def active(
    starts: np.ndarray, ends: np.ndarray, times: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """For each time t, the total weight of the intervals [start, end) holding t. A NaN start
    is never active, a NaN end never ends. Two sorts and two searchsorted calls, any size."""
    ok = ~np.isnan(starts)
    s = starts[ok]
    e = np.where(np.isnan(ends[ok]), np.inf, ends[ok])
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)[ok]
    i, j = np.argsort(s, kind="stable"), np.argsort(e, kind="stable")
    cum_s = np.concatenate(([0.0], np.cumsum(w[i])))
    cum_e = np.concatenate(([0.0], np.cumsum(w[j])))
    return cum_s[np.searchsorted(s[i], times, "right")] - cum_e[np.searchsorted(e[j], times, "right")]


def _grouped(
    keys: pd.Series | pd.MultiIndex | list[pd.Series],
    starts: np.ndarray,
    ends: np.ndarray,
    times: np.ndarray,
    columns: Iterable[object],
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """`active` per group: frames x the given columns (0 where a group has no rows)."""
    out = pd.DataFrame(0.0, index=range(len(times)), columns=pd.Index(list(columns)))
    frame = pd.DataFrame({"s": starts, "e": ends, "w": 1.0 if weights is None else weights})
    for key, idx in frame.groupby(keys, observed=True, sort=False).indices.items():
        if key in out.columns:
            part = frame.iloc[idx]
            out[key] = active(part["s"].to_numpy(), part["e"].to_numpy(), times, part["w"].to_numpy())
    return out


def _step_sum(
    tables: Tables, column: str, warehouses: list[str], times: np.ndarray, start: pd.Timestamp
) -> tuple[pd.DataFrame, pd.Series]:
    """The inventory log's `column` summed over SKUs per warehouse at each time (the log is a
    step function per warehouse and SKU), and each warehouse's peak of that sum in the run."""
    inv = tables["inventory"]
    out = pd.DataFrame(0.0, index=range(len(times)), columns=pd.Index(warehouses))
    peak = pd.Series(0.0, index=pd.Index(warehouses))
    if not len(inv):
        return out, peak
    t = _hours(inv["time"], start)
    order = np.argsort(t, kind="stable")  # same time: the log's order, the last row holds
    inv = inv.iloc[order]
    t = t[order]
    values = inv[column].to_numpy(dtype=float)
    prev = inv.groupby(["warehouse", "sku"], observed=True)[column].shift(1)
    delta = values - prev.fillna(0.0).to_numpy(dtype=float)
    wh = inv["warehouse"].astype(str).to_numpy()
    for name in warehouses:
        mask = wh == name
        if not mask.any():
            continue
        level = np.cumsum(delta[mask])
        k = np.searchsorted(t[mask], times, "right") - 1
        out[name] = np.where(k >= 0, level[np.maximum(k, 0)], 0.0)
        peak[name] = level.max()
    return out, peak


@dataclass
class FrameState:
    """Every frame's numbers. DataFrames have one row per frame; their columns are warehouses,
    (source, destination) lanes or (warehouse, region) lanes."""

    times: np.ndarray  # clock hours
    stamps: pd.DatetimeIndex
    on_hand: pd.DataFrame  # units, summed over SKUs
    peak: pd.Series  # each warehouse's highest on-hand total in the run
    backorders: pd.DataFrame  # customer backorders, units
    awaiting_stock: pd.DataFrame  # orders created, not yet allocated (nor gone)
    in_process: pd.DataFrame  # orders allocated, not yet shipped: picking, packing, the dock
    replenishing: pd.DataFrame  # units placed, not yet received, per (source, destination)
    parcels: pd.DataFrame  # orders shipped, not yet delivered, per (warehouse, region)
    delivered: pd.DataFrame  # orders delivered so far, per region
    events: list[str]  # calendar events and disruptions in force


def replenishment_lanes(sc: Scenario, tables: Tables) -> list[tuple[str, str]]:
    """(source, destination) of every replenishment lane: the scenario's sources, then any
    other pair the run used (transshipments between siblings)."""
    lanes = [(src, wh) for wh in sc.warehouses for src in sc.sources(wh)]
    rep = tables.get("replenishments")
    if rep is not None and len(rep):
        pairs = rep[["source", "destination"]].astype(str).drop_duplicates()
        lanes += [p for p in pairs.itertuples(index=False, name=None) if p not in lanes]
    nodes = set(sc.suppliers) | set(sc.warehouses)
    return [(a, b) for a, b in lanes if a in nodes and b in nodes]


def parcel_lanes(sc: Scenario) -> list[tuple[str, str]]:
    """(warehouse, region) for each warehouse serving a region (through hubs or not)."""
    return [(wh, r) for r, region in sc.regions.items() for wh in region.served_by]


def _in_force(sc: Scenario, times: np.ndarray) -> list[str]:
    """Per frame: the calendar events (with 'first hour' in an event's hour 0 when it shapes
    that hour) and the disruptions in force."""
    start = sc.calendar.start
    labels: list[list[str]] = [[] for _ in times]

    def mark(first: float, last: float, text: str, first_hour: bool = False) -> None:
        for k in np.flatnonzero((times >= first) & (times < last)):
            hour0 = first_hour and times[k] < first + 1.0
            labels[k].append(f"{text}, first hour" if hour0 else text)

    for name, ev in sc.events.items():
        first = (ev.start - start).days * HOURS_PER_DAY
        last = ((ev.end or ev.start) - start).days * HOURS_PER_DAY + HOURS_PER_DAY
        text = f"{name} (demand x{ev.multiplier:g})" if ev.multiplier != 1 else name
        mark(first, last, text, ev.first_hour_shape is not None)
    for name, d in sc.disruptions.items():
        if d.start is None:  # random windows are dated in the resolved scenario
            continue
        lo, hi = d.window
        first = (lo - start).days * HOURS_PER_DAY
        mark(first, (hi - start).days * HOURS_PER_DAY + HOURS_PER_DAY, f"disruption {name}")
    return ["; ".join(parts) for parts in labels]


def frame_state(tables: Tables, sc: Scenario, times: np.ndarray) -> FrameState:
    """The network's numbers at each of the clock hours `times`, from a run's tables."""
    start = pd.Timestamp(sc.calendar.start)
    times = np.asarray(times, dtype=float)
    warehouses = list(sc.warehouses)
    on_hand, peak = _step_sum(tables, "on_hand", warehouses, times, start)
    backorders, _ = _step_sum(tables, "customer_backorders", warehouses, times, start)

    orders = tables["orders"]
    created = _hours(orders["created"], start)
    gone = _hours(orders["shipped"].fillna(orders["cancelled"]), start)
    lost = (orders["status"].astype(str) == "lost").to_numpy()
    gone = np.where(lost & np.isnan(gone), created, gone)
    allocated = np.fmin(_hours(orders["allocated"], start), gone)  # NaN allocated -> gone
    wh = orders["warehouse"].astype(str)
    awaiting = _grouped(wh, created, allocated, times, warehouses)
    in_process = _grouped(wh, allocated, gone, times, warehouses)
    pair = [orders["warehouse"].astype(str), orders["region"].astype(str)]
    parcels = _grouped(
        pair,
        _hours(orders["shipped"], start),
        _hours(orders["delivered"], start),
        times,
        parcel_lanes(sc),
    )
    delivered_h = _hours(orders["delivered"], start)
    delivered = _grouped(
        orders["region"].astype(str), delivered_h, np.full(len(orders), np.nan), times, sc.regions
    )

    rep = tables["replenishments"]
    replenishing = _grouped(
        [rep["source"].astype(str), rep["destination"].astype(str)],
        _hours(rep["placed"], start),
        _hours(rep["received"], start),
        times,
        replenishment_lanes(sc, tables),
        rep["quantity"].to_numpy(dtype=float),
    )
    stamps = start + pd.to_timedelta(times, unit="h")
    return FrameState(
        times,
        pd.DatetimeIndex(stamps),
        on_hand,
        peak,
        backorders,
        awaiting,
        in_process,
        replenishing,
        parcels,
        delivered,
        _in_force(sc, times),
    )


# --- drawing ---------------------------------------------------------------------------------


def layout(sc: Scenario) -> dict[str, tuple[int, int, int]]:
    """node -> (column, row, rows in the column): suppliers in column 0, each warehouse one
    column right of its furthest upstream source, regions in the last column."""
    depth: dict[str, int] = {}

    def of(wh: str, seen: tuple[str, ...] = ()) -> int:
        if wh not in depth:
            ups = [s for s in sc.sources(wh) if s in sc.warehouses and s not in seen]
            depth[wh] = 1 + max((of(s, (*seen, wh)) for s in ups), default=0)
        return depth[wh]

    columns: dict[int, list[str]] = {0: list(sc.suppliers)}
    for wh in sc.warehouses:
        columns.setdefault(of(wh), []).append(wh)
    last = max(columns) + 1
    # regions in the order of the warehouse that serves them first (fewer crossing arrows)
    rank = {w: i for i, w in enumerate(w for c in sorted(columns) for w in columns[c])}
    columns[last] = sorted(sc.regions, key=lambda r: rank.get(sc.regions[r].served_by[0], 0))
    return {
        node: (col, row, len(nodes))
        for col, nodes in columns.items()
        for row, node in enumerate(nodes)
    }


@dataclass
class _Node:
    x: float  # centre
    y: float
    w: float
    h: float


def _box(ax: Axes, n: _Node, face: str, edge: str = "#555555") -> FancyBboxPatch:
    patch = FancyBboxPatch(
        (n.x - n.w / 2, n.y - n.h / 2),
        n.w,
        n.h,
        boxstyle="round,pad=0.004",
        fc=face,
        ec=edge,
        lw=1.0,
        zorder=2,
    )
    ax.add_patch(patch)
    return patch


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


class _Scene:
    """The figure and the artists each frame updates."""

    def __init__(self, sc: Scenario, state: FrameState, tables: Tables, title: str) -> None:
        self.sc, self.state = sc, state
        fig = Figure(figsize=SIZE)
        self.fig = fig
        ax = fig.add_axes((0.0, 0.2, 1.0, 0.8))
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.axis("off")
        self.ax = ax
        pos = layout(sc)
        ncols = max(c for c, _, _ in pos.values()) + 1
        rows = max(n for _, _, n in pos.values())
        h = min(0.2, 0.7 / rows - 0.03)
        nodes: dict[str, _Node] = {}
        for name, (col, row, n) in pos.items():
            x = 0.07 + col * 0.86 / max(ncols - 1, 1)
            y = 0.82 - (row + 0.5) * 0.74 / n
            w = 0.17 if name in sc.warehouses else 0.11
            nodes[name] = _Node(x, y, w, h)
        self.nodes = nodes

        ax.text(0.01, 0.985, title, fontsize=11, weight="bold", va="top")
        self.clock = ax.text(0.99, 0.985, "", fontsize=12, weight="bold", va="top", ha="right")
        self.event = ax.text(0.99, 0.92, "", fontsize=9, va="top", ha="right", color="#b35900")
        for col, label in ((0, "suppliers"), (ncols - 1, "customer regions")):
            x = 0.07 + col * 0.86 / max(ncols - 1, 1)
            ax.text(x, 0.86, label, fontsize=8, ha="center", color="#777777")

        # lanes first, under the boxes
        peak_units = max(float(state.replenishing.to_numpy().max(initial=0)), 1.0)
        peak_parcels = max(float(state.parcels.to_numpy().max(initial=0)), 1.0)
        self.lanes: list[tuple[object, FancyArrowPatch, object, float, str]] = []
        for (a, b), unit, color, scale in (
            *((p, "u", "#d9822b", peak_units) for p in state.replenishing.columns),
            *((p, "parcels", "#2b6cb0", peak_parcels) for p in state.parcels.columns),
        ):
            if a in nodes and b in nodes:
                self._lane((a, b), unit, color, scale)

        self.bars: dict[str, tuple[Rectangle, object, object, FancyBboxPatch]] = {}
        for name in sc.suppliers:
            n = nodes[name]
            _box(ax, n, "#eeeeee")
            ax.text(n.x, n.y, name, fontsize=8, ha="center", va="center", zorder=3)
        for name in sc.warehouses:
            n = nodes[name]
            box = _box(ax, n, "white")
            top = n.y + n.h / 2
            ax.text(n.x, top - 0.012, name, fontsize=8, weight="bold", ha="center", va="top",
                    zorder=3)  # fmt: skip
            bx, bw, bh = n.x - n.w / 2 + 0.01, n.w - 0.02, n.h * 0.2
            by = n.y - bh / 2 + n.h * 0.05
            ax.add_patch(Rectangle((bx, by), bw, bh, fc="#e6e6e6", ec="none", zorder=3))
            bar = Rectangle((bx, by), 0, bh, fc="#38a169", ec="none", zorder=4)
            ax.add_patch(bar)
            stock = ax.text(n.x, by + bh / 2, "", fontsize=6.5, ha="center", va="center", zorder=5)
            queue = ax.text(n.x, n.y - n.h / 2 + 0.008, "", fontsize=6.5, ha="center",
                            va="bottom", zorder=3)  # fmt: skip
            self.bars[name] = (bar, stock, queue, box)
        self.regions = {}
        for name in sc.regions:
            n = nodes[name]
            _box(ax, n, "#ebf4ff")
            ax.text(n.x, n.y + 0.012, name, fontsize=8, weight="bold", ha="center", va="bottom",
                    zorder=3)  # fmt: skip
            self.regions[name] = ax.text(
                n.x, n.y - 0.005, "", fontsize=6.5, ha="center", va="top", zorder=3
            )
        ax.text(
            0.01,
            0.01,
            "orange: units on order (placed, not received)   blue: parcels shipped, not "
            "delivered   bar: on hand vs the warehouse's peak   queue: orders waiting for "
            "stock / in pick-pack",
            fontsize=6.5,
            color="#555555",
        )
        self._timeline(tables)

    def _lane(self, pair: tuple[str, str], unit: str, color: str, scale: float) -> None:
        a, b = (self.nodes[p] for p in pair)
        same = abs(a.x - b.x) < 1e-9  # siblings: transshipment
        if same:
            start, end, rad = (a.x + a.w / 2, a.y), (b.x + b.w / 2, b.y), -0.6
        else:
            start, end = (a.x + a.w / 2, a.y), (b.x - b.w / 2, b.y)
            skips = b.x - a.x > 0.86 / 2 and len(self.sc.warehouses) > 1
            rad = -0.25 if skips else 0.0
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=10,
            connectionstyle=f"arc3,rad={rad}",
            color=color,
            lw=0.5,
            alpha=0.85,
            zorder=1,
        )
        self.ax.add_patch(arrow)
        # the label at the curve's midpoint (a quadratic Bezier, drawn in display space)
        to_px = self.ax.transData
        p0, p2 = to_px.transform(start), to_px.transform(end)
        dx, dy = p2 - p0
        mid = (p0 + p2) / 2 + 0.5 * rad * np.array([dy, -dx])
        x, y = to_px.inverted().transform(mid)
        label = self.ax.text(
            x, y, "", fontsize=6.5, color=color, ha="center", va="center", zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )  # fmt: skip
        self.lanes.append((pair, arrow, label, scale, unit))

    def _timeline(self, tables: Tables) -> None:
        """Orders per day along the whole run, events shaded, and a cursor at the frame."""
        ax = self.fig.add_axes((0.06, 0.07, 0.9, 0.12))
        daily = tables.get("daily")
        horizon_d = self.sc.calendar.horizon / HOURS_PER_DAY
        if daily is not None and len(daily):
            ax.plot(np.arange(len(daily)) + 0.5, daily["orders"], color="#2b6cb0", lw=1)
        for ev in self.sc.events.values():
            first = (ev.start - self.sc.calendar.start).days
            last = ((ev.end or ev.start) - self.sc.calendar.start).days + 1
            ax.axvspan(first, last, color="orange", alpha=0.2, lw=0)
        ax.set_xlim(0, horizon_d)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=6.5)
        ax.set_xlabel("day of the run", fontsize=7, labelpad=1)
        ax.set_ylabel("orders/day", fontsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.cursor = ax.axvline(0, color="#c53030", lw=1.5)

    def draw(self, k: int) -> None:
        st = self.state
        stamp = st.stamps[k]
        day = int(st.times[k] // HOURS_PER_DAY) + 1
        self.clock.set_text(f"{stamp:%a %Y-%m-%d %H:%M}  (day {day})")
        self.event.set_text(st.events[k])
        self.cursor.set_xdata([st.times[k] / HOURS_PER_DAY] * 2)
        hit = {
            node
            for name, d in self.sc.disruptions.items()
            if d.start is not None and f"disruption {name}" in st.events[k]
            for node in d.nodes
        }
        for name, (bar, stock, queue, box) in self.bars.items():
            level = float(st.on_hand.at[k, name])
            peak = float(st.peak[name])
            share = level / peak if peak > 0 else 0.0
            n = self.nodes[name]
            bar.set_width((n.w - 0.02) * min(max(share, 0.0), 1.0))
            bar.set_facecolor("#38a169" if share >= 0.3 else "#dd6b20" if share > 0.1 else "#c53030")
            text = f"on hand {_fmt(level)} ({share:.0%} of peak)"
            back = float(st.backorders.at[k, name])
            stock.set_text(text + (f", {_fmt(back)} backordered" if back > 0 else ""))
            wait, busy = st.awaiting_stock.at[k, name], st.in_process.at[k, name]
            queue.set_text(f"queue: {_fmt(wait)} for stock, {_fmt(busy)} pick/pack")
            box.set_edgecolor("#c53030" if name in hit else "#555555")
            box.set_linewidth(2.5 if name in hit else 1.0)
        for name, text in self.regions.items():
            text.set_text(f"{_fmt(st.delivered.at[k, name])} delivered")
        for pair, arrow, label, scale, unit in self.lanes:
            table = st.replenishing if unit == "u" else st.parcels
            v = float(table.at[k, pair])
            arrow.set_linewidth(0.5 + 6.0 * v / scale)
            arrow.set_alpha(0.9 if v > 0 else 0.3)
            label.set_text(f"{_fmt(v)} {unit}" if v > 0 else "")


def animate(
    tables: Tables,
    sc: Scenario,
    out: Path,
    step: float | None = None,
    fps: int = FPS,
    title: str | None = None,
) -> tuple[int, float]:
    """Write the animation of a run (its tables and the scenario it saw) to `out` (.gif or
    .mp4). Returns the number of frames, frame_count(horizon, step), and the step (hours;
    default_step when none is given)."""
    writer_name = check_output(out)
    if not 1 <= fps <= 60:
        raise AnimationError(f"--fps must be between 1 and 60, found {fps}")
    step = default_step(sc.calendar.horizon, fps) if step is None else step
    check_step(sc, step)
    times = frame_times(sc, step)
    state = frame_state(tables, sc, times)
    scene = _Scene(sc, state, tables, title or sc.name)
    anim = FuncAnimation(scene.fig, scene.draw, frames=len(times), repeat=False)
    writer = PillowWriter(fps=fps) if writer_name == "pillow" else FFMpegWriter(fps=fps)
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(out), writer=writer, dpi=DPI)
    return len(times), step
