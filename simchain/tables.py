"""Recorded columns -> tidy pandas tables with names, categories and calendar timestamps.

Each column is converted once into its table's own array (the DataFrames are assembled without
another copy); `build_tables(chain, release=True)` also empties each recorded column as soon as
it is converted, so the record and the tables are never both whole in memory.
"""

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


UNIT_COLUMNS = ("units", "units_from_stock", "units_backordered", "units_lost")

REPLENISHMENT_KINDS = ["purchase", "transfer", "transshipment"]

#: Columns recorded as int64 that a table holds as int32 when every value fits (the same
#: numbers in half the memory): stock levels of the inventory ledger.
NARROW = frozenset({"on_hand", "backorders", "on_order", "customer_backorders"})
INT32 = np.iinfo(np.int32)
BLOCK = 1 << 16  # rows converted at a time


def _category(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical[str]:
    # a copy of the codes: the categorical never shares the recorder's buffer
    return pd.Categorical.from_codes(np.array(codes), categories=pd.Index(list(names)))


def _narrow(values: np.ndarray) -> np.ndarray:
    """A copy of integer values as int32 when they all fit (with room for a difference of
    two), else as they are."""
    if len(values) and values.dtype.itemsize > 4:
        lo, hi = int(values.min()), int(values.max())
        if INT32.min // 2 < lo and hi < INT32.max // 2:
            return values.astype(np.int32)
    return values.copy()


Stamps = Callable[[np.ndarray], np.ndarray]  # clock hours -> calendar timestamps


def build_tables(chain: SupplyChain, release: bool = False) -> dict[str, pd.DataFrame]:
    """The run's tables: orders, order_lines, inventory, replenishments, returns, losses,
    levels, forecast, shipments (truck departures on scheduled lanes). With `release`, the
    chain's recorded columns are emptied as they are converted (for a run that is over)."""
    start: dt.date = chain.network.start

    def ts(hours: np.ndarray) -> np.ndarray:
        # in blocks that stay in the CPU's cache: the conversion makes several passes
        out = np.empty(len(hours), dtype="datetime64[ms]")
        for i in range(0, len(hours), BLOCK):
            out[i : i + BLOCK] = clock_to_timestamps(start, hours[i : i + BLOCK])
        return out

    return {
        "orders": _orders(chain, ts, release),
        "order_lines": _order_lines(chain, ts, release),
        "inventory": _inventory(chain, ts, release),
        "replenishments": _replenishments(chain, ts, release),
        "returns": _returns(chain, ts, release),
        "losses": _losses(chain, ts, release),
        "levels": _levels(chain, ts, release),
        "forecast": chain.network.forecast.table(start),
        "shipments": _shipments(chain, ts, release),
    }


def _orders(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """One row per customer order (split parts included), its stages and costs."""
    net = chain.network
    rec = chain.book.orders
    n = len(rec.cols["created"])
    status_names = [STATUS_NAMES[k] for k in sorted(STATUS_NAMES)]

    def as_type(dtype: type) -> Callable[[np.ndarray], np.ndarray]:
        return lambda v: v.astype(dtype)  # astype copies

    def names(labels: Sequence[str]) -> Callable[[np.ndarray], pd.Categorical[str]]:
        return lambda v: _category(v, labels)

    how: dict[str, Callable[[np.ndarray], np.ndarray | pd.Categorical[str]]] = {
        "region": names(net.region_names),
        "warehouse": names(net.warehouse_names),
        "lines": as_type(np.int16),
        **dict.fromkeys(UNIT_COLUMNS, as_type(np.int32)),
        **dict.fromkeys(ORDER_TIME_COLUMNS, ts),
        "transport_cost": np.copy,
        "units_returned": as_type(np.int32),
        "tour_orders": as_type(np.int16),
        "service": names(net.service.names),
        "carrier": names(net.carrier_names),
        "split_of": np.copy,
        "hub": names(net.hub_names),  # the first passed; empty: direct
        "presale_event": names(list(net.scenario.events)),
        "deposit": ts,
        "status": names(status_names),
    }
    recorded_as = {"lines": "n_lines"}
    out: dict[str, np.ndarray | pd.Categorical[str]] = {"order_id": np.arange(n, dtype=np.int64)}
    for col, convert in how.items():
        out[col] = rec.convert(recorded_as.get(col, col), convert, release)
    if release:
        rec.release()
    return pd.DataFrame(out, copy=False)


def _decode(
    log: Columns,
    ts: Stamps,
    names: Mapping[str, Sequence[str]],
    times: tuple[str, ...],
    release: bool,
    drop: tuple[str, ...] = (),
    narrow: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """A recorded table as a DataFrame, columns in recorded order: codes as categories of
    their `names`, clock hours in `times` as timestamps, those in `narrow` as narrow as they
    fit, the rest copied as they are."""
    out: dict[str, pd.Categorical[str] | np.ndarray] = {}
    for name in log.cols:
        if name not in drop:
            how = _converter(name, ts, names, times, narrow)
            out[name] = log.convert(name, how, release)
    if release:
        log.release()
    return pd.DataFrame(out, copy=False)


def _converter(
    name: str,
    ts: Stamps,
    names: Mapping[str, Sequence[str]],
    times: tuple[str, ...],
    narrow: frozenset[str],
) -> Callable[[np.ndarray], pd.Categorical[str] | np.ndarray]:
    """How `_decode` turns the recorded column `name` into its table's column (a new array,
    never a view of the record)."""
    if name in names:
        labels = names[name]
        return lambda codes: _category(codes, labels)
    if name in times:
        return ts
    return _narrow if name in narrow else np.copy


def _order_lines(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """One row per order line: what came from stock, was backordered or lost."""
    names = {"sku": chain.network.sku_names}
    return _decode(chain.book.lines, ts, names, ("filled",), release, drop=("to_return",))


def _inventory(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """The ledger of every (warehouse, SKU) at each change."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.inventory_log, ts, names, ("time",), release, narrow=NARROW)


def _replenishments(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """One row per arrival of a replenishment order (and per order still open)."""
    net = chain.network
    log = chain.replenishment.log
    n_sup = len(net.supplier_names)
    # A transfer comes from the destination's upstream warehouse; any other warehouse source
    # is a sibling, and the order a transshipment.
    upstream = np.array([-1 if w.upstream is None else n_sup + w.upstream for w in net.warehouses])
    source = log.convert("source", np.copy)
    from_upstream = source == upstream[log.convert("destination", np.copy).astype(np.int64)]
    kind = np.where(source < n_sup, 0, np.where(from_upstream, 1, 2))
    names = {
        "source": net.node_names,
        "destination": net.warehouse_names,
        "sku": net.sku_names,
    }
    times = ("placed", "shipped", "received", "due", "checked_in", "put_away")
    table = _decode(log, ts, names, times, release)
    table.insert(4, "kind", pd.Series(_category(kind, REPLENISHMENT_KINDS)))
    return table


def _returns(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """One row per returned line."""
    net = chain.network
    log = chain.returns.log if chain.returns is not None else Columns(RETURN_COLUMNS)
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(log, ts, names, ("delivered", "back"), release)


def _losses(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """Stock destroyed by disruptions."""
    net = chain.network
    names = {
        "warehouse": net.warehouse_names,
        "sku": net.sku_names,
        "disruption": net.disruption_names,
    }
    return _decode(chain.losses.log, ts, names, ("time",), release)


def _levels(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """Each change of an adaptive policy's levels."""
    net = chain.network
    names = {"warehouse": net.warehouse_names, "sku": net.sku_names}
    return _decode(chain.planner.log, ts, names, ("time",), release)


def _shipments(chain: SupplyChain, ts: Stamps, release: bool) -> pd.DataFrame:
    """One row per truck departure of a scheduled lane."""
    net = chain.network
    names = {
        "origin": net.origin_names,
        "destination": net.place_names,
        "carrier": net.carrier_names,
    }
    times = ("scheduled", "departure", "arrival")
    return _decode(chain.transport.log, ts, names, times, release)


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


def sorted_codes_of(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """As `codes_of`, the codes numbering the labels in sorted order (as grouping by the
    labels orders its groups)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        codes, labels = pd.factorize(col, sort=True)
        return codes, pd.Index(labels)
    cats = col.cat.categories
    order = cats.argsort()
    rank = np.empty(len(cats), dtype=np.int64)
    rank[order] = np.arange(len(cats))
    by_label = col.cat.codes.to_numpy()
    return np.where(by_label >= 0, rank[by_label], -1), cats[order]
