"""Random disruptions dated when a run starts.

A disruption declared with `random: {every, duration}` is an alternating renewal process, as
a supplier's random outages are: a gap from the start of the run, then a window, then a gap,
and so on. Its windows are drawn from the disruption's own stream (`disruptions/<id>`), so
every policy run with the same seed meets the same ones (common random numbers). Disruptions
act by calendar day, so each window's ends are rounded to the nearest midnight; a window that
rounds to no day is dropped.

The run then sees a copy of the scenario in which window k of disruption `id` is a dated
disruption `id#k` (a name no file can use); everything downstream (lanes, couriers, pickers,
demand, stock losses, KPIs) reads that copy. The file the user wrote is left as it is.
"""

from __future__ import annotations

import datetime as dt
import math

from simchain.model.suppliers import renewal_spans
from simchain.scenario.distributions import Sampler
from simchain.scenario.schema import Disruption, Scenario
from simchain.streams import Streams
from simchain.timebase import HOURS_PER_DAY


def windows(
    disruption: Disruption, name: str, streams: Streams, start: dt.date, horizon: float
) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each window of a random disruption starting in the run."""
    spec = disruption.random
    assert spec is not None
    rng = streams.rng(f"disruptions/{name}")
    up, down = Sampler(spec.every, rng), Sampler(spec.duration, rng)  # both from the one stream
    out = []
    for begin, end in renewal_spans(up, down, horizon):
        first = math.floor(begin / HOURS_PER_DAY + 0.5)
        after = math.floor(end / HOURS_PER_DAY + 0.5)
        if after > first:
            out.append((start + dt.timedelta(days=first), start + dt.timedelta(days=after - 1)))
    return out


def resolve(scenario: Scenario, streams: Streams) -> Scenario:
    """The scenario as the run sees it: random disruptions replaced by their dated windows
    (the scenario itself when there are none)."""
    if all(d.random is None for d in scenario.disruptions.values()):
        return scenario
    cal = scenario.calendar
    out: dict[str, Disruption] = {}
    for name, d in scenario.disruptions.items():
        if d.random is None:
            out[name] = d
            continue
        spans = windows(d, name, streams, cal.start, cal.horizon)
        for k, (first, last) in enumerate(spans, 1):
            out[f"{name}#{k}"] = d.model_copy(update={"start": first, "end": last, "random": None})
    return scenario.model_copy(update={"disruptions": out})


def dated(scenario: Scenario) -> dict[str, list[str]]:
    """Each disruption window of a resolved scenario: id -> [first day, last day] (ISO)."""
    return {
        name: [d.window[0].isoformat(), d.window[1].isoformat()]
        for name, d in scenario.disruptions.items()
    }
