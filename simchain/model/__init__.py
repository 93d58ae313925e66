"""The model: a Network's actors run on SimPy (see `chain.py`).

The hot modules may be compiled to C by mypyc when the package is installed (see setup.py);
they then run the same code about 1.4x faster. Compiled modules are used only while every one
of them matches the source it was built from: if any source changed since the build (an
edited checkout), or with SIMCHAIN_PURE=1, all of them run from their sources, since a
compiled module cannot work with a class that comes from source.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

_HERE = Path(__file__).resolve().parent
_RECORD = _HERE / "compiled.txt"


def _recorded() -> dict[str, str]:
    """Compiled module -> SHA-256 of the source it was built from (empty: none compiled)."""
    try:
        text = _RECORD.read_text()
    except OSError:
        return {}
    return dict(line.split() for line in text.splitlines() if line.strip())


def _compiled_are_current(recorded: dict[str, str]) -> bool:
    if not recorded:
        return False
    for name, digest in recorded.items():
        try:
            source = (_HERE / f"{name}.py").read_bytes()
        except OSError:
            return False
        if hashlib.sha256(source).hexdigest() != digest:
            warnings.warn(
                f"simchain.model.{name} changed since it was compiled: the model runs from its "
                "sources (reinstall to compile it again)",
                stacklevel=2,
            )
            return False
    return True


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the model's modules as their `.py` sources, never as compiled extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = _HERE / f"{name}.py"
        if package != __name__ or not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


_USE_COMPILED = os.environ.get("SIMCHAIN_PURE", "") in ("", "0") and _compiled_are_current(
    _recorded()
)
if not _USE_COMPILED:
    sys.meta_path.insert(0, _FromSource())


def compiled() -> bool:
    """Whether the model runs its compiled modules (else all run from their sources)."""
    from simchain.model import warehouses

    return _USE_COMPILED and not str(warehouses.__file__).endswith(".py")
