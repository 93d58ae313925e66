"""Finding bundled scenarios by name: `simchain run classroom_single_dc` works anywhere."""

from __future__ import annotations

from pathlib import Path

import yaml

SOURCE_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_dirs() -> list[Path]:
    dirs = [Path.cwd() / "scenarios", SOURCE_SCENARIOS]
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def bundled() -> dict[str, Path]:
    """Scenario name (file stem) -> path, first folder wins."""
    found: dict[str, Path] = {}
    for d in scenario_dirs():
        for p in sorted(d.glob("*.yaml")):
            found.setdefault(p.stem, p)
    return found


def resolve(name_or_path: str) -> Path:
    """A path as given if it is a file, else a bundled scenario of that name, else the path."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix in (".yaml", ".yml"):
        return p
    return bundled().get(name_or_path, p)


def describe(path: Path) -> str:
    """The first sentence of a scenario's description, for listings."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return "(unreadable)"
    text = " ".join(str((data or {}).get("description", "")).split())
    return text.split(". ")[0].rstrip(".") + "." if text else ""
