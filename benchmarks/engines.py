"""Benchmarks of the two engines, every figure measured in one run on the same machine.

    python benchmarks/engines.py                # ratio at 100k, arrays at 1M and 10M, JIT, start-up
    python benchmarks/engines.py --full         # also the full-scale global scenario (minutes)
    python benchmarks/engines.py --repeats 5    # medians over more repetitions

Each measurement runs in a fresh subprocess, so peak memory (max RSS) is that measurement's own.
Throughput is agent-steps per second of `WorkforceModel.step` (all seven phases, indicators
included) on the global baseline scenario scaled to the stated number of agents.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FULL = ROOT / "scenarios" / "global_full_scale.yaml"
WORKERS = 43_444_954  # doctors + nurses/midwives of the bundled world (tests/test_world.py)

_MEASURE = """
import json, logging, sys, time
logging.getLogger("MESA").setLevel(logging.WARNING)
from sim.inputs.scenario import load_scenario
from sim.runner import build_model, world_for
path, engine = sys.argv[1], sys.argv[2]
wpa, years, spy = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sc = load_scenario(path).with_overrides({"scale.workers_per_agent": wpa, "time.years": years,
                                         "time.steps_per_year": spy, "engine": engine})
world = world_for(sc.data)
t0 = time.perf_counter()
model = build_model(sc, seed=1, engine=engine, world=world)
t1 = time.perf_counter()
model.step()  # first step: JIT compilation or cache load
t2 = time.perf_counter()
agent_steps = 0
while model.steps < model.n_steps:
    agent_steps += len(model.population)
    model.step()
t3 = time.perf_counter()
print(json.dumps({"agents": len(model.population), "init_s": t1 - t0, "first_step_s": t2 - t1,
                  "agent_steps": agent_steps, "run_s": t3 - t2,
                  "rate": agent_steps / max(t3 - t2, 1e-9)}))
"""


def run_child(argv: list[str], env: dict | None = None) -> tuple[dict, float]:
    """Run a measurement subprocess; return (its last JSON line, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.run(
        argv,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]), wall


def measure(
    engine: str,
    agents_target: float,
    years: int,
    spy: int,
    path: Path = BASELINE,
    env: dict | None = None,
) -> dict:
    """Throughput of one engine at about `agents_target` agents."""
    wpa = max(WORKERS / agents_target, 1.0)
    argv = [sys.executable, "-c", _MEASURE, str(path), engine, repr(wpa), str(years), str(spy)]
    result, wall = run_child(argv, env)
    result["wall_s"] = wall
    return result


def peak_memory(
    engine: str, agents_target: float, years: int, spy: int, path: Path = BASELINE
) -> tuple[dict, float]:
    """Throughput plus peak RSS (GiB), measured with a dedicated child and wait4."""
    wpa = max(WORKERS / agents_target, 1.0)
    argv = [sys.executable, "-c", _MEASURE, str(path), engine, repr(wpa), str(years), str(spy)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Read the pipes to the end, then reap the child ourselves to get its own rusage.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed:\n{err[-3000:]}")
    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    result["wall_s"] = time.perf_counter() - start
    return result, rusage.ru_maxrss / 2**20


def jit_times() -> dict:
    """Wall time to the end of the first step of a tiny run, cold JIT cache vs warm cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold = measure(
            "arrays", 2_000, 1, 1, ROOT / "scenarios" / "archetypes_baseline.yaml", env=env
        )
        warm = measure(
            "arrays", 2_000, 1, 1, ROOT / "scenarios" / "archetypes_baseline.yaml", env=env
        )
    return {
        "cold_first_step_s": cold["first_step_s"],
        "warm_first_step_s": warm["first_step_s"],
        "cold_wall_s": cold["wall_s"],
        "warm_wall_s": warm["wall_s"],
    }


def cli_start(repeats: int) -> float:
    """Median wall time of a whole one-step `hrhsim run` (an upper bound on time-to-stepping)."""
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "sim",
                    "run",
                    "scenarios/archetypes_baseline.yaml",
                    "-o",
                    out,
                    "--replicates",
                    "1",
                    "--no-progress",
                    "--set",
                    "time.years=1",
                    "--set",
                    "time.steps_per_year=1",
                    "--set",
                    "engine=arrays",
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def start_up(figures: dict, repeats: int) -> None:
    """First step on a cold and a warm JIT cache; a whole one-step `hrhsim run`."""
    jit = jit_times()
    figures.update(jit)
    print(
        f"JIT: first step with a cold cache {jit['cold_first_step_s']:.1f} s, "
        f"with a warm cache {jit['warm_first_step_s']:.2f} s"
    )
    start = cli_start(repeats)
    figures["cli_one_step_run_s"] = start
    print(
        f"hrhsim run of a one-step archetype scenario, warm cache: {start:.2f} s wall "
        "(imports, world, scenario, one step, writing results)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (medians reported)")
    parser.add_argument(
        "--full",
        action="store_true",
        help="also run scenarios/global_full_scale.yaml (20 years, monthly)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--millions",
        type=float,
        nargs="+",
        default=[1, 10],
        help="sizes (millions of agents) of the arrays engine's throughput runs (default 1 10)",
    )
    parser.add_argument(
        "--skip-start-up", action="store_true", help="skip the JIT and `hrhsim run` timings"
    )
    args = parser.parse_args()
    figures: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}

    print("engines on the same scenario (global baseline, 100,000 agents, 2 years quarterly):")
    agents_rates, arrays_rates = [], []
    for _ in range(args.repeats):
        agents_rates.append(measure("agents", 100_000, 2, 4)["rate"])
        arrays_rates.append(measure("arrays", 100_000, 2, 4)["rate"])
    ratios = [b / a for a, b in zip(agents_rates, arrays_rates, strict=True)]
    figures["agents_100k_rate"] = statistics.median(agents_rates)
    figures["arrays_100k_rate"] = statistics.median(arrays_rates)
    figures["ratio_100k"] = statistics.median(ratios)
    print(f"  agents: {figures['agents_100k_rate'] / 1e6:8.3f} M agent-steps/s (median)")
    print(f"  arrays: {figures['arrays_100k_rate'] / 1e6:8.3f} M agent-steps/s (median)")
    print(f"  ratio arrays/agents: {figures['ratio_100k']:.1f}x (median of per-repeat ratios)")

    print("arrays engine throughput (global baseline, 1 year monthly):")
    for millions in args.millions:
        runs = [peak_memory("arrays", millions * 1e6, 1, 12) for _ in range(args.repeats)]
        rate = statistics.median(r["rate"] for r, _ in runs)
        peak = max(p for _, p in runs)
        figures[f"arrays_{millions:g}M_rate"] = rate
        figures[f"arrays_{millions:g}M_peak_gib"] = peak
        print(f"  {millions:>3g} M agents: {rate / 1e6:8.2f} M agent-steps/s, peak {peak:.2f} GiB")

    if not args.skip_start_up:
        start_up(figures, args.repeats)
    if args.full:
        print("full-scale global scenario (scenarios/global_full_scale.yaml, 20 years monthly):")
        result, peak = peak_memory("arrays", WORKERS, 20, 12, FULL)
        figures["full_agents"] = result["agents"]
        figures["full_wall_s"] = result["wall_s"]
        figures["full_rate"] = result["rate"]
        figures["full_peak_gib"] = peak
        print(
            f"  {result['agents']:,} agents at the end; wall {result['wall_s']:.0f} s "
            f"({result['wall_s'] / 60:.1f} min), {result['rate'] / 1e6:.1f} M agent-steps/s, "
            f"peak {peak:.2f} GiB"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
