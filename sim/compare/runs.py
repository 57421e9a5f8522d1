"""One scenario's results folder as the briefing sees it (manifest, indicators, flows, and the
optional bilateral stocks and agreement deliveries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.outputs.outcomes import IndicatorTable

FLOW_COLUMNS = ("replicate", "year", "origin", "destination", "cadre", "workers")
STOCK_COLUMNS = ("replicate", "year", "origin", "country", "cadre", "workers")
AGREEMENT_COLUMNS = (
    "replicate",
    "year",
    "agreement",
    "source",
    "destination",
    "cadre",
    "quota",
    "hired",
)


@dataclass(eq=False)
class Run:
    """The results of one scenario: all replicates, read from its results folder."""

    run_dir: Path
    manifest: dict
    indicators: pd.DataFrame
    flows: pd.DataFrame
    reused: bool | None = None
    """True when a previous run was reused, False when run now, None when not known."""
    flows_available: bool = True
    """False when the run wrote no flows.parquet (`outputs.flows: false`)."""
    stocks: pd.DataFrame | None = None
    """Bilateral stocks (workers by country of training and of work), when the run wrote them."""
    agreements: pd.DataFrame | None = None
    """Workers hired under each bilateral agreement and its quota, when the run wrote them."""
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.scenario.get("name") or self.run_dir.name)

    @property
    def scenario(self) -> dict:
        """The resolved scenario the run used."""
        return self.manifest.get("scenario") or {}

    @property
    def replicates(self) -> list[int]:
        if "replicates" not in self._cache:
            self._cache["replicates"] = sorted(
                int(r) for r in self.indicators["replicate"].unique()
            )
        return self._cache["replicates"]

    @property
    def years(self) -> list[int]:
        if "years" not in self._cache:
            self._cache["years"] = sorted(int(y) for y in self.indicators["year"].unique())
        return self._cache["years"]

    @property
    def table(self) -> IndicatorTable:
        """The indicator table split by indicator once (the briefing reads each many times)."""
        if "table" not in self._cache:
            self._cache["table"] = IndicatorTable(self.indicators)
        return self._cache["table"]

    def indicator(self, name: str) -> pd.DataFrame:
        """Rows of one indicator for area `all`: replicate, year, country, cadre, value."""
        return self.table.rows(name)

    def has_indicator(self, name: str) -> bool:
        """Whether the run recorded the indicator."""
        return self.table.has(name)


def _optional(run_dir: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """An optional table of the run folder, text as categoricals (None when absent or not
    following the contract)."""
    from sim.outputs.reading import read_table

    if not (run_dir / f"{name}.parquet").is_file():
        return None
    table = read_table(run_dir, name, categorical=True)
    if not set(columns) <= set(table.columns):
        return None
    return table


def load_run(run_dir: str | Path, *, reused: bool | None = None) -> Run:
    """Read a results folder with `sim.outputs.reading.read_results` (the contract's reader), its
    text columns as categoricals (the briefing selects and groups its tables many times)."""
    from sim.outputs.reading import read_results

    run_dir = Path(run_dir)
    manifest, indicators, flows = read_results(run_dir, categorical=True)
    if flows is None:
        flows = pd.DataFrame({c: pd.Series(dtype="float64") for c in FLOW_COLUMNS})
    available = (Path(run_dir) / "flows.parquet").is_file()
    return Run(
        run_dir,
        manifest,
        indicators,
        flows,
        reused,
        flows_available=available,
        stocks=_optional(run_dir, "stocks", STOCK_COLUMNS),
        agreements=_optional(run_dir, "agreements", AGREEMENT_COLUMNS),
    )


def pairing_notes(baseline: Run, options: Sequence[Run], year: int) -> list[str]:
    """Warnings when replicate r of an option does not share its seed with the baseline's."""
    notes = []
    for o in options:
        if o.manifest.get("seed") != baseline.manifest.get("seed"):
            notes.append(
                f"“{o.name}” used seed {o.manifest.get('seed')} and the baseline seed "
                f"{baseline.manifest.get('seed')}: its differences are not paired by "
                "common random numbers, so its intervals are wider."
            )
        if o.replicates != baseline.replicates:
            notes.append(
                f"“{o.name}” has replicates {len(o.replicates)} and the baseline "
                f"{len(baseline.replicates)}: differences use the replicates both have."
            )
        if max(o.years) != max(baseline.years):
            notes.append(
                f"“{o.name}” ends in {max(o.years)} and the baseline in "
                f"{max(baseline.years)}: the comparison is made in {year}."
            )
    return notes
