"""Running the `simchain` command line as a subprocess, the way a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def simchain(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`simchain ARGS` in `cwd`, with wide rich tables and no debug tracebacks; `env`
    changes environment variables (e.g. PATH)."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}  # rich: no wrapped names
    env.pop("SIMCHAIN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "simchain.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
