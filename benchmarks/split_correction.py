"""Time the network term's split correction (`utilities._expected_split_correction`) on the
inputs of a real run: one call a step, ODD §4.2.2.

    python benchmarks/split_correction.py [--agents 100000] [--years 2] [--repeats 7]
    PYTHONPATH=OTHER_TREE python OTHER_TREE/benchmarks/split_correction.py   # another version

Runs the global baseline at about `--agents` agents once, keeping a copy of every call's inputs,
then times all the calls again `--repeats` times (warm cache) and prints the median time per
call in microseconds. The tree measured is the one `import sim` finds (its own with PYTHONPATH).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import numpy as np

WORKERS = 43_444_954  # doctors + nurses/midwives of the bundled world (as benchmarks/engines.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=float, default=100_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    import sim
    from sim.inputs.scenario import load_scenario
    from sim.model import utilities
    from sim.runner import build_model, world_for

    kernel, calls = utilities._expected_split_correction, []

    def keep(*inputs):
        calls.append(tuple(np.array(x, copy=True) for x in inputs))
        return kernel(*inputs)

    utilities._expected_split_correction = keep
    scenario = load_scenario(sim.__path__[0] + "/../scenarios/baseline.yaml").with_overrides(
        {"scale.workers_per_agent": WORKERS / args.agents, "time.years": args.years}
    )
    model = build_model(scenario, seed=1, engine="arrays", world=world_for(scenario.data))
    while model.steps < model.n_steps:
        model.step()
    utilities._expected_split_correction = kernel
    per_call = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for inputs in calls:
            kernel(*inputs)
        per_call.append((time.perf_counter() - start) / len(calls) * 1e6)
    print(
        f"{sim.__path__[0]}: {len(calls)} calls (one a step), "
        f"median {statistics.median(per_call):.1f} us a call"
    )


if __name__ == "__main__":
    main()
