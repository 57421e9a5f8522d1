"""One scenario's results folder as the briefing sees it (manifest, indicators, flows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FLOW_COLUMNS = ("replicate", "year", "origin", "destination", "cadre", "workers")


@dataclass
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

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.scenario.get("name") or self.run_dir.name)

    @property
    def scenario(self) -> dict:
        """The resolved scenario the run used."""
        return self.manifest.get("scenario") or {}

    @property
    def replicates(self) -> list[int]:
        return sorted(int(r) for r in self.indicators["replicate"].unique())

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.indicators["year"].unique())


def load_run(run_dir: str | Path, *, reused: bool | None = None) -> Run:
    """Read a results folder with `sim.outputs.results.read_results` (the contract's reader)."""
    from sim.outputs.results import read_results

    run_dir = Path(run_dir)
    manifest, indicators, flows = read_results(run_dir)
    if flows is None:
        flows = pd.DataFrame({c: pd.Series(dtype="float64") for c in FLOW_COLUMNS})
    available = (Path(run_dir) / "flows.parquet").is_file()
    return Run(run_dir, manifest, indicators, flows, reused, flows_available=available)
