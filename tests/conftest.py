"""How the suite spreads over pytest-xdist workers (`pytest -n auto`).

Tests that share a module- or session-scoped fixture of this package (a run folder, an
experiment, a long simulation) form one work unit and run one after the other on one worker,
so each such fixture is made once per suite run, not once per worker that happens to get one
of its tests (nor again when another file's tests come in between). Every other test is a
unit of its own, handed to whichever worker is free.

Each worker receives the slow units first (those with a test marked `slow`), then the others
in file order, so that no long test starts last while the other worker runs out of work.

This is what `-n` does without `--dist`; an explicit `--dist` is left to xdist. Without xdist
the tests run in file order. (xdist's own `--dist loadgroup` would group tests by marker, but
with pytest 9.2 and xdist 3.8 the group it appends to `item._nodeid` never reaches the node
id, so every test would be a unit of its own: the workers pass their units on below instead.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before xdist turns `-n` alone into `--dist load`
def pytest_cmdline_main(config: pytest.Config) -> None:
    option = config.option
    if getattr(option, "numprocesses", None) and getattr(option, "dist", None) == "no":
        # The workers write their units here (they collect; the controller does not).
        option.simchain_units = tempfile.mkdtemp(prefix="simchain-units-")
        option.loadscopereorder = False  # units in the workers' order, not largest first


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config.option, "simchain_units", None)
    if folder and not hasattr(config, "workerinput"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    folder = getattr(node.config.option, "simchain_units", None)
    if folder:
        node.workerinput["simchain_units"] = folder


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    folder = getattr(config.option, "simchain_units", None)
    if not folder or config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    where = Path(folder)

    class UnitScheduling(LoadScopeScheduling):
        """xdist's scope scheduling, with the workers' units as scopes."""

        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:  # asked once all workers have collected
                self.units = {}
                for path in sorted(where.glob("*.json")):
                    self.units.update(json.loads(path.read_text(encoding="utf-8")))
            return self.units.get(nodeid, nodeid)

    return UnitScheduling(config, log)


def _shared_fixtures(item: pytest.Item) -> list[str]:
    """The module-, package- and session-scoped fixtures defined in this package that the
    test uses, directly or through other fixtures."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    found = []
    for name in info.names_closure:
        defs = info.name2fixturedefs.get(name)
        if not defs or defs[-1].scope not in ("module", "package", "session"):
            continue
        code = getattr(defs[-1].func, "__code__", None)
        if code is not None and Path(code.co_filename).resolve().is_relative_to(HERE):
            found.append(f"{defs[-1].baseid}::{name}")
    return found


def _units(items: list[pytest.Item]) -> list[str]:
    """Each test's unit: the tests sharing a fixture (transitively) are one unit, named after
    one of the fixtures; any other test is a unit of its own, named by its node id."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    uses = [_shared_fixtures(item) for item in items]
    for fixtures in uses:
        for other in fixtures[1:]:
            parent[root(other)] = root(fixtures[0])
    return [
        f"shared {root(fixtures[0])}" if fixtures else item.nodeid
        for item, fixtures in zip(items, uses, strict=True)
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is None:
        return
    units = dict(zip((item.nodeid for item in items), _units(items), strict=True))
    slow = {units[item.nodeid] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: units[item.nodeid] not in slow)  # stable: file order within
    folder = worker.get("simchain_units")
    if folder:
        shared = {nodeid: unit for nodeid, unit in units.items() if unit != nodeid}
        path = Path(folder) / f"{worker['workerid']}.json"
        path.write_text(json.dumps(shared), encoding="utf-8")
