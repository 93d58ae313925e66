"""Experiment files: read, validated against the format of `schema.py` with every mistake
named by file, line and field, and every variant's scenario loaded up front, so a typo in an
override fails before any run starts rather than after an hour of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simchain import bundled
from simchain.errors import Problem, ScenarioError
from simchain.experiment.plan import points
from simchain.experiment.schema import Experiment, Overrides
from simchain.scenario.loader import PathT, load_scenario, model_problems, parse_yaml
from simchain.scenario.schema import Scenario


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
        for variant in spec.variants:
            exp.load(variant)
        for point in points(spec):
            if point.params:
                exp.load(spec.baseline_variant, point.params)
    return exp
