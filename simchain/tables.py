"""Recorded columns -> tidy pandas tables with names, categories and calendar timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

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


def _decode(
    cols: dict[str, np.ndarray],
    ts: Stamps,
    names: Mapping[str, Sequence[str]],
    times: tuple[str, ...],
    drop: tuple[str, ...] = (),
) -> pd.DataFrame:
    """A recorded table as a DataFrame, columns in recorded order: codes as categories of
    their `names`, clock hours in `times` as timestamps, the rest copied as they are."""
    out: dict[str, pd.Categorical[str] | np.ndarray] = {}
    for name, values in cols.items():
        if name in drop:
            continue
        if name in names:
            out[name] = _category(values, names[name])
        elif name in times:
            out[name] = ts(values)
        else:
            out[name] = values.copy()
    return pd.DataFrame(out)


def _order_lines(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per order line: what came from stock, was backordered or lost."""
    names = {"sku": chain.network.sku_names}
    return _decode(chain.book.lines.arrays(), ts, names, ("filled",), drop=("to_return",))


def _inventory(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """The ledger of every (warehouse, SKU) at each change."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.inventory_log.arrays(), ts, names, ("time",))


def _replenishments(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per arrival of a replenishment order (and per order still open)."""
    net = chain.network
    rp = chain.replenishment.log.arrays()
    names = {
        "source": net.node_names,
        "destination": net.warehouse_names,
        "sku": net.sku_names,
    }
    times = ("placed", "shipped", "received", "due", "checked_in", "put_away")
    table = _decode(rp, ts, names, times)
    n_sup = len(net.supplier_names)
    # A transfer comes from the destination's upstream warehouse; any other warehouse source
    # is a sibling, and the order a transshipment.
    upstream = np.array([-1 if w.upstream is None else n_sup + w.upstream for w in net.warehouses])
    from_upstream = rp["source"] == upstream[rp["destination"].astype(np.int64)]
    kind = np.where(rp["source"] < n_sup, 0, np.where(from_upstream, 1, 2))
    table.insert(4, "kind", pd.Series(_category(kind, REPLENISHMENT_KINDS)))
    return table


def _returns(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per returned line."""
    net = chain.network
    log = chain.returns.log if chain.returns is not None else Columns(RETURN_COLUMNS)
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(log.arrays(), ts, names, ("delivered", "back"))


def _losses(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """Stock destroyed by disruptions."""
    net = chain.network
    names = {
        "warehouse": net.warehouse_names,
        "sku": net.sku_names,
        "disruption": net.disruption_names,
    }
    return _decode(chain.losses.log.arrays(), ts, names, ("time",))


def _levels(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """Each change of an adaptive policy's levels."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.planner.log.arrays(), ts, names, ("time",))


def _shipments(chain: SupplyChain, ts: Stamps) -> pd.DataFrame:
    """One row per truck departure of a scheduled lane."""
    net = chain.network
    names = {
        "origin": net.origin_names,
        "destination": net.place_names,
        "carrier": net.carrier_names,
    }
    times = ("scheduled", "departure", "arrival")
    return _decode(chain.transport.log.arrays(), ts, names, times)
