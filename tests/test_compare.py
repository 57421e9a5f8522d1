"""`hrhsim compare` and the briefing, on synthetic results folders that follow the contract.

The synthetic runs (`write_synthetic_run`) follow docs/architecture.md exactly (manifest.json,
indicators.parquet in long form, flows.parquet), so these tests do not need the model. The
end-to-end test with the real runner is in test_compare_e2e.py.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim
from sim.cli.compare import add_arguments as add_compare_arguments
from sim.cli.compare import run as cmd_compare
from sim.compare import compare, load_run, write_briefing
from sim.compare.changes import describe_changes
from sim.compare.folder import PENDING
from sim.errors import SetupError
from sim.inputs.schema import SCHEMA, Field, ListOf
from sim.outputs.provenance import code_fingerprint
from sim.runner import ReplicatePool

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
XSS = "<script>alert(1)</script>"

# --------------------------------------------------------------------------------------------------
# a synthetic world and synthetic runs

CODES = ["XSR", "XEX", "XMI", "XDA", "XDB"]
NAMES = ["Sourceland", "Exportia", "Middleton", "Destinia A", "Destinia B"]
INCOME = ["L", "LM", "UM", "H", "H"]
SAFEGUARDS = [True, True, False, False, False]
POPULATION = [30e6, 50e6, 20e6, 60e6, 10e6]
BASE_DENSITY = [8.0, 20.0, 40.0, 120.0, 140.0]  # doctors + nurses per 10,000


def fake_world() -> SimpleNamespace:
    """A stand-in for `sim.inputs.world.World` with the fields the briefing reads."""
    codes = np.array(CODES)
    return SimpleNamespace(
        kind="archetypes",
        iso3=codes,
        name=np.array(NAMES),
        income_group=np.array(INCOME),
        safeguards=np.array(SAFEGUARDS),
        population=np.array(POPULATION),
        index=lambda code: CODES.index(code),
    )


def default_scenario(**changes) -> dict:
    """A resolved scenario: every schema default, then `changes` at dotted paths."""

    def fill(node):
        if isinstance(node, Field):
            return node.default
        if isinstance(node, ListOf):
            return list(node.default)
        return {k: fill(v) for k, v in node.items() if k != "extends"}

    data = fill(SCHEMA)
    data.update(name="baseline", description="Business as usual.")
    data["world"]["kind"] = "archetypes"
    data["time"].update(start_year=2023, years=3, steps_per_year=4)
    data["replicates"] = 3
    data["scale"]["workers_per_agent"] = 200.0
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        node = data
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return data


def synthetic_tables(
    seed: int, replicates: int, start_year: int, years: int, effect: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicators and flows of one run; replicate r draws the same noise for every `effect`."""
    rows, flows = [], []
    cadres = {"doctors": 0.3, "nurses": 0.7}
    for r in range(replicates):
        rng = np.random.default_rng([seed, r])
        noise = rng.normal(0.0, 1.0, size=(years + 1, len(CODES), 8))
        for t, year in enumerate(range(start_year - 1, start_year + years)):
            totals: dict[str, float] = {}
            for c, code in enumerate(CODES):
                n = noise[t, c]
                sg, dest = SAFEGUARDS[c], INCOME[c] == "H"
                pop = POPULATION[c] * (1.02**t)
                density = BASE_DENSITY[c] * (1 + 0.01 * t + 0.02 * n[0])
                if sg:
                    density += effect * t
                stock_all = density * pop / 1e4
                urban_share = 0.5
                ratio = 0.4 + 0.02 * n[1] + (0.01 * effect * t if sg else 0)
                urban_pop, rural_pop = pop * urban_share, pop * (1 - urban_share)
                urban_stock = stock_all * urban_pop / (urban_pop + ratio * rural_pop)
                rural_stock = stock_all - urban_stock
                vac_rate = 0.08 + 0.01 * n[2] + (0.004 * effect * t if dest else 0)
                foreign = (0.2 + 0.01 * n[3] - 0.002 * effect * t) if dest else 0.01
                for area, a_stock, a_pop in (
                    ("all", stock_all, pop),
                    ("urban", urban_stock, urban_pop),
                    ("rural", rural_stock, rural_pop),
                ):
                    for cadre, share in (*cadres.items(), ("all", 1.0)):
                        stock = a_stock * share
                        posts = stock * (1 + vac_rate)
                        vac = posts - stock
                        for ind, value in (
                            ("stock", stock),
                            ("density", stock / a_pop * 1e4),
                            ("posts", posts),
                            ("vacancies", vac),
                            ("unemployed", 0.0),
                            ("vacancy_rate", vac / posts),
                        ):
                            rows.append((r, year, code, area, cadre, ind, value))
                emig = (
                    0.0
                    if t == 0
                    else (2000 + 300 * n[4]) * (1 - 0.05 * effect * t)
                    if sg
                    else 100.0 + 10 * n[4]
                )
                for cadre, share in (*cadres.items(), ("all", 1.0)):
                    for ind, value in (
                        ("graduates", 0.05 * stock_all),
                        ("immigrants", 50.0),
                        ("returns", 10.0),
                        ("emigrants", emig),
                        ("retirements", 0.02 * stock_all),
                        ("deaths", 0.002 * stock_all),
                        ("exits", 0.01 * stock_all),
                        ("internal_moves", 30.0),
                        ("migrants_abroad", 5000.0),
                    ):
                        rows.append((r, year, code, "all", cadre, ind, value * share))
                    rows.append((r, year, code, "all", cadre, "foreign_trained_share", foreign))
                    rows.append((r, year, code, "all", cadre, "rural_urban_ratio", ratio))
                paid = (1e6 * effect * (1 + 0.1 * n[5])) if (dest and t > 0) else 0.0
                received = (1e6 * effect * (1 + 0.1 * n[5])) if (sg and t > 0) else 0.0
                for ind, value in (
                    ("compensation_paid", paid),
                    ("compensation_received", received),
                    ("incentive_spending", 1e5 * abs(n[6])),
                    ("training_investment", 2e6),
                    ("training_cost_emigrants", 3e3 * emig),
                    ("bond_buyouts", 0.0),
                ):
                    rows.append((r, year, code, "all", "all", ind, value))
                below = density < 44.5
                totals["countries_below_44_5"] = totals.get("countries_below_44_5", 0) + below
                totals["population_below_44_5"] = (
                    totals.get("population_below_44_5", 0) + below * pop
                )
                totals["countries_below_49"] = totals.get("countries_below_49", 0) + (density < 49)
                totals["population_below_49"] = (
                    totals.get("population_below_49", 0) + (density < 49) * pop
                )
                if sg and t > 0:
                    for d, dcode in enumerate(CODES):
                        if INCOME[d] != "H":
                            continue
                        for cadre, share in cadres.items():
                            w = max(
                                0.0, emig * share * (0.6 if d == 3 else 0.4) + 20 * noise[t, d, 7]
                            )
                            flows.append((r, year, code, dcode, cadre, w))
            for ind, value in totals.items():
                rows.append((r, year, "WLD", "all", "all", ind, float(value)))
            rows.append(
                (
                    r,
                    year,
                    "WLD",
                    "all",
                    "all",
                    "rural_urban_ratio",
                    0.45 + 0.01 * noise[t, 0, 1] + 0.005 * effect * t,
                )
            )
    ind = pd.DataFrame(
        rows, columns=["replicate", "year", "country", "area", "cadre", "indicator", "value"]
    )
    ind = ind.astype({"replicate": "int32", "year": "int32", "value": "float64"})
    fl = pd.DataFrame(
        flows, columns=["replicate", "year", "origin", "destination", "cadre", "workers"]
    )
    fl = fl.astype({"replicate": "int32", "year": "int32", "workers": "float64"})
    return ind, fl


def write_synthetic_run(
    run_dir: Path,
    scenario: dict,
    *,
    effect: float = 0.0,
    seed: int | None = None,
    replicates: int | None = None,
    scenario_hash: str | None = None,
) -> Path:
    """A results folder following the contract (manifest.json, indicators/flows.parquet)."""
    seed = scenario["seed"] if seed is None else seed
    replicates = scenario["replicates"] if replicates is None else replicates
    run_dir.mkdir(parents=True, exist_ok=True)
    ind, fl = synthetic_tables(
        seed, replicates, scenario["time"]["start_year"], scenario["time"]["years"], effect
    )
    pq.write_table(pa.Table.from_pandas(ind, preserve_index=False), run_dir / "indicators.parquet")
    pq.write_table(pa.Table.from_pandas(fl, preserve_index=False), run_dir / "flows.parquet")
    manifest = {
        "scenario": scenario,
        "scenario_path": f"/scenarios/{scenario['name']}.yaml",
        "name": scenario["name"],
        "seed": seed,
        "replicates": replicates,
        "replicate_seeds": [[seed, r] for r in range(replicates)],
        "engine": "arrays",
        "engine_requested": "auto",
        "package_version": sim.__version__,
        "code_hash": code_fingerprint(),
        "git_commit": "abc1234",
        "timings": {"total_s": 1.5, "per_replicate_s": [0.5] * replicates},
        "created": "2025-01-01T00:00:00+00:00",
        "scenario_hash": scenario_hash or f"hash-{scenario['name']}",
        "files": table_records(run_dir, "indicators.parquet", "flows.parquet"),
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


def table_records(run_dir: Path, *names: str) -> dict:
    """The manifest's `files` record (bytes and SHA-256 of each table), as the runner writes it."""
    from sim.outputs.results import file_digest

    return {
        n: {"bytes": (run_dir / n).stat().st_size, "sha256": file_digest(run_dir / n)}
        for n in names
    }


OPTIONS = {
    "ethical": dict(
        name="ethical",
        description="Ethical recruitment.",
        policies__ethical_recruitment__enabled=True,
    ),
    "compensation": dict(
        name="compensation", description="Destinations pay.", policies__compensation__enabled=True
    ),
}
EFFECTS = {"baseline": 0.0, "ethical": 0.5, "compensation": 1.5}


@pytest.fixture(scope="module")
def synthetic_runs(tmp_path_factory):
    """Baseline and two options as results folders."""
    tmp_path = tmp_path_factory.mktemp("synthetic")
    base = write_synthetic_run(tmp_path / "runs" / "baseline", default_scenario())
    opts = [
        write_synthetic_run(
            tmp_path / "runs" / name, default_scenario(**changes), effect=EFFECTS[name]
        )
        for name, changes in OPTIONS.items()
    ]
    return base, opts


@pytest.fixture(scope="module")
def briefing(synthetic_runs, tmp_path_factory):
    """The briefing of the synthetic runs (read-only for the tests that share it)."""
    base, opts = synthetic_runs
    out = tmp_path_factory.mktemp("brief")
    result = write_briefing(load_run(base), [load_run(p) for p in opts], out, world=fake_world())
    return result, out


# --------------------------------------------------------------------------------------------------
# headline numbers against an independent computation


def independent_headline(
    run_dir: Path, sg: list[str] | None = None, dest: list[str] | None = None
) -> pd.DataFrame:
    """Headline metrics per replicate at the final year, straight from the Parquet file."""
    ind = pd.read_parquet(run_dir / "indicators.parquet")
    year = ind["year"].max()
    d = ind[(ind["year"] == year) & (ind["area"] == "all") & (ind["cadre"] == "all")]
    if sg is None:
        sg = [c for c, s in zip(CODES, SAFEGUARDS, strict=True) if s]
    if dest is None:
        dest = [c for c, g in zip(CODES, INCOME, strict=True) if g == "H"]
    everyone = sorted(set(d["country"]) - {"WLD"})
    out = {}
    for r, g in d.groupby("replicate"):

        def get(indicator, countries, g=g):
            s = g[(g["indicator"] == indicator) & g["country"].isin(countries)]
            return s.set_index("country")["value"].reindex(countries)

        stock, dens = get("stock", sg), get("density", sg)
        pop = stock * 1e4 / dens
        posts, vac = get("posts", dest), get("vacancies", dest)
        share, dstock = get("foreign_trained_share", dest), get("stock", dest)
        out[r] = {
            "safeguards_density": stock.sum() * 1e4 / pop.sum(),
            "safeguards_emigration": get("emigrants", sg).sum(),
            "destination_vacancy_rate": vac.sum() / posts.sum(),
            "destination_foreign_share": (share * dstock).sum() / dstock.sum(),
            "rural_urban_ratio": get("rural_urban_ratio", ["WLD"]).iloc[0],
            "population_below_44_5": get("population_below_44_5", ["WLD"]).iloc[0],
            "compensation_paid": get("compensation_paid", everyone).sum(),
            "compensation_received": get("compensation_received", everyone).sum(),
        }
    return pd.DataFrame(out).T


def assert_headline_matches(
    csv: pd.DataFrame,
    base_dir: Path,
    opt_dirs: list[Path],
    names: list[str],
    sg: list[str] | None = None,
    dest: list[str] | None = None,
    replicates: int = 3,
) -> None:
    """Every number of headline.csv equals the independent computation from the Parquet files."""
    base = independent_headline(base_dir, sg, dest)
    assert list(dict.fromkeys(csv["option"])) == names
    assert (csv["year"] == pd.read_parquet(base_dir / "indicators.parquet")["year"].max()).all()
    for name, opt_dir in zip(names, opt_dirs, strict=True):
        diff = independent_headline(opt_dir, sg, dest) - base  # paired: same replicate index
        rows = csv[csv["option"] == name].set_index("metric")
        assert len(rows) == 8
        for metric in diff.columns:
            values = diff[metric].to_numpy(float)
            expected = np.percentile(values, [5, 50, 95])
            got = rows.loc[metric, ["change_p5", "change_median", "change_p95"]].to_numpy(float)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, err_msg=metric)
            assert rows.loc[metric, "pairs"] == replicates
            np.testing.assert_allclose(
                rows.loc[metric, "baseline_median"], np.median(base[metric]), rtol=1e-9
            )


def test_headline_equals_direct_computation_from_parquet(briefing, synthetic_runs):
    _result, out = briefing
    csv = pd.read_csv(out / "headline.csv")
    base_dir, opt_dirs = synthetic_runs
    assert_headline_matches(csv, base_dir, opt_dirs, list(OPTIONS))
    # The option effects are visible where the synthetic data put them.
    eth = csv[csv["option"] == "ethical"].set_index("metric")
    assert eth.loc["safeguards_density", "change_median"] == pytest.approx(1.5)  # 0.5 * 3 years
    assert eth.loc["compensation_paid", "change_p95"] > 0


def test_headline_table_in_html_shows_the_numbers(briefing):
    _result, out = briefing
    page = (out / "index.html").read_text(encoding="utf-8")
    table = page[page.index('id="headline-table"') :]
    table = table[: table.index("</table>")]
    # money is a year's flow: its baseline level says so, as its row's unit does
    row = table[table.index("Compensation paid by destinations") :]
    row = row[: row.index("</tr>")]
    assert row.count("int$ PPP/year") == 2, row
    # ethical: density +1.5 per 10,000 in safeguards-list countries, with its interval
    assert "+1.5" in table
    for m in (
        "Health-worker density in safeguards-list countries",
        "Vacancy rate in destination",
        "Population living below 44.5",
    ):
        assert m in table


def test_paired_differences_cancel_common_noise(tmp_path):
    """An option identical to the baseline has zero change with a zero-width interval."""
    base = write_synthetic_run(tmp_path / "a", default_scenario())
    same = write_synthetic_run(tmp_path / "b", default_scenario(name="same"))
    result = write_briefing(load_run(base), [load_run(same)], tmp_path / "out", world=fake_world())
    h = result.headline
    for col in ("change_p5", "change_median", "change_p95"):
        np.testing.assert_allclose(h[col].to_numpy(float), 0.0, atol=1e-9)


def test_briefing_without_flows_or_safeguards_countries(tmp_path):
    """A run without flows.parquet in a world without safeguards-list countries still briefs."""
    base = write_synthetic_run(tmp_path / "a", default_scenario())
    opt = write_synthetic_run(tmp_path / "b", default_scenario(name="opt"), effect=1.0)
    for run_dir in (base, opt):
        (run_dir / "flows.parquet").unlink()
    world = fake_world()
    world.safeguards = np.zeros(len(CODES), dtype=bool)
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=world)
    h = result.headline.set_index("metric")
    assert np.isnan(h.loc["safeguards_density", "change_median"])
    assert np.isfinite(h.loc["destination_vacancy_rate", "change_median"])
    page = result.index_html.read_text(encoding="utf-8")
    assert "No international moves were recorded" in page
    assert "No country of this world is on the safeguards list" in page
    assert "n/a" in page


def test_an_option_without_flows_is_said_in_the_corridor_table(tmp_path):
    """Its corridor changes are n/a, and the note says why (`outputs.flows: false`)."""
    base = write_synthetic_run(tmp_path / "a", default_scenario())
    opt = write_synthetic_run(tmp_path / "b", default_scenario(name="opt"), effect=1.0)
    (opt / "flows.parquet").unlink()
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = html.unescape(result.index_html.read_text(encoding="utf-8"))
    corridors = page[page.index("Table 8.") :]
    assert "ran with `outputs.flows: false`, so no corridor flows were recorded" in corridors
    kept = write_synthetic_run(tmp_path / "c", default_scenario(name="kept"), effect=1.0)
    result = write_briefing(load_run(base), [load_run(kept)], tmp_path / "out2", world=fake_world())
    assert "outputs.flows: false" not in result.index_html.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# escaping


def test_user_text_is_escaped_everywhere(tmp_path):
    evil = default_scenario(
        name=XSS,
        description=f"Evil {XSS} & <b>bold</b>",
        policies__ethical_recruitment__enabled=True,
    )
    base = write_synthetic_run(
        tmp_path / "runs" / "base", default_scenario(name=f"base {XSS}", description=XSS)
    )
    opt = write_synthetic_run(tmp_path / "runs" / "evil", evil, effect=1.0)
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "<b>bold</b>" not in page
    assert html.escape(XSS) in page
    assert page.count(html.escape(XSS)) >= 5  # title, headings, tables, legends, descriptions
    # Figures embedded as SVG must not carry markup either.
    for svg in _embedded_svgs(page):
        assert b"<script" not in svg.lower()
        ET.fromstring(svg)  # well-formed
    for path in (tmp_path / "out" / "figures").glob("*.svg"):
        assert b"<script" not in path.read_bytes().lower()
    # No inline event handlers or javascript: URLs anywhere.
    assert not re.search(r"\son[a-z]+\s*=", page, re.IGNORECASE)
    assert "javascript:" not in page.lower()


def _embedded_svgs(page: str) -> list[bytes]:
    return [
        base64.b64decode(m)
        for m in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    ]


# --------------------------------------------------------------------------------------------------
# self-contained output


def test_briefing_is_self_contained_with_all_figures(briefing):
    result, out = briefing
    page = result.index_html.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing may be fetched"
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "@media print" in page
    keys = [
        "tradeoff_source_density_vs_destination_vacancies",
        "corridors_largest_2025",
        "safeguards_list_density_change_2025",
        "money_totals_2023_2025",
        "map_density_change_2025",
        "map_emigration_change_2025",
        *(
            f"over_time_{k}"
            for k in (
                "safeguards_density",
                "safeguards_emigration",
                "destination_vacancy_rate",
                "destination_foreign_share",
                "rural_urban_ratio",
                "population_below_44_5",
            )
        ),
    ]
    imgs = re.findall(r"<img [^>]*>", page)
    assert len(imgs) == len(keys) == len(_embedded_svgs(page))
    for key in keys:
        assert f'data-figure="{key}"' in page
        for ext in ("png", "svg"):
            path = out / "figures" / f"{key}.{ext}"
            assert path.is_file() and path.stat().st_size > 2000, path
    png = out / "figures" / "tradeoff_source_density_vs_destination_vacancies.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for svg in _embedded_svgs(page):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
    for section in (
        "What each option changes",
        "Headline results",
        "trade-off",
        "Over time",
        "Migration corridors",
        "Safeguards-list countries",
        "Money flows",
        "Methods and assumptions",
        "Headline messages",
        "Maps",
    ):
        assert section in page


def test_sections_have_the_content_a_policymaker_needs(briefing):
    _, out = briefing
    page = (out / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "Turns on ethical recruitment" in text
    assert "do not actively recruit from the 2 safeguards-list countries" in text
    assert "passive applicants are accepted at 90%" in text
    assert "Turns on compensation of source countries" in text
    # Per-country table: both safeguards-list countries by name.
    table = page[page.index('id="country-table"') :]
    table = table[: table.index("</table>")]
    assert "Sourceland" in table and "Exportia" in table and "Destinia" not in table
    # Corridors: origin -> destination with names.
    corr = page[page.index('id="corridor-table"') :]
    assert "Sourceland" in corr[: corr.index("</table>")]
    # Money flows.
    money = page[page.index('id="money-table"') :]
    money = money[: money.index("</table>")]
    for label in (
        "Compensation paid",
        "Compensation received",
        "Incentive spending",
        "Extra training funded (expansion, agreement places, response to vacancies)",
        "Training cost embodied in emigrants",
    ):
        assert label in money
    # Methods note.
    methods = text[text.rindex("Methods and assumptions") :]
    assert "Density counts the trained doctors and nurses present" in methods
    assert "employed or not" in methods
    for word in (
        "hrhsim 0.1.0",
        "Seed",
        "Replicates",
        "Workers per agent",
        "arrays",
        "not calibrated",
        "ODD",
    ):
        assert word in methods, word
    assert "20100521" in methods and "200" in methods


def test_money_totals_equal_the_sum_over_years(briefing, synthetic_runs):
    _result, _out = briefing
    _base_dir, opt_dirs = synthetic_runs
    ind = pd.read_parquet(opt_dirs[1] / "indicators.parquet")
    sel = ind[(ind["indicator"] == "compensation_paid") & (ind["year"] >= 2023)]
    totals = sel.groupby("replicate")["value"].sum()
    from sim.compare import tables
    from sim.inputs.selectors import country_groups

    run = load_run(opt_dirs[1])
    groups = country_groups(run.scenario, fake_world(), CODES)
    money = tables.money_values(run, groups, 2025)
    got = money[money["item"] == "compensation_paid"].set_index("replicate")["value"]
    np.testing.assert_allclose(got.sort_index().to_numpy(), totals.sort_index().to_numpy())


# --------------------------------------------------------------------------------------------------
# what an option changes, in words


def test_describe_changes_levers_agreements_and_generic_paths():
    world = fake_world()
    from sim.inputs.selectors import selector_codes

    base = default_scenario()
    option = default_scenario(
        policies__ethical_recruitment__enabled=True,
        policies__ethical_recruitment__passive_rate=0.1,
        policies__agreements=[
            {
                "source": "XSR",
                "destination": "XDA",
                "cadre": "nurses",
                "quota": 500.0,
                "fee_free": True,
                "training_places": 40.0,
                "contract_years": 3.0,
                "return_probability": 0.7,
                "from": 2024,
                "until": None,
            }
        ],
        behaviour__wage_weight=1.5,
        seed=7,
    )

    def resolve(sel):
        return selector_codes(sel, option, world)

    names = dict(zip(CODES, NAMES, strict=True))
    text = describe_changes(base, option, resolve, names)
    joined = "\n".join(text)
    assert (
        "Turns on ethical recruitment: the 2 destination countries (Destinia A (XDA) and "
        "Destinia B (XDB)) do not actively recruit from the 2 safeguards-list countries "
        "(Sourceland (XSR) and Exportia (XEX)); passive applicants are accepted at 10%."
    ) in joined
    assert (
        "Adds a bilateral agreement Sourceland (XSR) → Destinia A (XDA) (nurses) from 2024"
        in joined
    )
    assert "up to 500 nurses/year" in joined and "40 extra graduates/year" in joined
    assert "wage weight 1.5" in joined and "baseline 1.3" in joined
    assert "seed" not in joined  # shared by every scenario of a comparison
    assert describe_changes(base, base) == ["Same model settings as the baseline."]
    off = describe_changes(option, base, resolve, names)
    assert "Turns off ethical recruitment (on in the baseline)." in off
    assert any(s.startswith("Removes the bilateral agreement") for s in off)


_SENTENCES = """
import json, sys
import sim
from sim.compare.changes import describe_changes
base = sim.load_scenario(sys.argv[1]).data
option = sim.load_scenario(sys.argv[2]).data
print(json.dumps(describe_changes(base, option)))
"""


def test_what_an_option_changes_reads_the_same_in_every_process():
    # the package turns on several levers at once: their sentences must not follow the
    # process's string hashing (PYTHONHASHSEED), or two renders of one briefing differ
    root = Path(__file__).resolve().parents[1] / "scenarios"
    args = [str(root / "baseline.yaml"), str(root / "code_of_practice_package.yaml")]
    outs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SENTENCES, *args], capture_output=True, text=True, env=env,
            check=True,
        )  # fmt: skip
        outs.append(json.loads(done.stdout))
    assert sum(s.startswith("Turns on") for s in outs[0]) >= 3
    assert outs[0] == outs[1] == outs[2]


# --------------------------------------------------------------------------------------------------
# the compare pipeline: run once, reuse afterwards


class FakeScenario:
    def __init__(self, data: dict, path: Path, explicit: set[str] | None = None):
        self.data, self.path = data, path
        self.explicit = set(data) if explicit is None else explicit  # top-level keys in the file

    def origin(self, dotted: str) -> tuple[str, int | None]:
        """As `Scenario.origin`: a line where the file sets the key, None for a default."""
        return str(self.path), (1 if dotted.split(".")[0] in self.explicit else None)

    @property
    def name(self) -> str:
        return self.data["name"]

    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()


@pytest.fixture
def fake_model(monkeypatch, tmp_path):
    """Stand-ins for `load_scenario` and `sim.runner.run_scenario` that count runs."""
    files = {
        "baseline": default_scenario(),
        **{k: default_scenario(**v) for k, v in OPTIONS.items()},
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(json.dumps(data), encoding="utf-8")
    calls = []

    def load_scenario(path, overrides=(), warned=None):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        explicit = set(data)
        defaults = default_scenario()
        for key in ("seed", "replicates"):  # a file may leave them to the defaults
            data.setdefault(key, defaults[key])
        for item in overrides:
            key, _, value = item.partition("=")
            node = data
            *head, last = key.split(".")
            for part in head:
                node = node[part]
            node[last] = json.loads(value)
        return FakeScenario(data, Path(path), explicit)

    def run_scenario(scenario, out_dir, *, replicates=None, seed=None, progress=False, pool=None):
        calls.append(scenario.name)
        write_synthetic_run(
            Path(out_dir),
            scenario.data,
            effect=EFFECTS[scenario.name],
            seed=seed,
            replicates=replicates,
            scenario_hash=scenario.hash(),
        )

    scenario_mod = types.ModuleType("sim.inputs.scenario")
    scenario_mod.load_scenario = load_scenario
    runner_mod = types.ModuleType("sim.runner")
    runner_mod.run_scenario = run_scenario
    runner_mod.ReplicatePool = ReplicatePool  # the real one: it starts no process unless used
    monkeypatch.setitem(sys.modules, "sim.inputs.scenario", scenario_mod)
    monkeypatch.setitem(sys.modules, "sim.runner", runner_mod)
    return SimpleNamespace(paths=paths, calls=calls, runner=runner_mod)


def test_a_rerun_gives_reused_runs_the_current_fit_record(fake_model, tmp_path, monkeypatch):
    """A fit re-measured between two comparisons reaches the reused runs' manifests."""
    import json

    import sim.compare.cache as cache

    p = fake_model.paths
    out = tmp_path / "cmp"
    compare(p["baseline"], [p["ethical"]], out, world=fake_world())
    record = {"calibration": {"status": "fitted", "remeasured": {"date": "2026-12-05"}}}
    monkeypatch.setattr(cache, "calibration_record", lambda data: record)
    again = compare(p["baseline"], [p["ethical"]], out, world=fake_world())
    assert again.reused == {"baseline": True, "ethical": True}
    for name in ("baseline", "ethical"):
        manifest = json.loads((out / "runs" / name / "manifest.json").read_text())
        assert manifest["calibration"] == record["calibration"]


def test_rerun_reuses_cached_runs_without_running_the_model(fake_model, tmp_path, monkeypatch):
    p = fake_model.paths
    out = tmp_path / "cmp"
    first = compare(p["baseline"], [p["ethical"], p["compensation"]], out, world=fake_world())
    assert fake_model.calls == ["baseline", "ethical", "compensation"]
    assert first.reused == {"baseline": False, "ethical": False, "compensation": False}
    assert (out / "runs" / "baseline" / "manifest.json").is_file()
    headline_before = (out / "headline.csv").read_text()

    def must_not_run(*args, **kwargs):
        raise AssertionError("the model ran although a matching run exists")

    original = fake_model.runner.run_scenario
    monkeypatch.setattr(fake_model.runner, "run_scenario", must_not_run)
    second = compare(p["baseline"], [p["ethical"], p["compensation"]], out, world=fake_world())
    assert second.reused == {"baseline": True, "ethical": True, "compensation": True}
    assert (out / "headline.csv").read_text() == headline_before
    assert "Reused previous runs" in second.index_html.read_text(encoding="utf-8")

    # A different number of replicates (or seed, or scenario) is run again, and only that.
    monkeypatch.setattr(fake_model.runner, "run_scenario", original)
    fake_model.calls.clear()
    compare(p["baseline"], [p["ethical"]], out, replicates=4, world=fake_world())
    assert fake_model.calls == ["baseline", "ethical"]
    fake_model.calls.clear()
    compare(
        p["baseline"],
        [p["ethical"]],
        out,
        replicates=4,
        overrides=["behaviour.wage_weight=1.4"],
        world=fake_world(),
    )
    assert fake_model.calls == ["baseline", "ethical"]
    fake_model.calls.clear()
    compare(
        p["baseline"],
        [p["ethical"]],
        out,
        replicates=4,
        overrides=["behaviour.wage_weight=1.4"],
        world=fake_world(),
    )
    assert fake_model.calls == []


def _briefing_and_runs(out: Path) -> dict[str, bytes]:
    """Every file of a compare folder but the runs waiting for a briefing: its bytes."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and PENDING not in p.relative_to(out).parts
    }


@pytest.mark.parametrize("where", ["after the first run", "in the briefing"])
@pytest.mark.parametrize("stop", [KeyboardInterrupt, SetupError("the disk is full")])
def test_a_stopped_compare_leaves_the_runs_its_briefing_describes(
    fake_model, tmp_path, monkeypatch, where, stop
):
    """A compare stopped half way (a Ctrl-C, an error) after a run was made leaves `runs/` and
    the briefing beside it as they were: a new run waits in `.runs.pending/` until its briefing
    is swapped in. The next compare reuses the waiting runs whose inputs match, runs the others,
    and moves them into `runs/` with its briefing."""
    from sim.compare import export

    p = fake_model.paths
    out = tmp_path / "cmp"
    scenarios = (p["baseline"], [p["ethical"], p["compensation"]])
    compare(*scenarios, out, replicates=2, world=fake_world())
    (out / "runs" / "README.txt").write_text("mine")
    before = _briefing_and_runs(out)
    original, write_tables = fake_model.runner.run_scenario, export.write_tables

    def stops(*args, **kwargs):
        raise stop

    if where == "after the first run":
        monkeypatch.setattr(
            fake_model.runner,
            "run_scenario",
            lambda s, *a, **k: (stops if fake_model.calls else original)(s, *a, **k),
        )
    else:
        monkeypatch.setattr(export, "write_tables", stops)
    fake_model.calls.clear()
    with pytest.raises(type(stop) if isinstance(stop, Exception) else stop):
        compare(*scenarios, out, replicates=4, world=fake_world())
    made = ["baseline"] if where == "after the first run" else list(EFFECTS)
    assert fake_model.calls == made
    assert _briefing_and_runs(out) == before  # the 2-replicate runs, and their briefing
    for name in made:
        waiting = json.loads((out / PENDING / name / "manifest.json").read_text())
        assert waiting["replicates"] == 4

    monkeypatch.setattr(fake_model.runner, "run_scenario", original)
    monkeypatch.setattr(export, "write_tables", write_tables)
    fake_model.calls.clear()
    reported = []
    again = compare(*scenarios, out, replicates=4, world=fake_world(), report=reported.append)
    assert fake_model.calls == [n for n in EFFECTS if n not in made]
    assert again.reused == {name: name in made for name in EFFECTS}
    assert [r.run_dir for r in reported] == [out / "runs" / name for name in EFFECTS]
    for run in again.runs:
        assert run.run_dir == out / "runs" / run.name
        assert json.loads((run.run_dir / "manifest.json").read_text())["replicates"] == 4
    assert not (out / PENDING).exists()
    assert (out / "runs" / "README.txt").read_text() == "mine"
    assert "4 replicates" in again.index_html.read_text(encoding="utf-8")


def test_options_run_with_the_baseline_seed_so_replicates_pair(fake_model, tmp_path, caplog):
    other = default_scenario(**OPTIONS["ethical"], seed=99, replicates=5)
    path = tmp_path / "other_seed.yaml"
    path.write_text(json.dumps(other), encoding="utf-8")
    with caplog.at_level("WARNING", logger="sim.compare.pipeline"):
        result = compare(
            fake_model.paths["baseline"], [path], tmp_path / "seeds", world=fake_world()
        )
    # said on the terminal too (a warning), not only in the briefing
    assert "sets seed 99 and replicates 5; it runs with the baseline's" in caplog.text
    assert [r.manifest["seed"] for r in result.runs] == [20100521, 20100521]
    assert [r.manifest["replicates"] for r in result.runs] == [3, 3]
    page = result.index_html.read_text(encoding="utf-8")
    assert "sets seed 99 and replicates 5; it was run with the baseline" in html.unescape(page)
    # Given explicitly, the seed and replicates apply to every scenario, without a note.
    result = compare(
        fake_model.paths["baseline"],
        [path],
        tmp_path / "seeds2",
        seed=5,
        replicates=2,
        world=fake_world(),
    )
    assert [(r.manifest["seed"], r.manifest["replicates"]) for r in result.runs] == [(5, 2)] * 2
    assert "it was run with the baseline" not in result.index_html.read_text(encoding="utf-8")
    # An option that leaves them to the defaults, beside a baseline that sets its own: no note.
    own = default_scenario(seed=7, replicates=2)
    (tmp_path / "own_seed.yaml").write_text(json.dumps(own), encoding="utf-8")
    plain = default_scenario(**OPTIONS["ethical"])
    del plain["seed"], plain["replicates"]
    (tmp_path / "plain.yaml").write_text(json.dumps(plain), encoding="utf-8")
    caplog.clear()
    with caplog.at_level("WARNING", logger="sim.compare.pipeline"):
        result = compare(
            tmp_path / "own_seed.yaml",
            [tmp_path / "plain.yaml"],
            tmp_path / "s3",
            world=fake_world(),
        )
    assert [(r.manifest["seed"], r.manifest["replicates"]) for r in result.runs] == [(7, 2)] * 2
    assert "sets seed" not in caplog.text
    assert "it was run with the baseline" not in result.index_html.read_text(encoding="utf-8")


def test_duplicate_scenario_names_are_a_clear_error(fake_model, tmp_path):
    from sim.errors import ScenarioError

    p = fake_model.paths
    with pytest.raises(ScenarioError, match="both named 'baseline'"):
        compare(p["baseline"], [p["baseline"]], tmp_path / "x", world=fake_world())


def test_cli_arguments_and_command(fake_model, tmp_path, capsys, monkeypatch):
    parser = argparse.ArgumentParser(prog="hrhsim compare")
    add_compare_arguments(parser)  # with --set, as every command that loads scenarios
    p = fake_model.paths
    out = tmp_path / "cli"
    args = parser.parse_args(
        [
            str(p["baseline"]),
            str(p["ethical"]),
            "-o",
            str(out),
            "--replicates",
            "2",
            "--set",
            "behaviour.wage_weight=1.2",
        ]
    )
    assert args.replicates == 2 and args.overrides == ["behaviour.wage_weight=1.2"]
    monkeypatch.setattr("sim.compare.briefing.scenario_world", lambda data: fake_world())
    assert cmd_compare(args) == 0
    printed = capsys.readouterr().out
    assert f"Briefing: {(out / 'index.html').resolve()}" in printed
    assert "ran    baseline" in printed
    with pytest.raises(SystemExit):
        parser.parse_args([str(p["baseline"]), str(p["ethical"]), "--replicates", "0"])
    with pytest.raises(SystemExit):  # at least one option
        parser.parse_args([str(p["baseline"])])


def test_wiring_into_sim_cli_and_light_import():
    """The way sim.cli wires subcommands works, and importing sim.compare stays light."""
    from sim.cli import app as cli

    parser = cli.build_parser()
    args = parser.parse_args(
        [
            "compare",
            "b.yaml",
            "o1.yaml",
            "o2.yaml",
            "--set",
            "a.b=1",
            "--seed",
            "7",
            "--force",
            "--no-progress",
        ]
    )
    assert (args.baseline, args.options, args.overrides) == (
        "b.yaml",
        ["o1.yaml", "o2.yaml"],
        ["a.b=1"],
    )
    assert args.seed == 7 and args.force and not args.progress and args.func is cmd_compare
    code = "import sys, sim.compare; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_default_output_folder_is_named_after_the_baseline(fake_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = fake_model.paths
    result = compare(p["baseline"], [p["ethical"]], world=fake_world())
    assert result.out_dir == Path("results") / "compare-baseline"
    assert (tmp_path / "results" / "compare-baseline" / "index.html").is_file()
    assert (tmp_path / "results" / "compare-baseline" / "runs" / "ethical").is_dir()


def test_folder_names_are_safe_and_distinct():
    from sim.compare.cache import folder_name, folder_names

    assert folder_name("baseline") == "baseline"
    assert folder_name("tiny baseline") == "tiny_baseline"
    evil = folder_name(XSS)
    assert "/" not in evil and "<" not in evil
    assert "/" not in folder_name("../../etc") and folder_name("..") == "scenario"
    a, b = folder_names(["a b", "a_b"])
    assert a != b and a.startswith("a_b-") and b.startswith("a_b-")
    assert folder_names(["x", "y"]) == ["x", "y"]


# --------------------------------------------------------------------------------------------------
# the page in a real browser


def chromium_check(
    index: Path, tmp_path: Path, shot_name: str = "briefing.png", artifacts: Path | None = None
) -> Path:
    """Screenshot and DOM of the briefing in headless Chromium; assert it renders cleanly.

    The screenshot is kept as results/ci-artifacts/<shot_name> (or in `artifacts`).
    """
    artifacts = artifacts or ROOT / "results" / "ci-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / shot_name
    shot.unlink(missing_ok=True)
    common = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]
    url = index.resolve().as_uri()
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(
        [
            *common,
            f"--user-data-dir={tmp_path / 'profile-shot'}",
            f"--screenshot={shot}",
            "--window-size=1280,4000",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    logs = proc.stderr + dom.stderr
    # The page has no script, so any console message at all is a problem. Chromium logs
    # console.error as "INFO:CONSOLE", and blocked content as a Content Security Policy message.
    errors = [
        line
        for line in logs.splitlines()
        if re.search(r"CONSOLE|Uncaught|Content Security Policy|Refused to", line)
    ]
    assert not errors, "console messages in Chromium:\n" + "\n".join(errors)
    assert shot.is_file(), proc.stderr[-2000:]
    assert shot.stat().st_size > 50_000, "the screenshot is nearly empty"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = index.read_text(encoding="utf-8")
    expected = re.findall(r'data-figure="([^"]+)"', page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert len(expected) >= 9
    for key in expected:
        assert f'data-figure="{key}"' in dom.stdout, key
    assert dom.stdout.count("<img ") == len(expected)
    assert dom.stdout.count('src="data:image/svg+xml;base64,') == len(expected)
    assert 'id="headline-table"' in dom.stdout
    return shot


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)"
)
def test_briefing_renders_in_headless_chromium(briefing, tmp_path):
    result, _ = briefing
    shot = chromium_check(result.index_html, tmp_path, "briefing-synthetic.png")
    print(f"briefing screenshot: {shot}")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_chromium_check_catches_console_errors(briefing, tmp_path):
    """The browser test fails when the page logs an error (here: a script the CSP blocks)."""
    result, _ = briefing
    page = result.index_html.read_text(encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(
        page.replace("<body>", '<body><script>console.error("boom")</script>', 1), encoding="utf-8"
    )
    with pytest.raises(AssertionError, match="console messages"):
        chromium_check(broken, tmp_path, "broken.png", artifacts=tmp_path)


def test_briefing_folder_can_be_moved(briefing, tmp_path):
    """Copying the folder elsewhere (a USB stick) keeps every figure: they are in the page."""
    _result, out = briefing
    moved = tmp_path / "usb" / "briefing"
    shutil.copytree(out, moved)
    page = (moved / "index.html").read_text(encoding="utf-8")
    assert len(_embedded_svgs(page)) >= 9
    for href in re.findall(r'href="([^"#]+)"', page):
        assert not href.startswith("/"), href
        assert (moved / href).exists(), href


def test_a_run_made_by_other_code_is_not_reused(tmp_path, monkeypatch):
    from sim.compare import cache

    scenario = SimpleNamespace(hash=lambda: "h")
    key = cache.expected_key(scenario, seed=1, replicates=2)
    run = tmp_path / "run"
    run.mkdir()
    (run / "indicators.parquet").write_bytes(b"")
    files = table_records(run, "indicators.parquet")
    (run / "manifest.json").write_text(json.dumps({**key, "files": files}), encoding="utf-8")
    assert cache.matches(run, key)
    (run / "indicators.parquet").write_bytes(b"changed")  # a table changed since the run
    assert not cache.matches(run, key)
    (run / "indicators.parquet").write_bytes(b"")
    assert cache.matches(run, key)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert not cache.matches(run, cache.expected_key(scenario, seed=1, replicates=2))


@pytest.mark.parametrize(
    "option_text, key",
    [
        ("world: {kind: archetypes, countries: [XEX, XMI, XDA, XDB]}\n", "world.countries"),
        ("time: {years: 3}\n", "time.years"),
        ("name: baseline\n", "name"),
    ],
)
def test_options_must_be_comparable_with_the_baseline(tmp_path, option_text, key):
    from sim.compare import compare
    from sim.errors import ScenarioError

    base = tmp_path / "base.yaml"
    base.write_text("name: base\nworld: {kind: archetypes}\ntime: {years: 2}\n")
    option = tmp_path / "option.yaml"
    option.write_text("extends: base.yaml\nname: option\n" + option_text)
    with pytest.raises(ScenarioError) as err:
        compare(base, [option], tmp_path / "out")
    assert err.value.key_path == key
    assert not (tmp_path / "out" / "runs").exists()


def test_undefined_values_stay_undefined_in_tables():
    from sim.compare import tables

    ind = pd.DataFrame(
        {
            "replicate": [0, 0],
            "year": [2030, 2030],
            "country": ["AAA", "BBB"],
            "area": ["all", "all"],
            "cadre": ["all", "all"],
            "indicator": ["rural_urban_ratio"] * 2,
            "value": [np.nan, 0.5],
        }
    )
    rows = tables._rows(ind, "rural_urban_ratio", None, False)
    assert rows.set_index("country").value.isna().tolist() == [True, False]


def _run_with_flows(name, flows, available=True):
    from sim.compare.runs import Run

    ind = pd.DataFrame(
        {
            "replicate": [0, 1],
            "year": [2030, 2030],
            "country": ["AAA"] * 2,
            "area": ["all"] * 2,
            "cadre": ["all"] * 2,
            "indicator": ["stock"] * 2,
            "value": [1.0, 1.0],
        }
    )
    return Run(Path(name), {"name": name}, ind, flows, flows_available=available)


def test_corridor_changes_count_missing_moves_as_zero_and_missing_files_as_unknown():
    from sim.compare import tables

    base_flows = pd.DataFrame(
        {
            "replicate": [0, 1],
            "year": [2030, 2030],
            "origin": ["AAA"] * 2,
            "destination": ["BBB"] * 2,
            "cadre": ["nurses"] * 2,
            "workers": [100.0, 200.0],
        }
    )
    none = base_flows.iloc[0:0]
    base = tables.corridor_flows(_run_with_flows("base", base_flows), 2030)
    stopped = tables.corridor_flows(_run_with_flows("stopped", none), 2030)
    unknown = tables.corridor_flows(_run_with_flows("unknown", none, available=False), 2030)
    table = tables.corridor_table(base, [("stopped", stopped), ("unknown", unknown)])
    row = table.iloc[0]
    assert row["stopped|change|median"] == -150.0
    assert np.isnan(row["unknown|change|median"])


def test_the_meta_line_gives_the_fit_of_a_calibration():
    from sim.compare.reading import calibration_of

    fitted = {"status": "fitted by hrhsim calibrate", "within_25pct": 7, "targets": 22}
    cal = calibration_of({"calibration": fitted})
    assert cal.short() == "fitted by hrhsim calibrate: 7 of 22 fitted targets within ±25%"
    assert calibration_of({"calibration": {"status": "fitted"}}).short() == "fitted"
    assert calibration_of({}).short() == "not calibrated"
    # the fit re-measured after the calibration is the report, dated; without it, the calibration's
    again = {"date": "2026-12-04", "git_commit": "abcdef0123", "report": "/c/fit_check.html"}
    cal = calibration_of({"calibration": {**fitted, "report": "/c/report.html"}})
    assert (cal.report, cal.remeasured) == ("/c/report.html", "")
    cal = calibration_of({"calibration": {**fitted, "report": "/c/r.html", "remeasured": again}})
    assert (cal.report, cal.remeasured) == ("/c/fit_check.html", "2026-12-04, git abcdef0")
    assert [r[0] for r in cal.reports] == ["/c/fit_check.html", "/c/r.html"]  # the fallback kept
    undated = {"report": "/c/fit_check.html"}
    cal = calibration_of({"calibration": {**fitted, "remeasured": undated}})
    assert cal.remeasured == "after the calibration"


def test_a_change_too_small_to_read_keeps_its_unit():
    """`hardly changes (+0.010 per 10,000; ...)`: the number says what it counts."""
    from sim.compare import reading, summary
    from sim.compare.tables import METRICS

    row = pd.Series({"change_p5": -0.02, "change_median": 0.01, "change_p95": 0.03})
    text = summary._phrase(METRICS["safeguards_density"], row, reading.Evidence(replicates=5))
    assert text.startswith("hardly changes (+0.010 per 10,000; 90% interval")


def test_few_replicates_say_the_interval_is_nearly_their_range():
    from sim.compare import reading

    assert "nearly the range of the runs" in reading.Evidence(replicates=5).covers()
    assert "nearly the range of the runs" in reading.Evidence(replicates=19).covers()
    # from 20, a change can be called clear: the page does not call its intervals uncertain
    assert "nearly the range" not in reading.Evidence(replicates=20).covers()
    assert "nearly the range" not in reading.Evidence(replicates=40).covers()
    assert "no spread is measured" in reading.Evidence(replicates=1).covers()


def test_a_flow_chart_over_time_does_not_name_a_start_it_does_not_show():
    """Flows (emigration) have no initial state: their axis and caption do not mention `start`;
    levels (density) show the initial state as `start` and say so."""
    from sim.compare import figures
    from sim.compare.tables import METRICS

    years = range(2022, 2027)
    ts = pd.DataFrame(
        [
            (m, y, 1.0, 2.0, 3.0)
            for m in ("safeguards_density", "safeguards_emigration")
            for y in years
        ],
        columns=["metric", "year", "p5", "median", "p95"],
    )
    flow = figures.time_series(METRICS["safeguards_emigration"], [("baseline", ts)], 3)
    level = figures.time_series(METRICS["safeguards_density"], [("baseline", ts)], 3)
    flow_axis = flow.figure.axes[0]
    assert "start" not in flow_axis.get_xlabel() and "start" not in flow.caption
    assert min(flow_axis.lines[0].get_xdata()) == 2023
    assert "start = initial state" in level.figure.axes[0].get_xlabel()
    assert "“start” is the initial state" in level.caption


def test_the_baseline_is_marked_once_in_a_legend():
    from sim.compare.chartstyle import scenario_label

    assert scenario_label("baseline", True) == "baseline"
    assert scenario_label("business as usual", True) == "business as usual (baseline)"
    assert scenario_label("retention", False) == "retention"


def test_a_map_draws_a_change_within_two_simulated_workers_as_no_change():
    """France +0.5 with one simulated worker of 1.0 per 10,000 is drawn as no change; with a
    step of 0.1, in its colour; without steps, as before."""
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    from sim.compare import maps

    codes = list(maps._projected()[0])
    values = pd.DataFrame({"opt": [0.5, -3.0]}, index=["FRA", "DEU"])

    def face(steps):
        chart = maps.density_change_map(values, ["opt"], 2032, steps=steps)
        faces = chart.figure.axes[0].collections[0].get_facecolors()
        return faces[codes.index("FRA")], chart.caption

    limit = maps.color_limit(values["opt"].to_numpy(float), maps.DENSITY_LEAST)
    neutral = np.asarray(mpl.colormaps["RdBu"](Normalize(-limit, limit)(0.0)))
    coarse, caption = face({"FRA": 1.0, "DEU": 1.0})
    assert np.allclose(coarse, neutral) and "drawn as no change" in caption
    fine, _ = face({"FRA": 0.1})
    assert not np.allclose(fine, neutral)
    plain, caption = face(None)
    assert not np.allclose(plain, neutral) and "drawn as no change" not in caption


def test_worker_steps_are_one_simulated_worker_in_each_value_s_unit(synthetic_runs):
    """Density: ω·10,000 / the baseline's population at the year (median of the replicates;
    these runs report none, so the world's); emigration: ω·1,000 / its stock; none without a
    scale."""
    from sim.compare import tables

    base = load_run(synthetic_runs[0])
    year = max(base.years)
    world = fake_world()
    steps = tables.worker_steps(base, year, 200.0, world)
    assert not base.has_indicator("population")
    for code, pop in zip(world.iso3, world.population, strict=True):
        assert steps["density"][str(code)] == pytest.approx(200.0 * 1e4 / pop)
    ind = base.indicators
    at = ind[(ind["year"] == year) & (ind["area"] == "all") & (ind["cadre"] == "all")]
    stock = at[at["indicator"] == "stock"].groupby("country", observed=True)["value"].median()
    assert len(stock)
    for code, value in stock.items():
        if str(code) != "WLD":
            assert steps["emigration"][str(code)] == pytest.approx(200.0 * 1e3 / value)
    assert tables.worker_steps(base, year, None) == {"density": {}, "emigration": {}}


def test_a_run_records_its_fit_reports_with_what_they_said(tmp_path):
    """`calibration_record`: fit.json beside the posterior sample, its reports' paths made
    absolute and their sha256 at the time of the run; a report that is absent has none."""
    import hashlib
    import json

    from sim.inputs.posterior import calibration_record

    fit = {"status": "fitted", "report": "report.html",
           "remeasured": {"date": "2026-12-04", "report": "fit_check.html"}}  # fmt: skip
    (tmp_path / "fit.json").write_text(json.dumps(fit))
    (tmp_path / "fit_check.html").write_bytes(b"page")
    record = calibration_record({"uncertainty": {"sample": str(tmp_path / "posterior.csv")}})
    cal = record["calibration"]
    assert cal["remeasured"]["report"] == str(tmp_path / "fit_check.html")
    assert cal["remeasured"]["report_sha256"] == hashlib.sha256(b"page").hexdigest()
    assert cal["report"] == str(tmp_path / "report.html") and "report_sha256" not in cal


def test_a_reused_run_takes_the_calibrations_current_record(tmp_path):
    """`compare` reuses a run whose parameters and code are unchanged; a fit re-measured since
    changes only what its manifest says of the fit, which is brought up to date."""
    import json

    from sim.compare.cache import refresh_calibration

    (tmp_path / "manifest.json").write_text(json.dumps({"seed": 1, "calibration": {"a": 1}}))
    assert not refresh_calibration(tmp_path, {"calibration": {"a": 1}})
    assert not refresh_calibration(tmp_path, {})  # no posterior sample named: left as it is
    assert refresh_calibration(tmp_path, {"calibration": {"a": 2}})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest == {"seed": 1, "calibration": {"a": 2}}


def _contrast_on_white(hex_colour: str) -> float:
    """WCAG 2 contrast ratio of a colour against white."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_every_option_colour_stands_out_on_white():
    """The options' lines and points are drawn on white: no colour fainter than the palette's
    orange (2.25:1); Okabe-Ito's yellow (1.3:1) made the seventh option all but vanish."""
    from sim.compare.chartstyle import BASELINE_COLOUR, OKABE_ITO

    assert _contrast_on_white("#F0E442") < 1.5  # the colour replaced
    assert len(set(OKABE_ITO)) == len(OKABE_ITO) and BASELINE_COLOUR not in OKABE_ITO
    for c in OKABE_ITO:
        assert _contrast_on_white(c) >= 2.0, c


def test_the_safeguards_table_says_how_to_get_a_countrys_page(briefing):
    """A source country's ministry finds its row in Table 9 and, below it, how to get its page
    (a reader: no safeguards-list country had one)."""
    _result, out = briefing
    page = (out / "index.html").read_text(encoding="utf-8")
    part = page[page.index('id="country-table"') :]
    note = re.sub(r"<[^>]+>", "", part[: part.index("</section>")])
    assert "--countries GHA,NGA" in html.unescape(note)
