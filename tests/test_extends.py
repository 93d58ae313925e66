"""`extends`: a scenario written as changes to another, with errors pointing at the right
file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from simchain import load_scenario
from simchain.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASE = """\
schema_version: 1
name: base
calendar: {start: 2026-01-01, horizon: 30d}
skus:
  a: {unit_cost: 5, price: 9}
  b: {unit_cost: 5, price: 9}
suppliers:
  vendor: {lead_time: 2d}
warehouses:
  dc:
    replenished_from: vendor
    stocking: {default: {kind: base_stock, S: 20}}
regions:
  town: {served_by: [dc], demand: {orders_per_day: 10}}
lanes:
  dc: {town: {transit_time: 1d}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_snowstorm_is_double11_plus_its_disruptions() -> None:
    storm = load_scenario(ROOT / "scenarios" / "double11_snowstorm.yaml")
    base = load_scenario(ROOT / "scenarios" / "double11.yaml")
    assert storm.name == "double11_snowstorm"
    assert set(storm.disruptions) == {"snowstorm", "hefei_couriers"}
    assert storm.disruptions["snowstorm"].lanes_closed
    skip = {"name", "description", "disruptions"}
    assert storm.model_dump(exclude=skip) == base.model_dump(exclude=skip)


def test_bundled_premium_adds_a_class_its_carrier_and_priority_only() -> None:
    premium = load_scenario(ROOT / "scenarios" / "double11_premium.yaml")
    base = load_scenario(ROOT / "scenarios" / "double11.yaml")
    fronts = ("sh_fdc", "hz_fdc", "nj_fdc", "hf_fdc")
    for city, region in premium.regions.items():
        assert region.service_classes["premium"].carrier == "sf_express", city
        (w,) = [w for w in region.served_by if w in fronts]
        assert set(premium.lanes[w][city].carriers) == {"sf_express"}
        assert premium.warehouses[w].priority == "premium_first"
    skip = {"name", "description", "regions", "lanes", "warehouses"}
    assert premium.model_dump(exclude=skip) == base.model_dump(exclude=skip)
    for city in base.regions:
        mine = premium.regions[city].model_dump(exclude={"service_classes"})
        assert mine == base.regions[city].model_dump(exclude={"service_classes"})


def test_changes_merge_mappings_and_replace_values(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: child\n"
        "warehouses: {dc: {stocking: {default: {kind: s_S, s: 5, S: 30}}}}\n"
        "regions: {town: {demand: {orders_per_day: 25}}}\n",
    )
    sc = load_scenario(child, overrides=["skus.b.price=11"])
    assert sc.name == "child"
    assert sc.warehouses["dc"].replenished_from == "vendor"  # kept from the base
    assert sc.warehouses["dc"].stocking.default is not None
    assert sc.warehouses["dc"].stocking.default.kind == "s_S"  # replaced
    assert sc.regions["town"].demand.orders_per_day == 25
    assert sc.regions["town"].served_by == ["dc"]
    assert sc.skus["b"].price == 11


CHILD = "extends: base.yaml\n\nregions: {town: {served_by: [dcc]}}\n"


def test_errors_name_the_file_and_line_they_come_from(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE.replace("price: 9}\n  b:", "price: -9}\n  b:"))
    child = write(tmp_path, "child.yaml", CHILD)
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert f"{(tmp_path / 'base.yaml').resolve()}:5: skus.a.price" in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("extends: nowhere.yaml\n", "no scenario file nowhere.yaml"),
        ("extends: loop.yaml\n", "extends loops"),
        ("extends: [base.yaml]\n", "expected a scenario file name"),
    ],
)
def test_bad_extends(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "base.yaml", BASE)
    path = write(tmp_path, "loop.yaml", text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)
