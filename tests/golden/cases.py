"""Golden results: scenarios whose full results (indicators, flows, money) are fingerprinted.

A refactoring must leave every fingerprint unchanged. A deliberate change of behaviour re-records
them with `python -m tests.golden.record` and says so in its commit message.

Fingerprints are SHA-256 digests of the result tables written as text: integers exactly, floats
(money, rates, densities) to 12 significant figures, which is far below any modelled quantity and
above the last-bit noise a different numpy build may give a floating-point sum. One digest per
indicator, so a failure names what changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN_FILE = Path(__file__).with_name("results.json")

_EVERY_LEVER = {
    "policies.ethical_recruitment.enabled": True,
    "policies.fee_free_recruitment.enabled": True,
    "policies.equal_treatment.enabled": True,
    "policies.compensation.enabled": True,
    "policies.retention.enabled": True,
    "policies.rural_allowance.enabled": True,
    "policies.bonding.enabled": True,
    "policies.bonding.years": 1.0,
    "policies.domestic_training.enabled": True,
    "policies.deployment_cap.enabled": True,
    "policies.deployment_cap.countries": ["XEX"],
    "policies.deployment_cap.cap": 500.0,
}
_ARCHETYPE_AGREEMENTS = [
    {"source": "XEX", "destination": "XDA", "cadre": "nurses", "quota": 800.0,
     "training_places": 50.0, "from": 2024},
    {"source": "XSR", "destination": "XDB", "cadre": "all", "quota": 300.0,
     "contract_years": 1.0, "return_probability": 0.5, "until": 2026},
]  # fmt: skip

CASES: dict[str, dict] = {
    # Global world, arrays engine, large enough for the parallel kernel builds (> 32,768 rows).
    "global_baseline_arrays": {
        "file": "baseline.yaml",
        "engine": "arrays",
        "overrides": {"scale.workers_per_agent": 150.0, "time.years": 5},
    },
    "global_package_arrays": {
        "file": "code_of_practice_package.yaml",
        "engine": "arrays",
        "overrides": {"scale.workers_per_agent": 400.0, "time.years": 6},
    },
    "global_agreements_arrays": {
        "file": "bilateral_agreements.yaml",
        "engine": "arrays",
        "overrides": {"scale.workers_per_agent": 400.0, "time.years": 7},
    },
    "global_adjustments_arrays": {
        "file": "demand_surge.yaml",
        "engine": "arrays",
        "overrides": {"scale.workers_per_agent": 400.0, "time.years": 8},
    },
    "global_bonding_retention_monthly_arrays": {
        "file": "bonding.yaml",
        "engine": "arrays",
        "overrides": {
            "scale.workers_per_agent": 1000.0,
            "time.years": 4,
            "time.steps_per_year": 12,
            "policies.retention.enabled": True,
            "policies.retention.from": 2024,
            "policies.retention.until": 2025,
            "policies.compensation.enabled": True,
            "policies.compensation.use": "retention",
        },
    },
    # A subset of the global world with non-default destinations, agents engine.
    "global_subset_agents": {
        "file": "ethical_recruitment.yaml",
        "engine": "agents",
        "overrides": {
            "scale.workers_per_agent": 2000.0,
            "time.years": 4,
            "world.countries": ["GBR", "IND", "PHL", "NGA", "GHA", "KEN", "ZAF", "USA", "SAU"],
            "workforce.destinations": ["GBR", "USA", "SAU", "ZAF"],
        },
    },
    # Archetype world: every lever, dated agreements, in both engines (the same digests).
    "archetypes_every_lever_agents": {
        "file": "archetypes_baseline.yaml",
        "engine": "agents",
        "overrides": {
            **_EVERY_LEVER,
            "policies.agreements": _ARCHETYPE_AGREEMENTS,
            "time.years": 5,
            "time.steps_per_year": 12,
            "behaviour.emigrate_constant": -4.0,
        },
    },
    "archetypes_every_lever_arrays": {
        "file": "archetypes_baseline.yaml",
        "engine": "arrays",
        "overrides": {
            **_EVERY_LEVER,
            "policies.agreements": _ARCHETYPE_AGREEMENTS,
            "time.years": 5,
            "time.steps_per_year": 12,
            "behaviour.emigrate_constant": -4.0,
        },
    },
    "archetypes_dated_compensation_retention_agents": {
        "file": "archetypes_compensation.yaml",
        "engine": "agents",
        "overrides": {
            "policies.compensation.use": "retention",
            "policies.compensation.from": 2024,
            "policies.compensation.until": 2027,
            "policies.rural_allowance.enabled": True,
            "policies.rural_allowance.from": 2026,
            "adjustments": [
                {"countries": ["XDA"], "demand_multiplier": 1.2, "from": 2025, "until": 2027}
            ],
            "time.years": 8,
            "time.steps_per_year": 1,
        },
    },
}

SEED = 20261130
REPLICATES = 2


def _text(frame: pd.DataFrame) -> bytes:
    """The table as CSV text: integers exact, floats to 12 significant figures."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "f":
            out[column] = [f"{v:.12g}" for v in out[column].to_numpy()]
    return out.to_csv(index=False).encode()


def digest(
    indicators: pd.DataFrame,
    flows: pd.DataFrame,
    stocks: pd.DataFrame | None = None,
    agreements: pd.DataFrame | None = None,
    arrivals: pd.DataFrame | None = None,
) -> dict:
    """Fingerprints of a run's tables: one per indicator, one each for the flows, the bilateral
    stocks, the agreements and the arrivals."""
    by_indicator = {
        str(name): hashlib.sha256(_text(rows.reset_index(drop=True))).hexdigest()[:16]
        for name, rows in indicators.groupby("indicator", sort=True)
    }
    return {
        "rows": len(indicators),
        "indicators": by_indicator,
        "flows": hashlib.sha256(_text(flows.reset_index(drop=True))).hexdigest()[:16],
        "flow_rows": len(flows),
        **{
            name: hashlib.sha256(_text(table.reset_index(drop=True))).hexdigest()[:16]
            for name, table in (
                ("stocks", stocks),
                ("agreements", agreements),
                ("arrivals", arrivals),
            )
            if table is not None
        },
    }


def run_case(name: str) -> dict:
    """Run one golden case (every replicate) and return its fingerprints."""
    from sim.inputs.scenario import load_scenario
    from sim.runner import replicate_seeds, run_replicate

    case = CASES[name]
    scenario = load_scenario(SCENARIOS / case["file"]).with_overrides(case["overrides"])
    results = [
        run_replicate(scenario, r, ss, engine=case["engine"])
        for r, ss in enumerate(replicate_seeds(SEED, REPLICATES))
    ]
    indicators = pd.concat([r.indicators for r in results], ignore_index=True)
    tables = {
        name: pd.concat([getattr(r, name) for r in results], ignore_index=True)
        for name in ("flows", "stocks", "agreements", "arrivals")
    }
    return digest(indicators, **tables)


def load_golden() -> dict:
    """The recorded fingerprints."""
    return json.loads(GOLDEN_FILE.read_text())


def first_difference(expected: dict, actual: dict) -> str:
    """A short description of what differs between two fingerprints."""
    changed = sorted(
        name
        for name in set(expected["indicators"]) | set(actual["indicators"])
        if expected["indicators"].get(name) != actual["indicators"].get(name)
    )
    parts = []
    if changed:
        parts.append("indicators changed: " + ", ".join(changed))
    if expected["flows"] != actual["flows"]:
        parts.append(f"flows changed ({expected['flow_rows']} -> {actual['flow_rows']} rows)")
    for table in ("stocks", "agreements", "arrivals"):
        if expected.get(table) != actual.get(table):
            parts.append(f"{table} changed")
    return "; ".join(parts) or "identical"
