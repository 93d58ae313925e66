"""Columnar, append-only recording: typed buffers instead of a dict per event.

A column is an `array.array` (8 bytes per float, 4 per int32): appending is one C call, and a
column can also be written by index once a row exists (an order's later stage times).
Once a run is over, its tables may take the buffers over (`arrays` gives views of them) and
`release` gives back the memory of the columns no table kept.
"""

from __future__ import annotations

from array import array
from contextlib import suppress

import numpy as np
import pandas as pd

NAN = float("nan")


class Columns:
    """A table being recorded: named typed columns of equal length."""

    def __init__(self, spec: dict[str, str]):
        # spec: column name -> array typecode ('d' float64, 'q' int64, 'i' int32, 'h' int16,
        # 'b' int8)
        self.spec = dict(spec)
        self.cols: dict[str, array] = {name: array(code) for name, code in spec.items()}

    def extend(self, n: int, given: dict[str, np.ndarray], defaults: dict[str, float]) -> None:
        """Append n rows at once: given columns from arrays, the others from `defaults` (else 0)."""
        for name, col in self.cols.items():
            dtype = np.dtype(col.typecode)
            if name in given:
                values = np.asarray(given[name], dtype=dtype)
                if len(values) != n:
                    raise ValueError(f"column {name}: {len(values)} values for {n} rows")
            else:
                values = np.full(n, defaults.get(name, 0), dtype=dtype)
            col.frombytes(values.tobytes())

    def __len__(self) -> int:
        first = next(iter(self.cols.values()))
        return len(first)

    def nbytes(self) -> int:
        return sum(c.itemsize * len(c) for c in self.cols.values())

    def arrays(self) -> dict[str, np.ndarray]:
        """Zero-copy NumPy views of the columns."""
        return {name: _view(col) for name, col in self.cols.items()}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: v.copy() for k, v in self.arrays().items()})

    def release(self, *names: str) -> None:
        """Empty the columns named (all without names), giving their memory back. The arrays
        stay, empty, for whoever holds them; a column still viewed by NumPy (a table's column)
        is kept as it is."""
        for name in names or tuple(self.cols):
            with suppress(BufferError):  # a NumPy view of it is still alive: it is kept
                del self.cols[name][:]


def _view(col: array) -> np.ndarray:
    if not len(col):
        return np.array([], dtype=np.dtype(col.typecode))
    return np.frombuffer(col, dtype=col.typecode)
