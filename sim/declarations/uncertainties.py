"""Uncertainties: the constants of the `behaviour`, `hazards` and `workforce` sections.

Each is a `RealParameter` (or `IntegerParameter`) with its default, unit and source, the bounds a
scenario file may use (`min`, `max`) and a plausible range (`low`, `high`, with `range_source`
where the source alone does not explain it): the prior of sweeps and calibration.
"""

from __future__ import annotations

from sim.declarations.base import (
    CADRES,
    INCOME_GROUPS,
    IntegerParameter,
    Parameter,
    RealParameter,
    SelectorParameter,
    _per,
)

# --------------------------------------------------------------------------------------------------
# uncertainties: behaviour, hazards, workforce
# (default, plausible low, plausible high); docs and sources feed docs/scenarios.md and docs/ODD.md

BEHAVIOUR: tuple[Parameter, ...] = (
    RealParameter(
        "behaviour.reconsider_rate", 0.1, 0.5, 0.25, "1/year",
        "assumption; sets the speed of adjustment",
        "Rate at which a worker reconsiders their job.", min=0.0, max=12.0,
        range_source="a reconsideration every 2 to 10 years (assumption)",
    ),
    RealParameter(
        "behaviour.wage_weight", 1.0, 2.5, 1.3, "utility/log-wage",
        "Antwi & Phillips 2011 (10% pay rise cut attrition ~1 pt of 8%)",
        "Utility per unit of log wage in emigration, return and leaving decisions.",
        min=0.0, max=20.0,
        range_source="0.9-1.6 pp less attrition per 10% pay rise imply 1.3-2.3",
    ),
    RealParameter(
        "behaviour.area_wage_weight", 3.0, 7.5, 6.4, "utility/log-wage",
        "Blaauw et al. 2010 (10% allowance: +15 to +17 pp rural uptake)",
        "Utility per unit of log wage in the urban/rural choice (and graduates' placement).",
        min=0.0, max=50.0,
        range_source="the three DCEs imply 2.9 (Thailand), 6.4 (Kenya), 7.3 (South Africa)",
    ),
    RealParameter(
        "behaviour.network_weight", 0.3, 0.8, 0.5, "utility/log-workers",
        "Beine, Docquier & Özden 2011 (diaspora elasticity 0.4-0.7)",
        "Utility per unit of log(1 + same-origin, same-cadre workers already in the destination).",
        min=0.0, max=5.0,
        range_source="the literature's 0.4-0.7, widened",
    ),
    RealParameter(
        "behaviour.distance_weight", 0.2, 1.2, 0.5, "utility/log-km",
        "gravity models of migration, Mayda 2010; Grogger & Hanson 2011",
        "Disutility per unit of log distance (km).", min=0.0, max=5.0,
        range_source="distance elasticities of bilateral migration in gravity models",
    ),
    RealParameter(
        "behaviour.language_weight", 0.2, 1.2, 0.6, "utility",
        "Adserà & Pytliková 2015", "Utility of a common official language.", min=0.0, max=5.0,
        range_source="common-language effects in gravity models of migration",
    ),
    RealParameter(
        "behaviour.colony_weight", 0.0, 1.0, 0.4, "utility",
        "Beine et al. 2011", "Utility of a past colonial relationship.", min=0.0, max=5.0,
        range_source="colonial-tie effects in gravity models, from none",
    ),
    RealParameter(
        "behaviour.recruitment_fee", 0.1, 1.0, 0.5, "annual wages",
        "ILO 2019 recruitment fees surveys (fees of months to a year of earnings)",
        "Recruitment fee paid by the worker, in annual source-country wages; enters utility as "
        "-wage_weight * log(1 + fee).", min=0.0, max=10.0,
        range_source="one month to one year of earnings",
    ),
    RealParameter(
        "behaviour.migrant_wage_discount", 0.05, 0.3, 0.15, "share",
        "OECD/ILO evidence on migrant health-worker pay gaps (assumption in the 10-20% range)",
        "Pay gap of migrant workers relative to natives in a destination without equal treatment.",
        min=0.0, max=0.9,
        range_source="the 10-20% evidence, widened",
    ),
    RealParameter(
        "behaviour.emigrate_constant", -10.0, -4.0, -7.0, "utility",
        "set so baseline outflows match calibration targets C17-C20 in order of magnitude",
        "Alternative-specific constant of emigrating (per destination).", min=-50.0, max=50.0,
        range_source="wide prior around the value that matches outflows (to be calibrated)",
    ),
    RealParameter(
        "behaviour.move_constant", -4.0, -1.0, -2.5, "utility", "assumption",
        "Constant of moving to the other area.", min=-50.0, max=50.0,
        range_source="wide prior (to be calibrated)",
    ),
    RealParameter(
        "behaviour.return_constant", -4.0, 0.0, -2.0, "utility", "assumption",
        "Constant of a migrant returning home.", min=-50.0, max=50.0,
        range_source="wide prior (to be calibrated)",
    ),
    RealParameter(
        "behaviour.leave_constant", -5.0, -2.0, -3.5, "utility",
        "set so voluntary leaving is ~1-2%/yr (C08, C09, C27)",
        "Constant of leaving the profession.", min=-50.0, max=50.0,
        range_source="voluntary leaving from about 0.5 to 5%/yr",
    ),
    RealParameter(
        "behaviour.outside_wage_ratio", 0.5, 1.2, 0.8, "ratio", "assumption",
        "Wage outside the profession relative to the country's health-worker wage before "
        "policies.", min=0.01, max=10.0,
        range_source="assumption: half to more than the health wage",
    ),
    RealParameter(
        "behaviour.propensity_sd", 0.5, 2.0, 1.0, "utility",
        "assumption (taste heterogeneity)",
        "Standard deviation of the personal migration propensity (logistic, drawn once per "
        "worker).", min=0.0, max=10.0,
        range_source="assumption",
    ),
)  # fmt: skip

HAZARDS: tuple[Parameter, ...] = (
    *_per(
        "hazards.retirement_age", CADRES, ((63, 60, 67), (60, 55, 65)),
        unit="years", source="OECD Pensions at a Glance 2023 (normal ages 60-67)",
        doc="Age from which workers retire at `retirement_rate`.", min=40, max=80,
        range_source="OECD normal pension ages; nurses often earlier (assumption)",
    ),
    RealParameter(
        "hazards.retirement_rate", 0.2, 1.0, 0.4, "1/year", "assumption",
        "Retirement rate past the retirement age.", min=0.0, max=50.0,
        range_source="assumption: median retirement 0.7 to 3.5 years past the age",
    ),
    RealParameter(
        "hazards.max_age", 65.0, 75.0, 70.0, "years", "assumption",
        "Age at which every remaining worker retires.", min=45, max=90,
        range_source="assumption",
    ),
    RealParameter(
        "hazards.death_rate", 0.001, 0.005, 0.002, "1/year", "WHO life tables, ages 25-64",
        "Mortality of working-age adults.", min=0.0, max=1.0,
        range_source="adult mortality of high- to low-income countries",
    ),
    RealParameter(
        "hazards.exit_rate", 0.005, 0.03, 0.012, "1/year",
        "register leaving rates 2-4%/yr (C08, C09, C27) less retirement",
        "Exogenous exit from the profession (health, family, career change).", min=0.0, max=1.0,
        range_source="register leaving 2-4%/yr less retirement and voluntary leaving",
    ),
    *_per(
        "hazards.entry_age", CADRES, ((27, 24, 30), (23, 21, 26)),
        unit="years", source="typical programme lengths", doc="Age of new graduates.",
        range_source="programme lengths and ages at entry",
        min=16, max=40,
    ),
)  # fmt: skip

WORKFORCE: tuple[Parameter, ...] = (
    *_per(
        "workforce.wage_multiple", CADRES, ((3.0, 2.0, 4.0), (1.3, 1.0, 1.6)),
        unit="ratio", doc="Wage as a multiple of GDP per capita PPP.", min=0.1, max=50.0,
        range_source="OECD country range",
        source="OECD Health at a Glance 2023 (remuneration of doctors 2-4x, nurses ~1.2x the "
        "average wage)",
    ),
    *_per(
        "workforce.rural_density_ratio", CADRES, ((0.33, 0.2, 0.5), (0.6, 0.4, 0.8)),
        unit="ratio", doc="Initial rural density relative to urban density.", min=0.01, max=5.0,
        range_source="rural/urban density ratios reported by WHO 2010",
        source="WHO 2010 rural retention recommendations (C22)",
    ),
    *_per(
        "workforce.graduate_rate", CADRES, ((0.045, 0.03, 0.06), (0.055, 0.04, 0.07)),
        unit="1/year", doc="Annual graduates as a share of the initial stock (training capacity).",
        min=0.0, max=1.0, source="assumption; replacement plus modest growth",
        range_source="replacement of 2-3%/yr retirements plus growth of 1-4%/yr",
    ),
    *_per(
        "workforce.training_lag", CADRES, ((6, 5, 7), (3, 2, 4)), IntegerParameter,
        unit="years", doc="Years from a training investment to extra graduates.", min=0, max=15,
        range_source="programme lengths",
        source="length of medical and nursing programmes",
    ),
    *_per(
        "workforce.training_cost", CADRES, ((10.0, 5.0, 20.0), (4.0, 2.0, 8.0)),
        unit="ratio", doc="Cost of training one graduate as a multiple of GDP per capita PPP.",
        min=0.01, max=100.0, source="Mills et al. 2011 (BMJ)",
        range_source="the range across countries in Mills et al. 2011",
    ),
    *_per(
        "workforce.initial_vacancy_rate", INCOME_GROUPS,
        ((-0.10, -0.2, 0.0), (-0.05, -0.15, 0.05), (0.02, -0.05, 0.08), (0.08, 0.03, 0.12)),
        unit="share", min=-0.9, max=2.0,
        range_source="NHS 8-10% vacancies; unemployment of trained workers in source countries",
        doc="Funded posts relative to the initial stock, minus one (negative: more trained "
        "workers than posts).",
        source="NHS vacancy statistics (~8-10%); unemployment of trained nurses in source "
        "countries",
    ),
    *_per(
        "workforce.demand_growth", INCOME_GROUPS,
        ((0.01, 0.0, 0.03), (0.015, 0.0, 0.03), (0.015, 0.0, 0.03), (0.01, 0.0, 0.02)),
        unit="1/year", min=-0.5, max=0.5,
        range_source="Liu et al. 2017 demand growth by income group",
        doc="Growth of funded posts per year on top of population growth.",
        source="Liu et al. 2017 (global demand projections to 2030)",
    ),
    SelectorParameter(
        "workforce.destinations", "high_income",
        "Countries that recruit internationally (open international posts).",
    ),
    RealParameter(
        "workforce.recruitment_intensity", 0.2, 1.0, 0.5, "1/year",
        "UK: ~25k international nurse joiners vs ~45k vacancies (C02-C04)",
        "Share of a destination's vacancies opened to international recruitment per year.",
        min=0.0, max=12.0,
        range_source="UK joiners / vacancies from 0.22 (2020/21) to 0.66 (2023/24)",
    ),
    *_per(
        "workforce.foreign_share_default", CADRES, ((0.19, 0.1, 0.3), (0.09, 0.04, 0.15)),
        unit="share", min=0.0, max=0.95, source="OECD Health at a Glance 2023 (C14, C15)",
        range_source="spread of foreign-trained shares across OECD countries",
        doc="Initial share of foreign-trained workers in destinations without OECD bilateral "
        "data (distributed over origins by UN DESA migrant stocks).",
    ),
)  # fmt: skip

UNCERTAINTIES: tuple[Parameter, ...] = (*BEHAVIOUR, *HAZARDS, *WORKFORCE)
"""Every constant of the `behaviour`, `hazards` and `workforce` sections, in schema order."""

UNCERTAINTY_SECTIONS = ("behaviour", "hazards", "workforce")
