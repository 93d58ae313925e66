"""An agenda for far-future events: keeps SimPy's event queue short.

SimPy's cost per event grows with the number of pending events (a heap of 100k in-transit
parcels makes every event several times slower). Events due more than one bucket ahead wait
in per-hour buckets; a single ticking process hands each bucket to SimPy when its hour comes,
with the exact due times. Order of processing and times are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy
from simpy.events import Timeout

Callback = Callable[[Timeout], None]


class Agenda:
    """Far-future timeouts of a run, bucketed by hour. Owns the buckets and one ticking
    process; changes nothing else. Calls each entry's callback through the SimPy timeout it
    becomes, at the exact due time, in scheduling order."""

    def __init__(self, env: simpy.Environment, bucket_hours: float = 1.0):
        self.env = env
        self.width = bucket_hours
        self.buckets: dict[int, list[tuple[float, Any, Callback]]] = {}
        self._ticking = False

    def schedule(self, delay: float, value: Any, callback: Callback) -> None:
        """Call `callback(event)` with `event.value == value` after `delay` hours."""
        env = self.env
        due = env.now + delay
        slot = math.floor(due / self.width)
        if slot <= math.floor(env.now / self.width) + 1:
            Timeout(env, delay, value).callbacks.append(callback)
            return
        bucket = self.buckets.get(slot)
        if bucket is None:
            self.buckets[slot] = bucket = []
            if not self._ticking:
                self._ticking = True
                env.process(self._tick())
        bucket.append((due, value, callback))

    def _tick(self) -> Generator[simpy.Event, Any, None]:
        """At each bucket boundary k, hand bucket k+1 to SimPy (one event per hour)."""
        env = self.env
        k = math.floor(env.now / self.width)
        while self.buckets:
            for due, value, callback in self.buckets.pop(k + 1, ()):
                Timeout(env, max(due - env.now, 0.0), value).callbacks.append(callback)
            k += 1
            yield Timeout(env, max(k * self.width - env.now, 0.0))
        self._ticking = False
