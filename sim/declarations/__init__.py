"""The registry: every uncertainty, lever and outcome of the model, declared once and typed.

In the spirit of the EMA Workbench (Kwakkel 2017, *Environmental Modelling & Software* 96:239-250):

- **uncertainties** (`UNCERTAINTIES`): the behavioural, hazard and workforce constants, each a
  `RealParameter` or `IntegerParameter` with its default, unit, source, the bounds a scenario file
  may use (`min`, `max`) and a narrower *plausible range* (`low`, `high`) that sweeps and the
  calibration take as their prior;
- **levers** (`LEVERS`): the policies of the WHO Code of Practice with their parameters, country
  selectors and dates (`from`/`until`), and the dated exogenous `ADJUSTMENTS`;
- **outcomes** (`OUTCOMES`): `ScalarOutcome(name, kind=MAXIMIZE|MINIMIZE|INFO, unit, definition)`,
  each a declarative recipe over the indicator table that `sim.outputs.outcomes` computes (once).

Everything else reads this package: the scenario schema (`sim.inputs.schema`) generates its
`behaviour`, `hazards`, `workforce`, `policies` and `adjustments` sections from it,
`PolicySchedule` takes each lever's selectors from it, and the run summary, the briefing and
sweeps take their outcomes from it. It imports nothing else from `sim`, so every layer may read
it. Modules: `base` (the types and the constants defined once), `uncertainties`, `levers`,
`outcomes`.
"""

from __future__ import annotations

from sim.declarations.base import (
    AGENTS_ENGINE_WARNING,
    ALL,
    AREAS,
    AUTO_ARRAYS_THRESHOLD,
    CADRES,
    DENSITY_THRESHOLDS,
    EMIGRANT_AGE_BANDS,
    FULLY_EMPLOYED_INCOME_GROUPS,
    INCOME_GROUPS,
    INFO,
    MAXIMIZE,
    MIGRATION_AGE_EDGES,
    MIGRATION_AGE_LABELS,
    MINIMIZE,
    RECRUITMENT_REFERENCE,
    SAFEGUARDS_MEDIAN,
    SDG_THRESHOLD,
    SELECTOR_KEYWORDS,
    WORLD,
    YOUNG_AGE,
    BooleanParameter,
    CategoricalParameter,
    CodeParameter,
    IntegerParameter,
    Kind,
    Lever,
    Parameter,
    RealParameter,
    ScalarOutcome,
    SelectorParameter,
)
from sim.declarations.levers import ADJUSTMENTS, LEVER_PARAMETER_RANGE_SOURCE, LEVERS, lever
from sim.declarations.outcomes import OUTCOME_NAMES, OUTCOMES, outcome
from sim.declarations.uncertainties import (
    ATTRITION_PROFILE,
    BEHAVIOUR,
    HAZARD_AGE_EDGES,
    HAZARD_PROFILE_SOURCE,
    HAZARDS,
    LATE_ENTRY_MAX_YEARS,
    RETIREMENT_PROFILE,
    UNCERTAINTIES,
    UNCERTAINTY_SECTIONS,
    WORKFORCE,
)

__all__ = [
    "ADJUSTMENTS",
    "AGENTS_ENGINE_WARNING",
    "ALL",
    "AREAS",
    "ATTRITION_PROFILE",
    "AUTO_ARRAYS_THRESHOLD",
    "BEHAVIOUR",
    "CADRES",
    "DENSITY_THRESHOLDS",
    "EMIGRANT_AGE_BANDS",
    "FULLY_EMPLOYED_INCOME_GROUPS",
    "HAZARDS",
    "HAZARD_AGE_EDGES",
    "HAZARD_PROFILE_SOURCE",
    "INCOME_GROUPS",
    "INFO",
    "LATE_ENTRY_MAX_YEARS",
    "LEVERS",
    "LEVER_PARAMETER_RANGE_SOURCE",
    "MAXIMIZE",
    "MIGRATION_AGE_EDGES",
    "MIGRATION_AGE_LABELS",
    "MINIMIZE",
    "OUTCOMES",
    "OUTCOME_NAMES",
    "RECRUITMENT_REFERENCE",
    "RETIREMENT_PROFILE",
    "SAFEGUARDS_MEDIAN",
    "SDG_THRESHOLD",
    "SELECTOR_KEYWORDS",
    "UNCERTAINTIES",
    "UNCERTAINTY_SECTIONS",
    "WORKFORCE",
    "WORLD",
    "YOUNG_AGE",
    "BooleanParameter",
    "CategoricalParameter",
    "CodeParameter",
    "IntegerParameter",
    "Kind",
    "Lever",
    "Parameter",
    "RealParameter",
    "ScalarOutcome",
    "SelectorParameter",
    "lever",
    "outcome",
]
