"""scripts/hiring_chance.py: who is taken where, by destination and year, and its clear errors."""

from __future__ import annotations

import sys

import numpy as np

from tests.model_helpers import ROOT, SCENARIOS, archetypes, make_model

sys.path.insert(0, str(ROOT / "scripts"))
import hiring_chance


def test_the_yearly_counts_are_what_the_model_records(capsys):
    """The script's counts sum the model's own inputs to the chance of a post, and recording
    them leaves the model's chance as it would be."""
    scenario = archetypes({"time.years": 2, "behaviour.emigrate_constant": -3.0})
    model, plain = make_model(scenario, seed=4), make_model(scenario, seed=4)
    hires, applicants, applied, moved = hiring_chance.counts_by_year(model, 2)
    plain.run()
    assert np.array_equal(model.demand.log_hiring_chance(), plain.demand.log_hiring_chance())
    assert hires.sum() > 0 and (hires <= applicants).all()
    assert np.array_equal(applied.sum(axis=1), applicants)  # no agreement here: all are open
    assert np.array_equal(moved.sum(axis=1), hires)
    code = hiring_chance.main(
        ["--scenario", str(SCENARIOS / "archetypes_baseline.yaml"), "--years", "2",
         "--destinations", "XDA", "XDB", "--origin", "XEX", "--set",
         "behaviour.emigrate_constant=-3.0"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "| XDA | XDB |" in out and "XEX's hires abroad" in out
    assert "XEX's applications abroad" in out and "Applications to XDA by origin" in out
    assert len([line for line in out.splitlines() if line.startswith("| 20")]) == 2
    per_year = next(line for line in out.splitlines() if "hires abroad by year (to XDA)" in line)
    assert per_year.count("(") == 3  # the heading's and one for each of the two years


def test_lifting_the_deployment_caps_frees_the_philippines_nurses(capsys):
    """In 2020-2022 the world data cap the Philippines' deployments of new hires (5,000, 7,000
    and 7,500 a year, all cadres); lifted, its nurses' hires abroad in those years (which also
    count the onward moves of Filipino nurses already abroad, not capped) are several times
    more."""
    base = ["--years", "2", "--origin", "PHL", "--set", "scale.workers_per_agent=1000"]

    def hires_by_year(extra: list[str]) -> list[int]:
        assert hiring_chance.main(base + extra) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if "abroad by year" in x)
        years = line.split(": ", 1)[1].split(", ")
        return [int(y.split()[1].replace(",", "")) for y in years]

    capped, free = hires_by_year([]), hires_by_year(["--without-deployment-caps"])
    assert sum(free) > 2 * sum(capped), (capped, free)


def test_an_unknown_country_is_a_clear_error(capsys):
    code = hiring_chance.main(
        [
            "--scenario",
            str(SCENARIOS / "archetypes_baseline.yaml"),
            "--destinations",
            "GBR",
            "--origin",
            "XEX",
        ]
    )
    assert code == 2
    assert "not in the simulated world: ['GBR']" in capsys.readouterr().err


def test_a_bad_override_is_a_clear_error(capsys):
    code = hiring_chance.main(
        ["--scenario", str(SCENARIOS / "archetypes_baseline.yaml"),
         "--set", "behaviour.hiring_chance_weight=-1"]
    )  # fmt: skip
    assert code == 2
    assert "hiring_chance_weight" in capsys.readouterr().err
