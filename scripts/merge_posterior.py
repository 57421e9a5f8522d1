"""Put a block calibration's posterior into the shipped parameter sample.

    python scripts/merge_posterior.py BASE BLOCK [-o OUT] [--seed 1] [--hold NAME=VALUE ...]

The shipped sample is rebuilt from the global calibration's (kept as
calibration/posterior_global.csv) with every adopted block, in the order they were adopted:

    python scripts/merge_posterior.py calibration/posterior_global.csv \
        calibration/trend/posterior.csv -o calibration/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv calibration/origins/posterior.csv \
        --hold behaviour.leave_constant=-2.57419
    python scripts/merge_posterior.py calibration/posterior.csv calibration/rural/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv calibration/gradient/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv calibration/hazards/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv calibration/europe/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv \
        calibration/composition/posterior.csv
    python scripts/merge_posterior.py calibration/posterior.csv calibration/partners/posterior.csv

A block calibration (e.g. `calibration/origins.yaml`) fits a few parameters with the others held at
`fitted.yaml`: its posterior is conditional on them. The sample that `uncertainty: {kind:
parameters}` draws from (`calibration/posterior.csv`) must not keep the global calibration's values
of the refitted parameters beside the block's fitted point, so each row of the base sample takes
the block's columns from one row of the block's sample (a seeded permutation, cycled when the base
is longer), and the parameters the block held fixed (its spec's `set`, `--hold`) take the value it
held them at, so that no row pairs the block's draws with values it never ran with. The result
approximates the joint posterior by the global rows and the block's conditional posterior, which
assumes that the block's parameters depend little on the others; docs/calibration.md says where
this is used. Columns the base lacks are added.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def merge(
    base: pd.DataFrame, block: pd.DataFrame, seed: int, hold: dict[str, float] | None = None
) -> pd.DataFrame:
    """The base sample with the block's parameter columns (every column but `draw`) replaced and
    the held parameters (`hold`: name -> value) set to their held value."""
    if "draw" not in base.columns or "draw" not in block.columns or len(block) == 0:
        raise ValueError("both samples need a 'draw' column and at least one row")
    names = [c for c in block.columns if c != "draw"]
    order = np.random.default_rng(seed).permutation(len(block))
    rows = order[np.arange(len(base)) % len(block)]
    out = base.copy()
    for name in names:
        out[name] = block[name].to_numpy()[rows]
    for name, value in (hold or {}).items():
        if name in names:
            raise ValueError(f"--hold {name}: the block fitted it, it cannot also be held")
        out[name] = float(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("block", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hold", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    hold = {}
    for item in args.hold:
        name, _, value = item.partition("=")
        try:
            hold[name] = float(value)  # "" (no "=") fails too
        except ValueError:
            parser.error(f"--hold {item!r}: expected NAME=NUMBER")
    try:
        merged = merge(pd.read_csv(args.base), pd.read_csv(args.block), args.seed, hold)
        merged.to_csv(args.output or args.base, index=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        print(f"merge_posterior: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
