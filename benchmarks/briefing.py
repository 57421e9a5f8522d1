"""Rendering time of the README's briefing (the runs exist; tables, figures, pages and files).

    python benchmarks/briefing.py                    # medians of 3 cold renders, and warm ones
    python benchmarks/briefing.py --repeats 5 --json benchmarks/briefing-DATE.json
    python benchmarks/briefing.py --code . --code /path/to/other/checkout   # both, interleaved

The README's main job is run once if its runs are not in `--runs` (default `results/briefing/runs`,
where the README's command puts them). Each measurement is a fresh Python process that reads the
seven runs (`load_run`) and calls `write_briefing` into a new folder ("cold": nothing to reuse)
or into the folder of the previous measurement ("warm": unchanged charts are reused). With several
`--code` checkouts the measurements are interleaved (machines are shared and noisy: compare them
within one run). Reported: medians of the import, load and render times in seconds, per
checkout, the ratios to the first checkout, and the machine's CPU count and load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_MEASURE = """
import json, logging, sys, time
t0 = time.perf_counter()
from pathlib import Path
from sim.compare.runs import load_run
from sim.compare.briefing import write_briefing
runs_dir, out, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
t1 = time.perf_counter()
runs = [load_run(runs_dir / n) for n in names]
t2 = time.perf_counter()
write_briefing(runs[0], runs[1:], out)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "render_s": t3 - t2,
                  "total_s": t3 - t0}))
"""


def readme_scenarios() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[0]
    return re.findall(r"scenarios/\w+\.yaml", command.split("hrhsim compare", 1)[1])


def ensure_runs(runs_dir: Path, files: list[str]) -> list[str]:
    """The run folder names of the README's scenarios, running the main job if one is missing."""
    import yaml

    names = []
    for f in files:
        data = yaml.safe_load((ROOT / f).read_text(encoding="utf-8"))
        names.append(str(data["name"]))
    if not all((runs_dir / n / "manifest.json").is_file() for n in names):
        print(f"running the README's main job into {runs_dir.parent} (about a minute) ...")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "compare",
                *files,
                "-o",
                str(runs_dir.parent),
                "--no-progress",
            ],
            cwd=ROOT,
            check=True,
        )
    return names


def measure(code: Path, runs_dir: Path, out: Path, names: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(runs_dir), str(out), ",".join(names)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "results" / "briefing" / "runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--code", type=Path, action="append", help="checkout whose `sim` to time (repeatable)"
    )
    parser.add_argument("--no-warm", dest="warm", action="store_false")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in (args.code or [ROOT])]
    runs = args.runs.resolve()
    names = ensure_runs(runs, readme_scenarios())
    results: dict[str, dict[str, list[dict]]] = {str(c): {"cold": [], "warm": []} for c in codes}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            for n, code in enumerate(codes):
                out = Path(tmp) / f"{n}-{k}"
                m = measure(code, runs, out, names)
                results[str(code)]["cold"].append(m)
                print(f"{code} cold {k + 1}: {json.dumps(m)}", flush=True)
                if args.warm:
                    m = measure(code, runs, out, names)
                    results[str(code)]["warm"].append(m)
                    print(f"{code} warm {k + 1}: {json.dumps(m)}", flush=True)
                loads.append(os.getloadavg()[0])
    summary: dict = {
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_median": statistics.median(loads),
        "repeats": args.repeats,
        "median": {},
    }
    for code, kinds in results.items():
        summary["median"][code] = {
            kind: {key: statistics.median(m[key] for m in ms) for key in ms[0]}
            for kind, ms in kinds.items()
            if ms
        }
    first = summary["median"][str(codes[0])]["cold"]["render_s"]
    summary["render_ratio_to_first"] = {
        code: med["cold"]["render_s"] / first for code, med in summary["median"].items()
    }
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps({**summary, "measurements": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
