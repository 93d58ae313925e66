"""Reports: figures of run and experiment results, HTML pages, animations.

The figure functions take a run's tables (``result.tables`` in a notebook, or
`read_run(folder)`) and return matplotlib Figures.
"""

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
    "costs",
    "cycle_time",
    "flow",
    "read_run",
    "stock",
    "utilization",
    "write_report",
]
