"""How sure the briefing may sound: what an interval covers, when a change is "clear", what matters.

A paired difference is called **clear** only when three things hold: its 90% interval excludes
zero, the comparison has at least `MIN_REPLICATES_CLEAR` replicates, and the replicates carry
parameter uncertainty (behavioural parameters drawn from the calibration posterior, manifest
`"uncertainty": "parameters"`). With stochastic noise only, an interval that excludes zero says the
model's own randomness cannot explain the change, not that the world would show it.

A change smaller than the metric's **relevance threshold** gets no ▲/▼ mark, however narrow its
interval: the thresholds are stated in the briefing (`relevance_text`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.compare import fmt

MIN_REPLICATES_CLEAR = 20
"""Fewest paired replicates for a 5th-95th percentile interval to be read as evidence."""

RELEVANCE = {
    "density": 0.1,  # doctors + nurses per 10,000 population
    "share": 0.001,  # 0.1 percentage points
    "ratio": 0.005,
    "workers": 100.0,  # workers/year (at least one simulated worker: see `threshold`)
    "people": 1e6,
    "money": 1e6,  # int$ PPP
    "number": 0.0,
}
"""Smallest change worth a ▲/▼ mark, by kind, in the kind's own unit."""


STEPS_RELEVANT = 2
"""Simulated workers a country's change in density must reach to be marked (`read_change`)."""


def threshold(kind: str, workers_per_agent: float | None = None) -> float:
    """The relevance threshold of `kind`; counts of workers never below one simulated worker."""
    base = RELEVANCE.get(kind, 0.0)
    if kind == "workers" and workers_per_agent:
        return max(base, float(workers_per_agent))
    return base


def relevance_text(kinds: Sequence[str], workers_per_agent: float | None = None) -> str:
    """The thresholds in words, for the kinds a table shows."""
    words = {
        "density": "per 10,000 population",
        "share": "",
        "ratio": "in a ratio",
        "workers": "workers/year",
        "people": "people",
        "money": "per year",
    }
    parts = []
    for kind in dict.fromkeys(kinds):
        if kind not in words:
            continue
        value = threshold(kind, workers_per_agent)
        text = fmt.quote(value, kind, 2, signed=False).replace("%", " percentage points")
        parts.append(f"{text} {words[kind]}".strip())
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------------
# what the intervals cover


def sentence(text: str) -> str:
    """`text` as a sentence: its first letter capitalised, one full stop at its end."""
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


REMEASURED = "; re-measured on the current model: "
"""Where a calibration record's summary turns from what was fitted to what (its lineage) to the
fit re-measured on the current model (`scripts/fit_check.py --update-fit-json` writes it)."""


@dataclass(frozen=True)
class Calibration:
    """The calibration behind the runs, as the manifests record it (absent: not calibrated)."""

    status: str = "not calibrated"
    within: int | None = None
    targets: int | None = None
    summary: str = ""
    reports: tuple[tuple[str, str, str], ...] = ()
    """The fit reports to link, in order of preference: (path, sha256 when the runs were made or
    "", when and on which commit it was re-measured, "2026-12-04, git 7cf9343", or "" for the
    calibration's own report); the re-measured one first."""

    @property
    def report(self) -> str | None:
        """The preferred fit report's path, or None."""
        return self.reports[0][0] if self.reports else None

    @property
    def remeasured(self) -> str:
        """When the preferred report was re-measured; empty for the calibration's own."""
        return self.reports[0][2] if self.reports else ""

    @property
    def calibrated(self) -> bool:
        return self.status.lower() not in ("", "not calibrated", "none", "uncalibrated")

    def short(self) -> str:
        """The status with its fit, for the page's meta line."""
        if self.calibrated and self.within is not None and self.targets:
            return f"{self.status}: {self.within} of {self.targets} fitted targets within ±25%"
        return self.status

    def text(self) -> str:
        """One sentence for the page."""
        if not self.calibrated:
            return (
                "Not calibrated: the behavioural parameters are plausible values from the "
                "literature, not fitted to observed migration data. Read the results as the "
                "direction and relative size of effects, not as forecasts."
            )
        out = sentence(self.status)  # the page labels it "Calibration."
        if self.within is not None and self.targets:
            out += f" {self.within} of {self.targets} fitted targets are reproduced within ±25%."
        lineage, measured = self.parts()
        said = measured or lineage
        if said:
            out += f" {sentence(said)}"
        return out

    def parts(self) -> tuple[str, str]:
        """The summary split into (what was fitted to what, the fit re-measured on the current
        model): the page says the second and folds the first away (`lineage`)."""
        lineage, marker, measured = self.summary.partition(REMEASURED)
        return (lineage.strip(), measured.strip()) if marker else ("", self.summary.strip())

    @property
    def lineage(self) -> str:
        """What was fitted to what (the calibration's blocks, files and targets), or ''."""
        return self.parts()[0]


_WITHIN_KEYS = ("targets_within_25", "within_25", "within_25pct", "n_within_25", "within")
_TOTAL_KEYS = ("targets", "n_targets", "targets_total", "fitted_targets", "n_fitted")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def calibration_of(manifest: dict) -> Calibration:
    """The manifest's `calibration` block (or the scenario's `calibration` key), read leniently."""
    block = manifest.get("calibration")
    if block is None:
        block = (manifest.get("scenario") or {}).get("calibration")
    if isinstance(block, str):
        return Calibration(status=block)
    if not isinstance(block, dict):
        return Calibration()
    summary = block.get("summary") if isinstance(block.get("summary"), str) else ""
    nested = block.get("summary") if isinstance(block.get("summary"), dict) else {}
    source = {**nested, **block}
    within = next((_int(source[k]) for k in _WITHIN_KEYS if k in source), None)
    total = next((_int(source[k]) for k in _TOTAL_KEYS if k in source), None)
    report = block.get("report") or block.get("fit_report")
    again = block.get("remeasured") if isinstance(block.get("remeasured"), dict) else {}
    reports = []
    if again.get("report"):
        commit = str(again.get("git_commit") or "")[:7]
        when = (str(again.get("date") or ""), f"git {commit}" if commit else "")
        remeasured = ", ".join(x for x in when if x) or "after the calibration"
        reports.append((str(again["report"]), str(again.get("report_sha256") or ""), remeasured))
    if report:
        reports.append((str(report), str(block.get("report_sha256") or ""), ""))
    return Calibration(
        status=str(block.get("status") or "calibrated"),
        within=within,
        targets=total,
        summary=summary or "",
        reports=tuple(reports),
    )


@dataclass(frozen=True)
class Evidence:
    """What the intervals of a comparison cover: replicates and kinds of uncertainty."""

    replicates: int
    uncertainty: str = "stochastic"  # "stochastic" or "parameters"
    calibration: Calibration = field(default_factory=Calibration)
    min_replicates: int = MIN_REPLICATES_CLEAR
    workers_per_agent: float | None = None

    @property
    def allows_clear(self) -> bool:
        return self.replicates >= self.min_replicates and self.uncertainty == "parameters"

    def covers(self) -> str:
        """What the 90% interval covers, in words."""
        if self.uncertainty == "parameters":
            what = (
                "parameter uncertainty (behavioural parameters drawn from the calibration "
                "posterior) and stochastic noise"
            )
        else:
            what = (
                "stochastic noise only (the model's own randomness, with the behavioural "
                "parameters fixed): it does not include uncertainty about the parameters, the "
                "data or the model's structure"
            )
        text = f"The 90% intervals come from {self.replicates} paired replicates and cover {what}."
        n = self.replicates
        # numpy's linear percentiles: the 5th lies at rank 0.05 (n - 1), at or below the second
        # lowest value while 0.05 (n - 1) <= 1
        if 1 < n < self.min_replicates and 0.05 * (n - 1) <= 1:
            text += (
                f" With {n} replicates, each end of an interval lies between the two most "
                "extreme values, so an interval is nearly the range of the runs and itself "
                "uncertain; more replicates (--replicates) give steadier intervals."
            )
        elif n == 1:
            text += " With one replicate, an interval is that run's value: no spread is measured."
        return text

    def clear_rule(self) -> str:
        """When the briefing calls a change clear, and whether any can be here."""
        rule = (
            "A change is called clear only when its 90% interval excludes zero, the comparison "
            f"has at least {self.min_replicates} replicates and the replicates carry parameter "
            "uncertainty."
        )
        if self.allows_clear:
            return rule
        missing = []
        if self.replicates < self.min_replicates:
            missing.append(f"{self.replicates} replicates")
        if self.uncertainty != "parameters":
            missing.append("no parameter uncertainty")
        return rule + f" This run has {' and '.join(missing)}, so no change is called clear."


def evidence_of(manifests: Sequence[dict], replicates: int) -> Evidence:
    """Evidence of a comparison: the weakest uncertainty and the baseline's calibration."""
    kinds = {str(m.get("uncertainty") or "stochastic") for m in manifests}
    uncertainty = "parameters" if kinds == {"parameters"} else "stochastic"
    first = manifests[0] if manifests else {}
    wpa = (first.get("scenario") or {}).get("scale", {}).get("workers_per_agent")
    return Evidence(
        replicates=int(replicates),
        uncertainty=uncertainty,
        calibration=calibration_of(first),
        workers_per_agent=float(wpa) if wpa else None,
    )


# --------------------------------------------------------------------------------------------------
# one change


@dataclass(frozen=True)
class Reading:
    """How to show one paired change: css class, mark and words."""

    css: str = ""
    mark: str = ""
    words: str = ""
    clear: bool = False
    relevant: bool = False


def finite(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def read_change(
    lo: float,
    med: float,
    hi: float,
    kind: str,
    better: int,
    evidence: Evidence,
    *,
    step: float | None = None,
) -> Reading:
    """Read a paired change (90% interval `lo`..`hi`, median `med`) of a metric of `kind`.

    `better` is +1 when higher is better, -1 when lower is better, 0 when neither. `step`, when
    given, is the smallest step of the value in one replicate (one simulated worker of a
    country's density): the relevance threshold is never below `STEPS_RELEVANT` of them, since a
    change of one step is the model's resolution, not an effect it resolves.
    """
    if not finite(lo, med, hi):
        return Reading(words="not available")
    if lo == hi == 0:
        return Reading(words="no change")
    limit = max(threshold(kind, evidence.workers_per_agent), STEPS_RELEVANT * (step or 0.0))
    relevant = abs(med) >= limit
    excludes = lo > 0 or hi < 0
    direction = "higher" if med > 0 else "lower"
    if not relevant:
        small = fmt.quote(limit, kind, 2).replace("%", " pp")
        return Reading(words=f"smaller than the relevance threshold ({small})")
    if not excludes:
        return Reading(words="the interval includes zero", relevant=True)
    clear = evidence.allows_clear
    css = ""
    if better:
        css = "better" if (med > 0) == (better > 0) else "worse"
    mark = {"better": "▲ better", "worse": "▼ worse"}.get(css, "")
    if clear and mark:
        mark = mark[:2] + "clearly " + mark[2:]
    if clear:
        words = f"clearly {direction}"
    else:
        words = f"{direction} (interval excludes zero; noise only)"
        if evidence.uncertainty == "parameters":
            words = f"{direction} (interval excludes zero; few replicates)"
    return Reading(css=css, mark=mark, words=words, clear=clear, relevant=True)
