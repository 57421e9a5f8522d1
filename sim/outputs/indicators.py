"""Yearly indicators in long form, computed from the ledger (shared by both engines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from sim.declarations import (
    ALL,
    CADRES,
    DENSITY_THRESHOLDS,
    EMIGRANT_AGE_BANDS,
    SDG_THRESHOLD,
    WORLD,
    YOUNG_AGE,
)
from sim.declarations import AREAS as MODEL_AREAS
from sim.model.ledger import (
    BY_AGE_EMIGRANTS,
    BY_AGE_FOREIGN_LEAVERS,
    BY_AGE_INTERNATIONAL_LEAVERS,
    BY_AGE_YOUNG_LEAVERS,
    FLOW_KINDS,
    MONEY_KINDS,
)

AREAS = (*MODEL_AREAS, ALL)
CADRE_LABELS = (*CADRES, ALL)
THRESHOLDS = DENSITY_THRESHOLDS
STOCK_INDICATORS = (
    "population",
    "stock",
    "density",
    "posts",
    "vacancies",
    "unemployed",
    "vacancy_rate",
    "migrants_abroad",
    "foreign_trained_share",
    "international_workers",
    "rural_urban_ratio",
    "need",
    "need_gap",
    "stock_under_40",
    "mean_age",
    "training_fund",
)
WORLD_INDICATORS = tuple(
    f"{kind}_below_{label}" for label in THRESHOLDS for kind in ("countries", "population")
)
WORLD_ROWS = {
    **{name: (ALL,) for name in (*WORLD_INDICATORS, "population", "need", "need_gap")},
    **{name: (*CADRES, ALL) for name in ("stock", "density", "rural_urban_ratio")},
}
"""The indicators written for the world (country `WLD`, area `all`) and their cadres."""
FLOW_INDICATORS = FLOW_KINDS[:7]  # graduates ... exits (moves are reported as internal_moves)
EMIGRANT_AGE_INDICATORS = tuple(f"emigrants_age_{band}" for band in EMIGRANT_AGE_BANDS)
CHANNEL_INDICATORS = (
    "international_posts",
    "international_hires",
    "recruitment_regime",
    "foreign_trained_leavers",
    "international_leavers",
    "onward_arrivals",
    "graduates_rural",
    "attrition_under_40",
    *EMIGRANT_AGE_INDICATORS,
)
"""Flows of the year about channels, ages and training (country, area `all`, cadre)."""
RATIO_INDICATORS = frozenset(
    {"density", "vacancy_rate", "foreign_trained_share", "rural_urban_ratio", "mean_age",
     "recruitment_regime"}
)  # fmt: skip
"""Indicators that are ratios: never summed over countries or cadres."""


def with_totals(x: np.ndarray) -> np.ndarray:
    """Append `all` totals over the area (axis 1) and cadre (axis 2) axes of a (C, 2, K) array."""
    x = np.concatenate([x, x.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([x, x.sum(axis=2, keepdims=True)], axis=2)


def _concatenated(frames: list[dict], names=None) -> dict[str, np.ndarray]:
    """The frames' columns (`names`, default the first frame's) each joined into one array."""
    return {name: np.concatenate([f[name] for f in frames]) for name in names or frames[0]}


def cadre_totals(x: np.ndarray) -> np.ndarray:
    """Append an `all` total over the cadre axis (last) of a (C, K) array."""
    return np.concatenate([x, x.sum(axis=-1, keepdims=True)], axis=-1)


def text_column(labels: np.ndarray, codes: np.ndarray):
    """`labels[codes]` as the pandas array a DataFrame would make of it (the `str` dtype of
    pandas 3, object before), taken from the few distinct labels: far faster than converting
    one string per row."""
    return pd.Series(labels).array.take(np.asarray(codes, dtype=np.intp))


_COLUMNS = ("year", "country", "area", "cadre", "indicator", "value")
"""Columns of the indicator table, in order."""

INDICATOR_NAMES = (
    *STOCK_INDICATORS,
    *FLOW_INDICATORS,
    "internal_moves",
    "exits_voluntary",
    *CHANNEL_INDICATORS,
    *MONEY_KINDS,
    *WORLD_INDICATORS,
)
"""Every indicator the model writes (docs/architecture.md describes each)."""


class IndicatorRecorder:
    """Accumulates each step's flows and writes the yearly indicator rows."""

    def __init__(self, model):
        self.model = model
        c, k = model.n_countries, model.n_cadres
        self.iso3 = np.asarray(model.world.iso3).astype(str)
        self.year_flows = np.zeros((len(FLOW_KINDS), c, 2, k), dtype=np.int64)
        self.year_international = np.zeros((c, c, k), dtype=np.int64)
        self.year_arrivals = np.zeros((c, c, k), dtype=np.int64)
        self.year_onward = np.zeros((c, k), dtype=np.int64)
        self.year_money = np.zeros((len(MONEY_KINDS), c))
        self.year_voluntary = np.zeros((c, k), dtype=np.int64)
        self.year_by_age = np.zeros_like(model.ledger.step_by_age)
        self.year_posts = np.zeros((c, k), dtype=np.int64)
        self.year_agreement_hires = np.zeros(len(model.agreements.source), dtype=np.int64)
        self.frames: list[dict] = []
        self.labels: dict[str, dict[str, int]] = {
            "country": {str(x): i for i, x in enumerate(self.iso3)},
            "area": {},
            "cadre": {},
            "indicator": {},
        }
        self._grid_codes: dict[tuple, dict[str, np.ndarray]] = {}  # `_grid`'s label columns
        self.flow_frames: list[dict] = []  # `_cells` columns by year
        self.stock_frames: list[dict] = []
        self.arrival_frames: list[dict] = []  # `_arrival_rows` columns by year
        self.agreement_frames: list[dict] = []  # `_agreement_rows` columns by year

    def end_step(self) -> None:
        """Add this step's flows to the year's totals."""
        m = self.model
        ledger = m.ledger
        self.year_flows += ledger.step_flows
        self.year_international += ledger.step_international
        self.year_arrivals += ledger.step_arrivals
        self.year_onward += ledger.step_onward
        self.year_money += ledger.step_money
        self.year_voluntary += ledger.voluntary_exits
        self.year_by_age += ledger.step_by_age
        self.year_posts += m.demand.opened_posts
        self.year_agreement_hires += m.agreement_hires

    # ---------------------------------------------------------------- rows
    def _grid(
        self,
        indicator: str,
        year: int,
        values: np.ndarray,
        areas=AREAS,
        cadres=CADRE_LABELS,
        countries=None,
    ) -> dict[str, np.ndarray]:
        """Rows (as columns of arrays) for a (C, len(areas), len(cadres)) array of values.

        Text columns hold codes into `self.labels` (turned into text once, by `indicators`).
        """
        c, a, k = values.shape
        key = (c, tuple(areas), tuple(cadres), None if countries is None else tuple(countries))
        if key not in self._grid_codes:  # the same every year: built once
            if countries is None:
                country = np.arange(c, dtype=np.int32)
            else:
                country = np.array([self._code("country", x) for x in countries], dtype=np.int32)
            area = np.array([self._code("area", x) for x in areas], dtype=np.int32)
            cadre = np.array([self._code("cadre", x) for x in cadres], dtype=np.int32)
            self._grid_codes[key] = {
                "country": np.repeat(country, a * k),
                "area": np.tile(np.repeat(area, k), c),
                "cadre": np.tile(cadre, c * a),
            }
        return {
            "year": np.full(c * a * k, year, dtype=np.int32),
            **self._grid_codes[key],
            "indicator": np.full(c * a * k, self._code("indicator", indicator), dtype=np.int32),
            "value": values.astype(np.float64).ravel(),
        }

    def _code(self, column: str, label: str) -> int:
        """The code of a label in one of the text columns of the indicator rows."""
        labels = self.labels[column]
        if label not in labels:
            labels[label] = len(labels)
        return labels[label]

    def _stock_rows(self, year: int, population: np.ndarray, by_oc: np.ndarray) -> list[dict]:
        m = self.model
        wpa = m.workers_per_agent
        present = m.ledger.present().astype(np.float64) * wpa  # (C, 2, K)
        stock = with_totals(present)
        urban = np.asarray(m.world.urban_share, dtype=np.float64)
        area_pop = np.stack([population * urban, population * (1 - urban), population], axis=1)
        # Undefined (NaN) where an area has no population, e.g. the rural area of a city state.
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(area_pop[:, :, None] > 0, stock / area_pop[:, :, None] * 1e4, np.nan)
        posts = with_totals(np.asarray(m.posts) * wpa)
        filled = with_totals(np.minimum(present, np.asarray(m.posts) * wpa))
        vacancies = posts - filled
        unemployed = stock - filled
        vac_rate = np.divide(vacancies, posts, out=np.zeros_like(posts), where=posts > 0)
        own, trained, working, international = _bilateral_sums(
            by_oc, wpa, m.ledger.international_pair
        )
        abroad = cadre_totals(trained - own)
        working, own, international = (cadre_totals(x) for x in (working, own, international))
        foreign = np.divide(working - own, working, out=np.zeros_like(working), where=working > 0)
        rows = [
            self._grid("population", year, area_pop[:, :, None], cadres=(ALL,)),
            self._grid("stock", year, stock),
            self._grid("density", year, density),
            self._grid("posts", year, posts),
            self._grid("vacancies", year, vacancies),
            self._grid("unemployed", year, unemployed),
            self._grid("vacancy_rate", year, vac_rate),
            self._grid("migrants_abroad", year, abroad[:, None, :], areas=(ALL,)),
            self._grid("foreign_trained_share", year, foreign[:, None, :], areas=(ALL,)),
            self._grid("international_workers", year, international[:, None, :], areas=(ALL,)),
        ]
        need = population * SDG_THRESHOLD / 1e4
        gap = np.maximum(need - stock[:, 2, 2], 0.0)
        ages = m.population.age_counts(m.n_countries, m.n_cadres, m.steps_per_year) * wpa
        young = cadre_totals(ages[:, :, :YOUNG_AGE].sum(axis=2))
        counted = cadre_totals(ages.sum(axis=2))
        years = cadre_totals((ages * (np.arange(ages.shape[2]) + 0.5)).sum(axis=2))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_age = np.where(counted > 0, years / counted, np.nan)
        fund = m.training.fund.sum(axis=1)
        rows += [
            self._grid("need", year, need[:, None, None], areas=(ALL,), cadres=(ALL,)),
            self._grid("need_gap", year, gap[:, None, None], areas=(ALL,), cadres=(ALL,)),
            self._grid("stock_under_40", year, young[:, None, :], areas=(ALL,)),
            self._grid("mean_age", year, mean_age[:, None, :], areas=(ALL,)),
            self._grid("training_fund", year, fund[:, None, None], areas=(ALL,), cadres=(ALL,)),
        ]
        defined = np.isfinite(density[:, 1, :]) & (np.nan_to_num(density[:, 0, :]) > 0)
        ratio = np.full_like(density[:, 0, :], np.nan)
        np.divide(density[:, 1, :], density[:, 0, :], out=ratio, where=defined)
        rows.append(self._grid("rural_urban_ratio", year, ratio[:, None, :], areas=(ALL,)))
        # Global aggregates.
        total_density = density[:, 2, 2]
        world_rows = {}
        for label, threshold in THRESHOLDS.items():
            below = total_density < threshold
            world_rows[f"countries_below_{label}"] = float(below.sum())
            world_rows[f"population_below_{label}"] = float(population[below].sum())
        urban_pop = float((population * urban).sum())
        rural_pop = float((population * (1 - urban)).sum())
        w_urban = stock[:, 0, :].sum(axis=0) / urban_pop if urban_pop > 0 else np.full(3, np.nan)
        w_rural = stock[:, 1, :].sum(axis=0) / rural_pop if rural_pop > 0 else np.full(3, np.nan)
        w_ratio = np.full_like(w_urban, np.nan)
        np.divide(w_rural, w_urban, out=w_ratio, where=np.isfinite(w_rural) & (w_urban > 0))
        rows.append(
            self._grid(
                "rural_urban_ratio", year, w_ratio[None, None, :], areas=(ALL,), countries=[WORLD]
            )
        )
        rows.append(
            self._grid(
                "stock", year, stock.sum(axis=0)[None, 2:3, :], areas=(ALL,), countries=[WORLD]
            )
        )
        rows.append(
            self._grid(
                "density",
                year,
                (stock.sum(axis=0)[2] / population.sum() * 1e4)[None, None, :],
                areas=(ALL,),
                countries=[WORLD],
            )
        )
        world_rows["population"] = float(population.sum())
        world_rows["need"] = float(need.sum())
        world_rows["need_gap"] = float(gap.sum())
        for name, value in world_rows.items():
            rows.append(
                self._grid(
                    name,
                    year,
                    np.array([[[value]]]),
                    areas=(ALL,),
                    cadres=(ALL,),
                    countries=[WORLD],
                )
            )
        return rows

    def _flow_rows(self, year: int) -> list[dict]:
        wpa = self.model.workers_per_agent
        flows = self.year_flows.sum(axis=2).astype(np.float64) * wpa  # (kind, C, K)
        rows = []
        for name in FLOW_INDICATORS:
            values = cadre_totals(flows[FLOW_KINDS.index(name)])
            rows.append(self._grid(name, year, values[:, None, :], areas=(ALL,)))
        moves = cadre_totals(flows[FLOW_KINDS.index("moves_out")])
        rows.append(self._grid("internal_moves", year, moves[:, None, :], areas=(ALL,)))
        voluntary = cadre_totals(self.year_voluntary.astype(np.float64) * wpa)
        rows.append(self._grid("exits_voluntary", year, voluntary[:, None, :], areas=(ALL,)))
        for name, values in self._channel_values(flows).items():
            rows.append(self._grid(name, year, values[:, None, :], areas=(ALL,)))
        for i, name in enumerate(MONEY_KINDS):
            rows.append(
                self._grid(
                    name, year, self.year_money[i][:, None, None], areas=(ALL,), cadres=(ALL,)
                )
            )
        return rows

    def _channel_values(self, flows: np.ndarray) -> dict[str, np.ndarray]:
        """Channel, age and training flows of the year (C, K + 1) by indicator name."""
        wpa = self.model.workers_per_agent
        posts = self.year_posts.astype(np.float64) * wpa
        hires = flows[FLOW_KINDS.index("immigrants")]
        regime = ((hires < posts) & (posts > 0)).astype(np.float64)
        regime_all = (cadre_totals(hires) < cadre_totals(posts)) & (cadre_totals(posts) > 0)
        by_age = self.year_by_age.astype(np.float64) * wpa
        rural_graduates = self.year_flows[FLOW_KINDS.index("graduates"), :, 1, :] * wpa
        out = {
            "international_posts": cadre_totals(posts),
            "international_hires": cadre_totals(hires),
            "recruitment_regime": np.concatenate(
                [regime, regime_all[:, -1:].astype(np.float64)], axis=1
            ),
            "foreign_trained_leavers": cadre_totals(by_age[BY_AGE_FOREIGN_LEAVERS, :, :, 0]),
            "international_leavers": cadre_totals(by_age[BY_AGE_INTERNATIONAL_LEAVERS, :, :, 0]),
            "onward_arrivals": cadre_totals(self.year_onward.astype(np.float64) * wpa),
            "graduates_rural": cadre_totals(rural_graduates.astype(np.float64)),
            "attrition_under_40": cadre_totals(by_age[BY_AGE_YOUNG_LEAVERS, :, :, 0]),
        }
        for band, name in enumerate(EMIGRANT_AGE_INDICATORS):
            out[name] = cadre_totals(by_age[BY_AGE_EMIGRANTS, :, :, band])
        return out

    def _by_origin_country(self) -> np.ndarray:
        """The stock tensor summed over its two areas: (origin, country, K) agents, int64."""
        return _area_sum(self.model.ledger.stock)

    def _stock_table(self, year: int, by_oc: np.ndarray) -> dict[str, np.ndarray]:
        """Workers by country of training and country of work (R1 of issue 11): every
        foreign-trained cell and each country's own-trained workers, at the end of `year`
        (columns of codes, turned into a table once by `stocks`); by_oc (origin, country, K)
        agents (`_by_origin_country`)."""
        return self._cells(year, ("origin", "country"), *_nonzero_cells(by_oc))

    def _cells(self, year: int, names: tuple, first, second, cadre, agents) -> dict:
        """Rows of a (country, country, cadre) table as columns of codes and workers."""
        return {
            "year": np.full(first.size, year, dtype=np.int32),
            names[0]: first,
            names[1]: second,
            "cadre": cadre,
            "workers": agents.astype(np.float64) * self.model.workers_per_agent,
        }

    def _cells_table(self, frames: list[dict]) -> pd.DataFrame:
        """The rows of `_cells` of every year as one table, the codes turned into labels."""
        columns = _concatenated(frames)
        for name in columns.keys() & {"origin", "country", "destination"}:
            columns[name] = text_column(self.iso3, columns[name])
        columns["cadre"] = text_column(np.asarray(CADRES), columns["cadre"])
        return pd.DataFrame(columns)

    def _agreement_rows(self, year: int) -> dict[str, np.ndarray]:
        """Each agreement's quota in force and hires during `year` (R2 of issue 11), as columns
        (the country and cadre columns as codes, turned into a table once by `agreements`)."""
        m = self.model
        ag = m.agreements
        return {
            "year": np.full(ag.source.size, year, dtype=np.int32),
            "agreement": np.arange(ag.source.size, dtype=np.int32),
            "source": ag.source,
            "destination": ag.destination,
            "cadre": ag.cadre + 1,
            "quota": ag.quota * m.policies.year(year).agreement_active,
            "hired": self.year_agreement_hires.astype(np.float64) * m.workers_per_agent,
        }

    def _international_rows(self, year: int) -> dict[str, np.ndarray]:
        return self._cells(
            year, ("origin", "destination"), *_nonzero_cells(self.year_international)
        )

    def _arrival_rows(self, year: int) -> dict[str, np.ndarray]:
        """Arrivals from abroad during `year` by country of training (origin) and country entered
        (country): first and onward moves; returns home are not arrivals."""
        return self._cells(year, ("origin", "country"), *_nonzero_cells(self.year_arrivals))

    def record_initial(self) -> None:
        """Stocks of the initial state, labelled as the end of the year before the start (after
        a spin-up, `end_year` records them at the end of the spin-up instead)."""
        m = self.model
        if m.setup.report_year == m.start_year:
            self._record_stocks(m.start_year - 1)

    def _record_stocks(self, year: int) -> None:
        """The stock rows and the bilateral stocks at the end of `year`."""
        by_oc = self._by_origin_country()
        self.frames.extend(self._stock_rows(year, self.model.population_in(year + 1), by_oc))
        self.stock_frames.append(self._stock_table(year, by_oc))

    def end_year(self, year: int) -> None:
        """Stocks at the end of `year` and flows during it; of the spin-up's years (before
        `Setup.report_year`) only the last one's stocks, as the initial state of the results."""
        report_year = self.model.setup.report_year
        if year >= report_year - 1:
            self._record_stocks(year)
        if year >= report_year:
            self.frames.extend(self._flow_rows(year))
            self.flow_frames.append(self._international_rows(year))
            self.arrival_frames.append(self._arrival_rows(year))
            self.agreement_frames.append(self._agreement_rows(year))
        for counter in (self.year_flows, self.year_international, self.year_arrivals,
                        self.year_onward, self.year_money, self.year_voluntary, self.year_by_age,
                        self.year_posts, self.year_agreement_hires):  # fmt: skip
            counter[...] = 0

    def indicators(self) -> pd.DataFrame:
        """All indicator rows recorded so far (one DataFrame built at the end: cheap per year)."""
        columns = _concatenated(self.frames, _COLUMNS)
        for name, labels in self.labels.items():
            columns[name] = text_column(np.array(list(labels)), columns[name])
        return pd.DataFrame(columns)

    def _yearly_table(self, frames: list[dict], rows) -> pd.DataFrame:
        """The `_cells` rows of every reported year as one table; an empty table with the same
        columns before any year is reported (`rows(year)` gives one year's rows)."""
        if not frames:
            return self._cells_table([rows(self.model.start_year)]).iloc[0:0]
        return self._cells_table(frames)

    def flows(self) -> pd.DataFrame:
        """All international flow rows recorded so far."""
        return self._yearly_table(self.flow_frames, self._international_rows)

    def arrivals(self) -> pd.DataFrame:
        """Arrivals by (year, origin: country of training, country entered, cadre): what registers
        count as joiners trained abroad."""
        return self._yearly_table(self.arrival_frames, self._arrival_rows)

    def stocks(self) -> pd.DataFrame:
        """Workers by (year, origin, country, cadre): the initial state and every year end."""
        return self._cells_table(self.stock_frames)

    def agreements(self) -> pd.DataFrame:
        """Quota and hires of every agreement in every year (empty without agreements)."""
        frames = self.agreement_frames or [self._agreement_rows(self.model.start_year)]
        columns = _concatenated(frames)
        for name in ("source", "destination"):
            columns[name] = self.iso3[columns[name]]
        columns["cadre"] = np.array(["all", *CADRES])[columns["cadre"]]
        table = pd.DataFrame(columns)
        return table if self.agreement_frames else table.iloc[0:0]


@njit(cache=True)
def _area_sum(stock):
    """N[o, c, U, k] + N[o, c, R, k]: the (C, C, 2, K) stock tensor over its areas. (C, C, K)."""
    n_origins, n_countries, _, n_cadres = stock.shape
    out = np.empty((n_origins, n_countries, n_cadres), dtype=stock.dtype)
    for o in range(n_origins):
        for c in range(n_countries):
            for k in range(n_cadres):
                out[o, c, k] = stock[o, c, 0, k] + stock[o, c, 1, k]
    return out


@njit(cache=True)
def _bilateral_sums(by_oc, workers_per_agent, pair):
    """Workers of the (origin, country, K) agents `by_oc` (each cell times ω): trained and
    working at home, trained in each country (a sum over the countries of work), working in
    each country (over the origins), and working there in an international pair (`pair`
    (origin, country)). Four (C, K) arrays, each sum in order from the first cell, as numpy's
    `sum` over that axis adds them (the same values to the last bit)."""
    n_origins, n_countries, n_cadres = by_oc.shape
    own = np.zeros((n_countries, n_cadres))
    trained = np.zeros((n_origins, n_cadres))
    working = np.zeros((n_countries, n_cadres))
    international = np.zeros((n_countries, n_cadres))
    for o in range(n_origins):
        for c in range(n_countries):
            for k in range(n_cadres):
                workers = float(by_oc[o, c, k]) * workers_per_agent
                trained[o, k] += workers
                working[c, k] += workers
                international[c, k] += workers if pair[o, c] else 0.0
                if o == c:
                    own[c, k] = workers
    return own, trained, working, international


@njit(cache=True)
def _nonzero_cells(x):
    """The non-zero cells of a (C, C, K) integer array in C order: their three indices and
    values (as `np.nonzero` and a take)."""
    n = 0
    for v in x.ravel():
        n += v != 0
    first, second, third = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    values = np.empty(n, dtype=x.dtype)
    i = 0
    for a in range(x.shape[0]):
        for b in range(x.shape[1]):
            for c in range(x.shape[2]):
                if x[a, b, c] != 0:
                    first[i], second[i], third[i], values[i] = a, b, c, x[a, b, c]
                    i += 1
    return first, second, third, values
