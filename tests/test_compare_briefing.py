"""The briefing as a ministry and a secretariat read it, on synthetic results folders.

Numbers people can quote (significant figures that keep different values apart), when a change
may be called clear, what the options name (focus countries, agreements against their quota),
pages per country, maps, scale artefacts, files (CSV, xlsx, figure names), and user text.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.compare import fmt, load_run, reading, write_briefing
from tests.test_compare import (
    CODES,
    NAMES,
    XSS,
    default_scenario,
    fake_world,
    write_synthetic_run,
)

ROOT = Path(__file__).resolve().parents[1]


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def table_html(page: str, table_id: str) -> str:
    part = page[page.index(f'id="{table_id}"') :]
    return part[: part.index("</table>")]


# --------------------------------------------------------------------------------------------------
# numbers people can quote


def test_significant_figures_examples():
    assert fmt.sig(0.11249, 2) == "0.11"
    assert fmt.sig(0.0601, 2) == "0.060"
    assert fmt.sig(18612, 3) == "18,600"
    assert fmt.sig(9.96, 2) == "10"
    assert fmt.sig(-0.0069, 2, signed=True) == "−0.0069"
    assert fmt.sig(-2.27e-16, 2, signed=True) == "0"  # residue, not a value
    assert fmt.quote(544e6, "money", signed=True) == "+int$544 million"
    assert fmt.quote(0.999e6, "money") == "int$999,000"
    assert fmt.quote(-0.000088, "share", signed=True) == "−0.0088 pp"
    assert fmt.quote(50.0, "workers") == "50"
    # The cases: +0.112 and +0.060 no longer both print "+0.1"; a median with its
    # interval shows the width.
    assert fmt.distinct([0.112, 0.060], "density", signed=True) == ["+0.11", "+0.060"]
    assert fmt.cells([(0.6, 0.58, 0.63)], "density", signed=True) == [("+0.60", "+0.58", "+0.63")]
    assert fmt.width(0.58, 0.63, "density") == "0.050"
    # An interval whose ends differ by floating-point residue has no width (the review's
    # "width $0.00000095" for a training investment of about $1 billion).
    lo = 1.234e9
    assert fmt.width(lo, lo + 9.5e-7, "money") == fmt.quote(0.0, "money")
    assert fmt.width(0.0, 9.5e-7, "money") != fmt.quote(0.0, "money")  # a true, tiny width


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=2, max_size=8), st.sampled_from(fmt.KINDS))
@example([500000001.0, 0.5, -0.5], "density")
def test_distinct_never_prints_two_different_values_alike(values, kind):
    texts = fmt.distinct(values, kind, signed=True)
    top = max(abs(v) for v in values)
    for a, ta in zip(values, texts, strict=True):
        for b, tb in zip(values, texts, strict=True):
            # Values that differ by more than float residue of the group's largest print apart
            # (unless the maximum precision cannot tell them apart); two values that are both
            # residue (each under RESIDUE x the largest, e.g. +0.5 and -0.5 beside 5e8) print 0.
            both_residue = max(abs(a), abs(b)) < fmt.RESIDUE * top
            if abs(a - b) > max(1e-6 * max(abs(a), abs(b)), fmt.RESIDUE * top, 1e-9):
                assert ta != tb or both_residue, (a, b, ta)
                if both_residue:
                    assert ta == tb, (a, b, ta, tb)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False),
    st.floats(min_value=1e-5, max_value=0.05),
    st.sampled_from(["density", "workers", "share", "money", "people"]),
    st.booleans(),
)
def test_close_values_print_apart(x, eps, kind, negative):
    """Two values within a few percent of each other (the hard case) never print alike."""
    sign = -1.0 if negative else 1.0
    a, b = sign * x, sign * x * (1 + eps)
    ta, tb = fmt.distinct([a, b], kind, signed=True)
    assert ta != tb, (a, b, ta)
    assert fmt.distinct([1.01, 1.02], "density") == ["1.01", "1.02"]


def test_an_estimate_prints_its_interval_to_the_same_place():
    """The thirteenth session's briefing printed `+0.021 pp (+0.0000016 pp to +0.028 pp)`."""
    assert fmt.estimate(0.00021, 1.6e-8, 0.00028, "share", signed=True) == (
        "+0.021 pp",
        "+0.000 pp",
        "+0.028 pp",
    )
    assert fmt.estimate(-1.0e-6, -2.0e-4, 3.0e-4, "share", signed=True)[0] == "−0.000 pp"
    small = fmt.estimate(0.0049, 0.00097, 0.026, "number", signed=True)
    assert small == ("+0.005", "+0.001", "+0.026")
    workers = fmt.estimate(-1000, -1240, 8480, "workers", signed=True)
    assert workers == ("−1,000", "−1,240", "+8,480")
    assert fmt.estimate(12.5, 12.5, 12.5, "density", signed=False) == ("12", "12", "12")
    assert fmt.estimate(-999e3, -70.7e6, 22.9e6, "people", signed=True)[1] == "−70.7 million"


@settings(max_examples=300, deadline=None)
@given(finite, finite, finite, st.sampled_from(["density", "workers", "share", "ratio", "number"]))
def test_an_estimate_shares_one_place_and_keeps_values_apart(med, lo, hi, kind):
    texts = fmt.estimate(med, lo, hi, kind, signed=True)
    values = [med, lo, hi]
    scale = 100.0 if kind == "share" else 1.0
    printed = [float(t.replace(" pp", "").replace(",", "").replace(fmt.MINUS, "-")) for t in texts]
    places = {len(t.split(".")[1].replace(" pp", "")) if "." in t else 0 for t in texts}
    assert len(places - {0}) <= 1 or all(abs(v) < fmt.TINY for v in values), texts
    top = max(abs(v) for v in values) * scale
    decimals = max(places)
    if decimals:  # the place printed
        unit = 10.0**-decimals
    elif top >= fmt.TINY:  # whole numbers: at most the MIN_SIG-th figure of the largest
        unit = 10.0 ** max(0, math.floor(math.log10(top)) + 1 - fmt.MIN_SIG[kind])
    else:
        unit = 1.0
    for v, t, p in zip(values, texts, printed, strict=True):
        if abs(v) * scale >= max(fmt.TINY, fmt.RESIDUE * top):  # residue prints 0
            assert abs(p - v * scale) <= 0.5 * unit * 1.0000001 + 1e-9 * top, (v, t)
            assert (p >= 0) == (v > 0) or p == 0, (v, t)  # the sign is kept
            assert t[0] in "+" + fmt.MINUS, t
    for a, ta in zip(values, texts, strict=True):
        for b, tb in zip(values, texts, strict=True):
            if abs(a - b) > max(1e-6 * max(abs(a), abs(b)), fmt.RESIDUE * top / scale, 1e-9):
                both_residue = max(abs(a), abs(b)) < fmt.RESIDUE * top / scale
                assert ta != tb or both_residue, (a, b, ta)


@settings(max_examples=300, deadline=None)
@given(finite, st.integers(min_value=1, max_value=6))
def test_sig_is_within_half_a_unit_of_the_last_figure(x, n):
    text = fmt.sig(x, n)
    assert "e" not in text.lower()
    value = float(text.replace(",", "").replace(fmt.MINUS, "-"))
    if abs(x) >= fmt.TINY:
        unit = 10.0 ** (math.floor(math.log10(abs(x))) + 1 - n)
        assert abs(value - x) <= 0.5 * unit * 1.0000001 + 1e-12


# --------------------------------------------------------------------------------------------------
# when a change is "clear"


def test_a_density_change_within_one_simulated_worker_of_the_country_gets_no_mark():
    """A country of a million at 200 workers per agent moves its density in steps of 2 per
    10,000: a change of 3.0 is above the 0.1 threshold but within two steps (the model's
    resolution is one), so no mark."""
    assert reading.STEPS_RELEVANT == 2
    ev = reading.Evidence(replicates=5, workers_per_agent=200.0)
    change = (2.5, 3.0, 3.5)
    assert reading.read_change(*change, "density", +1, ev).mark == "▲ better"
    within = reading.read_change(*change, "density", +1, ev, step=2.0)
    assert within.mark == "" and not within.relevant and "threshold (4.0)" in within.words
    assert reading.read_change(*change, "density", +1, ev, step=1.5).mark == "▲ better"


def test_clear_needs_an_interval_off_zero_enough_replicates_and_parameter_uncertainty():
    stochastic = reading.Evidence(replicates=50, uncertainty="stochastic")
    few = reading.Evidence(replicates=5, uncertainty="parameters")
    full = reading.Evidence(replicates=20, uncertainty="parameters")
    change = (40.0, 400.0, 720.0)  # the "+400 (40 to 720)"
    assert not reading.read_change(*change, "workers", 0, stochastic).clear
    assert not reading.read_change(*change, "workers", 0, few).clear
    assert reading.read_change(*change, "workers", 0, full).clear
    assert reading.read_change(*change, "workers", 0, full).words == "clearly higher"
    assert not reading.read_change(-720.0, 400.0, 720.0, "workers", 0, full).clear
    # Below the relevance threshold: no mark, however narrow the interval (the issue's −0.0069).
    tiny = reading.read_change(-0.0070, -0.0069, -0.0068, "density", +1, full)
    assert tiny.mark == "" and tiny.css == "" and not tiny.relevant
    big = reading.read_change(0.5, 0.6, 0.7, "density", +1, stochastic)
    assert big.mark == "▲ better" and not big.clear
    assert "noise only" in big.words
    assert "no change is called clear" in stochastic.clear_rule()
    assert "no change is called clear" not in full.clear_rule()
    assert "stochastic noise only" in stochastic.covers()
    assert "parameter uncertainty" in full.covers()


def test_evidence_reads_manifests_leniently():
    cal = {"status": "calibrated (history matching)", "targets_within_25": 17, "targets": 22}
    ev = reading.evidence_of(
        [{"uncertainty": "parameters", "calibration": cal}, {"uncertainty": "parameters"}], 30
    )
    assert ev.uncertainty == "parameters" and ev.allows_clear
    assert "17 of 22 fitted targets" in ev.calibration.text()
    # the page puts "Calibration." before the sentence: the sentence does not repeat it
    assert ev.calibration.text().startswith("Calibrated (history matching).")
    mixed = reading.evidence_of([{"uncertainty": "parameters"}, {}], 30)
    assert mixed.uncertainty == "stochastic" and not mixed.allows_clear
    assert not reading.evidence_of([{}], 5).calibration.calibrated


def _pair(tmp_path, *, replicates=3, uncertainty=None, calibration=None, **option):
    base_s = default_scenario(replicates=replicates)
    opt_s = default_scenario(
        name="ethical",
        description="Ethical recruitment.",
        replicates=replicates,
        policies__ethical_recruitment__enabled=True,
        **option,
    )
    base = write_synthetic_run(tmp_path / "runs" / "baseline", base_s)
    opt = write_synthetic_run(tmp_path / "runs" / "ethical", opt_s, effect=0.5)
    for run_dir in (base, opt):
        m = json.loads((run_dir / "manifest.json").read_text())
        m["scenario_path"] = str(tmp_path / "secret" / f"{m['name']}.yaml")
        if uncertainty:
            m["uncertainty"] = uncertainty
        if calibration:
            m["calibration"] = calibration
        (run_dir / "manifest.json").write_text(json.dumps(m))
    return base, opt


@pytest.mark.parametrize("uncertainty", ["stochastic", "parameters"])
def test_briefing_says_what_the_intervals_cover_and_calls_clear_only_when_allowed(
    tmp_path, uncertainty
):
    calibration = {
        "status": "calibrated",
        "targets_within_25": 17,
        "targets": 22,
        "report": "fit_report.md",
    }
    base, opt = _pair(tmp_path, replicates=20, uncertainty=uncertainty, calibration=calibration)
    (base / "fit_report.md").write_text("# fit\n")
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)
    page = result.index_html.read_text(encoding="utf-8")
    text = text_of(page)
    # Calibration and the fit summary are beside the first table, before it.
    assert "17 of 22 fitted targets are reproduced within ±25%" in text
    assert page.index("17 of 22") < page.index('id="headline-table"')
    assert 'href="fit_report.md"' in page and (out / "fit_report.md").is_file()
    # The linked report is the calibration's own, of its day: re-measured figures supersede it.
    assert "shows its fit when it ran" in text and "supersede it" in text

    assert "20 paired replicates" in text
    # the headline table warns that the population below 44.5 moves by whole countries
    assert "moves by whole countries" in text_of(page[page.index('id="headline-table"') :])
    if uncertainty == "parameters":
        assert "▲ clearly better" in text and "rises clearly by" in text
        assert "no change is called clear" not in text
    else:
        assert "clearly" not in text
        assert "stochastic noise only" in text and "no change is called clear" in text
        # a reader saw '▲ better' beside 'no change is called clear': the message says what ▲ is
        assert "▲/▼ mark changes beyond that noise" in text


def test_the_calibrations_lineage_is_folded_away_and_its_measured_fit_said():
    """A record's summary: what was fitted to what (long, with file names) and, after
    `reading.REMEASURED`, the fit on the current model. The headline's trust note says the fit
    and folds the lineage into a details element; a summary without the
    marker is said whole, as before."""
    from sim.compare import reading
    from sim.compare.summary import trust_html

    lineage = "the weights by calibration/x.yaml, the hazards by calibration/y.yaml"
    measured = "9 of 10 within a factor of 2 (medians of 40 replicates)"
    cal = reading.Calibration("fitted", 8, 10, lineage + reading.REMEASURED + measured)
    assert cal.parts() == (lineage, measured) and cal.lineage == lineage
    assert cal.text().endswith("8 of 10 fitted targets are reproduced within ±25%. 9 of 10 "
                               "within a factor of 2 (medians of 40 replicates).")  # fmt: skip
    assert "calibration/x.yaml" not in cal.text()
    ctx = SimpleNamespace(
        evidence=reading.Evidence(replicates=5, workers_per_agent=200.0, calibration=cal),
        tables={},
    )
    page = trust_html(ctx)
    folded = page[page.index("<details>") : page.index("</details>")]
    assert "What was fitted to what" in folded and "calibration/x.yaml" in folded
    assert page.index("9 of 10 within a factor of 2") < page.index("<details>")
    plain = reading.Calibration("fitted", 8, 10, "the weights fitted to 10 targets")
    assert plain.lineage == "" and plain.text().endswith("The weights fitted to 10 targets.")


def test_a_re_measured_fit_report_is_the_one_linked_and_dated(tmp_path):
    """fit.json's `remeasured.report` (scripts/fit_check.py --update-fit-json) is the fit of the
    current model: the page links it, says when and on which commit it was measured, and does not
    link the calibration's older report."""
    calibration = {
        "status": "calibrated",
        "targets_within_25": 14,
        "targets": 18,
        "report": "report.html",
        "remeasured": {
            "date": "2026-12-04",
            "git_commit": "7cf93435ce7644f511ffbe34529cf4759e640178",
            "report": "fit_check.html",
        },
    }
    base, opt = _pair(tmp_path, replicates=20, calibration=calibration)
    (base / "report.html").write_text("old")
    (base / "fit_check.html").write_text("re-measured")
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)
    page = result.index_html.read_text(encoding="utf-8")
    text = text_of(page)
    assert 'href="fit_report.html"' in page
    assert (out / "fit_report.html").read_text() == "re-measured"
    assert "re-measured on the model of 2026-12-04, git 7cf9343" in text
    assert "shows its fit when it ran" not in text


def test_a_fit_report_changed_or_missing_since_the_runs_is_not_linked_as_theirs(tmp_path):
    """The manifests quote fit.json as it was when the runs were made; the re-measured page is
    linked only if it is still the page they recorded (its sha256), else the calibration's own
    report, which is also the fallback when the re-measured page is missing."""
    import hashlib

    old = b"re-measured when the runs were made"
    calibration = {
        "status": "calibrated",
        "targets_within_25": 14,
        "targets": 18,
        "report": "report.html",
        "report_sha256": hashlib.sha256(b"own").hexdigest(),
        "remeasured": {
            "date": "2026-12-04",
            "report": "fit_check.html",
            "report_sha256": hashlib.sha256(old).hexdigest(),
        },
    }
    base, opt = _pair(tmp_path, replicates=20, calibration=calibration)
    (base / "report.html").write_bytes(b"own")
    (base / "fit_check.html").write_bytes(b"rewritten by a later fit check")
    out = tmp_path / "out"
    page = write_briefing(
        load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1
    ).index_html.read_text(encoding="utf-8")
    assert (out / "fit_report.html").read_bytes() == b"own"
    assert "shows its fit when it ran" in text_of(page) and "re-measured on the model" not in page
    (base / "fit_check.html").write_bytes(old)  # the page the runs recorded: linked
    write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)
    assert (out / "fit_report.html").read_bytes() == old
    (base / "fit_check.html").unlink()  # missing: the calibration's own report
    write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)
    assert (out / "fit_report.html").read_bytes() == b"own"


# --------------------------------------------------------------------------------------------------
# the page: descriptions, dates, paths, escaping


def test_option_without_description_does_not_inherit_the_baselines(tmp_path):
    base_s = default_scenario(description="No compensation, nothing new.")
    opt_s = default_scenario(
        name="comp",
        description="No compensation, nothing new.",  # inherited through `extends:`
        policies__compensation__enabled=True,
    )
    base = write_synthetic_run(tmp_path / "b", base_s)
    opt = write_synthetic_run(tmp_path / "o", opt_s, effect=1.0)
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    text = text_of(result.index_html.read_text(encoding="utf-8"))
    assert text.count("No compensation, nothing new.") == 1  # the baseline's own section
    assert "No description in the scenario file." in text
    assert "Turns on compensation of source countries" in text


def test_a_lever_after_the_horizon_is_said_in_the_page(tmp_path):
    base, opt = _pair(tmp_path, policies__ethical_recruitment__from=2035)
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    text = text_of(result.index_html.read_text(encoding="utf-8"))
    assert "ethical recruitment starts in 2035, after the last simulated year (2025)" in text


def test_no_absolute_local_paths_and_years_are_simulated_years(tmp_path):
    base, opt = _pair(tmp_path)
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world())
    for path in [result.index_html, *out.glob("*.html"), *out.glob("countries/*.html")]:
        page = path.read_text(encoding="utf-8")
        assert str(tmp_path) not in page, path
        assert "/secret/" not in page
    text = text_of(result.index_html.read_text(encoding="utf-8"))
    assert "secret/ethical.yaml" in text  # the scenario file, without the folders above it
    # The indicators' initial state (2022) is the start of 2023, the model's first year.
    assert "beginning of 2023" in text and "Start 2022" not in text
    assert "simulated years 2023–2025" in text


def test_title_and_user_text_escaped_in_every_page(tmp_path):
    base_s = default_scenario(name=f"base {XSS}", description=XSS)
    opt_s = default_scenario(
        name=XSS,
        description=f"Evil {XSS}",
        policies__agreements=[_agreement("XSR", "XDA", quota=500.0, start=2024)],
    )
    base = write_synthetic_run(tmp_path / "b", base_s)
    opt = write_synthetic_run(tmp_path / "o", opt_s, effect=1.0)
    out = tmp_path / "out"
    result = write_briefing(
        load_run(base), [load_run(opt)], out, world=fake_world(), title=f"Title {XSS}"
    )
    pages = [result.index_html, *result.pages.values(), out / "ODD.html"]
    assert result.pages  # XSR and XDA have pages
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert "<script" not in page.lower(), path
    page = result.index_html.read_text(encoding="utf-8")
    assert f"<title>Title {html.escape(XSS)}</title>" in page
    assert f"<h1>Title {html.escape(XSS)}</h1>" in page


def test_the_model_description_page_links_only_where_it_means_to(tmp_path):
    """ODD.html from docs/ODD.md: every link is a web address, an anchor, the briefing or a
    document of the repository; formulas such as G_base[c,k](Y) are not read as links (a
    reader found two such broken links in the money definitions)."""
    from sim.compare.pages import write_odd

    assert write_odd(tmp_path) == "ODD.html"
    page = (tmp_path / "ODD.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs
    odd_dir = Path(__file__).resolve().parents[1] / "docs"
    for href in hrefs:
        if href.startswith(("http://", "https://", "#")) or href == "index.html#methods":
            continue
        target = href.split("#")[0]
        assert (odd_dir / target).exists(), f"ODD.md links to {href!r}"


# --------------------------------------------------------------------------------------------------
# focus countries, agreements, country pages


def _agreement(source, destination, *, quota, start, cadre="nurses"):
    return {
        "source": source,
        "destination": destination,
        "cadre": cadre,
        "quota": quota,
        "fee_free": True,
        "training_places": 0.0,
        "contract_years": 3.0,
        "return_probability": 0.7,
        "from": start,
        "until": None,
    }


def _write_agreements(run_dir: Path, hired: dict[int, float], quota: float, start: int) -> None:
    m = json.loads((run_dir / "manifest.json").read_text())
    years = range(m["scenario"]["time"]["start_year"], m["scenario"]["time"]["start_year"] + 3)
    rows = []
    for r in range(m["replicates"]):
        for y in years:
            rows.append(
                (r, y, 0, "XSR", "XDA", "nurses", quota if y >= start else 0.0, hired[y] + 10 * r)
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "replicate",
            "year",
            "agreement",
            "source",
            "destination",
            "cadre",
            "quota",
            "hired",
        ],
    )
    pq.write_table(
        pa.Table.from_pandas(table, preserve_index=False), run_dir / "agreements.parquet"
    )


def _write_stocks(run_dir: Path) -> None:
    m = json.loads((run_dir / "manifest.json").read_text())
    rows = []
    for r in range(m["replicates"]):
        for y in (2024, 2025):
            rows.append((r, y, "XSR", "XDA", "nurses", 1234.0 + r))
            rows.append((r, y, "XSR", "XDA", "doctors", 100.0))
    table = pd.DataFrame(
        rows, columns=["replicate", "year", "origin", "country", "cadre", "workers"]
    )
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), run_dir / "stocks.parquet")


@pytest.fixture(scope="module")
def agreement_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agree")
    base = write_synthetic_run(tmp / "baseline", default_scenario())
    opt_s = default_scenario(
        name="agreement",
        description="An agreement Sourceland to Destinia A.",
        policies__agreements=[_agreement("XSR", "XDA", quota=500.0, start=2024)],
    )
    opt = write_synthetic_run(tmp / "agreement", opt_s, effect=0.2)
    return tmp, base, opt


def test_agreement_delivery_from_the_agreement_table_and_country_pages(agreement_runs, tmp_path):
    _tmp, base, opt = agreement_runs
    recorded = tmp_path / "recorded"
    import shutil

    shutil.copytree(opt, recorded)
    _write_agreements(recorded, {2023: 0.0, 2024: 210.0, 2025: 524.0}, 500.0, 2024)
    _write_stocks(recorded)
    _write_stocks(base)
    try:
        out = tmp_path / "out"
        result = write_briefing(
            load_run(base), [load_run(recorded)], out, world=fake_world(), focus_codes=["XMI"]
        )
    finally:
        (base / "stocks.parquet").unlink()
    page = result.index_html.read_text(encoding="utf-8")
    table = table_html(page, "agreement-table-1")
    text = text_of(table)
    assert "Sourceland (XSR) → Destinia A (XDA), nurses" in text
    assert "Hired under the agreement" in text
    # Year rows: quota in force and the median of hires (210 + 10 r over 3 replicates: 220).
    # 5th-95th percentile of 210, 220, 230 (linear): 211 to 229.
    assert re.search(r"2024 500 220 211 to 229", text), text
    # A share of the quota in whole percent: 534 / 500 is 107% (not 110%, two figures).
    assert re.search(r"2024 500 220 211 to 229 · width 18 44%", text), text
    assert re.search(r"2025 500 534 525 to 543 · width 18 107%", text), text
    assert "2023 0" in text
    note = text_of(page[page.index('id="agreement-table-1"') :][:6000])
    omega = load_run(recorded).scenario["scale"]["workers_per_agent"]
    assert ("moves whole simulated workers" in note) == (omega > 1)
    delivery = pd.read_csv(out / "agreements_delivery.csv")
    assert delivery.loc[delivery["year"] == 2025, "median"].item() == pytest.approx(534.0)
    assert (delivery["moved_from"] == "agreement").all()
    # the whole corridor with the agreement (its hires and every other move on it), as drawn
    flows = pd.read_parquet(recorded / "flows.parquet")
    sel = flows[(flows.origin == "XSR") & (flows.destination == "XDA") & (flows.cadre == "nurses")]
    whole = sel[sel.year == 2025].groupby("replicate")["workers"].sum().median()
    assert delivery.loc[delivery["year"] == 2025, "corridor"].item() == pytest.approx(whole)
    assert "whole corridor with the agreement" in page or "every move on the corridor" in page
    # Focus: the agreement's countries and --focus, each with a page linked from the tables.
    assert result.focus == ["XSR", "XDA", "XMI"]
    assert set(result.pages) == {"XSR", "XDA", "XMI"}
    assert 'href="countries/XSR.html"' in table_html(page, "focus-table")
    # Bilateral stocks from stocks.parquet (baseline median: 1,235 + 100 workers).
    corridors = text_of(table_html(page, "focus-corridor-table"))
    assert "1,340" in corridors  # median 1,335, to three significant figures
    xsr = (out / "countries" / "XSR.html").read_text(encoding="utf-8")
    assert "Sourceland (XSR)" in xsr and "agreement-table-1" in xsr
    assert 'href="../index.html#focus"' in xsr
    for href in re.findall(r'href="([^"#]+)', xsr):  # every link of the page leads somewhere
        assert (out / "countries" / href).resolve().exists(), href
    assert "data:image/svg+xml;base64," in xsr  # its chart over time
    levels = text_of(table_html(xsr, "country-XSR-levels"))
    assert "Emigrants (per year) in 2025" in levels  # a flow over the year, not at its end
    assert "Density (per 10,000) end of 2025" in levels


def test_whole_simulated_workers_are_explained_only_at_a_scale_above_one(tmp_path):
    """The agreement table's note on whole simulated workers appears at 200 workers per agent
    (the fixture's runs) and not at one agent per worker."""
    scale = {"scale__workers_per_agent": 1.0}
    base = write_synthetic_run(tmp_path / "baseline", default_scenario(**scale))
    opt_s = default_scenario(
        name="agreement",
        policies__agreements=[_agreement("XSR", "XDA", quota=500.0, start=2024)],
        **scale,
    )
    opt = write_synthetic_run(tmp_path / "agreement", opt_s, effect=0.2)
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    note = text_of(page[page.index('id="agreement-table-1"') :][:6000])
    assert "include recruitment outside the agreement" in note  # the note is there
    assert "moves whole simulated workers" not in note


def test_agreement_delivery_without_agreement_table_uses_the_corridor_and_says_so(
    agreement_runs, tmp_path
):
    _tmp, base, opt = agreement_runs
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    text = text_of(table_html(page, "agreement-table-1"))
    assert "Moved on the corridor" in text
    note = text_of(page[page.index('id="agreement-table-1"') :][:4000])
    assert "include recruitment outside the agreement" in note
    # The corridor's nurses: the synthetic flows of XSR -> XDA.
    flows = pd.read_parquet(opt / "flows.parquet")
    sel = flows[(flows.origin == "XSR") & (flows.destination == "XDA") & (flows.cadre == "nurses")]
    expected = sel[sel.year == 2025].groupby("replicate")["workers"].sum().median()
    delivery = pd.read_csv(out / "agreements_delivery.csv")
    assert delivery.loc[delivery["year"] == 2025, "median"].item() == pytest.approx(expected)
    assert "not recorded" in text_of(table_html(page, "focus-corridor-table"))
    summary = text_of(page[page.index('id="summary"') : page.index('id="headline"')])
    assert "Sourceland→Destinia A agreement (nurses) moved on the corridor" in summary
    assert "against a quota of 500 a year" in summary
    # and what the agreements do to the country the workers come from, from its country table
    said = "Sourceland (XSR), where the agreements' workers come from, in 2025: "
    assert said in summary
    after = summary[summary.index(said) + len(said) :]
    assert after.startswith("health-worker density ") and "; emigration " in after
    changes = pd.read_csv(out / "focus_countries.csv")
    density = changes[(changes.country == "XSR") & (changes.indicator == "density")
                      & (changes.scenario == "agreement")]  # fmt: skip
    low, high = density[["change_p5", "change_p95"]].iloc[0]
    lo_t, hi_t = fmt.estimate(0.0, low, high, "density", signed=True)[1:]
    assert f"90% interval {lo_t} to {hi_t}" in after


def test_countries_option_chooses_the_pages(agreement_runs, tmp_path):
    _tmp, base, opt = agreement_runs
    result = write_briefing(
        load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world(), countries=["XEX"]
    )
    assert set(result.pages) == {"XEX"}
    assert result.focus == ["XSR", "XDA"]


# --------------------------------------------------------------------------------------------------
# scale artefacts


def test_a_country_smaller_than_one_agent_is_flagged_not_shown_as_zero(tmp_path):
    base, opt = _pair(tmp_path)
    for run_dir in (base, opt):
        ind = pd.read_parquet(run_dir / "indicators.parquet")
        tiny = (ind["country"] == "XEX") & ind["indicator"].isin(["stock", "density"])
        ind.loc[tiny, "value"] = 0.0  # the scale rounded its workforce to no agent
        pq.write_table(
            pa.Table.from_pandas(ind, preserve_index=False), run_dir / "indicators.parquet"
        )
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    table = table_html(page, "country-table")
    row = table[table.index("Exportia") :]
    row = row[: row.index("</tr>")]
    assert "too small for the scale" in row
    assert "0.0" not in text_of(row) and ">0<" not in row
    figure = page[page.index('data-figure="safeguards_list_density_change_2025"') :]
    caption = text_of(figure[figure.index("<figcaption>") : figure.index("</figcaption>")])
    assert "Not shown (health workforce smaller than one simulated worker" in caption


def test_one_outlier_interval_does_not_set_the_shared_axis():
    from sim.compare import figures

    names = ["A", "B", "C"]
    table = pd.DataFrame(
        {
            "country": names,
            "name": names,
            "opt|change|median": [0.5, 0.4, 0.3],
            "opt|change|p5": [0.4, 0.3, -40.0],  # C: a tiny country's noise
            "opt|change|p95": [0.6, 0.5, 60.0],
        }
    )
    chart = figures.country_changes(table, ["opt"], 2030)
    lo, hi = chart.figure.axes[0].get_xlim()
    assert hi < 5 and lo > -5  # set by the medians and most intervals, not by C
    assert "Arrows" in chart.caption
    quiet = figures.country_changes(
        table.assign(**{"opt|change|p5": 0.0, "opt|change|p95": 0.01, "opt|change|median": 0.005}),
        ["opt"],
        2030,
    )
    lo, hi = quiet.figure.axes[0].get_xlim()
    assert hi >= 0.1  # noise-sized changes do not fill the chart


def test_the_country_chart_puts_the_largest_changes_first_and_fades_unresolved_ones():
    """Rows run from the largest median change of any option down (a reader looks for the
    countries helped most); a country no option moves by its resolution (two simulated
    workers) is faded and marked †, and the caption says why."""
    from sim.compare import figures

    names = ["Alpha", "Beta", "Gamma", "Delta"]
    table = pd.DataFrame(
        {
            "country": ["A", "B", "C", "D"],
            "name": names,
            "one|change|median": [0.1, 2.0, 0.3, 0.05],
            "one|change|p5": [0.0, 1.5, 0.2, -3.0],
            "one|change|p95": [0.2, 2.5, 0.4, 3.0],
            "two|change|median": [0.9, 0.1, np.nan, 0.02],
            "two|change|p5": [0.8, 0.0, np.nan, -3.0],
            "two|change|p95": [1.0, 0.2, np.nan, 3.0],
        }
    )
    chart = figures.country_changes(table, ["one", "two"], 2030, resolution={"D": 1.5, "A": 0.1})
    ticks = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert ticks == ["Beta", "Alpha", "Gamma", "Delta †"]  # from the top: 2.0, 0.9, 0.3, 0.05
    assert "Faded, †" in chart.caption and "order of the largest change" in chart.caption
    plain = figures.country_changes(table, ["one", "two"], 2030)
    assert "†" not in plain.caption
    assert [t.get_text() for t in plain.figure.axes[0].get_yticklabels()][-1] == "Delta"


def test_the_country_chart_keeps_its_legend_when_every_country_is_faded():
    """An option that moves no listed country by two simulated workers (a destination's own
    policy, say) fades every row; the legend still tells the options apart."""
    from sim.compare import figures

    table = pd.DataFrame(
        {
            "country": ["A", "B"],
            "name": ["Alpha", "Beta"],
            **{
                f"{o}|change|{q}": [0.01, 0.02]
                for o in ("one", "two")
                for q in ("median", "p5", "p95")
            },
        }
    )
    chart = figures.country_changes(table, ["one", "two"], 2030, resolution={"A": 1, "B": 1})
    assert "Faded, †" in chart.caption
    legends = chart.figure.legends
    assert legends and [t.get_text() for t in legends[0].get_texts()] == ["one", "two"]


# --------------------------------------------------------------------------------------------------
# files: every table as CSV and xlsx, figures named for what they show, reuse, parallel drawing


def test_every_table_as_csv_and_in_one_workbook(agreement_runs, tmp_path):
    _tmp, base, opt = agreement_runs
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world())
    expected = {
        "headline",
        "glance",
        "corridors",
        "safeguards_countries",
        "money",
        "over_time",
        "agreements_delivery",
        "focus_countries",
        "focus_corridors",
        "focus_money",
        "map_density_change",
        "map_emigration_change",
    }
    assert set(result.tables) == expected
    for path in result.tables.values():
        assert len(pd.read_csv(path)) > 0, path
    book = pd.read_excel(result.workbook, sheet_name=None)
    assert set(book) == expected
    pd.testing.assert_frame_equal(
        book["headline"], pd.read_csv(out / "headline.csv"), check_dtype=False
    )
    page = result.index_html.read_text(encoding="utf-8")
    for name in ("briefing.xlsx", "corridors.csv", "money.csv", "glance.csv"):
        assert f'href="{name}"' in page
    names = {p.stem for p in (out / "figures").glob("*.svg")}
    assert "agreements_delivery_against_quota" in names
    assert "map_density_change_2025" in names and "focus_countries_density_over_time" in names
    assert all(not re.fullmatch(r"(fig|chart|figure)?\d*", n) for n in names)


def test_charts_are_reused_when_nothing_changed(agreement_runs, tmp_path, monkeypatch):
    from sim.compare import drawing

    _tmp, base, opt = agreement_runs
    out = tmp_path / "out"
    write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)

    def must_not_draw(*args, **kwargs):
        raise AssertionError("an unchanged chart was drawn again")

    monkeypatch.setattr(drawing, "_draw_and_save", must_not_draw)
    again = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world(), jobs=1)
    assert again.index_html.is_file()
    # Without the option, its charts (maps, agreement delivery) go: no stale figure files.
    monkeypatch.undo()
    alone = write_briefing(load_run(base), [], out, world=fake_world(), jobs=1)
    names = {p.stem for p in (out / "figures").glob("*.svg")}
    assert "agreements_delivery_against_quota" not in names
    assert {p.stem for p in (out / "figures").glob("*.png")} == names
    assert alone.index_html.is_file()


def test_the_chart_cache_digest_covers_every_module_that_draws():
    """A chart is reused only if its drawing code is unchanged: every module that makes figures,
    and the style and saving code, is in the digest (and exists)."""
    import ast

    from sim.compare import drawing

    here = ROOT / "sim" / "compare"
    drawing_modules = {"drawing.py", "chartstyle.py"}
    for path in here.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "sim.compare.chartstyle"
                and any(alias.name == "new_figure" for alias in node.names)
            ):
                drawing_modules.add(path.name)
    assert {"figures.py", "focus_figures.py", "maps.py"} <= drawing_modules
    assert drawing_modules <= set(drawing.CHART_CODE)
    assert all((here / name).is_file() for name in drawing.CHART_CODE)


def test_drawing_in_worker_processes_gives_the_same_files(agreement_runs, tmp_path):
    _tmp, base, opt = agreement_runs
    one = write_briefing(
        load_run(base), [load_run(opt)], tmp_path / "one", world=fake_world(), jobs=1
    )
    two = write_briefing(
        load_run(base), [load_run(opt)], tmp_path / "two", world=fake_world(), jobs=2
    )
    svgs = sorted(p.name for p in (tmp_path / "one" / "figures").glob("*.svg"))
    assert svgs == sorted(p.name for p in (tmp_path / "two" / "figures").glob("*.svg"))
    for name in svgs:
        a = (tmp_path / "one" / "figures" / name).read_bytes()
        b = (tmp_path / "two" / "figures" / name).read_bytes()
        assert a == b, name
    assert one.index_html.stat().st_size > 0 and two.index_html.stat().st_size > 0


# --------------------------------------------------------------------------------------------------
# maps


def test_map_outlines_cover_the_world_or_list_small_states():
    from sim.compare import maps

    world = pd.read_csv(ROOT / "sim" / "data" / "countries.csv")
    codes = list(world["iso3"])
    small = maps.small_states(codes)
    assert 15 <= len(small) <= 40  # island and city states, listed beside the map
    assert {"TUV", "SGP", "MLT", "MDV"} <= set(small)
    assert {"KEN", "GBR", "IND", "PHL", "FRA", "NOR"}.isdisjoint(small)
    x, y = maps.equal_earth(np.array([-180.0, 0.0, 180.0]), np.array([0.0, 90.0, 0.0]))
    assert x[0] == pytest.approx(-x[2]) and x[1] == pytest.approx(0.0) and y[1] > 1.2


def test_map_file_rebuilds_identically(tmp_path):
    pytest.importorskip("shapefile")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_map", ROOT / "scripts" / "build_map.py")
    build_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_map)
    source = next((p for p in build_map.SOURCES if p.is_dir()), None)
    if source is None:
        pytest.skip("the Natural Earth shapefile (shared/data/raw/naturalearth_110m) is absent")
    out = tmp_path / "world.json"
    assert build_map.main(["--source", str(source), "--out", str(out)]) == 0
    assert out.read_bytes() == (ROOT / "sim" / "data" / "world_110m.json").read_bytes()


def test_maps_list_small_states_with_their_values(agreement_runs, tmp_path):
    _tmp, base, opt = agreement_runs
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    # The synthetic countries have no outline: all are listed beside the maps, with values.
    table = table_html(page, "small-states-density-table")
    for name in NAMES:
        assert html.escape(name) in table
    density = pd.read_csv(tmp_path / "out" / "map_density_change.csv").set_index("country")
    assert set(density.index) == set(CODES)
    assert density.loc["XSR", "agreement"] == pytest.approx(0.2 * 3, abs=0.2)
    # a change within two simulated workers is greyed, as the map draws it as no change
    step = 200 * 1e4 / 30e6  # one simulated worker of Sourceland, per 10,000 (30 million people)
    rows = {re.sub(r"<[^>]+>", "", r.split("</td>")[0]).split(" (")[0]: r
            for r in table.split("<tr>")[1:]}  # fmt: skip
    xsr = rows["Sourceland"]
    assert abs(density.loc["XSR", "agreement"]) >= 2 * step and 'class="w"' not in xsr
    quiet = [c for c in CODES if abs(density.loc[c, "agreement"]) < 1e-9]
    assert quiet and all('class="w"' in rows[NAMES[CODES.index(c)]] for c in quiet)
    assert "Grey: within 2 simulated workers" in text_of(page)
    # the emigration map says what its emigrants count (a reader read a destination's migrants
    # going home as its own workers leaving)
    assert "migrants moving on or going home" in text_of(page)


# --------------------------------------------------------------------------------------------------
# the command line


def test_briefing_options_parse_and_reject_bad_codes():
    import argparse

    from sim.cli.compare import add_arguments, briefing_options

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["b.yaml", "o.yaml", "--title", "Nurses", "--focus", "ken, gha", "--countries", "KEN"]
    )
    assert briefing_options(args) == {
        "title": "Nurses",
        "focus": ("KEN", "GHA"),
        "countries": ["KEN"],
    }
    for bad in ("KENYA", "K1N", ","):
        with pytest.raises(SystemExit):
            parser.parse_args(["b.yaml", "o.yaml", "--focus", bad])


def test_tables_with_many_options_are_split_to_fit_a_page():
    from sim.compare.layout import Column, split_table

    columns = [Column(f"<th>opt{i}</th>", [f"<td>{i}</td>"]) for i in range(7)]
    page = split_table("t", "Table 1. Caption", ["<th>Row</th>"], [["<td>r</td>"]], columns)
    assert page.count("<table") == 3
    assert "(options 1–3 of 7)" in page and "(option 7 of 7)" in page  # not "7–7"
    for i in range(7):
        assert page.count(f"<th>opt{i}</th>") == 1
    assert page.count("<td>r</td>") == 3  # the row headers repeat in every part


def _cjk_chart(title: str):
    from matplotlib.figure import Figure

    from sim.compare.drawing import Chart

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().set_title(title)
    return Chart("cjk", title, "", figure=figure)


def test_characters_the_font_lacks_are_counted_not_warned_one_by_one(tmp_path, recwarn):
    """Names in Chinese printed dozens of matplotlib 'Glyph ... missing' warnings."""
    from sim.compare.drawing import Spec, _draw_and_save

    *_, missing = _draw_and_save(Spec(_cjk_chart, ("留任政策",)), str(tmp_path))
    assert missing == 4 and not [w for w in recwarn if "missing from font" in str(w.message)]
    *_, missing = _draw_and_save(Spec(_cjk_chart, ("Équité",)), str(tmp_path))
    assert missing == 0 and (tmp_path / "cjk.png").is_file()


def test_the_headline_says_the_baseline_path_the_changes_are_against(agreement_runs, tmp_path):
    """Before the options' changes, the baseline's own start and end (from its over-time table)."""
    _tmp, base, opt = agreement_runs
    out = tmp_path / "out"
    result = write_briefing(load_run(base), [load_run(opt)], out, world=fake_world())
    text = text_of(result.index_html.read_text(encoding="utf-8"))
    series = pd.read_csv(out / "over_time.csv")
    series = series[(series["scenario"] == "baseline") & (series["metric"] == "safeguards_density")]
    by_year = series.set_index("year")["median"]
    first, last = int(by_year.index.min()), int(by_year.index.max())
    start, end = (fmt.quote(by_year[y], "density", 3) for y in (first, last))
    assert (
        "In the baseline, health-worker density in the 2 safeguards-list countries goes from "
        f"{start} per 10,000 at the beginning of {first + 1} to {end} at the end of {last}"
    ) in text
    assert text.index("In the baseline,") < text.index("By the end of")


def test_the_over_time_charts_say_they_show_levels_not_the_tables_changes(agreement_runs, tmp_path):
    """The lines are medians of levels; the tables' changes are medians of paired differences:
    the section says so before its charts (a reader found the two 50 million apart)."""
    _tmp, base, opt = agreement_runs
    result = write_briefing(load_run(base), [load_run(opt)], tmp_path / "out", world=fake_world())
    page = result.index_html.read_text(encoding="utf-8")
    section = text_of(page[page.index('id="time"') :][:3000])
    assert "Each line is one scenario's median level across its replicates" in section
    assert "medians of paired differences" in section


def test_the_source_sentence_does_not_repeat_the_displacement_sentence():
    """Where the headline's displacement sentence already names the agreements' source country
    (its emigration), the source sentence gives its density only."""
    from sim.compare import summary

    changes = pd.DataFrame(
        {
            "country": ["PHL", "PHL"],
            "indicator": ["density", "emigrants"],
            "scenario": ["opt", "opt"],
            "change_p5": [-3.2, 4040.0],
            "change_median": [-2.8, 6000.0],
            "change_p95": [-2.4, 6400.0],
        }
    )
    row = pd.Series({"country": "PHL", "p5": 4040.0, "median": 6000.0, "p95": 6400.0})
    ctx = SimpleNamespace(
        focus_changes=changes,
        evidence=reading.Evidence(replicates=5, workers_per_agent=200.0),
        steps={"density": {"PHL": 0.02}},
        groups=SimpleNamespace(safeguards=("AAA",), name=lambda code: "Philippines"),
        year=2032,
        first=2022,
        elsewhere={"opt": row},
    )
    run = SimpleNamespace(name="opt")
    assert "Off the safeguards list" in summary._elsewhere(ctx, run)
    said = bool(summary._elsewhere(ctx, run))
    text = summary._source_effect(ctx, run, "PHL", emigration_said=said)
    assert "health-worker density falls by 2.8" in text and "emigration" not in text
    ctx.elsewhere = {"opt": None}
    said = bool(summary._elsewhere(ctx, run))
    assert "emigration rises by 6,000" in summary._source_effect(
        ctx, run, "PHL", emigration_said=said
    )


def test_an_agreement_sentence_gives_the_whole_corridor_beside_the_baseline():
    """An agreement that fills its quota while the corridor as a whole grows more must not read
    as the corridor's only change (a reader: 5,000 against 5,000 hid a corridor that doubled)."""
    from sim.compare import summary

    ctx = SimpleNamespace(groups=SimpleNamespace(name={"PHL": "Philippines", "GBR": "UK"}.get))
    agreement = SimpleNamespace(source="PHL", destination="GBR", cadre_label="nurses", start=2025)
    table = pd.DataFrame(
        {
            "year": [2024, 2025, 2026],
            "quota": [0.0, 5000.0, 5000.0],
            "median": [0.0, 5000.0, 5000.0],
            "corridor": [6200.0, 13800.0, 15400.0],
            "baseline": [6200.0, 5400.0, 6400.0],
        }
    )
    text = summary._delivery_sentence(ctx, agreement, table, "agreement")
    assert text == (
        "The Philippines→UK agreement (nurses) moved 5,000 a year (median by year, 2025–2026) "
        "against a quota of 5,000 a year. With every other move on the corridor, it carried "
        "13,800 to 15,400 a year, against 5,400 to 6,400 in the baseline."
    )
    corridor_only = summary._delivery_sentence(ctx, agreement, table, "corridor")
    assert "With every other move" not in corridor_only  # the corridor is what it moved
