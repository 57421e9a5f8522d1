"""Nothing the user wrote or computed is lost, nothing is mixed (sim/outputs/results.py).

Run folders are built beside the old one and swapped in complete; a failed or interrupted re-run
leaves the previous run intact; concurrent runs into one folder leave one complete run that
`compare` may trust (per-table hashes); user files are never replaced; every file is written by
the one atomic writer (fsync); sweep run files that are empty or damaged are run again on resume;
temporary files of dead processes are cleaned; CSV cells cannot run as formulas.
"""

from __future__ import annotations

import ast
import errno
import fcntl
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import SetupError
from sim.outputs import folders, results
from tests.model_helpers import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

BASE = """\
name: tiny
world: {kind: archetypes}
time: {start_year: 2025, years: 2, steps_per_year: 4}
replicates: 2
engine: agents
scale: {workers_per_agent: 200}
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(BASE, encoding="utf-8")
    return path


def run(path: Path, out: Path, *extra: str) -> int:
    return main(["run", str(path), "-o", str(out), "--no-progress", *extra])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------------------------------
# run folders


def test_a_failed_rerun_keeps_the_previous_complete_run(scenario_file, tmp_path, monkeypatch):
    out = tmp_path / "res" / "tiny"
    assert run(scenario_file, out, "--seed", "1") == 0
    first = manifest(out)
    assert first["seed"] == 1 and set(first["files"]) == {
        "indicators.parquet",
        "flows.parquet",
        "stocks.parquet",
        "arrivals.parquet",
        "agreements.parquet",
    }
    assert results.verify_run_folder(out, first) == []

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results.os, "fsync", disk_full)  # every write hits a full disk
    assert run(scenario_file, out, "--seed", "2") == 2
    monkeypatch.undo()
    assert manifest(out) == first  # the previous run, whole
    assert results.verify_run_folder(out, first) == []
    assert leftovers(out.parent) == [] and leftovers(out) == []


def test_an_interrupted_rerun_keeps_the_previous_complete_run(scenario_file, tmp_path, monkeypatch):
    out = tmp_path / "tiny"
    assert run(scenario_file, out, "--seed", "1") == 0
    first = manifest(out)
    import sim.runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner, "write_run_folder", interrupted)
    assert run(scenario_file, out, "--seed", "2") == 130
    assert manifest(out) == first and results.verify_run_folder(out, first) == []


def test_a_rerun_replaces_the_whole_folder(scenario_file, tmp_path):
    out = tmp_path / "tiny"
    assert run(scenario_file, out, "--csv") == 0
    assert (out / "indicators.csv").is_file()
    assert run(scenario_file, out) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "agreements.parquet",
        "arrivals.parquet",
        "flows.parquet",
        "indicators.parquet",
        "manifest.json",
        "stocks.parquet",
    ]
    assert leftovers(tmp_path) == []


def test_user_files_are_never_replaced(scenario_file, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    assert run(scenario_file, out) == 2
    assert "not a results folder" in capsys.readouterr().err
    assert run(scenario_file, tmp_path / "run") == 0
    (tmp_path / "run" / "notes.txt").write_text("added later")
    assert run(scenario_file, tmp_path / "run") == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "my notes"
    assert (tmp_path / "run" / "notes.txt").read_text() == "added later"


_CONCURRENT = """
import sys
from sim.cli import main
sys.exit(main(["run", sys.argv[1], "-o", sys.argv[2], "--seed", sys.argv[3], "--no-progress"]))
"""


def test_concurrent_runs_into_one_folder_leave_one_complete_run(scenario_file, tmp_path):
    from sim.compare.cache import expected_key, matches
    from sim.inputs.scenario import load_scenario

    out = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CONCURRENT, str(scenario_file), str(out), str(seed)],
            env=ENV,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (11, 12, 13)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    final = manifest(out)
    assert final["seed"] in (11, 12, 13)
    assert results.verify_run_folder(out, final) == []
    indicators = pd.read_parquet(out / "indicators.parquet")
    assert sorted(indicators["replicate"].unique()) == [0, 1]
    scenario = load_scenario(scenario_file)
    assert matches(out, expected_key(scenario, seed=final["seed"], replicates=2))
    assert leftovers(tmp_path) == []


def test_write_probes_of_concurrent_runs_cannot_disturb_each_other(
    scenario_file, tmp_path, monkeypatch
):
    """The race of the test above, made certain.

    A run probes that it can write where it builds its folder (beside `out`), never inside `out`,
    which another run may be listing or swapping away; and another run's probe, caught before
    its removal, is not taken for a user's file.
    """
    out = tmp_path / "run"
    assert run(scenario_file, out, "--seed", "1") == 0
    real_mkdtemp = results.tempfile.mkdtemp
    probed = []

    def probe_left_by_another_run(*args, **kwargs):
        probed.append(Path(kwargs["dir"]).resolve())
        real_mkdtemp(*args, **kwargs)  # the other process's probe, not yet removed
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(results.tempfile, "mkdtemp", probe_left_by_another_run)
    assert run(scenario_file, out, "--seed", "2") == 0
    assert manifest(out)["seed"] == 2
    assert probed and out.resolve() not in probed
    monkeypatch.undo()
    left = next(p.name for p in tmp_path.iterdir() if p.name.startswith(".hrhsim-probe-"))
    (out / left).mkdir()  # even inside the folder itself, a probe is not a foreign file
    assert run(scenario_file, out, "--seed", "3") == 0


def test_compare_does_not_trust_a_mixed_folder(scenario_file, tmp_path):
    from sim.compare.cache import expected_key, matches
    from sim.inputs.scenario import load_scenario

    a, b = tmp_path / "a", tmp_path / "b"
    assert run(scenario_file, a, "--seed", "1") == 0
    assert run(scenario_file, b, "--seed", "2") == 0
    key = expected_key(load_scenario(scenario_file), seed=1, replicates=2)
    assert matches(a, key)
    (a / "flows.parquet").write_bytes((b / "flows.parquet").read_bytes())  # mixed runs
    assert not matches(a, key)


def test_left_over_staging_folders_are_cleaned_or_restored(scenario_file, tmp_path):
    out = tmp_path / "tiny"
    assert run(scenario_file, out) == 0
    dead = 2**22 + 12345  # no such process
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    host = results.HOST_TAG
    stale = tmp_path / f".tiny.new-{host}-{dead}-abcd1234"
    stale.mkdir()
    (stale / "indicators.parquet").write_bytes(b"half")
    temp = tmp_path / f".x.json.{host}-{dead}-abcd1234.tmp"
    temp.write_text("{")
    alive = tmp_path / f".y.json.{host}-{os.getpid()}-abcd1234.tmp"
    alive.write_text("{")
    # a crash between the two renames of a swap: the previous run waits in an `.old-` folder
    moved = tmp_path / f".tiny.old-{host}-{dead}-abcd1234"
    out.rename(moved)
    assert results.clean_temp_files(tmp_path) == 3
    assert not stale.exists() and not temp.exists() and alive.exists()
    assert results.verify_run_folder(out, manifest(out)) == []  # restored


# --------------------------------------------------------------------------------------------------
# one writer, CSV escaping


def test_every_file_goes_through_the_one_atomic_writer():
    """No module of the package writes files by itself (results.py is the one writer; filesets.py
    writes none: it moves a staged set of them into place, its renames undone on an error)."""
    calls = {"to_csv", "to_parquet", "savefig", "write_text", "write_bytes", "copyfile"}
    offenders = []
    for path in (ROOT / "sim").rglob("*.py"):
        if path.name == "results.py" or "__pycache__" in path.parts:
            continue
        renames = path.relative_to(ROOT).as_posix() == "sim/outputs/filesets.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(func, ast.Attribute) and func.attr in calls:
                offenders.append(f"{where} .{func.attr}(")
            if (
                not renames
                and isinstance(func, ast.Attribute)
                and func.attr in ("replace", "rename")
                and isinstance(func.value, ast.Name)
                and func.value.id == "os"
            ):
                offenders.append(f"{where} os.{func.attr}(")
            if isinstance(func, ast.Name) and func.id == "open" and _writes(node):
                offenders.append(f"{where} open(..., 'w')")
    assert offenders == []


def _writes(node: ast.Call) -> bool:
    """An `open(...)` call whose mode writes."""
    modes = [a for a in node.args[1:2]] + [k.value for k in node.keywords if k.arg == "mode"]
    return any(
        isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+")
        for m in modes
    )


def test_fsync_before_the_swap(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(results.os, "fsync", lambda fd: synced.append(fd) or real(fd))
    results.atomic_write(tmp_path / "a.bin", b"x")
    assert len(synced) >= 2  # the file, then its folder
    assert (tmp_path / "a.bin").read_bytes() == b"x" and leftovers(tmp_path) == []


def test_text_with_a_file_names_undecodable_bytes_is_written(tmp_path):
    """A calibration run from `$'\\xf5.yaml'` wrote its command line into fitted.yaml and
    stopped at the end, all its runs done, with "unexpected error: UnicodeEncodeError"."""
    results.atomic_write(tmp_path / "f.yaml", "# Command: hrhsim calibrate \udcf5.yaml\n")
    text = (tmp_path / "f.yaml").read_text(encoding="utf-8")
    assert text == "# Command: hrhsim calibrate \\udcf5.yaml\n" and leftovers(tmp_path) == []


def test_csv_cells_cannot_run_as_formulas(tmp_path):
    frame = pd.DataFrame(
        {
            "option": ['=HYPERLINK("http://x")', "+1", "-1+1", "@SUM(A1)", "\tx", "ok"],
            "change": [-1.5, 2.0, -3.0, 0.0, 1.0, -0.25],
        }
    )
    path = results.write_csv(tmp_path / "t.csv", frame)
    back = pd.read_csv(path)
    assert list(back["option"]) == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-1+1",
        "'@SUM(A1)",
        "'\tx",
        "ok",
    ]
    assert list(back["change"]) == [-1.5, 2.0, -3.0, 0.0, 1.0, -0.25]  # numbers stay numbers


def test_briefing_tables_are_escaped_in_csv_and_xlsx(tmp_path):
    """Briefing tables name options by their (user-given) names: no formula in CSV or xlsx."""
    from openpyxl import load_workbook

    from sim.compare import export

    frame = pd.DataFrame({"option": ['=HYPERLINK("http://x")', "ok"], "change": [-1.0, 2.0]})
    names, book = export.write_tables(tmp_path, {"headline": frame})
    back = pd.read_csv(tmp_path / names["headline"])
    assert list(back["option"]) == ['\'=HYPERLINK("http://x")', "ok"]
    assert list(back["change"]) == [-1.0, 2.0]
    sheet = load_workbook(tmp_path / book)["headline"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula cell
    # the workbook types the cell as text: shown as written, without the CSV's apostrophe
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -1.0
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# sweeps


TOY = """\
name: toy
model: toy
seed: 7
fixed: {sleep: 0}
parameters:
  a: {levels: [0, 1, 2, 3]}
design: {kind: grid}
replicates: 2
outcomes: [y, z]
"""


@pytest.fixture(scope="module")
def dask_client():
    from sim.sweep.execute import dask_client as make

    with make(workers=1) as client:
        yield client


def test_damaged_run_files_are_run_again_on_resume(tmp_path, dask_client):
    from sim.sweep.execute import load_runs, run_sweep
    from sim.sweep.spec import load_sweep

    path = tmp_path / "toy.yaml"
    path.write_text(TOY, encoding="utf-8")
    spec = load_sweep(path)
    out = tmp_path / "out"
    first = run_sweep(spec, out, client=dask_client)
    assert first.complete and first.ran == 8
    reference = load_runs(out, complete=True)
    files = sorted((out / "runs").glob("*.parquet"))
    files[0].write_bytes(b"")  # zero bytes (killed before the first write reached the disk)
    files[1].write_bytes(b"PAR1 garbage")  # corrupt
    files[2].write_bytes(files[2].read_bytes()[:-10])  # truncated
    again = run_sweep(spec, out, client=dask_client)
    assert again.skipped == 5 and again.ran == 3 and again.complete
    columns = ["point_id", "replicate", "seed", "a", "y", "z"]
    pd.testing.assert_frame_equal(load_runs(out, complete=True)[columns], reference[columns])


def test_load_runs_names_a_damaged_file(tmp_path, dask_client):
    from sim.errors import HrhsimError
    from sim.sweep.execute import load_runs, run_sweep
    from sim.sweep.spec import load_sweep

    path = tmp_path / "toy.yaml"
    path.write_text(TOY, encoding="utf-8")
    out = tmp_path / "out"
    run_sweep(load_sweep(path), out, client=dask_client)
    next((out / "runs").glob("*.parquet")).write_bytes(b"")
    with pytest.raises(HrhsimError, match="empty or damaged"):
        load_runs(out)


def test_sweep_disk_full_stops_with_a_clear_error(tmp_path, dask_client, monkeypatch, capsys):
    from sim.sweep import execute
    from sim.sweep.spec import load_sweep

    path = tmp_path / "toy.yaml"
    path.write_text(TOY, encoding="utf-8")
    out = tmp_path / "out"
    written = []
    real = execute.write_run

    def fill_up(runs_dir, row, schema):
        if len(written) >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(row["run_key"])
        return real(runs_dir, row, schema)

    monkeypatch.setattr(execute, "write_run", fill_up)
    with pytest.raises(OSError):
        execute.run_sweep(load_sweep(path), out, client=dask_client)
    assert len(list((out / "runs").glob("*.parquet"))) == 3  # finished runs kept
    # through the command line: exit 2, one line naming the problem
    monkeypatch.setattr(results.os, "fsync", _full_disk)
    assert main(["sweep", str(path), "-o", str(tmp_path / "o2"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err


def _full_disk(fd):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_one_sweep_at_a_time_per_folder(tmp_path):
    from sim.sweep.execute import run_sweep
    from sim.sweep.spec import load_sweep

    path = tmp_path / "toy.yaml"
    path.write_text(TOY, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    fd = _held(out)  # another sweep holds the folder
    try:
        with pytest.raises(SetupError, match="another hrhsim command is writing"):
            run_sweep(load_sweep(path), out, client=object())
    finally:
        os.close(fd)


def _held(folder: Path):
    """Hold `folder` as another hrhsim command writing to it would (`folders.held_folder`)."""
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_one_compare_at_a_time_per_folder(scenario_file, tmp_path, capsys):
    """Two compares into one folder mixed their briefings' files (each swapped in its own)."""
    out = tmp_path / "briefing"
    option = tmp_path / "option.yaml"
    option.write_text("extends: tiny.yaml\nname: tiny_option\n", encoding="utf-8")
    args = ["compare", str(scenario_file), str(option), "-o", str(out), "--no-progress"]
    assert main(args) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    fd = _held(out)
    try:
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert f"another hrhsim command is writing to {out}" in err and "\n" not in err
        assert "give this compare another -o" in err
    finally:
        os.close(fd)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert main(args) == 0  # released: the next compare writes


def test_a_failed_compare_leaves_no_folder_it_created(scenario_file, tmp_path, monkeypatch, capsys):
    from sim.compare import pipeline

    def fails(*args, **kwargs):
        raise SetupError("the disk went away")

    monkeypatch.setattr(pipeline, "run_or_reuse", fails)
    option = tmp_path / "option.yaml"
    option.write_text("extends: tiny.yaml\nname: tiny_option\n", encoding="utf-8")
    out = tmp_path / "new" / "briefing"
    args = ["compare", str(scenario_file), str(option), "-o", str(out), "--no-progress"]
    assert main(args) == 2
    assert "the disk went away" in capsys.readouterr().err  # failed in the held folder
    assert not (tmp_path / "new").exists()


def test_a_run_names_the_command_whose_folder_it_refuses(scenario_file, tmp_path, capsys):
    """A run refused a sweep's or a briefing's folder as "not a results folder"; compare and
    sweep name what they find ("holds the results of a run (manifest.json), not a sweep")."""
    for marker, what in (("sweep.json", "a sweep"), ("index.html", "a briefing")):
        out = tmp_path / marker.split(".")[0]
        out.mkdir()
        (out / marker).write_text("{}")
        assert run(scenario_file, out) == 2
        err = capsys.readouterr().err
        assert f"{out} holds {what} ({marker}), not the results of a run" in err, err
        assert sorted(os.listdir(out)) == [marker]


def test_a_run_does_not_replace_a_folder_a_compare_holds(scenario_file, tmp_path, capsys):
    """The held folder stays the folder held: a run, which replaces an empty folder, finds the
    compare's runs/ there and is refused."""
    with folders.held_folder(tmp_path / "briefing", "compare", "runs") as out:
        inode = out.stat().st_ino
        assert run(scenario_file, out) == 2
        assert out.stat().st_ino == inode and sorted(os.listdir(out)) == ["runs"]
    assert f"the output folder {out} is not a results folder" in capsys.readouterr().err


def test_one_calibration_at_a_time_per_folder(tmp_path):
    from sim.calibrate.engine import calibrate
    from sim.calibrate.spec import load_spec
    from tests.test_calibration_spec import BASE, _spec

    spec = load_spec(_spec(tmp_path, BASE))
    out = tmp_path / "calibration"
    out.mkdir()
    fd = _held(out)
    try:
        with pytest.raises(SetupError, match="another hrhsim command is writing to"):
            calibrate(spec, out, client=object())
    finally:
        os.close(fd)
    assert list(out.iterdir()) == []  # nothing written


def test_a_folder_that_cannot_be_locked_is_used_with_a_warning(tmp_path, monkeypatch, caplog):
    """A file system without locks (some network ones) does not stop a compare or a sweep."""

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(folders.fcntl, "flock", no_locks)
    with folders.held_folder(tmp_path / "out", "compare", "runs") as out:
        assert (out / "runs").is_dir()
    assert "cannot be locked (No locks available)" in caplog.text


def test_sweep_cleans_temporary_files_of_dead_writers(tmp_path):
    from sim.sweep.execute import run_sweep
    from sim.sweep.spec import load_sweep

    path = tmp_path / "toy.yaml"
    path.write_text(TOY.replace("[0, 1, 2, 3]", "[0]").replace("replicates: 2", "replicates: 1"))
    out = tmp_path / "out"
    runs = out / "runs"
    runs.mkdir(parents=True)
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = int(proc.stdout)
    stale = runs / f".abc.parquet.{results.HOST_TAG}-{dead}-00000000.tmp"
    stale.write_bytes(b"half a run")
    with pytest.raises(Exception):  # noqa: B017 - no Dask client: it stops after the clean-up
        run_sweep(load_sweep(path), out, client=object())
    assert not stale.exists()


def test_a_sweep_whose_workers_died_says_so(tmp_path):
    """External scheduler, one worker killed mid-sweep: exit 2 and a clear message, no wait."""
    from tests.test_sweep import DaskProcesses

    procs = DaskProcesses(tmp_path / "dask", n_workers=1)
    try:
        path = tmp_path / "toy.yaml"
        path.write_text(TOY.replace("sleep: 0", "sleep: 1.0"), encoding="utf-8")
        out = tmp_path / "out"
        cmd = [sys.executable, "-m", "tests.sweep_cli", "sweep", str(path), "-o", str(out)]
        start = time.monotonic()
        proc = subprocess.Popen(
            [*cmd, "--scheduler", procs.address, "--no-progress"],
            env=ENV,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not (out / "runs").is_dir() or not list((out / "runs").glob("*.parquet")):
            assert time.monotonic() < deadline and proc.poll() is None, "the sweep did not start"
            time.sleep(0.05)
        procs.kill(procs.workers[0])
        killed = time.monotonic()
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        assert "no Dask worker" in err and "Traceback" not in err
        assert time.monotonic() - killed < 40 and time.monotonic() - start < 90
        assert list((out / "runs").glob("*.parquet"))  # finished runs kept
    finally:
        procs.close()


# --------------------------------------------------------------------------------------------------
# warnings that are not errors


def test_a_projection_ending_before_the_run_warns(tmp_path, capsys):
    text = (ROOT / "sim" / "data" / "archetypes.yaml").read_text(encoding="utf-8")
    world = text.replace("projection_years: [2000, 2100]", "projection_years: [2000, 2026]")
    (tmp_path / "w.yaml").write_text(world, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        BASE.replace("world: {kind: archetypes}", "world: {kind: file, file: w.yaml}").replace(
            "years: 2,", "years: 5,"
        ),
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path / "s.yaml")]) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and "2000-2026" in err and "2025-2029" in err


def test_threads_do_not_share_a_swap(scenario_file, tmp_path):
    """Two writers in one process (threads) into one folder: one whole run remains."""
    from sim.outputs.results import parquet_writer, write_run_folder

    out = tmp_path / "x"
    frames = {i: pd.DataFrame({"v": [i] * 1000}) for i in range(4)}
    errors = []

    def write(i: int) -> None:
        try:
            write_run_folder(
                out,
                {"indicators.parquet": parquet_writer(frames[i])},
                {"scenario": {}, "code_hash": "c", "i": i},
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = manifest(out)
    assert results.verify_run_folder(out, final) == []
    assert pd.read_parquet(out / "indicators.parquet")["v"].eq(final["i"]).all()
    assert leftovers(tmp_path) == []


@given(st.text(max_size=400))
def test_a_folder_slug_is_one_safe_folder_name(name):
    slug = folders.folder_slug(name)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}", slug) or slug == "scenario"
    assert slug not in (".", "..") and "/" not in slug


def test_default_results_folder_is_a_slug_of_the_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("name: tiny", "name: Équité santé (2030)"), encoding="utf-8")
    assert main(["run", str(path), "--no-progress"]) == 0
    slug = folders.default_folder("Équité santé (2030)")
    assert slug.startswith("Equite_sante_2030-") and len(slug) == len("Equite_sante_2030") + 9
    assert (tmp_path / "results" / slug / "manifest.json").is_file()


@given(st.text(max_size=80), st.text(max_size=80))
def test_two_names_never_share_a_default_folder(a, b):
    """`退休政策` and `留任政策` both slugged to `scenario`: the second run replaced the first."""
    fa, fb = folders.default_folder(a), folders.default_folder(b)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}(-[0-9a-f]{8})?", fa), fa
    if a != b:
        assert fa != fb, (a, b)
    assert folders.default_folder("baseline") == "baseline"  # plain names are unchanged


def test_a_run_that_replaces_another_scenarios_run_says_so(tmp_path, capsys):
    """`run -o DIR` replaces DIR whole (documented); another scenario's run there is named."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(BASE, encoding="utf-8")
    second.write_text(BASE.replace("name: tiny", "name: other"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(first), "-o", str(out), "--no-progress"]) == 0
    assert main(["run", str(first), "-o", str(out), "--no-progress"]) == 0
    assert "replaces it" not in capsys.readouterr().err  # the same scenario again: nothing said
    assert main(["run", str(second), "-o", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "holds the run of scenario 'tiny'" in err and "'other' replaces it" in err
