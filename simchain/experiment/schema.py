"""The experiment file format (schema_version 1), as frozen pydantic models: a scenario,
named variants, an optional sweep, replications, metrics.

Validated like scenarios: unknown keys are refused and every field is checked here; reading a
file, naming each mistake by its line, and loading the scenario of every variant is `spec.py`'s
job.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simchain.errors import suggest

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]
#: Overrides as `--set` strings, or a mapping field path -> value.
Overrides = list[str] | dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Variant(_Strict):
    """One alternative: overrides applied on top of the experiment's own."""

    description: str | None = None
    overrides: Overrides = Field(default_factory=list, alias="set")


class Bounds(_Strict):
    """A sampled parameter's range; `integer` rounds samples (head counts, quantities)."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be >= low ({self.low:g})")
        return self


class Sweep(_Strict):
    """Parameter points: a full grid, or `samples` random or Latin-hypercube draws."""

    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = None
    random: dict[str, Bounds] | None = None
    latin_hypercube: dict[str, Bounds] | None = None
    samples: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Sweep:
        given = [k for k in ("grid", "random", "latin_hypercube") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("expected exactly one of grid, random, latin_hypercube")
        if given[0] != "grid" and self.samples is None:
            raise ValueError(f"{given[0]} needs `samples`")
        if given[0] == "grid" and self.samples is not None:
            raise ValueError("`samples` is for random and latin_hypercube, not grid")
        return self

    @field_validator("grid")
    @classmethod
    def _distinct_values(cls, grid: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        """A value listed twice would make two points of one: their runs would be the same
        runs, counted twice in every statistic."""
        for param, values in (grid or {}).items():
            seen: set[str] = set()
            for v in values:
                key = json.dumps(v, sort_keys=True, default=str)
                if key in seen:
                    raise ValueError(f"{param}: the value {key} is listed twice")
                seen.add(key)
        return grid

    def parameters(self) -> list[str]:
        return list(self.grid or self.random or self.latin_hypercube or {})


class Experiment(_Strict):
    """A declarative experiment: what to compare, how often, and on which metrics."""

    schema_version: Literal[1]
    name: Name
    description: str | None = None
    scenario: str = Field(description="a path relative to this file, or a bundled scenario")
    overrides: Overrides = Field(default_factory=list, alias="set")
    variants: Annotated[dict[Name, Variant], Field(min_length=1)] = Field(
        default_factory=lambda: {"base": Variant()}
    )
    baseline: str | None = None
    replications: int = Field(gt=0)
    seed: int = Field(ge=0)
    metrics: Annotated[list[str], Field(min_length=1)]
    days: float | None = Field(default=None, gt=0)
    sweep: Sweep | None = None
    #: The two metrics of the report's trade-off plot (x, y); by default a cost against a
    #: service level when the metrics have both, else the first two.
    tradeoff: Annotated[list[str], Field(min_length=2, max_length=2)] | None = None

    @field_validator("tradeoff")
    @classmethod
    def _tradeoff_metrics(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        metrics = info.data.get("metrics")
        if value is None or metrics is None:  # no metrics: that error is reported already
            return value
        for name in value:
            if name not in metrics:
                raise ValueError(
                    f"'{name}' is not among the metrics"
                    + suggest(name, metrics)
                    + f"; metrics: {', '.join(metrics)}"
                )
        if value[0] == value[1]:
            raise ValueError(f"expected two different metrics, found '{value[0]}' twice")
        return value

    @model_validator(mode="after")
    def _baseline_known(self) -> Experiment:
        if self.baseline is not None and self.baseline not in self.variants:
            raise ValueError(
                f"baseline '{self.baseline}' is not a variant"
                + suggest(self.baseline, self.variants)
                + f"; variants: {', '.join(self.variants)}"
            )
        return self

    @property
    def baseline_variant(self) -> str:
        return self.baseline or next(iter(self.variants))
