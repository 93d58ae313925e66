"""Experiments: variants of a scenario x parameter points x replications, on common random
numbers, run in parallel and summarised with confidence intervals."""

from simchain.experiment.runner import ExperimentResult, run_experiment
from simchain.experiment.schema import Experiment
from simchain.experiment.spec import ExperimentFile, load_experiment

__all__ = ["Experiment", "ExperimentFile", "ExperimentResult", "load_experiment", "run_experiment"]
