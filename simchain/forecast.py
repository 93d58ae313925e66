"""The planner's forecast: the true expected demand times a log-normal error, per region, SKU
and period. Policies that need a forecast see this, never the truth.

For a period p and SKU s of a region, the truth is expected orders(p) x mean lines per order x
share of s x mean units per line. The forecast multiplies it by exp(N(mu, sigma)) with
sigma^2 = ln(1 + cv^2) and mu = ln(1 + bias) - sigma^2 / 2, so the ratio forecast/truth has
mean 1 + bias and coefficient of variation cv. Periods touching a day with an active event
whose multiplier is not 1 use the `during_events` error when one is declared. Disruptions'
demand shocks are not foreseen: the truth here is the demand without them.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from simchain.demand import DemandProfile
from simchain.scenario.schema import ForecastError, Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY, clock_to_timestamps


def _ratios(rng: np.random.Generator, err: ForecastError, shape: tuple[int, ...]) -> np.ndarray:
    if err.cv == 0:
        return np.full(shape, 1.0 + err.bias)
    sigma2 = math.log1p(err.cv**2)
    mu = math.log1p(err.bias) - sigma2 / 2
    return np.exp(rng.normal(mu, math.sqrt(sigma2), shape))


class Forecast:
    """Expected and forecast units by (region, period, SKU) over the horizon."""

    def __init__(self, scenario: Scenario, streams: Streams, lookahead: float = 0.0):
        """`lookahead` hours past the horizon are forecast too, so that plans made near the
        end of the run do not see demand stop; the table covers the horizon only."""
        self.scenario = scenario
        spec = scenario.forecast
        self.period = spec.period
        horizon = scenario.calendar.horizon
        self.n_periods = math.ceil(horizon / self.period)
        # Periods of the horizon (the last one cut at the horizon), then whole periods past it.
        extra = math.ceil(max(lookahead, 0.0) / self.period)
        self.edges = np.concatenate(
            [
                np.minimum(np.arange(self.n_periods + 1) * self.period, horizon),
                horizon + np.arange(1, extra + 1) * self.period,
            ]
        )
        self.n_all = self.n_periods + extra
        until = float(self.edges[-1])
        days = math.ceil(until / HOURS_PER_DAY)
        self.regions = list(scenario.regions)
        self.skus = list(scenario.skus)
        popularity = scenario.popularity()
        edges = self.edges
        self.special = np.zeros(self.n_all, dtype=bool)  # periods with the event error
        self.expected: dict[str, np.ndarray] = {}
        self.forecast: dict[str, np.ndarray] = {}
        for region in self.regions:
            profile = DemandProfile(scenario, region, shocks=False)  # shocks are unforeseen
            demand = scenario.regions[region].demand
            hours, cum = profile.cumulative(days)
            orders = np.diff(np.interp(edges, hours, cum))
            weights = demand.sku_weights
            w = np.array([(weights or popularity).get(s, 0.0) for s in self.skus], dtype=float)
            per_order = demand.lines_per_order.mean_value() * demand.units_per_line.mean_value()
            truth = np.outer(orders, w / w.sum()) * per_order
            # Row by row from their own streams, so the horizon's periods draw the same
            # errors however far past the horizon the forecast looks (common random numbers).
            ratio = _ratios(streams.rng(f"forecast/{region}"), spec.normal, truth.shape)
            if spec.during_events is not None:
                special = self._event_periods(profile, days)
                self.special |= special
                events = _ratios(
                    streams.rng(f"forecast/{region}/events"), spec.during_events, truth.shape
                )
                ratio[special] = events[special]
            self.expected[region] = truth
            self.forecast[region] = truth * ratio

    def _event_periods(self, profile: DemandProfile, days: int) -> np.ndarray:
        flagged = np.zeros(self.n_all, dtype=bool)
        for day in range(days):
            if any(ev.multiplier != 1 for _, ev in profile.active(day)):
                span = [day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY - 1e-9]
                first, last = np.searchsorted(self.edges, span, side="right") - 1
                flagged[first : min(last, self.n_all - 1) + 1] = True
        return flagged

    def units(self, region: str, sku: int, t0: float, t1: float) -> float:
        """Forecast units of a SKU in a region over clock hours [t0, t1), pro rata by period."""
        f = self.forecast[region][:, sku]
        cum = np.concatenate([[0.0], np.cumsum(f)])
        return float(np.interp(t1, self.edges, cum) - np.interp(t0, self.edges, cum))

    def cv(self, t0: float, t1: float) -> float:
        """The forecast error's cv over clock hours [t0, t1): the event one if the span
        touches a period with the event error."""
        spec = self.scenario.forecast
        first = max(int(np.searchsorted(self.edges, t0, side="right")) - 1, 0)
        last = int(np.searchsorted(self.edges, t1, side="left"))
        if spec.during_events is not None and self.special[first:last].any():
            return spec.during_events.cv
        return spec.normal.cv

    def table(self, start: dt.date) -> pd.DataFrame:
        """Tidy table: period_start, region, sku, expected_units, forecast_units."""
        n_s = len(self.skus)
        period_start = clock_to_timestamps(start, np.arange(self.n_periods) * self.period)
        frames = []
        for region in self.regions:
            frames.append(
                pd.DataFrame(
                    {
                        "period_start": np.repeat(period_start, n_s),
                        "region": region,
                        "sku": np.tile(np.array(self.skus, dtype=object), self.n_periods),
                        "expected_units": self.expected[region][: self.n_periods].ravel(),
                        "forecast_units": self.forecast[region][: self.n_periods].ravel(),
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        out["region"] = pd.Categorical(out["region"], categories=self.regions)
        out["sku"] = pd.Categorical(out["sku"], categories=self.skus)
        return out
