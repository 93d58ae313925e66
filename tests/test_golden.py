"""Every bundled scenario and teaching demo reproduces its golden results exactly: KPIs to
the last bit and every table column (tests/golden_cases.py says how they are made)."""

from __future__ import annotations

import pytest

from tests.golden_cases import CASES, Case, fingerprint, read


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_simulate_reproduces_the_golden_results(case: Case) -> None:
    expected = read(case)
    found = fingerprint(case)
    changed = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
    shown = ", ".join(f"{k} {expected.get(k)} -> {found.get(k)}" for k in changed[:20])
    assert not changed, f"differs from tests/golden/{case.name}.csv: {shown}"
