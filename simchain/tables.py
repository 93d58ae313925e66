"""Recorded columns -> tidy pandas tables with names, categories and calendar timestamps.

The DataFrames are assembled without copying their columns again. `build_tables(chain,
release=True)`, for a run that is over, goes further: the tables take over the recorded
buffers themselves (clock hours overwritten in place by the timestamps they convert to) and
the columns no table keeps are emptied, so making the tables takes almost no new memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

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


UNIT_COLUMNS = ("units", "units_from_stock", "units_backordered", "units_lost")

REPLENISHMENT_KINDS = ["purchase", "transfer", "transshipment"]

BLOCK = 1 << 16  # rows converted at a time: the conversion's passes stay in the CPU's cache


def _category(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(names)))


class _Reader:
    """The columns of one recorded table, for its DataFrame: copies of them, or with `take`
    (a run that is over) the recorded buffers themselves, times converted in place; `close`
    then empties the columns no table kept."""

    def __init__(self, log: Columns, start: dt.date, take: bool):
        self.log = log
        self.start = start
        self.take = take
        self.cols = log.arrays()  # zero-copy views

    def plain(self, name: str, dtype: type | None = None) -> np.ndarray:
        values = self.cols[name]
        if dtype is not None and values.dtype != dtype:
            return values.astype(dtype)
        return values if self.take else values.copy()

    def stamps(self, name: str) -> np.ndarray:
        """Clock hours as calendar timestamps (NaN: NaT)."""
        hours = self.cols[name]
        out = hours.view("datetime64[ms]") if self.take else np.empty(len(hours), "M8[ms]")
        for i in range(0, len(hours), BLOCK):  # a block is read whole before it is written
            out[i : i + BLOCK] = clock_to_timestamps(self.start, hours[i : i + BLOCK])
        return out

    def labels(self, name: str, names: Sequence[str]) -> pd.Categorical[str]:
        """Codes as a categorical of `names`."""
        return _category(self.plain(name), names)

    def close(self) -> None:
        self.cols.clear()
        if self.take:
            self.log.release()  # the columns a table holds are still viewed: they stay


def build_tables(chain: SupplyChain, release: bool = False) -> dict[str, pd.DataFrame]:
    """The run's tables: orders, order_lines, inventory, replenishments, returns, losses,
    levels, forecast, shipments (truck departures on scheduled lanes). With `release` (a run
    that is over), the tables take over the chain's record, which is not usable afterwards."""
    start: dt.date = chain.network.start
    return {
        "orders": _orders(chain, start, release),
        "order_lines": _order_lines(chain, start, release),
        "inventory": _inventory(chain, start, release),
        "replenishments": _replenishments(chain, start, release),
        "returns": _returns(chain, start, release),
        "losses": _losses(chain, start, release),
        "levels": _levels(chain, start, release),
        "forecast": chain.network.forecast.table(start),
        "shipments": _shipments(chain, start, release),
    }


def _orders(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """One row per customer order (split parts included), its stages and costs."""
    net = chain.network
    rec = _Reader(chain.book.orders, start, take)
    n = len(rec.cols["created"])
    status_names = [STATUS_NAMES[k] for k in sorted(STATUS_NAMES)]
    out: dict[str, np.ndarray | pd.Categorical[str]] = {"order_id": np.arange(n, dtype=np.int64)}
    out["region"] = rec.labels("region", net.region_names)
    out["warehouse"] = rec.labels("warehouse", net.warehouse_names)
    out["lines"] = rec.plain("n_lines", np.int16)
    for col in UNIT_COLUMNS:
        out[col] = rec.plain(col, np.int32)
    for col in ORDER_TIME_COLUMNS:
        out[col] = rec.stamps(col)
    out["transport_cost"] = rec.plain("transport_cost")
    out["units_returned"] = rec.plain("units_returned", np.int32)
    out["tour_orders"] = rec.plain("tour_orders", np.int16)
    out["service"] = rec.labels("service", net.service.names)
    out["carrier"] = rec.labels("carrier", net.carrier_names)
    out["split_of"] = rec.plain("split_of")
    out["hub"] = rec.labels("hub", net.hub_names)  # the first passed; empty: direct
    out["presale_event"] = rec.labels("presale_event", list(net.scenario.events))
    out["deposit"] = rec.stamps("deposit")
    out["status"] = rec.labels("status", status_names)
    rec.close()
    return pd.DataFrame(out, copy=False)


def _decode(
    log: Columns,
    start: dt.date,
    take: bool,
    names: Mapping[str, Sequence[str]],
    times: tuple[str, ...],
    drop: tuple[str, ...] = (),
) -> pd.DataFrame:
    """A recorded table as a DataFrame, columns in recorded order: codes as categories of
    their `names`, clock hours in `times` as timestamps, the rest as they are."""
    rec = _Reader(log, start, take)
    out: dict[str, pd.Categorical[str] | np.ndarray] = {}
    for name in log.cols:
        if name in names:
            out[name] = rec.labels(name, names[name])
        elif name in times:
            out[name] = rec.stamps(name)
        elif name not in drop:
            out[name] = rec.plain(name)
    rec.close()
    return pd.DataFrame(out, copy=False)


def _order_lines(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """One row per order line: what came from stock, was backordered or lost."""
    names = {"sku": chain.network.sku_names}
    return _decode(chain.book.lines, start, take, names, ("filled",), drop=("to_return",))


def _inventory(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """The ledger of every (warehouse, SKU) at each change."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.inventory_log, start, take, names, ("time",))


def _replenishments(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """One row per arrival of a replenishment order (and per order still open)."""
    net = chain.network
    log = chain.replenishment.log
    rp = log.arrays()
    n_sup = len(net.supplier_names)
    # A transfer comes from the destination's upstream warehouse; any other warehouse source
    # is a sibling, and the order a transshipment.
    upstream = np.array([-1 if w.upstream is None else n_sup + w.upstream for w in net.warehouses])
    from_upstream = rp["source"] == upstream[rp["destination"].astype(np.int64)]
    kind = np.where(rp["source"] < n_sup, 0, np.where(from_upstream, 1, 2))
    del rp
    names = {
        "source": net.node_names,
        "destination": net.warehouse_names,
        "sku": net.sku_names,
    }
    times = ("placed", "shipped", "received", "due", "checked_in", "put_away")
    table = _decode(log, start, take, names, times)
    table.insert(4, "kind", pd.Series(_category(kind, REPLENISHMENT_KINDS)))
    return table


def _returns(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """One row per returned line."""
    net = chain.network
    log = chain.returns.log if chain.returns is not None else Columns(RETURN_COLUMNS)
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(log, start, take, names, ("delivered", "back"))


def _losses(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """Stock destroyed by disruptions."""
    net = chain.network
    names = {
        "warehouse": net.warehouse_names,
        "sku": net.sku_names,
        "disruption": net.disruption_names,
    }
    return _decode(chain.losses.log, start, take, names, ("time",))


def _levels(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """Each change of an adaptive policy's levels."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.planner.log, start, take, names, ("time",))


def _shipments(chain: SupplyChain, start: dt.date, take: bool) -> pd.DataFrame:
    """One row per truck departure of a scheduled lane."""
    net = chain.network
    names = {
        "origin": net.origin_names,
        "destination": net.place_names,
        "carrier": net.carrier_names,
    }
    times = ("scheduled", "departure", "arrival")
    return _decode(chain.transport.log, start, take, names, times)


# --- reading tables back ------------------------------------------------------------------


def label_mask(col: pd.Series, label: object) -> np.ndarray:
    """Rows of a column equal to `label`, as a boolean array (a categorical column is compared
    by its codes, without making its labels)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy() == code_of(col.cat.categories, label)
    return (col == label).to_numpy(dtype=bool)


def code_of(labels: pd.Index, label: object) -> int:
    """The code of `label` among `labels` (-2 if it is not one: a code nothing has)."""
    found = int(labels.get_indexer(pd.Index([label]))[0])
    return found if found >= 0 else -2


def codes_of(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A column as integer codes (-1: missing) and the labels they stand for."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(), col.cat.categories
    codes, labels = pd.factorize(col)
    return codes, pd.Index(labels)
