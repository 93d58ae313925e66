"""The array reductions behind the tables, derived tables and KPIs give, bit for bit, what the
plain pandas definitions give: time-weighted levels, customer orders, daily counts and
levels. And turning the record into tables can give the record's memory back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simchain import load_scenario
from simchain.kpis import CustomerOrders, Rows, customer_orders, time_weighted
from simchain.model.chain import SupplyChain
from simchain.model.network import build
from simchain.recording import Columns
from simchain.streams import Streams
from simchain.tables import build_tables
from simchain.window import Days, Window
from tests.golden_cases import ROOT

START = pd.Timestamp("2026-10-01")
MS_PER_HOUR = 3_600_000


# --- reference definitions: the plain pandas way, row by row in meaning ---------------------


def reference_time_weighted(log: pd.DataFrame, value: str, window: Window) -> pd.Series:
    """Sort by key and time, each row holds until the next of its key; area per key."""
    keys = ["warehouse", "sku"]
    df = log.sort_values([*keys, "time"], kind="stable")
    same_next = np.ones(len(df), dtype=bool)
    for k in keys:
        col = df[k].to_numpy()
        same_next[:-1] &= col[1:] == col[:-1]
    same_next[-1] = False
    t = df["time"].to_numpy()
    nxt = np.empty_like(t)
    nxt[:-1] = t[1:]
    nxt = np.where(same_next, nxt, np.datetime64(window.end, "ms"))
    begin, end = np.datetime64(window.begin, "ms"), np.datetime64(window.end, "ms")
    weight = np.maximum((np.minimum(nxt, end) - np.maximum(t, begin)) / np.timedelta64(1, "h"), 0)
    area = (
        pd.Series(df[value].to_numpy(dtype=float) * weight)
        .groupby([df[k].to_numpy() for k in keys])
        .sum()
    )
    return area / ((end - begin) / np.timedelta64(1, "h"))


def reference_customer_orders(orders: pd.DataFrame) -> pd.DataFrame:
    parts = orders["split_of"] >= 0
    root = orders["split_of"].where(parts, orders["order_id"])
    by = orders.groupby(root, sort=False)
    out = by.agg(
        created=("created", "first"),
        promised=("promised", "first"),
        units=("units", "sum"),
        units_from_stock=("units_from_stock", "sum"),
        units_lost=("units_lost", "sum"),
        delivered=("delivered", "max"),
    )
    status = orders["status"].astype(str)
    arrived = (status == "delivered").groupby(root, sort=False).any()
    settled = status.isin(["delivered", "lost"]).groupby(root, sort=False).all()
    cancelled = (status == "cancelled").groupby(root, sort=False).any()
    whole = (arrived & settled).to_numpy()
    out["delivered"] = out["delivered"].where(whole)
    out["status"] = np.where(whole, "delivered", np.where(cancelled, "cancelled", "open"))
    return out.reset_index(drop=True)


# --- random tables ------------------------------------------------------------------------


def stamps(rng: np.random.Generator, n: int, hours: float, missing: float = 0.0) -> np.ndarray:
    ms = (rng.random(n) * hours * MS_PER_HOUR).astype(np.int64)
    out = (np.datetime64(START, "ms") + ms.astype("timedelta64[ms]")).astype("datetime64[ms]")
    out[rng.random(n) < missing] = np.datetime64("NaT")
    return out


def ledger(rng: np.random.Generator, n: int, categories: dict[str, list[str]]) -> pd.DataFrame:
    """A change log of levels by (warehouse, sku), in time order; keys categorical with the
    given category orders (sorted or not), or plain strings when none are given."""
    t = np.sort(stamps(rng, n, 200.0))
    cols: dict[str, object] = {"time": t}
    for key, names in categories.items():
        codes = rng.integers(0, len(names), n)
        cols[key] = pd.Categorical.from_codes(codes, categories=names)
    cols["on_hand"] = rng.integers(0, 500, n).astype(np.int32)
    cols["backorders"] = rng.integers(0, 50, n)
    return pd.DataFrame(cols)


@pytest.mark.parametrize(
    "warehouses,skus",
    [
        (["a_dc", "b_fw", "c_fw"], [f"sku{i:03d}" for i in range(40)]),  # sorted: reduceat path
        (["kunshan", "shanghai", "hefei"], ["phone", "cable", "bank", "case"]),  # unsorted
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_time_weighted_levels_are_the_plain_definition(
    warehouses: list[str], skus: list[str], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    log = ledger(rng, 5000, {"warehouse": warehouses, "sku": skus})
    window = Window(START + pd.Timedelta(hours=30), START + pd.Timedelta(hours=180))
    for value in ("on_hand", "backorders"):
        want = reference_time_weighted(log, value, window)
        got = time_weighted(log, value, window)
        assert list(got.index) == list(want.index)
        assert got.to_numpy().tobytes() == want.to_numpy().tobytes()
        assert repr(float(got.sum())) == repr(float(want.sum()))


def test_time_weighted_levels_of_a_log_out_of_time_order_and_plain_strings() -> None:
    rng = np.random.default_rng(7)
    log = ledger(rng, 3000, {"warehouse": ["w", "v"], "sku": ["b", "a", "c"]})
    log = log.sample(frac=1.0, random_state=3).reset_index(drop=True)  # shuffled
    window = Window(START + pd.Timedelta(hours=10), START + pd.Timedelta(hours=150))
    for keys_as in ("category", "str"):
        table = log if keys_as == "category" else log.astype({"warehouse": str, "sku": str})
        want = reference_time_weighted(table, "on_hand", window)
        got = time_weighted(table, "on_hand", window)
        assert list(got.index) == list(want.index)
        assert got.to_numpy().tobytes() == want.to_numpy().tobytes()


def random_orders(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Orders in id order, some split into parts created with their first."""
    created = np.sort(stamps(rng, n, 300.0))
    split_of = np.full(n, -1, dtype=np.int64)
    for part in rng.choice(np.arange(1, n), size=n // 5, replace=False):
        root = int(rng.integers(0, part))
        if split_of[root] < 0:  # a part's root is an order that is not itself a part
            split_of[part] = root
    created[split_of >= 0] = created[split_of[split_of >= 0]]
    statuses = ["awaiting_stock", "in_transit", "delivered", "lost", "cancelled"]
    status = rng.choice(len(statuses), n, p=[0.1, 0.1, 0.6, 0.1, 0.1])
    delivered = created + (rng.random(n) * 90 * MS_PER_HOUR).astype("timedelta64[ms]")
    delivered[status != 2] = np.datetime64("NaT")
    units = rng.integers(1, 5, n).astype(np.int32)
    return pd.DataFrame(
        {
            "order_id": np.arange(n, dtype=np.int64),
            "created": created,
            "promised": created + np.timedelta64(48, "h"),
            "service": pd.Categorical.from_codes(rng.integers(0, 2, n), categories=["std", "x"]),
            "units": units,
            "units_from_stock": np.minimum(units, rng.integers(0, 5, n)).astype(np.int32),
            "units_lost": rng.integers(0, 2, n).astype(np.int32),
            "delivered": delivered,
            "status": pd.Categorical.from_codes(status, categories=statuses),
            "split_of": split_of,
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_customer_orders_fold_split_parts_as_the_plain_definition(seed: int) -> None:
    orders = random_orders(np.random.default_rng(seed), 4000)
    want = reference_customer_orders(orders)
    got = customer_orders(orders)
    for col in ("created", "promised", "delivered"):
        assert got[col].to_numpy().tobytes() == want[col].to_numpy().tobytes(), col
    for col in ("units", "units_from_stock", "units_lost"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    assert list(got["status"]) == list(want["status"])
    rows = Rows(orders, np.ones(len(orders), dtype=bool))
    cust = CustomerOrders.of(rows)
    assert len(cust) == len(want)
    assert (cust.is_cancelled == (want["status"] == "cancelled").to_numpy()).all()


def test_rows_hold_the_ids_isin_finds() -> None:
    orders = random_orders(np.random.default_rng(5), 500)
    rows = Rows(
        orders, orders["created"].to_numpy() >= np.datetime64(START + pd.Timedelta(hours=90))
    )
    ids = pd.Series(np.random.default_rng(6).integers(-3, 700, 2000))
    assert (rows.holds(ids) == ids.isin(orders["order_id"][rows.mask]).to_numpy()).all()


def test_days_count_and_levels_as_grouping_by_calendar_day() -> None:
    sc = load_scenario(ROOT / "scenarios/two_echelon.yaml", (), 20)
    days = Days(sc)
    rng = np.random.default_rng(4)
    times = stamps(rng, 3000, 24 * 25, missing=0.2)  # some after the horizon
    times[:50] -= np.timedelta64(30, "h")  # some before the start
    weights = rng.integers(0, 9, len(times))
    series = pd.Series(times)
    valid = series.notna()
    day = series[valid].dt.floor("D")
    want = (
        pd.Series(weights[valid.to_numpy()], index=day.index)
        .groupby(day)
        .sum()
        .reindex(days.index, fill_value=0)
        .to_numpy(dtype=float)
    )
    assert (days.count(days.of(times), weights) == want).all()
    ends = (days.index + pd.Timedelta(days=1)).to_numpy()
    came = np.sort(times[~np.isnat(times)])
    assert (days.by_end(days.of(times)) == np.searchsorted(came, ends, side="left")).all()


def test_release_empties_the_record_but_keeps_a_column_still_viewed() -> None:
    cols = Columns({"x": "d", "n": "q"})
    cols.extend(3, {"x": np.array([1.0, 2.0, 3.0]), "n": np.array([4, 5, 6])}, {})
    view = cols.arrays()["n"]
    cols.release()
    assert len(cols.cols["x"]) == 0 and cols.nbytes() == 3 * 8
    assert list(cols.cols["n"]) == [4, 5, 6] and list(view) == [4, 5, 6]


def test_tables_taking_over_the_record_are_the_tables_made_from_copies() -> None:
    sc = load_scenario(ROOT / "scenarios/two_echelon.yaml", (), 20)

    def run() -> SupplyChain:
        chain = SupplyChain(build(sc, Streams(3, 0)))
        chain.run()
        return chain

    kept, released = run(), run()
    want = build_tables(kept)
    got = build_tables(released, release=True)
    for name, table in want.items():
        pd.testing.assert_frame_equal(got[name], table, check_exact=True)
    # copies leave the record as it was; taking it over shares its buffers, and empties the
    # columns no table holds
    k, o = kept.book.orders.arrays(), released.book.orders.arrays()
    assert len(k["first_line"]) == len(want["orders"])
    assert not np.shares_memory(want["orders"]["created"].to_numpy(), k["created"])
    assert np.shares_memory(got["orders"]["created"].to_numpy(), o["created"])
    assert len(o["first_line"]) == 0 and len(released.book.lines.cols["to_return"]) == 0
