"""Uncertainties: the constants of the `behaviour`, `hazards` and `workforce` sections.

Each is a `RealParameter` (or `IntegerParameter`) with its default, unit and source, the bounds a
scenario file may use (`min`, `max`) and a plausible range (`low`, `high`, with `range_source`
where the source alone does not explain it): the prior of sweeps and calibration.
"""

from __future__ import annotations

from sim.declarations.base import (
    CADRES,
    INCOME_GROUPS,
    MIGRATION_AGE_LABELS,
    PASSIVE_RATE_SOURCE,
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
        "behaviour.origin_weight", 0.0, 1.0, 0.5, "utility/log-ratio",
        "the origin effect of gravity models of bilateral stocks (docs/data.md §1.2; Beine, "
        "Docquier & Özden 2011); default 1 - network_weight, so that an origin's emigration "
        "odds scale with its share of workers abroad",
        "Utility per unit of log(share of the origin's workers abroad at the start / the world's "
        "share): the origin's revealed propensity to emigrate (language, licensing, recruitment "
        "industry), on every destination.",
        min=0.0, max=5.0,
        range_source="from none to the network term's own weight",
    ),
    RealParameter(
        "behaviour.origin_size_weight", -0.8, 0.0, 0.0, "utility/log-ratio",
        "skilled emigration rates fall with the origin's size (Docquier & Marfouk 2006; Beine, "
        "Docquier & Rapoport 2008); 0 keeps the network term's size effect: at a given share "
        "abroad an origin's emigration odds grow as its workforce to the power network_weight",
        "Utility per unit of log(the origin's trained workforce at the start / the median "
        "origin's), on every destination: the network term counts workers, so a large origin's "
        "diasporas are large because the origin is; -network_weight makes emigration odds "
        "independent of the origin's size.",
        min=-5.0, max=5.0,
        range_source="from the network term's size effect kept (0) to removed and reversed "
        "(-0.8, beyond -network_weight)",
    ),
    RealParameter(
        "behaviour.distance_weight", 0.2, 1.2, 0.5, "utility/log-km",
        "gravity models of migration, Mayda 2010; Grogger & Hanson 2011",
        "Disutility per unit of log distance (km).", min=0.0, max=5.0,
        range_source="distance elasticities of bilateral migration in gravity models",
    ),
    RealParameter(
        "behaviour.language_weight", 0.2, 1.2, 0.6, "utility",
        "Adserà & Pytliková 2015",
        "Utility of sharing the destination's language of practice of the cadre: the common "
        "official language; at the Gulf's destinations doctors Arabic or English, nurses English "
        "only; world files: the official language.",
        min=0.0, max=5.0,
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
        "behaviour.free_movement_effect", 0.0, 4.0, 0.0, "utility",
        "the EU/EEA/Swiss free movement of workers and automatic recognition of doctors' and "
        "nurses' qualifications (Directive 2005/36/EC) spare a move within the area the "
        "barriers (visas, licensing examinations) that the emigration constant stands for; the "
        "destination choice's term for it (ODD §4.2.2) is none at the default (a move within "
        "the area then faces those barriers like any other); fitted by calibration/europe.yaml "
        "(to six European destinations' foreign-trained doctors) and adopted in "
        "calibration/fitted.yaml",
        "Utility of a destination in the area of free movement (`World.free_movement`) for "
        "workers trained in another member.",
        min=-10.0, max=10.0,
        range_source="from none (0) to odds 55 times those of a move of the same distance, "
        "language and wages outside the area (4); assumption, to be calibrated (docs/data.md "
        "§1.2: 58.8% of the foreign-trained doctors of the 14 reporting European destinations "
        "trained in the area in 2018)",
    ),
    RealParameter(
        "behaviour.recognition_pathway_effect", 0.0, 4.0, 0.0, "utility",
        "none at the default; expedited recognition pathways (Australia's Competent Authority "
        "pathway from 2007, New Zealand's, the Trans-Tasman Mutual Recognition Act of 1997; "
        "recruitment_channels.csv) register doctors (and, between Australia and New Zealand, "
        "nurses) trained in the listed countries without the destination's examinations (the "
        "Australian Medical Council's two-part examination, NZREX) that the emigration constant "
        "stands for elsewhere, as the free movement effect does within the EU; not fitted (no "
        "current count identifies it: docs/calibration.md, 'Recognition pathways')",
        "Utility of a destination for workers of the cadre trained in an origin whose "
        "qualifications or registration it recognises without its own examinations "
        "(`World.recognition_pathway_from`): where the corridor's share is small, its flow is "
        "about exp(effect) times what it would be.",
        min=-10.0, max=10.0,
        range_source="from none (0) to the free movement effect's reach (4, odds 55 times), "
        "which the EU's automatic recognition, a pathway of the same kind with free movement "
        "besides, was fitted within (3.17, calibration/europe.yaml); assumption",
    ),
    RealParameter(
        "behaviour.community_preference", 0.0, 1.0, 0.0, "probability",
        "none at the default (admission in random order among applicants); the EU's Community "
        "preference (Council Resolution of 20 June 1994 on the admission of third-country "
        "nationals for employment; labour market tests in national law) has member states "
        "admit third-country workers only where EU/EEA workers cannot fill a vacancy, while "
        "shortage-occupation lists exempt many health posts from the test",
        "Probability that an applicant trained in a member of the area of free movement is "
        "considered, for a post in another member, before the applicants from outside it.",
        min=0.0, max=1.0,
        range_source="from admission in random order (0) to the strict rule (1); assumption: "
        "the six European destinations' foreign-trained doctors by origin do not identify it "
        "(calibration/community.yaml)",
    ),
    RealParameter(
        "behaviour.channel_preference", 0.0, 1.0, 0.0, "probability",
        "none at the default (admission in random order among applicants); assumption: a "
        "destination's employers and agencies recruit where its government-to-government "
        "channels are (the NHS's international recruitment of nurses in the Philippines, Kenya "
        "and Nepal; Japan's partnership agreements), so applicants from those origins reach its "
        "posts first; no published figure measures the share",
        "Probability that an applicant trained in an origin with which the destination runs a "
        "government-to-government recruitment channel of the cadre in force "
        "(`World.recruitment_partner_from`) is considered before the other applicants.",
        min=0.0, max=1.0,
        range_source="from admission in random order (0) to every partner applicant first (1); "
        "assumption; fitted by calibration/partners.yaml (posterior median 0.54, 90% interval "
        "0.15-0.93)",
    ),
    RealParameter(
        "behaviour.hiring_chance_weight", 0.0, 1.0, 0.0, "ratio",
        "none at the default (a destination's wage counts in full, however few of its applicants "
        "it takes); the expected income of Harris & Todaro 1970 (Todaro 1969) weighs a wage by "
        "the chance of finding work at it, as the model's own expected wage at home does (ODD "
        "§4.2.2); fitted by calibration/chance.yaml and not identified (its posterior flat over "
        "0-1), so not adopted",
        "Weight of the log chance of being hired at a destination (its open recruitment's fill "
        "rate, smoothed over about a year) in that destination's utility, as a share of the "
        "wage weight: 1 is the full expected income, the wage times the chance.",
        min=0.0, max=5.0,
        range_source="from the wage alone (0) to the full expected income (1); assumption (the "
        "global targets do not identify it: calibration/chance.yaml)",
    ),
    RealParameter(
        "behaviour.recruitment_channel_effect", 0.0, 1.5, 0.0, "utility",
        "none at the default; Adhikari, Cha'ngom, Kaila & Shrestha 2024 (World Bank Policy "
        "Research Working Paper 11000): signing a bilateral labour agreement raises migration "
        "in its corridor by 76% (0.57 log points) in the decade of signing, all occupations, "
        "1960-2020, and the effect lasts up to three decades; fitted with the channel "
        "preference by calibration/partners.yaml (posterior median 0.78, 90% interval "
        "0.12-1.43; adopted 2026-12-04); alone, by calibration/g2g.yaml (median 0.23), not "
        "adopted",
        "Utility of a destination for workers of the cadre trained in an origin with which it "
        "runs a government-to-government recruitment channel (`World.recruitment_partner_from`, "
        "recruitment_channels.csv): where the corridor's share is small, its flow is about "
        "exp(effect) times what it would be.",
        min=-10.0, max=10.0,
        range_source="from none (0) to odds 4.5 times (1.5), about the published effect (0.57) "
        "and the larger ones Adhikari et al. 2024 find for corridors without a regular flow "
        "before and for Gulf destinations; assumption beyond the central figure",
    ),
    RealParameter(
        "behaviour.national_code_passive_rate", 0.7, 1.0, 0.9, "share",
        PASSIVE_RATE_SOURCE,
        "Share of applicants from the safeguards-list countries who still obtain a post at a "
        "destination whose own code of practice in the world data bars their active recruitment "
        "(recruitment_channels.csv: the UK's, from 2023), by applying on their own. The lever "
        "`policies.ethical_recruitment` adds rules of its own; where both apply, the lower rate "
        "holds.",
        min=0.0, max=1.0,
        range_source="the readings of the NMC's counts, 0.76-1 (docs/data.md §4.1), widened to "
        "0.7",
    ),
    RealParameter(
        "behaviour.africa_origin_effect", 0.0, 1.5, 0.0, "utility",
        "none at the default: the initial nurse stocks abroad are imputed with the doctors' "
        "per-worker propensity (docs/data.md §1.5) and the doctors' from 2018, before the "
        "2021-23 departures from Nigeria, Ghana and Zimbabwe (C17-C19); fitted by "
        "calibration/origins.yaml",
        "Utility added to every destination of workers trained in the WHO African Region: their "
        "emigration propensity beyond what their stocks abroad at the start reveal.",
        min=-10.0, max=10.0,
        range_source="from none (0) to emigration odds 4.5 times the revealed ones (1.5); "
        "assumption, to be calibrated (C12c, C17-C19)",
    ),
    RealParameter(
        "behaviour.migrant_leave_shift", -3.0, 0.0, -1.0, "utility",
        "assumption: a work permit tied to a post in the profession (the UK's Health and Care "
        "Worker visa until settlement after five years, H-1B, sponsorship in the GCC and "
        "Australia) leaves a migrant who quits the profession little right to stay",
        "Utility added to a migrant's option of leaving the profession where they work (a migrant "
        "may still return home or move on).", min=-50.0, max=0.0,
        range_source="from no tie (0) to leaving in place one-twentieth as likely (-3); to be "
        "calibrated (C08)",
    ),
    RealParameter(
        "behaviour.leave_income_gradient", 0.0, 1.0, 0.0, "utility/log-income",
        "none at the default; the evidence that asks for it: Ghana's base attrition of about 8% "
        "a year at migrating ages (Antwi & Phillips 2011, C25) against register leaving of "
        "2.4-2.7% a year of the UK's foreign-trained nurses and 4% of its doctors (C08, C09, "
        "C27), which one constant of leaving cannot both meet; fitted by calibration/gradient.yaml",
        "Fall of the utility of leaving the profession per unit of ln(GDP per capita / the "
        "world's median): leaving is rarer where incomes, and with them pay and careers in "
        "health, are higher.", min=0.0, max=5.0,
        range_source="from none (0) to leaving odds 2.7 times lower per e-fold of income (1); "
        "Ghana to the UK is 2 e-folds",
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
    *_per(
        "behaviour.emigration_age_factor", MIGRATION_AGE_LABELS,
        ((0.6, 0.3, 0.9), (0.25, 0.1, 0.5), (0.05, 0.0, 0.2)),
        unit="relative", min=0.0, max=1.0,
        source="human-capital model of migration (Sjaastad 1962); migrating ages 20-40 in "
        "Antwi & Phillips 2011 (C25); sim/data/raw/literature/entry_and_migration_age.csv",
        doc="Propensity to emigrate at these ages relative to workers under 35; the emigration "
        "utility carries ln(factor).",
        range_source="assumption (entry_and_migration_age.csv)",
    ),
    RealParameter(
        "behaviour.onward_constant", -4.0, 1.0, 0.0, "utility",
        "assumption: a second international move costs as much as the first (step migration, "
        "e.g. Gulf -> OECD)",
        "Constant added to the emigration utility of a migrant moving on to a third country "
        "(onward or step migration); a very negative value switches onward migration off.",
        min=-50.0, max=50.0, range_source="wide prior (to be calibrated)",
    ),
)  # fmt: skip

HAZARD_AGE_EDGES = (0, 35, 45, 55, 60, 65, 70)
"""Lower edges (years) of the age bands of the hazard profiles: <35, 35-44, 45-54, 55-59, 60-64,
65-69, 70 and over (`sim/data/raw/literature/exit_hazards.csv`)."""
ATTRITION_PROFILE = {
    "doctors": (1.875, 1.0, 1.0, 1.0, 1.0, 1.25, 2.5),
    "nurses": (2.0, 1.0, 1.0, 1.0, 1.0, 4.0 / 3.0, 4.0 / 3.0),
}
"""Attrition (leaving the profession, including death) by hazard age band relative to ages 35-54
(`hazards.attrition_rate`): doctors 1.5, 0.8, 0.8, 0.8, 0.8, 1, 2 %/yr; nurses 3, 1.5, 1.5, 1.5,
1.5, 2, 2 %/yr in exit_hazards.csv (assumptions: early-career attrition above mid-career). The
first band's value is the default of `hazards.early_attrition_ratio`, which replaces it."""
RETIREMENT_PROFILE = {
    "doctors": (0.0, 0.0, 0.0, 0.02, 0.08, 0.20, 0.40),
    "nurses": (0.0, 0.0, 0.0, 0.06, 0.20, 0.40, 0.60),
}
"""Retirement hazard (1/year) by hazard age band at `hazards.retirement_scale` 1
(exit_hazards.csv: statutory pension ages 60-67; few nurses work past 65; everyone gone by 80)."""
LATE_ENTRY_MAX_YEARS = 20
"""Largest excess (whole years) of a graduate's age at entry over `hazards.entry_age`."""

HAZARD_PROFILE_SOURCE = "sim/data/raw/literature/exit_hazards.csv (docs/data.md §2.3)"

HAZARDS: tuple[Parameter, ...] = (
    *_per(
        "hazards.attrition_rate", CADRES, ((0.008, 0.003, 0.015), (0.015, 0.005, 0.03)),
        unit="1/year", min=0.0, max=1.0,
        source="exit_hazards.csv (assumption; implied crude exit of high-income doctors 4.4%/yr "
        "against GMC leavers 4%/yr, C27)",
        doc="Attrition at ages 35-64: leaving the profession for good (health, family, career "
        "change), death included; other ages scale it by the documented age profile.",
        range_source="exit_hazards.csv ranges at ages 35-54",
    ),
    *_per(
        "hazards.early_attrition_ratio", CADRES, ((1.875, 0.625, 3.75), (2.0, 1.0, 4.0)),
        unit="ratio", min=0.0, max=10.0,
        source="exit_hazards.csv (assumption: early-career exit above mid-career, doctors 1.5 "
        "against 0.8 %/yr, nurses 3 against 1.5 %/yr; qualitative pattern of cohort and "
        "newly-qualified-nurse studies)",
        doc="Attrition under 35 relative to `attrition_rate` (ages 35-64).",
        range_source="exit_hazards.csv's range under 35 over its level at 35-54 (doctors "
        "0.5-3%/yr over 0.8%, nurses 1.5-6%/yr over 1.5%)",
    ),
    RealParameter(
        "hazards.migrant_attrition_ratio", 0.4, 1.0, 1.0, "ratio",
        "assumption: no difference at equal age until fitted (calibration/hazards.yaml, C08)",
        "Attrition of a worker outside their country of training relative to a native's at the "
        "same age (retirement and death unchanged): a work permit tied to a post in the "
        "profession keeps migrants in it.", min=0.0, max=10.0,
        range_source="down to 0.4 from the Nuffield Trust's crude 0.7 (Palmer, Leone and "
        "Appleby 2021, NHS Digital, year to October 2019: 7% of non-UK, non-EU nurses left the "
        "NHS against 10% of UK nurses, retirement included); at most 1 (no evidence that "
        "migrants leave the profession more)",
    ),
    *_per(
        "hazards.retirement_scale", CADRES, ((1.0, 0.5, 1.75), (1.0, 0.5, 1.75)),
        unit="ratio", min=0.0, max=20.0,
        source="exit_hazards.csv (retirement by age: doctors 2%/yr at 55-59 to 40% at 70-79, "
        "nurses 6% to 60%)",
        doc="Multiplier of the documented retirement hazards by age.",
        range_source="exit_hazards.csv ranges at 60-64 (doctors 4-15%, nurses 10-35%) relative "
        "to 8% and 20%",
    ),
    RealParameter(
        "hazards.max_age", 75.0, 85.0, 80.0, "years",
        "exit_hazards.csv (everyone has left by 80)",
        "Age at which every remaining worker retires.", min=45, max=90,
        range_source="assumption",
    ),
    RealParameter(
        "hazards.death_rate", 0.001, 0.005, 0.002, "1/year", "WHO life tables, ages 25-64",
        "Mortality of working-age adults: the part of attrition recorded as deaths (the rest is "
        "exit from the profession).", min=0.0, max=1.0,
        range_source="adult mortality of high- to low-income countries",
    ),
    *_per(
        "hazards.entry_age", CADRES, ((26, 24, 28), (23, 21, 25)),
        unit="years", source="entry_and_migration_age.csv (a 5-6 year medical degree from 18-19 "
        "plus internship; a 3-4 year nursing programme)",
        doc="Youngest age of new graduates (and of the initial age profile); graduates enter at "
        "this age plus a whole number of years drawn with mean `late_entry_years`.",
        range_source="programme lengths and ages at entry",
        min=16, max=40,
    ),
    *_per(
        "hazards.late_entry_years", CADRES, ((2.0, 0.0, 4.0), (4.0, 0.0, 9.0)),
        unit="years", source="entry_and_migration_age.csv (US medical graduates average 28 "
        "against the youngest 26, AAMC; US registered nurses enter near 31.5 against 23, state "
        "workforce centres; nurses' 4 an assumption between straight-from-school and US entry)",
        doc="Mean years by which a graduate's age at entry exceeds `entry_age`: the excess is a "
        "whole number of years with a geometric distribution of this mean, truncated at "
        f"{LATE_ENTRY_MAX_YEARS} years and below the maximum age (0: every graduate enters at "
        "`entry_age`).",
        range_source="0 (all straight from school) to the US figures (doctors 2 + 2, nurses "
        "8.5)",
        min=0.0, max=20.0,
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
    RealParameter(
        "workforce.training_trend_persistence", 5.0, 30.0, 10.0, "years",
        "docs/data.md §2.5: the undamped extrapolation of 2008-2020 growth overshoots Boniol et "
        "al. 2022 (+29% workers 2020-2030)",
        "Time constant with which the growth of graduate output converges from the observed "
        "growth of the stock to population growth (and with which the posts' momentum of fully "
        "employed workforces fades, `posts_trend_weight`).", min=0.5, max=200.0,
        range_source="convergence in about 10 to 60 years (half to full persistence of a decade)",
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
    RealParameter(
        "workforce.training_expansion_rate", 0.02, 0.12, 0.05, "1/year",
        "training_capacity.csv: sustained expansions of 1.7-1.8%/yr (USA, Japan doctors), "
        "short pushes of 9-12%/yr (England)",
        "Training capacity: extra intake (above the trend) may grow by at most this share of "
        "base graduate output a year; money beyond it is carried in a training fund.",
        min=0.0, max=10.0,
        range_source="documented expansions, sustained (2%) to short pushes (12%)",
    ),
    RealParameter(
        "workforce.training_vacancy_response", 0.0, 2.0, 1.0, "ratio",
        "assumption (England added 25% medical school places in 2016-2019 at vacancy rates of "
        "8-10%)",
        "Extra intake, as a share of base graduate output, per unit of the 3-year average "
        "vacancy rate above the threshold (training responds to sustained vacancies).",
        min=0.0, max=20.0, range_source="from no response to a doubling per 50 points",
    ),
    RealParameter(
        "workforce.training_unemployment_response", 0.0, 2.0, 1.0, "ratio",
        "assumption, symmetric with `training_vacancy_response` (direction: the contraction of "
        "nursing education in the Philippines after graduates' unemployment rose in the late "
        "2000s, Masselink & Lee 2010; qualitative recollection)",
        "Share of base graduate intake not started, per unit of the 3-year average unemployment "
        "rate of trained workers above the threshold (training responds to sustained "
        "unemployment; the cut is at most the whole base intake).",
        min=0.0, max=20.0, range_source="from no response to a halving per 25 points",
    ),
    RealParameter(
        "workforce.unemployment_threshold", 0.0, 0.1, 0.05, "share",
        "assumption: frictional unemployment rate (mirrors `vacancy_threshold`)",
        "Unemployment rate of trained workers above which training responds.",
        min=0.0, max=1.0, range_source="frictional unemployment rates",
    ),
    RealParameter(
        "workforce.vacancy_threshold", 0.0, 0.1, 0.05, "share",
        "assumption: frictional vacancy rate (NHS England 8-10% counted as a shortage)",
        "Vacancy rate above which training and wages respond.", min=0.0, max=1.0,
        range_source="frictional vacancy rates",
    ),
    RealParameter(
        "workforce.wage_vacancy_response", 0.0, 1.0, 0.5, "ratio",
        "assumption (wage responses to nurse shortages are small in the short run)",
        "Wage rise per unit of the 3-year average vacancy rate above the threshold.",
        min=0.0, max=10.0, range_source="assumption: none to one for one",
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
        "workforce.demand_income_elasticity", CADRES, ((0.5, 0.1, 1.2), (0.5, 0.1, 1.2)),
        unit="ratio", min=0.0, max=5.0,
        source="demand_elasticity.csv and docs/data.md §3.2: between the within-country decade "
        "estimates (0.15-0.18) and the cross-section (doctors 1.02, nurses 0.75) that Scheffler "
        "et al. 2008 and Liu et al. 2017 use to project demand",
        doc="Elasticity of funded posts per capita to real GDP per capita (fiscal space).",
        range_source="from the within-country decade estimates (0.15-0.18) to above the "
        "cross-section",
    ),
    RealParameter(
        "workforce.posts_trend_weight", 0.5, 1.5, 1.0, "ratio",
        "ODD §7.2 and docs/data.md §2.1: where every trained worker holds a post (upper-middle "
        "and high income, `FULLY_EMPLOYED_INCOME_GROUPS`), the stock can grow no faster than "
        "funded posts, so its observed 2008-2020 growth is a lower bound of theirs (if vacancies "
        "did not fall)",
        "Weight of the observed growth of a fully employed workforce above the fiscal-space "
        "path in the growth of its funded posts (0: posts follow population and income alone); "
        "the excess fades with `training_trend_persistence`.",
        min=0.0, max=3.0,
        range_source="assumption: 1 is the lower bound the observed growth gives; half of it "
        "(a noisy or partly unemployed stock) to one and a half (posts that outgrew the stock, "
        "vacancies rising as in England)",
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
    RealParameter(
        "workforce.recruitment_reliance_elasticity", 0.5, 1.5, 1.0, "ratio",
        "steady state: a destination's foreign-trained share of its stock is the foreign share "
        "of its hires, which its recruitment intensity sets (docs/data.md section 1.4: OECD "
        "2018, published and modelled foreign-trained shares)",
        "Elasticity of a destination's recruitment intensity to its foreign-trained share, "
        "relative to the UK's (0: every destination recruits at the common intensity).",
        min=0.0, max=2.0,
        range_source="assumption: half to one and a half times proportional to the revealed "
        "reliance",
    ),
    RealParameter(
        "workforce.shared_ceiling_share", 0.1, 0.4, 0.25, "share",
        "docs/data.md §4: the US EB-3 ceiling (40,040 a year) is shared by all occupations and "
        "dependants",
        "Share of an all-occupation visa ceiling open to the cadre (US EB-3 for nurses).",
        min=0.0, max=1.0, range_source="to calibrate against ~18,000 applicants a year (C32)",
    ),
    RealParameter(
        "workforce.licensing_exam_intensity", 0.0, 0.5, 0.1, "ratio",
        "recruitment_channels.csv (Japan, Korea: licensing examinations in the national "
        "language, no migration channel in practice; approximate recollection)",
        "Multiplier of the recruitment intensity of destinations recruiting only through a "
        "national-language licensing examination.", min=0.0, max=1.0,
        range_source="assumption: none to half of an open channel",
    ),
    RealParameter(
        "workforce.migrant_stock_growth", 0.0, 0.05, 0.023, "1/year",
        "UN DESA International Migrant Stock (sim/data/raw/undesa): the world's migrant stock "
        "grew 2.3%/yr in 2000-2020 and 2010-2020",
        "Growth of the foreign-trained stock before the start, which sets the initial migrants' "
        "age profile (a growing stock is mostly recent, younger arrivals).",
        min=-0.1, max=0.2,
        range_source="destinations' 2010-2020 migrant stock growth in the same data: 1.0%/yr "
        "(USA) to 4.8%/yr (Germany)",
    ),
    *_per(
        "workforce.foreign_share_default", CADRES, ((0.19, 0.1, 0.3), (0.09, 0.04, 0.15)),
        unit="share", min=0.0, max=0.95, source="OECD Health at a Glance 2023 (C14, C15)",
        range_source="spread of foreign-trained shares across OECD countries",
        doc="World files only (the global world has bilateral data): initial share of "
        "foreign-trained workers in destinations without OECD bilateral data, spread over "
        "origins by migrant stocks.",
    ),
)  # fmt: skip

UNCERTAINTIES: tuple[Parameter, ...] = (*BEHAVIOUR, *HAZARDS, *WORKFORCE)
"""Every constant of the `behaviour`, `hazards` and `workforce` sections, in schema order."""

UNCERTAINTY_SECTIONS = ("behaviour", "hazards", "workforce")
