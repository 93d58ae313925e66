"""Experiment files: a scenario, named variants, an optional sweep, replications, metrics.

Validated like scenarios (unknown keys refused, every mistake named by file, line and field),
and every variant's scenario is loaded up front, so a typo in an override fails before any
run starts rather than after an hour of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simchain import bundled
from simchain.errors import Problem, ScenarioError, suggest
from simchain.scenario.loader import PathT, load_scenario, model_problems, parse_yaml
from simchain.scenario.schema import Scenario

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


def as_set_strings(overrides: Overrides) -> list[str]:
    """Overrides as `path=value` strings; JSON values read back identically as YAML."""
    if isinstance(overrides, list):
        return [str(o) for o in overrides]
    return [f"{path}={json.dumps(value)}" for path, value in overrides.items()]


class ExperimentFile:
    """A validated experiment, where it came from, and the line of each of its fields."""

    def __init__(self, spec: Experiment, source: str, lines: dict[PathT, int]):
        self.spec = spec
        self.source = source
        self.lines = lines

    @property
    def scenario_path(self) -> Path:
        """The scenario: relative to the experiment file if there, else a bundled name."""
        here = Path(self.source).parent / self.spec.scenario
        return here if here.is_file() else bundled.resolve(self.spec.scenario)

    def problem(self, path: PathT, message: str) -> ScenarioError:
        """A mistake found after validation, at the nearest line of `path`."""
        found = (self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines)
        line = next(found, None)
        return ScenarioError(self.source, [Problem(path, message, line)])

    def load(self, variant: str, params: dict[str, Any] | None = None) -> Scenario:
        """The scenario of one variant at one parameter point: the experiment's overrides, then
        the variant's, then the point's; a mistake is reported against this file."""
        sets = as_set_strings(self.spec.overrides) + as_set_strings(
            self.spec.variants[variant].overrides
        )
        sets += as_set_strings(params or {})
        try:
            return load_scenario(self.scenario_path, overrides=sets, days=self.spec.days)
        except ScenarioError as exc:
            where: PathT = ("sweep",) if params else ("variants", variant, "set")
            detail = "; ".join(
                f"{p.source or exc.source}:{p.line}: {p.dotted()}: {p.message}"
                if p.line is not None
                else f"{p.source or exc.source}: {p.dotted()}: {p.message}"
                for p in exc.problems
            )
            what = f"variant '{variant}'" + (f" at {params}" if params else "")
            raise self.problem(where, f"{what} gives an invalid scenario: {detail}") from None


EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent.parent / "experiments"


def resolve(name_or_path: str) -> Path:
    """A path as given if it is a file, else a bundled experiment of that name."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix in (".yaml", ".yml"):
        return p
    for d in (Path.cwd() / "experiments", EXPERIMENTS_DIR):
        if (d / f"{name_or_path}.yaml").exists():
            return d / f"{name_or_path}.yaml"
    return p


def load_experiment(path: str | Path, check_scenarios: bool = True) -> ExperimentFile:
    """Read and validate an experiment file; with `check_scenarios`, also load the scenario of
    every variant (at the first sweep point), so bad overrides fail before any run."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem((), "file not found")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [Problem((), f"cannot read the file: {exc}")]) from None
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem((), "expected a mapping of experiment fields")])
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, model_problems(exc, data, lines, Experiment)) from None
    exp = ExperimentFile(spec, source, lines)
    if not exp.scenario_path.exists():
        raise exp.problem(("scenario",), f"no scenario file or bundled scenario '{spec.scenario}'")
    if check_scenarios:
        from simchain.experiment.plan import points

        for variant in spec.variants:
            exp.load(variant)
        for point in points(spec):
            if point.params:
                exp.load(spec.baseline_variant, point.params)
    return exp
