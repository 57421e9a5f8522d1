"""The world: countries, their health workforce and the bilateral links between them.

`load_world` reads the bundled global world (the 194 WHO Member States, tables in `sim/data/` built
by `scripts/build_world.py`, sources in `sim/data/SOURCES.md`), the stylised five-country world
(`sim/data/archetypes.yaml`) or a user's world file in the archetypes format. A `World` is a frozen
dataclass of numpy arrays; its arrays are read-only (copy before changing them).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sim.declarations import CADRES, INCOME_GROUPS, SAFEGUARDS_MEDIAN
from sim.errors import WorldError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ARCHETYPES_FILE = DATA_DIR / "archetypes.yaml"
KINDS = ("global", "archetypes", "file")
WHO_REGIONS = ("AFR", "AMR", "SEAR", "EUR", "EMR", "WPR")
GLOBAL_BASE_YEAR = 2020

_CODE_ALIASES = {
    "UK": "GBR",
    "US": "USA",
    "UAE": "ARE",
    "DRC": "COD",
    "ZAR": "COD",
    "TMP": "TLS",
    "ROM": "ROU",
}
"""Common non-ISO3 spellings, used only to suggest the right code in an error."""

_COUNTRY_ARRAYS = {
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
    "uhc_index": "float",
    "gdp_pc_ppp": "float",
    "imputed": "str",
    "ftd_reported": "bool",
    "doctors_source": "str",
    "nurses_source": "str",
}
_PAIR_ARRAYS = {
    "ftd_doctors": "float",
    "migrant_stock": "float",
    "distance_km": "float",
    "common_language": "bool",
    "colony": "bool",
}
_DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_, "str": np.str_}
AGE_BANDS = ("<35", "35-44", "45-54", "55-64", "65+")
"""The age bands of ``World.age_shares`` (ages 0-34, 35-44, 45-54, 55-64, 65-79)."""
_OPTIONAL_ARRAYS = {
    # field: shape kind -- "pair_cadre" (C, C, K), "country_cadre" (C, K), "country" (C,),
    # "country_cadre_band" (C, K, A)
    "initial_foreign_trained": "pair_cadre",
    "stock_growth": "country_cadre",
    "gdp_pc_growth": "country",
    "age_shares": "country_cadre_band",
    "recruitment_ceiling": "country_cadre",
    "recruitment_ceiling_shared": "country_cadre",
    "licensing_exam": "country_cadre",
    "deployment_cap": "country",
    "deployment_cap_from": "country",
    "deployment_cap_until": "country",
}
"""Arrays a world may lack (None): built for the global world, absent from world files."""
_UNBOUNDED = frozenset(
    {"recruitment_ceiling", "deployment_cap", "deployment_cap_from", "deployment_cap_until"}
)
"""Optional arrays in which +inf means "no limit"."""


@dataclass(frozen=True, eq=False)
class World:
    """C countries in a fixed order with their workforce, population and bilateral links.

    Country arrays have shape (C,), bilateral arrays (C, C) indexed ``[origin, destination]``,
    ``pop_projection`` (C, Y) for the years ``proj_years``. See docs/architecture.md ("World").
    """

    kind: str
    base_year: int
    iso3: np.ndarray
    name: np.ndarray
    who_region: np.ndarray
    income_group: np.ndarray
    population: np.ndarray
    urban_share: np.ndarray
    doctors: np.ndarray
    nurses: np.ndarray
    doctors_density: np.ndarray
    nurses_density: np.ndarray
    doctors_year: np.ndarray
    nurses_year: np.ndarray
    safeguards: np.ndarray
    uhc_index: np.ndarray
    gdp_pc_ppp: np.ndarray
    imputed: np.ndarray
    proj_years: np.ndarray
    pop_projection: np.ndarray
    ftd_doctors: np.ndarray
    ftd_reported: np.ndarray
    migrant_stock: np.ndarray
    distance_km: np.ndarray
    common_language: np.ndarray
    colony: np.ndarray
    doctors_source: np.ndarray | None = None
    """Source of each doctors density: ``who_gho``, ``wdi``, ``imputed`` or the world kind."""
    nurses_source: np.ndarray | None = None
    """Where each nurses-and-midwives density comes from (as ``doctors_source``)."""
    source_file: str = ""
    """The file (world YAML) or folder (bundled tables) the world was read from."""
    initial_foreign_trained: np.ndarray | None = None
    """(C, C, K) workers trained in ``origin`` working in ``destination`` at the start, by cadre
    (``CADRES``); ``[origin, destination, cadre]``, zero diagonal. Global world: OECD 2018 doctor
    counts and a gravity model scaled to published foreign-trained shares (docs/data.md,
    ``initial_foreign_trained.csv``); None for world files."""
    stock_growth: np.ndarray | None = None
    """(C, K) observed annual growth of the stock (WHO NHWA counts 2008-2020, Theil-Sen, shrunk
    toward the income-group median; ``stock_growth.csv``), 1/year; None for world files."""
    gdp_pc_growth: np.ndarray | None = None
    """(C,) real GDP per capita growth, 1/year (growth relative to the world 2010-2024, shrunk,
    plus the world's real growth; ``gdp_growth.csv``); None for world files."""
    age_shares: np.ndarray | None = None
    """(C, K, A) shares of the workforce in the ``AGE_BANDS`` (the profile of the country's
    income group, ``age_profile.csv``; each row sums to 1); None for world files."""
    recruitment_ceiling: np.ndarray | None = None
    """(C, K) annual ceiling of a destination's capped entry channel for the cadre, workers/year
    (+inf: none; ``recruitment_channels.csv``, `channel_arrays`); None for world files."""
    recruitment_ceiling_shared: np.ndarray | None = None
    """(C, K) 1 where that ceiling is shared with other occupations (the US EB-3 visa), else 0."""
    licensing_exam: np.ndarray | None = None
    """(C, K) 1 where foreign-trained workers enter only through a licensing examination in the
    national language (Japan, Korea: no migration channel in practice), else 0."""
    deployment_cap: np.ndarray | None = None
    """(C,) an origin's cap on deployments abroad of newly hired health workers, workers a year
    (+inf: none; the Philippines 2020-2022), in force from `deployment_cap_from` to
    `deployment_cap_until` (calendar years, +inf: none)."""
    deployment_cap_from: np.ndarray | None = None
    deployment_cap_until: np.ndarray | None = None

    def __post_init__(self) -> None:
        """Coerce dtypes, check shapes and make every array read-only."""
        c = len(np.asarray(self.iso3))
        set_ = object.__setattr__
        for field in ("doctors_source", "nurses_source"):
            if getattr(self, field) is None:
                set_(self, field, np.full(c, self.kind, dtype=np.str_))
        for field, kind in (*_COUNTRY_ARRAYS.items(), *_PAIR_ARRAYS.items()):
            arr = np.array(getattr(self, field), dtype=_DTYPES[kind])
            shape = (c, c) if field in _PAIR_ARRAYS else (c,)
            if arr.shape != shape:
                raise WorldError(
                    f"world field {field} has shape {arr.shape}",
                    key_path=field,
                    expected=f"shape {shape}",
                )
            arr.flags.writeable = False
            set_(self, field, arr)
        for field, kind in _OPTIONAL_ARRAYS.items():
            value = getattr(self, field)
            if value is None:
                continue
            arr = np.array(value, dtype=np.float64)
            shape = {
                "pair_cadre": (c, c, len(CADRES)),
                "country_cadre": (c, len(CADRES)),
                "country": (c,),
                "country_cadre_band": (c, len(CADRES), len(AGE_BANDS)),
            }[kind]
            if arr.shape != shape:
                raise WorldError(
                    f"world field {field} has shape {arr.shape}",
                    key_path=field,
                    expected=f"shape {shape}",
                )
            bad = np.isnan(arr) | (np.isinf(arr) & ((arr < 0) | (field not in _UNBOUNDED)))
            if bad.any():
                raise WorldError(f"world field {field} has non-finite values", key_path=field)
            arr.flags.writeable = False
            set_(self, field, arr)
        years = np.array(self.proj_years, dtype=np.int64)
        proj = np.array(self.pop_projection, dtype=np.float64)
        if years.ndim != 1 or proj.shape != (c, len(years)):
            raise WorldError(
                f"pop_projection has shape {proj.shape} for {len(years)} projection years",
                key_path="pop_projection",
                expected=f"shape ({c}, {len(years)})",
            )
        for arr in (years, proj):
            arr.flags.writeable = False
        set_(self, "proj_years", years)
        set_(self, "pop_projection", proj)
        set_(self, "base_year", int(self.base_year))

    # ------------------------------------------------------------------ lookup

    @property
    def n_countries(self) -> int:
        """Number of countries C."""
        return len(self.iso3)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {str(code): i for i, code in enumerate(self.iso3)}

    def index(self, iso3: str) -> int:
        """Position of a country code (case-insensitive); `WorldError` with a hint if unknown."""
        code = str(iso3).strip().upper()
        try:
            return self._positions[code]
        except KeyError:
            raise WorldError(
                f"unknown country code '{iso3}' in the {self.kind} world{self.hint(iso3)}",
                expected="an ISO3 code of this world"
                if self.n_countries > 12
                else "one of " + ", ".join(map(str, self.iso3)),
            ) from None

    def hint(self, code: str) -> str:
        """A "; did you mean ..." suffix for an unknown code ("" if nothing is close)."""
        text = str(code).strip()
        upper = text.upper()
        codes = [str(c) for c in self.iso3]
        names = {str(c): str(n) for c, n in zip(self.iso3, self.name, strict=True)}
        found: list[str] = []
        alias = _CODE_ALIASES.get(upper)
        if alias in names:
            found.append(alias)
        lowered = {n.lower(): c for c, n in names.items()}
        if text.lower() in lowered:
            found.append(lowered[text.lower()])
        elif len(text) >= 4:
            found += [c for c, n in names.items() if n.lower().startswith(text.lower())][:3]
            found += [lowered[n] for n in difflib.get_close_matches(text.lower(), lowered, 2, 0.75)]
        else:
            found += _close_codes(upper, codes)
        unique = list(dict.fromkeys(found))[:3]
        if not unique:
            return ""
        return "; did you mean " + " or ".join(f"{c} ({names[c]})" for c in unique) + "?"

    # ------------------------------------------------------------------ derived worlds

    def subset(self, codes: Iterable[str] | str) -> World:
        """The world restricted to ``codes`` (kept in this world's order, bilateral arrays too)."""
        if isinstance(codes, str):
            codes = [codes]
        idx = sorted({self.index(code) for code in codes})
        if not idx:
            raise WorldError("empty country subset", expected="at least one ISO3 code")
        ix = np.asarray(idx, dtype=np.int64)
        changes: dict[str, Any] = {f: getattr(self, f)[ix] for f in _COUNTRY_ARRAYS}
        changes |= {f: getattr(self, f)[np.ix_(ix, ix)] for f in _PAIR_ARRAYS}
        changes["pop_projection"] = self.pop_projection[ix]
        for field, kind in _OPTIONAL_ARRAYS.items():
            value = getattr(self, field)
            if value is not None:
                changes[field] = value[np.ix_(ix, ix)] if kind == "pair_cadre" else value[ix]
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """Headline numbers (JSON-serialisable): counts, totals, safeguards list, imputations."""
        imputations: dict[str, int] = {}
        for entry in self.imputed:
            for field in filter(None, str(entry).split(";")):
                imputations[field] = imputations.get(field, 0) + 1
        safeguards = [str(c) for c, s in zip(self.iso3, self.safeguards, strict=True) if s]
        return {
            "kind": self.kind,
            "base_year": self.base_year,
            "n_countries": self.n_countries,
            "population": float(self.population.sum()),
            "doctors": float(self.doctors.sum()),
            "nurses": float(self.nurses.sum()),
            "n_safeguards": len(safeguards),
            "safeguards": safeguards,
            "imputations": dict(sorted(imputations.items())),
            "ftd_reporting_destinations": [
                str(c) for c, r in zip(self.iso3, self.ftd_reported, strict=True) if r
            ],
            "safeguards_recomputed": self.recompute_safeguards(),
            "source": self.source_file,
        }

    def recompute_safeguards(
        self, density: float = SAFEGUARDS_MEDIAN, uhc: float = 55.0
    ) -> dict[str, Any]:
        """The safeguards list recomputed from its published criteria, against the published list.

        Criteria (WHO 2023): doctors + nurses/midwives per 10,000 below the global median (~49)
        and UHC service coverage index below 55. Returns the codes in only one of the two lists.
        """
        total = self.doctors_density + self.nurses_density
        recomputed = (total < density) & (self.uhc_index < uhc)
        codes = np.asarray(self.iso3).astype(str)
        return {
            "criteria": f"density < {density:g} per 10,000 and UHC index < {uhc:g}",
            "n_recomputed": int(recomputed.sum()),
            "recomputed_only": codes[recomputed & ~self.safeguards].tolist(),
            "published_only": codes[self.safeguards & ~recomputed].tolist(),
        }


# ----------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------


def load_world(
    kind: str = "global",
    file: str | Path | None = None,
    countries: Sequence[str] | str | None = None,
    *,
    data_dir: str | Path | None = None,
) -> World:
    """Load a world: ``global`` (bundled tables), ``archetypes`` or ``file`` (a world YAML).

    ``countries`` (a list of ISO3 codes, or None / ``"all"``) restricts the world, keeping its
    order. ``data_dir`` replaces ``sim/data`` for the global tables (used by tests).
    """
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise WorldError(
            f"unknown world kind '{kind}'{hint}",
            key_path="world.kind",
            expected="global, archetypes or file",
        )
    if kind == "file" and file is None:
        raise WorldError(
            "world.kind is 'file' but no world file is given",
            key_path="world.file",
            expected="a world YAML file",
        )
    if kind != "file" and file is not None:
        raise WorldError(
            f"a world file is only read with kind 'file' (kind is '{kind}')",
            key_path="world.file",
            expected="kind: file, or no file",
        )
    if kind == "global":
        world = _load_global(Path(data_dir) if data_dir is not None else DATA_DIR)
    elif kind == "archetypes":
        world = _load_yaml_world(ARCHETYPES_FILE, "archetypes")
    else:
        world = _load_yaml_world(Path(file), "file")
    if countries is None or (isinstance(countries, str) and countries == "all"):
        return world
    if isinstance(countries, str):
        raise WorldError(
            f"unsupported country selection '{countries}'",
            key_path="world.countries",
            expected="'all' or a list of ISO3 codes",
        )
    try:
        return world.subset(countries)
    except WorldError as err:
        err.key_path = err.key_path or "world.countries"
        raise


@functools.lru_cache(maxsize=8)
def _cached(kind: str, file: str | None) -> World:
    log.debug("loading world kind=%s file=%s", kind, file)
    return load_world(kind, file)


def cached_world(kind: str, file: str | os.PathLike | None = None) -> World:
    """`load_world(kind, file)`, loaded once per process (the global world takes seconds).

    The one world cache of the package: scenario validation, runs, the briefing and sweeps all
    read worlds through it. `file` counts only for `kind: file`. Worlds are immutable.
    """
    return _cached(kind, None if kind != "file" or file is None else str(file))


def _load_global(data_dir: Path) -> World:
    """The 194 WHO Member States from the bundled CSV tables."""
    import pandas as pd

    def read(name: str, **kw: Any) -> pd.DataFrame:
        path = data_dir / name
        if not path.is_file():
            raise WorldError(
                "bundled world table missing; run `python scripts/build_world.py`",
                file=str(path),
                expected="the tables built into sim/data/",
            )
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)

    str_cols = {"iso3": str, "name": str, "who_region": str, "income_group": str}
    str_cols |= {"imputed": str, "doctors_source": str, "nurses_source": str}
    cty = read("countries.csv", dtype=str_cols)
    cty["imputed"] = cty["imputed"].fillna("")
    codes = cty["iso3"].tolist()
    pos = {c: i for i, c in enumerate(codes)}
    c = len(codes)

    def matrix(table: pd.DataFrame, column: str, fill: float = 0.0) -> np.ndarray:
        table = table[table["origin"].isin(pos) & table["destination"].isin(pos)]
        out = np.full((c, c), fill, dtype=np.float64)
        o = table["origin"].map(pos).to_numpy()
        d = table["destination"].map(pos).to_numpy()
        out[o, d] = table[column].to_numpy(dtype=np.float64)
        return out

    proj = read("population_projection.csv", dtype={"iso3": str})
    years = np.array(sorted(proj["year"].unique()), dtype=np.int64)
    wide = proj.pivot(index="iso3", columns="year", values="population").reindex(codes)
    if wide.isna().to_numpy().any():
        raise WorldError(
            "population projection incomplete", file=str(data_dir / "population_projection.csv")
        )
    ftd = read("ftd_doctors_2018.csv", dtype={"origin": str, "destination": str})
    dest = read("ftd_destinations.csv", dtype={"destination": str})
    reported = set(dest.loc[dest["by_origin_reported"] == 1, "destination"])
    mig = read("migrant_stock_2020.csv", dtype={"origin": str, "destination": str})
    aff = read("affinity.csv", dtype={"origin": str, "destination": str})
    foreign = read(
        "initial_foreign_trained.csv",
        dtype={"origin": str, "destination": str, "cadre": str, "method": str},
    )
    unknown = sorted(set(foreign["cadre"]) - set(CADRES))
    if unknown:
        raise WorldError(
            f"unknown cadre(s) {unknown}",
            file=str(data_dir / "initial_foreign_trained.csv"),
            expected="one of " + ", ".join(CADRES),
        )
    initial_foreign = np.stack(
        [matrix(foreign[foreign["cadre"] == k], "workers") for k in CADRES], axis=-1
    )
    growth = read("stock_growth.csv", dtype={"iso3": str, "cadre": str})
    stock_growth = _by_country_cadre(growth, "growth", codes, data_dir / "stock_growth.csv")
    gdp = read("gdp_growth.csv", dtype={"iso3": str}).set_index("iso3")["growth_real"]
    if set(gdp.index) != set(codes) or gdp.isna().any():
        raise WorldError(
            "GDP growth missing for some countries", file=str(data_dir / "gdp_growth.csv")
        )
    profile = read("age_profile.csv", dtype={"income_group": str, "cadre": str, "age_band": str})
    bands = profile.pivot_table(
        index=["income_group", "cadre"], columns="age_band", values="share", aggfunc="first"
    ).reindex(columns=list(AGE_BANDS))
    age_shares = np.stack(
        [bands.loc[[(g, k) for g in cty["income_group"]]].to_numpy() for k in CADRES], axis=1
    )
    distance = matrix(aff, "distance_km", fill=np.nan)
    if np.isnan(distance).any():
        raise WorldError(
            "affinity table does not cover every pair of countries",
            file=str(data_dir / "affinity.csv"),
        )
    return World(
        kind="global",
        base_year=GLOBAL_BASE_YEAR,
        iso3=cty["iso3"].to_numpy(),
        name=cty["name"].to_numpy(),
        who_region=cty["who_region"].to_numpy(),
        income_group=cty["income_group"].to_numpy(),
        population=cty["population"].to_numpy(),
        urban_share=cty["urban_share"].to_numpy(),
        doctors=cty["doctors"].to_numpy(),
        nurses=cty["nurses"].to_numpy(),
        doctors_density=cty["doctors_density"].to_numpy(),
        nurses_density=cty["nurses_density"].to_numpy(),
        doctors_year=cty["doctors_year"].to_numpy(),
        nurses_year=cty["nurses_year"].to_numpy(),
        safeguards=cty["safeguards"].to_numpy() == 1,
        uhc_index=cty["uhc_index"].to_numpy(),
        gdp_pc_ppp=cty["gdp_pc_ppp"].to_numpy(),
        imputed=cty["imputed"].to_numpy(),
        proj_years=years,
        pop_projection=wide.to_numpy(dtype=np.float64),
        ftd_doctors=matrix(ftd, "doctors"),
        ftd_reported=np.array([code in reported for code in codes]),
        migrant_stock=matrix(mig, "migrants"),
        distance_km=distance,
        common_language=matrix(aff, "common_language") == 1,
        colony=matrix(aff, "colony") == 1,
        doctors_source=cty["doctors_source"].to_numpy(),
        nurses_source=cty["nurses_source"].to_numpy(),
        source_file=str(data_dir),
        initial_foreign_trained=initial_foreign,
        stock_growth=stock_growth,
        gdp_pc_growth=gdp.reindex(codes).to_numpy(dtype=np.float64),
        age_shares=age_shares,
        **channel_arrays(read("recruitment_channels.csv", dtype=str), codes),
    )


def channel_arrays(table: Any, codes: list[str]) -> dict[str, np.ndarray]:
    """Recruitment ceilings and licensing-only destinations from ``recruitment_channels.csv``.

    Per destination and cadre (a row for ``both`` counts for each cadre): the ceiling is the
    largest annual ceiling of a capped entry channel (``capped_visa``, ``residency_match``; the
    smaller US Conrad 30 waiver is a route to stay, not to enter), or else the sum of the
    ceilings of government-to-government channels (Japan's EPA nurses); it is shared when its
    scope covers all occupations. An origin's `origin_cap` row is its cap on deployments of new
    hires (all cadres) with its years. Other rows add nothing.
    """
    pos = {c: i for i, c in enumerate(codes)}
    shape = (len(codes), len(CADRES))
    origin_cap = np.full(len(codes), np.inf)
    cap_years = np.full((2, len(codes)), np.inf)
    capped = np.full(shape, -np.inf)
    g2g = np.zeros(shape)
    shared = np.zeros(shape)
    licensing = np.zeros(shape)
    for row in table.fillna("").to_dict("records"):
        if row["country"] not in pos:
            continue
        c = pos[row["country"]]
        if row["side"] == "origin" and row["channel"] == "origin_cap":
            origin_cap[c] = float(row["annual_ceiling"])
            cap_years[:, c] = [float(row["year_from"] or "inf"), float(row["year_to"] or "inf")]
        if row["side"] != "destination":
            continue
        for k, cadre in enumerate(CADRES):
            if row["cadre"] not in ("both", cadre):
                continue
            if row["channel"] == "licensing_exam":
                licensing[c, k] = 1.0
            if not row["annual_ceiling"]:
                continue
            ceiling = float(row["annual_ceiling"])
            if row["channel"] == "government_to_government":
                g2g[c, k] += ceiling
            elif row["channel"] in ("capped_visa", "residency_match") and ceiling > capped[c, k]:
                capped[c, k] = ceiling
                shared[c, k] = float("all occupations" in row["ceiling_scope"])
    ceiling = np.where(capped > -np.inf, capped, np.where(g2g > 0, g2g, np.inf))
    return {
        "recruitment_ceiling": ceiling,
        "recruitment_ceiling_shared": shared,
        "licensing_exam": licensing,
        "deployment_cap": origin_cap,
        "deployment_cap_from": cap_years[0],
        "deployment_cap_until": cap_years[1],
    }


def _by_country_cadre(table: Any, column: str, codes: list[str], path: Path) -> np.ndarray:
    """A (C, K) array from a tidy ``iso3, cadre, <column>`` table (every pair present)."""
    wide = table.pivot(index="iso3", columns="cadre", values=column)
    wide = wide.reindex(index=codes, columns=list(CADRES))
    if wide.isna().to_numpy().any():
        raise WorldError(f"{column} missing for some countries or cadres", file=str(path))
    return wide.to_numpy(dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# world files (YAML, the format of sim/data/archetypes.yaml)
# ----------------------------------------------------------------------------------------------

_NUMBER = "number"
_TOP_KEYS = {
    "name": ("str", False),
    "description": ("str", False),
    "base_year": ("year", True),
    "projection_years": ("year_range", False),
    "countries": ("list", True),
    "pairs": ("list", False),
    "corridors": ("list", False),
}
_COUNTRY_KEYS: dict[str, tuple[str, bool, float | None, float | None]] = {
    # key: (type, required, min, max)
    "iso3": ("code", True, None, None),
    "name": ("str", True, None, None),
    "who_region": ("region", True, None, None),
    "income_group": ("income", True, None, None),
    "population": (_NUMBER, True, 1.0, None),
    "pop_growth": (_NUMBER, True, -0.2, 0.2),
    "urban_share": (_NUMBER, True, 0.0, 1.0),
    "doctors_density": (_NUMBER, True, 0.0, 10_000.0),
    "nurses_density": (_NUMBER, True, 0.0, 10_000.0),
    "doctors_year": ("year", False, None, None),
    "nurses_year": ("year", False, None, None),
    "safeguards": ("bool", True, None, None),
    "uhc_index": (_NUMBER, True, 0.0, 100.0),
    "gdp_pc_ppp": (_NUMBER, True, 1.0, None),
    "internal_distance_km": (_NUMBER, True, 0.0, 50_000.0),
    "ftd_reported": ("bool", False, None, None),
    "note": ("str", False, None, None),
}
_PAIR_KEYS = {
    "between": ("code_pair", True, None, None),
    "distance_km": (_NUMBER, True, 0.0, 50_000.0),
    "common_language": ("bool", False, None, None),
    "colony": ("bool", False, None, None),
}
_CORRIDOR_KEYS = {
    "origin": ("known_code", True, None, None),
    "destination": ("known_code", True, None, None),
    "ftd_doctors": (_NUMBER, False, 0.0, None),
    "migrant_stock": (_NUMBER, False, 0.0, None),
}
_EXPECTED = {
    "str": "a text",
    "bool": "true or false",
    _NUMBER: "a number",
    "year": "a year (integer)",
    "code": "a three-letter upper-case code such as XSR",
    "known_code": "a country code defined under countries",
    "code_pair": "a list of two different country codes, e.g. [XSR, XDA]",
    "region": "one of " + ", ".join(WHO_REGIONS),
    "income": "one of " + ", ".join(INCOME_GROUPS),
    "list": "a list",
    "year_range": "a list of two years [first, last]",
}


class _Reader:
    """Validates a parsed world file, raising `WorldError` with file, line and key path."""

    def __init__(self, path: Path, text: str) -> None:
        import yaml

        self.path = path
        self.lines: dict[tuple, int] = {}
        try:
            self.data = yaml.safe_load(text)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise WorldError(
                f"malformed YAML: {problem}",
                file=str(path),
                line=None if mark is None else mark.line + 1,
                expected="a valid YAML mapping in the world-file format",
            ) from None
        if node is not None:
            self._index(node, ())

    def _index(self, node: Any, path: tuple) -> None:
        import yaml

        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[(*path, str(key.value))] = key.start_mark.line + 1
                self._index(value, (*path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, (*path, str(i)))

    def error(self, path: tuple, message: str, expected: str | None = None) -> WorldError:
        """A `WorldError` located at ``path`` (the nearest enclosing line if the key is absent)."""
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        key_path = ".".join(str(p) for p in path) or None
        return WorldError(
            message, file=str(self.path), key_path=key_path, line=line, expected=expected
        )

    def mapping(self, value: Any, path: tuple, spec: dict) -> dict:
        """Check a mapping's keys against ``spec`` (unknown keys, missing required keys)."""
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping, got {_type_name(value)}", "a mapping")
        for key in value:
            if key not in spec:
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise self.error(
                    (*path, str(key)),
                    f"unknown key '{key}'{hint}",
                    "one of " + ", ".join(spec),
                )
        for key, entry in spec.items():
            if entry[1] and key not in value:
                raise self.error(path, f"missing key '{key}'", f"{key}: {_EXPECTED[entry[0]]}")
        return value

    def value(self, value: Any, path: tuple, entry: tuple, codes: dict | None = None) -> Any:
        """Check one value's type and range; return it converted."""
        kind = entry[0]
        lo = entry[2] if len(entry) > 2 else None
        hi = entry[3] if len(entry) > 3 else None
        expected = _EXPECTED[kind]
        if kind == _NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(path, f"expected a number, got {_type_name(value)}", expected)
            if not math.isfinite(value):
                raise self.error(path, f"{value} is not a finite number", expected)
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                rng = _range_text(lo, hi)
                raise self.error(path, f"{value} is out of range", f"a number {rng}")
            return float(value)
        if kind == "year":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(path, f"expected a year, got {_type_name(value)}", expected)
            if not 1900 <= value <= 2200:
                raise self.error(path, f"{value} is out of range", "a year 1900..2200")
            return int(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.error(path, f"expected true or false, got {value!r}", expected)
            return value
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                raise self.error(path, f"expected a text, got {_type_name(value)}", expected)
            return value
        if kind == "code":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
                raise self.error(path, f"invalid country code {value!r}", expected)
            return value
        if kind == "region" and value not in WHO_REGIONS:
            raise self.error(
                path, f"unknown WHO region {value!r}{_close(value, WHO_REGIONS)}", expected
            )
        if kind == "income" and value not in INCOME_GROUPS:
            raise self.error(
                path, f"unknown income group {value!r}{_close(value, INCOME_GROUPS)}", expected
            )
        if kind == "known_code":
            return self.known_code(value, path, codes or {})
        if kind == "code_pair":
            if not isinstance(value, list) or len(value) != 2:
                raise self.error(path, f"expected two country codes, got {value!r}", expected)
            a = self.known_code(value[0], (*path, "0"), codes or {})
            b = self.known_code(value[1], (*path, "1"), codes or {})
            if a == b:
                raise self.error(
                    path, f"a pair needs two different countries, got {a} twice", expected
                )
            return (a, b)
        return value

    def known_code(self, value: Any, path: tuple, codes: dict) -> str:
        """A code defined under ``countries`` (with a did-you-mean hint otherwise)."""
        if value not in codes:
            raise self.error(
                path,
                f"unknown country code {value!r}{_close(str(value), list(codes))}",
                "one of " + ", ".join(codes),
            )
        return value


def _close_codes(code: str, codes: Sequence[str], n: int = 3) -> list[str]:
    """Codes similar to ``code``, those sharing its first letters first (NGR -> NGA, NER)."""
    scored = []
    for c in codes:
        ratio = difflib.SequenceMatcher(None, code, c).ratio()
        if ratio >= 0.6:
            prefix = next((k for k in range(3) if code[k : k + 1] != c[k]), 3)
            scored.append((-(ratio + 0.1 * prefix), c))
    return [c for _, c in sorted(scored)[:n]]


def _close(value: str, options: Sequence[str]) -> str:
    match = difflib.get_close_matches(str(value).upper(), [o.upper() for o in options], n=1)
    if not match:
        return ""
    original = next(o for o in options if o.upper() == match[0])
    return f"; did you mean '{original}'?"


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, str):
        return f"a text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} ({value!r})"


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}..{hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def _load_yaml_world(path: Path, kind: str) -> World:
    """A world from a YAML world file (format documented at the top of archetypes.yaml)."""
    if not path.is_file():
        raise WorldError(
            "world file not found", file=str(path), expected="an existing world YAML file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldError(f"cannot read world file: {exc}", file=str(path)) from None
    r = _Reader(path, text)
    top = r.mapping(r.data, (), _TOP_KEYS)
    base_year = r.value(top["base_year"], ("base_year",), ("year", True))
    first, last = base_year, 2100
    if "projection_years" in top:
        span = top["projection_years"]
        if not isinstance(span, list) or len(span) != 2:
            raise r.error(("projection_years",), f"got {span!r}", _EXPECTED["year_range"])
        first = r.value(span[0], ("projection_years", "0"), ("year", True))
        last = r.value(span[1], ("projection_years", "1"), ("year", True))
        if not first <= base_year <= last:
            raise r.error(
                ("projection_years",),
                f"projection years {first}..{last} do not include base_year {base_year}",
                f"first <= {base_year} <= last",
            )

    raw_countries = top["countries"]
    if not isinstance(raw_countries, list) or not raw_countries:
        raise r.error(("countries",), "expected a non-empty list of countries", "a list")
    rows: list[dict] = []
    codes: dict[str, int] = {}
    for i, entry in enumerate(raw_countries):
        at = ("countries", str(i))
        r.mapping(entry, at, _COUNTRY_KEYS)
        row = {k: r.value(v, (*at, k), _COUNTRY_KEYS[k]) for k, v in entry.items()}
        if row["iso3"] in codes:
            raise r.error(
                (*at, "iso3"),
                f"country code {row['iso3']} is defined twice",
                "a code used once",
            )
        codes[row["iso3"]] = i
        rows.append(row)
    c = len(rows)

    distance = np.full((c, c), np.nan)
    language = np.zeros((c, c), dtype=bool)
    colony = np.zeros((c, c), dtype=bool)
    for i, row in enumerate(rows):
        distance[i, i] = row["internal_distance_km"]
    pairs = top.get("pairs") or []
    if not isinstance(pairs, list):
        raise r.error(("pairs",), f"expected a list, got {_type_name(pairs)}", "a list")
    for k, entry in enumerate(pairs):
        at = ("pairs", str(k))
        r.mapping(entry, at, _PAIR_KEYS)
        a, b = r.value(entry["between"], (*at, "between"), _PAIR_KEYS["between"], codes)
        i, j = codes[a], codes[b]
        if not np.isnan(distance[i, j]):
            raise r.error((*at, "between"), f"pair {a}-{b} is listed twice", "each pair once")
        dist = r.value(entry["distance_km"], (*at, "distance_km"), _PAIR_KEYS["distance_km"])
        lang = r.value(entry.get("common_language", False), (*at, "common_language"), ("bool",))
        col = r.value(entry.get("colony", False), (*at, "colony"), ("bool",))
        distance[i, j] = distance[j, i] = dist
        language[i, j] = language[j, i] = lang
        colony[i, j] = colony[j, i] = col
    missing = [
        f"{rows[i]['iso3']}-{rows[j]['iso3']}"
        for i in range(c)
        for j in range(i + 1, c)
        if np.isnan(distance[i, j])
    ]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise r.error(
            ("pairs",),
            f"no distance for {len(missing)} pair(s): {', '.join(missing[:5])}{more}",
            "one entry {between: [A, B], distance_km: ...} per pair of countries",
        )

    ftd = np.zeros((c, c))
    migrants = np.zeros((c, c))
    corridors = top.get("corridors") or []
    if not isinstance(corridors, list):
        raise r.error(("corridors",), f"expected a list, got {_type_name(corridors)}", "a list")
    seen: set[tuple[str, str]] = set()
    for k, entry in enumerate(corridors):
        at = ("corridors", str(k))
        r.mapping(entry, at, _CORRIDOR_KEYS)
        o = r.value(entry["origin"], (*at, "origin"), _CORRIDOR_KEYS["origin"], codes)
        d = r.value(entry["destination"], (*at, "destination"), _CORRIDOR_KEYS["origin"], codes)
        if o == d:
            raise r.error(
                (*at, "destination"),
                f"origin and destination are both {o}",
                "two different countries",
            )
        if (o, d) in seen:
            raise r.error(at, f"corridor {o}->{d} is listed twice", "each corridor once")
        seen.add((o, d))
        for key, target in (("ftd_doctors", ftd), ("migrant_stock", migrants)):
            if key in entry:
                target[codes[o], codes[d]] = r.value(entry[key], (*at, key), _CORRIDOR_KEYS[key])

    def col_(key: str, default: Any = None) -> list:
        return [row.get(key, default) for row in rows]

    population = np.array(col_("population"))
    doctors_density = np.array(col_("doctors_density"))
    nurses_density = np.array(col_("nurses_density"))
    growth = np.array(col_("pop_growth"))
    years = np.arange(first, last + 1, dtype=np.int64)
    projection = population[:, None] * (1.0 + growth[:, None]) ** (years - base_year)[None, :]
    return World(
        kind=kind,
        base_year=base_year,
        iso3=np.array(col_("iso3"), dtype=np.str_),
        name=np.array(col_("name"), dtype=np.str_),
        who_region=np.array(col_("who_region"), dtype=np.str_),
        income_group=np.array(col_("income_group"), dtype=np.str_),
        population=population,
        urban_share=np.array(col_("urban_share")),
        doctors=doctors_density * population / 10_000,
        nurses=nurses_density * population / 10_000,
        doctors_density=doctors_density,
        nurses_density=nurses_density,
        doctors_year=np.array(col_("doctors_year", base_year)),
        nurses_year=np.array(col_("nurses_year", base_year)),
        safeguards=np.array(col_("safeguards")),
        uhc_index=np.array(col_("uhc_index")),
        gdp_pc_ppp=np.array(col_("gdp_pc_ppp")),
        imputed=np.full(c, "", dtype=np.str_),
        proj_years=years,
        pop_projection=projection,
        ftd_doctors=ftd,
        ftd_reported=np.array(col_("ftd_reported", False)),
        migrant_stock=migrants,
        distance_km=distance,
        common_language=language,
        colony=colony,
        source_file=str(path),
    )
