"""Warehouse stations: a crew on duty working a queue of orders (pickers, packers).

A crew is a headcount that follows its shifts; each free person takes the next waiting order
(or, for batch and wave picking, up to a tour's worth of them) and is busy for the time the
station's `work` says. A tour is one timeout event however many orders it carries; a wave
release is one event for all the orders it frees. Orders wait in a deque (first in, first
out) or a heap (priorities), never in a SimPy process.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, cast

import simpy
from simpy.events import Timeout

from simchain.timebase import HOURS_PER_DAY

Tour = list[int]


class Station:
    """A crew working orders. `work(tour)` is the hours a tour takes; `started(tour)` and
    `finished(tour)` stamp and pass the orders on; `wanted(oid)` says whether a waiting
    order is still to be worked (a cancelled one is skipped); `key(oid)`, if given, orders
    the queue (smallest first, ties by arrival).

    Owns its queue, its headcount and the busy count; changes nothing else itself: the
    warehouse's `started` and `finished` callbacks stamp the orders and pass them on. Its
    processes (`shifts`, `releases`) are started by the runtime when a crew has shifts or
    waves."""

    def __init__(
        self,
        env: simpy.Environment,
        staffing: tuple[list[float], list[int]],
        work: Callable[[Tour], float],
        started: Callable[[Tour], None],
        finished: Callable[[Tour], None],
        wanted: Callable[[int], bool],
        key: Callable[[int], float] | None = None,
        per_tour: int = 1,
        waves: list[float] | None = None,
    ):
        self.env = env
        self.staffing = staffing
        self.capacity = staffing[1][0]
        self.busy = 0
        self.work = work
        self.started = started
        self.finished = finished
        self.wanted = wanted
        self.key = key
        self.per_tour = per_tour
        self.waves = sorted(waves) if waves else None
        self.fifo: deque[int] = deque()
        self.heap: list[tuple[float, int, int]] = []  # (key, arrival number, order)
        self.arrivals = itertools.count()
        self.held: list[int] = []  # waiting for the next wave
        self.mean_work = 0.0  # hours per order, for routing's wait estimates

    def __len__(self) -> int:
        return len(self.fifo) + len(self.heap) + len(self.held)

    def add(self, oid: int) -> None:
        """An order reaches the station: held for the next wave, started if someone is free,
        else queued."""
        if self.waves is not None:
            self.held.append(oid)
        elif self.busy < self.capacity and not self.fifo and not self.heap:
            self.busy += 1
            self._start([oid])
        else:
            self._queue(oid)
            self._next()

    def _queue(self, oid: int) -> None:
        if self.key is None:
            self.fifo.append(oid)
        else:
            heapq.heappush(self.heap, (self.key(oid), next(self.arrivals), oid))

    def _pop(self) -> int | None:
        """The next waiting order still wanted, or None."""
        while self.fifo or self.heap:
            oid = self.fifo.popleft() if self.key is None else heapq.heappop(self.heap)[2]
            if self.wanted(oid):
                return oid
        return None

    def _next(self) -> None:
        """Free people take the next tours."""
        while self.busy < self.capacity:
            tour: Tour = []
            while len(tour) < self.per_tour:
                oid = self._pop()
                if oid is None:
                    break
                tour.append(oid)
            if not tour:
                return
            self.busy += 1
            self._start(tour)

    def _start(self, tour: Tour) -> None:
        self.started(tour)
        Timeout(self.env, self.work(tour), tour).callbacks.append(self._done)

    def _done(self, event: Timeout) -> None:
        tour = cast(Tour, event.value)
        self.busy -= 1
        self._next()
        self.finished(tour)

    def wait(self) -> float:
        """Expected hours before a new order's work starts."""
        if self.waves is None and self.busy < self.capacity and not len(self):
            return 0.0
        if self.capacity == 0:
            return math.inf
        return (len(self) + 1) / (self.capacity * self.per_tour) * self.mean_work

    def shifts(self) -> Generator[simpy.Event, Any, None]:
        """Headcount changes: arriving people start on the queue at once; leaving ones
        finish the tour in hand first."""
        times, counts = self.staffing
        for t, n in zip(times[1:], counts[1:], strict=True):
            yield Timeout(self.env, t - self.env.now)
            self.capacity = n
            self._next()

    def releases(self) -> Generator[simpy.Event, Any, None]:
        """Wave picking: at each release time the held orders join the queue at once."""
        assert self.waves is not None
        day = 0
        while True:
            for at in self.waves:
                t = day * HOURS_PER_DAY + at
                if t < self.env.now:
                    continue
                yield Timeout(self.env, t - self.env.now)
                held, self.held = self.held, []
                for oid in held:
                    if self.wanted(oid):
                        self._queue(oid)
                self._next()
            day += 1
