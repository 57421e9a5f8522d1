"""`hrhsim compare` end to end: the real runner on the archetype world, then the briefing."""

from __future__ import annotations

import contextlib
import html
import re

import numpy as np
import pandas as pd
import pytest

from sim.compare import compare
from tests.test_compare import CHROMIUM, XSS, assert_headline_matches, chromium_check

BASE = """\
name: tiny baseline
description: Tiny archetype run for the compare tests.
world: {kind: archetypes}
time: {start_year: 2023, years: 3, steps_per_year: 4}
replicates: 3
scale: {workers_per_agent: 200}
engine: arrays
"""
ETHICAL = """\
extends: base.yaml
name: ethical recruitment
description: No active recruitment from the safeguards list.
policies:
  ethical_recruitment: {enabled: true, passive_rate: 0.3}
"""
EVIL = f"""\
extends: base.yaml
name: "{XSS} retention"
description: "Retention pay <b>now</b> & {XSS}"
policies:
  retention: {{enabled: true, pay_rise: 0.2}}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Three scenario files and a first compare of them (the runs happen here)."""
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in (("base", BASE), ("ethical", ETHICAL), ("evil", EVIL)):
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    files = [folder / f"{n}.yaml" for n in ("base", "ethical", "evil")]
    out = folder / "cmp"
    result = compare(files[0], files[1:], out)
    return files, out, result


def _groups():
    from sim.inputs.world import load_world

    world = load_world("archetypes")
    codes = [str(c) for c in world.iso3]
    sg = [c for c, s in zip(codes, world.safeguards, strict=True) if s]
    dest = [c for c, g in zip(codes, world.income_group, strict=True) if str(g) == "H"]
    return sg, dest


def test_tiny_compare_runs_every_scenario_once(tiny):
    _files, out, result = tiny
    assert [r.reused for r in result.runs] == [False, False, False]
    for run in result.runs:
        assert (run.run_dir / "manifest.json").is_file()
        assert run.run_dir.parent == out / "runs"
        assert "<" not in run.run_dir.name
    assert (out / "runs" / "tiny_baseline").is_dir()
    assert (out / "index.html").is_file() and (out / "headline.csv").is_file()
    assert len(list((out / "figures").glob("*.svg"))) == len(list((out / "figures").glob("*.png")))
    assert len(list((out / "figures").glob("*.svg"))) >= 9


def test_tiny_headline_equals_the_parquet_files(tiny):
    _files, out, result = tiny
    sg, dest = _groups()
    assert sg and dest
    csv = pd.read_csv(out / "headline.csv")
    runs = result.runs
    assert_headline_matches(
        csv,
        runs[0].run_dir,
        [r.run_dir for r in runs[1:]],
        [r.name for r in runs[1:]],
        sg,
        dest,
        replicates=3,
    )
    assert np.isfinite(csv["change_median"]).all()
    assert (csv["year"] == 2025).all()


def test_tiny_briefing_escapes_names_and_says_what_changes(tiny):
    _files, out, _result = tiny
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<b>now</b>" not in page
    assert html.escape(XSS) in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "Turns on ethical recruitment" in text
    assert "passive applicants are accepted at 30%" in text
    assert "Turns on retention pay" in text and "20% pay rise" in text
    assert "not calibrated" in text


def test_tiny_rerun_reuses_runs_and_steps_no_model(tiny, monkeypatch):
    files, out, _result = tiny
    before = (out / "headline.csv").read_text(encoding="utf-8")

    def boom(*args, **kwargs):
        raise AssertionError("a model step ran although matching runs exist")

    monkeypatch.setattr("sim.runner.run_scenario", boom)
    monkeypatch.setattr("sim.model.model.WorkforceModel.step", boom)
    again = compare(files[0], files[1:], out)
    assert [r.reused for r in again.runs] == [True, True, True]
    assert (out / "headline.csv").read_text(encoding="utf-8") == before


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)"
)
def test_tiny_briefing_renders_in_headless_chromium(tiny, tmp_path):
    _files, out, _result = tiny
    shot = chromium_check(out / "index.html", tmp_path, "briefing.png")
    print(f"briefing screenshot: {shot}")


def test_hrhsim_compare_command(tiny, capsys, monkeypatch):
    """`hrhsim compare` through sim.cli.app: reuses the runs, prints where the briefing is."""
    from sim.cli import app as cli

    with contextlib.suppress(SystemExit):
        cli.build_parser().parse_args(["compare", "--help"])
    assert "BASELINE.yaml" in capsys.readouterr().out
    files, out, _ = tiny
    argv = ["compare", *map(str, files), "-o", str(out), "--set", "time.years=3"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert f"Briefing: {(out / 'index.html').resolve()}" in printed
    assert printed.count("reused") == 3
    # A user error is one clear line and exit status 2.
    assert cli.main(["compare", str(files[0]), str(out / "missing.yaml"), "-o", str(out)]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_scenarios_that_start_apart_get_a_briefing(tmp_path):
    """An option at another scale starts from other densities (`<scenario>|start` columns): the
    safeguards table's CSV stopped the briefing with "cannot insert start, already exists"."""
    (tmp_path / "base.yaml").write_text(BASE.replace("replicates: 3", "replicates: 1"))
    (tmp_path / "finer.yaml").write_text(
        "extends: base.yaml\nname: finer\nscale: {workers_per_agent: 100}\n"
    )
    result = compare(tmp_path / "base.yaml", [tmp_path / "finer.yaml"], tmp_path / "cmp")
    table = pd.read_csv(tmp_path / "cmp" / "safeguards_countries.csv")
    levels = table[table["measure"] == "level"].set_index(["country", "scenario"])["start"]
    assert levels.notna().all() and set(levels.index.get_level_values(1)) == {
        "tiny baseline",
        "finer",
    }
    assert (result.out_dir / "index.html").is_file()
