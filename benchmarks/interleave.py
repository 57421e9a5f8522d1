"""Compare the engines' throughput of two source trees, measured in alternation.

    python benchmarks/interleave.py OTHER_TREE                # agents and arrays, 100,000 agents
    python benchmarks/interleave.py OTHER_TREE --engine arrays --agents 1e6 --repeats 4

OTHER_TREE is a checkout or `git archive` of another version (e.g. before a refactoring). Each
repetition runs one measurement per tree in a fresh subprocess, alternating which tree goes first,
so that a shared, noisy machine slows both alike; the figure to read is the median of the per-pair
ratios (this tree / other tree). Each tree is measured with the measurement code of its own
`benchmarks/engines.py` (so an older API still works) on its own `scenarios/baseline.yaml`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
WORKERS = 43_444_954  # doctors + nurses/midwives of the bundled world


def measure(tree: Path, engine: str, agents: float) -> float:
    """Agent-steps per second of one run in a fresh subprocess, with the tree's own code."""
    source = (tree / "benchmarks" / "engines.py").read_text(encoding="utf-8")
    code = re.search(r'_MEASURE = """(.*?)"""', source, re.S).group(1)
    years, spy = (2, 4) if agents <= 2e5 else (1, 12)
    argv = [
        sys.executable,
        "-c",
        code,
        str(tree / "scenarios" / "baseline.yaml"),
        engine,
        repr(max(WORKERS / agents, 1.0)),
        str(years),
        str(spy),
    ]
    out = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=True).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])["rate"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("other", type=Path, help="the other source tree")
    parser.add_argument("--engine", choices=("agents", "arrays"), action="append")
    parser.add_argument("--agents", type=float, default=1e5)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    trees = {"this": HERE, "other": args.other.resolve()}
    for engine in args.engine or ["agents", "arrays"]:
        rates: dict[str, list[float]] = {name: [] for name in trees}
        for r in range(args.repeats):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                rates[name].append(measure(trees[name], engine, args.agents))
        for name, values in rates.items():
            print(
                f"{engine} {args.agents:,.0f} agents, {name} tree: median "
                f"{statistics.median(values) / 1e6:.3f} M agent-steps/s"
            )
        ratios = [a / b for a, b in zip(rates["this"], rates["other"], strict=True)]
        median = statistics.median(ratios)
        print(f"{engine}: this / other, median of {len(ratios)} pairs: {median:.3f}")


if __name__ == "__main__":
    main()
