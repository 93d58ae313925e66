"""The package's version, and the versions of what a result was computed with (manifests)."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import simpy

__version__ = "0.1.0"


def library_versions() -> dict[str, str]:
    """Python and the libraries whose versions can change a result."""
    return {
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
