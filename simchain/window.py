"""The observation window of a run: KPIs count what happens from warm-up to the horizon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from simchain.scenario.schema import Scenario
from simchain.timebase import HOURS_PER_DAY

HOUR = pd.Timedelta(hours=1)


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
