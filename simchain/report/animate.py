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
from matplotlib.animation import AbstractMovieWriter, FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.artist import Artist
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter
from PIL import Image

from simchain.errors import UsageError
from simchain.kpis import level_changes
from simchain.scenario.schema import Disruption, Scenario
from simchain.timebase import HOURS_PER_DAY, date_to_clock, format_duration

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
NETWORK = (0.0, 0.2, 1.0, 0.8)  # figure coordinates of the network and of the timeline
TIMELINE = (0.07, 0.07, 0.89, 0.12)


class AnimationError(UsageError):
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


def check_fps(fps: int) -> None:
    if not 1 <= fps <= 60:
        raise AnimationError(f"--fps must be between 1 and 60, found {fps}")


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
    return (
        cum_s[np.searchsorted(s[i], times, "right")] - cum_e[np.searchsorted(e[j], times, "right")]
    )


def _grouped(
    keys: pd.Series | list[pd.Series],
    starts: np.ndarray,
    ends: np.ndarray,
    times: np.ndarray,
    columns: Iterable[object],
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """`active` per group: frames x the given columns (0 where a group has no rows)."""
    out = pd.DataFrame(0.0, index=range(len(times)), columns=pd.Index(list(columns)))
    frame = pd.DataFrame({"s": starts, "e": ends, "w": 1.0 if weights is None else weights})
    by = [k.to_numpy() for k in (keys if isinstance(keys, list) else [keys])]  # by position
    groups = frame.groupby(by if len(by) > 1 else by[0], sort=False).indices
    for key, idx in groups.items():
        if key in out.columns:
            part = frame.iloc[idx]
            out[key] = active(
                part["s"].to_numpy(), part["e"].to_numpy(), times, part["w"].to_numpy()
            )
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
    changes = level_changes(inv, column)  # in time order; same time: the last row holds
    t = _hours(changes["time"], start)
    wh = changes["warehouse"].to_numpy()
    levels = changes["level"].to_numpy(dtype=float)
    for name in warehouses:
        mask = wh == name
        if not mask.any():
            continue
        level = levels[mask]
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
        mark(*_window_hours(sc, d), f"disruption {name}")
    return ["; ".join(parts) for parts in labels]


def _window_hours(sc: Scenario, d: Disruption) -> tuple[float, float]:
    """A dated disruption's clock hours: from its first day's midnight to its last day's end."""
    lo, hi = d.window
    start = sc.calendar.start
    return date_to_clock(start, lo), date_to_clock(start, hi) + HOURS_PER_DAY


def _in_window(sc: Scenario, d: Disruption, now: float) -> bool:
    first, end = _window_hours(sc, d)
    return first <= now < end


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
    x: float  # centre, in the network axes (0..1)
    y: float
    w: float
    h: float
    col: int


@dataclass
class _Lane:
    pair: tuple[str, str]
    parcels: bool  # parcels to a region, else units replenishing a warehouse
    arrow: FancyArrowPatch | None  # None: drawn once, in the background
    label: Text | None  # None: counted in the region's box


def _at(table: pd.DataFrame, k: int, column: object) -> float:
    return float(table[column].to_numpy()[k])


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


def _count(v: float, unit: str) -> str:
    return f"{_fmt(v)} {unit if round(v) == 1 else unit + 's'}"


REPLENISH, PARCEL, ALERT = "#d9822b", "#2b6cb0", "#c53030"
GREY, EVENT, STOCK, LOW = "#555555", "#b35900", "#38a169", "#dd6b20"
BAR, SUPPLIER, REGION = "#e6e6e6", "#eeeeee", "#ebf4ff"
COLOURS = (REPLENISH, PARCEL, ALERT, GREY, EVENT, STOCK, LOW, BAR, SUPPLIER, REGION, "k", "w")


class _Backdrop(Artist):
    """A picture of the whole figure, rendered once, pasted pixel for pixel under each frame
    (figimage would resample it every frame, ten times slower). Drawn at the DPI it was
    rendered at."""

    def __init__(self, rgba: np.ndarray) -> None:
        super().__init__()
        self.rgba = np.ascontiguousarray(rgba[::-1])  # Agg pastes bottom row first
        self.set_zorder(-1)

    def draw(self, renderer: RendererBase) -> None:
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self.rgba)
        gc.restore()


class _Scene:
    """The animation's picture. Everything that never changes (boxes, names, the timeline,
    lanes spanning columns) is drawn once into a background image; each frame draws only the
    clock, the bars, the numbers and the lanes whose width changes on top of it."""

    def __init__(self, sc: Scenario, state: FrameState, tables: Tables, title: str) -> None:
        self.sc, self.state = sc, state
        pos = layout(sc)
        ncols = max(c for c, _, _ in pos.values()) + 1
        rows = max(n for _, _, n in pos.values())
        h = min(0.2, 0.7 / rows - 0.03)
        self.nodes: dict[str, _Node] = {}
        for name, (col, row, n) in pos.items():
            w = 0.19 if name in sc.warehouses else 0.11
            y = 0.82 - (row + 0.5) * 0.74 / n
            self.nodes[name] = _Node(self._x(col, ncols), y, w, h, col)
        self.lanes: list[_Lane] = []
        self.peak_units = max(float(state.replenishing.to_numpy().max(initial=0)), 1.0)
        self.peak_parcels = max(float(state.parcels.to_numpy().max(initial=0)), 1.0)

        background = self._background(tables, title, ncols)
        fig = Figure(figsize=SIZE, dpi=DPI)
        fig.add_artist(_Backdrop(background))
        ax = fig.add_axes(NETWORK, xlim=(0, 1), ylim=(0, 1))
        ax.axis("off")
        self.fig, self.ax = fig, ax
        self._foreground(ncols)

    def _lane_pairs(self) -> list[tuple[tuple[str, str], bool]]:
        """Each lane's (origin, destination) and whether it carries parcels to a region."""
        return [
            ((str(pair[0]), str(pair[1])), parcels)
            for table, parcels in ((self.state.replenishing, False), (self.state.parcels, True))
            for pair in table.columns.tolist()
        ]

    @staticmethod
    def _x(col: int, ncols: int) -> float:
        return 0.07 + col * 0.86 / max(ncols - 1, 1)

    def _lane_geometry(
        self, pair: tuple[str, str]
    ) -> tuple[tuple[float, float], tuple[float, float], float, bool]:
        """Start, end, curvature, and whether the lane skips a column (drawn in the
        background, under the boxes it passes)."""
        a, b = (self.nodes[p] for p in pair)
        if a.col == b.col:  # siblings: a transshipment, an arc on the right
            return (a.x + a.w / 2, a.y), (b.x + b.w / 2, b.y), -0.6, False
        skips = b.col - a.col > 1
        return (a.x + a.w / 2, a.y), (b.x - b.w / 2, b.y), -0.2 if skips else 0.0, skips

    def _background(self, tables: Tables, title: str, ncols: int) -> np.ndarray:
        sc = self.sc
        fig = Figure(figsize=SIZE, dpi=DPI)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes(NETWORK, xlim=(0, 1), ylim=(0, 1))
        ax.axis("off")
        ax.text(0.01, 0.985, title, fontsize=11, weight="bold", va="top")
        for col, label in ((0, "suppliers"), (ncols - 1, "customer regions")):
            ax.text(self._x(col, ncols), 0.86, label, fontsize=8, ha="center", color="#777777")
        for pair, parcels in self._lane_pairs():
            if pair[0] not in self.nodes or pair[1] not in self.nodes:
                continue
            start, end, rad, skips = self._lane_geometry(pair)
            if skips:  # fixed, thin and dashed: its count is written elsewhere
                ax.add_patch(
                    FancyArrowPatch(
                        start,
                        end,
                        arrowstyle="-|>",
                        mutation_scale=9,
                        connectionstyle=f"arc3,rad={rad}",
                        color=PARCEL if parcels else REPLENISH,
                        lw=1.0,
                        ls="--",
                        alpha=0.45,
                        zorder=1,
                    )
                )
        for name, n in self.nodes.items():
            face = SUPPLIER if name in sc.suppliers else REGION if name in sc.regions else "w"
            ax.add_patch(
                FancyBboxPatch(
                    (n.x - n.w / 2, n.y - n.h / 2),
                    n.w,
                    n.h,
                    boxstyle="round,pad=0.004",
                    fc=face,
                    ec=GREY,
                    lw=1.0,
                    zorder=2,
                )
            )
            if name in sc.suppliers:
                ax.text(n.x, n.y, name, fontsize=8, ha="center", va="center", zorder=3)
                continue
            top = n.y + n.h / 2 - 0.012
            if name in sc.warehouses:  # the name left, room for backorders on the right
                x, ha = n.x - n.w / 2 + 0.01, "left"
            else:
                x, ha = n.x, "center"
            ax.text(x, top, name, fontsize=8, weight="bold", ha=ha, va="top", zorder=3)
            if name in sc.warehouses:
                xy, bw, bh = self._bar(n)
                ax.add_patch(Rectangle(xy, bw, bh, fc=BAR, ec="none", zorder=3))
        ax.text(
            0.01,
            0.01,
            "orange: units on order (placed, not received)   blue: parcels shipped, not "
            "delivered (dashed: past the next column)   bar: on hand against the warehouse's "
            "peak   queue: orders waiting for stock, in pick/pack",
            fontsize=6.5,
            color=GREY,
        )
        self._timeline(fig, tables)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    @staticmethod
    def _bar(n: _Node) -> tuple[tuple[float, float], float, float]:
        """(x, y), full width and height of a warehouse's stock bar."""
        bh = n.h * 0.2
        return (n.x - n.w / 2 + 0.01, n.y - bh / 2 + n.h * 0.05), n.w - 0.02, bh

    def _timeline(self, fig: Figure, tables: Tables) -> None:
        """Orders per day along the whole run, with the calendar events shaded."""
        ax = fig.add_axes(TIMELINE)
        daily = tables.get("daily")
        if daily is not None and len(daily):
            ax.plot(np.arange(len(daily)) + 0.5, daily["orders"], color=PARCEL, lw=1)
        start = self.sc.calendar.start
        for ev in self.sc.events.values():
            first = (ev.start - start).days
            ax.axvspan(first, ((ev.end or ev.start) - start).days + 1, color="orange", alpha=0.2)
        ax.set_xlim(0, self.sc.calendar.horizon / HOURS_PER_DAY)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=6.5)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel("day of the run", fontsize=7, labelpad=1)
        ax.set_ylabel("orders/day", fontsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    def _foreground(self, ncols: int) -> None:
        sc, ax = self.sc, self.ax
        self.clock = ax.text(0.99, 0.985, "", fontsize=12, weight="bold", va="top", ha="right")
        self.event = ax.text(0.99, 0.92, "", fontsize=9, va="top", ha="right", color=EVENT)
        x0, y0, _, hgt = TIMELINE  # the cursor, in figure coordinates
        self.cursor = Line2D([x0, x0], [y0, y0 + hgt], color=ALERT, lw=1.5)
        self.fig.add_artist(self.cursor)
        for pair, parcels in self._lane_pairs():
            if pair[0] in self.nodes and pair[1] in self.nodes:
                self._lane(pair, parcels)
        self.alerts: dict[str, Rectangle] = {}  # a red frame while a disruption hits the node
        for name in [*sc.suppliers, *sc.warehouses, *sc.regions]:
            if name not in self.nodes:
                continue
            n = self.nodes[name]
            self.alerts[name] = Rectangle(
                (n.x - n.w / 2 - 0.004, n.y - n.h / 2 - 0.008),
                n.w + 0.008,
                n.h + 0.016,
                fc="none",
                ec=ALERT,
                lw=2.5,
                visible=False,
            )
            ax.add_patch(self.alerts[name])
        self.bars: dict[str, tuple[Rectangle, Text, Text, Text]] = {}
        for name in sc.warehouses:
            n = self.nodes[name]
            (bx, by), _, bh = self._bar(n)
            bar = Rectangle((bx, by), 0, bh, ec="none", zorder=4)
            ax.add_patch(bar)
            stock = ax.text(n.x, by + bh / 2, "", fontsize=6.5, ha="center", va="center", zorder=5)
            queue = ax.text(n.x, n.y - n.h / 2 + 0.008, "", fontsize=6.5, ha="center")
            back = ax.text(
                n.x + n.w / 2 - 0.01, n.y + n.h / 2 - 0.014, "", fontsize=6.5, color=ALERT,
                ha="right", va="top",
            )  # fmt: skip
            self.bars[name] = (bar, stock, queue, back)
        self.regions: dict[str, Text] = {}
        for name in sc.regions:
            n = self.nodes[name]
            self.regions[name] = ax.text(
                n.x, n.y + n.h / 2 - 0.06, "", fontsize=6.5, ha="center", va="top"
            )

    def _lane(self, pair: tuple[str, str], parcels: bool) -> None:
        start, end, rad, skips = self._lane_geometry(pair)
        color = PARCEL if parcels else REPLENISH
        arrow = None
        if not skips:
            arrow = FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=10,
                connectionstyle=f"arc3,rad={rad}",
                color=color,
                lw=0.5,
                zorder=1,
            )
            self.ax.add_patch(arrow)
        label = None
        if not (skips and parcels):  # a region's box lists its parcels from afar
            # at the curve's midpoint: a quadratic Bezier, bent in display space
            to_px = self.ax.transData
            p0, p2 = to_px.transform(start), to_px.transform(end)
            dx, dy = p2 - p0
            x, y = to_px.inverted().transform((p0 + p2) / 2 + 0.5 * rad * np.array([dy, -dx]))
            label = self.ax.text(
                x,
                y,
                "",
                fontsize=6.5,
                color=color,
                ha="center",
                va="center",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        self.lanes.append(_Lane(pair, parcels, arrow, label))

    def draw(self, k: int) -> None:
        st, sc = self.state, self.sc
        day = int(st.times[k] // HOURS_PER_DAY) + 1
        self.clock.set_text(f"{st.stamps[k]:%a %Y-%m-%d %H:%M}  (day {day})")
        self.event.set_text(st.events[k])
        x0, _, w, _ = TIMELINE
        self.cursor.set_xdata([x0 + w * st.times[k] / sc.calendar.horizon] * 2)
        now = st.times[k]
        hit = {
            node
            for d in sc.disruptions.values()
            if d.start is not None and _in_window(sc, d, now)
            for node in d.nodes
        }
        for name, alert in self.alerts.items():
            alert.set_visible(name in hit)
        for name, (bar, stock, queue, back) in self.bars.items():
            level, peak = _at(st.on_hand, k, name), float(st.peak[name])
            share = level / peak if peak > 0 else 0.0
            bar.set_width(self._bar(self.nodes[name])[1] * min(max(share, 0.0), 1.0))
            bar.set_facecolor(STOCK if share >= 0.3 else LOW if share > 0.1 else ALERT)
            stock.set_text(f"{_fmt(level)} on hand, {share:.0%} of peak")
            owed = _at(st.backorders, k, name)
            back.set_text(f"{_fmt(owed)} u backordered" if owed > 0 else "")
            wait, busy = _at(st.awaiting_stock, k, name), _at(st.in_process, k, name)
            queue.set_text(f"queue {_fmt(wait)} stock, {_fmt(busy)} pick/pack")
        far: dict[str, list[str]] = {r: [] for r in self.regions}
        for lane in self.lanes:
            table = st.parcels if lane.parcels else st.replenishing
            v = _at(table, k, lane.pair)
            scale = self.peak_parcels if lane.parcels else self.peak_units
            if lane.arrow is not None:
                lane.arrow.set_linewidth(0.5 + 6.0 * v / scale)
                lane.arrow.set_alpha(0.9 if v > 0 else 0.3)
            amount = _count(v, "parcel") if lane.parcels else f"{_fmt(v)} u"
            if lane.label is not None:
                lane.label.set_text(amount if v > 0 else "")
            elif v > 0:
                far[lane.pair[1]].append(f"{amount} from {lane.pair[0]}")
        for name, text in self.regions.items():
            lines = [f"{_fmt(_at(st.delivered, k, name))} delivered", *far[name]]
            text.set_text("\n".join(lines))


class _GifWriter(PillowWriter):
    """PillowWriter with one palette for the whole GIF, chosen at the first frame (with
    swatches of the colours later frames may bring): mapping each frame onto it is many times
    quicker than Pillow choosing a palette per frame when saving, and a frame of palette
    indices holds a quarter of the memory of an RGBA one."""

    def __init__(self, fps: int, swatches: Iterable[str]) -> None:
        super().__init__(fps=fps)
        self.swatches = [tuple(round(255 * c) for c in to_rgb(s)) for s in swatches]
        self.palette: Image.Image | None = None

    def grab_frame(self, **savefig_kwargs: object) -> None:
        super().grab_frame(**savefig_kwargs)
        frames: list[Image.Image] = self._frames  # type: ignore[attr-defined]
        frame = frames[-1].convert("RGB")
        if self.palette is None:
            sample = frame.copy()
            for i, rgb in enumerate(self.swatches):
                sample.paste(rgb, (8 * i, 0, 8 * i + 8, 8))
            self.palette = sample.quantize(256, method=Image.Quantize.FASTOCTREE)
        frames[-1] = frame.quantize(palette=self.palette, dither=Image.Dither.NONE)


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
    check_fps(fps)
    step = default_step(sc.calendar.horizon, fps) if step is None else step
    check_step(sc, step)
    times = frame_times(sc, step)
    state = frame_state(tables, sc, times)
    scene = _Scene(sc, state, tables, title or sc.name)
    anim = FuncAnimation(scene.fig, scene.draw, frames=len(times), repeat=False)
    writer: AbstractMovieWriter = (
        _GifWriter(fps, COLOURS) if writer_name == "pillow" else FFMpegWriter(fps=fps)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(out), writer=writer, dpi=DPI)
    return len(times), step
