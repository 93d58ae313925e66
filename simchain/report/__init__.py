"""Reports: figures of run and experiment results, HTML pages, animations.

The figure functions take a run's tables (``result.tables`` in a notebook, or
`read_run(folder)`), or an experiment's summary and comparison tables (``result.summary``,
`read_experiment(folder)`), and return matplotlib Figures.
"""

from simchain.report.experiment import (
    bars,
    differences,
    heatmap,
    non_dominated,
    pareto,
    read_experiment,
    response,
    tradeoff,
    write_experiment_report,
)
from simchain.report.run import (
    FIGURES,
    backlog,
    costs,
    cycle_time,
    flow,
    read_run,
    stock,
    utilization,
    write_report,
)

__all__ = [
    "FIGURES",
    "backlog",
    "bars",
    "costs",
    "cycle_time",
    "differences",
    "flow",
    "heatmap",
    "non_dominated",
    "pareto",
    "read_experiment",
    "read_run",
    "response",
    "stock",
    "tradeoff",
    "utilization",
    "write_experiment_report",
    "write_report",
]
