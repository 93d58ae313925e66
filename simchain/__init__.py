"""simchain: discrete-event simulation of e-commerce supply chains, on SimPy."""

import gc
from typing import TYPE_CHECKING

# Importing simchain loads pandas, pyarrow, pydantic and the scenario models: about 100,000
# objects and next to no garbage, which the cyclic garbage collector would otherwise walk some
# 190 times on the way (a sixth of the import's time). It resumes, as it was, once they are in.
_collecting = gc.isenabled()
gc.disable()
try:
    from simchain.errors import ScenarioError
    from simchain.scenario import Scenario, load_scenario
    from simchain.simulate import SimulationResult, simulate
    from simchain.version import __version__
finally:
    if _collecting:
        gc.enable()

if TYPE_CHECKING:
    from simchain.experiment import load_experiment, run_experiment

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


def __getattr__(name: str) -> object:
    """The experiment functions, imported on first use: a command that runs one scenario does
    not load the experiment machinery (its schema, runner and statistics)."""
    if name in ("load_experiment", "run_experiment"):
        from simchain import experiment

        return getattr(experiment, name)
    raise AttributeError(f"module 'simchain' has no attribute {name!r}")
