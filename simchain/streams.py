"""Named random streams: one independent generator per (seed, replication, name).

Every random source in a run draws from its own stream, so two strategies in the same
replication face the same demand (common random numbers), and changing a policy never shifts
the demand sequence.
"""

from __future__ import annotations

import hashlib

import numpy as np

from simchain.scenario.distributions import Distribution, Sampler


def _name_words(name: str) -> list[int]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """Factory of named, reproducible random generators for one run."""

    def __init__(self, seed: int, replication: int = 0):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be >= 0")
        self.seed = seed
        self.replication = replication

    def rng(self, name: str) -> np.random.Generator:
        """The generator of stream `name`; the same name always gives the same sequence."""
        seq = np.random.SeedSequence([self.seed, self.replication, *_name_words(name)])
        return np.random.Generator(np.random.PCG64(seq))

    def sampler(self, name: str, dist: Distribution) -> Sampler:
        """One-at-a-time draws of `dist`, sampled in blocks from stream `name`."""
        return Sampler(dist, self.rng(name))
