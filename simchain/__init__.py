"""simchain: discrete-event simulation of e-commerce supply chains, on SimPy."""

from simchain.errors import ScenarioError
from simchain.experiment import load_experiment, run_experiment
from simchain.scenario import Scenario, load_scenario
from simchain.simulate import SimulationResult, simulate
from simchain.version import __version__

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "load_experiment",
    "load_scenario",
    "run_experiment",
    "simulate",
]
