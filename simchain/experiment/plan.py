"""From an experiment to its runs: variants x parameter points x replications.

A run's key (variant, point, replication) names its output part, so a resumed experiment
knows what is done; replication r of every variant and point uses the same seed and
replication number, so all of them draw the same random streams (common random numbers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simchain.experiment.schema import Bounds, Experiment

#: Mixed into the sweep's random generator, so that sampling the points never shares a
#: stream with the runs themselves.
SWEEP_STREAM = 0x5EED


@dataclass(frozen=True)
class Point:
    """One parameter point of the sweep: an id (`p000`...) and field path -> value."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """One simulation of the experiment."""

    variant: str
    point: Point
    replication: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.variant}__{self.point.id}__r{self.replication:03d}"


def _sampled(bounds: dict[str, Bounds], samples: int, seed: int, lhs: bool) -> list[Point]:
    rng = np.random.default_rng([seed, SWEEP_STREAM])
    columns: dict[str, np.ndarray] = {}
    for path, b in bounds.items():
        if lhs:  # one draw in each of `samples` equal strata, strata shuffled per parameter
            u = (rng.permutation(samples) + rng.random(samples)) / samples
        else:
            u = rng.random(samples)
        values = b.low + u * (b.high - b.low)
        columns[path] = np.rint(values) if b.integer else values
    out = []
    for i in range(samples):
        params = {p: int(v[i]) if bounds[p].integer else float(v[i]) for p, v in columns.items()}
        out.append(Point(f"p{i:03d}", params))
    return out


def points(spec: Experiment) -> list[Point]:
    """The sweep's parameter points, in a fixed order; one empty point without a sweep."""
    sweep = spec.sweep
    if sweep is None:
        return [Point("p000")]
    if sweep.grid:
        names = list(sweep.grid)
        combos = itertools.product(*(sweep.grid[n] for n in names))
        return [Point(f"p{i:03d}", dict(zip(names, c, strict=True))) for i, c in enumerate(combos)]
    assert sweep.samples is not None
    if sweep.random:
        return _sampled(sweep.random, sweep.samples, spec.seed, lhs=False)
    assert sweep.latin_hypercube
    return _sampled(sweep.latin_hypercube, sweep.samples, spec.seed, lhs=True)


def runs(spec: Experiment) -> list[Run]:
    """Every run, sorted by key."""
    todo = [
        Run(variant, point, r, spec.seed)
        for variant in spec.variants
        for point in points(spec)
        for r in range(spec.replications)
    ]
    return sorted(todo, key=lambda run: run.key)
