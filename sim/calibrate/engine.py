"""`calibrate(spec, out_dir)`: screening, waves of history matching, posterior, checks, outputs.

Stages, in order, each resumable (docs/calibration.md):

1. **screening**: a Morris design over every calibrated parameter (common random numbers within a
   trajectory); inert parameters stay at their default;
2. **waves** 1..K: wave 1 is a Latin hypercube over the prior; wave k+1 is spread over the region
   that waves 1..k have not ruled out; after each wave its emulators are fitted and the share of
   the prior volume still not implausible is recorded;
3. **posterior**: importance sampling of the last wave's emulator likelihood within the region
   the earlier waves left (`sim.calibrate.methods`); its central draw is the fit;
4. **checks**: simulator runs at the uncalibrated defaults and at the fit (replicates with the same
   seeds) and at posterior draws (posterior predictive), for every compared target;
5. **explored**: over every run of stages 1-4, which compared targets some run meets within the
   cut-off (`methods.reachability`) and the range of each; what no run reaches is a structural
   limit of the model, reported as such;
6. **outputs**: `fitted.yaml`, `posterior.csv`, `report.html`, `report.csv`.

Every stage writes its design before running it, and every evaluation its row as soon as it is
done (`sim.calibrate.run`), so a stopped calibration (Ctrl-C, a crash, the time budget) resumes
where it stopped: designs are read back, finished runs are not run again, and emulators are refitted
deterministically from the stored runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate import methods
from sim.calibrate.execute import BudgetReachedError, Runner, cpus
from sim.calibrate.explored import explore
from sim.calibrate.plan import (
    STAGES,
    Plan,
    evaluations_stored,
    initial_state,
    load_state,
    make_plan,
    record_call,
    transformed,
    write_state,
)
from sim.calibrate.report import spread
from sim.calibrate.spec import CalibrationSpec
from sim.errors import CalibrationError
from sim.outputs.folders import check_folder_kind, held_folder
from sim.outputs.results import check_output_dir

__all__ = ["BudgetReachedError", "CalibrationResult", "calibrate", "load_state", "make_plan"]

log = logging.getLogger(__name__)

SCREEN_OFFSET = 0
WAVE_OFFSET = 1_000_000
CHECK_OFFSET = 90_000_000
POSTERIOR_OFFSET = 95_000_000
MIN_RUNS_UNDEFINED = 10
"""Runs of a stage after which a fitted target with no finite value stops the calibration."""


@dataclass
class CalibrationResult:
    """What a call of `calibrate` did."""

    out_dir: Path
    complete: bool
    runs: int
    ran: int
    elapsed_s: float
    message: str


def calibrate(
    spec: CalibrationSpec,
    out_dir: str | Path,
    *,
    budget_runs: int | None = None,
    hours: float | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool = False,
) -> CalibrationResult:
    """Run (or resume) the calibration of `spec` into `out_dir`; see the module docstring.

    Args:
        budget_runs: model runs the plan is sized to (default: the spec's `budget.runs`); a
            resumed calibration must keep the budget it started with.
        hours: wall-clock limit of this call (default: the spec's `budget.hours`); when it is
            spent the calibration stops cleanly and a later call resumes it.
        workers, scheduler, client: the Dask cluster (`sim.sweep.cluster.dask_client`).
    """
    started = time.monotonic()
    out = Path(out_dir)
    check_output_dir(out, run_folder=False)
    check_folder_kind(out, "calibration", others_only=False)
    with held_folder(out, "calibration", STAGES):
        return _calibrate_in(
            spec, out, budget_runs, hours, workers, scheduler, client, progress, started
        )


def _calibrate_in(spec, out, budget_runs, hours, workers, scheduler, client, progress, started):
    """`calibrate` in its checked output folder `out` (with its `stages/`), held for this
    process."""
    plan = make_plan(spec, budget_runs)
    state = initial_state(out, plan)
    hours = hours if hours is not None else spec.budget_hours
    deadline = None if hours is None else started + hours * 3600.0
    runner = Runner(
        plan,
        out,
        workers=workers,
        scheduler=scheduler,
        client=client,
        progress=progress,
        deadline=deadline,
    )
    message = "complete"
    complete = False
    try:
        stages = _Stages(plan, runner, state, out)
        stages.screening()
        stages.waves()
        stages.posterior()
        stages.checks()
        stages.explored()
        stages.outputs()
        complete = True
    except BudgetReachedError as stop:
        message = (
            f"time budget of {hours:g} h reached during {stop.args[0]}; finished runs are kept: "
            "run the same command again to continue"
        )
        state["status"] = "stopped"
    except BaseException as exc:  # no longer running (finished runs are kept: it resumes)
        if isinstance(exc, KeyboardInterrupt):
            state["status"] = "interrupted"
        else:
            state["status"], state["error"] = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        failing = sys.exc_info()[1] is not None  # then nothing below may hide that error
        try:
            runner.close()
        except Exception as exc:
            if not failing:
                raise
            log.error("closing the cluster failed too: %s: %s", type(exc).__name__, exc)
        finally:
            record_call(out, state, runner.ran, time.monotonic() - started, failing=failing)
    return CalibrationResult(
        out, complete, state["runs_done"], runner.ran, time.monotonic() - started, message
    )


class _Stages:
    """The stages of one calibration, sharing its plan, runner, state and folder."""

    def __init__(self, plan: Plan, runner: Runner, state: dict, out: Path) -> None:
        self.plan = plan
        self.runner = runner
        self.state = state
        self.out = out
        self.spec = plan.spec
        self.fitted = plan.targets.fitted
        self.comp = plan.comparison
        self.active = np.ones(len(plan.prior), dtype=bool)
        self._emulators: list[methods.Emulator] = []
        self._wave_data: list[tuple[np.ndarray, np.ndarray]] = []
        self._runs: list[pd.DataFrame] = []
        self._save()

    # ---------------------------------------------------------------- helpers
    def _save(self) -> None:
        write_state(self.out, {k: v for k, v in self.state.items() if k != "_started"})

    def _design(self, name: str, make) -> np.ndarray:
        """The stage's design in the unit cube (all parameters), made once and saved."""
        path = self.out / STAGES / f"{name}_design.csv"
        if path.exists():
            return pd.read_csv(path).to_numpy(dtype=float)
        unit = make()
        write_table_csv(path, pd.DataFrame(unit, columns=list(self.plan.prior.names)))
        return unit

    def _full(self, unit_active: np.ndarray) -> np.ndarray:
        """Unit points of the active parameters completed with the defaults of the others."""
        prior = self.plan.prior
        default = prior.unit(np.asarray(prior.default)[None, :])[0]
        full = np.tile(default, (len(unit_active), 1))
        full[:, self.active] = unit_active
        return full

    def _evaluate(self, stage: str, unit_full: np.ndarray, reps: list[int], label: str):
        values = self.plan.prior.values(unit_full)
        evs = self.runner.evaluations(stage, values, reps)
        return self._run(stage, evs, label)

    def _run(self, stage: str, evs: list, label: str) -> pd.DataFrame:
        """Run (or read back) evaluations, keeping their rows for `explored`."""
        rows = self.runner.run(stage, evs, label)
        self._runs.append(rows)
        if stage != "checks":
            self._check_defined(rows, label)
        return rows

    def _check_defined(self, rows: pd.DataFrame, label: str) -> None:
        """Stop, naming them, when fitted targets have no finite value in any run of a stage:
        nothing can be fitted to an output the model leaves undefined (a ratio over zero)."""
        if len(rows) < MIN_RUNS_UNDEFINED:
            return
        undefined = [
            t.id
            for t in self.fitted
            if not np.isfinite(rows[f"target:{t.id}"].to_numpy(dtype=float)).any()
        ]
        if undefined:
            raise CalibrationError(
                f"fitted target(s) {', '.join(undefined)} have no finite value in any of the "
                f"{len(rows)} runs of {label} (an output the model leaves undefined, e.g. a "
                "ratio whose denominator is zero)",
                file=str(self.spec.mapping_path),
                key_path=f"targets.{undefined[0]}.output",
                expected=(
                    "an output the model defines, or role: holdout, check or none for the target"
                ),
            )

    # ---------------------------------------------------------------- screening
    def screening(self) -> None:
        sc = self.spec.screening
        prior = self.plan.prior
        d = len(prior)
        if not sc.enabled or d < 2:
            self.state["screening"] = {"enabled": False, "active": list(prior.names)}
            self._save()
            return
        unit = self._design(
            "screening",
            lambda: methods.morris_design(d, sc.trajectories, sc.levels, self.spec.seed),
        )
        noise = self._noise_at_defaults()
        reps = [SCREEN_OFFSET + i // (d + 1) for i in range(len(unit))]
        rows = self._evaluate("screening", unit, reps, "screening")
        if len(rows) < len(unit):
            raise CalibrationError(
                "the screening is incomplete (some runs failed): run the same command again"
            )
        rows = rows.sort_values("order")
        y = transformed(rows, self.fitted)
        mu = methods.morris_mu_star(unit, y, sc.levels, seed=self.spec.seed)
        floor = methods.morris_noise_floor(noise, sc.levels, sc.trajectories)
        scaled = mu / self.comp.scale[None, :]
        # an effect counts when it is both large for the target and above the noise of runs
        scaled = np.where(mu >= floor[None, :], scaled, 0.0)
        strength = scaled.max(axis=1)
        active = strength >= sc.threshold
        if not active.any():
            active[int(np.argmax(strength))] = True
        self.active = active
        self.state["screening"] = {
            "enabled": True,
            "evaluations": len(unit),
            "trajectories": sc.trajectories,
            "threshold": sc.threshold,
            "noise_sd": {t: float(v) for t, v in zip(self.comp.ids, noise, strict=True)},
            "parameters": [
                {
                    "name": n,
                    "strength": float(s),
                    "target": self.comp.ids[int(np.argmax(scaled[i]))],
                    "active": bool(a),
                }
                for i, (n, s, a) in enumerate(zip(prior.names, strength, active, strict=True))
            ],
            "active": [n for n, a in zip(prior.names, active, strict=True) if a],
        }
        self._save()

    def _noise_at_defaults(self) -> np.ndarray:
        """(m,) sd of the fitted targets over replicates at the defaults (the checks' runs)."""
        p = self.spec.posterior
        default = np.tile(np.asarray(self.plan.prior.default, dtype=float), (p.replicates, 1))
        reps = [CHECK_OFFSET + r for r in range(p.replicates)]
        evs = self.runner.evaluations("checks", default, reps)
        rows = self._run("checks", evs, "noise at the defaults")
        y = transformed(rows, self.fitted)
        if len(y) < 2:
            return np.zeros(len(self.fitted))
        return np.nan_to_num(np.nanstd(y, axis=0, ddof=1))

    # ---------------------------------------------------------------- waves
    def _plausible(self, upto: int):
        """Membership of the region not ruled out by waves 1..upto (unit points of active)."""
        w = self.spec.waves

        def test(u: np.ndarray) -> np.ndarray:
            ok = np.ones(len(u), dtype=bool)
            for em in self._emulators[:upto]:
                if not ok.any():
                    break
                m, v = em.predict(u[ok])
                imp = methods.combine_implausibility(
                    methods.implausibility(m, v, em.noise, self.comp), w.rank
                )
                ok[ok] = imp <= w.cutoff
            return ok

        return test

    def _score(self, upto: int):
        w = self.spec.waves

        def score(u: np.ndarray) -> np.ndarray:
            em = self._emulators[upto - 1]
            m, v = em.predict(u)
            return methods.combine_implausibility(
                methods.implausibility(m, v, em.noise, self.comp), w.rank
            )

        return score

    def waves(self) -> None:
        w = self.spec.waves
        n = self.plan.per_wave
        d_act = int(self.active.sum())
        summaries = self.state.get("waves", [])
        share_before = 1.0
        for k in range(1, w.count + 1):
            rng = np.random.default_rng([self.spec.seed, k])
            stage = f"wave{k}"

            def make(k=k, rng=rng) -> np.ndarray:
                if k == 1:
                    from scipy.stats import qmc

                    lhs = qmc.LatinHypercube(d=d_act, seed=rng).random(n)
                    return self._full(lhs)
                pool, _, _ = methods.sample_nroy(
                    self._plausible(k - 1),
                    d_act,
                    n,
                    rng,
                    pool=w.pool,
                    fallback=self._score(k - 1),
                )
                return self._full(methods.maximin_subset(pool, n, rng))

            self._ensure_emulators(k - 1)
            started = time.monotonic()
            unit = self._design(stage, make)
            reps = [WAVE_OFFSET * k + i for i in range(len(unit))]
            rows = self._evaluate(stage, unit, reps, f"wave {k}/{w.count}")
            run_s = time.monotonic() - started
            emulator, fit_s = self._fit_wave(k, unit, rows)
            self._emulators.append(emulator)
            share_rng = np.random.default_rng([self.spec.seed, k, 1])
            _, share, empty = methods.sample_nroy(
                self._plausible(k), d_act, max(n, 100), share_rng, pool=w.pool
            )
            summary = {
                "wave": k,
                "evaluations": len(rows),
                "share_before": share_before,
                "share_after": share,
                "empty": bool(empty),
                "runs_seconds": round(run_s, 1),
                "fit_seconds": round(fit_s, 1),
                "emulators": [diag.__dict__ for diag in emulator.diagnostics],
            }
            summaries = [s for s in summaries if s["wave"] < k] + [summary]
            self.state["waves"] = summaries
            self._save()
            if empty:
                log.warning(
                    "wave %d rules out every point: no parameter set matches all fitted targets "
                    "within their errors (see the report)",
                    k,
                )
            if k < w.count and k >= 2 and share > (1 - w.min_shrink) * share_before:
                self.state["waves_stopped"] = (
                    f"after wave {k}: the non-implausible volume shrank by less than "
                    f"{w.min_shrink:.0%}"
                )
                self._save()
                break
            share_before = share
        self.state["waves_done"] = len(self._emulators)
        self._save()

    def _training(self, k: int, unit: np.ndarray, rows: pd.DataFrame):
        """Inputs (active, unit) and outputs of wave k, plus earlier runs in its region."""
        rows = rows.sort_values("order")
        x = unit[rows["order"].to_numpy()][:, self.active]
        y = transformed(rows, self.fitted)
        extra_x, extra_y = [], []
        if k > 1:
            test = self._plausible(k - 1)
            for px, py in self._wave_data:
                keep = test(px)
                extra_x.append(px[keep])
                extra_y.append(py[keep])
        self._wave_data.append((x, y))
        if extra_x:
            ex, ey = np.vstack(extra_x), np.vstack(extra_y)
            room = max(self.spec.waves.max_train - len(x), 0)
            if len(ex) > room:
                pick = np.random.default_rng([self.spec.seed, k, 2]).choice(len(ex), room, False)
                ex, ey = ex[pick], ey[pick]
            x, y = np.vstack([x, ex]), np.vstack([y, ey])
        return x, y

    def _fit_wave(self, k: int, unit: np.ndarray, rows: pd.DataFrame):
        x, y = self._training(k, unit, rows)
        started = time.monotonic()
        em = methods.Emulator(
            self.comp.ids, seed=self.spec.seed + k, restarts=self.spec.waves.restarts
        )
        em.fit(x, y, jobs=max(1, min(2, cpus())))
        return em, time.monotonic() - started

    def _ensure_emulators(self, upto: int) -> None:
        """Refit the emulators of waves 1..upto from their stored runs (after a resume)."""
        for k in range(len(self._emulators) + 1, upto + 1):
            unit = pd.read_csv(self.out / STAGES / f"wave{k}_design.csv").to_numpy(dtype=float)
            reps = [WAVE_OFFSET * k + i for i in range(len(unit))]
            values = self.plan.prior.values(unit)
            evs = self.runner.evaluations(f"wave{k}", values, reps)
            rows = self.runner.read([e.key for e in evs])
            em, _ = self._fit_wave(k, unit, rows)
            self._emulators.append(em)

    # ---------------------------------------------------------------- posterior
    def posterior(self) -> None:
        path = self.out / "posterior.csv"
        if path.exists() and "posterior" in self.state:
            return
        k = self.state.get("waves_done", self.spec.waves.count)
        self._ensure_emulators(k)
        last = self._emulators[k - 1]
        p = self.spec.posterior
        rng = np.random.default_rng([self.spec.seed, 99])
        d_act = int(self.active.sum())
        region, _, empty = methods.sample_nroy(
            self._plausible(k), d_act, 500, rng, pool=self.spec.waves.pool, fallback=self._score(k)
        )

        def loglik(u: np.ndarray) -> np.ndarray:
            m, v = last.predict(u)
            return methods.log_likelihood(m, v, last.noise, self.comp)

        # Proposals outside the region earlier waves left weigh 0, unless a wave ruled out every
        # point: then no parameter set meets every fitted target within its errors, history
        # matching has no region to offer, and the posterior is the last emulator's likelihood
        # over the whole prior, started from the least implausible points (`region`).
        ruled_out_all = any(w.get("empty") for w in self.state.get("waves", [])[: k - 1])
        started = time.monotonic()
        try:
            post = methods.importance_posterior(
                region,
                loglik,
                self._plausible(k - 1) if k > 1 and not ruled_out_all else None,
                rng,
                proposals=p.proposals,
                draws=p.draws,
                seed=self.spec.seed,
            )
        except methods.NoSupportError as exc:
            raise CalibrationError(
                f"no posterior: {exc} (the last wave's emulators give every proposal a zero "
                "likelihood)",
                file=str(self.spec.path),
                expected="fitted targets the model can reach (see the waves in report.html), "
                "or wider priors",
            ) from None
        prior = self.plan.prior
        names = [n for n, a in zip(prior.names, self.active, strict=True) if a]
        draws = prior.values(self._full(post.draws))[:, self.active]
        best = prior.values(self._full(post.best[None, :]))[0]
        table = pd.DataFrame(draws, columns=names)
        table.insert(0, "draw", np.arange(len(table)))
        write_table_csv(path, table)
        self.state["posterior"] = {
            "method": "importance sampling of the last wave's emulator likelihood",
            "proposals": post.proposals,
            "in_support": post.in_support,
            "ess": post.ess,
            "draws": len(table),
            "region_empty": bool(empty),
            "earlier_waves_constrain": bool(k > 1 and not ruled_out_all),
            "seconds": round(time.monotonic() - started, 1),
            "fitted": prior.as_params(best),
            "active": names,
            "summary": {
                n: {
                    "p05": float(np.percentile(draws[:, i], 5)),
                    "median": float(np.median(draws[:, i])),
                    "p95": float(np.percentile(draws[:, i], 95)),
                }
                for i, n in enumerate(names)
            },
        }
        self._save()

    # ---------------------------------------------------------------- checks
    def checks(self) -> None:
        p = self.spec.posterior
        prior = self.plan.prior
        post = self.state["posterior"]
        fitted = np.array([post["fitted"][n] for n in prior.names], dtype=float)
        default = np.asarray(prior.default, dtype=float)
        draws = pd.read_csv(self.out / "posterior.csv")
        take = draws.iloc[: p.checks]
        values = np.tile(default, (len(take), 1))
        for n in post["active"]:
            values[:, prior.names.index(n)] = take[n].to_numpy()
        exact = np.vstack(
            [np.tile(default, (p.replicates, 1)), np.tile(fitted, (p.replicates, 1)), values]
        )
        reps = [CHECK_OFFSET + r for r in range(p.replicates)] * 2 + [
            POSTERIOR_OFFSET + i for i in range(len(take))
        ]
        evs = self.runner.evaluations("checks", exact, reps)
        rows = self._run("checks", evs, "checks")
        kinds = ["default"] * p.replicates + ["fitted"] * p.replicates + ["posterior"] * len(take)
        rows = rows.assign(check=[kinds[i] for i in rows["order"]])
        summary = {}
        for t in self.plan.targets.compared:
            col = f"target:{t.id}"
            summary[t.id] = {
                kind: spread(rows.loc[rows["check"] == kind, col])
                for kind in ("default", "fitted", "posterior")
            }
        self.state["checks"] = {
            "replicates": p.replicates,
            "posterior_draws": len(take),
            "targets": summary,
        }
        self._save()

    # ---------------------------------------------------------------- explored
    def explored(self) -> None:
        """Over every run made, how near the model came to each compared target
        (`explore`)."""
        runs = pd.concat(self._runs, ignore_index=True) if self._runs else pd.DataFrame()
        self.state["explored"] = explore(runs, self.plan)
        self._save()

    # ---------------------------------------------------------------- outputs
    def outputs(self) -> None:
        from sim.calibrate.report import write_fit_summary, write_fitted, write_report

        self.state["status"] = "complete"
        self.state["runs_done"] = evaluations_stored(self.out)  # the report says how many
        self.state["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._save()
        write_fitted(self.out, self.state)
        write_fit_summary(self.out, self.state)
        write_report(self.out, self.state)


def write_table_csv(path: Path, frame: pd.DataFrame) -> None:
    """A CSV written atomically (full float precision)."""
    from sim.outputs.results import write_csv

    write_csv(path, frame)
