"""What every report shares: slide-size figures without pyplot, PNG and SVG files written
atomically, and one self-contained HTML page with the PNGs embedded."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.transforms import Bbox
from PIL import Image, PngImagePlugin

from simchain.display import format_kpi
from simchain.output import atomic_text, atomic_write

SIZE = (11.0, 5.0)  # inches: readable on a slide
DPI = 100  # of every PNG
PAD = 0.1  # inches around a figure's tight box (matplotlib's default)
NUMERIC = re.compile(r"[+\-−]?[\d.,]+")
STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
img{max-width:100%}table{border-collapse:collapse;margin:1em 0}
th,td{padding:2px 10px;border-bottom:1px solid #ddd}th{text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table{display:block;overflow-x:auto;max-width:100%}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:1em 0}
.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:120px}
.card .v{font-size:1.5em;font-weight:bold}.card .k{color:#555;font-size:.85em}
.columns{columns:2 420px}.columns table{break-inside:avoid}"""


def blank_figure(size: tuple[float, float] = SIZE) -> Figure:
    """A figure of its own (no pyplot state, no GUI backend: safe in workers and servers),
    drawn by Agg: its layout (`tight_layout`) and its PNG share one renderer, so the size of
    every text is measured once."""
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def new_figure(size: tuple[float, float] = SIZE) -> tuple[Figure, Axes]:
    """A `blank_figure` with one plot."""
    fig = blank_figure(size)
    return fig, fig.subplots()


def png(fig: Figure, box: Bbox | None = None) -> bytes:
    """The figure as PNG at 100 dpi, cropped to `box` (inches; default: its tight box)."""
    if box is None:
        return tight_png(fig)[0]
    buf = io.BytesIO()
    with _laid_out(fig):
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches=box, pad_inches=PAD)
    return buf.getvalue()


@contextlib.contextmanager
def _laid_out(fig: Figure) -> Iterator[None]:
    """The figure without the placeholder layout engine `tight_layout` leaves behind (it does
    nothing) while it is saved: a save would otherwise draw the whole figure once more,
    without ink, to run it first."""
    engine = fig.get_layout_engine()
    if not isinstance(engine, PlaceHolderLayoutEngine):
        yield
        return
    with matplotlib.rc_context(
        {"figure.autolayout": False, "figure.constrained_layout.use": False}
    ):
        fig.set_layout_engine(None)  # no engine at all (not even a placeholder)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def tight_png(fig: Figure) -> tuple[bytes, Bbox]:
    """The figure as PNG at 100 dpi cropped to its tight box (padded by PAD, widened to whole
    pixels), and that box, in inches. The figure is drawn once: the PNG is cut out of the
    drawing, pixel for pixel what a save cropped to the box draws; only a figure with ink
    outside its own area (or another dpi) is drawn again, cropped."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()  # after any layout engine has placed the plots: the box measures the result
    tight = fig.get_tightbbox(canvas.get_renderer())
    padded = tight.padded(PAD)
    box = Bbox.from_extents(
        math.floor(padded.x0 * DPI) / DPI,
        math.floor(padded.y0 * DPI) / DPI,
        math.ceil(padded.x1 * DPI) / DPI,
        math.ceil(padded.y1 * DPI) / DPI,
    )
    if fig.dpi != DPI or not _inside(tight, canvas):
        return png(fig, box), box
    return _encode(_cut(fig, canvas, box)), box


def _inside(box: Bbox, canvas: FigureCanvasAgg) -> bool:
    width, height = canvas.get_width_height()
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 * DPI <= width and box.y1 * DPI <= height


def _cut(fig: Figure, canvas: FigureCanvasAgg, box: Bbox) -> np.ndarray:
    """The pixels of a drawn figure within `box` (whole pixels, inches); where the box passes
    the figure's edge, the figure's background, as a cropped save paints it."""
    width, height = canvas.get_width_height()
    drawn = np.asarray(canvas.buffer_rgba())
    left, right = round(box.x0 * DPI), round(box.x1 * DPI)
    top, bottom = height - round(box.y1 * DPI), height - round(box.y0 * DPI)  # rows: top down
    out = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    out[...] = np.round(np.array(to_rgba(fig.patch.get_facecolor())) * 255)
    x0, x1, y0, y1 = max(left, 0), min(right, width), max(top, 0), min(bottom, height)
    out[y0 - top : y1 - top, x0 - left : x1 - left] = drawn[y0:y1, x0:x1]
    return out


def _encode(rgba: np.ndarray) -> bytes:
    """PNG bytes of an image, with matplotlib's metadata; an opaque image without its alpha
    channel (the same pixels, a smaller file), compressed at level 3 (as small as the RGBA
    files matplotlib writes, in three quarters of the time of its level 6)."""
    opaque = bool((rgba[..., 3] == 255).all())
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]) if opaque else rgba)
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    )
    buf = io.BytesIO()
    image.save(buf, format="png", pnginfo=info, dpi=(DPI, DPI), compress_level=3)
    return buf.getvalue()


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda fh: fh.write(data)


def warm_up() -> None:
    """Load now what the first figure drawn would load on its way (fonts, the date ticker, the
    SVG backend, the PNG writer), by drawing a small figure of dates and text and throwing it
    away: a process that forks after this draws its first figure as fast as the others."""
    fig, ax = new_figure((3.0, 2.0))
    days = np.arange("2026-01-01", "2026-01-04", dtype="datetime64[D]")
    ax.step(days, [1, 3, 2], where="post", label="line")
    ax.annotate("note", (days[1], 3.0), xytext=(4, 0), textcoords="offset points")
    ax.set(title="title", xlabel="date", ylabel="units")
    ax.legend()
    _, box = tight_png(fig)
    fig.savefig(io.StringIO(), format="svg", bbox_inches=box)


def save_figures(folder: Path, figures: dict[str, Figure]) -> dict[str, str]:
    """Write each figure as `folder/figures/<name>.png` and `.svg`, both cropped to the
    figure's tight box; returns name -> the PNG as base64, ready to embed."""
    return {name: _base64(_save(folder, name, fig)) for name, fig in figures.items()}


def draw_figures(
    folder: Path,
    draws: dict[str, Callable[[], Figure]],
    workers: int = 1,
    order: Sequence[str] = (),
) -> dict[str, str]:
    """Draw each figure and write it as `save_figures` does; returns name -> the PNG as
    base64, in the order of `draws`.

    With `workers=2`, where the system can fork, a forked copy of this process draws some of
    the figures meanwhile: the two take the next figure in turn (those named in `order`
    first, the longest to draw best), the copy writes its files, and the PNGs it wrote are
    read back. Should it fail, this process draws its figures again."""
    if workers < 2 or len(draws) < 2 or not hasattr(os, "fork"):
        return {name: _base64(_save(folder, name, draw())) for name, draw in draws.items()}
    queue = [*(n for n in order if n in draws), *(n for n in draws if n not in order)]
    done = _shared(folder, draws, queue)
    return {name: _base64(done[name]) for name in draws}


def _shared(
    folder: Path, draws: dict[str, Callable[[], Figure]], queue: list[str]
) -> dict[str, bytes]:
    """Draw the figures of `queue` in two processes (this one and a fork), each taking the
    next one in turn; returns name -> PNG bytes."""
    import multiprocessing

    taken = multiprocessing.get_context("fork").Value("i", 0)  # figures of the queue taken

    def take() -> str | None:
        with taken.get_lock():
            i = taken.value
            taken.value += 1
        return queue[i] if i < len(queue) else None

    pid = os.fork()
    if pid == 0:  # the copy: its figures go to files only; it never returns
        status = 1
        try:
            while (name := take()) is not None:
                _save(folder, name, draws[name]())
            status = 0
        finally:
            os._exit(status)
    done = {}
    try:
        while (name := take()) is not None:
            done[name] = _save(folder, name, draws[name]())
    finally:
        _, status = os.waitpid(pid, 0)
    helped = os.waitstatus_to_exitcode(status) == 0
    for name in queue:
        if name not in done:
            png_file = folder / "figures" / f"{name}.png"
            done[name] = png_file.read_bytes() if helped else _save(folder, name, draws[name]())
    return done


def _save(folder: Path, name: str, fig: Figure) -> bytes:
    """Write `folder/figures/<name>.png` and `.svg`; returns the PNG."""
    data, box = tight_png(fig)
    atomic_write(folder / "figures" / f"{name}.png", _writer(data))
    svg = io.StringIO()
    with _laid_out(fig):
        fig.savefig(svg, format="svg", bbox_inches=box)
    atomic_text(folder / "figures" / f"{name}.svg", svg.getvalue())
    return data


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def image(name: str, data: str) -> str:
    """A titled section holding one embedded PNG."""
    return (
        f"<h2>{html.escape(name.replace('_', ' '))}</h2>"
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
    )


def table(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """An HTML table. A number is formatted as the KPI its column names (`format_kpi`), or,
    in a `value` column, as the KPI named in the row's first cell; numbers, and text that
    starts as one ("68.65% ± 0.90%"), are right-aligned outside the first column."""

    def cell(j: int, v: object, first: object) -> str:
        if isinstance(v, int | float) and not isinstance(v, bool):
            metric = str(first) if header[j] == "value" else header[j]
            return f'<td class="num">{html.escape(format_kpi(metric, float(v)))}</td>'
        align = ' class="num"' if j and NUMERIC.match(str(v)) else ""
        return f"<td{align}>{html.escape(str(v))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = list(row)
        body.append("<tr>" + "".join(cell(j, v, cells[0]) for j, v in enumerate(cells)) + "</tr>")
    return f"<table><tr>{head}</tr>\n" + "\n".join(body) + "</table>"


def cards(items: Iterable[tuple[str, str]]) -> str:
    """Headline figures as a row of cards: (label, formatted value)."""
    inner = "".join(
        f'<div class="card"><div class="v">{html.escape(v)}</div>'
        f'<div class="k">{html.escape(k)}</div></div>'
        for k, v in items
    )
    return f'<div class="cards">{inner}</div>'


def write_page(path: Path, title: str, body: str) -> Path:
    """Write a self-contained HTML page (inline style, no scripts, no network)."""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body>
{body}
</body></html>
"""
    atomic_text(path, page)
    return path
