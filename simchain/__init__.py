"""simchain: discrete-event simulation of e-commerce supply chains, on SimPy."""

from simchain.errors import ScenarioError
from simchain.experiment import load_experiment, run_experiment
from simchain.scenario import Scenario, load_scenario
from simchain.simulate import SimulationResult, simulate

__version__ = "0.1.0"
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
