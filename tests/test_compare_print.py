"""The README's briefing printed to PDF in headless Chromium, and briefings of bilateral agreements,
with the real model.

The README's main job (the baseline and seven options on the 194 WHO Member States) runs here with 2
replicates instead of 5 (the layout, the tables and their rows do not depend on the replicates);
its briefing is printed to A4 PDF and `pdftotext` must find, for every table of the page, every
option named in its header and every row. A UK–Kenya nurse agreement (1,000 a year from 2027,
fee-free, 3-year contracts, compensation) on a subset of the world checks that the briefing shows
the agreement's corridor, its delivery against the quota per year, and Kenya's own section.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from sim.compare import compare
from tests.test_compare import CHROMIUM, chromium_check
from tests.test_readme import readme_commands

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "results" / "ci-artifacts"
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = pytest.mark.slow


def readme_scenarios() -> list[str]:
    """The scenario files of the README's main job, in order."""
    command = readme_commands()[0]
    return re.findall(r"scenarios/\w+\.yaml", command.split("hrhsim compare", 1)[1])


@pytest.fixture(scope="module")
def readme_briefing(tmp_path_factory):
    files = [ROOT / f for f in readme_scenarios()]
    assert len(files) == 8 and files[0].name == "baseline.yaml"
    out = tmp_path_factory.mktemp("readme") / "briefing"
    result = compare(files[0], files[1:], out, replicates=2)
    return result


# --------------------------------------------------------------------------------------------------
# the tables of a page, as the HTML has them


class _Tables(HTMLParser):
    """Every <table>: its caption, header cells and the first cell of each body row (text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self._section = ""
        self._caption = False
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"id": dict(attrs).get("id"), "caption": "", "heads": [], "rows": []}
            self.tables.append(self._table)
        elif self._table is None:
            return
        elif tag == "caption":
            self._caption = True
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []
        elif tag in ("br", "span") and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if self._table is None:
            return
        if tag == "table":
            self._table = None
        elif tag == "caption":
            self._caption = False
        elif tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell).replace("\u200b", "")
            if self._section == "thead":
                lines = [line for line in text.split("\n") if line.strip()]
                self._table["heads"].append(lines[0] if lines else "")
            else:
                self._row.append(text)
            self._cell = None
        elif tag == "tr" and self._section == "tbody" and self._row:
            self._table["rows"].append(self._row[0])

    def handle_data(self, data):
        if self._table is None:
            return
        if self._caption:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def page_tables(page: str) -> list[dict]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def squash(text: str) -> str:
    return re.sub(r"\s+", "", html.unescape(text))


def tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s_()→,·\-‑]+", html.unescape(text)) if t]


def flat(text: str) -> str:
    """Text without whitespace and hyphens (pdftotext joins words hyphenated at a line end)."""
    return re.sub(r"[\s\-‑]+", "", html.unescape(text))


def print_to_pdf(index: Path, pdf: Path, tmp_path: Path) -> str:
    """Print the page to A4 PDF with headless Chromium; the PDF's text (pdftotext)."""
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile-pdf'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            index.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert pdf.is_file() and pdf.stat().st_size > 10_000, proc.stderr[-2000:]
    text = subprocess.run(
        [PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    return text


def check_tables_in_pdf(page: str, text: str, option_names: list[str]) -> int:
    """Every table's caption, every option in its header and every row label are in the text.

    The text of table k runs from its caption to the next table's caption (tables are found in
    order); an option or a row is there when all its words are. Returns the number of tables.
    """
    tables = page_tables(page)
    starts = []
    pos = 0
    for t in tables:
        words = t["caption"].split()[:6]
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        found = pattern.search(text, pos)
        assert found, f"caption of {t['id']} not in the PDF: {t['caption'][:80]!r}"
        starts.append(found.start())
        pos = found.start() + 1
    for k, t in enumerate(tables):
        end = starts[k + 1] if k + 1 < len(tables) else len(text)
        segment = flat(text[starts[k] : end])
        for head in t["heads"]:
            name = head.strip()
            if name in option_names:
                missing = [w for w in tokens(name) if w not in segment]
                assert not missing, f"option {name!r} missing from printed table {t['id']}"
        for row in t["rows"]:
            missing = [w for w in tokens(row) if w not in segment]
            assert not missing, f"row {row[:60]!r} of {t['id']} missing from the PDF: {missing}"
    return len(tables)


# --------------------------------------------------------------------------------------------------
# the README's briefing


@pytest.mark.skipif(
    not CHROMIUM.exists() or PDFTOTEXT is None,
    reason="needs /usr/bin/chromium and pdftotext (apt-get install chromium poppler-utils)",
)
def test_readme_briefing_prints_every_option_in_every_table(readme_briefing, tmp_path):
    result = readme_briefing
    index = result.index_html
    page = index.read_text(encoding="utf-8")
    options = [r.name for r in result.runs[1:]]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "briefing-readme.pdf"
    text = print_to_pdf(index, pdf, tmp_path)
    checked = check_tables_in_pdf(page, text, options)
    assert checked >= 10
    # Option tables: every option appears in the printed text of each table that lists options.
    for name in options:
        assert squash(name) in squash(text)
    # Nothing is clipped at the right edge: A4 pages, and the text of every option column made
    # it to the PDF (checked above); the headline table is split into groups of three options.
    assert page.count('data-table="headline-table"') == 3  # seven options: 3 + 3 + 1
    # The options at a glance, with their note, fit the first page with the title.
    first_page = squash(text.split("\f")[0])
    assert squash("At a glance") in first_page and squash("fewer US dollars.") in first_page
    for name in options:
        assert squash(name) in first_page, name
    shot = chromium_check(index, tmp_path, "briefing-readme.png")
    assert shot.is_file()


def test_readme_briefing_shows_the_shipped_agreements(readme_briefing):
    result = readme_briefing
    page = result.index_html.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    # The shipped bilateral_agreements option: the UK-Philippines corridor, its delivery against
    # the quota per simulated year, and the Philippines' own section and page.
    assert (
        "Agreement Philippines (PHL) → United Kingdom of Great Britain and Northern Ireland "
        "(GBR), nurses, in “bilateral_agreements”"
    ) in text
    delivery = pd.read_csv(result.out_dir / "agreements_delivery.csv")
    uk = delivery[
        (delivery["scenario"] == "bilateral_agreements")
        & (delivery["source"] == "PHL")
        & (delivery["destination"] == "GBR")
    ]
    assert list(uk["year"]) == list(range(2023, 2033))
    assert (uk.loc[uk["year"] >= 2025, "quota"] == 5000).all()
    assert (uk.loc[uk["year"] < 2025, "quota"] == 0).all()
    assert uk["median"].notna().all()
    assert "PHL" in result.briefing.focus and "PHL" in result.briefing.pages
    phl = result.briefing.pages["PHL"].read_text(encoding="utf-8")
    assert "Philippines (PHL)" in phl and "agreement-table" in phl
    assert 'href="countries/PHL.html"' in page
    # The figure of deliveries and the maps are in the page.
    for key in ("agreements_delivery_against_quota", "map_density_change_2032"):
        assert f'data-figure="{key}"' in page


# --------------------------------------------------------------------------------------------------
# a UK–Kenya agreement written by a ministry

KENYA_BASE = """\
name: kenya_baseline
description: A few countries around the Kenya-UK corridor.
world: {kind: global, countries: [KEN, GBR, UGA, TZA, NGA, GHA, ZAF, IND, PHL, USA, IRL, AUS]}
time: {start_year: 2023, years: 6, steps_per_year: 4}
scale: {workers_per_agent: 50}
replicates: 2
"""
UK_KENYA = """\
extends: base.yaml
name: uk_kenya
description: UK-Kenya nurse agreement from 2027 with compensation.
policies:
  agreements:
    - {source: KEN, destination: GBR, cadre: nurses, quota: 1000, fee_free: true,
       contract_years: 3, return_probability: 0.7, from: 2027}
  compensation: {enabled: true, payers: [GBR], recipients: [KEN], rate: 20000, from: 2027}
"""


def test_uk_kenya_agreement_shows_its_corridor_delivery_and_kenya(tmp_path):
    (tmp_path / "base.yaml").write_text(KENYA_BASE, encoding="utf-8")
    (tmp_path / "uk_kenya.yaml").write_text(UK_KENYA, encoding="utf-8")
    result = compare(tmp_path / "base.yaml", [tmp_path / "uk_kenya.yaml"], tmp_path / "out", jobs=1)
    page = result.index_html.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    # The agreement's corridor and its delivery against the quota, year by year.
    title = "Agreement Kenya (KEN) → United Kingdom of Great Britain and Northern Ireland (GBR)"
    assert title in text
    table = page[page.index('id="agreement-table-1"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td class=\"text\">(\d{4})</td><td>([\d,]+)</td>", table)
    assert [y for y, _ in rows] == [str(y) for y in range(2023, 2029)]
    assert [q for _, q in rows] == ["0"] * 4 + ["1,000"] * 2
    delivery = pd.read_csv(result.out_dir / "agreements_delivery.csv")
    moved = delivery.set_index("year")["median"]
    # Workers hired under the agreement (the run's agreements.parquet), a part of the corridor.
    hires = pd.read_parquet(result.runs[1].run_dir / "agreements.parquet")
    hires = hires[hires.agreement == 0]
    expected = hires.groupby(["year", "replicate"])["hired"].sum().groupby("year").median()
    flows = pd.read_parquet(result.runs[1].run_dir / "flows.parquet")
    ke = flows[(flows.origin == "KEN") & (flows.destination == "GBR") & (flows.cadre == "nurses")]
    corridor = ke.groupby(["year", "replicate"])["workers"].sum()
    hired = hires.groupby(["year", "replicate"])["hired"].sum()
    assert (hired <= corridor.reindex(hired.index, fill_value=0)).all()
    for year in (2027, 2028):
        assert moved[year] == pytest.approx(expected[year])
        assert 0 < moved[year] <= 1000
    summary = text[text.index("Headline messages") :]
    assert (
        "Kenya→United Kingdom of Great Britain and Northern Ireland agreement (nurses)" in summary
    )
    assert "against a quota of 1,000 a year" in summary
    # Kenya's own section and page, with its corridor to the UK and its compensation.
    focus = page[page.index('id="focus-table"') :]
    assert "Kenya (KEN)" in focus[: focus.index("</table>")]
    assert result.briefing.focus[:2] == ["KEN", "GBR"]
    kenya = result.briefing.pages["KEN"].read_text(encoding="utf-8")
    kenya_text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", kenya)))
    assert "Kenya (KEN)" in kenya_text and "Compensation received" in kenya_text
    assert "Kenya (KEN) → United Kingdom of Great Britain and Northern Ireland (GBR)" in kenya_text
