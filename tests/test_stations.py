"""Stations: packers, picking methods (travel + per line, batch, zone, goods-to-person,
slotting, waves), queue priorities and service classes.

Every expected value is derived here from the scenario. Timestamps are recorded to the
millisecond, so "exact" means within the rounding of two timestamps (TOL).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simchain import simulate
from simchain.errors import ScenarioError
from simchain.scenario.schema import Scenario
from simchain.simulate import SimulationResult
from tests import builders
from tests.builders import validated
from tests.frames import hours_from

START = dt.date(2026, 11, 1)
T0 = pd.Timestamp(START)
HOUR = pd.Timedelta(hours=1)
TOL = 1.5 / 3.6e6  # hours: two timestamps each rounded to the millisecond
Data = dict[str, Any]

TRAVEL_MIN, PER_LINE_MIN = 6.0, 1.0
TIMED: Data = {"travel": f"{TRAVEL_MIN:g}min", "per_line": f"{PER_LINE_MIN:g}min"}
LINES: Data = {"dist": "empirical", "values": [1, 2, 3, 4, 5]}
DAY_SHIFT: Data = {"shifts": [{"start": "8h", "length": "12h", "count": 1}]}


def scenario(
    warehouse: Data,
    *,
    region: Data | None = None,
    orders_per_day: float = 150.0,
    lines: Any = 1,
    days: int = 6,
    sku_weights: dict[str, float] | None = None,
) -> Data:
    """One supplier, one warehouse with ample stock, one region; SKU a is class A, b is B."""
    demand: Data = {"lines_per_order": lines}
    if sku_weights is not None:
        demand["sku_weights"] = sku_weights
    return builders.scenario(
        "stations",
        start=str(START),
        horizon=f"{days}d",
        warm_up="1d",
        skus={"a": builders.product(abc_class="A"), "b": builders.product(abc_class="B")},
        warehouses={"dc": builders.warehouse(builders.base_stock(100_000), **warehouse)},
        regions={"town": builders.region(orders_per_day, demand=demand, **(region or {}))},
    )


def run(data: Data, seed: int = 1) -> tuple[Scenario, SimulationResult]:
    sc = validated(data)
    return sc, simulate(sc, seed=seed)


def hours(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Timestamps as hours from the start (NaT -> NaN)."""
    return hours_from(START, ts)


def on_duty(times: list[float], counts: list[int], at: np.ndarray) -> np.ndarray:
    i = np.searchsorted(np.asarray(times), at, side="right") - 1
    return np.asarray(counts)[i]


def duty_hours(times: list[float], counts: list[int], lo: float, hi: float) -> float:
    """Exact integral of the headcount step function over [lo, hi)."""
    edges = np.clip(np.append(np.asarray(times, dtype=float), np.inf), lo, hi)
    return float((np.diff(edges) * np.asarray(counts, dtype=float)).sum())


def work_time(o: pd.DataFrame) -> np.ndarray:
    return hours(o["picked"]) - hours(o["pick_start"])


# --- 1. packers --------------------------------------------------------------------------

PACK_MIN = 8.0
PACKERS: Data = {
    "shifts": [
        {"start": "6h", "length": "10h", "count": 2},
        {"start": "16h", "length": "6h", "count": 1},
    ],
    "pack_time": f"{PACK_MIN:g}min",
    "cost_per_hour": 25.0,
}
PICKERS: Data = {
    "count": 2,
    "pick_time": {"dist": "exponential", "mean": "5min"},
    "cost_per_hour": 30.0,
}


@pytest.fixture(scope="module")
def packed_run() -> tuple[Scenario, SimulationResult]:
    return run(scenario({"pickers": PICKERS, "packers": PACKERS}, orders_per_day=120), seed=4)


def test_stage_times_in_order_and_deterministic_pack_time(
    packed_run: tuple[Scenario, SimulationResult],
) -> None:
    """Every order moves created <= allocated <= pick_start <= picked <= pack_start <= packed
    <= shipped, and a constant pack time makes packed - pack_start exactly that time."""
    _, res = packed_run
    o = res.tables["orders"]
    stages = ["created", "allocated", "pick_start", "picked", "pack_start", "packed", "shipped"]
    for a, b in itertools.pairwise(stages):
        both = o[a].notna() & o[b].notna()
        assert (o.loc[both, a] <= o.loc[both, b]).all(), (a, b)
        assert not (o[b].notna() & o[a].isna()).any(), (a, b)
    done = o[o["packed"].notna()]
    assert len(done) > 400
    pack = hours(done["packed"]) - hours(done["pack_start"])
    assert np.abs(pack - PACK_MIN / 60).max() <= TOL
    # Packing ends the warehouse stage: the order ships the instant it is packed.
    assert (done["shipped"] == done["packed"]).all()


def test_packers_follow_the_shifts_and_never_idle_while_orders_wait(
    packed_run: tuple[Scenario, SimulationResult],
) -> None:
    """At every event instant: no more orders in packing than packers on duty (except people
    finishing the order in hand at a shift end), and no order waits while a packer is free."""
    sc, res = packed_run
    o = res.tables["orders"]
    o = o[o["picked"].notna()]
    ms = pd.Timedelta(milliseconds=1)
    end = T0 + sc.calendar.horizon * HOUR
    end_ms = round(sc.calendar.horizon * 3_600_000)
    picked = ((o["picked"] - T0) / ms).to_numpy(dtype=np.int64)
    start = ((o["pack_start"].fillna(end) - T0) / ms).to_numpy(dtype=np.int64)
    done = ((o["packed"].fillna(end) - T0) / ms).to_numpy(dtype=np.int64)
    times, counts = sc.crew_headcount("dc", "packers")
    shift_ms = [round(t * 3_600_000) for t in times]
    instants = np.unique(np.concatenate([picked, start, done, shift_ms]))
    instants = instants[instants < end_ms]
    duty = on_duty([float(t) for t in shift_ms], counts, instants.astype(float))
    packing = np.array([((start <= t) & (done > t)).sum() for t in instants])
    waiting = np.array([((picked <= t) & (start > t)).sum() for t in instants])
    assert waiting.max() > 5  # the evening queue is real
    # A pack starts only with a packer on duty, and never beyond the headcount then.
    at_start = np.searchsorted(instants, start[start < end_ms])
    assert (duty[at_start] >= 1).all()
    assert (packing[at_start] <= duty[at_start]).all()
    # Work conserving: whenever an order waits, every packer on duty is busy.
    assert (packing[waiting > 0] >= duty[waiting > 0]).all()


def test_packer_utilization_resources_and_littles_law(
    packed_run: tuple[Scenario, SimulationResult],
) -> None:
    """packer_utilization = busy packer-hours / packer-hours on duty in the window; the
    hourly `packers:dc` rows carry the headcount, the same busy hours, and a queue whose time
    average equals arrival rate x mean wait (Little's law over the run)."""
    sc, res = packed_run
    o = res.tables["orders"]
    horizon, warm = sc.calendar.horizon, sc.calendar.warm_up
    times, counts = sc.crew_headcount("dc", "packers")
    went = o[o["pack_start"].notna()]
    begin = np.clip(hours(went["pack_start"]), warm, horizon)
    end = np.clip(np.nan_to_num(hours(went["packed"]), nan=horizon), warm, horizon)
    busy = float((end - begin).sum())
    on = duty_hours(times, counts, warm, horizon)
    assert res.kpis["packer_utilization"] == pytest.approx(busy / on, rel=1e-6)
    assert res.kpis["packer_utilization.dc"] == res.kpis["packer_utilization"]

    r = res.tables["resources"]
    r = r[r["resource"] == "packers:dc"]
    assert len(r) == horizon
    assert (r["kind"] == "packers").all()
    assert np.allclose(r["capacity"], on_duty(times, counts, np.arange(horizon) + 0.5))
    window = (r["time"] >= T0 + warm * HOUR).to_numpy()
    assert r.loc[window, "used"].sum() / r.loc[window, "capacity"].sum() == pytest.approx(
        busy / on, rel=1e-6
    )
    q = o[o["picked"].notna() & (o["status"] != "lost")]
    left = np.minimum(np.nan_to_num(hours(q["pack_start"]), nan=horizon), horizon)
    wait = left - hours(q["picked"])
    little_l = float(r["queue"].mean())
    assert little_l == pytest.approx(len(q) / horizon * float(wait.mean()), rel=1e-6)
    assert little_l > 0.1


def test_labour_cost_includes_packers(packed_run: tuple[Scenario, SimulationResult]) -> None:
    """labour_cost = sum over crews of cost_per_hour x hours on duty in the window."""
    sc, res = packed_run
    lo, hi = sc.calendar.warm_up, sc.calendar.horizon
    expected = PICKERS["cost_per_hour"] * duty_hours(
        *sc.crew_headcount("dc", "pickers"), lo, hi
    ) + PACKERS["cost_per_hour"] * duty_hours(*sc.crew_headcount("dc", "packers"), lo, hi)
    assert res.kpis["labour_cost"] == pytest.approx(expected, rel=1e-9)


def test_daily_backlog_awaiting_pack(packed_run: tuple[Scenario, SimulationResult]) -> None:
    """backlog_awaiting_pack at each day's end = orders picked before it and not packed."""
    _, res = packed_run
    o = res.tables["orders"]
    d = res.tables["daily"]
    ends = d["date"] + pd.Timedelta(days=1)
    by_hand = [int(((o["picked"] < e) & ~(o["packed"] < e)).sum()) for e in ends]
    assert d["backlog_awaiting_pack"].tolist() == by_hand
    assert max(by_hand) > 0


def test_exponential_pack_time_has_the_declared_mean() -> None:
    """Exponential pack times: the sample mean lies within 4 standard errors of the mean."""
    mean_min = 6.0
    packers = {"count": 3, "pack_time": {"dist": "exponential", "mean": f"{mean_min:g}min"}}
    _, res = run(scenario({"packers": packers}, orders_per_day=300, days=10), seed=8)
    o = res.tables["orders"]
    o = o[o["packed"].notna()]
    x = (hours(o["packed"]) - hours(o["pack_start"])) * 60
    se = mean_min / math.sqrt(len(x))  # exponential: sd = mean
    assert abs(x.mean() - mean_min) <= 4 * se
    assert x.std() == pytest.approx(mean_min, rel=0.1)
    # Without pickers the order reaches packing the instant it is allocated.
    assert (o["picked"] == o["allocated"]).all()


# --- 2. picking methods --------------------------------------------------------------------


def expected_tour(lines: np.ndarray, share: np.ndarray | float = 1.0) -> np.ndarray:
    return (TRAVEL_MIN * share + PER_LINE_MIN * lines) / 60


def test_discrete_travel_plus_per_line() -> None:
    """Discrete picking: one order a tour, taking travel + per_line x lines exactly."""
    _, res = run(scenario({"pickers": {"count": 3, **TIMED}}, lines=LINES))
    o = res.tables["orders"]
    o = o[o["picked"].notna()]
    assert len(o) > 500 and o["lines"].nunique() == 5
    assert (o["tour_orders"] == 1).all()
    assert np.abs(work_time(o) - expected_tour(o["lines"].to_numpy())).max() <= TOL


BATCH = 4


@pytest.fixture(scope="module")
def batch_run() -> tuple[Scenario, SimulationResult]:
    pickers = {**DAY_SHIFT, **TIMED, "method": "batch", "orders_per_tour": BATCH}
    return run(scenario({"pickers": pickers}, lines=LINES, orders_per_day=200), seed=2)


def tours(o: pd.DataFrame) -> pd.DataFrame:
    """One row per tour of a single picker: its start, end, orders and lines."""
    o = o[o["pick_start"].notna()]
    return (
        o.groupby("pick_start")
        .agg(
            end=("picked", "first"),
            ends=("picked", "nunique"),
            size=("order_id", "size"),
            declared=("tour_orders", "first"),
            declared_n=("tour_orders", "nunique"),
            lines=("lines", "sum"),
        )
        .reset_index()
    )


def test_batch_tours_share_times_and_take_travel_plus_lines(
    batch_run: tuple[Scenario, SimulationResult],
) -> None:
    """Orders of one tour share pick_start and picked, tour_orders is the tour's size, and a
    tour takes one travel plus per_line x all its lines."""
    _, res = batch_run
    t = tours(res.tables["orders"])
    assert len(t) > 100
    assert (t["ends"] == 1).all() and (t["declared_n"] == 1).all()
    assert (t["size"] == t["declared"]).all()
    assert t["size"].max() == BATCH and t["size"].min() >= 1
    took = hours(t["end"]) - hours(t["pick_start"])
    assert np.abs(took - expected_tour(t["lines"].to_numpy())).max() <= TOL


def test_batch_tours_fill_up_under_a_backlog(
    batch_run: tuple[Scenario, SimulationResult],
) -> None:
    """A tour leaves with fewer than orders_per_tour orders only if no other order waits."""
    _, res = batch_run
    o = res.tables["orders"]
    t = tours(o)
    alloc = hours(o["allocated"])
    begin = np.nan_to_num(hours(o["pick_start"]), nan=np.inf)
    for s, size in zip(hours(t["pick_start"]), t["size"], strict=True):
        left_waiting = int(((alloc <= s) & (begin > s)).sum())
        assert size == BATCH or left_waiting == 0, (s, size, left_waiting)
    assert (t["size"] == BATCH).mean() > 0.3  # the overnight backlog is picked in full tours


def test_picker_utilization_counts_a_tour_once(
    batch_run: tuple[Scenario, SimulationResult],
) -> None:
    """Busy picker-hours are the tours' durations, not the sum over their orders."""
    sc, res = batch_run
    lo, hi = sc.calendar.warm_up, sc.calendar.horizon
    t = tours(res.tables["orders"])
    end = np.nan_to_num(hours(t["end"]), nan=hi)
    busy = float((np.clip(end, lo, hi) - np.clip(hours(t["pick_start"]), lo, hi)).sum())
    on = duty_hours(*sc.crew_headcount("dc", "pickers"), lo, hi)
    assert res.kpis["picker_utilization"] == pytest.approx(busy / on, rel=1e-6)
    # Counting the tour once per order would give a much larger figure.
    per_order = float((np.clip(end, lo, hi) - np.clip(hours(t["pick_start"]), lo, hi)) @ t["size"])
    assert per_order > 1.5 * busy


def test_zone_picking_walks_a_share_of_the_floor() -> None:
    """Zone (Z zones): travel x min(lines, Z) / Z + per_line x lines."""
    zones = 3
    pickers = {"count": 3, **TIMED, "method": "zone", "zones": zones}
    _, res = run(scenario({"pickers": pickers}, lines=LINES))
    o = res.tables["orders"]
    o = o[o["picked"].notna()]
    n = o["lines"].to_numpy()
    assert (n < zones).any() and (n > zones).any()
    share = np.minimum(n, zones) / zones
    assert np.abs(work_time(o) - expected_tour(n, share)).max() <= TOL


def test_goods_to_person_divides_the_time_by_the_speedup() -> None:
    """Goods-to-person with speedup k: (travel + per_line x lines) / k."""
    k = 4.0
    pickers = {"count": 2, **TIMED, "method": "goods_to_person", "speedup": k}
    _, res = run(scenario({"pickers": pickers}, lines=LINES))
    o = res.tables["orders"]
    o = o[o["picked"].notna()]
    assert np.abs(work_time(o) - expected_tour(o["lines"].to_numpy()) / k).max() <= TOL


@pytest.mark.parametrize(
    "crew",
    [{"count": 3}, {**DAY_SHIFT, "method": "batch", "orders_per_tour": BATCH}],
    ids=["discrete", "batch"],
)
def test_slotting_shortens_tours_of_fast_movers_only(crew: Data) -> None:
    """slotting {A: 0.5}: a tour whose lines are all of class-A SKUs walks half the travel; a
    tour with any class-B line walks all of it."""
    cut = 0.5
    pickers = {**crew, **TIMED, "slotting": {"A": cut}}
    data = scenario({"pickers": pickers}, lines=LINES, sku_weights={"a": 4.0, "b": 1.0})
    _, res = run(data)
    o = res.tables["orders"]
    o = o[o["picked"].notna()]
    lines = res.tables["order_lines"]
    a_only = (lines["sku"] == "a").groupby(lines["order_id"]).all()
    o = o.assign(a_only=a_only.reindex(o["order_id"]).to_numpy())
    # One picker in the batch case: a tour is the orders sharing a pick_start.
    key = "pick_start" if crew.get("method") == "batch" else "order_id"
    t = o.groupby(key).agg(
        start=("pick_start", "first"),
        end=("picked", "first"),
        lines=("lines", "sum"),
        a_only=("a_only", "all"),
        size=("order_id", "size"),
    )
    assert t["a_only"].any() and (~t["a_only"]).any()
    if key == "pick_start":  # some tours mix A-only orders with others
        mixed = o.groupby("pick_start")["a_only"].agg(["any", "all"])
        assert (mixed["any"] & ~mixed["all"]).any()
    share = np.where(t["a_only"].to_numpy(), 1 - cut, 1.0)
    took = hours(t["end"]) - hours(t["start"])
    assert np.abs(took - expected_tour(t["lines"].to_numpy(), share)).max() <= TOL


WAVES = [8.0, 12.0, 16.0]


def test_waves_release_orders_only_at_wave_times() -> None:
    """Wave picking: a pick starts at a wave release or as a pick ends, never otherwise, and
    no order starts before the first wave at or after its allocation."""
    pickers = {
        "count": 2,
        "pick_time": "10min",
        "method": "wave",
        "waves": [f"{w:g}h" for w in WAVES],
    }
    sc, res = run(scenario({"pickers": pickers}, orders_per_day=100))
    o = res.tables["orders"]
    o = o[o["pick_start"].notna()]
    start = hours(o["pick_start"])
    ends = set(np.round(hours(o["picked"].dropna()), 6))
    tod = np.round(np.mod(start, 24), 6)
    assert all(t in WAVES or round(s, 6) in ends for s, t in zip(start, tod, strict=True))
    alloc = hours(o["allocated"])
    day, clock = np.floor(alloc / 24), np.mod(alloc, 24)
    upcoming = np.array([next((w for w in WAVES if w >= c), WAVES[0] + 24) for c in clock])
    release = day * 24 + upcoming
    assert (start >= release - TOL).all()
    # Every wave of every day released some orders.
    released = {round(x, 6) for x in start[np.isin(tod, WAVES)]}
    days = sc.calendar.horizon / 24
    assert released == {round(d * 24 + w, 6) for d in range(round(days)) for w in WAVES}


# --- 3. priority ---------------------------------------------------------------------------

CLASSES: Data = {"service_classes": {"express": {"share": 0.3, "promised_within": "1d"}}}


ROLES = {"pickers": ("pick_start", "allocated"), "packers": ("pack_start", "picked")}


def saturated(priority: str, role: str = "pickers") -> Data:
    """One person at the station, more work than they can do in the day shift. Packers get
    their orders from three pickers with random pick times, so orders reach packing in
    another order than they were created."""
    if role == "pickers":
        return scenario(
            {"pickers": {**DAY_SHIFT, "pick_time": "10min"}, "priority": priority},
            region=CLASSES,
            orders_per_day=100,
        )
    pickers = {"count": 3, "pick_time": {"dist": "exponential", "mean": "20min"}}
    packers = {**DAY_SHIFT, "pack_time": "10min"}
    return scenario(
        {"pickers": pickers, "packers": packers, "priority": priority},
        region=CLASSES,
        orders_per_day=100,
    )


def waiting_at(o: pd.DataFrame, begin: str, ready: str) -> list[tuple[int, pd.Index]]:
    """For each start: the order started and the orders waiting at that instant."""
    came = hours(o[ready])
    went = np.nan_to_num(hours(o[begin]), nan=np.inf)
    out = []
    for i in np.flatnonzero(np.isfinite(went)):
        queue = (came <= went[i]) & (went >= went[i])
        out.append((int(o.index[int(i)]), o.index[queue]))
    return out


@pytest.mark.parametrize("role", ROLES)
def test_earliest_promise_takes_the_earliest_promised_waiting_order(role: str) -> None:
    """earliest_promise: each order started has the earliest promise of all orders waiting
    then (one person, so starts never coincide)."""
    _, res = run(saturated("earliest_promise", role), seed=6)
    o = res.tables["orders"].reset_index(drop=True)
    begin, ready = ROLES[role]
    jumped = 0
    for i, queue in waiting_at(o, begin, ready):
        assert o.at[i, "promised"] == o.loc[queue, "promised"].min()
        jumped += int(o.loc[queue, ready].min() < o.at[i, ready])
    assert jumped > 50  # the priority did overtake older orders


@pytest.mark.parametrize("role", ROLES)
def test_premium_first_serves_premium_first_and_fifo_within_a_class(role: str) -> None:
    """premium_first: the shorter-promise class waits far less; within a class, orders are
    taken in the order they reached the station."""
    _, res = run(saturated("premium_first", role), seed=6)
    begin, ready = ROLES[role]
    o = res.tables["orders"]
    o = o[o[begin].notna()]
    wait = pd.Series(hours(o[begin]) - hours(o[ready]), index=o.index)
    means = wait.groupby(o["service"], observed=True).mean()
    assert means["express"] < 0.2 * means["standard"]
    for _, g in o.groupby("service", observed=True):
        g = g.sort_values([ready, "order_id"])
        assert g[begin].is_monotonic_increasing
        if role == "packers":  # arrival order at packing is not creation order
            assert not g["order_id"].is_monotonic_increasing


@pytest.mark.parametrize("role", ROLES)
def test_fifo_takes_orders_in_arrival_order(role: str) -> None:
    """fifo (the default): work starts in the order orders reached the station, whatever
    the promise."""
    _, res = run(saturated("fifo", role), seed=6)
    begin, ready = ROLES[role]
    o = res.tables["orders"]
    o = o[o[begin].notna()].sort_values([ready, "order_id"])
    assert o[begin].is_monotonic_increasing
    assert (hours(o[begin]) - hours(o[ready]) > 1).mean() > 0.3  # a real queue


# --- 4. service classes --------------------------------------------------------------------

MIX: Data = {
    "promised_within": "3d",
    "service_classes": {
        "express": {"share": 0.2, "promised_within": "1d"},
        "same_day": {"share": 0.1, "promised_within": "8h"},
    },
}


def test_service_class_shares_promises_and_categories() -> None:
    """In each region each class gets its declared share (binomial, 4 sd) and promised -
    created is that region's promise for the class; `service` is categorical: standard, then
    the declared classes in order of first appearance."""
    data = scenario({}, region=MIX, orders_per_day=600, days=8)
    village = {
        "promised_within": "2d",
        "service_classes": {
            "same_day": {"share": 0.25, "promised_within": "4h"},
            "night": {"share": 0.15, "promised_within": "12h"},
        },
    }
    data["regions"]["village"] = builders.region(400, **village)
    data["lanes"]["dc"]["village"] = {"transit_time": "1d"}
    sc, res = run(data, seed=3)
    o = res.tables["orders"]
    assert isinstance(o["service"].dtype, pd.CategoricalDtype)
    assert list(o["service"].cat.categories) == ["standard", "express", "same_day", "night"]
    for name, region in sc.regions.items():
        mine = o[o["region"] == name]
        n = len(mine)
        assert n > 2000
        declared = set()
        for cls, share, within in region.promises():
            declared.add(cls)
            got = mine[mine["service"] == cls]
            assert abs(len(got) - n * share) <= 4 * math.sqrt(n * share * (1 - share)), cls
            gap = hours(got["promised"]) - hours(got["created"])
            assert np.abs(gap - within).max() <= TOL, (name, cls)
        assert set(mine["service"].unique()) <= declared


def test_no_classes_means_all_standard() -> None:
    _, res = run(scenario({}))
    o = res.tables["orders"]
    assert list(o["service"].cat.categories) == ["standard"]
    assert (o["service"] == "standard").all()


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (
            {
                "service_classes": {
                    "x": {"share": 0.7, "promised_within": "1d"},
                    "y": {"share": 0.4, "promised_within": "2d"},
                }
            },
            "add up to more than 1",
        ),
        ({"service_classes": {"standard": {"share": 0.1, "promised_within": "1d"}}}, "'standard'"),
    ],
)
def test_bad_service_classes(region: Data, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        validated(scenario({}, region=region))


@pytest.mark.parametrize(
    ("pickers", "message"),
    [
        ({**TIMED, "method": "batch", "zones": 3}, "zones applies to method zone, not batch"),
        ({"pick_time": "5min", "method": "wave"}, "method wave needs waves"),
        ({"pick_time": "5min", "method": "batch", "orders_per_tour": 3}, "batch needs travel"),
        ({"pick_time": "5min", "travel": "5min"}, "either pick_time, or travel and per_line"),
        ({"pick_time": "5min", **TIMED}, "either pick_time, or travel and per_line"),
        ({"travel": "5min"}, "either pick_time, or travel and per_line"),
        ({**TIMED, "method": "zone"}, "zone needs zones >= 2"),
        ({**TIMED, "orders_per_tour": 3}, "orders_per_tour applies to method batch or wave"),
        ({**TIMED, "speedup": 2}, "speedup applies to method goods_to_person"),
        ({"pick_time": "5min", "waves": ["8h"]}, "waves applies to method wave"),
        ({"pick_time": "5min", "slotting": {"A": 0.3}}, "slotting needs travel"),
    ],
)
def test_bad_pickers(pickers: Data, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        validated(scenario({"pickers": {"count": 1, **pickers}}))


# --- 5. common random numbers -----------------------------------------------------------


def test_packers_priority_and_classes_leave_the_demand_alone() -> None:
    """Same seed: adding packers, changing the priority or adding service classes does not
    change which orders arrive when, nor their lines."""
    pickers = {"count": 1, "pick_time": {"dist": "exponential", "mean": "10min"}}
    variants = [
        scenario({"pickers": pickers}, lines=LINES),
        scenario({"pickers": pickers, "packers": PACKERS}, lines=LINES),
        scenario({"pickers": pickers, "priority": "earliest_promise"}, lines=LINES, region=MIX),
        scenario(
            {"pickers": pickers, "priority": "premium_first", "packers": PACKERS},
            lines=LINES,
            region=MIX,
        ),
    ]
    results = [run(v, seed=11)[1] for v in variants]
    base = results[0].tables
    for res in results[1:]:
        o = res.tables["orders"]
        assert o["created"].equals(base["orders"]["created"])
        assert o["lines"].equals(base["orders"]["lines"])
        assert o["units"].equals(base["orders"]["units"])
        cols = ["order_id", "sku", "units"]
        assert res.tables["order_lines"][cols].equals(base["order_lines"][cols])
    # ... while the runs do differ downstream.
    assert not results[1].tables["orders"]["shipped"].equals(base["orders"]["shipped"])


# --- 6. packers as an M/M/c queue ------------------------------------------------------------


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0) in M/M/c with offered load a = lambda / mu."""
    terms = [a**k / math.factorial(k) for k in range(c)]
    last = a**c / math.factorial(c) * c / (c - a)
    return last / (sum(terms) + last)


@pytest.mark.slow
def test_packing_station_matches_erlang_c() -> None:
    """No pickers, c = 2 packers with exponential pack times (10 min), Poisson orders 9/h: the
    packing station is M/M/2 (rho = 0.75). Over independent replications the mean wait
    pack_start - picked of orders created in the window covers C(c, a) / (c mu - lambda), and
    packer_utilization covers rho."""
    c, lam, pack_min = 2, 9.0, 10.0
    mu = 60 / pack_min
    packers = {"count": c, "pack_time": {"dist": "exponential", "mean": f"{pack_min:g}min"}}
    sc = validated(scenario({"packers": packers}, orders_per_day=lam * 24, days=40))
    waits, utils = [], []
    for r in range(10):
        res = simulate(sc, seed=20261201, replication=r)
        o = res.tables["orders"]
        o = o[o["created"] >= T0 + sc.calendar.warm_up * HOUR]
        assert o["pack_start"].notna().mean() > 0.999
        waits.append(float(np.nanmean(hours(o["pack_start"]) - hours(o["picked"]))))
        utils.append(res.kpis["packer_utilization"])
    a = lam / mu
    for values, expected in ((waits, erlang_c(c, a) / (c * mu - lam)), (utils, a / c)):
        x = np.asarray(values)
        half = 3.7 * x.std(ddof=1) / math.sqrt(len(x))  # t(9), 99.7 % two-sided
        assert half < 0.2 * expected  # narrow enough to mean something
        assert abs(x.mean() - expected) <= half + 1e-5, (x.mean(), expected, half)
