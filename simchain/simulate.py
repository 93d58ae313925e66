"""One run: Scenario + seed -> SimulationResult (KPIs and tables)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from simchain import kpis as kpi_functions
from simchain.model.chain import Progress, SupplyChain
from simchain.model.network import build
from simchain.resources import resources
from simchain.scenario.schema import Scenario
from simchain.scorecard import supplier_scorecard
from simchain.streams import Streams
from simchain.tables import build_tables
from simchain.timeseries import daily
from simchain.window import Window


@dataclass
class SimulationResult:
    """What a run produced: `kpis` (metric -> value) and `tables` (name -> DataFrame).
    `scenario` is the one given; `resolved` the one the run saw, random disruptions dated."""

    scenario: Scenario
    seed: int
    replication: int
    kpis: dict[str, float]
    tables: dict[str, pd.DataFrame]
    wall_time_s: float
    stats: dict[str, float] = field(default_factory=dict)
    resolved: Scenario | None = None

    def kpi_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.kpis), "value": list(self.kpis.values())})


def simulate(
    scenario: Scenario, seed: int = 0, replication: int = 0, progress: Progress | None = None
) -> SimulationResult:
    """Simulate the scenario once; a pure function of (scenario, seed, replication).
    `progress(simulated_hours, orders_so_far)` is called after each simulated day."""
    t0 = time.perf_counter()
    chain = SupplyChain(build(scenario, Streams(seed, replication)))
    chain.run(progress)
    sim_s = time.perf_counter() - t0
    seen = chain.network.scenario  # random disruptions dated: what tables and KPIs measure
    recorded = (
        chain.book.orders.nbytes()
        + chain.book.lines.nbytes()
        + chain.inventory_log.nbytes()
        + chain.replenishment.log.nbytes()
    )
    n = len(chain.book)
    tables = build_tables(chain, release=True)  # the tables take over the record's memory
    tables["daily"] = daily(tables, seen)
    tables["suppliers"] = supplier_scorecard(tables["replenishments"], seen, Window.of(seen))
    tables["resources"] = resources(tables, seen)
    kpis = kpi_functions.compute(tables, seen)
    wall = time.perf_counter() - t0
    stats = {
        "orders_simulated": float(n),
        "simulation_s": sim_s,
        "orders_per_s": n / sim_s if sim_s > 0 else float("nan"),
        "events": float(chain.events),
        "recorded_bytes": float(recorded),
        "recorded_bytes_per_order": recorded / n if n else float("nan"),
    }
    return SimulationResult(scenario, seed, replication, kpis, tables, wall, stats, seen)
