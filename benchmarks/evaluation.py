"""Where one calibration evaluation spends its time: building models, running them, reading targets.

    python benchmarks/evaluation.py                          # this tree, 3 rounds of 5
    python benchmarks/evaluation.py --code /tmp/before --code .   # two trees, alternated
    python benchmarks/evaluation.py --spec calibration/global.yaml --rounds 5 --json out.json

An evaluation (`sim.calibrate.run.evaluate`) runs the spec's scenario and its paired policy
runs with one seed and reads every target from their tables. Each round is a fresh subprocess
of one code tree that evaluates once to warm the caches, then times `--evaluations` evaluations
(replicates 1, 2, ...) on one numba thread, split into `build_model`, `WorkforceModel.run` and
`simulated_values`. Rounds of the trees alternate, so a busy machine slows both alike; medians
of the per-evaluation means are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_MEASURE = """
import collections, dataclasses, json, logging, sys, time
root, spec, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
logging.getLogger("MESA").setLevel(logging.WARNING)
from sim.calibrate import run as R
from sim.calibrate.plan import make_plan
from sim.calibrate.spec import load_spec
import sim.runner as runner
from sim.model import model as M
spent = collections.defaultdict(float)
def timed(owner, name, label):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start
    setattr(owner, name, wrapper)
timed(R, "simulated_values", "observe_s")
timed(runner, "build_model", "build_s")
timed(M.WorkforceModel, "run", "run_s")
loaded = load_spec(spec)
plan = make_plan(loaded)
ctx = R.Context(plan.scenario, plan.policies, tuple(plan.targets.compared), loaded.seed,
                source="benchmark", threads=1)
R.evaluate(ctx, R.Evaluation("benchmark", "check", 0, 0, {}))
spent.clear()
start = time.perf_counter()
for r in range(1, n + 1):
    R.evaluate(ctx, R.Evaluation("benchmark", "check", 0, r, {}))
total = time.perf_counter() - start
out = {k: v / n for k, v in spent.items()}
out["evaluation_s"] = total / n
print(json.dumps(out))
"""


def measure(code: Path, spec: str, evaluations: int) -> dict:
    """One round: a subprocess of `code` timing `evaluations` evaluations."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(code), spec, str(evaluations)],
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed ({code}):\n{proc.stderr[-3000:]}")
    return json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", action="append", type=Path, help="code trees (default: this)")
    parser.add_argument("--spec", default="calibration/global.yaml")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--evaluations", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    codes = [c.resolve() for c in (args.code or [ROOT])]
    rounds: dict[str, list[dict]] = {str(c): [] for c in codes}
    for _ in range(args.rounds):
        for code in codes:
            rounds[str(code)].append(measure(code, args.spec, args.evaluations))
    medians = {
        code: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for code, rs in rounds.items()
    }
    for code, m in medians.items():
        parts = ", ".join(f"{k[:-2]} {v:.3f} s" for k, v in sorted(m.items()))
        print(f"{code}: per evaluation {parts} (medians of {args.rounds} rounds)")
    if args.json:
        args.json.write_text(json.dumps({"medians": medians, "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
