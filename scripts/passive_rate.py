"""The passive rate of ethical recruitment, read from the UK's code after Nigeria's red listing.

    python scripts/passive_rate.py [--replicates 20] [--rates 0.3 0.5 0.7 0.9 1.0] [--seed 7]

The UK's code of practice for international recruitment put Nigeria on its red list (no active
recruitment by employers, agencies or contractors) with the WHO's 2023 safeguards list, from
April 2023. The world data record the code (`recruitment_channels.csv`; the model applies it from
2023 with the 2023 list, `World.ethical_code_from`), and `behaviour.national_code_passive_rate` is
the share of such a country's applicants who still get a post by applying on their own (docs/ODD.md
§7.5; the lever's `policies.ethical_recruitment.passive_rate` takes the same reading as its
default). This script compares:

1. **Observed.** Nigeria's share of the NMC register's internationally educated first-time
   joiners before the listing (2021/22: C07 over C02) and after it (April 2023 to September
   2024), the ratio of the two. After the listing, Nigeria's joiners are the growth of the
   register's Nigeria-educated (C37, September 2022 to September 2024) plus the leavers at the
   international cohort's leaving rate, less the October 2022 to March 2023 months (before the
   listing) at the share before; the international joiners are from the NMC's reports
   (`sim/data/raw/literature/uk_register_joiners.csv`). The low end counts no leavers; the high
   end 2.7% a year and the whole window at one share.
2. **Model.** The calibration's scenario (`calibration/global.yaml`: the world from 2020 at the
   shipped parameters), with the UK's code at each passive rate (from 2023, on the safeguards
   list, as the world data have it), the same seeds for every rate: Nigeria's share of the UK's
   nurse arrivals trained abroad in 2021/22 (three quarters of 2021, one of 2022) and in April
   2023 to September 2024 (three quarters of 2023 and of 2024), pooled over the replicates, with
   a 90% bootstrap interval over them. At a passive rate of 1 the listing changes nothing, so that
   row is the model's own trend.
3. **The rates the observed ratio allows**, by interpolation in the model's pooled ratios; and
   the same for the NMC's direct counts of Nigeria's joiners in 2023/24 and 2024/25 over 2021/22
   (`direct_share_ratios`), each on the model's ratio over the count's own years
   (`DIRECT_WINDOWS`: April to March, as quarters of calendar years).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibrate.targets import parse_value  # noqa: E402

TARGETS = ROOT / "calibration" / "targets.csv"
JOINERS = ROOT / "sim" / "data" / "raw" / "literature" / "uk_register_joiners.csv"
ORIGIN, DESTINATION, CADRE = "NGA", "GBR", "nurses"
BEFORE = {2021: 0.75, 2022: 0.25}
"""2021/22 (April to March) as weights of calendar years (the calibration's convention)."""
AFTER = {2023: 0.75, 2024: 0.75}
"""April 2023 to September 2024."""
_YEAR_2023_24, _YEAR_2024_25 = {2023: 0.75, 2024: 0.25}, {2024: 0.75, 2025: 0.25}
DIRECT_WINDOWS = {
    "2023/24": _YEAR_2023_24,
    "2024/25": _YEAR_2024_25,
    "both years": {
        y: _YEAR_2023_24.get(y, 0.0) + _YEAR_2024_25.get(y, 0.0)
        for y in sorted({*_YEAR_2023_24, *_YEAR_2024_25})
    },
}
"""The years of the NMC's direct counts (April to March) as weights of calendar years, the windows
on which the model reads each of `direct_share_ratios` (the two years together: their sum)."""
RATES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def read_figures(targets: Path = TARGETS, joiners: Path = JOINERS) -> dict[str, float]:
    """The published figures the estimate uses, by name.

    Raises:
        ValueError: naming the file and the row or column, if one is missing or not a number.
    """
    table = pd.read_csv(targets, dtype=str).set_index("id")
    figures: dict[str, float] = {}
    for target, names in {"C02": ("C02",), "C03": ("C03",), "C04": ("C04",), "C07": ("C07",),
                          "C37": ("C37a", "C37b")}.items():  # fmt: skip
        if target not in table.index:
            raise ValueError(f"{targets}: no row {target} (expected the NMC's figure)")
        values = parse_value(table.loc[target, "value"])
        inexact = [v for v in values if v is None or v.approximate or v.bound or v.low is not None]
        if len(values) != len(names) or inexact:
            raise ValueError(
                f"{targets}: row {target}, column value: expected {len(names)} exact number(s) "
                f"(not approximate, a bound or a range: the ratios need counts), "
                f"got {table.loc[target, 'value']!r}"
            )
        figures.update({name: v.value for name, v in zip(names, values, strict=True)})
    rows = pd.read_csv(joiners, dtype=str)
    wanted = ("intl_joiners_2022_23", "joiners_h1_2022_23", "uk_joiners_h1_2022_23",
              "intl_joiners_h1_2024_25", "intl_leaving_rate_2023_24",
              "intl_leaving_rate_2024_25", "nga_joiners_2023_24",
              "nga_joiners_change_2024_25")  # fmt: skip
    for name in wanted:
        match = rows[rows["name"] == name]
        if len(match) != 1:
            raise ValueError(f"{joiners}: expected one row named {name!r}, found {len(match)}")
        try:
            figures[name] = float(match["value"].iloc[0])
        except ValueError:
            raise ValueError(
                f"{joiners}: row {name!r}, column value: expected a number, "
                f"got {match['value'].iloc[0]!r}"
            ) from None
    return figures


def share_before(figures: dict[str, float]) -> float:
    """Nigeria's share of the UK's international joiners in 2021/22, before the listing (C07
    over C02)."""
    return figures["C07"] / figures["C02"]


def observed_share_ratio(figures: dict[str, float], leaving_rate: float,
                         before_at_old_share: bool = True) -> float:  # fmt: skip
    """Nigeria's share of the UK's international joiners after the listing over before.

    Args:
        figures: `read_figures`'s values.
        leaving_rate: leavers a year over the Nigeria-educated on the register (share, not %).
        before_at_old_share: count October 2022 to March 2023 (before the listing) at the share
            of 2021/22 and leave it out of the after share; False: the whole window at one share.

    Returns:
        The ratio (1: the listing left Nigeria's share where it was).
    """
    before = share_before(figures)
    intl_h1_2022 = figures["joiners_h1_2022_23"] - figures["uk_joiners_h1_2022_23"]
    intl_h2_2022 = figures["intl_joiners_2022_23"] - intl_h1_2022  # October 2022 to March 2023
    intl = intl_h2_2022 + figures["C03"] + figures["intl_joiners_h1_2024_25"]
    on_register = (figures["C37a"], figures["C37b"])  # 30 September 2022 and 2024
    leavers = leaving_rate * 2.0 * (on_register[0] + on_register[1]) / 2.0
    joined = on_register[1] - on_register[0] + leavers
    if before_at_old_share:
        joined -= before * intl_h2_2022
        intl -= intl_h2_2022
    return (joined / intl) / before


def observed_range(figures: dict[str, float]) -> dict[str, float]:
    """The low, central and high observed ratios (see the module's docstring)."""
    return {
        "low": observed_share_ratio(figures, 0.0),
        "central": observed_share_ratio(figures, figures["intl_leaving_rate_2023_24"] / 100),
        "high": observed_share_ratio(
            figures, figures["intl_leaving_rate_2024_25"] / 100, before_at_old_share=False
        ),
    }


def direct_share_ratios(figures: dict[str, float]) -> dict[str, float]:
    """Nigeria's share of the UK's international joiners in each full year after the listing,
    over its share in 2021/22, from the NMC's own counts of Nigeria's joiners (2023/24: 3,173;
    2024/25: 25.5% fewer) rather than from the register's growth."""
    before = share_before(figures)
    joined_2023 = figures["nga_joiners_2023_24"]
    joined_2024 = joined_2023 * (1 + figures["nga_joiners_change_2024_25"] / 100)
    both = (joined_2023 + joined_2024) / (figures["C03"] + figures["C04"])
    return {
        "2023/24": joined_2023 / figures["C03"] / before,
        "2024/25": joined_2024 / figures["C04"] / before,
        "both years": both / before,
    }


def window_sums(
    table: pd.DataFrame, replicates: int, after: dict[int, float] = AFTER
) -> np.ndarray:
    """Arrivals in the UK's nurses by replicate: (R, 4) = Nigeria's and all foreign-trained
    arrivals before (`BEFORE`), then in the window `after` (workers, the windows' weights
    applied). `table`: the arrivals table (by country of training, `origin`, and country entered,
    `country`), as the NMC counts its joiners: an onward move counts under the country of
    training, and a UK-trained nurse coming home is no arrival."""
    arrivals = table[(table.country == DESTINATION) & (table.cadre == CADRE)
                     & (table.origin != DESTINATION)]  # fmt: skip
    out = np.zeros((replicates, 4))
    for column, (window, origin) in enumerate(
        ((BEFORE, ORIGIN), (BEFORE, None), (after, ORIGIN), (after, None))
    ):
        for year, weight in window.items():
            rows = arrivals[(arrivals.year == year)
                            & ((arrivals.origin == origin) if origin else True)]  # fmt: skip
            by_rep = rows.groupby("replicate").workers.sum()
            out[by_rep.index.to_numpy(), column] += weight * by_rep.to_numpy()
    return out


def pooled_ratio(sums: np.ndarray) -> float:
    """Nigeria's pooled share after over its pooled share before, from `window_sums` rows."""
    total = sums.sum(axis=0)
    return float((total[2] / total[3]) / (total[0] / total[1]))


def bootstrap_interval(sums: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """The 5th and 95th percentiles of `pooled_ratio` over replicates drawn with replacement."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), size=(draws, len(sums)))
    ratios = [pooled_ratio(sums[p]) for p in picks]
    return float(np.percentile(ratios, 5)), float(np.percentile(ratios, 95))


def rate_at(ratio: float, rates: np.ndarray, model: np.ndarray) -> str:
    """The passive rate at which the model's pooled ratio equals `ratio` (linear between the
    rates run), or where it lies outside them."""
    order = np.argsort(model)
    if ratio < model[order[0]]:
        return f"below {rates[order[0]]:.1f}"
    if ratio > model[order[-1]]:
        return f"{rates[order[-1]]:.1f} or above (the model's own trend)"
    return f"{np.interp(ratio, model[order], rates[order]):.2f}"


def calibration_scenario():
    """The calibration's scenario (`calibration/global.yaml`: the world from 2020 at the shipped
    parameters)."""
    from sim.calibrate.plan import make_plan
    from sim.calibrate.spec import load_spec

    return make_plan(load_spec(ROOT / "calibration" / "global.yaml")).scenario


def _scenario(rate: float, base=None):
    """`base` (default: `calibration_scenario()`) with the codes of practice of the world data
    (the UK's) at the passive rate `rate` (1: as if there were none)."""
    base = calibration_scenario() if base is None else base
    return base.with_overrides({"behaviour.national_code_passive_rate": rate})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.replicates < 2:
        parser.error("--replicates: expected at least 2 (the interval draws replicates)")
    if any(not 0.0 <= r <= 1.0 for r in args.rates):
        parser.error(f"--rates: expected shares from 0 to 1, got {args.rates}")
    try:
        figures = read_figures()
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    observed = observed_range(figures)
    before = share_before(figures)
    print(f"Observed: Nigeria's share of the UK's international nurse joiners after the listing "
          f"over before: {observed['central']:.3f} (low {observed['low']:.3f}, "
          f"high {observed['high']:.3f}); before {before:.4f}")  # fmt: skip

    import sim

    rates = np.array(sorted(set(args.rates)))
    base = calibration_scenario()
    pooled = []
    direct_model: dict[str, list[float]] = {name: [] for name in DIRECT_WINDOWS}
    print(f"\nModel ({args.replicates} replicates, seed {args.seed}; Nigeria's shares before "
          "and after, pooled; the ratio and its 90% bootstrap interval):\n")  # fmt: skip
    print("| passive rate | share before | share after | ratio | 90% interval |")
    print("|---|---|---|---|---|")
    for rate in rates:
        scenario = _scenario(float(rate), base)
        results = sim.run(scenario, replicates=args.replicates, seed=args.seed)
        sums = window_sums(results.arrivals, args.replicates)
        total = sums.sum(axis=0)
        low, high = bootstrap_interval(sums)
        pooled.append(pooled_ratio(sums))
        for name, window in DIRECT_WINDOWS.items():
            direct_sums = window_sums(results.arrivals, args.replicates, window)
            direct_model[name].append(pooled_ratio(direct_sums))
        print(f"| {rate:.1f} | {total[0] / total[1]:.3f} | {total[2] / total[3]:.3f} | "
              f"{pooled[-1]:.3f} | {low:.3f}-{high:.3f} |", flush=True)  # fmt: skip
    model = np.array(pooled)
    print(
        "\nPassive rates at which the model's ratio is the observed one: "
        + ", ".join(f"{k} {rate_at(v, rates, model)}" for k, v in observed.items())
    )
    direct = direct_share_ratios(figures)
    print("\nFrom the NMC's direct counts of Nigeria's joiners over 2021/22, each read on the "
          "model's ratio over the count's own years (April to March):\n")  # fmt: skip
    print("| count | observed | " + " | ".join(f"model at {r:.1f}" for r in rates) + " | rate |")
    print("|---|---|" + "---|" * len(rates) + "---|")
    for name, value in direct.items():
        curve = np.array(direct_model[name])
        print(f"| {name} | {value:.3f} | " + " | ".join(f"{m:.3f}" for m in curve)
              + f" | {rate_at(value, rates, curve)} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
