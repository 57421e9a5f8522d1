"""Running a stage's evaluations on Dask: each written once, as it finishes, under its key.

The runner sends the calibration's shared `Context` once to every worker, submits the evaluations
whose row file is missing (pure tasks keyed by their run key, retried on failure), writes each
row with the project's atomic writer as soon as it arrives, shows a progress bar, and stops
cleanly when the invocation's time budget is spent (`BudgetReachedError`; a later call resumes).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate.plan import RUNS, Plan
from sim.calibrate.run import Context, Evaluation, context_fingerprint, evaluate, evaluation_key
from sim.errors import CalibrationError
from sim.outputs.results import write_table
from sim.sweep.cluster import cpu_count as cpus
from sim.sweep.cluster import threads_per_process

__all__ = ["BudgetReachedError", "Runner", "cpus"]

log = logging.getLogger(__name__)


class BudgetReachedError(Exception):
    """The time budget of this invocation is spent (the calibration resumes where it stopped)."""


# --------------------------------------------------------------------------------------------------
# the calibration


class Runner:
    """Runs the evaluations of stages on Dask, writing each row once; honours the time budget."""

    def __init__(self, plan: Plan, out: Path, *, workers, scheduler, client, progress, deadline):
        self.plan = plan
        self.out = out
        self.runs_dir = out / RUNS
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.workers, self.scheduler, self.client = workers, scheduler, client
        self.progress = progress
        self.deadline = deadline
        self.ran = 0
        self.stack = contextlib.ExitStack()
        self.ctx = Context(
            scenario=plan.scenario,
            policies=plan.policies,
            targets=tuple(plan.targets.compared),
            root_seed=plan.spec.seed,
            source=str(plan.spec.path),
            threads=threads_per_process(workers) if workers and not scheduler and not client else 0,
        )
        self.fingerprint = context_fingerprint(self.ctx)
        self._ctx_future = None

    def close(self) -> None:
        """Close the cluster; called in a `finally`, it passes on the exception being handled, if
        any, so that a cluster closed under runs in flight (a Ctrl-C) closes quietly
        (`sim.sweep.cluster.dask_client`)."""
        self.stack.__exit__(*sys.exc_info())

    def _client(self):
        if self.client is None:
            from sim.sweep.cluster import dask_client

            self.client = self.stack.enter_context(dask_client(self.workers, self.scheduler))
        if self._ctx_future is None:
            self._ctx_future = self.client.scatter(self.ctx, broadcast=True)
        return self.client

    def evaluations(
        self, stage: str, values: np.ndarray, replicates: list[int]
    ) -> list[Evaluation]:
        out = []
        for i, (row, rep) in enumerate(zip(values, replicates, strict=True)):
            params = self.plan.prior.as_params(row)
            key = evaluation_key(self.fingerprint, params, rep)
            out.append(Evaluation(key, stage, i, rep, params))
        return out

    def run(self, stage: str, evaluations: list[Evaluation], label: str) -> pd.DataFrame:
        """Rows of every evaluation (running the missing ones), in evaluation order."""
        from tqdm import tqdm

        todo = [e for e in evaluations if not (self.runs_dir / f"{e.key}.parquet").exists()]
        if todo:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise BudgetReachedError(stage)
            client = self._client()
            from dask.distributed import as_completed

            unique = {e.key: e for e in todo}
            futures = [
                client.submit(
                    evaluate, self._ctx_future, e, key=f"hrhsim-calib-{k}", pure=True, retries=2
                )
                for k, e in unique.items()
            ]
            bar = tqdm(
                total=len(evaluations),
                initial=len(evaluations) - len(unique),
                desc=label,
                unit="eval",
                disable=not self.progress,
                file=sys.stderr,
                dynamic_ncols=True,
            )
            failed = []
            try:
                for fut, result in as_completed(futures, with_results=True, raise_errors=False):
                    if fut.status == "finished" and isinstance(result, dict):
                        write_table(
                            self.runs_dir / f"{result['key']}.parquet", pd.DataFrame([result])
                        )
                        self.ran += result["runs"]
                    else:
                        exc = result[1] if isinstance(result, tuple) else result
                        failed.append(f"{type(exc).__name__}: {exc}")
                        log.error("evaluation failed in %s: %s", stage, failed[-1])
                    fut.release()
                    bar.update(1)
                    if self.deadline is not None and time.monotonic() > self.deadline:
                        client.cancel(futures)
                        raise BudgetReachedError(stage)
            finally:
                bar.close()
            if failed and len(failed) > 0.1 * len(evaluations):
                raise CalibrationError(
                    f"{len(failed)} of {len(evaluations)} evaluations of {stage} failed "
                    f"(first: {failed[0]}); run the same command again to retry them"
                )
        return self.read([e.key for e in evaluations])

    def read(self, keys: list[str]) -> pd.DataFrame:
        """One row per key (in order, repeated keys repeated; missing ones left out), `order`
        giving each row's position in `keys`."""
        present = [k for k in dict.fromkeys(keys) if (self.runs_dir / f"{k}.parquet").exists()]
        if not present:
            return pd.DataFrame(columns=["key", "order"])
        frame = pd.concat(
            [pd.read_parquet(self.runs_dir / f"{k}.parquet") for k in present], ignore_index=True
        ).set_index("key")
        found = set(frame.index)
        order = [i for i, k in enumerate(keys) if k in found]
        rows = frame.loc[[keys[i] for i in order]].reset_index()
        rows["order"] = order
        return rows
