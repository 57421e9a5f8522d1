"""Scenario loading: YAML errors, `extends`, strict validation, `--set`, defaults, country codes."""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.inputs.scenario as scenario_mod
import sim.inputs.world as world_mod
from sim.errors import HrhsimError, ScenarioError
from sim.inputs.scenario import Scenario, load_scenario, numeric_paths, schema_node
from sim.inputs.schema import SCHEMA, Field, ListOf, render_markdown

REPO = Path(__file__).resolve().parents[1]
ARCHETYPES = ("XSR", "XEX", "XMI", "XDA", "XDB")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path, overrides=(), **kw) -> Scenario:
    """Schema-only load (no world) for tests that are not about country codes."""
    return load_scenario(path, overrides, check_countries=False, **kw)


def error_of(path: Path, overrides=(), check_countries: bool = False) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides, check_countries=check_countries)
    return info.value


@pytest.fixture
def world_available():
    """The real archetypes world (sim/inputs/world.py and sim/data/archetypes.yaml)."""
    assert (REPO / "sim" / "data" / "archetypes.yaml").is_file()


# --------------------------------------------------------------------------------------------------
# defaults and basic loading


def test_defaults_filled_and_json_serialisable(tmp_path):
    path = write(tmp_path, "my-scenario.yaml", "world:\n  kind: archetypes\n")
    sc = load(path)
    data = sc.data
    assert sc.name == "my-scenario" == data["name"]
    assert sc.path == path.resolve()
    assert "extends" not in data
    assert set(data) == {k for k in SCHEMA if k != "extends"}
    assert data["time"] == {
        "start_year": 2023, "spin_up_from": None, "years": 10, "steps_per_year": 4
    }  # fmt: skip
    assert data["behaviour"]["wage_weight"] == 1.3
    # int defaults of float fields become floats (stable hashes whatever the user writes)
    assert data["hazards"]["entry_age"] == {"doctors": 26.0, "nurses": 23.0}
    assert isinstance(data["hazards"]["entry_age"]["doctors"], float)
    assert data["policies"]["agreements"] == []
    assert data["policies"]["retention"]["countries"] == "safeguards"
    assert data["world"] == {"kind": "archetypes", "file": None, "countries": "all"}
    assert json.loads(json.dumps(data)) == data


def test_every_schema_leaf_present(tmp_path):
    sc = load(write(tmp_path, "s.yaml", "name: x\n"))

    def walk(spec, data, path):
        if isinstance(spec, dict):
            for key, sub in spec.items():
                if key == "extends" and not path:
                    continue
                assert key in data, ".".join((*path, key))
                walk(sub, data[key], (*path, key))
        elif isinstance(spec, ListOf):
            assert isinstance(data, list)

    walk(SCHEMA, sc.data, ())


def test_int_accepted_for_float_and_stored_as_float(tmp_path):
    sc = load(write(tmp_path, "s.yaml", "behaviour:\n  wage_weight: 2\n"))
    assert sc.data["behaviour"]["wage_weight"] == 2.0
    assert isinstance(sc.data["behaviour"]["wage_weight"], float)


def test_get_canonical_json_hash(tmp_path):
    text = """
name: t
policies:
  agreements:
    - {source: XSR, destination: XDA, quota: 50}
"""
    sc = load(write(tmp_path, "s.yaml", text))
    assert sc.get("policies.agreements.0.quota") == 50.0
    assert sc.get("time.years") == 10
    assert sc.get("world") == sc.data["world"]
    with pytest.raises(ScenarioError, match="did you mean 'years'"):
        sc.get("time.yeras")
    with pytest.raises(ScenarioError, match="out of range"):
        sc.get("policies.agreements.3.quota")
    canonical = sc.canonical_json()
    assert json.loads(canonical) == sc.data
    assert canonical == json.dumps(sc.data, sort_keys=True, separators=(",", ":"))
    assert len(sc.hash()) == 64 and int(sc.hash(), 16) >= 0
    # same content written differently (key order, 50 vs 50.0) -> same hash
    other = load(
        write(
            tmp_path,
            "t.yaml",
            "policies:\n  agreements:\n"
            "    - {quota: 50.0, destination: XDA, source: XSR}\nname: t\n",
        )
    )
    assert other.hash() == sc.hash()
    assert other == sc


def test_numeric_paths(tmp_path):
    text = "policies:\n  agreements:\n    - {source: XSR, destination: XDA}\n"
    sc = load(write(tmp_path, "s.yaml", text))
    paths = numeric_paths(sc)
    assert "behaviour.wage_weight" in paths
    assert "time.years" in paths
    assert "hazards.entry_age.doctors" in paths
    assert "workforce.training_lag.nurses" in paths
    assert "policies.compensation.rate" in paths
    assert "policies.agreements.0.quota" in paths
    assert "policies.agreements.1.quota" not in paths
    assert "time.steps_per_year" not in paths  # an enum, not a free number
    assert "policies.retention.enabled" not in paths
    assert "policies.retention.from" not in paths
    for p in paths:
        assert isinstance(sc.get(p), (int, float)) and not isinstance(sc.get(p), bool)
    assert len(paths) == len(set(paths))


def test_with_overrides_returns_new_validated_scenario(tmp_path):
    text = "policies:\n  agreements:\n    - {source: XSR, destination: XDA}\n"
    sc = load(write(tmp_path, "s.yaml", text))
    new = sc.with_overrides(
        {
            "behaviour.wage_weight": np.float64(2.5),
            "policies.agreements.0.quota": 7,
            "time.years": np.int64(4),
        }
    )
    assert new is not sc
    assert new.get("behaviour.wage_weight") == 2.5
    assert new.get("policies.agreements.0.quota") == 7.0
    assert new.get("time.years") == 4 and type(new.get("time.years")) is int
    assert sc.get("behaviour.wage_weight") == 1.3  # the original is untouched
    assert new.hash() != sc.hash()
    assert new.name == sc.name and new.path == sc.path
    with pytest.raises(ScenarioError, match="out of range") as info:
        sc.with_overrides({"behaviour.wage_weight": 99})
    assert info.value.key_path == "behaviour.wage_weight"
    with pytest.raises(ScenarioError, match="did you mean 'wage_weight'"):
        sc.with_overrides({"behaviour.wage_wieght": 1.0})
    with pytest.raises(ScenarioError, match="expected an integer"):
        sc.with_overrides({"time.years": 4.5})


def test_schema_node():
    assert schema_node("behaviour.wage_weight") is SCHEMA["behaviour"]["wage_weight"]
    assert isinstance(schema_node("policies.agreements"), ListOf)
    assert isinstance(schema_node("policies.agreements.0.quota"), Field)
    with pytest.raises(ScenarioError, match="did you mean 'behaviour'"):
        schema_node("behavior.wage_weight")


def test_empty_and_non_mapping_files(tmp_path):
    err = error_of(write(tmp_path, "e.yaml", "# nothing\n"))
    assert "empty scenario file" in str(err)
    err = error_of(write(tmp_path, "l.yaml", "- a\n- b\n"))
    assert "not a mapping" in str(err) and err.file.endswith("l.yaml")


def test_missing_file(tmp_path):
    err = error_of(tmp_path / "nope.yaml")
    assert "not found" in str(err) and "nope.yaml" in str(err)


# --------------------------------------------------------------------------------------------------
# error kinds, with file, line and key path


def test_malformed_yaml_reports_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "name: x\ntime:\n  years: [1, 2\n  start_year: 2025\n")
    err = error_of(path)
    assert err.file == str(path)
    assert err.line == 4
    assert "malformed YAML" in err.message
    assert str(err).startswith(f"{path}:4: malformed YAML")


def test_malformed_yaml_tab_indentation(tmp_path):
    path = write(tmp_path, "tab.yaml", "name: x\ntime:\n\tyears: 3\n")
    err = error_of(path)
    assert err.line == 3 and "malformed YAML" in str(err)


def test_duplicate_key_is_an_error(tmp_path):
    err = error_of(write(tmp_path, "d.yaml", "time:\n  years: 3\n  years: 4\n"))
    assert "duplicate key 'years'" in str(err) and err.line == 3


def test_unknown_top_level_key_with_hint(tmp_path):
    path = write(tmp_path, "s.yaml", "name: x\nbehavour:\n  wage_weight: 1\n")
    err = error_of(path)
    assert err.key_path == "behavour"
    assert err.line == 2
    assert "unknown key 'behavour'" in str(err)
    assert "did you mean 'behaviour'?" in str(err)


def test_unknown_nested_key_with_hint(tmp_path):
    text = "policies:\n  retention:\n    enabled: true\n    payrise: 0.2\n"
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == "policies.retention.payrise"
    assert err.line == 4
    assert "did you mean 'pay_rise'?" in str(err)


def test_unknown_key_without_close_match_lists_keys(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "time:\n  zzzzzz: 1\n"))
    assert "unknown key 'zzzzzz'" in str(err)
    assert "start_year" in str(err) and "steps_per_year" in str(err)


def test_extends_key_only_at_top_level(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "time:\n  extends: x.yaml\n"))
    assert "unknown key 'extends'" in str(err)


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        (
            "behaviour:\n  wage_weight: true\n",
            "behaviour.wage_weight",
            "expected a number, got boolean true",
        ),
        (
            "behaviour:\n  wage_weight: high\n",
            "behaviour.wage_weight",
            "expected a number, got string 'high'",
        ),
        ("time:\n  years: 3.0\n", "time.years", "expected an integer, got number 3.0"),
        ("time:\n  years: '3'\n", "time.years", "expected an integer, got string '3'"),
        ("time:\n  years: true\n", "time.years", "expected an integer, got boolean true"),
        ("seed: 1.5\n", "seed", "expected an integer"),
        (
            "policies:\n  retention:\n    enabled: 1\n",
            "policies.retention.enabled",
            "expected true or false, got integer 1",
        ),
        (
            "policies:\n  retention:\n    enabled: 'yes'\n",
            "policies.retention.enabled",
            "expected true or false",
        ),
        ("description: 12\n", "description", "expected text, got integer 12"),
        ("time: 5\n", "time", "expected a mapping of keys, got integer 5"),
        ("behaviour: [1, 2]\n", "behaviour", "expected a mapping"),
        ("policies:\n  agreements: {source: XSR}\n", "policies.agreements", "expected a list"),
        ("policies:\n  agreements:\n    - XSR\n", "policies.agreements.0", "expected a mapping"),
        (
            "policies:\n  retention:\n    from: 2027.5\n",
            "policies.retention.from",
            "expected an integer",
        ),
        (
            "policies:\n  retention:\n    from: '2027'\n",
            "policies.retention.from",
            "expected an integer",
        ),
        ("behaviour:\n  wage_weight: null\n", "behaviour.wage_weight", "must not be null"),
        ("behaviour:\n  wage_weight: .nan\n", "behaviour.wage_weight", "finite"),
        (
            "policies:\n  agreements:\n    - {source: XSR, destination: 12}\n",
            "policies.agreements.0.destination",
            "3-letter ISO3",
        ),
        ("world:\n  countries: 5\n", "world.countries", "expected a selector"),
        # countries written by name or common abbreviation get the code they mean
        (
            "policies:\n  agreements:\n    - {source: Kenya, destination: XDA}\n",
            "policies.agreements.0.source",
            "got string 'Kenya'; did you mean KEN (Kenya)?",
        ),
        ("world:\n  countries: [GBR, UK]\n", "world.countries.1", "did you mean GBR (United"),
        (  # from the scenario's own world, and the command that lists its codes
            "world:\n  kind: archetypes\n  countries: [Destia]\n",
            "world.countries.0",
            "did you mean XDA (Destia)? (expected an ISO3 code such as KEN; `hrhsim world --kind "
            "archetypes --countries` lists them)",
        ),
        # a world file given where a scenario is expected says what it is
        (
            "base_year: 2020\ncountries: []\n",
            "base_year",
            "this is a world file (it has base_year and countries), not a scenario",
        ),
        ("world:\n  file: 5\n", "world.file", "expected a file path"),
        (
            "policies:\n  compensation: {enabled: true, rate: 20,000}\n",
            "policies.compensation.0",
            "a comma inside {...} separates keys, so a number written with a comma (20,000 or "
            "0,05) is read as two: write 20000 or 0.05",
        ),
        (
            "policies:\n  retention:\n    from: 2021-01-01\n",
            "policies.retention.from",
            "expected an integer, got a date",
        ),
    ],
)
def test_wrong_types(tmp_path, text, key_path, fragment):
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == key_path
    assert fragment in str(err)
    assert err.file == str(tmp_path / "s.yaml")
    assert err.line is not None


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        ("behaviour:\n  wage_weight: -0.5\n", "behaviour.wage_weight", "below the minimum 0"),
        ("behaviour:\n  wage_weight: 21\n", "behaviour.wage_weight", "above the maximum 20"),
        ("time:\n  years: 0\n", "time.years", "below the minimum 1"),
        ("time:\n  start_year: 1999\n", "time.start_year", "below the minimum 2000"),
        (
            "policies:\n  agreements:\n    - {source: XSR, destination: XDA, quota: -1}\n",
            "policies.agreements.0.quota",
            "below the minimum 0",
        ),
        ("policies:\n  retention:\n    from: 1800\n", "policies.retention.from", "below"),
        ("seed: -1\n", "seed", "below the minimum 0"),
        ("behaviour:\n  wage_weight: .inf\n", "behaviour.wage_weight", "finite"),
    ],
)
def test_out_of_range(tmp_path, text, key_path, fragment):
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == key_path
    assert "out of range" in str(err) or "finite" in str(err)
    assert fragment in str(err)
    assert err.expected  # the valid range is shown


def test_out_of_range_message_shows_range_and_unit(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "behaviour:\n  wage_weight: 21\n"))
    assert str(err) == (
        f"{tmp_path / 's.yaml'}:2: behaviour.wage_weight: 21 is out of range (above the maximum "
        "20) (expected a number from 0 to 20 utility/log-wage)"
    )


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        ("engine: agent\n", "engine", "did you mean 'agents'?"),
        ("engine: fast\n", "engine", "expected one of auto, agents, arrays"),
        ("time:\n  steps_per_year: 5\n", "time.steps_per_year", "one of 1, 4, 12"),
        ("time:\n  steps_per_year: 4.0\n", "time.steps_per_year", "invalid choice number 4.0"),
        ("time:\n  steps_per_year: '4'\n", "time.steps_per_year", "invalid choice string '4'"),
        ("time:\n  steps_per_year: true\n", "time.steps_per_year", "invalid choice boolean"),
        ("world:\n  kind: archetype\n", "world.kind", "did you mean 'archetypes'?"),
        (
            "policies:\n  compensation:\n    use: train\n",
            "policies.compensation.use",
            "did you mean 'training'?",
        ),
        (
            "policies:\n  retention:\n    cadres: nurse\n",
            "policies.retention.cadres",
            "did you mean 'nurses'?",
        ),
    ],
)
def test_bad_enum(tmp_path, text, key_path, fragment):
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == key_path
    assert "invalid choice" in str(err)
    assert fragment in str(err)


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        ("world:\n  countries: safegaurds\n", "world.countries", "did you mean 'safeguards'?"),
        ("world:\n  countries: KEN\n", "world.countries", "written as a list: [KEN]"),
        ("world:\n  countries: [XSR, xda]\n", "world.countries.1", "did you mean 'XDA'?"),
        ("world:\n  countries: [XSR, XSR]\n", "world.countries.1", "duplicate country code"),
        ("world:\n  countries: [XSRR]\n", "world.countries.0", "3-letter ISO3"),
        (
            "policies:\n  agreements:\n    - {source: xsr, destination: XDA}\n",
            "policies.agreements.0.source",
            "did you mean 'XSR'?",
        ),
    ],
)
def test_bad_selectors_and_codes(tmp_path, text, key_path, fragment):
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == key_path
    assert fragment in str(err)


def test_agreement_needs_source_and_destination(tmp_path):
    text = (
        "policies:\n  agreements:\n    - {source: XSR, destination: XDA}\n"
        "    - {quota: 5, source: XEX}\n"
    )
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == "policies.agreements.1"
    assert "missing required key 'destination'" in str(err)
    assert err.line == 4
    text = "policies:\n  agreements:\n    - {destination: XDA}\n"
    assert "missing required key 'source'" in str(error_of(write(tmp_path, "t.yaml", text)))


def test_agreement_source_differs_from_destination(tmp_path):
    text = "policies:\n  agreements:\n    - {source: XSR, destination: XSR}\n"
    err = error_of(write(tmp_path, "s.yaml", text))
    assert "same country" in str(err)


def test_agreement_unknown_key_has_index_in_path(tmp_path):
    text = (
        "policies:\n  agreements:\n    - {source: XSR, destination: XDA}\n"
        "    - source: XEX\n      destination: XDB\n      qouta: 3\n"
    )
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == "policies.agreements.1.qouta"
    assert err.line == 6
    assert "did you mean 'quota'?" in str(err)


def test_from_until_consistency(tmp_path):
    text = "policies:\n  retention:\n    enabled: true\n    from: 2030\n    until: 2025\n"
    err = error_of(write(tmp_path, "s.yaml", text))
    assert err.key_path == "policies.retention.until"
    assert err.line == 5
    assert "until (2025) is before from (2030)" in str(err)
    ok = "policies:\n  retention:\n    from: 2030\n    until: 2030\n"
    assert load(write(tmp_path, "ok.yaml", ok)).get("policies.retention.until") == 2030
    text = "adjustments:\n  - {countries: [XDA], from: 2031, until: 2030}\n"
    err = error_of(write(tmp_path, "a.yaml", text))
    assert err.key_path == "adjustments.0.until"


def test_world_kind_file_needs_file(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "world:\n  kind: file\n"))
    assert "world.file is not set" in str(err)


def test_world_file_must_exist_relative_to_scenario(tmp_path):
    err = error_of(write(tmp_path, "sub/s.yaml", "world:\n  kind: file\n  file: w.yaml\n"))
    assert err.key_path == "world.file"
    assert "file not found: w.yaml" in str(err)
    assert str(tmp_path / "sub" / "w.yaml") in str(err)
    write(tmp_path, "sub/w.yaml", "countries: []\n")
    sc = load(tmp_path / "sub" / "s.yaml")
    assert sc.get("world.file") == str(tmp_path / "sub" / "w.yaml")


def test_workforce_destinations_cannot_be_destinations(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "workforce:\n  destinations: destinations\n"))
    assert err.key_path == "workforce.destinations"


# --------------------------------------------------------------------------------------------------
# extends


def test_extends_nested_override_and_list_replacement(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        """\
name: base
description: the baseline
world: {kind: archetypes}
behaviour:
  wage_weight: 2
  network_weight: 0.9
policies:
  retention: {enabled: true, countries: [XSR, XEX], pay_rise: 0.2}
  agreements:
    - {source: XSR, destination: XDA, quota: 10}
    - {source: XEX, destination: XDB}
""",
    )
    child = write(
        tmp_path,
        "child.yaml",
        """\
extends: base.yaml
behaviour:
  network_weight: 0.1
policies:
  retention: {countries: [XMI]}
  agreements:
    - {source: XMI, destination: XDB, quota: 3}
""",
    )
    sc = load(child)
    assert sc.name == "child"  # names are not inherited
    assert sc.get("description") == "the baseline"
    assert sc.get("world.kind") == "archetypes"
    assert sc.get("behaviour.wage_weight") == 2.0  # from the parent
    assert sc.get("behaviour.network_weight") == 0.1  # overridden
    assert sc.get("policies.retention.enabled") is True
    assert sc.get("policies.retention.pay_rise") == 0.2
    assert sc.get("policies.retention.countries") == ["XMI"]  # lists replace
    agreements = sc.get("policies.agreements")
    assert len(agreements) == 1 and agreements[0]["source"] == "XMI"
    assert "extends" not in sc.data


def test_extends_three_levels_and_relative_paths(tmp_path):
    write(tmp_path, "common/grand.yaml", "time:\n  years: 20\n  start_year: 2030\nseed: 1\n")
    write(tmp_path, "lib/parent.yaml", "extends: ../common/grand.yaml\ntime:\n  years: 15\n")
    child = write(tmp_path, "runs/deep/child.yaml", "extends: ../../lib/parent.yaml\nseed: 3\n")
    sc = load(child)
    assert sc.get("time.years") == 15
    assert sc.get("time.start_year") == 2030
    assert sc.get("seed") == 3
    assert sc.name == "child"


def test_extends_parent_sets_world_file_relative_to_parent(tmp_path):
    write(tmp_path, "worlds/w.yaml", "countries: []\n")
    write(tmp_path, "lib/base.yaml", "world:\n  kind: file\n  file: ../worlds/w.yaml\n")
    child = write(tmp_path, "child.yaml", "extends: lib/base.yaml\n")
    sc = load(child)
    assert sc.get("world.file") == str(tmp_path / "worlds" / "w.yaml")


def test_error_in_parent_names_parent_file_and_line(tmp_path):
    parent = write(tmp_path, "lib/base.yaml", "name: b\ntime:\n  years: 500\n")
    child = write(tmp_path, "child.yaml", "extends: lib/base.yaml\nseed: 4\n")
    err = error_of(child)
    assert err.file.endswith("base.yaml")
    assert Path(err.file).resolve() == parent.resolve()
    assert err.line == 3
    assert err.key_path == "time.years"


def test_child_value_overrides_parent_error_origin(tmp_path):
    write(tmp_path, "base.yaml", "time:\n  years: 5\n")
    child = write(tmp_path, "child.yaml", "# comment\nextends: base.yaml\ntime:\n  years: 0\n")
    err = error_of(child)
    assert err.file == str(child)
    assert err.line == 4


def test_extends_missing_file(tmp_path):
    child = write(tmp_path, "child.yaml", "name: c\nextends: nowhere/base.yaml\n")
    err = error_of(child)
    assert err.file == str(child)
    assert err.line == 2
    assert err.key_path == "extends"
    assert "not found" in str(err) and "nowhere/base.yaml" in str(err)


def test_extends_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    err = error_of(a)
    assert "cyclic extends" in str(err)
    assert "a.yaml -> " in str(err) and "b.yaml -> " in str(err)
    assert str(err.message).rstrip().endswith("a.yaml")
    assert "(expected a chain of files that ends in a file without `extends`)" in str(err)
    assert err.key_path == "extends"


def test_extends_self_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: ./a.yaml\n")
    assert "cyclic extends" in str(error_of(a))


def test_extends_wrong_type(tmp_path):
    err = error_of(write(tmp_path, "a.yaml", "extends: [b.yaml]\n"))
    assert err.key_path == "extends" and "expected a file path" in str(err)


def test_malformed_parent_names_parent(tmp_path):
    write(tmp_path, "base.yaml", "time:\n  years: [\n")
    err = error_of(write(tmp_path, "c.yaml", "extends: base.yaml\n"))
    assert err.file.endswith("base.yaml") and "malformed YAML" in str(err)


# --------------------------------------------------------------------------------------------------
# --set


AGREEMENT_FILE = """\
name: s
policies:
  agreements:
    - {source: XSR, destination: XDA, quota: 10}
"""


def test_set_overrides(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    sc = load(
        path,
        [
            "behaviour.wage_weight=1.7",
            "policies.compensation.rate=5000",
            "policies.compensation.enabled=true",
            "policies.agreements.0.quota=99",
            "time.years=3",
            "world.countries=[XSR, XDA]",
            "description=a b c",
            "name=renamed",
        ],
    )
    assert sc.get("behaviour.wage_weight") == 1.7
    assert sc.get("policies.compensation.rate") == 5000.0
    assert sc.get("policies.compensation.enabled") is True
    assert sc.get("policies.agreements.0.quota") == 99.0
    assert sc.get("policies.agreements.0.source") == "XSR"
    assert sc.get("time.years") == 3
    assert sc.get("world.countries") == ["XSR", "XDA"]
    assert sc.get("description") == "a b c"
    assert sc.name == "renamed"


def test_set_applied_after_extends(tmp_path):
    write(tmp_path, "base.yaml", "time:\n  years: 5\n")
    child = write(tmp_path, "c.yaml", "extends: base.yaml\ntime:\n  years: 6\n")
    assert load(child, ["time.years=7"]).get("time.years") == 7


def test_set_replaces_a_whole_list(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    sc = load(path, ["policies.agreements=[{source: XEX, destination: XDB}]"])
    assert [a["source"] for a in sc.get("policies.agreements")] == ["XEX"]


def test_set_merges_a_mapping_into_a_section_key_by_key(tmp_path):
    """A mapping for a section sets its keys, as `extends` merges files: the section's other keys
    keep the values the files gave them (replacing the section reset them to the defaults)."""
    write(tmp_path, "base.yaml", "behaviour:\n  emigrate_constant: -5.5\ntime:\n  years: 5\n")
    child = write(tmp_path, "c.yaml", "extends: base.yaml\ntime:\n  spin_up_from: 2020\n"
                  "  start_year: 2023\n")  # fmt: skip
    sc = load(child, ["behaviour={wage_weight: 1.9}", "time={years: 2}"])
    assert sc.get("behaviour.wage_weight") == 1.9
    assert sc.get("behaviour.emigrate_constant") == -5.5
    assert sc.get("time.years") == 2 and sc.get("time.spin_up_from") == 2020
    # the same through with_overrides (sweeps' `fixed:`, calibration's `set:`)
    over = load(child).with_overrides({"behaviour": {"wage_weight": 1.5}, "time": {"years": 3}})
    assert over.get("behaviour.wage_weight") == 1.5
    assert over.get("behaviour.emigrate_constant") == -5.5
    assert over.get("time.spin_up_from") == 2020 and over.get("time.years") == 3
    # nested sections merge too; a key the section does not have is named with its path
    nested = load(child, ["policies={compensation: {rate: 5000}}"])
    assert nested.get("policies.compensation.rate") == 5000.0
    err = error_of(child, ["behaviour={wage_wieght: 1}"])
    assert err.file == "--set" and "behaviour.wage_wieght" in str(err)
    assert "wage_weight" in str(err)
    # an empty mapping sets nothing: an error, not a silent no-op
    err = error_of(child, ["behaviour={}"])
    assert "behaviour.wage_weight" in str(err) or "a key of it" in str(err)


def test_a_scale_that_rounds_countries_away_is_named(caplog):
    """A tenth or more of the simulated countries without an agent at the start: a warning
    naming the key, the count and the countries; the shipped scale has none."""
    baseline = REPO / "scenarios" / "baseline.yaml"
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(baseline)
    assert "without an agent" not in caplog.text
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(baseline, ["scale.workers_per_agent=20000"])
    assert "scale.workers_per_agent = 20000 leaves" in caplog.text
    assert "of the 194 simulated countries without an agent" in caplog.text


def test_a_sample_the_scenario_names_but_does_not_read_is_warned_about(tmp_path, caplog):
    """uncertainty.sample without kind: parameters in the scenario's own file or --set: a
    warning; inherited from a file it extends (calibration/fitted.yaml names its posterior for
    its children): none."""
    sample = REPO / "calibration" / "posterior.csv"
    own = write(tmp_path, "s.yaml", f"extends: {REPO / 'scenarios' / 'archetypes_baseline.yaml'}\n"
                f"uncertainty: {{sample: {sample}}}\n")  # fmt: skip
    said = "uncertainty.sample is set but uncertainty.kind is 'stochastic'"
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(own)
    assert said in caplog.text and str(own) in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(REPO / "scenarios" / "baseline.yaml")  # inherits fitted.yaml's sample
        load_scenario(own, ["uncertainty.kind=parameters"])  # reads it
    assert said not in caplog.text
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(REPO / "scenarios" / "archetypes_baseline.yaml",
                      [f"uncertainty.sample={sample}"])  # fmt: skip
    assert said in caplog.text and "--set" in caplog.text


def test_set_can_fix_an_invalid_value(tmp_path):
    path = write(tmp_path, "s.yaml", "time:\n  years: 0\n")
    assert load(path, ["time.years=2"]).get("time.years") == 2


def test_set_unknown_path_with_hint(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    err = error_of(path, ["behaviour.wage_wieght=1"])
    assert err.file == "--set"
    assert err.key_path == "behaviour.wage_wieght"
    assert "did you mean 'wage_weight'?" in str(err)
    assert str(err).startswith("--set: behaviour.wage_wieght: ")
    err = error_of(path, ["behavior.wage_weight=1"])
    assert "did you mean 'behaviour'?" in str(err)
    err = error_of(path, ["extends=other.yaml"])
    assert err.file == "--set" and "no key 'extends'" in str(err)


def test_set_path_below_a_value(tmp_path):
    err = error_of(write(tmp_path, "s.yaml", "name: s\n"), ["time.years.max=3"])
    assert "'time.years' is a single value" in str(err)
    err = error_of(write(tmp_path, "s.yaml", AGREEMENT_FILE), ["policies.agreements.first=3"])
    assert "expected an item index" in str(err)


def test_set_bad_value_type(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    err = error_of(path, ["behaviour.wage_weight=yes"])
    assert err.file == "--set" and err.key_path == "behaviour.wage_weight"
    assert "expected a number, got boolean true" in str(err)
    err = error_of(path, ["time.years=2.0"])
    assert "expected an integer, got number 2.0" in str(err)
    err = error_of(path, ["time.years=[1, 2"])
    assert err.file == "--set" and "not valid YAML" in str(err)


def test_set_list_index_out_of_range(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    err = error_of(path, ["policies.agreements.1.quota=5"])
    assert err.file == "--set"
    assert err.key_path == "policies.agreements.1.quota"
    assert "list index 1 out of range" in str(err)
    assert "has 1 item" in str(err)
    err = error_of(write(tmp_path, "t.yaml", "name: t\n"), ["adjustments.0.wage_multiplier=2"])
    assert "list index 0 out of range" in str(err)


def test_set_malformed_argument(tmp_path):
    path = write(tmp_path, "s.yaml", AGREEMENT_FILE)
    err = error_of(path, ["behaviour.wage_weight"])
    assert err.file == "--set" and "PATH=VALUE" in str(err)
    err = error_of(path, ["=3"])
    assert err.file == "--set" and "empty key path" in str(err)
    err = error_of(path, ["time..years=3"])
    assert "invalid key path" in str(err)


def test_set_world_file_relative_to_cwd(tmp_path, monkeypatch):
    write(tmp_path, "worlds/w.yaml", "countries: []\n")
    path = write(tmp_path, "scen/s.yaml", "world:\n  kind: file\n  file: nope.yaml\n")
    monkeypatch.chdir(tmp_path)
    sc = load(path, ["world.file=worlds/w.yaml"])
    assert sc.get("world.file") == str(tmp_path / "worlds" / "w.yaml")


# --------------------------------------------------------------------------------------------------
# country codes against the world (needs sim/inputs/world.py and the archetypes world)


@pytest.mark.usefixtures("world_available")
def test_valid_archetype_scenario_loads_with_world_check(tmp_path):
    text = """\
world: {kind: archetypes, countries: all}
workforce: {destinations: [XDA, XDB]}
policies:
  retention: {enabled: true, countries: [XSR, XEX]}
  agreements:
    - {source: XSR, destination: XDA}
adjustments:
  - {countries: [XDA], demand_multiplier: 1.5, from: 2026}
"""
    sc = load_scenario(write(tmp_path, "s.yaml", text))
    assert sc.get("policies.agreements.0.destination") == "XDA"
    assert scenario_mod.selected_countries(sc) == list(ARCHETYPES)
    assert scenario_mod.selected_countries(sc, "destinations") == ["XDA", "XDB"]


@pytest.mark.usefixtures("world_available")
@pytest.mark.parametrize(
    ("text", "key_path", "line", "hint"),
    [
        (
            "world:\n  kind: archetypes\npolicies:\n  retention:\n    countries: [XSR, XSS]\n",
            "policies.retention.countries.1",
            5,
            "XSR",
        ),
        (
            "world:\n  kind: archetypes\npolicies:\n  agreements:\n"
            "    - source: XSR\n      destination: XDC\n",
            "policies.agreements.0.destination",
            6,
            "XD",
        ),
        (
            "world:\n  kind: archetypes\npolicies:\n  agreements:\n"
            "    - source: XMJ\n      destination: XDA\n",
            "policies.agreements.0.source",
            5,
            "XMI",
        ),
        (
            "world:\n  kind: archetypes\n  countries:\n    - XSR\n    - XEZ\n",
            "world.countries.1",
            5,
            "XEX",
        ),
        (
            "world:\n  kind: archetypes\nadjustments:\n  - countries: [XDQ]\n",
            "adjustments.0.countries.0",
            4,
            "XD",
        ),
    ],
)
def test_unknown_country_code_with_hint(tmp_path, text, key_path, line, hint):
    err = error_of(write(tmp_path, "s.yaml", text), check_countries=True)
    assert err.key_path == key_path
    assert err.line == line
    assert "unknown country code" in str(err)
    assert "archetypes world" in str(err)
    assert "did you mean" in str(err)
    assert hint in str(err).split("did you mean")[1]


@pytest.mark.usefixtures("world_available")
def test_unknown_code_set_by_override_names_set(tmp_path):
    path = write(tmp_path, "s.yaml", "world:\n  kind: archetypes\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["world.countries=[XSR, KEN]"])
    assert info.value.file == "--set" and "unknown country code 'KEN'" in str(info.value)


@pytest.mark.usefixtures("world_available")
def test_world_is_cached_per_kind_and_file(tmp_path):
    path = write(tmp_path, "s.yaml", "world:\n  kind: archetypes\n")
    load_scenario(path)
    before = world_mod._cached.cache_info().hits
    load_scenario(path)
    assert world_mod._cached.cache_info().hits > before


# --------------------------------------------------------------------------------------------------
# docs/scenarios.md is generated from the schema


def test_docs_scenarios_md_matches_schema():
    committed = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert committed == render_markdown() + "\n", (
        "docs/scenarios.md is stale: run `python -m sim.inputs.schema > docs/scenarios.md`"
    )


def test_docs_mention_every_key():
    text = render_markdown()

    def leaves(spec, prefix):
        for key, sub in spec.items():
            if isinstance(sub, Field):
                yield f"`{prefix}{key}`"
            elif isinstance(sub, ListOf):
                yield from leaves(sub.item, f"{prefix}{key}[].")
            else:
                yield from leaves(sub, f"{prefix}{key}.")

    for key in leaves(SCHEMA, ""):
        assert key in text


@pytest.mark.usefixtures("world_available")
def test_docs_example_is_valid(tmp_path):
    from sim.inputs.schema import EXAMPLE_SCENARIO

    write(tmp_path, "baseline.yaml", "world:\n  kind: archetypes\n")
    sc = load_scenario(write(tmp_path, "example.yaml", EXAMPLE_SCENARIO))
    assert sc.get("policies.ethical_recruitment.from") == 2027


# --------------------------------------------------------------------------------------------------
# property tests: the loader returns a Scenario or raises ScenarioError, nothing else

SCHEMA_KEYS = sorted(
    {k for k in SCHEMA}
    | {k for v in SCHEMA.values() if isinstance(v, dict) for k in v}
    | {k for v in SCHEMA["policies"].values() if isinstance(v, dict) for k in v}
    | set(SCHEMA["policies"]["agreements"].item)
)

FAKE_WORLD = SimpleNamespace(
    kind="archetypes",
    iso3=np.array(ARCHETYPES),
    safeguards=np.array([True, True, False, False, False]),
    income_group=np.array(["L", "LM", "UM", "H", "H"]),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "archetypes",
            "global",
            "file",
            "all",
            "safeguards",
            "XSR",
            "XDA",
            "KEN",
            "a.yaml",
            "",
            "nurses",
            2030,
            0.5,
        ]
    ),
    # Fresh empty containers on every draw: `sampled_from([[], {}])` would hand out the same
    # objects, which the mutation test then fills, so later draws would depend on earlier ones
    # (Hypothesis reports that as FlakyStrategyDefinition).
    st.builds(list),
    st.builds(dict),
)
keys = st.one_of(st.sampled_from(SCHEMA_KEYS), st.text(max_size=10), st.integers(-3, 3))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)

BASE = {
    "name": "t",
    "description": "property test",
    "world": {"kind": "archetypes", "countries": "all"},
    "time": {"start_year": 2025, "years": 5, "steps_per_year": 4},
    "engine": "agents",
    "behaviour": {"wage_weight": 1.5, "network_weight": 0.4},
    "hazards": {"entry_age": {"doctors": 25}, "death_rate": 0.003},
    "workforce": {"destinations": ["XDA", "XDB"], "training_lag": {"nurses": 4}},
    "policies": {
        "ethical_recruitment": {"enabled": True, "from": 2026},
        "agreements": [
            {"source": "XSR", "destination": "XDA", "quota": 100, "cadre": "nurses"},
            {"source": "XEX", "destination": "XDB", "until": 2029},
        ],
        "retention": {"enabled": True, "countries": ["XSR", "XEX"], "pay_rise": 0.2},
        "compensation": {"enabled": True, "use": "retention"},
    },
    "adjustments": [{"countries": ["XDA"], "demand_multiplier": 1.2, "from": 2027}],
    "outputs": {"csv": True},
}


def _containers(obj, path=()):
    """Every (path, container) in a nested structure of dicts and lists."""
    yield path, obj
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for key, value in items:
        if isinstance(value, (dict, list)):
            yield from _containers(value, (*path, key))


def _check_outcome(path: Path, overrides=()) -> None:
    with mock.patch.object(scenario_mod, "cached_world", lambda kind, file: FAKE_WORLD):
        try:
            result = load_scenario(path, overrides)
        except ScenarioError as err:
            text = str(err)
            assert text and "\n" not in text
            return
    assert isinstance(result, Scenario)
    json.loads(result.canonical_json())


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_base_document_is_valid(tmp_path):
    path = write(tmp_path, "s.yaml", yaml.safe_dump(BASE))
    with mock.patch.object(scenario_mod, "cached_world", lambda kind, file: FAKE_WORLD):
        sc = load_scenario(path)
    assert sc.get("policies.agreements.1.until") == 2029


@PROPERTY_SETTINGS
@given(doc=documents)
def test_random_yaml_documents(tmp_path, doc):
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    _check_outcome(path)


@PROPERTY_SETTINGS
@given(text=st.one_of(st.text(max_size=200), st.text(alphabet=string.printable, max_size=200)))
def test_random_raw_text(tmp_path, text):
    path = tmp_path / "raw.yaml"
    path.write_text(text, encoding="utf-8")
    _check_outcome(path)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_random_mutations_of_a_valid_scenario(tmp_path, data):
    doc = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        containers = list(_containers(doc))
        path, container = data.draw(st.sampled_from(containers), label="container")
        op = data.draw(st.sampled_from(["rename", "retype", "delete", "insert"]), label="op")
        if isinstance(container, dict):
            keys_here = list(container)
            if op == "insert" or not keys_here:
                new_key = data.draw(keys, label="new key")
                container[new_key] = data.draw(documents, label="value")
                continue
            key = data.draw(st.sampled_from(keys_here), label="key")
            if op == "rename":
                new_key = data.draw(keys, label="new name")
                container[new_key] = container.pop(key)
            elif op == "retype":
                container[key] = data.draw(documents, label="value")
            else:
                del container[key]
        else:
            if op == "insert" or not container:
                container.append(data.draw(documents, label="item"))
                continue
            index = data.draw(st.integers(0, len(container) - 1), label="index")
            if op == "delete":
                del container[index]
            else:
                container[index] = data.draw(documents, label="item")
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    _check_outcome(path)


@PROPERTY_SETTINGS
@given(
    dotted=st.one_of(
        st.sampled_from(
            [
                "behaviour.wage_weight",
                "time.years",
                "policies.agreements.0.quota",
                "policies.agreements.5.quota",
                "world.countries",
                "engine",
                "x.y",
                "policies.agreements",
                "hazards.entry_age.doctors",
            ]
        ),
        st.text(max_size=20),
    ),
    raw=st.text(max_size=20),
)
def test_random_set_overrides(tmp_path, dotted, raw):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    _check_outcome(path, [f"{dotted}={raw}"])


def test_errors_are_hrhsim_errors():
    assert issubclass(ScenarioError, HrhsimError)


def test_hash_changes_when_the_world_file_changes(tmp_path):
    import shutil

    from sim.inputs.scenario import load_scenario

    shutil.copy(
        Path(__file__).resolve().parents[1] / "sim" / "data" / "archetypes.yaml",
        tmp_path / "w.yaml",
    )
    (tmp_path / "s.yaml").write_text("world: {kind: file, file: w.yaml}\n")
    before = load_scenario(tmp_path / "s.yaml").hash()
    assert load_scenario(tmp_path / "s.yaml").hash() == before
    text = (tmp_path / "w.yaml").read_text().replace("population: 8000000", "population: 9000000")
    (tmp_path / "w.yaml").write_text(text)
    assert load_scenario(tmp_path / "s.yaml").hash() != before


def test_a_policy_starting_after_the_horizon_is_warned_about(caplog):
    from sim.inputs.scenario import load_scenario

    root = Path(__file__).resolve().parents[1]
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(root / "scenarios" / "archetypes_ethical_recruitment.yaml", ["time.years=2"])
    assert "policies.ethical_recruitment starts in 2025" in caplog.text


@pytest.mark.parametrize(
    ("body", "warning"),
    [
        ("policies: {retention: {pay_rise: 0.2, countries: [XSR]}}", "but is not enabled"),
        ("policies: {retention: {enabled: true, countries: []}}", "selects no simulated country"),
        ("policies: {retention: {enabled: true, countries: none}}", "selects no simulated"),
        ("policies: {retention: {enabled: true, until: 2020}}", "ends in 2020, before the first"),
        ("adjustments: [{countries: [XDA]}]", "adjustments.0 sets no multiplier"),
        # a keyword (here the default recipients, `safeguards`) that selects no simulated country
        (
            "world: {countries: [XEX, XDA]}\npolicies: {compensation: {enabled: true}}",
            "p.yaml: policies.compensation.recipients (safeguards) selects no simulated country",
        ),
        ("policies: {compensation: {enabled: true}}", None),
        (
            "policies:\n  agreements:\n    - {source: XSR, destination: XDA, cadre: nurses}\n"
            "    - {source: XSR, destination: XDA, from: 2026}\n",
            "policies.agreements.1 has the corridor (XSR -> XDA) and cadre of policies.agreements",
        ),
        (  # in force together in 2026 only, the boundary year
            "policies:\n  agreements:\n    - {source: XSR, destination: XDA, until: 2026}\n"
            "    - {source: XSR, destination: XDA, from: 2026}\n",
            "policies.agreements.1 has the corridor (XSR -> XDA) and cadre of policies.agreements",
        ),
        (  # together only after the run (2023-2032): never both in force
            "policies:\n  agreements:\n"
            "    - {source: XSR, destination: XDA, from: 2040, until: 2060}\n"
            "    - {source: XSR, destination: XDA, from: 2050, until: 2070}\n",
            "starts in 2050",
        ),
        (  # another cadre, or years apart: two agreements that do not overlap
            "policies:\n  agreements:\n    - {source: XSR, destination: XDA, cadre: nurses}\n"
            "    - {source: XSR, destination: XDA, cadre: doctors}\n"
            "    - {source: XSR, destination: XDB, until: 2026}\n"
            "    - {source: XSR, destination: XDB, from: 2027}\n",
            None,
        ),
        ("policies: {retention: {enabled: true, countries: [XSR]}}", None),  # in effect: quiet
        ("adjustments: [{countries: [XDA], wage_multiplier: 1.1}]", None),
    ],
)
def test_a_policy_that_cannot_take_effect_is_warned_about(tmp_path, caplog, body, warning):
    from sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "archetypes_baseline.yaml"
    (tmp_path / "p.yaml").write_text(f"extends: {base}\nname: p\n{body}\n")
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(tmp_path / "p.yaml")
    if warning is None:
        assert "no effect" not in caplog.text and "add up" not in caplog.text
    else:
        said = "add up" if "has the corridor" in warning else "it has no effect"
        assert warning in caplog.text and said in caplog.text
        if said != "add up":
            assert "add up" not in caplog.text


def test_variants_of_a_scenario_repeat_none_of_its_warnings_and_name_their_source(tmp_path, caplog):
    """A sweep's points and a calibration's evaluations are variants (`with_overrides`) of one
    scenario: a warning is given once, naming the file that set the key (the sweep file)."""
    from sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "archetypes_baseline.yaml"
    (tmp_path / "p.yaml").write_text(f"extends: {base}\nname: p\n")
    scenario = load_scenario(tmp_path / "p.yaml")
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        for rise in (0.1, 0.2, 0.1, 0.3):
            scenario.with_overrides({"policies.retention.pay_rise": rise}, source="<sweep.yaml>")
    lines = [r.getMessage() for r in caplog.records if "no effect" in r.getMessage()]
    assert lines == [
        "<sweep.yaml>: policies.retention sets pay_rise but is not enabled (add `enabled: true`): "
        "it has no effect"
    ]


@pytest.mark.parametrize(
    ("mine", "overrides", "blamed", "fragment"),
    [
        # the extending file moves the start year before its parent's spin-up: the start year
        ("time: {start_year: 2019}\n", [], "start_year", "set in "),
        ("", ["time.start_year=2019"], "start_year", "before spin_up_from (2020"),
        # the spin-up moved after the parent's start year: the spin-up
        ("time: {spin_up_from: 2025}\n", [], "spin_up_from", "is after start_year (2023)"),
        ("", ["time.spin_up_from=2025"], "spin_up_from", "is after start_year (2023)"),
        # both in one file: the spin-up, as before
        ("time: {start_year: 2019, spin_up_from: 2020}\n", [], "spin_up_from", "is after"),
    ],
)
def test_a_spin_up_after_the_start_blames_the_key_set_last(
    tmp_path, mine, overrides, blamed, fragment
):
    from sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    (tmp_path / "p.yaml").write_text(f"extends: {base}\nname: p\n{mine}")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "p.yaml", overrides, check_countries=False)
    assert info.value.key_path == f"time.{blamed}" and fragment in str(info.value)


def test_a_warning_about_a_list_set_whole_by_set_names_set(tmp_path, caplog):
    """`--set` that replaces a whole list records its origin at the list: its items' warnings
    name `--set`, not the file."""
    from sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "archetypes_baseline.yaml"
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenario(base, ["adjustments=[{countries: [XDA]}]"])
    assert "--set: adjustments.0 sets no multiplier" in caplog.text


def test_scenarios_loaded_together_give_their_parents_warning_once(tmp_path, caplog):
    """`compare` loads the baseline and its options with one `warned` set: the warning of the
    file they all extend is given once, and an option's own warning still appears."""
    from sim.compare.pipeline import load_scenarios

    root = Path(__file__).resolve().parents[1] / "scenarios" / "archetypes_baseline.yaml"
    (tmp_path / "base.yaml").write_text(
        f"extends: {root}\nname: base\npolicies: {{retention: {{pay_rise: 0.2}}}}\n"
    )
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(f"extends: base.yaml\nname: {name}\n")
    (tmp_path / "c.yaml").write_text(
        "extends: base.yaml\nname: c\npolicies: {bonding: {years: 2}}\n"
    )
    with caplog.at_level("WARNING", logger="sim.inputs.scenario"):
        load_scenarios([tmp_path / f"{n}.yaml" for n in ("base", "a", "b", "c")])
    said = [r.getMessage() for r in caplog.records]
    assert sum("policies.retention sets pay_rise" in m for m in said) == 1
    assert sum("policies.bonding sets years" in m for m in said) == 1
