"""`compare`: run (or reuse) every scenario, then write the briefing.

Every scenario runs with the baseline's seed and number of replicates (unless given), so that
replicate r of each scenario shares its spawned seed and the differences are paired. A run not
reused from `runs/` is made in `.runs.pending/` (or reused from there: made by a comparison that
stopped before its briefing) and moved into `runs/` with the briefing (`sim.compare.folder`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.compare.briefing import Briefing, write_briefing
from sim.compare.cache import folder_names, reusable, run_or_reuse
from sim.compare.folder import PENDING
from sim.compare.runs import Run, load_run
from sim.errors import ScenarioError, SetupError
from sim.outputs.folders import check_folder_kind, default_folder, held_folder
from sim.outputs.results import (
    check_output_dir,
    clean_temp_files,
)

log = logging.getLogger(__name__)


@dataclass
class CompareResult:
    """What `compare` produced: the briefing and the runs it read (with `.reused` set)."""

    out_dir: Path
    briefing: Briefing
    runs: list[Run] = field(default_factory=list)

    @property
    def index_html(self) -> Path:
        return self.briefing.index_html

    @property
    def reused(self) -> dict[str, bool]:
        return {run.name: bool(run.reused) for run in self.runs}


def default_out_dir(baseline_name: str) -> Path:
    """`results/compare-<baseline name>` (relative to the working directory)."""
    return Path("results") / f"compare-{default_folder(baseline_name)}"


def load_scenarios(paths: Sequence[str | Path], overrides: Sequence[str] = ()) -> list[Any]:
    """Load every scenario (the `--set` overrides apply to all); names must differ."""
    scenario_mod = importlib.import_module("sim.inputs.scenario")
    scenarios = []
    warned: set[str] = set()  # a parent file's warning once, not once per option extending it
    for p in paths:
        try:
            scenarios.append(scenario_mod.load_scenario(p, tuple(overrides), warned=warned))
        except ScenarioError as err:
            if err.file == scenario_mod.SET_SOURCE:  # a --set applied to every scenario
                err.message = f"{err.message} (applied to {Path(p).name})"
            raise
    seen: dict[str, Any] = {}
    for path, s in zip(paths, scenarios, strict=True):
        if s.name in seen:
            raise ScenarioError(
                f"two scenarios of the comparison are both named '{s.name}' ({seen[s.name]} and "
                f"{path})",
                file=str(path),
                key_path="name",
                expected="a distinct `name:` in each scenario file",
            )
        seen[s.name] = path
    return scenarios


COMPARABLE_KEYS = (
    ("world", "kind"),
    ("world", "file"),
    ("world", "countries"),
    ("time", "start_year"),
    ("time", "spin_up_from"),
    ("time", "years"),
)
"""What options must share with the baseline for their differences to mean anything."""


def check_comparable(base: Any, options: Sequence[Any]) -> None:
    """Options must simulate the same world and period as the baseline, and not be named like it."""
    for option in options:
        if option.name == "baseline" and base.name != "baseline":
            raise ScenarioError(
                "an option may not be named 'baseline' (the briefing labels the baseline so)",
                file=str(option.path),
                key_path="name",
                expected="another name",
            )
        for section, key in COMPARABLE_KEYS:
            mine, theirs = option.data[section][key], base.data[section][key]
            if mine != theirs:
                raise ScenarioError(
                    f"{option.name} has {section}.{key} = {mine!r} but the baseline "
                    f"{base.name} has {theirs!r}; options are compared with the baseline on the "
                    "same world and period",
                    file=str(option.path),
                    key_path=f"{section}.{key}",
                    expected=repr(theirs),
                )


def _with_uncertainty_of(base: Any, option: Any, notes: list[str]) -> Any:
    """The option with the baseline's `uncertainty` (parameter draws pair replicate by replicate).

    When the baseline draws parameters from a posterior sample, every option draws the same row
    for the same replicate; an option that says otherwise gets a note.
    """
    mine, theirs = option.data["uncertainty"], base.data["uncertainty"]
    if mine == theirs:
        return option
    if mine["kind"] != "stochastic" or option.origin("uncertainty.kind")[1] is not None:
        log.warning(
            "%s sets its own uncertainty; it runs with the baseline's (%s)",
            option.name,
            theirs["kind"],
        )
        notes.append(
            f"“{option.name}” sets its own uncertainty; it was run with the baseline's "
            f"({theirs['kind']}) so that its replicates pair with the baseline's."
        )
    return option.with_overrides(
        {"uncertainty.kind": theirs["kind"], "uncertainty.sample": theirs["sample"]},
        source=f"the baseline {base.name}",
    )


def _check_countries(base, focus: Sequence[str], countries: Sequence[str] | None) -> None:
    """`--focus` and `--countries` name countries the comparison simulates, before any run."""
    from sim.inputs.selectors import simulated_world

    world = simulated_world(base.data)
    simulated = [str(code) for code in world.iso3]
    for what, codes in (("--focus", focus), ("--countries", countries or ())):
        missing = [c for c in codes if c not in simulated]
        if missing:
            hint = world.hint(missing[0])  # names and aliases (UK -> GBR), as scenario files get
            listed = ", ".join(simulated) if len(simulated) <= 12 else "ISO3 codes of its world"
            raise SetupError(
                f"{what} names {', '.join(missing)}, not simulated by {base.name}{hint}",
                expected=f"countries it simulates ({listed})",
            )


def _check_title(title: str | None) -> None:
    """`--title` is one line of text, as scenario names and descriptions are."""
    from sim.errors import first_control_character
    from sim.inputs.validation import MAX_TEXT_LENGTH

    if title is None:
        return
    bad = first_control_character(title)
    if bad is not None:
        raise SetupError(
            f"--title holds the control character {bad}",
            expected="one line of printable text",
        )
    if len(title) > MAX_TEXT_LENGTH:
        raise SetupError(
            f"--title is {len(title):,} characters long",
            expected=f"at most {MAX_TEXT_LENGTH:,} characters",
        )


def compare(
    baseline: str | Path,
    options: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    force: bool = False,
    progress: bool = False,
    world: Any = None,
    title: str | None = None,
    focus: Sequence[str] = (),
    countries: Sequence[str] | None = None,
    report: Callable[[Run], None] | None = None,
    jobs: int | None = None,
) -> CompareResult:
    """Run or reuse `baseline` and each option into `out_dir/runs/<name>/`; write the briefing.

    `replicates` and `seed` default to the baseline scenario's; `overrides` are `--set
    PATH=VALUE` items applied to every scenario; `force` runs everything again. `title`,
    `focus` (ISO3 codes) and `countries` (ISO3 codes that get a page) shape the briefing;
    `report(run)` is called as each scenario is run or reused (with the folder the run takes in
    `runs/`: the runs made now appear there with the briefing that describes them, not before;
    module docstring); `progress` shows progress bars
    for the runs and the figures; `jobs` is the number of worker processes that run replicates
    (large runs only) and draw the charts.
    """
    scenarios = load_scenarios([baseline, *options], overrides)
    base = scenarios[0]
    check_comparable(base, scenarios[1:])
    given_seed, given_replicates = seed, replicates
    replicates = int(replicates if replicates is not None else base.data["replicates"])
    seed = int(seed if seed is not None else base.data["seed"])
    _check_countries(base, focus, countries)
    _check_title(title)
    out = Path(out_dir) if out_dir is not None else default_out_dir(base.name)
    check_output_dir(out, run_folder=False)
    check_folder_kind(out, "compare")
    begun = (out / "runs").is_dir() or (out / PENDING).is_dir()  # (runs of an interrupted one)
    if out.is_dir() and any(out.iterdir()) and not begun:
        raise SetupError(
            f"the output folder {out} is not a compare folder (no runs/); compare writes "
            "index.html, headline.csv, figures/ and runs/ into it",
            expected="an empty folder, a new path, or the folder of an earlier compare (-o)",
        )
    with held_folder(out, "compare", "runs"):  # one compare at a time in a folder
        for folder in (out, out / "figures", out / "runs", out / PENDING):  # of killed writers
            clean_temp_files(folder)
        notes = []
        for s in scenarios[1:]:
            own = {"seed": s.data.get("seed"), "replicates": s.data.get("replicates")}
            used = {"seed": seed, "replicates": replicates}
            given = {"seed": given_seed, "replicates": given_replicates}
            # Only an option that sets its own value in a file (not its default, not overridden
            # for everyone) gets a note.
            differs = [
                k
                for k in own
                if given[k] is None and own[k] != used[k] and s.origin(k)[1] is not None
            ]
            if differs:
                what = " and ".join(f"{k} {own[k]}" for k in differs)
                log.warning(
                    "%s sets %s; it runs with the baseline's %s, so that its replicates pair "
                    "with the baseline's",
                    s.name,
                    what,
                    " and ".join(f"{k} {used[k]}" for k in differs),
                )
                notes.append(
                    f"“{s.name}” sets {what}; it was run with the baseline's "
                    + " and ".join(f"{k} {used[k]}" for k in differs)
                    + " so that its replicates pair with the baseline's."
                )
        scenarios = [base, *(_with_uncertainty_of(base, s, notes) for s in scenarios[1:])]
        runs = []
        from sim.compare.drawing import default_jobs
        from sim.runner import ReplicatePool

        # one pool of worker processes for every scenario's replicates (started only if a run is
        # large enough to gain from it: `ReplicatePool.worthwhile`)
        run_dirs = [out / "runs" / f for f in folder_names([s.name for s in scenarios])]
        with ReplicatePool(default_jobs() if jobs is None else jobs) as pool:
            targets = []  # where each run is: runs/<name> if reused there, else .runs.pending/
            for s, run_dir in zip(scenarios, run_dirs, strict=True):  # queue every run needed first
                if reusable(s, run_dir, seed=seed, replicates=replicates, force=force):
                    targets.append(run_dir)
                    continue
                check_output_dir(run_dir)  # a folder of yours there: refused before any run
                targets.append(out / PENDING / run_dir.name)
                if not reusable(s, targets[-1], seed=seed, replicates=replicates, force=force):
                    pool.prefetch(s, replicates=replicates, seed=seed)
            for s, target, run_dir in zip(scenarios, targets, run_dirs, strict=True):
                reused = run_or_reuse(
                    s, target, seed=seed, replicates=replicates, force=force, progress=progress,
                    pool=pool,
                )  # fmt: skip
                log.info("%s: %s (%s)", s.name, "reused previous run" if reused else "ran", target)
                runs.append(load_run(target, reused=reused))
                if report is not None:  # where the run will be, with the briefing
                    report(dataclasses.replace(runs[-1], run_dir=run_dir))
        reused_names = [r.name for r in runs if r.reused]
        if reused_names:
            notes.append(
                "Reused previous runs with identical scenario, seed, replicates and model "
                "version: " + ", ".join(reused_names) + "."
            )
        briefing = write_briefing(
            runs[0],
            runs[1:],
            out,
            world=world,
            notes=notes,
            title=title,
            focus_codes=focus,
            countries=countries,
            jobs=jobs,
            progress=progress,
            adopt=_adopted(runs, out),
        )
        for run, run_dir in zip(runs, run_dirs, strict=True):
            run.run_dir = run_dir
        with contextlib.suppress(OSError):  # gone if empty (runs of other comparisons may wait)
            (out / PENDING).rmdir()
        return CompareResult(out, briefing, runs)


def _adopted(runs: Sequence[Run], out: Path) -> dict[str, Path]:
    """The runs made for this briefing (in `.runs.pending/`), by the path each takes in `out`
    with the briefing; their places in `runs/` checked again (a folder of yours is not replaced).
    """
    adopt = {}
    for run in runs:
        if run.run_dir.parent == out / PENDING:
            check_output_dir(out / "runs" / run.run_dir.name)
            adopt[f"runs/{run.run_dir.name}"] = run.run_dir
    return adopt
