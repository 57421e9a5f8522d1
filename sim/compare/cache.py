"""Run reuse: a scenario is run again only when no matching results folder exists.

A previous run matches when its manifest records exactly the same scenario hash, seed, number of
replicates, package version and code fingerprint (sources and bundled data), and every table it
lists is there with the size and SHA-256 the manifest records. Anything else is run again; the new
run is built complete (`sim.outputs.results.write_run_folder`) in `.runs.pending/` and replaces the
old folder with the briefing built from it (`sim.compare.folder`).
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path
from typing import Any

from sim.inputs.posterior import calibration_record
from sim.outputs.folders import folder_slug, name_hash
from sim.outputs.provenance import code_fingerprint
from sim.outputs.results import MANIFEST, verify_run_folder

log = logging.getLogger(__name__)


def folder_name(name: str) -> str:
    """A file-system-safe folder name for a scenario name (`tiny baseline` -> `tiny_baseline`)."""
    return folder_slug(name)


def folder_names(names: list[str]) -> list[str]:
    """Folder names for the scenarios of one comparison: safe, and distinct when names are.

    Names whose safe forms collide (`a b`, `a_b`) get a short hash of the full name appended.
    """
    slugs = [folder_name(n) for n in names]
    out = []
    for name, slug in zip(names, slugs, strict=True):
        if slugs.count(slug) > 1:
            slug = f"{slug}-{name_hash(name)}"
        out.append(slug)
    return out


def package_version() -> str:
    import sim

    return sim.__version__


def read_manifest(run_dir: Path) -> dict | None:
    """The manifest of a results folder, or None when it is missing or unreadable."""
    path = Path(run_dir) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > 64 << 20:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def expected_key(scenario: Any, *, seed: int, replicates: int) -> dict:
    """What a reusable run's manifest must record."""
    return {
        "scenario_hash": scenario.hash(),
        "seed": int(seed),
        "replicates": int(replicates),
        "package_version": package_version(),
        "code_hash": code_fingerprint(),
    }


def matches(run_dir: Path, key: dict) -> bool:
    """Whether `run_dir` holds a complete run whose manifest records exactly `key`."""
    manifest = read_manifest(run_dir)
    if manifest is None or not isinstance(manifest.get("files"), dict):
        return False
    differs = [k for k, v in key.items() if manifest.get(k) != v]
    if differs:
        log.info("%s: not reused (%s differ)", run_dir, ", ".join(differs))
        return False
    wanted = ["indicators.parquet"]
    if manifest.get("scenario", {}).get("outputs", {}).get("flows", False):
        wanted.append("flows.parquet")
    missing = [name for name in wanted if name not in manifest["files"]]
    damaged = verify_run_folder(run_dir, manifest)
    if missing or damaged:
        log.warning(
            "%s: not reused (tables missing or changed since the run: %s)",
            run_dir,
            ", ".join(missing + damaged),
        )
        return False
    return True


def reusable(
    scenario: Any, run_dir: str | Path, *, seed: int, replicates: int, force: bool
) -> bool:
    """Whether `run_dir` holds a complete, unchanged run of `scenario` (never with `force`)."""
    key = expected_key(scenario, seed=seed, replicates=replicates)
    return not force and matches(Path(run_dir), key)


def run_or_reuse(
    scenario: Any,
    run_dir: str | Path,
    *,
    seed: int,
    replicates: int,
    force: bool = False,
    progress: bool = False,
    pool: Any = None,
) -> bool:
    """Make sure `run_dir` holds the results of `scenario`; True when a previous run was reused.
    `pool` (`sim.runner.ReplicatePool`) runs its replicates in worker processes."""
    if reusable(scenario, run_dir, seed=seed, replicates=replicates, force=force):
        log.info("reusing %s for %s", run_dir, scenario.name)
        refresh_calibration(run_dir, calibration_record(scenario.data))
        return True
    runner = importlib.import_module("sim.runner")
    log.info(
        "running %s into %s (%d replicates, seed %d)", scenario.name, run_dir, replicates, seed
    )
    runner.run_scenario(
        scenario, run_dir, replicates=replicates, seed=seed, progress=progress, pool=pool
    )
    return False


def refresh_calibration(run_dir: str | Path, record: dict) -> bool:
    """Give a reused run's manifest the calibration's current record (`calibration_record`): a
    fit re-measured since (`scripts/fit_check.py --update-fit-json`) changes what is said of the
    fit, and the page the briefing links, not the parameters or the results. True if rewritten.

    Args:
        run_dir: the run folder.
        record: `{"calibration": ...}`, or `{}` when the scenario names no posterior sample.
    """
    from sim.outputs.results import atomic_write

    current = record.get("calibration")
    path = Path(run_dir) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if current is None or manifest.get("calibration") == current:
        return False
    manifest["calibration"] = current
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
    atomic_write(path, text + "\n")
    log.info("%s: the calibration's record updated (its fit re-measured since the run)", run_dir)
    return True
