"""Posterior samples of a calibration: the parameter vectors replicates draw from.

A sample is a CSV file written by `hrhsim calibrate` (`posterior.csv`): a `draw` column (0, 1,
...) and one column per calibrated parameter, named by its dotted scenario path
(`behaviour.wage_weight`). A scenario with `uncertainty: {kind: parameters, sample: FILE}` gives
each replicate one row, chosen with the replicate's own seed (`draw_for_replicate`), so that
replicates carry parameter uncertainty as well as stochastic noise, and replicate r of every
scenario of a comparison draws the same row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError

__all__ = ["MAX_BYTES", "ParameterSample", "draw_for_replicate", "read_parameter_sample"]

MAX_BYTES = 64 << 20
"""Largest sample file read (64 MiB)."""
DRAW_STREAM = 0x7FFF_FFFF
"""Spawn-key suffix of the generator that picks a replicate's draw (apart from the model's)."""


class ParameterSample:
    """Rows of parameter values: `names` (dotted paths) and `values` (n, d)."""

    def __init__(
        self, path: str, names: list[str], values: np.ndarray, integer: list[bool] | None = None
    ) -> None:
        self.path = path
        self.names = names
        self.values = values
        self.integer = integer or [False] * len(names)

    def __len__(self) -> int:
        return len(self.values)

    def params(self, index: int) -> dict[str, float]:
        """Row `index` as {dotted path: value}."""
        row = zip(self.names, self.values[index], self.integer, strict=True)
        return {n: round(float(v)) if i else float(v) for n, v, i in row}


def read_parameter_sample(
    path: str | Path, *, referrer: tuple[str, int | None, str] | None = None
) -> ParameterSample:
    """Read and check a sample; errors name the sample file (or the file that names it)."""
    shown = str(path)

    def fail(message: str, expected: str | None = None, line: int | None = None) -> ScenarioError:
        if referrer is None:
            return ScenarioError(message, file=shown, line=line, expected=expected)
        file, ref_line, key = referrer
        where = shown if line is None else f"{shown}:{line}"
        return ScenarioError(
            f"{where}: {message}", file=file, line=ref_line, key_path=key, expected=expected
        )

    p = Path(path)
    try:
        if not p.is_file():
            raise fail("posterior sample not found or not a regular file")
        if p.stat().st_size > MAX_BYTES:
            raise fail(f"posterior sample larger than {MAX_BYTES >> 20} MiB")
        with open(p, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise fail(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", "a CSV file in UTF-8"
        ) from None
    except (OSError, csv.Error) as exc:
        raise fail(f"cannot read the posterior sample: {exc}") from None
    if not rows or rows[0][:1] != ["draw"]:
        raise fail("the first column must be `draw`", "a CSV written by hrhsim calibrate", 1)
    names = rows[0][1:]
    if not names:
        raise fail("no parameter columns", "columns draw, <dotted parameter paths>", 1)
    if len(set(names)) != len(names):
        raise fail("a parameter column is repeated", line=1)
    ranged = _uncertain_parameters()
    for name in names:
        if name not in ranged or _numeric_field(name) is None:
            raise fail(
                f"column {name!r} is not an uncertain parameter of the registry (a sample may "
                "not change the run's time, scale, replicates or policies)",
                "columns named like behaviour.wage_weight (docs/scenarios.md, 'plausible')",
                line=1,
            )
    integer = [_numeric_field(name).kind == "int" for name in names]
    values = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(names) + 1:
            raise fail(f"{len(row)} values, expected {len(names) + 1}", line=n)
        numbers = []
        for name, text in zip(names, row[1:], strict=True):
            try:
                number = float(text)
            except ValueError:
                number = None
            if number is None or not math.isfinite(number):
                lo, hi = ranged[name].min, ranged[name].max
                raise fail(
                    f"{name} = {text.strip()[:40]!r} is "
                    + ("not a number" if number is None else "not finite"),
                    f"a number from {lo:g} to {hi:g}",
                    line=n,
                )
            numbers.append(number)
        for name, x, whole in zip(names, numbers, integer, strict=True):
            if whole and x != int(x):  # was rounded without a word
                raise fail(f"{name} = {x:g} is not a whole number", f"{name} as an integer", n)
            lo, hi = ranged[name].min, ranged[name].max
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                raise fail(
                    f"{name} = {x:g} is outside the values a scenario may set",
                    f"{name} from {lo:g} to {hi:g}",
                    line=n,
                )
        values.append(numbers)
    if not values:
        raise fail("the sample has no draws")
    return ParameterSample(shown, names, np.asarray(values, dtype=float), integer)


def _uncertain_parameters() -> dict:
    """The registry's numeric uncertainties by dotted name (`sim.declarations.UNCERTAINTIES`)."""
    from sim.declarations import UNCERTAINTIES
    from sim.declarations.base import IntegerParameter, RealParameter

    return {u.name: u for u in UNCERTAINTIES if isinstance(u, RealParameter | IntegerParameter)}


def _numeric_field(dotted: str):
    """The schema field of a numeric scenario key (not inside a list), or None."""
    from sim.inputs.schema import SCHEMA, Field

    node = SCHEMA
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Field) and node.kind in ("int", "float") else None


def draw_for_replicate(seed_seq: np.random.SeedSequence, n: int) -> int:
    """The row a replicate draws: uniform over `n` rows, from the replicate's own seed."""
    stream = np.random.SeedSequence(seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, DRAW_STREAM))
    return int(np.random.default_rng(stream).integers(n))


def calibration_record(data: dict) -> dict:
    """`{"calibration": ...}`: the fit summary (fit.json) beside the scenario's posterior sample.

    A scenario that extends a calibration's fitted.yaml names its posterior sample; the summary
    written with it says what was fitted and how well, for the manifest and the briefing.
    """
    sample = (data.get("uncertainty") or {}).get("sample")
    if not sample:
        return {}
    path = Path(sample).with_name("fit.json")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    remeasured = record.get("remeasured")
    for block in (record, remeasured if isinstance(remeasured, dict) else {}):
        if block.get("report"):  # its path, and what it said when the runs were made
            block["report"] = str(path.with_name(str(block["report"])))
            report = Path(block["report"])
            if report.is_file():
                block["report_sha256"] = hashlib.sha256(report.read_bytes()).hexdigest()
    return {"calibration": record}
