"""The bundled Double-11 scenario against the signatures of a real Double-11 (DOMAIN.md):
delivery throughput saturating near 2-3x normal, the backlog clearing in about a week, and
delivery times stretching several-fold for peak orders. One full run (about a minute)."""

from __future__ import annotations

import pandas as pd
import pytest

from simchain import load_scenario, simulate
from simchain.bundled import resolve
from simchain.simulate import SimulationResult

pytestmark = pytest.mark.slow

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def demo() -> SimulationResult:
    return simulate(load_scenario(resolve("double11")), seed=1)


def test_delivery_throughput_saturates_at_two_to_three_times_normal(
    demo: SimulationResult,
) -> None:
    daily = demo.tables["daily"].set_index("date")
    normal = daily.loc["2026-10-08":"2026-10-21", "orders_delivered"].mean()
    peak = daily.loc["2026-11-11":"2026-11-20", "orders_delivered"]
    assert 1.8 <= peak.max() / normal <= 3.0
    # saturated: several peak days deliver (nearly) the same capped amount
    assert (peak >= 0.97 * peak.max()).sum() >= 4
    # while far more was ordered than the network could deliver
    ordered = daily.loc["2026-11-11", "orders"]
    assert ordered > 3 * peak.max()


def test_the_backlog_forms_at_the_peak_and_clears_in_about_a_week(
    demo: SimulationResult,
) -> None:
    k = demo.kpis
    daily = demo.tables["daily"].set_index("date")
    peak_day = daily["backlog_orders"].idxmax()
    assert pd.Timestamp("2026-11-11") <= peak_day <= pd.Timestamp("2026-11-13")
    assert k["backlog_peak_orders"] == daily["backlog_orders"].max()
    assert 5 <= k["backlog_clear_days"] <= 12
    normal = daily.loc["2026-10-08":"2026-10-21", "backlog_orders"].mean()
    assert k["backlog_peak_orders"] > 10 * normal


def test_delivery_time_stretches_for_peak_orders(demo: SimulationResult) -> None:
    o = demo.tables["orders"]
    done = o[o["delivered"].notna()]
    days = (done["delivered"] - done["created"]) / DAY
    created = done["created"].dt.floor("D")
    normal = days[(created >= "2026-10-08") & (created <= "2026-10-21")].mean()
    peak = days[(created >= "2026-11-11") & (created <= "2026-11-12")].mean()
    assert normal < 2.5
    assert 3.0 <= peak <= 6.0
    assert peak > 3 * normal
