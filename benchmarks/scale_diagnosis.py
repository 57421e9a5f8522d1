"""Where the scale bias comes from: applicants, open posts and hires by workers per agent.

    python benchmarks/scale_diagnosis.py                    # ω 200 and 10, years 2-3, one replicate
    python benchmarks/scale_diagnosis.py --scales 200 20 --years 3 --from-step 4

Runs `scenarios/baseline.yaml` at each scale with the same seed and, at every step from
`--from-step`, counts the applicants to international posts (by destination and cadre), the posts
open and the hires, by observing the matching phase (`sim.model.matching.match_step`) without
changing it. Prints the totals (in workers) and the destinations whose hires differ most between
the first two scales. Figures and what they say: docs/ODD.md §7.10.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.model import matching, model  # noqa: E402
from sim.model.population import APPLY_EMIGRATE  # noqa: E402


def measure(scale: float, years: int, from_step: int, seed: int) -> dict[str, np.ndarray]:
    """(C, K) applicants, open posts and hires in workers, summed over the steps observed."""
    totals: dict[str, np.ndarray] = {}
    original = matching.match_step

    def observed(step, pol, apps, demand, *args, **kwargs):
        c, k = demand.international_posts.shape
        abroad = apps.kind == APPLY_EMIGRATE
        cell = apps.destination[abroad] * k + apps.cadre[abroad]
        applicants = np.bincount(cell, minlength=c * k).reshape(c, k)
        posts = demand.international_posts.copy()
        emigrated, *rest = original(step, pol, apps, demand, *args, **kwargs)
        hired = np.bincount(emigrated.country_to * k + emigrated.cadre, minlength=c * k).reshape(
            c, k
        )
        if step >= from_step:
            for name, x in (("applicants", applicants), ("posts", posts), ("hires", hired)):
                totals[name] = totals.get(name, 0) + x * scale
        return (emigrated, *rest)

    model.matching.match_step = observed
    try:
        scenario = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides(
            {"scale.workers_per_agent": scale, "replicates": 1, "time.years": years}
        )
        sim.run(scenario, seed=seed)
    finally:
        model.matching.match_step = original
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[200.0, 10.0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--from-step", type=int, default=4, help="first step counted (0-based)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    results = {w: measure(w, args.years, args.from_step, args.seed) for w in args.scales}
    first, second = args.scales[0], args.scales[1] if len(args.scales) > 1 else None
    print("workers counted over the steps observed:")
    for w, r in results.items():
        print(f"  ω = {w:g}: " + ", ".join(f"{n} {r[n].sum():,.0f}" for n in r))
    if second is None:
        return
    a, b = results[first], results[second]
    for name in a:
        print(f"  {name}: {a[name].sum() / b[name].sum() - 1:+.1%} at ω = {first:g} vs {second:g}")
    iso3 = sim.load_world().iso3
    cadres = ("doctors", "nurses")
    gap = (a["hires"] - b["hires"]).ravel()
    print(f"destinations whose hires differ most (ω = {first:g} vs {second:g}):")
    for i in np.argsort(gap)[: args.top]:
        c, k = divmod(int(i), a["hires"].shape[1])
        print(
            f"  {iso3[c]} {cadres[k]}: applicants {a['applicants'][c, k]:,.0f} vs "
            f"{b['applicants'][c, k]:,.0f}, posts {a['posts'][c, k]:,.0f} vs "
            f"{b['posts'][c, k]:,.0f}, hires {a['hires'][c, k]:,.0f} vs {b['hires'][c, k]:,.0f}"
        )


if __name__ == "__main__":
    main()
