"""The arrays of a `sim.inputs.world.World`: their element kinds, their shapes, which a world may
lack, and which must come together (docs/architecture.md, "World").

Shapes use C countries, K cadres (`sim.declarations.CADRES`) and A age bands (`AGE_BANDS`).
"""

from __future__ import annotations

import numpy as np

COUNTRY_ARRAYS = {
    # field: element kind, one of "str", "float", "int", "bool"
    "iso3": "str",
    "name": "str",
    "who_region": "str",
    "income_group": "str",
    "population": "float",
    "urban_share": "float",
    "doctors": "float",
    "nurses": "float",
    "doctors_density": "float",
    "nurses_density": "float",
    "doctors_year": "int",
    "nurses_year": "int",
    "safeguards": "bool",
    "recognition_area": "bool",
    "free_movement": "bool",
    "uhc_index": "float",
    "gdp_pc_ppp": "float",
    "imputed": "str",
    "ftd_reported": "bool",
    "doctors_source": "str",
    "nurses_source": "str",
}
PAIR_ARRAYS = {
    "ftd_doctors": "float",
    "migrant_stock": "float",
    "distance_km": "float",
    "common_language": "bool",
    "colony": "bool",
}
DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_, "str": np.str_}
AGE_BANDS = ("<35", "35-44", "45-54", "55-64", "65+")
"""The age bands of ``World.age_shares`` (ages 0-34, 35-44, 45-54, 55-64, 65-79)."""
OPTIONAL_ARRAYS = {
    # field: shape kind -- "pair_cadre" (C, C, K), "country_cadre" (C, K), "country" (C,),
    # "country_cadre_band" (C, K, A), "country_entries" (C, E): E entries a country, E >= 1,
    # the same E across a group of TOGETHER
    "initial_foreign_trained": "pair_cadre",
    "foreign_trained_relative": "country_cadre",
    "stock_growth": "country_cadre",
    "gdp_pc_growth": "country",
    "income_relative": "country",
    "age_shares": "country_cadre_band",
    "recruitment_ceiling": "country_cadre",
    "recruitment_ceiling_shared": "country_cadre",
    "licensing_exam": "country_cadre",
    "preference_waived": "country_cadre",
    "recruitment_partner_from": "pair_cadre",
    "recognition_pathway_from": "pair_cadre",
    "practice_language": "pair_cadre",
    "ethical_code_from": "country_cadre",
    "deployment_cap": "country_entries",
    "deployment_cap_from": "country_entries",
    "deployment_cap_until": "country_entries",
    "post_expansion": "country_cadre",
    "post_expansion_from": "country_cadre",
    "post_expansion_until": "country_cadre",
}
"""Arrays a world may lack (None): built for the global world, absent from world files."""
UNBOUNDED = frozenset(
    {
        "recruitment_ceiling",
        "deployment_cap",
        "deployment_cap_from",
        "deployment_cap_until",
        "recruitment_partner_from",
        "recognition_pathway_from",
        "ethical_code_from",
    }
)
"""Optional arrays in which +inf means "no limit" (for `recruitment_partner_from` and
`ethical_code_from`, "never"; for `deployment_cap_from` and `deployment_cap_until`, "no
bound")."""
TOGETHER = (
    ("deployment_cap", "deployment_cap_from", "deployment_cap_until"),
    ("post_expansion", "post_expansion_from", "post_expansion_until"),
)
"""Optional arrays that only mean something together: all given or none."""
