"""Bad input on the command line: exit code 2, a message naming file, line and field, no traceback.

Each test copies the classroom scenario into a temporary folder, edits its text to introduce
one mistake and runs `simchain` as a subprocess. Line numbers are found in the edited text, so
the tests keep working when the scenario's comments change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import simchain

SCENARIO = Path(__file__).parents[1] / "scenarios" / "classroom_single_dc.yaml"
FILE = "bad.yaml"


def copy_scenario(tmp_path: Path) -> None:
    shutil.copy(SCENARIO, tmp_path / FILE)


def write_edited(tmp_path: Path, old: str, new: str) -> str:
    """Copy the scenario to tmp_path/FILE with `old` (which must occur once) replaced."""
    text = SCENARIO.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {SCENARIO.name}"
    edited = text.replace(old, new)
    (tmp_path / FILE).write_text(edited, encoding="utf-8")
    return edited


def line_of(text: str, needle: str) -> int:
    """1-based line of the single occurrence of `needle` (leading newlines skipped)."""
    assert text.count(needle) == 1, f"{needle!r} should occur once in the edited file"
    start = text.index(needle) + len(needle) - len(needle.lstrip("\n"))
    return text.count("\n", 0, start) + 1


def problem(stderr: str, line: int | None, path: str) -> str:
    """The stderr line reporting `path` at `FILE:line` (at any line, or none, if line is None)."""
    where = re.escape(FILE) + (f":{line}" if line is not None else r"(:\d+)?")
    pattern = re.compile(f"^(error: )?{where}: {re.escape(path)}: ")
    for text in stderr.splitlines():
        if pattern.match(text):
            return text
    raise AssertionError(f"no line matching {pattern.pattern!r} in stderr:\n{stderr}")


def check_error(
    proc: subprocess.CompletedProcess[str], line: int | None, path: str, *fragments: str
) -> None:
    """Exit code 2, no traceback, and a stderr line `FILE:line: path: ...` holding `fragments`."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, f"exit code {proc.returncode}, stderr:\n{proc.stderr}"
    reported = problem(proc.stderr, line, path)
    for fragment in fragments:
        assert fragment in reported, f"{fragment!r} not in {reported!r}"


def validate_edited(
    tmp_path: Path, old: str, new: str, anchor: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Edit the scenario and run `simchain validate` on it: (process, line of `anchor`)."""
    edited = write_edited(tmp_path, old, new)
    return simchain(tmp_path, "validate", FILE), line_of(edited, anchor)


# --- mistakes in the scenario file --------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "suggestion"),
    [
        ("      count: 2", "      cuont: 2", "warehouses.hz_dc.pickers.cuont", "count"),
        ("popularity: 6,", "popularty: 6,", "skus.phone_case.popularty", "popularity"),
        ("\ncosts:\n", "\ncost:\n", "cost", "costs"),
    ],
    ids=["block", "flow", "top-level"],
)
def test_unknown_key_is_named_with_a_suggestion(tmp_path, old, new, path, suggestion):
    key = path.rsplit(".", 1)[-1]
    proc, line = validate_edited(tmp_path, old, new, new)
    check_error(proc, line, path, f"unknown key '{key}'", f"did you mean '{suggestion}'?")


@pytest.mark.parametrize(
    ("old", "new", "path", "wrong", "nearest"),
    [
        (
            "served_by: [hz_dc]",
            "served_by: [hz_dcc]",
            "regions.hangzhou.served_by.0",
            "hz_dcc",
            "hz_dc",
        ),
        (
            "replenished_from: zj_vendor",
            "replenished_from: zj_vendr",
            "warehouses.hz_dc.replenished_from",
            "zj_vendr",
            "zj_vendor",
        ),
        (
            "    hangzhou: {transit_time:",
            "    hangzhu: {transit_time:",
            "lanes.hz_dc.hangzhu",
            "hangzhu",
            "hangzhou",
        ),
    ],
    ids=["served_by", "replenished_from", "lane-destination"],
)
def test_unknown_id_in_a_cross_reference(tmp_path, old, new, path, wrong, nearest):
    proc, line = validate_edited(tmp_path, old, new, new.strip())
    check_error(proc, line, path, f"'{wrong}'", f"did you mean '{nearest}'?")


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("      count: 2", "      count: 0", "warehouses.hz_dc.pickers.count"),
        ("      count: 2", "      count: -1", "warehouses.hz_dc.pickers.count"),
        ("{unit_cost: 8,", "{unit_cost: 0,", "skus.phone_case.unit_cost"),
        ("{unit_cost: 8,", "{unit_cost: -8,", "skus.phone_case.unit_cost"),
    ],
)
def test_non_positive_value_where_positive_is_needed(tmp_path, old, new, path):
    value = new.rsplit(":", 1)[-1].strip(" ,")
    proc, line = validate_edited(tmp_path, old, new, new.strip())
    check_error(proc, line, path, "greater than 0", f"found {value}")


def test_s_not_below_S_in_an_s_S_policy(tmp_path):
    new = "A: {kind: s_S, s: 900, S: 900}"
    proc, line = validate_edited(tmp_path, "A: {kind: s_S, s: 560, S: 900}", new, new)
    check_error(proc, line, "warehouses.hz_dc.stocking.classes.A", "s (900) must be less than S")


LEAD_TIME = "    lead_time: {dist: lognormal, mean: 5d, cv: 0.3}"


@pytest.mark.parametrize(
    ("old", "new", "anchor", "path", "fragments"),
    [
        ("horizon: 120d", "horizon: 3x", "horizon: 3x", "calendar.horizon", ("'3x'", "unit")),
        ("horizon: 120d", "horizon: 120", "horizon: 120", "calendar.horizon", ("needs a unit",)),
        # Inside a distribution, written as a block so that `mean` has a line of its own.
        (
            LEAD_TIME,
            "    lead_time:\n      dist: lognormal\n      mean: 3x\n      cv: 0.3",
            "mean: 3x",
            "suppliers.zj_vendor.lead_time.mean",
            ("'3x'", "unit"),
        ),
        (
            LEAD_TIME,
            "    lead_time:\n      dist: lognormal\n      mean: 5\n      cv: 0.3",
            "mean: 5\n",
            "suppliers.zj_vendor.lead_time.mean",
            ("needs a unit",),
        ),
    ],
    ids=["horizon-3x", "horizon-bare-number", "dist-mean-3x", "dist-mean-bare-number"],
)
def test_malformed_duration(tmp_path, old, new, anchor, path, fragments):
    proc, line = validate_edited(tmp_path, old, new, anchor)
    check_error(proc, line, path, *fragments)


def test_wrong_distribution_name(tmp_path):
    new = "{dist: lognormall,"
    proc, line = validate_edited(tmp_path, "{dist: lognormal,", new, new)
    check_error(
        proc,
        line,
        "suppliers.zj_vendor.lead_time.dist",
        "'lognormall'",
        "did you mean 'lognormal'?",
    )


@pytest.mark.parametrize(
    ("old", "new", "path", "suggestion"),
    [
        ("B: {kind: r_Q,", "B: {kind: r_q,", "warehouses.hz_dc.stocking.classes.B", "r_Q"),
        (
            "routing: {kind: nearest_with_stock}",
            "routing: {kind: nearset_with_stock}",
            "routing",
            "nearest_with_stock",
        ),
    ],
    ids=["stocking", "routing"],
)
def test_wrong_policy_kind(tmp_path, old, new, path, suggestion):
    wrong = new.split("kind: ")[1].strip(",}")
    proc, line = validate_edited(tmp_path, old, new, new)
    check_error(proc, line, path, f"unknown kind '{wrong}'", f"did you mean '{suggestion}'?")


def test_yaml_syntax_error_reports_the_line(tmp_path):
    proc, line = validate_edited(tmp_path, "      count: 2", "      count: 2: 3", "count: 2: 3")
    check_error(proc, line, "(top level)", "YAML syntax error")


def test_yaml_unclosed_bracket_names_the_line_it_opens_on(tmp_path):
    # The parser notices only at the next line; the message should still lead to the bracket.
    new = "served_by: [hz_dc"
    proc, line = validate_edited(tmp_path, "served_by: [hz_dc]", new, new)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert "YAML syntax error" in proc.stderr
    assert f"{FILE}:{line}" in proc.stderr or f"line {line}" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("old", "new", "anchor", "path"),
    [
        ("  warm_up: 14d", "  warm_up: 14d\n  horizon: 30d", "horizon: 30d", "calendar.horizon"),
        (
            "{unit_cost: 8,",
            "{unit_cost: 8, unit_cost: 9,",
            "unit_cost: 9",
            "skus.phone_case.unit_cost",
        ),
    ],
    ids=["block", "flow"],
)
def test_duplicate_key(tmp_path, old, new, anchor, path):
    # `anchor` is on the line of the second occurrence, where the duplicate is reported.
    proc, line = validate_edited(tmp_path, old, new, anchor)
    check_error(proc, line, path, "twice")


@pytest.mark.parametrize(
    ("old", "parent", "path"),
    [
        ("      orders_per_day: 80\n", "    demand:", "regions.hangzhou.demand.orders_per_day"),
        ("price: 29,  ", "  phone_case:", "skus.phone_case.price"),
    ],
)
def test_missing_required_field_is_reported_at_its_block(tmp_path, old, parent, path):
    proc, line = validate_edited(tmp_path, old, "", parent)
    check_error(proc, line, path, "required field is missing")


def test_impossible_calendar_date(tmp_path):
    new = "start: 2026-02-30"
    proc, line = validate_edited(tmp_path, "start: 2026-09-01", new, new)
    check_error(proc, line, "calendar.start")


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("start: 2026-09-01", "start: 1762819200", "calendar.start"),
        ("      count: 2", "      count: yes", "warehouses.hz_dc.pickers.count"),
    ],
    ids=["number-as-date", "yes-as-count"],
)
def test_wrong_type_is_not_silently_converted(tmp_path, old, new, path):
    proc, line = validate_edited(tmp_path, old, new, new.strip())
    check_error(proc, line, path)


def test_bad_value_is_echoed_literally(tmp_path):
    """Text from the file is not console markup: it is shown as written, and never crashes."""
    new = 'unmet_demand: "[/b]"'
    proc, line = validate_edited(tmp_path, "unmet_demand: backorder", new, new)
    check_error(proc, line, "regions.hangzhou.unmet_demand", "found '[/b]'")


ROUTING = "routing: {kind: nearest_with_stock}"


@pytest.mark.parametrize(
    ("block", "anchor", "path", "fragments"),
    [
        (
            "    start: 2026-10-01\n    end: 2026-10-03\n    random: {every: 30d, duration: 2d}"
            "\n    nodes: [hz_dc]",
            "  flood:",
            "disruptions.flood",
            ("give either start and end, or random, not both",),
        ),
        (
            "    end: 2026-10-03\n    nodes: [hz_dc]",
            "  flood:",
            "disruptions.flood",
            ("give start and end (dates), or random",),
        ),
        (
            "    random: {every: 30, duration: 2d}\n    nodes: [hz_dc]",
            "random: {every: 30,",
            "disruptions.flood.random.every",
            ("needs a unit",),
        ),
        (
            "    random: {every: 30d, duration: 2d}\n    nodes: [hz_dc]\n    stock_lost: 1.5",
            "stock_lost: 1.5",
            "disruptions.flood.stock_lost",
            ("less than or equal to 1", "found 1.5"),
        ),
        (
            "    start: 2026-10-01\n    end: 2026-10-03\n    nodes: [hangzhou]\n"
            "    stock_lost: 0.3",
            "stock_lost: 0.3",
            "disruptions.flood.stock_lost",
            ("nodes names none", "warehouse"),
        ),
        (
            "    start: 2026-10-01\n    end: 2026-10-03\n    nodes: [hangzhou]\n"
            "    demand_factor: -2",
            "demand_factor: -2",
            "disruptions.flood.demand_factor",
            ("greater than or equal to 0", "found -2"),
        ),
        (
            "    start: 2026-10-01\n    end: 2026-10-03\n    nodes: [hz_dc]\n"
            "    demand_factor: 1.5",
            "demand_factor: 1.5",
            "disruptions.flood.demand_factor",
            ("nodes names none", "region"),
        ),
        (
            "    start: 2026-10-01\n    end: 2026-10-03\n    nodes: [hangzou]\n"
            "    demand_factor: 1.5",
            "nodes: [hangzou]",
            "disruptions.flood.nodes.0",
            ("'hangzou'", "did you mean 'hangzhou'?"),
        ),
    ],
    ids=[
        "dates-and-random",
        "start-missing",
        "random-bare-number",
        "stock-lost-above-1",
        "stock-lost-no-warehouse",
        "demand-factor-negative",
        "demand-factor-no-region",
        "unknown-node",
    ],
)
def test_bad_disruption(tmp_path, block, anchor, path, fragments):
    new = f"{ROUTING}\n\ndisruptions:\n  flood:\n{block}\n"
    proc, line = validate_edited(tmp_path, ROUTING, new, anchor)
    check_error(proc, line, path, *fragments)


def test_missing_file(tmp_path):
    proc = simchain(tmp_path, "run", "no_such_scenario.yaml", "--days", "20")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert "no_such_scenario.yaml" in proc.stderr
    assert "not found" in proc.stderr


# --- mistakes on the command line ----------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "bad_key", "suggestion"),
    [
        ("warehouses.hz_dc.pickers.cuont=3", "cuont", "count"),
        ("warehouses.hz_dcc.pickers.count=3", "hz_dcc", "hz_dc"),
    ],
)
def test_set_with_a_wrong_path(tmp_path, setting, bad_key, suggestion):
    copy_scenario(tmp_path)
    proc = simchain(tmp_path, "run", FILE, "--days", "20", "--out", "out", "--set", setting)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert FILE in proc.stderr
    assert f"'{bad_key}'" in proc.stderr
    assert f"did you mean '{suggestion}'?" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("setting", "path", "fragment"),
    [
        ("warehouses.hz_dc.pickers.count=0", "warehouses.hz_dc.pickers.count", "greater than 0"),
        ("warehouses.hz_dc.pickers.count=abc", "warehouses.hz_dc.pickers.count", "'abc'"),
    ],
)
def test_set_with_an_invalid_value(tmp_path, setting, path, fragment):
    copy_scenario(tmp_path)
    proc = simchain(tmp_path, "run", FILE, "--days", "20", "--out", "out", "--set", setting)
    check_error(proc, None, path, fragment, f"--set {setting}")
    assert not (tmp_path / "out").exists()


def test_set_list_value_is_echoed_literally(tmp_path):
    """A YAML list in --set is natural; the message must show it, not eat it as markup."""
    setting = "regions.hangzhou.served_by=[hz_dcc]"
    copy_scenario(tmp_path)
    proc = simchain(tmp_path, "validate", FILE, "--set", setting)
    check_error(proc, None, "regions.hangzhou.served_by.0", "'hz_dcc'", f"--set {setting}")


def test_days_must_be_positive(tmp_path):
    copy_scenario(tmp_path)
    proc = simchain(tmp_path, "run", FILE, "--days", "0", "--out", "out")
    check_error(proc, None, "--days", "must be > 0")
    assert not (tmp_path / "out").exists()


def test_days_shorter_than_the_warm_up_names_both(tmp_path):
    copy_scenario(tmp_path)
    proc = simchain(tmp_path, "run", FILE, "--days", "3", "--out", "out")
    check_error(proc, 14, "calendar.warm_up", "(14 d)", "(3 d)", "--days")
    assert not (tmp_path / "out").exists()
