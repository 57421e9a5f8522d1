"""Levers: the policies of the WHO Code of Practice, and the dated exogenous adjustments.

Each `Lever` lists its parameters (with the range of options worth exploring as `low`/`high`), its
country selectors and, unless it is a list of items, its `enabled` switch; every lever is dated by
`from`/`until` (added by the schema).
"""

from __future__ import annotations

from sim.declarations.base import (
    CADRES,
    PASSIVE_RATE_SOURCE,
    BooleanParameter,
    CategoricalParameter,
    CodeParameter,
    Lever,
    RealParameter,
    SelectorParameter,
)

LEVER_PARAMETER_RANGE_SOURCE = "range of options explored (a policy choice, not an estimate)"
"""What `low`/`high` mean for a lever's numeric parameters."""


def _cadres(path: str) -> CategoricalParameter:
    return CategoricalParameter(
        f"{path}.cadres", "all", "Cadre(s) the policy applies to.", ("all", *CADRES)
    )


def _lever_real(path: str, low: float, high: float, default: float, unit: str, doc: str,
                source: str = "", **bounds: float) -> RealParameter:  # fmt: skip
    return RealParameter(path, low, high, default, unit, source, doc, **bounds)


_P = "policies."
_AG = "policies.agreements[]."
LEVERS: tuple[Lever, ...] = (
    Lever(
        "ethical_recruitment", "ethical recruitment",
        "No active recruitment from protected countries.",
        (
            SelectorParameter(_P + "ethical_recruitment.destinations", "destinations",
                              "Countries applying the rule."),
            SelectorParameter(_P + "ethical_recruitment.protected", "safeguards",
                              "Countries not actively recruited from."),
            _lever_real(_P + "ethical_recruitment.passive_rate", 0.0, 1.0, 0.9, "share",
                        "Share of applicants from protected countries who still obtain a post by "
                        "applying on their own.",
                        PASSIVE_RATE_SOURCE + "; lower rates stand for a rule enforced beyond "
                        "employers, none of which is examined here", min=0.0, max=1.0),
        ),
        topic="recruitment practices",
    ),
    Lever(
        "fee_free_recruitment", "fee-free recruitment", "Recruitment free of charge to workers.",
        (SelectorParameter(_P + "fee_free_recruitment.destinations", "destinations",
                           "Destinations where employers pay the fees."),),
        topic="recruitment practices",
    ),
    Lever(
        "equal_treatment", "equal treatment of migrant workers",
        "Migrant pay equals native pay (no wage discount).",
        (SelectorParameter(_P + "equal_treatment.destinations", "destinations",
                           "Destinations applying it."),),
        topic="recruitment practices",
    ),
    Lever(
        "agreements", "bilateral agreements",
        "Bilateral agreements, each for one corridor (source -> destination).",
        (
            CodeParameter(_AG + "source", None, "Source country (ISO3)."),
            CodeParameter(_AG + "destination", None, "Destination country (ISO3)."),
            CategoricalParameter(_AG + "cadre", "all", "Cadre(s) the policy applies to.",
                                 ("all", *CADRES)),
            _lever_real(_AG + "quota", 0.0, 5000.0, 1000.0, "workers/year",
                        "Workers per year recruited first under the agreement (within the "
                        "destination's international posts).", min=0.0, max=1e7),
            BooleanParameter(_AG + "fee_free", True,
                             "Recruitment under the agreement is free of charge to workers."),
            _lever_real(_AG + "training_places", 0.0, 1000.0, 0.0, "graduates/year",
                        "Extra graduates per year trained in the source, funded by the "
                        "destination (after the training lag).", min=0.0, max=1e7),
            _lever_real(_AG + "contract_years", 0.0, 5.0, 0.0, "years",
                        "Fixed-term (circular) contract length; 0 means permanent.",
                        min=0.0, max=40.0),
            _lever_real(_AG + "return_probability", 0.0, 1.0, 0.7, "probability",
                        "Probability that a worker returns home at the end of a fixed-term "
                        "contract.", "assumption", min=0.0, max=1.0),
        ),
        topic="mutuality of benefits",
        many=True,
    ),
    Lever(
        "compensation", "compensation of source countries",
        "Destinations pay sources per worker recruited.",
        (
            SelectorParameter(_P + "compensation.payers", "destinations",
                              "Destinations that pay."),
            SelectorParameter(_P + "compensation.recipients", "safeguards",
                              "Source countries that are paid."),
            _lever_real(_P + "compensation.rate", 0.0, 50000.0, 20000.0, "int$ PPP",
                        "Payment per worker recruited.",
                        "assumption; order of a nurse's training cost in low-income countries",
                        min=0.0, max=1e7),
            CategoricalParameter(_P + "compensation.use", "training",
                                 "What the source spends it on: more graduates (after the "
                                 "training lag) or retention pay.", ("training", "retention")),
        ),
        topic="mutuality of benefits",
    ),
    Lever(
        "retention", "retention pay", "Retention pay and working conditions.",
        (
            SelectorParameter(_P + "retention.countries", "safeguards", "Countries applying it."),
            _cadres(_P + "retention"),
            _lever_real(_P + "retention.pay_rise", 0.0, 0.5, 0.10, "share of wage", "Pay rise.",
                        "Ghana 2006 reform (Antwi & Phillips 2011)", min=0.0, max=5.0),
            _lever_real(_P + "retention.conditions", 0.0, 0.3, 0.0, "log-wage",
                        "Improvement of working conditions, in log-wage equivalents.",
                        min=-2.0, max=2.0),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "rural_allowance", "a rural allowance", "Allowance paid to rural workers.",
        (
            SelectorParameter(_P + "rural_allowance.countries", "safeguards",
                              "Countries applying it."),
            _cadres(_P + "rural_allowance"),
            _lever_real(_P + "rural_allowance.allowance", 0.0, 0.5, 0.10, "share of wage",
                        "Rural allowance.", "Blaauw et al. 2010", min=0.0, max=5.0),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "bonding", "bonding (compulsory service)",
        "Compulsory service for new graduates, with buy-out.",
        (
            SelectorParameter(_P + "bonding.countries", "safeguards", "Countries applying it."),
            _cadres(_P + "bonding"),
            _lever_real(_P + "bonding.years", 0.0, 5.0, 3.0, "years", "Length of the bond.",
                        "typical bonding schemes (Frehywot et al. 2010)", min=0.0, max=20.0),
            _lever_real(_P + "bonding.buyout", 0.0, 5.0, 1.0, "annual wages",
                        "Buy-out price of the bond.", "Frehywot et al. 2010", min=0.0, max=50.0),
            BooleanParameter(_P + "bonding.rural_service", True,
                             "Bonded graduates serve in rural areas and may not move to urban "
                             "posts while bonded."),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "domestic_training", "domestic training expansion",
        "Expansion of domestic training (self-sufficiency).",
        (
            SelectorParameter(_P + "domestic_training.countries", "destinations",
                              "Countries expanding training."),
            _cadres(_P + "domestic_training"),
            _lever_real(_P + "domestic_training.expansion", 0.0, 1.0, 0.25, "share",
                        "Increase of graduate output (after the training lag).",
                        min=0.0, max=10.0),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "deployment_cap", "a cap on deployments abroad",
        "The country of training caps deployments abroad of newly hired health workers.",
        (
            SelectorParameter(_P + "deployment_cap.countries", "safeguards",
                              "Countries of training applying the cap."),
            _cadres(_P + "deployment_cap"),
            _lever_real(_P + "deployment_cap.cap", 0.0, 20000.0, 5000.0, "workers/year",
                        "Deployments a year from each selected country (its selected cadres "
                        "together), accruing evenly over the year; workers moving on from abroad "
                        "and returning workers are not counted.",
                        "the Philippines capped new-hire deployments of health workers at 5,000 "
                        "in 2020 (7,000 in 2021, 7,500 in 2022; recruitment_channels.csv)",
                        min=0.0, max=1e7),
            BooleanParameter(_P + "deployment_cap.exempt_agreements", True,
                             "Hires under bilateral agreements (government to government) do not "
                             "count against this lever's cap (the world data's caps always exempt "
                             "them)."),
        ),
        topic="workforce sustainability",
    ),
)  # fmt: skip
"""The levers, in the order of the scenario file's `policies` section."""

_AD = "adjustments[]."
ADJUSTMENTS = Lever(
    "adjustments", "adjustments", "Dated exogenous changes to country parameters.",
    (
        SelectorParameter(_AD + "countries", "none", "Countries the adjustment applies to."),
        _lever_real(_AD + "demand_multiplier", 0.5, 2.0, 1.0, "ratio",
                    "Multiplier on funded posts (a demand surge or cut).", min=0.0, max=10.0),
        _lever_real(_AD + "recruitment_multiplier", 0.0, 3.0, 1.0, "ratio",
                    "Multiplier on international recruitment (0 closes the visa route).",
                    min=0.0, max=100.0),
        _lever_real(_AD + "wage_multiplier", 0.5, 2.0, 1.0, "ratio", "Multiplier on wages.",
                    min=0.01, max=100.0),
        _lever_real(_AD + "capacity_multiplier", 0.0, 2.0, 1.0, "ratio",
                    "Multiplier on the annual ceiling of international recruitment, where the "
                    "destination has one (e.g. a visa quota).", min=0.0, max=100.0),
    ),
    topic="exogenous changes",
    many=True,
    path="adjustments",
)  # fmt: skip
"""Exogenous, dated changes (a scenario's uncertainties, not policy choices), declared like a
list lever: each item selects countries and multiplies demand, recruitment or wages."""


def lever(name: str) -> Lever:
    """The lever (or `adjustments`) of this name."""
    for item in (*LEVERS, ADJUSTMENTS):
        if item.name == name:
            return item
    raise KeyError(f"no lever {name!r}")
