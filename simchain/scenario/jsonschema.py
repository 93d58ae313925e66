"""The JSON Schema of scenario files, as users write them (durations with units)."""

from __future__ import annotations

from typing import Any

from simchain.scenario.schema import Scenario

DURATION_PATTERN = r"^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*(s|sec|min|h|d|w)\s*$"
_DURATION = {"type": "string", "pattern": DURATION_PATTERN, "examples": ["90min", "2.5h", "3d"]}


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    dist = defs.get("Distribution")
    if dist is not None:
        props = dist["properties"]
        props.pop("unit", None)
        for f in ("value", "mean", "sd", "low", "mode", "high"):
            if f in props:
                props[f] = {"anyOf": [{"type": "number"}, _DURATION], "title": f.title()}
        if "values" in props:
            props["values"] = {
                "type": "array",
                "items": {"anyOf": [{"type": "number"}, _DURATION]},
                "title": "Values",
            }
        dist["description"] = (
            "A tagged distribution, e.g. {dist: lognormal, mean: 5d, cv: 0.3}; durations "
            "take units. A plain number (or a duration) is a constant."
        )
    _patch(schema)
    schema["title"] = "simchain scenario (schema_version 1)"
    return schema


def _patch(node: Any) -> None:
    """Durations are strings with units; a distribution may also be written as a constant."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and value.get("$ref") == "#/$defs/Distribution":
                node[key] = {"anyOf": [value, {"type": "number"}, _DURATION]}
            else:
                _patch(value)
        if node.get("type") == "number" and "duration" in str(node.get("title", "")).lower():
            node.clear()
            node.update(_DURATION)
    elif isinstance(node, list):
        for item in node:
            _patch(item)
