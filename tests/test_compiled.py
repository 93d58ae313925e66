"""The compiled model: used when built and current, never when stale or when told not to.

`make test` runs the suite on the compiled build (SIMCHAIN_REQUIRE_COMPILED=1 there: a machine
with a C compiler must have compiled it) and the golden results again on the sources
(SIMCHAIN_PURE=1), so both builds are checked against the same exact results.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import simchain.model as model

PURE = os.environ.get("SIMCHAIN_PURE", "") not in ("", "0")


def test_the_build_in_use_is_the_one_asked_for() -> None:
    if PURE:
        assert not model.compiled()
    elif os.environ.get("SIMCHAIN_REQUIRE_COMPILED") == "1":
        assert model.compiled(), "the model was not compiled: see the install's output"


def _loads(env: dict[str, str], code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


SHOW = "import simchain.model as m, simchain.model.warehouses as w; print(m.compiled(), w.__file__)"


def test_pure_runs_every_module_from_its_source() -> None:
    compiled, where = _loads({"SIMCHAIN_PURE": "1"}, SHOW).split()
    assert compiled == "False"
    assert where.endswith("warehouses.py")


def test_a_changed_source_is_run_as_source(tmp_path: Path) -> None:
    """A record that does not match the sources (as after editing a compiled module) makes
    every model module run from its source, with a warning."""
    record = Path(model.__file__).parent / "compiled.txt"
    if not record.exists():
        pytest.skip("this install is not compiled")
    stale = tmp_path / "compiled.txt"
    stale.write_text(
        "".join(f"{line.split()[0]} {'0' * 64}\n" for line in record.read_text().splitlines())
    )
    code = (
        "import pathlib, simchain.model as m; "
        f"m._RECORD = pathlib.Path({str(stale)!r}); "
        "print(m._compiled_are_current(m._recorded()))"
    )
    assert _loads({}, code) == "False"
