"""Service classes: which delivery promise each order was bought with.

Each region's orders fall in its declared classes by share (the rest: standard), drawn per
order from the region's own stream, so adding a class in one region leaves every other
random sequence as it was.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simchain.scenario.schema import STANDARD, Scenario
from simchain.streams import Streams


class ClassMix(NamedTuple):
    """A region's service classes: codes (standard first), cumulative shares of the declared
    ones, hours promised per class, and the stream drawing them (None: standard only)."""

    codes: np.ndarray
    edges: np.ndarray
    promise: np.ndarray
    rng: np.random.Generator | None


class ServiceClasses:
    """The service classes of a run (`names`, standard first) and each region's mix. Owns
    one random stream per region with declared classes; pure otherwise: `draw` returns
    codes and promises for a batch of orders, the customers actor records them."""

    def __init__(self, sc: Scenario, streams: Streams):
        self.names = [STANDARD]
        for region in sc.regions.values():
            for name in region.service_classes:
                if name not in self.names:
                    self.names.append(name)
        self.mix: list[ClassMix] = []
        for name, region in sc.regions.items():
            classes = region.promises()
            codes = np.array([self.names.index(c) for c, _, _ in classes], dtype=np.int8)
            edges = np.cumsum([share for _, share, _ in classes[1:]])
            promise = np.array([hours for _, _, hours in classes])
            rng = streams.rng(f"service/{name}") if region.service_classes else None
            self.mix.append(ClassMix(codes, edges, promise, rng))

    def draw(self, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class code, hours promised) for orders of the given regions, in order."""
        code = np.zeros(len(region), dtype=np.int8)
        promise = np.empty(len(region))
        for r, (codes, edges, hours, rng) in enumerate(self.mix):
            mine = region == r
            if rng is None:
                promise[mine] = hours[0]
                continue
            # u below the declared shares picks a declared class, above them standard.
            k = np.searchsorted(edges, rng.random(int(mine.sum())), side="right")
            k = np.where(k < len(edges), k + 1, 0)
            code[mine] = codes[k]
            promise[mine] = hours[k]
        return code, promise
