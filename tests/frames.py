"""Reading result tables in tests: timestamps as clock hours, categories as plain values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario

HOUR = pd.Timedelta(hours=1)


def start_of(sc: Scenario) -> pd.Timestamp:
    """The calendar start of a scenario, as a timestamp (clock hour 0)."""
    return pd.Timestamp(dt.datetime.combine(sc.calendar.start, dt.time()))


def hours_from(start: dt.date | pd.Timestamp, ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Timestamps as hours from `start` (NaT -> NaN): the simulator's clock."""
    return np.asarray((pd.Series(ts) - pd.Timestamp(start)) / HOUR, dtype=float)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings, for keyed look-ups."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out
