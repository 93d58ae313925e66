"""Distributions as small tagged mappings, and fast samplers for them.

A scenario writes `{dist: lognormal, mean: 5d, cv: 0.3}`, `{dist: exponential, mean: 90s}`,
`{dist: empirical, values: [1, 2, 3], weights: [75, 20, 5]}` or a plain constant. Duration
fields take units and are stored in hours; count fields take whole numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from simchain.timebase import format_duration, parse_duration

DistName = Literal[
    "constant",
    "exponential",
    "lognormal",
    "gamma",
    "normal",
    "uniform",
    "triangular",
    "empirical",
    "geometric",
]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "empirical": ("values",),
    "geometric": ("mean",),
}
MAX_COUNT = 10_000
_NUMERIC_FIELDS = ("value", "mean", "sd", "low", "mode", "high")


class Distribution(BaseModel):
    """A validated distribution; numbers are in the field's base unit (hours for durations)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Set by the field type, not by users: the base unit, and how to write numbers back out.
    # Declared first so that the field validators below can see it.
    unit: Literal["hours", "count", "number"] = "number"
    dist: DistName
    value: float | None = None
    mean: float | None = None
    cv: float | None = None
    sd: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    values: list[float] | None = None
    weights: list[float] | None = None

    @field_validator("value", "mean", "sd", "low", "mode", "high", mode="before")
    @classmethod
    def _durations(cls, raw: Any, info: ValidationInfo) -> Any:
        return _to_hours(raw) if info.data.get("unit") == "hours" else raw

    @field_validator("values", mode="before")
    @classmethod
    def _duration_values(cls, raw: Any, info: ValidationInfo) -> Any:
        if info.data.get("unit") == "hours" and isinstance(raw, list):
            return [_to_hours(v) for v in raw]
        return raw

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        needed = _REQUIRED[self.dist]
        missing = [f for f in needed if getattr(self, f) is None]
        if self.dist == "normal" and self.sd is None and self.cv is not None:
            missing = [f for f in missing if f != "sd"]
        if missing:
            raise ValueError(f"'{self.dist}' needs {', '.join(missing)}")
        allowed = {*needed, "dist", "unit", "weights" if self.dist == "empirical" else "dist"}
        if self.dist == "normal":
            allowed.add("cv")
        extra = [
            f
            for f in (*_NUMERIC_FIELDS, "cv", "values", "weights")
            if getattr(self, f) is not None and f not in allowed
        ]
        if extra:
            raise ValueError(f"'{self.dist}' does not take {', '.join(extra)}")
        for f in ("value", "mean", "low", "mode", "high", "sd", "cv"):
            v = getattr(self, f)
            if v is not None and (v < 0 or not math.isfinite(v)):
                raise ValueError(f"{f} must be a finite number >= 0, found {v}")
        if self.dist in ("exponential", "lognormal", "gamma", "geometric") and not self.mean:
            raise ValueError("mean must be greater than 0")
        if self.dist in ("lognormal", "gamma") and not self.cv:
            raise ValueError("cv must be greater than 0 (use a constant for no variation)")
        if self.dist == "geometric" and self.mean is not None and self.mean < 1:
            raise ValueError("a geometric count has mean >= 1 (its smallest value is 1)")
        if (
            self.dist == "uniform"
            and self.low is not None
            and self.high is not None
            and (self.low > self.high)
        ):
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        if self.dist == "triangular":
            assert self.low is not None and self.mode is not None and self.high is not None
            if not self.low <= self.mode <= self.high:
                raise ValueError("triangular needs low <= mode <= high")
        if self.dist == "empirical":
            assert self.values is not None
            if not self.values:
                raise ValueError("values must not be empty")
            if any(v < 0 for v in self.values):
                raise ValueError("values must be >= 0")
            if self.weights is not None:
                if len(self.weights) != len(self.values):
                    raise ValueError(
                        f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                    )
                if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                    raise ValueError("weights must be >= 0 with a positive sum")
        if self.unit == "count":
            self._check_count()
        return self

    def _check_count(self) -> None:
        if self.dist not in ("constant", "empirical", "geometric"):
            raise ValueError(
                f"a count takes a whole number, 'empirical' or 'geometric', not '{self.dist}'"
            )
        points = [self.value] if self.dist == "constant" else list(self.values or ())
        for v in points:
            if v is None or v < 1 or v != int(v):
                raise ValueError(f"a count must be a whole number >= 1, found {v}")
        largest = max([*(p or 0 for p in points), self.mean or 0])
        if largest > MAX_COUNT:
            raise ValueError(
                f"a count per order or line above {MAX_COUNT:,} is surely a mistake; "
                f"found {largest:g}"
            )

    def mean_value(self) -> float:
        """The distribution's mean (normal is truncated at zero in sampling; mean is nominal)."""
        d = self.dist
        if d == "constant":
            return float(self.value or 0.0)
        if d in ("exponential", "lognormal", "gamma", "normal", "geometric"):
            return float(self.mean or 0.0)
        if d == "uniform":
            return (float(self.low or 0.0) + float(self.high or 0.0)) / 2
        if d == "triangular":
            return (float(self.low or 0) + float(self.mode or 0) + float(self.high or 0)) / 3
        values = np.asarray(self.values, dtype=float)
        w = np.ones_like(values) if self.weights is None else np.asarray(self.weights, float)
        return float((values * w).sum() / w.sum())

    def variance_value(self) -> float:
        """The distribution's variance (nominal for the zero-truncated normal)."""
        d = self.dist
        mean = self.mean_value()
        if d == "constant":
            return 0.0
        if d == "exponential":
            return mean**2
        if d in ("lognormal", "gamma"):
            return (float(self.cv or 0.0) * mean) ** 2
        if d == "normal":
            sd = float(self.sd) if self.sd is not None else mean * float(self.cv or 0.0)
            return sd**2
        if d == "uniform":
            return (float(self.high or 0.0) - float(self.low or 0.0)) ** 2 / 12
        if d == "triangular":
            a, c, b = float(self.low or 0), float(self.mode or 0), float(self.high or 0)
            return (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        if d == "geometric":
            return mean * mean - mean  # support 1, 2, ...: (1 - p) / p^2 with p = 1 / mean
        values = np.asarray(self.values, dtype=float)
        w = np.ones_like(values) if self.weights is None else np.asarray(self.weights, float)
        return float((w * (values - mean) ** 2).sum() / w.sum())

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw `size` values in one NumPy call."""
        d = self.dist
        if d == "constant":
            return np.full(size, float(self.value or 0.0))
        mean = float(self.mean or 0.0)
        if d == "exponential":
            return rng.exponential(mean, size)
        if d == "lognormal":
            cv = float(self.cv or 0.0)
            sigma2 = math.log1p(cv * cv)
            return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)
        if d == "gamma":
            cv = float(self.cv or 0.0)
            shape = 1.0 / (cv * cv)
            return rng.gamma(shape, mean / shape, size)
        if d == "normal":
            sd = float(self.sd) if self.sd is not None else mean * float(self.cv or 0.0)
            return np.maximum(rng.normal(mean, sd, size), 0.0)
        if d == "uniform":
            return rng.uniform(float(self.low or 0.0), float(self.high or 0.0), size)
        if d == "triangular":
            lo, mo, hi = float(self.low or 0), float(self.mode or 0), float(self.high or 0)
            if lo == hi:
                return np.full(size, lo)
            return rng.triangular(lo, mo, hi, size)
        if d == "geometric":
            return rng.geometric(1.0 / mean, size).astype(float)
        values = np.asarray(self.values, dtype=float)
        p = None
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=float)
            p = w / w.sum()
        return rng.choice(values, size=size, p=p)

    @model_serializer
    def to_yaml(self) -> Any:
        """The spelling a user would write, with units restored for durations."""

        def out(x: float) -> Any:
            if self.unit == "hours":
                return format_duration(x)
            return int(x) if self.unit == "count" and float(x).is_integer() else x

        if self.dist == "constant":
            return out(float(self.value or 0.0))
        data: dict[str, Any] = {"dist": self.dist}
        for f in ("mean", "sd", "low", "mode", "high"):
            v = getattr(self, f)
            if v is not None:
                data[f] = out(v)
        if self.cv is not None:
            data["cv"] = self.cv
        if self.values is not None:
            data["values"] = [out(v) for v in self.values]
        if self.weights is not None:
            data["weights"] = list(self.weights)
        return data


def _to_hours(x: Any) -> Any:
    if isinstance(x, bool):
        raise ValueError(f"expected a duration such as '2h', found {x!r}")
    if isinstance(x, int | float):
        raise ValueError(
            f"a duration needs a unit (s, min, h, d, w), such as '{x}h' or '{x}d'; "
            f"found the bare number {x}"
        )
    return parse_duration(x) if isinstance(x, str) else x


def _coerce(unit: str) -> Callable[[Any], Any]:
    """Wrap a plain constant as a distribution and tell the model its unit."""

    def coerce(raw: Any) -> Any:
        if isinstance(raw, Distribution):
            return raw
        if not isinstance(raw, dict):
            raw = {"dist": "constant", "value": raw}
        if "unit" in raw:
            raise ValueError("unknown key 'unit'")
        return {"unit": unit, **raw}

    return coerce


DurationDist = Annotated[Distribution, BeforeValidator(_coerce("hours"))]
"""A distribution of durations: every number carries a unit, stored as hours."""
CountDist = Annotated[Distribution, BeforeValidator(_coerce("count"))]
"""A distribution of whole numbers >= 1 (lines per order, units per line)."""


class Sampler:
    """Draws one value at a time from blocks sampled in bulk: NumPy per call is slow."""

    __slots__ = ("_block", "_buf", "_i", "_rng", "_spec")

    def __init__(self, spec: Distribution, rng: np.random.Generator, block: int = 1024):
        self._spec = spec
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._spec.sample(self._rng, self._block).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


UNIT_UNIFORM = Distribution(unit="number", dist="uniform", low=0.0, high=1.0)
"""Uniform on [0, 1): for Bernoulli trials drawn from a Sampler."""
