"""Simulated time: the SimPy clock counts hours from the calendar start.

Every conversion between durations, dates and clock hours lives here, so that no other module
multiplies by 24 on its own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field, PlainSerializer

HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.0

_UNIT_HOURS = {
    "s": 1 / 3600,
    "sec": 1 / 3600,
    "min": 1 / 60,
    "h": 1.0,
    "d": HOURS_PER_DAY,
    "w": 7 * HOURS_PER_DAY,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|sec|min|h|d|w)\s*$")


def parse_duration(text: str) -> float:
    """Hours in a duration such as '45s', '90min', '2.5h', '3d' or '1w'.

    A bare number is refused: a duration without a unit is the classic silent error.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"expected a duration with a unit (s, min, h, d, w), such as '90min' or '3d'; "
            f"found {text!r}"
        )
    value, unit = match.groups()
    return float(value) * _UNIT_HOURS[unit]


def format_duration(hours: float) -> str:
    """The shortest spelling of a number of hours that parses back to exactly the same value."""
    if hours == 0:
        return "0h"
    for unit, size in (("d", HOURS_PER_DAY), ("h", 1.0), ("min", 1 / 60)):
        value = round(hours / size)
        text = f"{value}{unit}"
        if value and parse_duration(text) == hours:
            return text
    return f"{hours!r}h"


def days(hours: float) -> float:
    return hours / HOURS_PER_DAY


def clock_to_datetime(start: dt.date, hours: float) -> dt.datetime:
    """Calendar date and time of a clock reading."""
    return dt.datetime.combine(start, dt.time()) + dt.timedelta(hours=hours)


def date_to_clock(start: dt.date, when: dt.date) -> float:
    """Clock hours at midnight starting a calendar date."""
    return (when - start).days * HOURS_PER_DAY


def clock_to_timestamps(start: dt.date, hours: np.ndarray) -> np.ndarray:
    """Vectorised clock -> numpy datetime64[ms] (NaN hours become NaT)."""
    base = np.datetime64(start, "ms")
    ms = np.round(np.asarray(hours, dtype=float) * 3_600_000.0)
    out = np.full(ms.shape, np.datetime64("NaT"), dtype="datetime64[ms]")
    ok = np.isfinite(ms)
    out[ok] = base + ms[ok].astype("int64").astype("timedelta64[ms]")
    return out


def _duration(raw: Any) -> Any:
    if isinstance(raw, bool | int | float):
        raise ValueError(
            f"a duration needs a unit (s, min, h, d, w), such as '{raw}d'; found {raw!r}"
        )
    if isinstance(raw, str):
        return parse_duration(raw)
    return raw


Duration = Annotated[
    float,
    BeforeValidator(_duration),
    Field(ge=0),
    PlainSerializer(format_duration, return_type=str),
]
"""Hours, written with a unit in YAML ('90min', '2.5h', '3d')."""
