"""Wall time of one replicate of the shipped global baseline (issue 12: ≤ 1 s, warm cache).

    python benchmarks/replicate.py                            # this checkout, 3 rounds of 5
    python benchmarks/replicate.py --code /path/to/other/checkout --rounds 3

Each round measures every checkout in a fresh Python process (alternating which goes first, so a
shared, noisy machine slows them alike): one warm-up replicate (numba's cache, the world), then
`--replicates` replicates of `scenarios/baseline.yaml` with `sim.runner.run_replicate`, each timed
from the scenario to its result tables. Reported per checkout: the median of each round, the
median over rounds, and the ratio of each checkout's rounds to the first checkout's (the figure
to compare on a shared machine), with the CPU count and load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_MEASURE = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from sim.inputs.scenario import load_scenario
from sim.runner import run_replicate
scenario = load_scenario(sys.argv[1] + "/scenarios/baseline.yaml")
run_replicate(scenario, 0, np.random.SeedSequence(1000))
times = []
for r in range(int(sys.argv[2])):
    start = time.perf_counter()
    run_replicate(scenario, r, np.random.SeedSequence(r))
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def measure(code: Path, replicates: int) -> list[float]:
    """Seconds per replicate, in a fresh process running `code`'s package."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(code), str(replicates)],
        capture_output=True,
        text=True,
        check=True,
        cwd=code,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, action="append", default=[])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    codes = list(dict.fromkeys([ROOT, *[c.resolve() for c in args.code]]))  # each checkout once
    rounds: dict[str, list[float]] = {str(c): [] for c in codes}
    for r in range(args.rounds):
        order = codes if r % 2 == 0 else codes[::-1]
        for code in order:
            median = statistics.median(measure(code, args.replicates))
            rounds[str(code)].append(median)
            print(f"round {r + 1}: {code}: {median:.3f} s", flush=True)
    first = rounds[str(codes[0])]
    out = {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "replicates_per_round": args.replicates,
        "round_medians_s": rounds,
        "median_s": {c: statistics.median(v) for c, v in rounds.items()},
        "ratio_to_first": {
            c: statistics.median(a / b for a, b in zip(v, first, strict=True))
            for c, v in rounds.items()
        },
    }
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
