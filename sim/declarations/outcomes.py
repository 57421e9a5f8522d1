"""Outcomes: every scalar outcome the run summary, the briefing and sweeps report.

Each `ScalarOutcome` is a recipe over the indicator table that `sim.outputs.outcomes` computes.
"""

from __future__ import annotations

from typing import Any

from sim.declarations.base import INFO, MAXIMIZE, MINIMIZE, SDG_THRESHOLD, ScalarOutcome


def _money(name: str, label: str, short: str, definition: str, **kw: Any) -> ScalarOutcome:
    return ScalarOutcome(
        name, INFO, "int$ PPP/year", definition, label, short, "money",
        kw.pop("indicator", name), kw.pop("countries", "all"), **kw,
    )  # fmt: skip


OUTCOMES: tuple[ScalarOutcome, ...] = (
    ScalarOutcome(
        "world_stock", INFO, "workers",
        "Doctors and nurses/midwives working in the simulated countries at the end of the year.",
        "Health workers in the simulated countries", "Health workers, world", "workers",
        "stock", "world",
    ),
    ScalarOutcome(
        "world_density", MAXIMIZE, "doctors + nurses per 10,000 population",
        "Doctors and nurses/midwives per 10,000 population over all simulated countries.",
        "Health-worker density, all simulated countries", "Density, world", "density",
        "density", "world",
    ),
    ScalarOutcome(
        "safeguards_density", MAXIMIZE,
        "doctors + nurses per 10,000 population (population-weighted)",
        "Workers present in the safeguards-list countries per 10,000 of their population: "
        "10,000 x sum(stock) / sum(population).",
        "Health-worker density in safeguards-list countries",
        "Density, safeguards-list countries", "density",
        "stock", "safeguards", per="population", scale=1e4,
    ),
    ScalarOutcome(
        "safeguards_emigration", INFO, "workers/year",
        "International departures from the safeguards-list countries during the year.",
        "Emigration from safeguards-list countries", "Emigration, safeguards-list countries",
        "workers", "emigrants", "safeguards",
    ),
    ScalarOutcome(
        "destination_immigration", INFO, "workers/year",
        "Arrivals of foreign-trained workers in the destination countries during the year.",
        "Immigration to destination countries", "Immigration, destinations", "workers",
        "immigrants", "destinations",
    ),
    ScalarOutcome(
        "destination_vacancy_rate", MINIMIZE, "% of funded posts (posts-weighted)",
        "Unfilled funded posts in the destination countries: sum(vacancies) / sum(posts).",
        "Vacancy rate in destination countries", "Vacancy rate, destinations", "share",
        "vacancies", "destinations", per="posts",
    ),
    ScalarOutcome(
        "destination_foreign_share", INFO, "% of the workforce (workforce-weighted)",
        "Share of the destinations' workforce trained abroad, weighted by each country's stock.",
        "Share of foreign-trained workers in destinations", "Foreign-trained share, destinations",
        "share", "foreign_trained_share", "destinations", weight="stock",
    ),
    ScalarOutcome(
        "rural_urban_ratio", MAXIMIZE, "rural density / urban density",
        "World rural density divided by world urban density (health workers per 10,000).",
        "Rural/urban density ratio (world)", "Rural/urban density ratio", "ratio",
        "rural_urban_ratio", "world",
    ),
    ScalarOutcome(
        "population_below_44_5", MINIMIZE, "people",
        f"Population of the countries with fewer than {SDG_THRESHOLD} doctors + nurses/midwives "
        "per 10,000 (SDG index threshold).",
        f"Population living below {SDG_THRESHOLD} health workers per 10,000",
        f"Population below {SDG_THRESHOLD} per 10,000", "people",
        "population_below_44_5", "world",
    ),
    _money("compensation_paid", "Compensation paid by destinations", "Compensation paid",
           "Compensation paid by destinations for the workers they recruited."),
    _money("compensation_received", "Compensation received by source countries",
           "Compensation received", "Compensation received by source countries."),
    _money("incentive_spending", "Incentive spending (retention pay, rural allowances)",
           "Incentive spending", "Retention pay rises and rural allowances paid."),
    _money("training_investment",
           "Extra training funded (expansion, agreement places, response to vacancies)",
           "Extra training funded",
           "Training paid beyond base graduate output: domestic training expansion, training "
           "places funded under agreements and the intake added in response to vacancies "
           "(committed to the training fund, ODD §7.6-7.7)."),
    _money("training_cost_emigrants_safeguards",
           "Training cost embodied in emigrants from safeguards-list countries",
           "Training cost of emigrants, safeguards-list countries",
           "Training cost of the workers who emigrated from safeguards-list countries.",
           indicator="training_cost_emigrants", countries="safeguards"),
    _money("training_cost_emigrants", "Training cost embodied in emigrants (all countries)",
           "Training cost of emigrants", "Training cost of every worker who emigrated."),
    _money("bond_buyouts", "Bond buy-outs paid by graduates", "Bond buy-outs",
           "Buy-outs paid by bonded workers who left or emigrated."),
    _money("recruitment_fees", "Recruitment fees paid by workers", "Recruitment fees",
           "Recruitment fees paid by emigrating workers."),
)  # fmt: skip
"""Every named outcome; `sim.outputs.outcomes` computes each (and only it)."""


def outcome(name: str) -> ScalarOutcome:
    """The outcome of this name."""
    for item in OUTCOMES:
        if item.name == name:
            return item
    raise KeyError(f"no outcome {name!r}")


OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
