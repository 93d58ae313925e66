"""Scenario files: schema, loading with precise errors, overrides, distributions."""

from simchain.scenario.loader import load_scenario, load_text, validate
from simchain.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "load_text", "validate"]
