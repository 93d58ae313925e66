"""`python -m benchmarks.peers`: simchain against a peer simulator on one equal network.

The peer is SupplyNetPy (`pip install supplynetpy`), another supply-chain simulator on SimPy.
It is an optional extra used only here: without it, `main` says how to install it and exits 0.

Both tools simulate the same network: an infinite supplier, one distributor and three
retailers, each site under an (s, S) policy with continuous review, fixed lead times (supplier
to distributor, distributor to retailer, retailer to customer), Poisson customers at each
retailer ordering one unit each, and lost sales (a customer the retailer cannot serve at once
leaves; SupplyNetPy's default, `tolerance=0`). simchain reads it as a scenario with a warehouse
per site and a region per retailer; SupplyNetPy as nodes, links and demands. One difference
is left: a distributor short of stock ships a retailer's order only whole in SupplyNetPy, and
what it has (owing the rest) in simchain. The distributor's levels keep it from ever being
short here, in either tool, so the difference never comes into play.

Measured: the wall time of one simulation call (`simchain.simulate`, which also builds the
result tables and KPIs; `SupplyNetPy.Components.simulate_sc_net`, which adds up its network
totals), median of the repeats, all with the same seed, the tools taking turns so that a busy
moment of the machine slows both. SupplyNetPy runs with its logging off (`logging=False` on
every node and in `simulate_sc_net`): by default it logs every event.
Fill rate, units sold and replenishment orders are printed per tool as a check that the two
networks are equal: they should roughly agree.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.table import Table

from simchain import simulate
from simchain.scenario import Scenario, validate

PEER_MODULE = "SupplyNetPy.Components"
PEER_PACKAGE = "supplynetpy"

RETAILERS = 3
ORDERS_PER_DAY = 40.0  # at each retailer; every order is for one unit
SUPPLIER_LEAD_DAYS = 3  # supplier -> distributor
TRANSFER_DAYS = 1  # distributor -> retailer
DELIVERY_DAYS = 1  # retailer -> customer
DC_POLICY = (450, 900)  # (s, S) at the distributor: ~3.75 and 7.5 days of the total demand
RETAIL_POLICY = (45, 120)  # (s, S) at each retailer: ~1.1 and 3 days of its demand
CAPACITY = 10**9  # SupplyNetPy needs a capacity; this one never binds
SEED = 0


class PeerMissingError(RuntimeError):
    """SupplyNetPy, the peer of this benchmark, is not installed."""


@dataclass(frozen=True)
class Run:
    """One simulation of one tool: customer orders, wall seconds of the call, and the checks."""

    orders: int
    seconds: float
    fill_rate: float  # units served at once / units demanded
    units_sold: int
    replenishment_orders: int
    engine_seconds: float  # the simulation alone (simchain: without its tables and KPIs)


def supplynetpy() -> ModuleType:
    """The peer's component module, or PeerMissingError saying how to install it."""
    try:
        return importlib.import_module(PEER_MODULE)
    except ModuleNotFoundError as err:
        raise PeerMissingError(
            f"SupplyNetPy is not installed: `pip install {PEER_PACKAGE}` to run the peer benchmark"
        ) from err


# --- simchain -------------------------------------------------------------------------------


def simchain_scenario(days: float) -> Scenario:
    """The network as a simchain scenario: warehouse `dc`, retailers `r1..r3` each serving its
    own region `c1..c3`; no pickers, so handling takes no time."""
    s_dc, big_s_dc = DC_POLICY
    s_r, big_s_r = RETAIL_POLICY
    warehouses: dict[str, Any] = {
        "dc": {
            "replenished_from": "vendor",
            "stocking": {"default": {"kind": "s_S", "s": s_dc, "S": big_s_dc}},
        }
    }
    regions: dict[str, Any] = {}
    lanes: dict[str, Any] = {"dc": {}}
    for i in range(1, RETAILERS + 1):
        warehouses[f"r{i}"] = {
            "replenished_from": "dc",
            "stocking": {"default": {"kind": "s_S", "s": s_r, "S": big_s_r}},
        }
        regions[f"c{i}"] = {
            "served_by": [f"r{i}"],
            "unmet_demand": "lost_sales",
            "demand": {"orders_per_day": ORDERS_PER_DAY},
        }
        lanes["dc"][f"r{i}"] = {"transit_time": f"{TRANSFER_DAYS}d"}
        lanes[f"r{i}"] = {f"c{i}": {"transit_time": f"{DELIVERY_DAYS}d"}}
    data = {
        "schema_version": 1,
        "name": "peer_network",
        "calendar": {"start": "2026-01-01", "horizon": f"{days}d"},
        "skus": {"item": {"unit_cost": 10.0, "price": 20.0}},
        "suppliers": {"vendor": {"lead_time": f"{SUPPLIER_LEAD_DAYS}d"}},
        "warehouses": warehouses,
        "regions": regions,
        "lanes": lanes,
    }
    return validate(data, "<benchmarks.peers>")


def run_simchain(scenario: Scenario, seed: int) -> Run:
    """One timed `simulate` call."""
    t0 = time.perf_counter()
    result = simulate(scenario, seed=seed)
    seconds = time.perf_counter() - t0
    k = result.kpis
    return Run(
        orders=int(result.stats["orders_simulated"]),
        seconds=seconds,
        fill_rate=float(k["fill_rate"]),
        units_sold=int(k["units_demanded"] - k["lost_sales_units"]),
        replenishment_orders=int(k["replenishment_orders"]),
        engine_seconds=float(result.stats["simulation_s"]),
    )


# --- SupplyNetPy ----------------------------------------------------------------------------


def _arrivals(rng: random.Random) -> Callable[[], float]:
    """Exponential gaps between a retailer's customers: a Poisson process, in days."""
    return lambda: rng.expovariate(ORDERS_PER_DAY)


def _site(scm: ModuleType, sid: str, kind: str, policy: tuple[int, int], sell: float) -> Any:
    s, big_s = policy
    return {
        "ID": sid,
        "name": sid,
        "node_type": kind,
        "capacity": CAPACITY,
        "initial_level": big_s,  # as simchain's `initial_stock: target`
        "inventory_holding_cost": 0.0,
        "replenishment_policy": scm.SSReplenishment,
        "policy_param": {"s": s, "S": big_s},
        "product_buy_price": 10.0,
        "product_sell_price": sell,
        "logging": False,
    }


def supplynetpy_network(scm: ModuleType, seed: int) -> dict[str, Any]:
    """The network as SupplyNetPy nodes, links and demands (time unit: a day)."""
    nodes: list[Any] = [
        {"ID": "S", "name": "S", "node_type": "infinite_supplier", "logging": False},
        _site(scm, "D", "distributor", DC_POLICY, 10.0),
    ]
    links: list[Any] = [
        {"ID": "S-D", "source": "S", "sink": "D", "cost": 0, "lead_time": SUPPLIER_LEAD_DAYS}
    ]
    demands: list[Any] = []
    for i in range(1, RETAILERS + 1):
        nodes.append(_site(scm, f"R{i}", "retailer", RETAIL_POLICY, 20.0))
        links.append(
            {"ID": f"D-R{i}", "source": "D", "sink": f"R{i}", "cost": 0, "lead_time": TRANSFER_DAYS}
        )
        demands.append(
            {
                "ID": f"C{i}",
                "name": f"C{i}",
                "order_arrival_model": _arrivals(random.Random(seed * 1000 + i)),
                "order_quantity_model": 1,
                "demand_node": f"R{i}",
                "lead_time": DELIVERY_DAYS,
                "tolerance": 0.0,  # lost sales: a customer not served at once leaves
                "logging": False,
            }
        )
    net: dict[str, Any] = scm.create_sc_net(nodes=nodes, links=links, demands=demands)
    return net


def run_supplynetpy(scm: ModuleType, days: float, seed: int) -> Run:
    """One timed `simulate_sc_net` call, logging off (the network is built before the clock)."""
    net = supplynetpy_network(scm, seed)
    t0 = time.perf_counter()
    scm.simulate_sc_net(net, days, logging=False)
    seconds = time.perf_counter() - t0
    orders, units = (sum(d.stats.demand_placed[j] for d in net["demands"].values()) for j in (0, 1))
    lost = sum(net["nodes"][f"R{i}"].stats.lost_sales[1] for i in range(1, RETAILERS + 1))
    return Run(
        orders=int(orders),
        seconds=seconds,
        fill_rate=(units - lost) / units if units else float("nan"),
        units_sold=int(units - lost),
        replenishment_orders=int(net["demand_by_site"][0]),
        engine_seconds=seconds,
    )


# --- the comparison -------------------------------------------------------------------------


def summary(runs: list[Run]) -> dict[str, float]:
    """A tool's repeats (same seed, so the same orders): median seconds and what follows."""
    seconds = statistics.median(r.seconds for r in runs)
    row = asdict(runs[0])
    row["seconds"] = seconds
    row["orders_per_s"] = runs[0].orders / seconds
    row["engine_seconds"] = statistics.median(r.engine_seconds for r in runs)
    row["engine_orders_per_s"] = runs[0].orders / row["engine_seconds"]
    return row


def peer_bench(days: float = 365.0, repeats: int = 3) -> dict[str, Any]:
    """Both tools on the equal network for `days`, `repeats` times each. Returns
    {"simchain": row, "supplynetpy": row, "ratio": simchain orders/s over SupplyNetPy's, ...},
    a row holding orders, seconds (median), orders_per_s, fill_rate, units_sold,
    replenishment_orders, and engine_seconds and engine_orders_per_s (the simulation alone:
    simchain's without building its tables and KPIs; the peer's are its whole call).
    Raises PeerMissingError if SupplyNetPy is not installed."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    scm = supplynetpy()
    scenario = simchain_scenario(days)
    ours: list[Run] = []
    theirs: list[Run] = []
    for _ in range(repeats):  # taking turns, so a busy moment of the machine hits both
        ours.append(run_simchain(scenario, SEED))
        theirs.append(run_supplynetpy(scm, days, SEED))
    result: dict[str, Any] = {
        "days": days,
        "repeats": repeats,
        "orders_per_day_per_retailer": ORDERS_PER_DAY,
        "simchain": summary(ours),
        "supplynetpy": summary(theirs),
    }
    result["ratio"] = result["simchain"]["orders_per_s"] / result["supplynetpy"]["orders_per_s"]
    return result


TOOLS = (("simchain", "simchain"), ("SupplyNetPy", "supplynetpy"))


def table(result: dict[str, Any]) -> Table:
    """The speed comparison as a rich table; the ratio is simchain's orders/s over the peer's."""
    out = Table(
        title=f"simchain vs SupplyNetPy: 1 supplier, 1 distributor, {RETAILERS} retailers, "
        f"(s, S), lost sales, {result['days']:g} days (median of {result['repeats']})",
        caption="Seconds: wall time of one simulation call. SupplyNetPy measured with its "
        "logging off (logging=False on every node and in simulate_sc_net), its fast setting.",
        title_justify="left",
        caption_justify="left",
    )
    out.add_column("tool", no_wrap=True)
    for name in ("orders", "seconds", "orders/s", "ratio"):
        out.add_column(name, justify="right")
    for tool, key in TOOLS:
        row = result[key]
        out.add_row(
            tool,
            f"{row['orders']:,}",
            f"{row['seconds']:.2f}",
            f"{row['orders_per_s']:,.0f}",
            f"{result['ratio']:.2f}x" if key == "simchain" else "1.00x",
        )
    return out


def check_table(result: dict[str, Any]) -> Table:
    """What each tool's network did: equal networks give nearly the same numbers."""
    out = Table(title="Same network? (should roughly agree)", title_justify="left")
    out.add_column("tool", no_wrap=True)
    for name in ("fill rate", "units sold", "replenishment orders"):
        out.add_column(name, justify="right")
    for tool, key in TOOLS:
        row = result[key]
        out.add_row(
            tool,
            f"{row['fill_rate']:.4f}",
            f"{row['units_sold']:,}",
            f"{row['replenishment_orders']:,}",
        )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="simchain against SupplyNetPy on one equal network")
    ap.add_argument("--days", type=float, default=365.0, help="horizon (default: 365)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per tool (default: 3)")
    args = ap.parse_args(argv)
    try:
        result = peer_bench(args.days, args.repeats)
    except PeerMissingError as err:
        print(f"peer benchmark skipped: {err}")  # one line, never wrapped
        return
    console = Console()
    console.print(table(result))
    console.print(check_table(result))


if __name__ == "__main__":
    main()
