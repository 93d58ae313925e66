"""What every report shares: slide-size figures without pyplot, PNG and SVG files written
atomically, and one self-contained HTML page with the PNGs embedded."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from simchain.display import format_kpi
from simchain.output import atomic_text, atomic_write

SIZE = (11.0, 5.0)  # inches: readable on a slide
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


def new_figure(size: tuple[float, float] = SIZE) -> tuple[Figure, Axes]:
    """A figure of its own (no pyplot state, no GUI backend: safe in workers and servers)."""
    fig = Figure(figsize=size)
    return fig, fig.subplots()


def png(fig: Figure, box: Bbox | None = None) -> bytes:
    """The figure as PNG at 100 dpi, cropped to `box` (inches; default: its tight box)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches=box or "tight", pad_inches=PAD)
    return buf.getvalue()


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda fh: fh.write(data)


def save_figures(folder: Path, figures: dict[str, Figure]) -> dict[str, str]:
    """Write each figure as `folder/figures/<name>.png` and `.svg`; returns name -> the PNG
    as base64, ready to embed."""
    embedded = {}
    for name, fig in figures.items():
        # the tight box measured once serves both files (each "tight" save draws twice)
        box = fig.get_tightbbox(FigureCanvasAgg(fig).get_renderer()).padded(PAD)
        data = png(fig, box)
        atomic_write(folder / "figures" / f"{name}.png", _writer(data))
        svg = io.StringIO()
        fig.savefig(svg, format="svg", bbox_inches=box)
        atomic_text(folder / "figures" / f"{name}.svg", svg.getvalue())
        embedded[name] = base64.b64encode(data).decode("ascii")
    return embedded


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
