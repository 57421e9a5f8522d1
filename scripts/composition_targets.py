"""The composition targets (calibration/composition/) from the OECD's 2018 counts of doctors.

    python scripts/composition_targets.py            # rewrites the four files
    python scripts/composition_targets.py --check    # exit 1 if any differs from the data

Reads `sim/data/ftd_doctors_2018.csv` (foreign-trained doctors by country of training in the
destinations that report them, built by scripts/build_world.py from the OECD's HEALTH_WFMI). An
origin is **established** at a destination when it is among its largest origins that together
hold `ESTABLISHED` of the destination's foreign-trained doctors in 2018 (largest first, the one
that crosses the line included; ties in name order). For each reporting destination with at
least `LARGE_DESTINATION` foreign-trained doctors and a complete list (not
`PARTIAL_LISTS`: Australia lists its 14 largest origins only), largest first, K01, K02... is the
share of its foreign-trained doctors trained in its established origins. Every third is held out
(K03, K06, ...; by size, so a reporter added to the data renumbers them), the others are fitted.
Marked approximate (~): the calibration compares the share with that of the model's arrivals over
2020-2025 trained in those origins (by country of training, wherever they come from: the
mapping's header says why). `joint_targets.csv` and `joint_mapping.yaml` are the global targets
(calibration/targets.csv and mapping.yaml) with these added, for calibration/composition_joint.yaml.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from europe_targets import COLUMNS, LARGE_DESTINATION, SOURCE, URL  # noqa: E402
from worldbuild.gravity import PARTIAL_LISTS  # noqa: E402

DATA = ROOT / "sim" / "data"
OUT = ROOT / "calibration" / "composition"
ESTABLISHED = 0.80
"""Share of a destination's foreign-trained doctors (2018) held by its established origins."""
HOLD_OUT_EVERY = 3
"""Every this-many-th target (by size) is held out, not fitted."""
COMPARED_YEARS = [2020, 2025]
"""The model's years whose arrivals are compared with the 2018 figure (the calibration's runs)."""
HEADER = """\
# Mapping of the composition targets (targets.csv here, written with this file by
# scripts/composition_targets.py from C13 of calibration/targets.csv: the OECD's 2018
# foreign-trained doctors by country of training) to model outputs (format: docs/calibration.md).
# Fitted by calibration/composition.yaml; do not edit by hand.
#
# Each figure is the share of a destination's foreign-trained doctors trained in its
# established origins (the largest that together held {established:.0%} of them in 2018). It is
# compared with the share of the model's arrivals of doctors in the destination over
# {first}-{last} (the calibration's runs; the years pooled) that come from the same origins, on
# the assumption that a destination recruits where its foreign-trained doctors already come
# from: its composition changes slowly (the UK's renewal from India, Pakistan and Nigeria since
# 2018 draws on established origins too). The figures are marked approximate ("~", +10% in
# quadrature) for that assumption. Arrivals are counted by country of training, wherever the
# worker comes from (arrivals.parquet: first and onward moves; a doctor coming home is not an
# arrival), as the 2018 stock is. The comparison measures the
# destination choice's weights on the diaspora network, the origin's propensity, distance,
# language and colonial ties (docs/calibration.md, "Where the destinations' doctors come from").
"""

JOINT_HEADER = """\
# The global mapping (calibration/mapping.yaml, whose comments say why each target is mapped as it
# is) with the composition targets of mapping.yaml here added, written by
# scripts/composition_targets.py for calibration/composition_joint.yaml; do not edit by hand.
"""


def established_shares(stocks: pd.DataFrame) -> pd.DataFrame:
    """Per reporting destination with a complete list: foreign-trained doctors, its established
    origins and their share; largest destination first.

    Args:
        stocks: rows (origin, destination, doctors), one per corridor (origin = destination rows,
            if any, are not foreign-trained and are left out).
    """
    rows = stocks[(stocks.origin != stocks.destination) & ~stocks.destination.isin(PARTIAL_LISTS)]
    out = []
    for destination, g in rows.groupby("destination"):
        g = g.sort_values(["doctors", "origin"], ascending=[False, True], kind="stable")
        total = float(g.doctors.sum())
        if total <= 0:
            continue
        held = g.doctors.cumsum().shift(fill_value=0) / total
        chosen = g[held < ESTABLISHED]
        out.append(
            {
                "destination": destination,
                "foreign": total,
                "established": tuple(sorted(chosen.origin)),
                "share": float(chosen.doctors.sum()) / total,
            }
        )
    if not out:
        raise ValueError("no reporting destination with a complete list of foreign-trained doctors")
    table = pd.DataFrame(out).set_index("destination")
    return table.sort_values("foreign", ascending=False, kind="stable")


def targets(table: pd.DataFrame) -> list[dict]:
    """K01... for the destinations with at least `LARGE_DESTINATION` foreign-trained doctors:
    the targets.csv row and the mapping entry of each."""
    large = table[table.foreign >= LARGE_DESTINATION]
    out = []
    for i, (code, row) in enumerate(large.iterrows(), start=1):
        n = len(row.established)
        out.append(
            {
                "id": f"K{i:02d}",
                "role": "holdout" if i % HOLD_OUT_EVERY == 0 else "fit",
                "code": code,
                "origins": list(row.established),
                "row": {
                    "use": "calibration",
                    "quantity": f"Share of the foreign-trained doctors of {code} trained in its "
                    f"{n} largest origins of 2018 ({', '.join(row.established)}), which held "
                    f"{ESTABLISHED:.0%} or more of them",
                    "value": f"~{100 * row.share:.1f}",
                    "unit": "%",
                    "year": 2018,
                    "geography": code,
                    "source": SOURCE,
                    "url_or_ref": URL,
                    "confidence": "primary-extract",
                },
            }
        )
    return out


def render() -> dict[str, str]:
    """The text of targets.csv, mapping.yaml, joint_targets.csv and joint_mapping.yaml."""
    table = established_shares(pd.read_csv(DATA / "ftd_doctors_2018.csv"))
    rows = targets(table)
    calibration = ROOT / "calibration"
    # the observation-error model of the Europe block's mapping, whose figures are of the same kind
    europe = yaml.safe_load((calibration / "europe" / "mapping.yaml").read_text(encoding="utf-8"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({"id": t["id"], **t["row"]} for t in rows)
    entries = {}
    for t in rows:
        entry = {"group": "flows", "role": t["role"], "year": list(COMPARED_YEARS), "stat": "mean"}
        if t["role"] == "holdout":
            entry["reason"] = (
                f"one destination in {HOLD_OUT_EVERY} (by size) is held out: does the fit carry "
                "to destinations it did not see?"
            )
        entry["unit_factor"] = 100
        entry["output"] = {
            "ratio": {
                "numerator": {"arrival": {"origins": t["origins"]}, "countries": [t["code"]],
                              "cadre": "doctors"},
                "denominator": {"arrival": {"origins": "foreign"}, "countries": [t["code"]],
                                "cadre": "doctors"},
            }
        }  # fmt: skip
        entries[t["id"]] = entry
    mapping = {
        "version": 1,
        "conventions": {"financial_year": [0.75, 0.25], "before_start_years": 3},
        "observation_error": europe["observation_error"],
        "policies": {},
        "targets": entries,
    }
    first, last = COMPARED_YEARS
    header = HEADER.format(established=ESTABLISHED, first=first, last=last)
    dump = {"sort_keys": False, "width": 100, "default_flow_style": None}
    joint = yaml.safe_load((calibration / "mapping.yaml").read_text(encoding="utf-8"))
    joint["targets"].update(entries)
    global_rows = (calibration / "targets.csv").read_text(encoding="utf-8").rstrip("\n") + "\n"
    return {
        "targets.csv": out.getvalue(),
        "mapping.yaml": header + yaml.safe_dump(mapping, **dump),
        "joint_targets.csv": global_rows + out.getvalue().split("\n", 1)[1],
        "joint_mapping.yaml": JOINT_HEADER + yaml.safe_dump(joint, **dump),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    texts = render()
    if args.check:
        differ = [n for n, t in texts.items() if not (OUT / n).is_file()
                  or (OUT / n).read_text(encoding="utf-8") != t]  # fmt: skip
        for name in texts:
            state = "differs from" if name in differ else "matches"
            print(f"{(OUT / name).relative_to(ROOT)} {state} the data")
        return 1 if differ else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {(OUT / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
