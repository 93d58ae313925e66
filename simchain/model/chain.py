"""The runtime: a Network's actors wired together, run once to the horizon, recorded in
columns.

Actors, one job each, each given only its collaborators:
- customers (`customers.Customers`): arrivals, routing, splitting, patience;
- warehouses (`warehouses.Warehouse`): ledger, allocation, backorders, receiving, and its
  floor (`floor.Floor`: picking and packing stations);
- replenishment (`replenishment.Replenishment`): purchases, transfers, transshipments,
  with the suppliers (`suppliers.Supplier`);
- transport (`transport.Transport`): trucks, hubs, the final leg, couriers, delivery;
- returns (`returns.CustomerReturns`); planning (`planning.Planner`,
  `moving_average.MovingAverages`); stock losses (`StockLosses`, below).

Long-lived actors (the arrivals, reviews, shifts, waves, midnights) are generator processes;
orders, picks, shipments and receipts are single timeout events with a callback. Far-future
events wait in the agenda (`agenda.Agenda`) so SimPy's queue stays short.

Start-up order is part of the results (SimPy breaks ties at an instant by scheduling order),
so `SupplyChain.run` keeps it: levels, initial stock and first reviews per warehouse, its
processes, the midnights, the arrivals, stock losses, the patience sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import simpy
from simpy.events import Timeout

from simchain.model.agenda import Agenda
from simchain.model.customers import Customers
from simchain.model.floor import Floor
from simchain.model.moving_average import MovingAverages
from simchain.model.network import Network, StockLossSpec
from simchain.model.orders import OrderBook
from simchain.model.planning import Planner
from simchain.model.replenishment import Replenishment
from simchain.model.returns import CustomerReturns
from simchain.model.transport import Transport
from simchain.model.warehouses import Warehouse
from simchain.policies.stocking import MovingAverage, PlannedPolicy
from simchain.recording import Columns
from simchain.timebase import HOURS_PER_DAY

Progress = Callable[[float, int], None]  # (simulated hours, orders so far)

INVENTORY_COLUMNS = {
    "time": "d",
    "warehouse": "h",
    "sku": "i",
    "on_hand": "q",
    "backorders": "q",
    "on_order": "q",
    "customer_backorders": "q",
}
LOSS_COLUMNS = {"time": "d", "warehouse": "h", "sku": "i", "units": "q", "disruption": "h"}


class StockLosses:
    """Disruptions that destroy stock (fires, floods). Owns the losses log; takes stock from
    the warehouses hit, through their `lose_stock`."""

    def __init__(self, network: Network, env: simpy.Environment, warehouses: list[Warehouse]):
        self.net = network
        self.env = env
        self.warehouses = warehouses
        self.log = Columns(LOSS_COLUMNS)

    def start(self) -> None:
        """One event per loss, at its instant."""
        for loss in self.net.stock_losses:
            Timeout(self.env, loss.at, loss).callbacks.append(self._lost)

    def _lost(self, event: Timeout) -> None:
        loss = cast(StockLossSpec, event.value)
        c = self.log.cols
        for w in loss.warehouses:
            for s, units in self.warehouses[w].lose_stock(loss.share):
                c["time"].append(self.env.now)
                c["warehouse"].append(w)
                c["sku"].append(s)
                c["units"].append(units)
                c["disruption"].append(loss.disruption)


class SupplyChain:
    """All actors of one run, wired together; `run()` simulates the whole horizon. Owns the
    SimPy environment, the agenda, the order book and the inventory log; the actors own the
    rest of the record."""

    def __init__(self, network: Network):
        self.network = network
        self.env = env = simpy.Environment()
        self.agenda = Agenda(env)
        self.book = OrderBook()
        self.inventory_log = Columns(INVENTORY_COLUMNS)
        self.warehouses: list[Warehouse] = []
        self.returns = (
            CustomerReturns(network.returns, env, self.agenda, self.book, self.warehouses)
            if network.returns is not None
            else None
        )
        self.transport = Transport(
            network,
            env,
            self.agenda,
            self.book,
            self.returns.delivered if self.returns is not None else None,
        )
        self.replenishment = Replenishment(
            network, env, self.agenda, self.transport, self.warehouses
        )
        self.warehouses.extend(self._warehouse(node.index) for node in network.warehouses)
        for wh in self.warehouses:
            wh.link(self.warehouses)
        self.customers = Customers(network, env, self.book, self.warehouses, self.returns)
        self.planner = Planner(network, env)
        self.moving_averages = MovingAverages(env, self.warehouses, self.planner)
        self.losses = StockLosses(network, env, self.warehouses)
        self.events = 0  # SimPy events scheduled by the run, once it has run

    def _warehouse(self, w: int) -> Warehouse:
        net = self.network
        return Warehouse(
            net.warehouses[w],
            self.env,
            self.book,
            self.inventory_log,
            self.replenishment.log,
            self.replenishment,
            Floor(
                net.warehouses[w],
                self.env,
                self.book,
                self.transport,
                net.prepacked,
                net.abc_classes,
                net.mean_lines_per_order,
            ),
        )

    def run(self, progress: Progress | None = None) -> None:
        """Simulate to the horizon. `progress(now_h, orders_so_far)` is called after each
        simulated day when given (stopping the clock at day ends leaves the run unchanged)."""
        self.moving_averages.set_levels()
        for wh in self.warehouses:
            self._stock_up(wh)
        for wh in self.warehouses:
            self._start_reviews(wh)
        if self.moving_averages:  # reviewed at midnights, after the day's demand is closed
            self.env.process(self.moving_averages.midnights())
        self.customers.start_arrivals()
        self.losses.start()
        self.customers.start_patience()
        horizon = self.network.horizon
        if progress is not None:
            for day_end in range(int(HOURS_PER_DAY), math.ceil(horizon), int(HOURS_PER_DAY)):
                self.env.run(until=day_end)
                progress(float(day_end), self.customers.arrived(day_end))
        self.env.run(until=horizon)
        if progress is not None:
            progress(horizon, self.customers.arrived(horizon))
        # SimPy numbers each event as it schedules it: the number drawn now is their count.
        self.events = next(self.env._eid)
        self.replenishment.flush_open()
        self.transport.settle(horizon)
        self.transport.record_shipments()

    def _stock_up(self, wh: Warehouse) -> None:
        """Planned levels and the initial stock of every SKU; the planner's processes."""
        init = wh.node.spec.initial_stock
        replans: dict[float, list[int]] = {}
        for s, sku in enumerate(self.network.sku_names):
            policy = wh.policies[s]
            if isinstance(policy, PlannedPolicy):
                self.planner.plan(wh, s)
                replans.setdefault(policy.recompute_every, []).append(s)
            if init == "target":
                wh.on_hand[s] = max(wh.rules[s].target_level(), 0)
            else:
                wh.on_hand[s] = init.get(sku, 0)
        for every, skus in sorted(replans.items()):
            self.env.process(self.planner.replanning(wh, every, skus))

    def _start_reviews(self, wh: Warehouse) -> None:
        """Every SKU's first review and log row; periodic reviews, shifts and waves."""
        periods: dict[float, list[int]] = {}
        for s, policy in enumerate(wh.policies):
            wh.review(s, scheduled=True)
            wh.log(s)
            period = policy.review_period
            if period is not None and not isinstance(policy, MovingAverage):
                periods.setdefault(period, []).append(s)
        for period, skus in sorted(periods.items()):
            self.env.process(wh.reviews(period, skus))
        for station in wh.floor.stations():
            if len(station.staffing[0]) > 1:
                self.env.process(station.shifts())
            if station.waves is not None:
                self.env.process(station.releases())
