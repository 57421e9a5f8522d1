"""The European composition targets (calibration/europe/targets.csv) from the OECD's 2018 counts.

    python scripts/europe_targets.py            # rewrites calibration/europe/targets.csv
    python scripts/europe_targets.py --check    # exit 1 if the file differs from the data

Reads `sim/data/ftd_doctors_2018.csv` (foreign-trained doctors by country of training in the
destinations that report them, built by scripts/build_world.py from the OECD's HEALTH_WFMI) and
writes, for the EU/EEA/Swiss destinations that report (the area of free movement,
`countries.csv` `free_movement`), the share of their foreign-trained doctors trained in another
member: E01 for the 14 together, then one figure for each destination with at least
`LARGE_DESTINATION` foreign-trained doctors (E02 onward, largest first). Marked approximate (~):
the calibration compares the 2018 stock with the model's at the end of 2025
(calibration/europe/mapping.yaml).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sim" / "data"
OUT = ROOT / "calibration" / "europe" / "targets.csv"
LARGE_DESTINATION = 5_000
"""Foreign-trained doctors (2018) of a destination given its own figure."""
SOURCE = (
    "OECD Health Statistics, HEALTH_WFMI, foreign-trained doctors by country of origin (C13 of "
    "calibration/targets.csv; sim/data/ftd_doctors_2018.csv)"
)
URL = "data/oecd/oecd_health_wfmi_foreign_trained_doctors_stock_2018_by_origin.csv"
COLUMNS = ["id", "use", "quantity", "value", "unit", "year", "geography", "source",
           "url_or_ref", "confidence"]  # fmt: skip


def area_shares(stocks: pd.DataFrame, area: set[str]) -> pd.DataFrame:
    """Per reporting destination in the area: foreign-trained doctors, those trained in another
    member, and their share; largest first.

    Args:
        stocks: rows (origin, destination, doctors), one per corridor (origin = destination rows,
            if any, are not foreign-trained and are left out).
        area: ISO3 codes of the members.
    """
    rows = stocks[(stocks.origin != stocks.destination) & stocks.destination.isin(area)]
    rows = rows.assign(member=rows.origin.isin(area))
    table = rows.groupby("destination").agg(
        foreign=("doctors", "sum"),
        member=("doctors", lambda x: x[rows.loc[x.index, "member"]].sum()),
    )
    table["share"] = table.member / table.foreign
    return table.sort_values("foreign", ascending=False)


def target_rows(table: pd.DataFrame) -> list[dict]:
    """E01 (every reporting destination together), then E02... for the large ones."""
    names = ", ".join(sorted(table.index))
    member, foreign = int(table.member.sum()), int(table.foreign.sum())
    rows = [
        {
            "quantity": f"Share of the foreign-trained doctors of the {len(table)} EU/EEA/Swiss "
            f"destinations that report them by origin ({names}) who trained in another "
            f"EU/EEA/Swiss country ({member:,} of {foreign:,})",
            "value": member / foreign,
            "geography": "EU/EEA/CH",
        }
    ]
    for code, row in table[table.foreign >= LARGE_DESTINATION].iterrows():
        rows.append(
            {
                "quantity": f"Share of the foreign-trained doctors of {code} who trained in "
                f"another EU/EEA/Swiss country ({int(row.member):,} of {int(row.foreign):,})",
                "value": row.member / row.foreign,
                "geography": code,
            }
        )
    fixed = {"use": "calibration", "unit": "%", "year": 2018, "source": SOURCE,
             "url_or_ref": URL, "confidence": "primary-extract"}  # fmt: skip
    return [
        {
            **fixed,
            "id": f"E{i:02d}",
            "quantity": r["quantity"],
            "value": f"~{100 * r['value']:.1f}",
            "geography": r["geography"],
        }
        for i, r in enumerate(rows, start=1)
    ]


def render() -> str:
    countries = pd.read_csv(DATA / "countries.csv")
    area = set(countries.loc[countries.free_movement == 1, "iso3"])
    table = area_shares(pd.read_csv(DATA / "ftd_doctors_2018.csv"), area)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(target_rows(table))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.relative_to(ROOT)} {'matches' if same else 'differs from'} the data")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
