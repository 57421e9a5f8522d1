"""A briefing's files appear together: never a new `index.html` beside the previous tables.

`write_briefing` writes the page, the country pages, the figures, the CSV tables and the workbook
into a hidden staging folder inside the output folder and swaps them in only when all are written
(`sim.outputs.filesets`). An error or a Ctrl-C half way leaves the previous briefing whole and
unchanged; a briefing that succeeds leaves no staging folder and takes the previous briefing's
files with it (not the runs, not the user's own files).
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from sim.compare import load_run, pages, write_briefing
from sim.errors import SetupError
from sim.outputs import filesets
from tests.test_compare import default_scenario, fake_world, write_synthetic_run
from tests.test_compare_briefing import _agreement


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("set")
    base = write_synthetic_run(tmp / "baseline", default_scenario())
    option = default_scenario(
        name="agreement", policies__agreements=[_agreement("XSR", "XDA", quota=500.0, start=2024)]
    )
    opt = write_synthetic_run(tmp / "agreement", option, effect=0.2)
    return load_run(base), load_run(opt)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too), by relative path: its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _staging(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*") if ".new-" in p.name or p.name.endswith(".tmp")]


def _previous_briefing(runs, out: Path) -> dict[str, bytes]:
    """A complete briefing in `out`, a run and a file of the user's beside it; all its files."""
    base, opt = runs
    write_briefing(base, [opt], out, world=fake_world(), jobs=1, title="First", focus_codes=["XMI"])
    (out / "runs" / "kept").mkdir(parents=True)
    (out / "runs" / "kept" / "manifest.json").write_text("{}")
    (out / "my notes.txt").write_text("the user's")
    (out / "figures" / "my_chart.png").write_text("the user's chart")
    (out / "countries" / "notes.html").write_text("the user's page")
    return _files(out)


@pytest.mark.parametrize("stop", [SetupError("cannot write: the disk is full"), KeyboardInterrupt])
def test_an_error_half_way_leaves_the_previous_briefing_whole(runs, tmp_path, monkeypatch, stop):
    """The country pages fail (after the figures, tables, workbook and page were written): the
    folder holds the previous briefing, byte for byte, and nothing of the new one."""
    out = tmp_path / "out"
    before = _previous_briefing(runs, out)
    assert {"index.html", "headline.csv", "briefing.xlsx", "countries/XMI.html"} <= set(before)

    def fails(*args, **kwargs):
        raise stop

    monkeypatch.setattr(pages, "country_page", fails)
    base, opt = runs
    with pytest.raises(type(stop) if isinstance(stop, Exception) else stop):
        write_briefing(
            base, [opt], out, world=fake_world(), jobs=1, title="Second", focus_codes=["XMI"]
        )
    assert _files(out) == before
    assert _staging(out) == []


def test_a_briefing_replaces_the_previous_one_whole_and_leaves_no_staging(runs, tmp_path):
    """The previous briefing's tables, charts and pages that the new one lacks go; the runs and
    the user's files stay; no staging folder or temporary file is left."""
    out = tmp_path / "out"
    before = _previous_briefing(runs, out)
    base, _opt = runs
    result = write_briefing(base, [], out, world=fake_world(), jobs=1, title="Alone")
    after = _files(out)
    assert _staging(out) == []
    assert result.index_html == out / "index.html" and "Alone" in result.index_html.read_text()
    assert all(p.is_file() and p.parent == out / "figures" for p in result.figures)
    assert result.headline_csv == out / "headline.csv" and result.headline_csv.is_file()
    assert {k: v.parent for k, v in result.tables.items()} == dict.fromkeys(result.tables, out)
    for gone in ("agreements_delivery.csv", "map_density_change.csv", "countries/XMI.html"):
        assert gone in before and gone not in after, gone
    stale = {p for p in before if p.startswith("figures/") and p.endswith(".svg")} - set(after)
    assert "figures/agreements_delivery_against_quota.svg" in stale
    assert after["my notes.txt"] == b"the user's"
    assert after["runs/kept/manifest.json"] == b"{}"
    assert after["figures/my_chart.png"] == b"the user's chart"
    assert after["countries/notes.html"] == b"the user's page"


def test_the_users_files_in_figures_and_countries_stay(runs, tmp_path):
    """`figures/` and `countries/` are the briefing's and may hold the user's files too: a new
    briefing replaces the charts and pages the previous one wrote (and drops those it lacks),
    file by file, and leaves the user's there, unchanged."""
    out = tmp_path / "out"
    before = _previous_briefing(runs, out)
    base, opt = runs
    write_briefing(base, [opt], out, world=fake_world(), jobs=1, title="Again", countries=["XDA"])
    after = _files(out)
    assert _staging(out) == []
    for mine in ("figures/my_chart.png", "countries/notes.html", "my notes.txt"):
        assert after[mine] == before[mine], mine
    assert "Again" in after["countries/XDA.html"].decode()
    charts = json.loads(after["figures/.charts.json"])
    drawn = {f"figures/{e['key']}.{ext}" for e in charts.values() for ext in ("png", "svg")}
    assert drawn <= set(after)
    for gone in ("countries/XMI.html", "figures/country_XMI_over_time.svg"):  # not asked for
        assert gone in before and gone not in after, gone
    assert {p for p in after if p.startswith("figures/")} == {
        *drawn,
        "figures/.charts.json",
        "figures/my_chart.png",
    }


def test_a_swap_that_fails_half_way_is_undone(tmp_path, monkeypatch):
    """Moving the staged files in fails at the second: the first is swapped back, the previous
    set is whole, the error names the file, and the staging folder goes."""
    out = tmp_path / "out"
    out.mkdir()
    for name, text in (("j.csv", "old j"), ("k.csv", "old k"), ("index.html", "old page")):
        (out / name).write_text(text)
    (out / "stale.csv").write_text("old stale")
    before = _files(out)
    calls = []
    exchange = filesets.exchange_paths

    def breaks(a: Path, b: Path) -> bool:
        calls.append(b.name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(b))
        return exchange(a, b)

    monkeypatch.setattr(filesets, "exchange_paths", breaks)
    with (
        pytest.raises(SetupError, match=r"k\.csv: the disk is full"),
        filesets.staged_files(
            out, "set", owned=lambda name: name.endswith(".csv"), last=["index.html"]
        ) as stage,
    ):
        for name in ("index.html", "k.csv", "j.csv"):
            (stage / name).write_text(f"new {name}")
    assert calls[:2] == ["j.csv", "k.csv"]  # the page that links the rest comes last
    assert _files(out) == before
    assert _staging(out) == []


def test_an_error_names_the_file_where_it_was_going_not_the_staging_folder(tmp_path):
    """A write that fails in the staging folder is reported at its place in the output folder."""
    out = tmp_path / "out"
    with pytest.raises(SetupError) as caught, filesets.staged_files(out, "briefing") as stage:
        raise SetupError(f"{stage / 'headline.csv'}: the disk is full", file=str(stage / "x.csv"))
    assert str(out / "headline.csv") + ": the disk is full" in str(caught.value)
    assert caught.value.file == str(out / "x.csv")
    assert ".briefing.new-" not in str(caught.value)


def test_a_swap_into_shared_folders_with_adopted_entries_is_all_or_none(tmp_path, monkeypatch):
    """A `merged` folder holding the user's file is swapped file by file (the user's file stays,
    the previous set's extra file goes); an `adopt`ed folder replaces its predecessor. A swap
    that fails at the page puts everything back, the adopted folder where it was."""
    out = tmp_path / "out"
    for name, text in (
        ("index.html", "old page"),
        ("figures/a.png", "old a"),
        ("figures/gone.png", "old gone"),
        ("figures/mine.png", "the user's"),
        ("runs/base/manifest.json", "old run"),
        (".pending/base/manifest.json", "new run"),
    ):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    before = _files(out)
    owned = {"index.html", "figures", "figures/a.png", "figures/gone.png"}.__contains__
    adopt = {"runs/base": out / ".pending" / "base"}
    exchange = filesets.exchange_paths

    def swap(fail: bool) -> None:
        with filesets.staged_files(
            out, "set", owned=owned, last=["index.html"], merged=["figures"], adopt=adopt
        ) as stage:
            (stage / "figures").mkdir()
            for name in ("index.html", "figures/a.png", "figures/b.png"):
                (stage / name).write_text(f"new {name}")
            if fail:
                monkeypatch.setattr(filesets, "exchange_paths", breaks)

    def breaks(a: Path, b: Path) -> bool:
        if b.name == "index.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(b))
        return exchange(a, b)

    with pytest.raises(SetupError, match=r"index\.html: the disk is full"):
        swap(fail=True)
    assert _files(out) == before
    assert _staging(out) == []
    monkeypatch.setattr(filesets, "exchange_paths", exchange)
    swap(fail=False)
    assert _files(out) == {
        "index.html": b"new index.html",
        "figures/a.png": b"new figures/a.png",
        "figures/b.png": b"new figures/b.png",
        "figures/mine.png": b"the user's",
        "runs/base/manifest.json": b"new run",
    }
    assert os.listdir(out / ".pending") == []
