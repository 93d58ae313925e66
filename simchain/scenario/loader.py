"""YAML -> validated Scenario, with errors that name the file, the line and the field.

Loading keeps a map from each field path to its line, applies `--set` overrides to the raw
data (so they are validated like the file), then maps every pydantic and cross-reference
problem back to a line.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simchain.errors import Problem, ScenarioError, suggest
from simchain.scenario import references
from simchain.scenario.schema import Scenario

PathT = tuple[str | int, ...]


def load_scenario(
    path: str | Path, overrides: Sequence[str] = (), days: float | None = None
) -> Scenario:
    """Read, override and validate a scenario file; raise ScenarioError on any mistake."""
    source = str(path)
    return load_text(_read(source), source, overrides, days, base_dir=Path(path).parent)


def _read(source: str) -> str:
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem((), "file not found")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [Problem((), f"cannot read the file: {exc}")]) from None


def load_text(
    text: str,
    source: str = "<text>",
    overrides: Sequence[str] = (),
    days: float | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """As load_scenario, from YAML text already in memory (`base_dir` resolves `extends`)."""
    data, lines, files = _parse_extended(text, source, base_dir or Path.cwd(), ())
    overridden = apply_overrides(data, overrides, source)
    if days is not None:
        if days <= 0:
            raise ScenarioError(source, [Problem(("--days",), f"must be > 0, found {days}")])
        cal = data.get("calendar")
        if isinstance(cal, dict):
            cal["horizon"] = f"{days}d"
            overridden[("calendar", "horizon")] = f"--days {days}"
    return validate(data, source, lines, overridden, files)


def validate(
    data: dict[str, Any],
    source: str,
    lines: dict[PathT, int] | None = None,
    overridden: dict[PathT, str] | None = None,
    files: dict[PathT, str] | None = None,
) -> Scenario:
    """Validate raw data (as loaded from YAML) into a Scenario. `files` names the file of
    fields inherited through `extends` (the others are in `source`)."""
    lines = lines or {}
    overridden = overridden or {}
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _from_pydantic(exc, data)
    else:
        problems = references.check(sc)
        if not problems:
            return sc
    raise ScenarioError(source, _locate(problems, lines, overridden, files or {}))


def model_problems(
    exc: ValidationError, data: Any, lines: dict[PathT, int], root: type[BaseModel]
) -> list[Problem]:
    """The problems of a failed `root.model_validate(data)`, each with its field and line: the
    same messages as for scenarios, for other YAML files (experiment files)."""
    return _locate(_from_pydantic(exc, data, root), lines, {}, {})


# --- extends: a scenario as changes to another ---------------------------------------------


def _parse_extended(
    text: str, source: str, base_dir: Path, seen: tuple[str, ...]
) -> tuple[dict[str, Any], dict[PathT, int], dict[PathT, str]]:
    """Parse a file; if it `extends` another (a path relative to it), merge it over that one:
    mappings merge key by key, anything else (values, lists) replaces. Returns the data, the
    line of each field and, for inherited fields, their file."""
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem((), "expected a mapping of scenario blocks")])
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines, {}
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            source,
            [Problem(("extends",), "expected a scenario file name", lines.get(("extends",)))],
        )
    path = (base_dir / parent).resolve()
    if str(path) in seen:
        chain = " -> ".join([*seen, str(path)])
        raise ScenarioError(source, [Problem(("extends",), f"extends loops: {chain}")])
    if not path.exists():
        raise ScenarioError(
            source,
            [
                Problem(
                    ("extends",),
                    f"no scenario file {parent} next to this one",
                    lines.get(("extends",)),
                )
            ],
        )
    base, base_lines, base_files = _parse_extended(
        _read(str(path)), str(path), path.parent, (*seen, str(path))
    )
    files = {p: base_files.get(p, str(path)) for p in base_lines}
    replaced = _merge(base, data, ())
    for p in list(base_lines):
        if any(p[: len(r)] == r for r in replaced):
            del base_lines[p]
            files.pop(p, None)
    for p in lines:
        files.pop(p, None)
    return base, {**base_lines, **lines}, files


def _merge(base: dict[str, Any], changes: dict[str, Any], at: PathT) -> list[PathT]:
    """Merge `changes` into `base` in place; returns the paths whose base value was replaced."""
    replaced: list[PathT] = []
    for key, value in changes.items():
        here = (*at, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            replaced += _merge(base[key], value, here)
        else:
            if key in base:
                replaced.append(here)
            base[key] = value
    return replaced


# --- YAML with line numbers ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text: the schema parses them and reports bad ones."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, source: str) -> tuple[Any, dict[PathT, int]]:
    """Safe-load YAML and return (data, {field path: 1-based line})."""
    lines: dict[PathT, int] = {}
    problems: list[Problem] = []
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            # Walk before constructing: construction flattens `<<` merge keys in place.
            if node is not None:
                _walk(node, (), lines, problems)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        opened = exc.context_mark
        if opened is not None and line is not None and opened.line + 1 != line:
            # An unclosed bracket or quote is noticed lines later: point at where it opened.
            what += f" (on line {line})"
            line = opened.line + 1
        raise ScenarioError(source, [Problem((), f"YAML syntax error: {what}", line)]) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ScenarioError(source, [Problem((), f"YAML error: {exc}")]) from None
    if problems:
        raise ScenarioError(source, problems)
    return data, lines


def _walk(node: yaml.Node, path: PathT, lines: dict[PathT, int], problems: list[Problem]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key in seen:
                problems.append(
                    Problem((*path, key), "key appears twice", key_node.start_mark.line + 1)
                )
            seen.add(key)
            _walk(value_node, (*path, key), lines, problems)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, problems)


# --- --set overrides ---------------------------------------------------------------------


def apply_overrides(
    data: dict[str, Any], overrides: Iterable[str], source: str
) -> dict[PathT, str]:
    """Apply 'a.b.c=value' overrides in place; a path that names nothing is an error."""
    done: dict[PathT, str] = {}
    for item in overrides:
        problem = _apply_one(data, item)
        if isinstance(problem, Problem):
            raise ScenarioError(source, [problem])
        done[problem] = f"--set {item}"
    return done


def _apply_one(data: dict[str, Any], item: str) -> Problem | PathT:
    if "=" not in item:
        return Problem(("--set",), f"expected path.to.field=value, found {item!r}")
    dotted, raw = item.split("=", 1)
    keys = [k for k in dotted.strip().split(".")]
    if not dotted.strip() or any(not k for k in keys):
        return Problem(("--set",), f"malformed field path {dotted!r} in {item!r}")
    try:
        value = yaml.load(raw, Loader=_Loader) if raw.strip() else ""
    except (yaml.YAMLError, ValueError):
        value = raw
    node: Any = data
    path: list[str | int] = []
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        step: str | int = key
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                return Problem(tuple(path), f"--set {item}: no item {key} in this list")
            step = int(key)
        elif isinstance(node, dict):
            if key not in node and not last and _is_field((*path, key), data):
                node[key] = {}  # a block left to its defaults in the file
            if key not in node and not last:
                return Problem(
                    tuple(path),
                    f"--set {item}: '{key}' is not under "
                    f"{'.'.join(map(str, path)) or 'the top level'}" + suggest(key, node),
                )
        else:
            return Problem(
                tuple(path), f"--set {item}: '{'.'.join(map(str, path))}' is a value, not a block"
            )
        path.append(step)
        if last:
            if isinstance(node, dict) and key not in node and not _is_field(tuple(path), data):
                siblings = list(node) + _field_names(tuple(path[:-1]), data)
                return Problem(
                    tuple(path), f"--set {item}: unknown field '{key}'" + suggest(key, siblings)
                )
            node[step] = value
        else:
            node = node[step]
    return tuple(path)


# --- mapping pydantic errors to fields and lines -------------------------------------------


def _model_at(path: PathT, data: Any, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The pydantic model class describing the mapping at `path` (None for plain mappings)."""
    ann: Any = root
    node = data
    for key in path:
        ann = _pick(ann, node)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(str(key))
            if field is None:
                return None
            ann = field.annotation
        else:
            origin = typing.get_origin(ann)
            args = typing.get_args(ann)
            if origin in (dict, list, tuple) and args:
                ann = args[-1] if origin is dict else args[0]
            else:
                return None
        node = node.get(key) if isinstance(node, dict) else None
    ann = _pick(ann, node)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _pick(ann: Any, node: Any) -> Any:
    """Unwrap Annotated/Optional/unions, choosing a tagged member by the data's 'kind'."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(ann) if a is not type(None)]
            chosen = members[0] if members else ann
            for m in members:
                inner = typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    kind = inner.model_fields.get("kind")
                    if kind is None or (
                        isinstance(node, dict) and node.get("kind") == kind.default
                    ):
                        chosen = m
                        break
                elif isinstance(node, dict) and typing.get_origin(inner) is dict:
                    chosen = m
            ann = chosen
            continue
        return ann


def _field_names(path: PathT, data: Any, root: type[BaseModel] = Scenario) -> list[str]:
    model = _model_at(path, data, root)
    return [n for n in model.model_fields if n != "unit"] if model else []


def _is_field(path: PathT, data: Any) -> bool:
    return str(path[-1]) in _field_names(path[:-1], data)


def _clean(loc: Sequence[str | int], data: Any, keep_last: bool) -> PathT:
    """Drop pydantic's union-member tags from a loc, keeping keys that exist in the data."""
    out: list[str | int] = []
    node = data
    for i, key in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(key, int) and key < len(node)
        if (isinstance(node, dict) and key in node) or in_list:
            node = node[key]
            out.append(key)
        elif (
            keep_last and i == len(loc) - 1 and isinstance(key, str) and (not _looks_like_tag(key))
        ):
            out.append(key)
    return tuple(out)


def _looks_like_tag(key: str) -> bool:
    return bool(re.search(r"[\[\]()]", key)) or key.startswith("function-")


def _from_pydantic(
    exc: ValidationError, data: Any, root: type[BaseModel] = Scenario
) -> list[Problem]:
    by_path: dict[PathT, list[str]] = {}
    for err in exc.errors():
        path = _clean(err["loc"], data, err["type"] in ("missing", "extra_forbidden"))
        by_path.setdefault(path, []).append(_message(err, path, data, root))
    problems = []
    for path, msgs in by_path.items():
        unique = list(dict.fromkeys(msgs))
        problems.append(Problem(path, " or ".join(unique) if len(unique) > 1 else unique[0]))
    return problems


def _found(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _message(err: Any, path: PathT, data: Any, root: type[BaseModel] = Scenario) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    value = err.get("input")
    if kind == "extra_forbidden":
        key = path[-1] if path else err["loc"][-1]
        return f"unknown key '{key}'" + suggest(str(key), _field_names(path[:-1], data, root))
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        expected = re.findall(r"'([^']+)'", str(err.get("ctx", {}).get("expected_tags", "")))
        return (
            f"unknown kind '{tag}'"
            + suggest(str(tag), expected)
            + f"; expected one of: {', '.join(expected)}"
        )
    if kind == "union_tag_not_found":
        return "needs a 'kind' naming the policy (see `simchain policies`)"
    if kind == "literal_error":
        expected = re.findall(r"'([^']+)'", str(err.get("ctx", {}).get("expected", "")))
        return f"expected {err['ctx']['expected']}, found {_found(value)}" + suggest(
            str(value), expected
        )
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        return msg
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return f"expected a number {msg.removeprefix('Input should be ')}, found {_found(value)}"
    msg = msg[0].lower() + msg[1:] if msg else msg
    return f"{msg.replace('input should be', 'expected')}, found {_found(value)}"


def _locate(
    problems: Iterable[Problem],
    lines: dict[PathT, int],
    overridden: dict[PathT, str],
    files: dict[PathT, str],
) -> list[Problem]:
    """Attach the line of the nearest existing field (and say which --set put it there)."""
    out = []
    for p in problems:
        path = p.path
        line = None
        source = None
        for n in range(len(path), -1, -1):
            if path[:n] in lines:
                line = lines[path[:n]]
                source = files.get(path[:n])
                break
        msg = p.message
        for opath, how in overridden.items():
            if path[: len(opath)] == opath:
                msg += f" (value from {how})"
                break
        out.append(Problem(path, msg, line if p.line is None else p.line, source))
    return sorted(out, key=lambda p: (p.line or 0, p.dotted()))
