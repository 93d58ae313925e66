"""Reports: figures of run and experiment results, HTML pages, animations.

The figure functions take a run's tables (``result.tables`` in a notebook, or
`read_run(folder)`) and return matplotlib Figures.
"""

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
    "costs",
    "cycle_time",
    "flow",
    "policy_levels",
    "read_run",
    "stock",
    "stock_by_class",
    "suppliers",
    "utilization",
    "write_report",
]
