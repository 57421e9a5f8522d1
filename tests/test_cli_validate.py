"""`hrhsim validate` and `hrhsim world`: output, exit status 2, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.cli.app import build_parser, check_environment, main

REPO = Path(__file__).resolve().parents[1]

VALID = """\
name: demo
world:
  kind: archetypes
time:
  start_year: 2025
  years: 10
policies:
  agreements:
    - {source: XSR, destination: XDA, quota: 100}
  retention: {enabled: true, countries: [XSR, XEX]}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------------------------------
# validate: success


def test_validate_ok_line(tmp_path, capsys):
    path = write(tmp_path, "demo.yaml", VALID)
    status, out, err = run(capsys, "validate", str(path))
    assert status == 0, err
    assert out == (f"OK  {path} (name: demo, world: archetypes, 5 countries, years 2025-2034)\n")
    assert "Traceback" not in err


def test_validate_counts_selected_countries_and_applies_set(tmp_path, capsys):
    path = write(tmp_path, "demo.yaml", VALID)
    status, out, err = run(
        capsys,
        "validate",
        str(path),
        "--set",
        "world.countries=[XSR, XEX, XDA]",
        "--set",
        "time.years=1",
    )
    assert status == 0, err
    assert "3 countries, years 2025-2025" in out
    status, out, _ = run(
        capsys,
        "validate",
        str(path),
        "--set",
        "world.countries=safeguards",
        "--set",
        "policies.agreements=[]",
        "--set",
        "policies.retention.countries=safeguards",
    )
    assert status == 0 and "1 country," in out
    # Policies must not name countries the subset leaves out.
    status, _, err = run(capsys, "validate", str(path), "--set", "world.countries=[XSR, XDA]")
    assert status == 2 and "'XEX' is not simulated" in err


def test_validate_world_file_scenario(tmp_path, capsys):
    world = (REPO / "sim" / "data" / "archetypes.yaml").read_text(encoding="utf-8")
    write(tmp_path, "worlds/mine.yaml", world)
    path = write(tmp_path, "scen/s.yaml", "world:\n  kind: file\n  file: ../worlds/mine.yaml\n")
    status, out, err = run(capsys, "validate", str(path))
    assert status == 0, err
    assert "world: file " in out and "mine.yaml" in out and "5 countries" in out


# --------------------------------------------------------------------------------------------------
# validate: every error kind through the CLI, exit 2, one line on stderr, no traceback

ERROR_CASES = {
    "malformed": (
        "name: x\ntime:\n  years: [1, 2\n  start_year: 2025\n",
        "bad.yaml:4: malformed YAML",
    ),
    "unknown-key": (
        "world: {kind: archetypes}\nbehavour:\n  wage_weight: 1\n",
        "bad.yaml:2: behavour: unknown key 'behavour'; did you mean 'behaviour'?",
    ),
    "wrong-type": (
        "world: {kind: archetypes}\ntime:\n  years: 10.0\n",
        "bad.yaml:3: time.years: expected an integer, got number 10.0",
    ),
    "bool-for-number": (
        "world: {kind: archetypes}\nbehaviour: {wage_weight: true}\n",
        "behaviour.wage_weight: expected a number, got boolean true",
    ),
    "out-of-range": (
        "world: {kind: archetypes}\nbehaviour:\n  wage_weight: 25\n",
        "bad.yaml:3: behaviour.wage_weight: 25 is out of range (above the maximum 20)",
    ),
    "bad-enum": (
        "world: {kind: archetypes}\nengine: agent\n",
        "bad.yaml:2: engine: invalid choice string 'agent'; did you mean 'agents'?",
    ),
    "code-in-selector": (
        "world: {kind: archetypes}\npolicies:\n  retention:\n    countries: [XSR, XSS]\n",
        "bad.yaml:4: policies.retention.countries.1: unknown country code 'XSS' in the "
        "archetypes world; did you mean XSR",
    ),
    "code-in-agreement": (
        "world: {kind: archetypes}\npolicies:\n  agreements:\n"
        "    - {source: XSR, destination: XDZ}\n",
        "bad.yaml:4: policies.agreements.0.destination: unknown country code 'XDZ'",
    ),
    "code-in-world-countries": (
        "world:\n  kind: archetypes\n  countries: [XSR, XMO]\n",
        "bad.yaml:3: world.countries.1: unknown country code 'XMO' in the archetypes world; "
        "did you mean XMI",
    ),
    "missing-required": (
        "world: {kind: archetypes}\npolicies:\n  agreements:\n    - {source: XSR}\n",
        "bad.yaml:4: policies.agreements.0: missing required key 'destination'",
    ),
    "from-after-until": (
        "world: {kind: archetypes}\npolicies:\n  bonding:\n    from: 2030\n    until: 2029\n",
        "bad.yaml:5: policies.bonding.until: until (2029) is before from (2030)",
    ),
    "missing-extends": (
        "extends: missing/base.yaml\n",
        "bad.yaml:1: extends: extended file not found: ",
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_validate_errors(tmp_path, capsys, case):
    text, fragment = ERROR_CASES[case]
    path = write(tmp_path, "bad.yaml", text)
    status, out, err = run(capsys, "validate", str(path))
    assert status == 2
    assert out == ""
    assert fragment in err, err
    assert err.startswith("error: ")
    assert err.count("\n") == 1  # one line
    assert "Traceback" not in err


def test_validate_cyclic_extends(tmp_path, capsys):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    status, _out, err = run(capsys, "validate", str(a))
    assert status == 2
    assert "cyclic extends" in err and "a.yaml -> " in err and "b.yaml -> " in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        (
            "behaviour.wage_wieght=1",
            "--set: behaviour.wage_wieght: no key 'wage_wieght' in "
            "'behaviour'; did you mean 'wage_weight'?",
        ),
        ("tiem.years=3", "did you mean 'time'?"),
        (
            "behaviour.wage_weight=fast",
            "--set: behaviour.wage_weight: expected a number, got string 'fast'",
        ),
        ("time.years=2.5", "--set: time.years: expected an integer, got number 2.5"),
        (
            "policies.agreements.3.quota=1",
            "--set: policies.agreements.3.quota: list index 3 out "
            "of range: 'policies.agreements' has 1 item",
        ),
        ("world.countries=[XSR, KEN]", "--set: world.countries.1: unknown country code 'KEN'"),
        ("time.years", "--set: expected PATH=VALUE"),
    ],
)
def test_validate_set_errors(tmp_path, capsys, override, fragment):
    path = write(tmp_path, "demo.yaml", VALID)
    status, _out, err = run(capsys, "validate", str(path), "--set", override)
    assert status == 2
    assert fragment in err, err
    assert "Traceback" not in err


def test_validate_checks_every_file(tmp_path, capsys):
    good = write(tmp_path, "good.yaml", VALID)
    bad1 = write(tmp_path, "bad1.yaml", "world: {kind: archetypes}\nseed: -4\n")
    bad2 = write(tmp_path, "bad2.yaml", "world: {kind: archetypes}\nreplicate: 3\n")
    other = write(tmp_path, "other.yaml", "world: {kind: archetypes}\nname: second\n")
    status, out, err = run(capsys, "validate", str(bad1), str(good), str(bad2), str(other))
    assert status == 2
    assert out.splitlines() == [
        f"OK  {good} (name: demo, world: archetypes, 5 countries, years 2025-2034)",
        f"OK  {other} (name: second, world: archetypes, 5 countries, years 2023-2032)",
    ]
    lines = err.splitlines()
    assert len(lines) == 2
    assert "bad1.yaml:2: seed:" in lines[0]
    assert "bad2.yaml:2: replicate: unknown key 'replicate'; did you mean 'replicates'?" in lines[1]


def test_validate_missing_file(tmp_path, capsys):
    status, _, err = run(capsys, "validate", str(tmp_path / "nope.yaml"))
    assert status == 2 and "nope.yaml: scenario file not found" in err


def test_validate_subprocess_python_m_sim(tmp_path):
    bad = write(tmp_path, "bad.yaml", "world:\n  kind: archetypes\ntime:\n  yeras: 3\n")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "bad.yaml:4: time.yeras: unknown key 'yeras'; did you mean 'years'?" in proc.stderr


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", ""])
def test_a_bad_thread_setting_is_refused_before_numba_reads_it(tmp_path, value):
    """NUMBA_NUM_THREADS that numba would stop on (0, negative: exit 1) or warn about with a
    traceback (text): one line naming the variable, exit 2, in a fresh process (numba reads the
    variable when it is imported)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               NUMBA_NUM_THREADS=value)  # fmt: skip
    scenario = str(REPO / "scenarios" / "archetypes_baseline.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", scenario],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"environment: NUMBA_NUM_THREADS is {value!r}" in proc.stderr
    assert "at least 1" in proc.stderr


def test_a_closed_standard_output_is_not_an_error(tmp_path):
    """`hrhsim world >&-`: Python's sys.stdout is None; the output is dropped, exit 0 (was an
    AttributeError, exit 1); errors still reach stderr."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for argv, status in ((["world"], 0), (["validate", str(tmp_path / "nope.yaml")], 2)):
        proc = subprocess.run(
            [sys.executable, "-m", "sim", *argv], stdout=subprocess.DEVNULL, text=True,
            stderr=subprocess.PIPE, cwd=tmp_path, env=env, timeout=120,
            preexec_fn=lambda: os.close(1),
        )  # fmt: skip
        assert proc.returncode == status, proc.stderr
        assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
    assert "nope.yaml: scenario file not found" in proc.stderr


def test_a_thread_setting_numba_reads_is_accepted():
    for value in ("1", "2", " 4 ", "64"):
        check_environment({"NUMBA_NUM_THREADS": value})
    check_environment({})


# --------------------------------------------------------------------------------------------------
# errors in main: HrhsimError -> 2, unexpected -> short message, --debug re-raises


def test_unexpected_exception_short_message(tmp_path, capsys, monkeypatch):
    import sim.inputs.scenario

    def boom(*args, **kwargs):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(sim.inputs.scenario, "load_scenario", boom)
    path = write(tmp_path, "demo.yaml", VALID)
    status, _out, err = run(capsys, "validate", str(path))
    assert status == 1
    assert "RuntimeError: something broke" in err
    assert "run with --debug for the traceback" in err
    assert "Traceback" not in err and "second line" not in err
    with pytest.raises(RuntimeError):
        main(["--debug", "validate", str(path)])
    with pytest.raises(RuntimeError):
        main(["validate", str(path), "--debug"])  # also accepted after the subcommand


def test_debug_reraises_hrhsim_errors(tmp_path):
    from sim.errors import ScenarioError

    path = write(tmp_path, "bad.yaml", "seed: x\n")
    with pytest.raises(ScenarioError):
        main(["--debug", "validate", str(path)])


def test_usage_errors_exit_2(capsys):
    status, _, err = run(capsys, "validate")
    assert status == 2 and "usage:" in err
    status, _, err = run(capsys, "no-such-command")
    assert status == 2
    status, _, err = run(capsys)
    assert status == 2


# --------------------------------------------------------------------------------------------------
# version, help, logging


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"hrhsim {sim.__version__}"


@pytest.mark.parametrize("command", [None, "validate", "world"])
def test_help_with_examples(capsys, command):
    argv = ["--help"] if command is None else [command, "--help"]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert "usage: hrhsim" in out
    assert "examples:" in out
    assert "--debug" in out


def test_every_subcommand_has_help_and_examples():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        assert sub.epilog and "examples:" in sub.epilog, name
        assert callable(sub.get_default("func")), name


def test_sweep_help_says_which_reader_keeps_only_this_sweeps_runs(capsys):
    """`pandas.read_parquet("DIR/runs")` also reads run files of an earlier design or code left
    in the folder (the user guide, 2.7): the help must not offer it as the same as load_runs."""
    status, out, _ = run(capsys, "sweep", "--help")
    text = " ".join(out.split())
    assert status == 0
    assert 'load_runs("DIR"): one row per point and replicate of this sweep' in text
    assert '(pandas.read_parquet("DIR/runs") also reads the files of an earlier design' in text


def test_verbose_and_quiet_logging(tmp_path, capsys):
    import logging

    logger = logging.getLogger("sim")
    before = (logger.level, logger.propagate, list(logger.handlers))
    path = write(tmp_path, "demo.yaml", VALID)
    status, _, err = run(capsys, "-v", "validate", str(path))
    assert status == 0 and "INFO sim.inputs.scenario: loaded scenario demo" in err
    status, out, err = run(capsys, "-q", "validate", str(path))
    assert status == 0 and err == "" and out.startswith("OK  ")
    status, _out, err = run(capsys, "validate", str(path))
    assert err == ""
    assert (logger.level, logger.propagate, list(logger.handlers)) == before  # state restored


# --------------------------------------------------------------------------------------------------
# hrhsim world


def test_world_archetypes_summary(capsys):
    status, out, err = run(capsys, "world", "--kind", "archetypes")
    assert status == 0, err
    assert "world: archetypes" in out
    assert "countries: 5" in out
    assert "base year: 2020" in out
    assert "doctors: " in out and "nurses and midwives: " in out
    assert "WHO safeguards list 2023: 1 country" in out
    assert "imputations: none" in out


def test_world_json(capsys):
    status, out, _ = run(capsys, "world", "--kind", "archetypes", "--json")
    assert status == 0
    summary = json.loads(out)
    assert summary["n_countries"] == 5
    assert summary["safeguards"] == ["XSR"]


def test_world_countries_lists_every_code(capsys):
    """`--countries`: the codes a scenario file names, one row per country, as text and JSON."""
    status, out, _ = run(capsys, "world", "--kind", "archetypes", "--countries")
    lines = out.strip().splitlines()
    assert status == 0 and lines[0].split()[:2] == ["ISO3", "name"] and len(lines) == 6
    assert lines[1].split()[:6] == ["XSR", "Sourceland", "AFR", "L", "yes", "8.00"]
    assert lines[2].split()[:5] == ["XEX", "Exportia", "WPR", "LM", "10.00"]  # not on the list
    status, out, _ = run(capsys, "world", "--countries", "--json")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 194
    gbr = next(r for r in rows if r["iso3"] == "GBR")
    assert gbr["income_group"] == "H" and gbr["safeguards"] is False
    assert gbr["name"].startswith("United Kingdom") and gbr["nurses_per_10k"] > 50


def test_world_file(tmp_path, capsys):
    world = (REPO / "sim" / "data" / "archetypes.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, "mine.yaml", world)
    status, out, _ = run(capsys, "world", "--file", str(path))
    assert status == 0 and "world: file" in out and "countries: 5" in out
    # one country is "1 country", in every count of the summary
    assert "WHO safeguards list 2023: 1 country\n" in out
    assert "(density < 49 per 10,000 and UHC index < 55): 1 country\n" in out
    assert "1 countries" not in out


def test_world_errors(tmp_path, capsys):
    status, _, err = run(capsys, "world", "--kind", "file")
    assert status == 2 and "--file" in err and "Traceback" not in err
    status, _, err = run(capsys, "world", "--file", str(tmp_path / "nope.yaml"))
    assert status == 2 and "nope.yaml" in err and "Traceback" not in err
    bad = write(tmp_path, "bad.yaml", "countries: 3\n")
    status, _, err = run(capsys, "world", "--file", str(bad))
    assert status == 2 and "bad.yaml" in err and "Traceback" not in err


def test_validate_names_the_spin_up(tmp_path, capsys):
    path = tmp_path / "spun.yaml"
    path.write_text(
        "name: spun\nworld: {kind: archetypes}\n"
        "time: {start_year: 2025, spin_up_from: 2022, years: 3}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 0
    assert "years 2025-2027 after a spin-up from 2022)" in capsys.readouterr().out
