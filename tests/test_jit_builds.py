"""The compiled kernels can be trusted: after a code change, and in their parallel builds.

- numba's disk cache is keyed on the code (`sim/jitcache.py`): a copy of the package whose rule
  module is edited runs the edited rule in the arrays engine too (and, as a control, the same
  edit with the keying switched off is served stale kernels: what the keying prevents).
- The parallel builds of the arrays kernels and of the rules that make new workers (normally
  used from 32,768 workers) are forced by lowering `sim.engines.arrays.PARALLEL_MIN_ROWS` and
  `sim.model.rules.PARALLEL_MIN_WORKERS` (the serial ones by raising them), run with 1
  and 2 threads, and give results identical to the serial builds; on a cold cache they compile
  their own threaded code (not the serial builds' cached code).

Each case runs in subprocesses with their own cache folder, so it also works on a cold cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.model_helpers import ROOT, SCENARIOS

SCENARIO = SCENARIOS / "archetypes_code_of_practice_package.yaml"

_ENGINES_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import sim
assert sim.__file__.startswith(sys.argv[1]), sim.__file__
import numba
from sim.inputs.scenario import load_scenario
from sim.runner import replicate_seeds, run_replicate
sc = load_scenario(sys.argv[2]).with_overrides({"time.years": 1, "scale.workers_per_agent": 100.0})
out = {"cache": numba.config.CACHE_DIR}
for engine in ("agents", "arrays"):
    r = run_replicate(sc, 0, replicate_seeds(5, 1)[0], engine=engine)
    out[engine] = r.indicators.value.round(9).tolist()
print(json.dumps(out))
"""


def _copy_package(dest: Path) -> Path:
    shutil.copytree(ROOT / "sim", dest / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _engines(copy: Path, cache: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    env.pop("NUMBA_NUM_THREADS", None)
    proc = subprocess.run(
        [sys.executable, "-c", _ENGINES_SCRIPT, str(copy), str(SCENARIO)],
        capture_output=True,
        text=True,
        env=env,
        cwd=copy,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _edit_rule(copy: Path) -> None:
    """Change the counter-based generator every rule draws from (`sim/model/rng.py`).

    The arrays kernels (in another module) inline it: exactly the staleness numba misses.
    """
    rng = copy / "sim" / "model" / "rng.py"
    text = rng.read_text(encoding="utf-8")
    assert "_TO_UNIT = " in text, "the edit below needs sim/model/rng.py's _TO_UNIT"
    rng.write_text(text + "\n_TO_UNIT = 0.75 / 9007199254740992.0  # edited by the test\n")


def test_an_edited_rule_reaches_the_arrays_engine(tmp_path):
    copy = _copy_package(tmp_path / "keyed")
    cache = tmp_path / "cache"
    before = _engines(copy, cache)
    assert before["agents"] == before["arrays"]
    assert Path(before["cache"]).parent == cache  # the user's NUMBA_CACHE_DIR is the root
    _edit_rule(copy)
    after = _engines(copy, cache)
    assert after["cache"] != before["cache"]  # a new key for the new code
    assert after["agents"] != before["agents"]  # the edit changes the results ...
    assert after["arrays"] == after["agents"]  # ... of both engines alike


def test_without_the_keying_numba_serves_the_stale_kernel(tmp_path):
    """Control: without `sim/jitcache.py`'s keying (its `configure` not called) numba's own
    check keeps the old kernels after the edit."""
    copy = _copy_package(tmp_path / "unkeyed")
    jitcache = copy / "sim" / "jitcache.py"
    text = jitcache.read_text(encoding="utf-8")
    assert "\nCACHE_DIR = configure()\n" in text, "the control needs jitcache's configure() call"
    jitcache.write_text(text.replace("\nCACHE_DIR = configure()\n", "\nCACHE_DIR = None\n"))
    cache = tmp_path / "cache"
    before = _engines(copy, cache)
    _edit_rule(copy)
    stale = _engines(copy, cache)
    fresh = _engines(copy, tmp_path / "fresh")  # the edited code compiled from scratch
    assert stale["cache"] == before["cache"] == str(cache)
    assert fresh["arrays"] == fresh["agents"] != before["arrays"]
    assert stale["arrays"] == before["arrays"] != fresh["arrays"]  # the old rule still runs


_THREADS_SCRIPT = """
import json, sys
import numba
import sim.engines.arrays as arrays
import sim.model.rules as rules
from sim.inputs.scenario import load_scenario
from sim.runner import replicate_seeds, run_replicate
sc = load_scenario(sys.argv[1]).with_overrides({"scale.workers_per_agent": 2.0, "time.years": 2})
seed = replicate_seeds(8, 1)[0]
builds = (arrays._HAZARD, arrays._DECIDE, arrays._GATHER, arrays._DEPART, arrays._CHOICES,
          rules._INITIAL_WORKERS, rules._NEW_GRADUATES)
out = {"threads": numba.get_num_threads()}
if sys.argv[2] == "serial":
    arrays.PARALLEL_MIN_ROWS = rules.PARALLEL_MIN_WORKERS = 1 << 62  # force the serial builds
    r = run_replicate(sc, 0, seed, engine="arrays")
    out["serial"] = [r.indicators.value.tolist(), r.flows.workers.tolist()]
    out["serial_used_parallel"] = any(b[True].signatures for b in builds)
arrays.PARALLEL_MIN_ROWS = rules.PARALLEL_MIN_WORKERS = 1  # force the parallel builds
r = run_replicate(sc, 0, seed, engine="arrays")
out["parallel"] = [r.indicators.value.tolist(), r.flows.workers.tolist()]
out["parallel_ran"] = all(b[True].signatures for b in builds)
from sim.runner import world_for
w = world_for(sc.data)
out["chunks"] = float(w.doctors.sum() + w.nurses.sum()) / 2.0 / arrays.CHUNK
print(json.dumps(out))
"""


def _threads(threads: int, mode: str) -> dict:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    proc = subprocess.run(
        [sys.executable, "-c", _THREADS_SCRIPT, str(SCENARIO), mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_parallel_builds_identical_to_serial_with_one_and_two_threads():
    one = _threads(1, "serial")
    two = _threads(2, "parallel")
    assert (one["threads"], two["threads"]) == (1, 2)
    assert not one["serial_used_parallel"]  # forced: the serial builds ran
    assert one["parallel_ran"] and two["parallel_ran"]  # forced: the parallel builds ran
    assert one["chunks"] > 4  # several chunks of rows to share between the threads
    assert one["serial"] == one["parallel"] == two["parallel"]


_CACHE_SCRIPT = """
import json, sys
import sim.engines.arrays as arrays
from sim.inputs.scenario import load_scenario
from sim.runner import replicate_seeds, run_replicate
sc = load_scenario(sys.argv[1]).with_overrides({"scale.workers_per_agent": 100.0, "time.years": 1})
seed = replicate_seeds(8, 1)[0]
import sim.model.rules as rules
run_replicate(sc, 0, seed, engine="arrays")  # the serial builds, compiled and cached first
arrays.PARALLEL_MIN_ROWS = rules.PARALLEL_MIN_WORKERS = 1
run_replicate(sc, 0, seed, engine="arrays")
out = {}
kernels = ("_HAZARD", "_DECIDE", "_PRECHECK", "_GATHER", "_DEPART", "_CHOICES")
builds = {name: getattr(arrays, name) for name in (*kernels, "_AGE_COUNTS", "_COUNT")}
builds.update(_INITIAL_WORKERS=rules._INITIAL_WORKERS, _NEW_GRADUATES=rules._NEW_GRADUATES)
for name, both in builds.items():
    build = both[True]
    out[name] = [("do_scheduling" in build.inspect_asm(sig)) for sig in build.signatures]
print(json.dumps(out))
"""


def test_parallel_builds_are_not_served_the_serial_builds_cache(tmp_path):
    """numba's disk cache names an entry by module, function name and line, whatever the
    compiler flags: when both builds of a kernel were one function, the parallel build loaded
    the serial build's cached code and ran on one thread (same results, half the speed on two
    cores). In a cold cache, after the serial builds are compiled and cached, the parallel builds
    must compile their own threaded code (numba's scheduler is in their machine code; code loaded
    from a cache shows none)."""
    proc = subprocess.run(
        [sys.executable, "-c", _CACHE_SCRIPT, str(SCENARIO)],
        capture_output=True,
        text=True,
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")},
        cwd=ROOT,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    threaded = json.loads(proc.stdout.strip().splitlines()[-1])
    ran = {name: flags for name, flags in threaded.items() if flags}
    expected = {"_HAZARD", "_DECIDE", "_GATHER", "_DEPART", "_CHOICES"}
    assert expected | {"_INITIAL_WORKERS", "_NEW_GRADUATES"} <= set(ran), threaded
    assert all(all(flags) for flags in ran.values()), threaded
