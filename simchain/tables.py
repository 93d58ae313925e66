"""Recorded columns -> tidy pandas tables with names, categories and calendar timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from simchain.model.chain import SupplyChain
from simchain.model.orders import STATUS_NAMES
from simchain.model.returns import RETURN_COLUMNS
from simchain.recording import Columns
from simchain.timebase import clock_to_timestamps

ORDER_TIME_COLUMNS = (
    "created",
    "promised",
    "allocated",
    "pick_start",
    "picked",
    "pack_start",
    "packed",
    "shipped",
    "delivered",
    "cancelled",
)


REPLENISHMENT_KINDS = ["purchase", "transfer", "transshipment"]


def _category(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(names)))


Stamps = Callable[[np.ndarray], np.ndarray]  # clock hours -> calendar timestamps


def build_tables(chain: SupplyChain) -> dict[str, pd.DataFrame]:
    """The run's tables: orders, order_lines, inventory, replenishments, returns, losses,
    levels, forecast, shipments (truck departures on scheduled lanes)."""
    start: dt.date = chain.network.start

    def ts(hours: np.ndarray) -> np.ndarray:
        return clock_to_timestamps(start, hours)

    return {
        "orders": _orders(chain, ts),
        "order_lines": _order_lines(chain, ts),
        "inventory": _inventory(chain, ts),
        "replenishments": _replenishments(chain, ts),
        "returns": _returns(chain, ts),
        "losses": _losses(chain, ts),
        "levels": _levels(chain, ts),
        "forecast": chain.network.forecast.table(start),
        "shipments": _shipments(chain, ts),
    }


def _orders(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per customer order (split parts included), its stages and costs."""
    net = chain.network
    o = chain.book.orders.arrays()
    n = len(o["created"])
    orders = pd.DataFrame({"order_id": np.arange(n, dtype=np.int64)})
    orders["region"] = _category(o["region"], net.region_names)
    orders["warehouse"] = _category(o["warehouse"], net.warehouse_names)
    orders["lines"] = o["n_lines"].astype(np.int16)
    for col in ("units", "units_from_stock", "units_backordered", "units_lost"):
        orders[col] = o[col].astype(np.int32)
    for col in ORDER_TIME_COLUMNS:
        orders[col] = ts(o[col])
    orders["transport_cost"] = o["transport_cost"].copy()
    orders["units_returned"] = o["units_returned"].astype(np.int32)
    orders["tour_orders"] = o["tour_orders"].astype(np.int16)
    orders["service"] = _category(o["service"], net.service.names)
    orders["carrier"] = _category(o["carrier"], net.carrier_names)
    orders["split_of"] = o["split_of"].copy()
    orders["hub"] = _category(o["hub"], net.hub_names)  # the first passed; empty: direct
    event_names = list(net.scenario.events)
    orders["presale_event"] = pd.Categorical.from_codes(
        o["presale_event"].astype(np.int64), categories=pd.Index(event_names)
    )
    orders["deposit"] = ts(o["deposit"])
    status_names = [STATUS_NAMES[k] for k in sorted(STATUS_NAMES)]
    orders["status"] = _category(o["status"], status_names)
    return orders


def _order_lines(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per order line: what came from stock, was backordered or lost."""
    net = chain.network
    ln = chain.book.lines.arrays()
    lines = pd.DataFrame(
        {
            "order_id": ln["order_id"].copy(),
            "sku": _category(ln["sku"], net.sku_names),
            "units": ln["units"].copy(),
            "from_stock": ln["from_stock"].copy(),
            "backordered": ln["backordered"].copy(),
            "lost": ln["lost"].copy(),
            "filled": ts(ln["filled"]),
        }
    )
    return lines


def _inventory(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """The ledger of every (warehouse, SKU) at each change."""
    net = chain.network
    inv = chain.inventory_log.arrays()
    inventory = pd.DataFrame(
        {
            "time": ts(inv["time"]),
            "warehouse": _category(inv["warehouse"], net.warehouse_names),
            "sku": _category(inv["sku"], net.sku_names),
            "on_hand": inv["on_hand"].copy(),
            "backorders": inv["backorders"].copy(),
            "on_order": inv["on_order"].copy(),
            "customer_backorders": inv["customer_backorders"].copy(),
        }
    )
    return inventory


def _replenishments(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per arrival of a replenishment order (and per order still open)."""
    net = chain.network
    rp = chain.replenishment.log.arrays()
    n_sup = len(net.supplier_names)
    # A transfer comes from the destination's upstream warehouse; any other warehouse source
    # is a sibling, and the order a transshipment.
    upstream = np.array([-1 if w.upstream is None else n_sup + w.upstream for w in net.warehouses])
    from_upstream = rp["source"] == upstream[rp["destination"].astype(np.int64)]
    kind = np.where(rp["source"] < n_sup, 0, np.where(from_upstream, 1, 2))
    replenishments = pd.DataFrame(
        {
            "order_id": rp["order_id"].copy(),
            "placed": ts(rp["placed"]),
            "shipped": ts(rp["shipped"]),
            "received": ts(rp["received"]),
            "kind": _category(kind, REPLENISHMENT_KINDS),
            "source": _category(rp["source"], net.node_names),
            "destination": _category(rp["destination"], net.warehouse_names),
            "sku": _category(rp["sku"], net.sku_names),
            "quantity": rp["quantity"].copy(),
            "transport_cost": rp["transport_cost"].copy(),
            "due": ts(rp["due"]),
            "rejected": rp["rejected"].copy(),
            "checked_in": ts(rp["checked_in"]),
            "put_away": ts(rp["put_away"]),
            "stocked": rp["stocked"].copy(),
            "waited_for_room": rp["waited_for_room"].copy(),
        }
    )
    return replenishments


def _returns(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per returned line."""
    net = chain.network
    returns_log = chain.returns.log if chain.returns is not None else Columns(RETURN_COLUMNS)
    rt = returns_log.arrays()
    returns = pd.DataFrame(
        {
            "order_id": rt["order_id"].copy(),
            "warehouse": _category(rt["warehouse"], net.warehouse_names),
            "sku": _category(rt["sku"], net.sku_names),
            "units": rt["units"].copy(),
            "delivered": ts(rt["delivered"]),
            "back": ts(rt["back"]),
            "restocked": rt["restocked"].copy(),
            "scrapped": rt["scrapped"].copy(),
        }
    )
    return returns


def _losses(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """Stock destroyed by disruptions."""
    net = chain.network
    ls = chain.losses.log.arrays()
    losses = pd.DataFrame(
        {
            "time": ts(ls["time"]),
            "warehouse": _category(ls["warehouse"], net.warehouse_names),
            "sku": _category(ls["sku"], net.sku_names),
            "units": ls["units"].copy(),
            "disruption": _category(ls["disruption"], net.disruption_names),
        }
    )
    return losses


def _levels(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """Each change of an adaptive policy's levels."""
    net = chain.network
    lv = chain.planner.log.arrays()
    levels = pd.DataFrame(
        {
            "time": ts(lv["time"]),
            "warehouse": _category(lv["warehouse"], net.warehouse_names),
            "sku": _category(lv["sku"], net.sku_names),
            "reorder_point": lv["reorder_point"].copy(),
            "order_up_to": lv["order_up_to"].copy(),
        }
    )
    return levels


def _shipments(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per truck departure of a scheduled lane."""
    net = chain.network
    sh = chain.transport.log.arrays()
    shipments = pd.DataFrame(
        {
            "origin": _category(sh["origin"], net.origin_names),
            "destination": _category(sh["destination"], net.place_names),
            "carrier": _category(sh["carrier"], net.carrier_names),
            "scheduled": ts(sh["scheduled"]),
            "departure": ts(sh["departure"]),
            "arrival": ts(sh["arrival"]),
            "capacity": sh["capacity"].copy(),
            "units": sh["units"].copy(),
            "shipments": sh["shipments"].copy(),
        }
    )
    return shipments
