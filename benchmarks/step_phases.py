"""Where a model step spends its time: wall time per step of each phase, and of whole replicates.

    python benchmarks/step_phases.py                      # global baseline as shipped (arrays)
    python benchmarks/step_phases.py --agents 100000      # the 100,000-agent case of engines.py
    python benchmarks/step_phases.py --engine agents --agents 100000
    python benchmarks/step_phases.py --agents 10000000 --years 1 --steps-per-year 12
    python benchmarks/step_phases.py --repeats 5 --json out.json

Every phase of `WorkforceModel.step` (ODD §3) is wrapped with a timer on the model instance (the
code measured is unchanged): demand, hazards (engine kernel), utilities (`decision_context`),
decide (engine kernel), matching (with admissions), graduates, money, indicators (per step), the
year start and end (settlement, yearly indicator rows, compaction), and the rest of the step
(ledger updates between phases, Mesa's step wrapper). The end-of-run tables (`indicators()`,
`flows()`, `stocks()`, `agreements()`) are timed apart. A warm replicate is `sim.run(scenario,
replicates=1, seed=1)` after one run that fills the JIT cache, timed whole. Medians over
`--repeats` replicates, all in this process (warm cache).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 43_444_954  # doctors + nurses/midwives of the bundled world (as benchmarks/engines.py)
PHASES = (
    "demand",
    "hazards",
    "utilities",
    "decide",
    "matching",
    "graduates",
    "money",
    "indicators",
    "year_start_end",
    "rest",
)


def _timed(fn, name: str, acc: dict):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[name] += time.perf_counter() - start

    return wrapper


def instrument(model, acc: dict) -> None:
    """Wrap the phases of one model instance with timers adding to `acc` (seconds)."""
    model.demand.update = _timed(model.demand.update, "demand", acc)
    model.population.age_and_hazards = _timed(model.population.age_and_hazards, "hazards", acc)
    model._decision_context = _timed(model._decision_context, "utilities", acc)
    model.population.decide = _timed(model.population.decide, "decide", acc)
    model._match = _timed(model._match, "matching", acc)
    model._graduate = _timed(model._graduate, "graduates", acc)
    model.money.record_step = _timed(model.money.record_step, "money", acc)
    model.money.record_buyouts = _timed(model.money.record_buyouts, "money", acc)
    model.recorder.end_step = _timed(model.recorder.end_step, "indicators", acc)
    model._start_year = _timed(model._start_year, "year_start_end", acc)
    model._end_year = _timed(model._end_year, "year_start_end", acc)


def one_run(scenario, engine: str) -> dict:
    """Phase times of one instrumented replicate (seconds per step) and its tables' time."""
    from sim.runner import build_model, world_for

    model = build_model(scenario, seed=1, engine=engine, world=world_for(scenario.data))
    acc: dict = defaultdict(float)
    instrument(model, acc)
    agent_steps = 0
    start = time.perf_counter()
    while model.steps < model.n_steps:
        agent_steps += len(model.population)
        model.step()
    total = time.perf_counter() - start
    t0 = time.perf_counter()
    rec = model.recorder
    rec.indicators(), rec.flows(), rec.stocks(), rec.agreements()
    tables = time.perf_counter() - t0
    steps = model.n_steps
    acc["rest"] = total - sum(acc[p] for p in PHASES if p != "rest")
    out = {p: acc[p] / steps for p in PHASES}
    out.update(
        step=total / steps,
        tables=tables,
        agents=len(model.population),
        steps=steps,
        rate=agent_steps / total,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--agents", type=float, help="scale to about this many agents")
    parser.add_argument("--years", type=int, help="simulated years (default: the scenario's)")
    parser.add_argument("--steps-per-year", type=int, help="steps a year (default: the scenario's)")
    parser.add_argument("--engine", default="arrays", choices=("arrays", "agents"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    import sim

    overrides = {"engine": args.engine}
    if args.agents:
        overrides["scale.workers_per_agent"] = max(WORKERS / args.agents, 1.0)
    if args.years:
        overrides["time.years"] = args.years
    if args.steps_per_year:
        overrides["time.steps_per_year"] = args.steps_per_year
    scenario = sim.load_scenario(args.scenario).with_overrides(overrides)

    sim.run(scenario, replicates=1, seed=1)  # fills the JIT cache and the world cache
    replicate = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        sim.run(scenario, replicates=1, seed=1)
        replicate.append(time.perf_counter() - start)
    runs = [one_run(scenario, args.engine) for _ in range(args.repeats)]
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    figures = {"replicate_s": statistics.median(replicate), "replicates_s": replicate, **med}

    print(
        f"{Path(args.scenario).name}, engine {args.engine}, {med['agents']:,.0f} agents at the "
        f"end, {med['steps']} steps (medians of {args.repeats})"
    )
    print(f"  one replicate, sim.run(replicates=1), warm cache: {figures['replicate_s']:.3f} s")
    print(f"  step: {med['step'] * 1e3:8.2f} ms ({med['rate'] / 1e6:.1f} M agent-steps/s)")
    for phase in PHASES:
        share = med[phase] / med["step"] if med["step"] else 0.0
        print(f"    {phase:<15} {med[phase] * 1e3:8.3f} ms/step  {share:6.1%}")
    print(f"  end-of-run tables: {med['tables'] * 1e3:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
