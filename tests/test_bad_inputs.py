"""Bad inputs of every kind, through the real command line (`sim.cli.main`).

Each case is a command line and the files it names. Every case must: exit with status 2, within
45 s (180 s for a case on a cold numba cache, which compiles every kernel first: 30-35 s alone,
more under the suite's load); print one `error:` line naming the file and key (or the
argument); print no traceback and no "unexpected error"; print no raw terminal escape or other
control character; write nothing outside the output root (`out/` or `results/` of the case's
folder); and run no code named by a file.

Cases that could hang (pipes, devices, schedulers) or that need a process of their own (a file
size limit) run in a subprocess with a timeout; the others run in-process under an alarm.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.cli import main
from tests.model_helpers import ROOT

LIMIT_S = 45.0
COLD_LIMIT_S = 180.0
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
ARCHETYPES = (ROOT / "sim" / "data" / "archetypes.yaml").read_text(encoding="utf-8")

FIFO, DIRECTORY, LOOP, ZERO = "<fifo>", "<directory>", "<symlink loop>", "<link to /dev/zero>"
"""Special files a case may ask for (by name, in its `files`)."""

BASE = """\
name: bad
world: {kind: archetypes}
time: {start_year: 2025, years: 2, steps_per_year: 4}
replicates: 1
engine: agents
scale: {workers_per_agent: 200}
"""

REPO = Path(__file__).resolve().parents[1]
RECOVERY_SPEC = str(
    Path(__file__).resolve().parents[1] / "calibration" / "recovery" / "recovery.yaml"
)

SWEEP = """\
base: base.yaml
parameters:
  behaviour.wage_weight: [1.0, 1.5]
design: {kind: grid}
outcomes:
  - {name: d, indicator: density, countries: safeguards}
"""

TOY = """\
model: toy
fixed: {sleep: 1.0}
parameters:
  a: {levels: [0, 1, 2, 3, 4, 5, 6, 7]}
design: {kind: grid}
replicates: 2
outcomes: [y]
"""


def bomb(levels: int = 8) -> str:
    """A billion-laughs document: 9 ** levels strings from a few hundred bytes."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def bomb_flow(levels: int = 7) -> str:
    """The same bomb as one flow mapping (for a `--set` value)."""
    return "{" + ", ".join(bomb(levels).strip().splitlines()) + "}"


def other_model(model: str, extra: str = "") -> str:
    """SWEEP with `model:` instead of `base:` (and a parameter any model may take)."""
    text = SWEEP.replace("base: base.yaml\n", f"model: {model}\n{extra}")
    return text.replace("behaviour.wage_weight", "x")


def sampled(design: str) -> str:
    """SWEEP with a range instead of levels and the given design."""
    return SWEEP.replace("[1.0, 1.5]", "{min: 1.0, max: 2.0}").replace("{kind: grid}", design)


GRID_1E6 = SWEEP.replace(
    "  behaviour.wage_weight: [1.0, 1.5]\n",
    "".join(
        f"  behaviour.{k}_{'rate' if k == 'reconsider' else 'weight'}: "
        "[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]\n"
        for k in ["wage", "network", "distance", "language", "colony", "reconsider"]
    ),
)
"""A grid of 10 ** 6 points."""


def scenario(extra: str = "", **replace: str) -> str:
    """BASE with some lines replaced (`key=new text`) and `extra` appended."""
    text = BASE
    for old, new in replace.items():
        text = re.sub(rf"^{old}:.*$", lambda _m, new=new: new, text, flags=re.M)
    return text + extra


_HEADER, _BODY = ARCHETYPES.split("\nname: archetypes\n")


def world(old: str, new: str, count: int = 1) -> str:
    """The archetypes world file with `old` replaced in its data (not its format comment)."""
    assert old in _BODY, old
    return _HEADER + "\nname: archetypes\n" + _BODY.replace(old, new, count)


def world_scenario(name: str = "w.yaml") -> str:
    return scenario(world=f"world: {{kind: file, file: {name}}}")


@dataclass
class Case:
    """One bad input: the command line, its files, what the error must say."""

    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    subprocess: bool = False
    """Run in a subprocess (with `tests/sweep_cli.py`, so the test sweep models exist)."""
    fsize_limit: int | None = None
    """RLIMIT_FSIZE in bytes for the subprocess: the disk fills up (EFBIG) past it."""
    absent: tuple[str, ...] = ()
    """Paths that must not exist afterwards (code a file tried to run)."""
    cold_cache: bool = False
    """Give the subprocess an empty numba cache (so the full disk also meets numba's writes)."""

    @property
    def limit_s(self) -> float:
        """Seconds the case may take: compiling every kernel on a cold cache takes 30-35 s alone
        and passed 45 s once under the suite's load, so those cases get COLD_LIMIT_S (a hang is
        still caught)."""
        return COLD_LIMIT_S if self.cold_cache else LIMIT_S


def v(text: str, *expect: str, **files: str) -> Case:
    """`hrhsim validate s.yaml` with s.yaml = text."""
    return Case(["validate", "{in}/s.yaml"], {"s.yaml": text, **files}, ("s.yaml", *expect))


def r(text: str, *expect: str, **files: str) -> Case:
    """`hrhsim run s.yaml -o out/run`."""
    return Case(
        ["run", "{in}/s.yaml", "-o", "{out}/run", "--no-progress"],
        {"s.yaml": text, **files},
        ("s.yaml", *expect),
    )


def w(text: str | bytes, *expect: str) -> Case:
    """`hrhsim world --file w.yaml`."""
    return Case(["world", "--file", "{in}/w.yaml"], {"w.yaml": text}, ("w.yaml", *expect))


def sw(text: str, *expect: str, dry: bool = True, **files: str) -> Case:
    """`hrhsim sweep sw.yaml -o out/sweep [--dry-run]` with base.yaml = BASE."""
    argv = ["sweep", "{in}/sw.yaml", "-o", "{out}/sweep", "--no-progress"]
    return Case(
        [*argv, "--dry-run"] if dry else argv,
        {"sw.yaml": text, "base.yaml": BASE, **files},
        ("sw.yaml", *expect),
    )


def st(*args: str, expect: tuple[str, ...] = ("--set",)) -> Case:
    """`hrhsim validate s.yaml --set ...` with a valid s.yaml."""
    argv = ["validate", "{in}/s.yaml"]
    for a in args:
        argv += ["--set", a.replace("{", "{{").replace("}", "}}")]
    return Case(argv, {"s.yaml": BASE}, expect)


def arg(*argv: str, expect: tuple[str, ...] = (), **files: str | bytes) -> Case:
    return Case(list(argv), dict(files), expect)


LONG = "x" * 300
CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- scenario files: YAML
    "yaml-tab": v(BASE + "time:\n\tyears: 3\n", "malformed YAML", "tab", "spaces only"),
    "yaml-unclosed": v("name: [a, b\n", "malformed YAML"),
    "yaml-duplicate-key": v(BASE + "seed: 1\nseed: 2\n", ":8:", "seed", "duplicate key"),
    "yaml-duplicate-nested": v(
        scenario(time="time: {start_year: 2025, years: 2, years: 3}"), "time.years", "duplicate"
    ),
    "yaml-alias-bomb": v(bomb(), "alias"),
    "description-a-list": v(BASE + "description: " + "&a [" + "x," * 50 + "x]\n", ":7:"),
    "yaml-recursive-alias": v(BASE + "policies: &p {retention: *p}\n", "alias"),
    "yaml-python-tag": v(
        BASE + "description: !!python/object/apply:os.system ['touch PWNED']\n", "python"
    ),
    "yaml-unknown-tag": v(BASE + "seed: !custom 5\n", "!custom"),
    "yaml-non-scalar-key": v(BASE + "? [a, b]\n: 1\n", "key"),
    "yaml-two-documents": v(BASE + "---\nname: other\n", "single document"),
    "yaml-deep-nesting": v(BASE + "description: " + "[" * 300 + "]" * 300 + "\n", "nest"),
    "yaml-nul-byte": v(BASE + "description: a\x00b\n", "#x0000"),
    "yaml-not-utf8": Case(
        ["validate", "{in}/s.yaml"],
        {"s.yaml": BASE.encode() + b"description: \xff\xfe\n"},
        ("s.yaml", "UTF-8"),
    ),
    "yaml-empty": v("", "empty"),
    "yaml-a-list": v("- a\n- b\n", "mapping"),
    "yaml-a-scalar": v("42\n", "mapping"),
    "yaml-huge-file": v(BASE + "# " + "x" * (2 << 20) + "\n", "too large"),
    "yaml-merge-of-scalar": v(BASE + "behaviour:\n  <<: 5\n", "merg"),
    "yaml-boolean-key": v(BASE + "yes: 1\n", "key 'yes'", "true/false", "quote it"),
    "yaml-null-key": v(BASE + "~: 1\n", "key '~'", "null"),
    "yaml-octal": v(
        scenario(time="time: {years: 010}"), "time.years", "leading zero", "octal number 8"
    ),
    "yaml-base-60": v(scenario(replicates="replicates: 2:30"), "replicates", "base-60 number 150"),
    "yaml-integer-key": v(BASE + "1: one\n", "unknown key '1'"),
    "yaml-underscore-key": v(
        BASE + "behaviour: {emigration_age_factor: {35_44: 0.5}}\n",
        "behaviour.emigration_age_factor",
        "key '35_44' is read by YAML as the number 3544",
        "quote it",
    ),
    # ---------------------------------------------------------------- scenario files: values
    "unknown-key": v(BASE + "replicatez: 3\n", "replicatez", "did you mean"),
    "wrong-type": v(scenario(replicates="replicates: many"), "replicates", "integer"),
    "nan": v(BASE + "behaviour: {wage_weight: .nan}\n", "behaviour.wage_weight", "finite"),
    "infinity": v(BASE + "behaviour: {wage_weight: .inf}\n", "behaviour.wage_weight"),
    "negative-years": v(scenario(time="time: {years: -3}"), "time.years", "range"),
    "huge-integer": v(scenario(time="time: {years: 1000000000000000000000000000000}"), "years"),
    "huge-integer-digits": v(BASE + "seed: " + "9" * 5000 + "\n", "seed", "too long"),
    "replicates-1e9-in-file": v(scenario(replicates="replicates: 1000000000"), "replicates"),
    "date-as-year": v(scenario(time="time: {start_year: 2025-01-01}"), "time.start_year"),
    "engine-unknown": v(scenario(engine="engine: gpu"), "engine", "one of"),
    "steps-per-year-5": v(scenario(time="time: {steps_per_year: 5}"), "time.steps_per_year"),
    "spin-up-after-start": v(
        scenario(time="time: {start_year: 2025, spin_up_from: 2027, years: 2}"),
        "time.spin_up_from",
        "after start_year",
    ),
    "spin-up-not-a-year": v(
        scenario(time="time: {start_year: 2025, spin_up_from: soon, years: 2}"),
        "time.spin_up_from",
        "integer",
    ),
    "from-after-until": v(
        BASE + "policies: {retention: {enabled: true, from: 2030, until: 2026}}\n",
        "policies.retention.until",
    ),
    "agreement-same-country": v(
        BASE + "policies: {agreements: [{source: XSR, destination: XSR}]}\n",
        "policies.agreements.0.destination",
    ),
    "workers-per-agent-zero": v(
        scenario(scale="scale: {workers_per_agent: 0}"), "scale.workers_per_agent"
    ),
    "too-many-agents": v(
        world_scenario().replace("workers_per_agent: 200", "workers_per_agent: 1"),
        "scale.workers_per_agent",
        "million",
        **{
            "w.yaml": world("population: 8000000", "population: 2900000000").replace(
                "doctors_density: 2.5", "doctors_density: 900"
            )
        },
    ),
    "no-agent-at-all": v(
        scenario(scale="scale: {workers_per_agent: 1000000}"),
        "scale.workers_per_agent",
        "no simulated country with a single agent",
        "fewer workers per agent",
    ),
    # ---------------------------------------------------------------- scenario names and text
    "name-parent-path": r(scenario(name='name: "../../x"'), "name", "path"),
    "name-absolute": r(scenario(name='name: "/tmp/hrhsim-evil"'), "name", "path"),
    "name-dot-dot": r(scenario(name='name: ".."'), "name"),
    "name-nul": r(scenario(name='name: "a\\0b"'), "name", "\\x00"),
    "name-300-characters": r(scenario(name=f"name: {LONG}"), "name", "long"),
    "name-terminal-escape": r(scenario(name='name: "\\e[31mred\\e[0m"'), "name", "\\x1b"),
    "name-bidi-override": r(scenario(name='name: "abc\\u202Edcb"'), "name", "\\u202e"),
    "name-home": r(scenario(name='name: "~/x"'), "name", "path"),
    "name-from-a-file-name-not-utf8": Case(  # the name, and a run's tables, were not UTF-8
        ["run", "{in}/\udcf8.yaml", "-o", "{out}/r", "--no-progress"],
        {"\udcf8.yaml": BASE.replace("name: bad\n", "")},
        ("name: the default name (the file name) is not UTF-8 text", "set `name:`"),
    ),
    "description-escape": v(BASE + 'description: "\\e]0;pwned\\a"\n', "description"),
    "description-too-long": v(BASE + f"description: {'y' * 20000}\n", "description", "long"),
    "file-name-with-escape": Case(
        ["validate", "{in}/\x1b[31mred.yaml"],
        {"\x1b[31mred.yaml": scenario(name="name: red") + "replicatez: 1\n"},
        ("\\x1b[31mred.yaml", "replicatez"),
    ),
    # ---------------------------------------------------------------- extends
    "extends-fifo": v(BASE + "extends: fifo.yaml\n", "extends", "fifo.yaml", **{"fifo.yaml": FIFO}),
    "extends-dev-zero": v(BASE + "extends: /dev/zero\n", "extends", "/dev/zero"),
    "extends-directory": v(BASE + "extends: sub\n", "extends", "folder", sub=DIRECTORY),
    "extends-symlink-loop": v(
        BASE + "extends: loop.yaml\n", "extends", "loop", **{"loop.yaml": LOOP}
    ),
    "extends-missing": v(BASE + "extends: nowhere.yaml\n", "extends", "not found"),
    "extends-itself": v(BASE + "extends: s.yaml\n", "extends", "cyclic"),
    "extends-cycle": v(
        BASE + "extends: a.yaml\n", "extends", "cyclic", **{"a.yaml": "extends: s.yaml\n"}
    ),
    "extends-chain-too-long": Case(
        ["validate", "{in}/s.yaml"],
        {
            "s.yaml": BASE + "extends: c0.yaml\n",
            **{f"c{i}.yaml": f"extends: c{i + 1}.yaml\n" for i in range(40)},
            "c40.yaml": "seed: 1\n",
        },
        ("extends", "longer than"),
    ),
    "extends-not-text": v(BASE + "extends: [a.yaml]\n", "extends"),
    "extends-nul": v(BASE + 'extends: "a\\0b.yaml"\n', "extends"),
    "extends-symlink-to-dev-zero": v(BASE + "extends: z.yaml\n", "extends", **{"z.yaml": ZERO}),
    "extends-malformed-parent": Case(
        ["validate", "{in}/s.yaml"],
        {"s.yaml": BASE + "extends: p.yaml\n", "p.yaml": "name: [\n"},
        ("p.yaml", "malformed"),
    ),
    # ---------------------------------------------------------------- world selection
    "world-file-fifo": v(world_scenario("fifo.yaml"), "world.file", **{"fifo.yaml": FIFO}),
    "world-file-dev-zero": v(world_scenario("/dev/zero"), "world.file", "/dev/zero"),
    "world-file-directory": v(world_scenario("sub"), "world.file", "folder", sub=DIRECTORY),
    "world-file-symlink-loop": v(world_scenario("loop.yaml"), "world.file", **{"loop.yaml": LOOP}),
    "world-file-missing": v(world_scenario("nowhere.yaml"), "world.file", "not found"),
    "world-file-without-kind-file": v(
        scenario(world="world: {kind: archetypes, file: w.yaml}"),
        "world.file",
        "only read when world.kind is 'file'",
        **{"w.yaml": "countries: []\n"},
    ),
    "world-file-nul": v(world_scenario('"w\\0.yaml"'), "world.file"),
    "world-file-is-a-scenario": Case(
        ["validate", "{in}/s.yaml"], {"s.yaml": world_scenario(), "w.yaml": BASE}, ("w.yaml",)
    ),
    "agreements-too-many": v(
        BASE + "policies:\n  agreements:\n" + "    - {source: XSR, destination: XDA}\n" * 1500,
        "policies.agreements",
        "too many",
    ),
    "countries-list-too-long": v(
        scenario(world="world: {kind: archetypes, countries: [" + ", ".join(["XSR"] * 1200) + "]}"),
        "world.countries",
    ),
    "world-countries-empty": v(
        scenario(world="world: {kind: archetypes, countries: []}"), "world.countries"
    ),
    "world-countries-none": v(
        scenario(world="world: {kind: archetypes, countries: none}"), "world.countries"
    ),
    "world-countries-unknown": v(
        scenario(world="world: {kind: archetypes, countries: [XSR, KEN]}"), "world.countries.1"
    ),
    "world-countries-lowercase": v(
        scenario(world="world: {kind: archetypes, countries: [xsr]}"), "world.countries.0"
    ),
    "world-countries-wld": v(
        scenario(world="world: {kind: archetypes, countries: [WLD]}"), "world.countries.0"
    ),
    "world-kind-unknown": v(scenario(world="world: {kind: planet}"), "world.kind"),
    # ---------------------------------------------------------------- the scenario argument
    "scenario-arg-fifo": Case(["validate", "{in}/fifo.yaml"], {"fifo.yaml": FIFO}, ("fifo.yaml",)),
    "scenario-arg-dev-zero": arg("validate", "/dev/zero", expect=("/dev/zero", "regular")),
    "scenario-arg-directory": Case(["validate", "{in}/sub"], {"sub": DIRECTORY}, ("sub", "folder")),
    "scenario-arg-symlink-loop": Case(
        ["validate", "{in}/loop.yaml"], {"loop.yaml": LOOP}, ("loop.yaml", "symbolic")
    ),
    "scenario-arg-missing": arg("validate", "{in}/nowhere.yaml", expect=("nowhere.yaml",)),
    "run-arg-dev-zero": arg("run", "/dev/zero", "-o", "{out}/r", expect=("/dev/zero",)),
    "run-arg-fifo": Case(
        ["run", "{in}/fifo.yaml", "-o", "{out}/r"], {"fifo.yaml": FIFO}, ("fifo",)
    ),
    # ---------------------------------------------------------------- world files
    "world-alias-bomb": w(bomb(), "alias"),
    "world-duplicate-key": w(
        world("base_year: 2020", "base_year: 2020\nbase_year: 2021"), "base_year"
    ),
    "world-population-nan": w(
        world("population: 8000000", "population: .nan"), "countries.0.population"
    ),
    "world-population-inf": w(
        world("population: 8000000", "population: .inf"), "countries.0.population"
    ),
    "world-population-negative": w(world("population: 8000000", "population: -5"), "population"),
    "world-population-implausible": w(
        world("population: 8000000", "population: 1.0e+12"), "population"
    ),
    "world-density-implausible": w(
        world("doctors_density: 2.5", "doctors_density: 50000"), "countries.0.doctors_density"
    ),
    "world-gdp-implausible": w(world("gdp_pc_ppp: 2500", "gdp_pc_ppp: 1.0e+12"), "gdp_pc_ppp"),
    "world-distance-implausible": w(
        world("distance_km: 11000", "distance_km: 1.0e+9"), "pairs.0.distance_km"
    ),
    "world-distance-negative": w(world("distance_km: 11000", "distance_km: -1"), "distance_km"),
    "world-stock-implausible": w(
        world("migrant_stock: 100000", "migrant_stock: 1.0e+15"), "corridors.0.migrant_stock"
    ),
    "world-ftd-above-the-stock": w(
        world("destination: XDA, ftd_doctors: 500", "destination: XDA, ftd_doctors: 9000000"),
        "ftd_doctors",
        "as many as all its doctors",
    ),
    "world-ftd-into-a-non-reporting-destination": w(
        world(
            "{origin: XSR, destination: XMI, migrant_stock: 40000}",
            "{origin: XSR, destination: XMI, ftd_doctors: 300, migrant_stock: 40000}",
        ),
        "corridors.2.ftd_doctors",
        "XMI has no `ftd_reported: true`",
    ),
    "world-code-wld": w(world("XSR", "WLD", -1), "countries.0.iso3", "reserved"),
    "world-code-lowercase": w(world("iso3: XSR", "iso3: xsr"), "countries.0.iso3"),
    "world-name-escape": w(world("name: Sourceland", 'name: "\\e[2J"'), "countries.0.name"),
    "world-file-countries-empty": w(
        ARCHETYPES.split("\ncountries:\n")[0] + "\ncountries: []\n", "countries"
    ),
    "world-pairs-missing": w(ARCHETYPES.split("\npairs:\n")[0] + "\n", "pairs"),
    "world-growth-implausible": w(world("pop_growth: 0.025", "pop_growth: 5"), "pop_growth"),
    "world-projection-before-base": w(
        world("projection_years: [2000, 2100]", "projection_years: [2000, 2010]"),
        "projection_years",
    ),
    "world-not-utf8": w(ARCHETYPES.encode() + b"\n# \xff\n", "UTF-8"),
    "world-empty": w("", "mapping"),
    "world-a-list": w("- 1\n", "mapping"),
    "world-huge": w(ARCHETYPES + "# " + "x" * (5 << 20) + "\n", "too large"),
    "world-fifo": Case(["world", "--file", "{in}/w.yaml"], {"w.yaml": FIFO}, ("w.yaml",)),
    "world-dev-zero": arg("world", "--file", "/dev/zero", expect=("/dev/zero",)),
    "world-directory": Case(["world", "--file", "{in}/sub"], {"sub": DIRECTORY}, ("sub",)),
    "world-symlink-loop": Case(
        ["world", "--file", "{in}/loop.yaml"], {"loop.yaml": LOOP}, ("loop",)
    ),
    "world-file-without-kind": arg("world", "--kind", "file", expect=("--file",)),
    "world-file-with-global": arg(
        "world", "--kind", "global", "--file", "x.yaml", expect=("--file",)
    ),
    "world-via-scenario": Case(
        ["validate", "{in}/s.yaml"],
        {"s.yaml": world_scenario(), "w.yaml": world("population: 8000000", "population: .nan")},
        ("w.yaml", "countries.0.population"),
    ),
    # ---------------------------------------------------------------- sweep files
    "sweep-model-subprocess": sw(
        other_model("'subprocess:run'", "fixed: {args: [touch, PWNED]}\n"), "model", dry=False
    ),
    "sweep-model-os-system": sw(other_model("'os:system'"), "model"),
    "sweep-fixed-seed": sw(SWEEP + "fixed: {seed: 5}\nseed: 7\n", "fixed.seed", "sweep's own"),
    "sweep-fixed-replicates": sw(SWEEP + "fixed: {replicates: 3}\n", "fixed.replicates"),
    "sweep-empty-levels": sw(
        SWEEP.replace("[1.0, 1.5]", "{levels: []}"), "levels", "got an empty list"
    ),
    "sweep-model-eval": sw(other_model("'builtins:eval'"), "model"),
    "sweep-model-dotted": sw(other_model("sim.cli.main"), "model"),
    "sweep-model-unknown": sw(SWEEP.replace("base: base.yaml\n", "model: tyo\n"), "model"),
    "sweep-alias-bomb": sw(bomb() + SWEEP, "alias"),
    "sweep-duplicate-key": sw(SWEEP + "replicates: 1\nreplicates: 2\n", "replicates", "duplicate"),
    "sweep-grid-1e6-dry-run": sw(GRID_1E6, "parameters", "points"),
    "sweep-grid-1e6-run": sw(GRID_1E6, "parameters", "points", dry=False),
    "sweep-lhs-1e9": sw(
        sampled("{kind: lhs, samples: 1000000000}"),
        "design.samples",
    ),
    "sweep-sobol-huge": sw(
        sampled("{kind: sobol, samples: 32768, second_order: true}"),
        "design.samples",
        "points",
    ),
    "sweep-morris-optimal-huge": sw(
        sampled("{kind: morris, samples: 40000, optimal_trajectories: 10}"),
        "design.samples",
    ),
    "sweep-replicates-1e9": sw(SWEEP + "replicates: 1000000000\n", "replicates"),
    "sweep-runs-over-cap": sw(
        sampled("{kind: lhs, samples: 40000}") + "replicates: 100\n",
        "replicates",
        "runs",
    ),
    "sweep-base-fifo": sw(SWEEP.replace("base.yaml", "fifo.yaml"), "base", **{"fifo.yaml": FIFO}),
    "sweep-base-dev-zero": sw(SWEEP.replace("base.yaml", "/dev/zero"), "base", "/dev/zero"),
    "sweep-base-directory": sw(SWEEP.replace("base.yaml", "sub"), "base", sub=DIRECTORY),
    "sweep-base-symlink-loop": sw(
        SWEEP.replace("base.yaml", "loop.yaml"), "base", **{"loop.yaml": LOOP}
    ),
    "sweep-base-missing": sw(SWEEP.replace("base.yaml", "nowhere.yaml"), "base", "not found"),
    "sweep-base-nul": sw(SWEEP.replace("base.yaml", '"b\\0.yaml"'), "base"),
    "sweep-base-malformed": Case(
        ["sweep", "{in}/sw.yaml", "--dry-run", "-o", "{out}/sweep"],
        {"sw.yaml": SWEEP, "base.yaml": "name: [\n"},
        ("base.yaml", "malformed"),
    ),
    "sweep-parameter-unknown": sw(
        SWEEP.replace("behaviour.wage_weight", "behaviour.wage_wieght"), "parameters"
    ),
    "sweep-parameter-seed": sw(SWEEP.replace("behaviour.wage_weight", "seed"), "parameters.seed"),
    "sweep-level-nan": sw(
        SWEEP.replace("[1.0, 1.5]", "[1.0, .nan]"), "parameters.behaviour.wage_weight"
    ),
    "sweep-level-out-of-range": sw(
        SWEEP.replace("[1.0, 1.5]", "[1.0, 1e9]"), "parameters.behaviour.wage_weight"
    ),
    "sweep-parameter-drawn-from-the-posterior": sw(
        SWEEP,
        "parameters.behaviour.wage_weight",
        "drawn from the posterior sample in every replicate",
        **{
            "base.yaml": BASE + "uncertainty: {kind: parameters, sample: post.csv}\n",
            "post.csv": "draw,behaviour.wage_weight\n0,1.2\n",
        },
    ),
    "sweep-outcome-indicator": sw(
        SWEEP.replace("indicator: density", "indicator: densty"), "outcomes.0.indicator"
    ),
    "sweep-normal-all-at-a-bound": sw(
        SWEEP.replace("{kind: grid}", "{kind: lhs, samples: 4}").replace(
            "[1.0, 1.5]", "{distribution: normal, mean: 100, sd: 0.001, min: 0, max: 0.1}"
        ),
        "parameters.behaviour.wage_weight",
        "every point would sit at a bound",
    ),
    "sweep-morris-too-few-candidates": sw(
        SWEEP.replace(
            "{kind: grid}", "{kind: morris, samples: 2, optimal_trajectories: 5}"
        ).replace("[1.0, 1.5]", "{min: 1.0, max: 1.5}"),
        "design.samples",
        "at least 3",
    ),
    "sweep-outcome-typo": sw(
        SWEEP.replace(
            "  - {name: d, indicator: density, countries: safeguards}", "  - safeguards_densty"
        ),
        "outcomes.0",
        "did you mean 'safeguards_density'",
    ),
    "sweep-outcome-world-rural": sw(
        SWEEP.replace("countries: safeguards}", "countries: world, area: rural}"),
        "outcomes.0.area",
        "area all",
    ),
    "sweep-outcome-world-emigrants": sw(
        SWEEP.replace(
            "indicator: density, countries: safeguards", "indicator: emigrants, countries: world"
        ),
        "outcomes.0.indicator",
        "no world total",
    ),
    "sweep-outcome-reserved-name": sw(SWEEP.replace("name: d,", "name: seed,"), "outcomes.0.name"),
    "sweep-name-escape": sw(SWEEP + 'name: "\\e[31mx"\n', "name"),
    "sweep-description-escape": sw(SWEEP + 'description: "\\x9b2J"\n', "description"),
    "sweep-fixed-escape": sw(SWEEP + 'fixed: {description: "\\e[31m"}\n', "fixed"),
    "sweep-empty": sw("", "empty"),
    "sweep-arg-fifo": Case(
        ["sweep", "{in}/fifo.yaml", "--dry-run"], {"fifo.yaml": FIFO}, ("fifo",)
    ),
    "sweep-arg-dev-zero": arg("sweep", "/dev/zero", "--dry-run", expect=("/dev/zero",)),
    # ---------------------------------------------------------------- --set values
    "set-no-equals": st("behaviour.wage_weight"),
    "set-empty-path": st("=3"),
    "set-unknown-path": st("behaviour.wage_wieght=1", expect=("--set", "behaviour.wage_wieght")),
    "set-wrong-type": st("time.years=many", expect=("--set", "time.years")),
    "set-twice": Case(
        ["validate", "{in}/s.yaml", "--set", "time.years=1", "--set", "time.years=2"],
        {"s.yaml": BASE},
        ("--set", "time.years", "set twice"),
    ),
    "set-octal": st("time.years=010", expect=("--set", "time.years", "octal number 8")),
    "set-base-60": st("replicates=1:20", expect=("--set", "replicates", "base-60 number 80")),
    "set-alias-bomb": st("description=" + bomb_flow(), expect=("--set", "alias")),
    "set-malformed": st("description=[a, b", expect=("--set", "description")),
    "set-escape-in-name": st('name="\\e[31mx"', expect=("--set", "name")),
    "set-nan": st("behaviour.wage_weight=.nan", expect=("--set", "behaviour.wage_weight")),
    "set-huge-int": st("time.years=" + "9" * 40, expect=("--set", "time.years")),
    "set-index-out-of-range": st("policies.agreements.99.quota=1", expect=("--set", "agreements")),
    "set-replicates-1e9": st("replicates=1000000000", expect=("--set", "replicates")),
    "set-world-file-dev-zero": st(
        "world.kind=file", "world.file=/dev/zero", expect=("--set", "world.file", "/dev/zero")
    ),
    "set-world-countries-empty": st("world.countries=[]", expect=("--set", "world.countries")),
    "set-name-parent-path": st("name=../../x", expect=("--set", "name")),
    "set-dotdot-path": st("behaviour..wage_weight=1", expect=("--set",)),
    "set-surrogate": st("description=\udcff", expect=("--set", "UTF-8")),
    # ---------------------------------------------------------------- command-line arguments
    "run-replicates-1e9": Case(
        ["run", "{in}/s.yaml", "--replicates", "1000000000", "-o", "{out}/r"],
        {"s.yaml": BASE},
        ("--replicates",),
    ),
    "run-replicates-zero": arg("run", "x.yaml", "--replicates", "0", expect=("--replicates",)),
    "run-replicates-text": arg("run", "x.yaml", "--replicates", "many", expect=("--replicates",)),
    "run-seed-negative": arg("run", "x.yaml", "--seed", "-1", expect=("--seed",)),
    "run-seed-2-64": arg("run", "x.yaml", "--seed", str(2**64), expect=("--seed",)),
    "run-engine-unknown": arg("run", "x.yaml", "--engine", "gpu", expect=("--engine",)),
    "run-seed-and-set-seed": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/r", "--seed", "5", "--set", "seed=7"],
        {"s.yaml": BASE},
        ("--set: seed: also given by --seed 5", "not both"),
    ),
    "run-csv-and-set-csv": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/r", "--csv", "--set", "outputs.csv=false"],
        {"s.yaml": BASE},
        ("--set: outputs.csv: also given by --csv",),
    ),
    "run-csv-and-set-outputs-section": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/r", "--csv", "--set", "outputs={{csv: false}}"],
        {"s.yaml": BASE},
        ("--set: outputs: also given by --csv (its key outputs.csv)",),
    ),
    "compare-replicates-and-set-replicates": Case(
        [
            *["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/c"],
            *["--replicates", "2", "--set", "replicates=3"],
        ],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other")},
        ("--set: replicates: also given by --replicates 2",),
    ),
    "compare-replicates-1e9": arg(
        "compare", "a.yaml", "b.yaml", "--replicates", "1000000000", expect=("--replicates",)
    ),
    "compare-one-file": arg("compare", "a.yaml", expect=("OPTION.yaml",)),
    "sweep-workers-1e6": arg("sweep", "x.yaml", "--workers", "1000000", expect=("--workers",)),
    "sweep-workers-zero": arg("sweep", "x.yaml", "--workers", "0", expect=("--workers",)),
    "sweep-retries-huge": arg("sweep", "x.yaml", "--retries", "1000000000", expect=("--retries",)),
    "sweep-workers-and-scheduler": arg(
        "sweep", "x.yaml", "--workers", "2", "--scheduler", "tcp://h:1", expect=("--scheduler",)
    ),
    "sensitivity-resamples-huge": arg(
        "sensitivity", "d", "--resamples", "1000000000000", expect=("--resamples",)
    ),
    "sensitivity-resamples-one": arg(
        "sensitivity", "d", "--resamples", "1", expect=("--resamples",)
    ),
    "sensitivity-conf-level": arg(
        "sensitivity", "d", "--conf-level", "2", expect=("--conf-level",)
    ),
    "sensitivity-seed-huge": arg("sensitivity", "d", "--seed", str(2**40), expect=("--seed",)),
    "sensitivity-missing-dir": arg(
        "sensitivity", "{in}/nowhere", expect=("nowhere", "no such folder")
    ),
    "sensitivity-file-not-dir": Case(
        ["sensitivity", "{in}/f.txt"], {"f.txt": "x"}, ("f.txt", "not a folder")
    ),
    "sensitivity-damaged-manifest": Case(
        ["sensitivity", "{in}/d"], {"d/sweep.json": "{not json"}, ("sweep.json", "damaged")
    ),
    "sensitivity-manifest-fifo": Case(
        ["sensitivity", "{in}/d"], {"d/sweep.json": FIFO}, ("sweep.json",)
    ),
    "unknown-command": arg("simulate", expect=("simulate",)),
    "unknown-option": arg("run", "x.yaml", "--turbo", expect=("--turbo",)),
    "escape-in-command": arg("\x1b[31mrun", expect=("invalid choice",)),
    "escape-in-option": arg("validate", "{in}/\x1b]0;x\x07.yaml", expect=(".yaml",)),
    # ---------------------------------------------------------------- environment
    "output-is-a-file": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/f.txt"],
        {"s.yaml": BASE, "../out/f.txt": "keep"},
        ("f.txt", "file"),
    ),
    "output-under-a-file": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/f.txt/run"],
        {"s.yaml": BASE, "../out/f.txt": "keep"},
        ("f.txt",),
    ),
    "output-not-writable": Case(
        ["run", "{in}/s.yaml", "-o", "/sys/hrhsim-corpus/run"],
        {"s.yaml": BASE},
        ("/sys",),
    )
    if os.geteuid() == 0
    else Case(
        ["run", "{in}/s.yaml", "-o", "{out}/locked/run"],
        {"s.yaml": BASE, "../out/locked/": ""},
        ("locked", "permission"),
    ),
    "output-name-too-long": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/" + "n" * 300], {"s.yaml": BASE}, ("too long",)
    ),
    "output-not-a-results-folder": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/mine"],
        {"s.yaml": BASE, "../out/mine/notes.txt": "x"},
        ("mine", "not a results folder"),
    ),
    "output-not-utf8": Case(  # `-o $'\xfd'`: pyarrow stopped with "unexpected error"
        ["run", "{in}/s.yaml", "-o", "{out}/\udcfd", "--no-progress"],
        {"s.yaml": BASE},
        ("the output path", "is not UTF-8 text"),
    ),
    "sweep-output-not-utf8": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/\udcfd", "--no-progress"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("not UTF-8 text",),
    ),
    "output-is-the-current-folder": Case(
        ["run", "{in}/s.yaml", "-o", "."], {"s.yaml": BASE}, ("current folder",)
    ),
    "output-is-the-root": Case(["run", "{in}/s.yaml", "-o", "/"], {"s.yaml": BASE}, ("/",)),
    "output-symlink-loop": Case(
        ["run", "{in}/s.yaml", "-o", "{in}/loop"], {"s.yaml": BASE, "loop": LOOP}, ("loop",)
    ),
    "compare-output-not-a-compare-folder": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/mine"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other"), "../out/mine/index.html": "mine"},
        ("mine", "not a compare folder"),
    ),
    "compare-focus-not-simulated": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/c", "--focus", "FOO,XSR"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other")},
        ("--focus", "FOO", "not simulated", "XSR, XEX"),
    ),
    "compare-countries-not-simulated": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/c", "--countries", "GBR"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other")},
        ("--countries", "GBR", "not simulated"),
    ),
    "compare-output-is-a-run-folder": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/r"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other"), "../out/r/manifest.json": "{}"},
        ("r", "holds the results of a run", "not a briefing"),
    ),
    "compare-output-is-a-sweep-folder": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/w"],
        {
            "s.yaml": BASE,
            "t.yaml": scenario(name="name: other"),
            "../out/w/sweep.json": "{}",
            "../out/w/runs/x.parquet": "",
        },
        ("w", "holds a sweep", "not a briefing"),
    ),
    "sweep-output-is-a-compare-folder": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/c"],
        {"sw.yaml": SWEEP, "base.yaml": BASE, "../out/c/index.html": "x", "../out/c/runs/a": ""},
        ("c", "holds a briefing", "not a sweep"),
    ),
    "sweep-output-is-another-sweep": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/w"],
        {
            "sw.yaml": SWEEP + "name: mine\n",
            "base.yaml": BASE,
            "../out/w/sweep.json": '{"runs": [], "design": {}, "points": [], '
            '"sweep": {"name": "other"}}',
        },
        ("w", "holds the sweep 'other', not 'mine'"),
    ),
    "calibrate-discrepancy-nan": Case(
        ["calibrate", "{in}/c.yaml", "--dry-run", "-o", "{out}/c"],
        {
            "c.yaml": f"name: c\nscenario: {REPO}/scenarios/archetypes_baseline.yaml\n"
            f"targets: {REPO}/calibration/recovery/targets.csv\n"
            f"mapping: {REPO}/calibration/recovery/mapping.yaml\n"
            "parameters: [behaviour.wage_weight]\ndiscrepancy: .nan\n"
        },
        ("c.yaml", "discrepancy", "nan is not a finite number"),
    ),
    "calibrate-output-is-a-folder-of-notes": Case(
        ["calibrate", RECOVERY_SPEC, "-o", "{out}/notes"],
        {"../out/notes/mine.txt": "my notes"},
        ("notes", "holds no calibration"),
    ),
    "calibrate-output-is-a-run-folder": Case(
        ["calibrate", RECOVERY_SPEC, "-o", "{out}/r"],
        {"../out/r/manifest.json": "{}"},
        ("r", "holds the results of a run", "not a calibration"),
    ),
    "compare-title-control-character": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/c", "--title", "a\x07b"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other")},
        ("--title", "control character"),
    ),
    "compare-title-too-long": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/c", "--title", "x" * 20_000],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other")},
        ("--title", "20,000 characters"),
    ),
    "compare-output-is-a-file": Case(
        ["compare", "{in}/s.yaml", "{in}/t.yaml", "-o", "{out}/f.txt"],
        {"s.yaml": BASE, "t.yaml": scenario(name="name: other"), "../out/f.txt": "keep"},
        ("f.txt",),
    ),
    "output-empty-path": Case(
        ["run", "{in}/s.yaml", "-o", ""], {"s.yaml": BASE}, ("--output", "empty")
    ),
    "sweep-dry-run-output-is-a-file": Case(
        ["sweep", "{in}/sw.yaml", "--dry-run", "-o", "{out}/f.txt"],
        {"sw.yaml": SWEEP, "base.yaml": BASE, "../out/f.txt": "keep"},
        ("f.txt", "is a file"),
    ),
    "sweep-output-is-a-file": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/f.txt"],
        {"sw.yaml": SWEEP, "base.yaml": BASE, "../out/f.txt": "keep"},
        ("f.txt",),
    ),
    "sweep-output-not-a-sweep-folder": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/mine"],
        {"sw.yaml": SWEEP, "base.yaml": BASE, "../out/mine/notes.txt": "x"},
        ("mine", "not a sweep folder"),
    ),
    "disk-full-run": Case(
        ["run", "{in}/s.yaml", "-o", "{out}/run", "--no-progress"],
        {"s.yaml": BASE},
        ("run", "too large"),
        subprocess=True,
        fsize_limit=2048,
        cold_cache=True,
    ),
    "scheduler-not-an-address": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/s", "--scheduler", "not a url"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("--scheduler", "address"),
    ),
    "scheduler-http-url": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/s", "--scheduler", "http://127.0.0.1:80/x"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("--scheduler",),
    ),
    "scheduler-refuses": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/s", "--scheduler", "tcp://127.0.0.1:{closed_port}"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("scheduler", "{closed_port}"),
        subprocess=True,
    ),
    "scheduler-silent": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/s", "--scheduler", "tcp://127.0.0.1:{silent_port}"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("scheduler", "handshake"),
        subprocess=True,
    ),
    "scheduler-speaks-http": Case(
        ["sweep", "{in}/sw.yaml", "-o", "{out}/s", "--scheduler", "tcp://127.0.0.1:{http_port}"],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("scheduler",),
        subprocess=True,
    ),
    "scheduler-unknown-host": Case(
        [
            "sweep",
            "{in}/sw.yaml",
            "-o",
            "{out}/s",
            "--scheduler",
            "tcp://no-such-host.invalid:8786",
        ],
        {"sw.yaml": SWEEP, "base.yaml": BASE},
        ("scheduler", "no-such-host"),
        subprocess=True,
    ),
}
CASES["sweep-model-subprocess"].absent = ("PWNED", "{in}/PWNED")
CASES["yaml-python-tag"].absent = ("PWNED", "{in}/PWNED")
for _case in CASES.values():  # cases that could hang if a guard failed: in a subprocess
    _texts = [*_case.argv, *(c for c in _case.files.values() if isinstance(c, str))]
    if {FIFO, ZERO} & set(_case.files.values()) or any("/dev/zero" in t for t in _texts):
        _case.subprocess = True


# --------------------------------------------------------------------------------------------------
# servers that are not Dask schedulers


class _Servers:
    """A closed port, a silent TCP server and a server answering HTTP, on 127.0.0.1."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.closed_port = s.getsockname()[1]
        self.silent_port = self._listen(None)
        self.http_port = self._listen(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    def _listen(self, reply: bytes | None) -> int:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        self.sockets.append(server)

        def serve() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                self.sockets.append(conn)
                if reply is not None:
                    with contextlib.suppress(OSError):
                        conn.recv(4096)
                        conn.sendall(reply)
                        conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return server.getsockname()[1]

    def close(self) -> None:
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


@pytest.fixture(scope="module")
def servers():
    s = _Servers()
    yield s
    s.close()


# --------------------------------------------------------------------------------------------------
# running a case


def _make_files(folder: Path, files: dict, fmt: dict) -> None:
    for name, content in files.items():
        path = folder / name.format(**fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == FIFO:
            os.mkfifo(path)
        elif content == DIRECTORY:
            path.mkdir()
        elif content == ZERO:
            os.symlink("/dev/zero", path)
        elif content == LOOP:
            os.symlink(path.name + ".2", path)
            os.symlink(path.name, path.with_name(path.name + ".2"))
        elif name.endswith("/"):
            path.mkdir(exist_ok=True)
            if "locked" in name:
                path.chmod(0o500)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            out[str(path.relative_to(root))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return out


class _AlarmError(Exception):
    pass


def _in_process(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def ring(*_):
        raise _AlarmError(f"still running after {LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    here = os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _in_subprocess(
    argv: list[str],
    cwd: Path,
    fsize_limit: int | None,
    env: dict | None = None,
    limit_s: float = LIMIT_S,
) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sweep_cli", *argv],
        cwd=cwd,
        env=env or ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit_file_size(fsize_limit) if fsize_limit else None,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"still running after {limit_s} s: {err.decode(errors='replace')[-2000:]}")
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_case(case: Case, tmp_path: Path, servers: _Servers | None = None) -> str:
    """Run one case and assert everything the module docstring promises; return stderr."""
    work = tmp_path / "a" / "b" / "work"  # `../../x` from work/results stays inside tmp_path
    inputs, outputs = work / "in", work / "out"
    inputs.mkdir(parents=True)
    outputs.mkdir()
    fmt = {"in": str(inputs), "out": str(outputs), "w": str(work)}
    if servers is not None:
        fmt |= {
            "closed_port": servers.closed_port,
            "silent_port": servers.silent_port,
            "http_port": servers.http_port,
        }
    _make_files(inputs, case.files, fmt)
    argv = [a.format(**fmt) for a in case.argv]
    before = _snapshot(tmp_path)
    start = time.monotonic()
    if case.subprocess:
        with tempfile.TemporaryDirectory() as cache:
            env = {**ENV, "NUMBA_CACHE_DIR": cache} if case.cold_cache else ENV
            code, out, err = _in_subprocess(argv, work, case.fsize_limit, env, case.limit_s)
    else:
        code, out, err = _in_process(argv, work)
    elapsed = time.monotonic() - start
    with contextlib.suppress(OSError):
        (outputs / "locked").chmod(0o700)
    text = out + err
    assert code == 2, f"exit status {code}\nstdout: {out[-1500:]}\nstderr: {err[-1500:]}"
    assert "Traceback" not in text and "unexpected error" not in text, text[-3000:]
    assert not _CONTROL.search(text), f"control character in output: {text[-1500:]!r}"
    assert "error:" in err, err[-1500:]
    for fragment in case.expect:
        assert str(fragment).format(**fmt) in err, f"{fragment!r} not in: {err[-1500:]}"
    assert elapsed < case.limit_s
    after = _snapshot(tmp_path)
    changed = sorted(p for p in after if before.get(p) != after[p])
    allowed = ("a/b/work/out", "a/b/work/results")
    outside = [p for p in changed if not p.startswith(allowed)]
    assert not outside, f"written outside the output root: {outside}"
    for path in case.absent:
        assert not Path(path.format(**fmt)).exists() and not (work / path).exists(), path
    return err


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_cleanly(name, tmp_path, servers):
    check_case(CASES[name], tmp_path, servers)


def test_the_corpus_covers_every_kind_of_input():
    """At least a handful of cases of each kind the issue lists."""
    kinds = {
        "scenario": [
            k for k in CASES if k.startswith(("yaml-", "name-", "extends-", "world-countries"))
        ],
        "world": [k for k in CASES if k.startswith("world-")],
        "sweep": [k for k in CASES if k.startswith("sweep-")],
        "set": [k for k in CASES if k.startswith("set-")],
        "arguments": [k for k in CASES if k.startswith(("run-", "compare-", "sensitivity-"))],
        "environment": [k for k in CASES if k.startswith(("output-", "disk-", "scheduler-"))],
    }
    assert all(len(v) >= 5 for v in kinds.values()), {k: len(v) for k, v in kinds.items()}


def test_nothing_printed_drives_the_terminal(tmp_path, capsys):
    """Valid files with terminal escapes in their names: the OK line and warnings are escaped."""
    name = "\x1b[31mred\x1b]0;title\x07"
    (tmp_path / f"{name}.yaml").write_text(BASE, encoding="utf-8")
    world = ARCHETYPES.replace("projection_years: [2000, 2100]", "projection_years: [2000, 2025]")
    (tmp_path / f"{name}w.yaml").write_text(world, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        scenario(world='world: {kind: file, file: "\\e[31mred\\e]0;title\\aw.yaml"}'),
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path / f"{name}.yaml"), str(tmp_path / "s.yaml")]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "OK" in captured.out and "WARNING" in captured.err
    assert "\\x1b[31mred" in text and not _CONTROL.search(text)
