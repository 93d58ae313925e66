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
    Tables,
    backlog,
    costs,
    cycle_time,
    flow,
    policy_levels,
    read_run,
    stock,
    stock_by_class,
    suppliers,
    utilization,
    write_report,
)

__all__ = [
    "FIGURES",
    "Tables",
    "backlog",
    "bars",
    "costs",
    "cycle_time",
    "differences",
    "flow",
    "heatmap",
    "non_dominated",
    "pareto",
    "policy_levels",
    "read_experiment",
    "read_run",
    "response",
    "stock",
    "stock_by_class",
    "suppliers",
    "tradeoff",
    "utilization",
    "write_experiment_report",
    "write_report",
]
