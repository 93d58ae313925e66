"""The observation window of a run: KPIs count what happens from warm-up to the horizon; and
the run's calendar days, that daily tables count by."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario
from simchain.timebase import HOURS_PER_DAY

HOUR = pd.Timedelta(hours=1)
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Window:
    """The observation window, as timestamps and as a length in days."""

    begin: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def of(cls, sc: Scenario) -> Window:
        start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
        return cls(
            start + pd.Timedelta(hours=sc.calendar.warm_up),
            start + pd.Timedelta(hours=sc.calendar.horizon),
        )

    @property
    def days(self) -> float:
        return float((self.end - self.begin) / HOUR) / HOURS_PER_DAY


class Days:
    """The calendar days of a run, and which of them times fall on. A time's day code is
    its day's number from 1 (the first day) to `n`; 0 before the first day, `n + 1` after
    the last, `nat` (n + 2) for NaT."""

    def __init__(self, sc: Scenario):
        start = pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))
        self.n = int(np.ceil(sc.calendar.horizon / 24))
        self.index = pd.date_range(start, periods=self.n, freq="D")
        self.start = np.datetime64(start, "ms")
        self.nat = self.n + 2

    def number(self, times: np.ndarray) -> np.ndarray:
        """The day number of each time (not NaT), from 0 on the first day (negative before)."""
        ms = times.astype("datetime64[ms]", copy=False).view(np.int64)
        day = ms - self.start.astype(np.int64)
        day //= DAY_MS
        return day

    def of(self, times: np.ndarray) -> np.ndarray:
        """The day code of each time (see the class)."""
        day = self.number(times)
        day += 1
        np.clip(day, 0, self.n + 1, out=day)
        day[np.isnat(times)] = self.nat
        return day.astype(np.int32)

    def count(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """How many times (day codes), or how much integer weight, fall on each day."""
        per_code = np.bincount(codes, weights=weights, minlength=self.nat + 1)
        return per_code[1 : self.n + 1].astype(float)

    def by_end(self, codes: np.ndarray) -> np.ndarray:
        """How many times (day codes; NaT aside) come before the end of each day: a time at
        midnight is on the new day."""
        return np.cumsum(np.bincount(codes, minlength=self.nat + 1)[: self.n + 1])[1:]
