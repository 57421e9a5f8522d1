"""Coverage of the calibration's 90% intervals in recovery experiments, over seeds.

For each seed: targets are made by the model at known parameters with that seed's stochastic and
observation noise (sim/calibrate/recovery.py), the recovery spec is calibrated back (calibration
seed shifted too), and each known value is checked against the posterior's 5-95% interval. A
calibrated method covers each parameter about 90% of the time; the CI recovery test
(tests/test_calibration_recovery.py) checks one seed, and this script shows its pass is not luck.

    python scripts/calibration_coverage.py --seeds 12 -o results/coverage

Writes DIR/coverage.json (every seed's intervals) and prints the coverage per parameter.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "calibration" / "recovery" / "recovery.yaml"
TRUTH = yaml.safe_load((SPEC.parent / "truth.yaml").read_text(encoding="utf-8"))
"""The known parameters (inside the priors, away from their centres)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="number of seeds (0, 1, ...)")
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("-o", "--output", default="results/coverage", help="output folder")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from sim.calibrate.recovery import recover
    from sim.calibrate.spec import load_spec
    from sim.sweep.cluster import dask_client

    spec = load_spec(SPEC)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    path = out / "coverage.json"
    if path.exists():
        results = json.loads(path.read_text())["seeds"]
    with dask_client(args.workers) as client:
        for seed in range(args.first, args.first + args.seeds):
            if str(seed) in results:
                continue
            started = time.monotonic()
            report = recover(spec, TRUTH, out / f"seed{seed}", seed=seed, client=client)
            results[str(seed)] = {"seconds": round(time.monotonic() - started, 1), **report}
            inside = ", ".join(f"{k.split('.')[-1]}={v['inside']}" for k, v in report.items())
            print(f"seed {seed}: {inside} ({results[str(seed)]['seconds']} s)", flush=True)
            coverage = {
                name: sum(r[name]["inside"] for r in results.values()) / len(results)
                for name in TRUTH
            }
            all_in = sum(all(r[n]["inside"] for n in TRUTH) for r in results.values())
            path.write_text(
                json.dumps(
                    {
                        "truth": TRUTH,
                        "seeds": results,
                        "coverage": coverage,
                        "all_inside": all_in,
                        "runs": len(results),
                    },
                    indent=1,
                )
            )
    summary = json.loads(path.read_text())
    for name, c in summary["coverage"].items():
        print(f"{name}: inside the 90% interval in {c:.0%} of {summary['runs']} seeds")
    print(f"all three inside: {summary['all_inside']} of {summary['runs']} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
