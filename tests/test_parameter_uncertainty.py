"""`uncertainty: parameters`: replicates draw parameter vectors from a calibration's posterior."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.compare.pipeline import _with_uncertainty_of
from sim.errors import ScenarioError
from sim.inputs.posterior import draw_for_replicate, read_parameter_sample
from sim.runner import replicate_seeds

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "archetypes_baseline.yaml"


def _scenario(tmp_path, sample: str | None, kind: str = "parameters", name: str = "s") -> Path:
    lines = [f"extends: {BASE}", f"name: {name}", "time: {years: 2}", "replicates: 4"]
    if sample is not None:
        (tmp_path / "post.csv").write_text(sample)
        lines.append(f"uncertainty: {{kind: {kind}, sample: post.csv}}")
    elif kind == "parameters":
        lines.append("uncertainty: {kind: parameters}")
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


TWO = "draw,behaviour.emigrate_constant,workforce.training_lag.doctors\n0,-4.0,5\n1,-9.0,7\n"


def test_parameters_without_a_sample_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"uncertainty.kind is 'parameters' but .*sample"):
        sim.load_scenario(_scenario(tmp_path, None))


@pytest.mark.parametrize(
    ("sample", "needle"),
    [
        ("draw,behaviour.wage_weigth\n0,1\n", "not an uncertain parameter"),
        ("draw,world.kind\n0,1\n", "not an uncertain parameter"),
        ("draw,time.years\n0,5\n", "may not change the run's time"),  # ran 5 years, said 2
        ("draw,replicates\n0,100\n", "not an uncertain parameter"),
        ("draw,behaviour.wage_weight\n0,1.5\n1,99\n", "wage_weight = 99 is outside"),
        ("draw,behaviour.wage_weight\n0,-1\n", "from 0 to 20"),
        ("x,behaviour.wage_weight\n0,1\n", "first column must be `draw`"),
        ("draw,behaviour.wage_weight\n0,abc\n", "not a number"),
        ("draw,behaviour.wage_weight\n0,nan\n", "not finite"),
        ("draw,behaviour.wage_weight\n0,1,2\n", "3 values, expected 2"),
        ("draw,behaviour.wage_weight\n", "no draws"),
    ],
)
def test_bad_samples_are_named_with_the_scenario_key(tmp_path, sample, needle):
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(_scenario(tmp_path, sample))
    text = str(err.value)
    assert needle in text and "uncertainty.sample" in text and "post.csv" in text


@pytest.mark.parametrize(
    ("sample", "needle"),
    [
        (
            "draw,behaviour.wage_weight\n0,1\n1,abc\n",
            "post.csv:3: behaviour.wage_weight = 'abc' is not a number "
            "(expected a number from 0 to 20)",
        ),
        (
            "draw,behaviour.emigrate_constant,behaviour.wage_weight\n0,-4,inf\n",
            "post.csv:2: behaviour.wage_weight = 'inf' is not finite",
        ),
        ("draw,behaviour.wage_weight\n0,99\n", "post.csv:2: behaviour.wage_weight = 99 is outside"),
        (  # an integer parameter was rounded without a word
            "draw,workforce.training_lag.doctors\n0,5.0\n1,5.5\n",
            "post.csv:3: workforce.training_lag.doctors = 5.5 is not a whole number",
        ),
    ],
)
def test_a_bad_value_is_named_with_its_line_and_column(tmp_path, sample, needle):
    """The scenario's line names the key; the message names the sample's line, column and value."""
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(_scenario(tmp_path, sample))
    assert needle in str(err.value)


def test_a_sample_not_in_utf8_says_so(tmp_path):
    path = _scenario(tmp_path, "draw,behaviour.wage_weight\n0,1\n")
    (tmp_path / "post.csv").write_bytes(b"draw,behaviour.wage_weight\n0,\xff\n")
    with pytest.raises(ScenarioError, match=r"post\.csv: not UTF-8 text \(byte 0xff\)"):
        sim.load_scenario(path)


def test_a_sampled_parameter_set_by_set_is_refused_not_replaced(tmp_path):
    """`--set behaviour.emigrate_constant=-4` ran with the drawn values instead, without a word;
    a value the files set (calibration/fitted.yaml's point) is what the draws replace."""
    path = _scenario(tmp_path, TWO)
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(path, ["behaviour.emigrate_constant=-4.5"])
    text = str(err.value)
    assert text.startswith("--set: behaviour.emigrate_constant: ")
    assert "drawn from the posterior sample in every replicate" in text
    sim.load_scenario(path, ["behaviour.wage_weight=1.5"])  # not sampled: fine
    (tmp_path / "t.yaml").write_text(
        "extends: s.yaml\nname: t\nbehaviour: {emigrate_constant: -4.5}\n"
    )
    sim.load_scenario(tmp_path / "t.yaml")  # set in a file: the draws replace it


def test_a_missing_sample_file_is_named(tmp_path):
    path = _scenario(tmp_path, TWO)
    (tmp_path / "post.csv").unlink()
    with pytest.raises(ScenarioError, match=r"file not found: post\.csv"):
        sim.load_scenario(path)


def test_one_draw_reproduces_the_same_parameters_set_by_hand(tmp_path):
    one = "draw,behaviour.emigrate_constant\n0,-4.5\n"
    drawn = sim.run(sim.load_scenario(_scenario(tmp_path, one)), replicates=2, seed=3)
    by_hand = sim.run(
        sim.load_scenario(BASE, ["time.years=2", "behaviour.emigrate_constant=-4.5"]),
        replicates=2,
        seed=3,
    )
    assert drawn.manifest["uncertainty"] == "parameters"
    assert drawn.manifest["parameter_draws"] == [0, 0]
    assert by_hand.manifest["uncertainty"] == "stochastic"
    pd.testing.assert_frame_equal(drawn.indicators, by_hand.indicators)


def test_each_replicate_runs_with_its_drawn_row(tmp_path):
    scenario = sim.load_scenario(_scenario(tmp_path, TWO))
    results = sim.run(scenario, replicates=4, seed=11)
    draws = results.manifest["parameter_draws"]
    sample = results.manifest["posterior_sample"]
    assert sample["draws"] == 2 and len(sample["sha256"]) == 64
    assert draws == [draw_for_replicate(ss, 2) for ss in replicate_seeds(11, 4)]
    emig = results.indicator("emigrants", cadre="all", year=2024).groupby("replicate")["value"]
    for r, row in enumerate(draws):
        single = sim.run(
            sim.load_scenario(
                BASE,
                [
                    "time.years=2",
                    f"behaviour.emigrate_constant={[-4.0, -9.0][row]}",
                    f"workforce.training_lag.doctors={[5, 7][row]}",
                ],
            ),
            replicates=r + 1,
            seed=11,
        )
        mine = single.indicator("emigrants", cadre="all", year=2024)
        assert mine[mine["replicate"] == r]["value"].sum() == emig.sum()[r]


def test_draws_pair_across_scenarios_and_vary_across_replicates():
    seeds = replicate_seeds(20100521, 40)
    draws = [draw_for_replicate(ss, 1000) for ss in seeds]
    assert draws == [draw_for_replicate(ss, 1000) for ss in replicate_seeds(20100521, 40)]
    assert len(set(draws)) > 30


def test_the_scenario_hash_follows_the_sample_contents(tmp_path):
    first = sim.load_scenario(_scenario(tmp_path, TWO)).hash()
    (tmp_path / "post.csv").write_text(TWO.replace("-9.0", "-8.0"))
    assert sim.load_scenario(tmp_path / "s.yaml").hash() != first


def test_integer_parameters_are_drawn_as_integers(tmp_path):
    sample = read_parameter_sample(_write(tmp_path, TWO))
    assert sample.params(1) == {
        "behaviour.emigrate_constant": -9.0,
        "workforce.training_lag.doctors": 7,
    }
    assert isinstance(sample.params(1)["workforce.training_lag.doctors"], int)


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "sample.csv"
    path.write_text(text)
    return path


def test_compare_options_take_the_baseline_uncertainty(tmp_path):
    base = sim.load_scenario(_scenario(tmp_path, TWO, name="b"))
    option = sim.load_scenario(_scenario(tmp_path, TWO, kind="stochastic", name="o"))
    notes: list[str] = []
    paired = _with_uncertainty_of(base, option, notes)
    assert paired.data["uncertainty"] == base.data["uncertainty"]
    assert notes and "sets its own uncertainty" in notes[0]
    same = _with_uncertainty_of(base, base, notes)
    assert same is base
