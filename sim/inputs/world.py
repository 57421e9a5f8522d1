"""The world: countries, their health workforce and the bilateral links between them.

`load_world` reads the bundled global world (the 194 WHO Member States, `sim/data/`, built by
`scripts/build_world.py`, sources in `sim/data/SOURCES.md`), the five-country archetypes or a
user's world file in their format (`sim.inputs.worldfile`). A `World` is a frozen dataclass of
read-only numpy arrays (copy before changing them)."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sim.declarations import CADRES, RECRUITMENT_REFERENCE, SAFEGUARDS_MEDIAN
from sim.errors import WorldError
from sim.inputs import dated_facts
from sim.inputs.world_schema import (
    AGE_BANDS,
    COUNTRY_ARRAYS,
    DTYPES,
    OPTIONAL_ARRAYS,
    PAIR_ARRAYS,
    TOGETHER,
    UNBOUNDED,
)
from sim.inputs.worldfile import read_world_file

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ARCHETYPES_FILE = DATA_DIR / "archetypes.yaml"
KINDS = ("global", "archetypes", "file")
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
    recognition_area: np.ndarray
    """(C,) in the EU/EEA/Swiss recognition of qualifications in 2020, the UK in (data.md §1.2)."""
    free_movement: np.ndarray
    """(C,) in the EU/EEA/Swiss free movement of workers since 2021, the UK out (ODD §4.2.2)."""
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
    """(C, C, K) ``[origin, destination, cadre]`` workers trained in origin working in destination
    at the start, zero diagonal. Global world: OECD 2018 doctor counts and a gravity model scaled to
    published foreign-trained shares (``initial_foreign_trained.csv``); None for world files."""
    foreign_trained_relative: np.ndarray | None = None
    """(C, K) each country's foreign-trained share of its stock relative to the UK's
    (``RECRUITMENT_REFERENCE``), over every origin of the whole world before any subset is taken
    (a reliance that does not depend on the countries simulated); None for world files."""
    stock_growth: np.ndarray | None = None
    """(C, K) observed annual growth of the stock (WHO NHWA counts 2008-2020, Theil-Sen, shrunk
    toward the income-group median; ``stock_growth.csv``), 1/year; None for world files."""
    gdp_pc_growth: np.ndarray | None = None
    """(C,) real GDP per capita growth, 1/year (growth relative to the world 2010-2024, shrunk,
    plus the world's real growth; ``gdp_growth.csv``); None for world files."""
    income_relative: np.ndarray | None = None
    """(C,) ln(GDP per capita PPP / its median over the whole world), taken before any subset
    (ODD §4.2.2, leaving); None for world files, whose own countries are their whole world."""
    age_shares: np.ndarray | None = None
    """(C, K, A) shares of the workforce in the ``AGE_BANDS`` (the profile of the country's
    income group, ``age_profile.csv``; each row sums to 1); None for world files."""
    recruitment_ceiling: np.ndarray | None = None
    """(C, K) annual ceiling of a destination's capped entry channel for the cadre, workers/year
    (+inf: none; ``recruitment_channels.csv``, `dated_facts.channel_arrays`); None in files."""
    recruitment_ceiling_shared: np.ndarray | None = None
    """(C, K) 1 where that ceiling is shared with other occupations (the US EB-3 visa), else 0."""
    licensing_exam: np.ndarray | None = None
    """(C, K) 1 where foreign-trained workers enter only through a licensing examination in the
    national language (Japan, Korea: no migration channel in practice), else 0."""
    preference_waived: np.ndarray | None = None
    """(C, K) 1 where a member of the free movement area admits third-country workers of the cadre
    without a labour market test (no Community preference, ODD §7.5: Germany, Ireland), else 0."""
    recruitment_partner_from: np.ndarray | None = None
    """(C, C, K) ``[origin, destination, cadre]`` the calendar year from which the destination
    recruits the cadre in the origin through a government-to-government channel (+inf: none;
    ``recruitment_channels.csv``: the UK with the Philippines, Kenya and Nepal, Japan's partnership
    agreements; a state's agreements and placement programmes are not channels). None in files."""
    recognition_pathway_from: np.ndarray | None = None
    """(C, C, K) ``[origin, destination, cadre]`` the year from which the destination registers
    the cadre trained in the origin without its own examinations (+inf: none; rows
    ``expedited_recognition`` of ``recruitment_channels.csv``, docs/data.md §4). None in files."""
    practice_language: np.ndarray | None = None
    """(C, C, K) ``[origin, destination, cadre]`` 1 where the origin shares the destination's
    language of practice of the cadre, else 0: the common official language, except at the Gulf's
    destinations, whose health systems work in English (doctors: Arabic or English; nurses:
    English; ``affinity.csv``, docs/data.md §1.5). None in files: the common language is read."""
    ethical_code_from: np.ndarray | None = None
    """(C, K) the calendar year from which the destination's own code of practice bars active
    recruitment of the cadre from the safeguards list (+inf: none; ``recruitment_channels.csv``:
    the UK's, from 2023 in the model, `dated_facts.SAFEGUARDS_LIST_YEAR`; ODD §7.5,
    `behaviour.national_code_passive_rate`). None in files."""
    deployment_cap: np.ndarray | None = None
    """(C, E) an origin's caps on deployments of new hires abroad, workers a year (+inf: none; the
    Philippines' 5,000, 7,000 and 7,500 in 2020, 2021 and 2022), each entry in force from
    `deployment_cap_from` to `deployment_cap_until` (calendar years, inclusive; +inf: no bound);
    where entries overlap, the smallest holds."""
    deployment_cap_from: np.ndarray | None = None
    deployment_cap_until: np.ndarray | None = None
    post_expansion: np.ndarray | None = None
    """(C, K) annual growth of a destination's staffed posts during a documented expansion, 1/year
    (0: none; ``post_expansions.csv``: the NHS in 2019-2023), from `post_expansion_from` to
    `post_expansion_until` (calendar years of the counts it was measured between)."""
    post_expansion_from: np.ndarray | None = None
    post_expansion_until: np.ndarray | None = None

    def __post_init__(self) -> None:
        """Coerce dtypes, check shapes and make every array read-only."""
        c = len(np.asarray(self.iso3))
        set_ = object.__setattr__
        for field in ("doctors_source", "nurses_source"):
            if getattr(self, field) is None:
                set_(self, field, np.full(c, self.kind, dtype=np.str_))
        for field, kind in (*COUNTRY_ARRAYS.items(), *PAIR_ARRAYS.items()):
            arr = np.array(getattr(self, field), dtype=DTYPES[kind])
            shape = (c, c) if field in PAIR_ARRAYS else (c,)
            if arr.shape != shape:
                raise _shape_error(field, arr.shape, shape)
            arr.flags.writeable = False
            set_(self, field, arr)
        for group in TOGETHER:
            given = [f for f in group if getattr(self, f) is not None]
            if given and len(given) != len(group):
                missing = [f for f in group if f not in given]
                raise WorldError(
                    f"world field(s) {', '.join(given)} given without {', '.join(missing)}",
                    key_path=missing[0],
                    expected=f"all of {', '.join(group)} or none",
                )
        for field, kind in OPTIONAL_ARRAYS.items():
            value = getattr(self, field)
            if value is None:
                continue
            arr = np.array(value, dtype=np.float64)
            shape = {
                "pair_cadre": (c, c, len(CADRES)),
                "country_cadre": (c, len(CADRES)),
                "country": (c,),
                "country_cadre_band": (c, len(CADRES), len(AGE_BANDS)),
                "country_entries": (c, arr.shape[-1] if arr.ndim == 2 and arr.shape[-1] else 1),
            }[kind]
            if arr.shape != shape:
                raise _shape_error(field, arr.shape, shape)
            bad = np.isnan(arr) | (np.isinf(arr) & ((arr < 0) | (field not in UNBOUNDED)))
            if bad.any():
                raise WorldError(f"world field {field} has non-finite values", key_path=field)
            if field == "practice_language" and not np.isin(arr, (0.0, 1.0)).all():
                raise WorldError(
                    "world field practice_language has a value other than 0 or 1",
                    key_path=field,
                    expected="1 where the origin shares the language of practice, else 0",
                )
            if field == "age_shares" and ((arr < 0).any() or (arr.sum(axis=-1) <= 0).any()):
                raise WorldError(
                    "world field age_shares has a negative share or a country and cadre "
                    "without workers in any age band",
                    key_path=field,
                    expected="shares >= 0 with a positive sum for each country and cadre",
                )
            arr.flags.writeable = False
            set_(self, field, arr)
        for group in TOGETHER:
            if getattr(self, group[0]) is None:
                continue
            shape = np.shape(getattr(self, group[0]))
            for field in group[1:]:
                if np.shape(getattr(self, field)) != shape:
                    raise WorldError(
                        f"world field {field} has shape {np.shape(getattr(self, field))}, "
                        f"different from {group[0]}'s {shape}",
                        key_path=field,
                        expected=f"the shape of {group[0]}, {shape}",
                    )
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
        changes: dict[str, Any] = {f: getattr(self, f)[ix] for f in COUNTRY_ARRAYS}
        changes |= {f: getattr(self, f)[np.ix_(ix, ix)] for f in PAIR_ARRAYS}
        changes["pop_projection"] = self.pop_projection[ix]
        for field, kind in OPTIONAL_ARRAYS.items():
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
    else:
        path = ARCHETYPES_FILE if kind == "archetypes" else Path(file)
        world = World(kind=kind, **read_world_file(path))
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


def relative_income(gdp_pc_ppp: np.ndarray) -> np.ndarray:
    """ι (C,) = ln(GDP per capita PPP / its median over the given countries) (ODD §4.2.2)."""
    return np.log(gdp_pc_ppp / np.median(gdp_pc_ppp))


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
        table = pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)
        table.attrs["file"] = str(path)
        return table

    str_cols = {"iso3": str, "name": str, "who_region": str, "income_group": str}
    str_cols |= {"imputed": str, "doctors_source": str, "nurses_source": str}
    cty = read("countries.csv", dtype=str_cols)
    cty["imputed"] = cty["imputed"].fillna("")
    codes = cty["iso3"].tolist()
    pos = {c: i for i, c in enumerate(codes)}
    c = len(codes)

    def matrix(table: pd.DataFrame, column: str, fill: float = 0.0) -> np.ndarray:
        if column not in table.columns:
            raise WorldError(
                f"bundled world table lacks the column {column!r}; "
                "run `python scripts/build_world.py`",
                file=table.attrs.get("file"),
                expected="the tables built into sim/data/ by this version",
            )
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
    stock = cty[list(CADRES)].to_numpy(dtype=np.float64)
    share = np.divide(initial_foreign.sum(axis=0), stock, out=np.zeros_like(stock), where=stock > 0)
    reference = (
        share[pos[RECRUITMENT_REFERENCE]] if RECRUITMENT_REFERENCE in pos else np.zeros(len(CADRES))
    )
    if not (reference > 0).all():
        raise WorldError(
            f"no foreign-trained workers in the reference destination {RECRUITMENT_REFERENCE}",
            file=str(data_dir / "initial_foreign_trained.csv"),
            expected="a positive foreign-trained stock of every cadre in the reference",
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
        recognition_area=cty["recognition_area"].to_numpy() == 1,
        free_movement=cty["free_movement"].to_numpy() == 1,
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
        practice_language=np.stack(
            [matrix(aff, f"practice_language_{k}") for k in CADRES], axis=-1
        ),
        colony=matrix(aff, "colony") == 1,
        doctors_source=cty["doctors_source"].to_numpy(),
        nurses_source=cty["nurses_source"].to_numpy(),
        source_file=str(data_dir),
        initial_foreign_trained=initial_foreign,
        foreign_trained_relative=share / reference,
        stock_growth=stock_growth,
        gdp_pc_growth=gdp.reindex(codes).to_numpy(dtype=np.float64),
        income_relative=relative_income(cty["gdp_pc_ppp"].to_numpy(dtype=np.float64)),
        age_shares=age_shares,
        **dated_facts.channel_arrays(
            read("recruitment_channels.csv", dtype=str),
            codes,
            str(data_dir / "recruitment_channels.csv"),
        ),
        **dated_facts.post_expansion_arrays(read("post_expansions.csv"), codes),
    )


def _shape_error(field: str, got: tuple, shape: tuple) -> WorldError:
    expected = f"shape {shape}"
    return WorldError(f"world field {field} has shape {got}", key_path=field, expected=expected)


def _by_country_cadre(table: Any, column: str, codes: list[str], path: Path) -> np.ndarray:
    """A (C, K) array from a tidy ``iso3, cadre, <column>`` table (every pair present)."""
    wide = table.pivot(index="iso3", columns="cadre", values=column)
    wide = wide.reindex(index=codes, columns=list(CADRES))
    if wide.isna().to_numpy().any():
        raise WorldError(f"{column} missing for some countries or cadres", file=str(path))
    return wide.to_numpy(dtype=np.float64)


def _close_codes(code: str, codes: Sequence[str], n: int = 3) -> list[str]:
    """Codes similar to ``code``, those sharing its first letters first (NGR -> NGA, NER)."""
    scored = []
    for c in codes:
        ratio = difflib.SequenceMatcher(None, code, c).ratio()
        if ratio >= 0.6:
            prefix = next((k for k in range(3) if code[k : k + 1] != c[k]), 3)
            scored.append((-(ratio + 0.1 * prefix), c))
    return [c for _, c in sorted(scored)[:n]]
