"""The package's shape: no import cycle among simchain's modules, and no function too long to
read at once. Both are checked on the source (with `ast`), without importing anything."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simchain"

#: The longest function or method allowed, in lines (`end_lineno - lineno + 1`, decorators
#: and docstring included).
MAX_FUNCTION_LINES = 80

#: Functions allowed to be longer, "path:qualified.name" -> why. Keep it empty: an entry is a
#: debt with its reason written down, to be paid by splitting the function, not a way around
#: the check. An entry whose function is gone or short again fails the test, so none lingers.
LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path) -> str:
    """The dotted module name of a file of the package (a package is its `__init__`)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`: imports there never run."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run: at module level and inside functions alike (an import
    moved into a function still closes a cycle, only later), but not under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            for branch in node.orelse:
                yield from runtime_imports(ast.Module(body=[branch], type_ignores=[]))
        else:
            yield from runtime_imports(node)


def imported_modules(source: str, package: str, known: set[str]) -> Iterator[tuple[str, int]]:
    """The modules among `known` that a module's `source` imports, each with the line of its
    import statement; `package` is the module's package (itself for an `__init__`).

    `import simchain.a.b` and `from simchain.a import b` (b a module) depend on simchain.a.b;
    `from simchain.a import f` (f any other name) depends on simchain.a, its `__init__` if a
    package. Relative imports are resolved against `package`.
    """
    for node in runtime_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for target in targets:
            if target in known:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {module it imports: line of the (first) import}, within the package."""
    found = modules()
    known = set(found)
    graph: dict[str, dict[str, int]] = {}
    for name, path in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        source = path.read_text(encoding="utf-8")
        edges: dict[str, int] = {}
        for target, line in imported_modules(source, package, known):
            if target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module: each holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def shortest_cycle(graph: dict[str, dict[str, int]], members: set[str], start: str) -> list[str]:
    """A shortest cycle through `start` within its component, found breadth-first: modules
    in import order, the first and last the same."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(graph[node]):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if succ in members and succ not in came_from:
                    came_from[succ] = node
                    following.append(succ)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a component has one through each


def cycles(graph: dict[str, dict[str, int]], component: list[str]) -> list[list[str]]:
    """A shortest cycle through each module of a component, each cycle once (rotated to
    start at its first module in name order), so every import to undo shows in one."""
    found: dict[tuple[str, ...], list[str]] = {}
    for start in component:
        cycle = shortest_cycle(graph, set(component), start)
        first = cycle.index(min(cycle))
        rotated = [*cycle[first:-1], *cycle[:first], cycle[first]]
        found.setdefault(tuple(rotated), rotated)
    return list(found.values())


def describe_cycle(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    """`a (a.py:12) -> b (b.py:3) -> a`: each module with the line that imports the next."""
    paths = modules()
    steps = [
        f"{a} ({paths[a].relative_to(ROOT)}:{graph[a][b]})" for a, b in itertools.pairwise(cycle)
    ]
    return " -> ".join([*steps, cycle[-1]])


def test_imports_are_read_as_python_runs_them() -> None:
    source = """
from typing import TYPE_CHECKING
import numpy
import simchain.experiment.runner as runner
from simchain import errors, __version__
from .scenario import schema, load_scenario
from ..elsewhere import thing
if TYPE_CHECKING:
    from simchain.simulate import SimulationResult
else:
    from simchain import kpis

def later():
    from simchain.output import write_run
"""
    known = {
        "simchain",
        "simchain.errors",
        "simchain.experiment.runner",
        "simchain.kpis",
        "simchain.output",
        "simchain.scenario",
        "simchain.scenario.schema",
        "simchain.simulate",
    }
    found = dict(imported_modules(source, "simchain", known))
    assert found == {
        "simchain.experiment.runner": 4,
        "simchain.errors": 5,
        "simchain": 5,  # __version__: a name of the package's __init__
        "simchain.scenario.schema": 6,
        "simchain.scenario": 6,  # load_scenario: a name of the subpackage's __init__
        "simchain.kpis": 11,
        "simchain.output": 14,  # inside a function: still an import that runs
    }


def test_a_cycle_is_reported_with_its_modules_in_order() -> None:
    graph: dict[str, dict[str, int]] = {
        "a": {"b": 1},
        "b": {"c": 2},
        "c": {"a": 3, "d": 4},
        "d": {},
    }
    [component] = strongly_connected(graph)
    assert component == ["a", "b", "c"]
    assert cycles(graph, component) == [["a", "b", "c", "a"]]


def test_no_import_cycle_among_the_modules() -> None:
    graph = import_graph()
    report = [
        "\n".join(f"  {describe_cycle(graph, cycle)}" for cycle in cycles(graph, component))
        + f"\n    (modules in this tangle: {', '.join(component)})"
        for component in strongly_connected(graph)
    ]
    if report:
        pytest.fail("import cycles among simchain's modules:\n" + "\n".join(report), pytrace=False)


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """Every function and method, nested ones too: (qualified name, length in lines)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            assert node.end_lineno is not None
            yield name, node.end_lineno - node.lineno + 1
            yield from functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def function_lengths() -> dict[str, int]:
    """The length in lines of every function of the package, by `path:qualified.name` (the
    longest, if a module defines one name twice)."""
    lengths: dict[str, int] = {}
    for path in modules().values():
        where = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name, length in functions(tree):
            key = f"{where}:{name}"
            lengths[key] = max(length, lengths.get(key, 0))
    return lengths


def test_no_function_is_too_long() -> None:
    long = {
        key: n
        for key, n in function_lengths().items()
        if n > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS
    }
    shown = "\n".join(
        f"  {key}: {n} lines" for key, n in sorted(long.items(), key=lambda kv: -kv[1])
    )
    if long:
        pytest.fail(
            f"functions longer than {MAX_FUNCTION_LINES} lines (split them into helpers with "
            f"one job each):\n{shown}",
            pytrace=False,
        )


def test_the_long_function_allowances_are_still_needed() -> None:
    lengths = function_lengths()
    stale = {
        key: lengths.get(key)
        for key in LONG_FUNCTIONS
        if lengths.get(key) is None or lengths[key] <= MAX_FUNCTION_LINES
    }
    shown = "\n".join(
        f"  {key}: " + ("no such function" if n is None else f"{n} lines")
        for key, n in stale.items()
    )
    if stale:
        pytest.fail(f"remove from LONG_FUNCTIONS, no longer needed:\n{shown}", pytrace=False)
