"""`hrhsim world`: summarise a world (the bundled one, the archetypes or a world file)."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "summarise the bundled world data"
DESCRIPTION = (
    "Summarise a world: number of countries, doctors and nurses/midwives, the WHO safeguards "
    "list countries, the imputations made for missing data, base year."
)
EPILOG = """\
examples:
  hrhsim world                         (the 194 WHO Member States)
  hrhsim world --kind archetypes       (the stylised five-country world)
  hrhsim world --file my_world.yaml    (a world file, same format as archetypes)
  hrhsim world --json
  hrhsim world --countries             (every country: its ISO3 code, name, region, ...)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind",
        choices=("global", "archetypes", "file"),
        default=None,
        help="which world (default: global, or file when --file is given)",
    )
    parser.add_argument("--file", metavar="F", help="world YAML file (with --kind file)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary (or with --countries the list) as JSON",
    )
    parser.add_argument(
        "--countries",
        action="store_true",
        help="list every country instead: ISO3 code (as scenario files name it), name, WHO "
        "region, income group, safeguards list, population, doctors and nurses per 10,000",
    )


def run(args: argparse.Namespace) -> int:
    from sim.errors import WorldError
    from sim.inputs.world import load_world

    kind = args.kind or ("file" if args.file else "global")
    if kind == "file" and not args.file:
        raise WorldError("--kind file needs --file F", expected="a world YAML file")
    if kind != "file" and args.file:
        raise WorldError(f"--file is only used with --kind file (not --kind {kind})")
    world = load_world(kind, args.file)
    if args.countries:
        rows = country_rows(world)
        print(json.dumps(rows, indent=2) if args.json else _format_countries(rows))
        return 0
    summary = world.summary()
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=False, default=_json_default))
        return 0
    print(_format_world_summary(kind, world, summary))
    return 0


def country_rows(world: Any) -> list[dict]:
    """One row per country of the world, in its order: what `--countries` lists."""
    return [
        {
            "iso3": str(world.iso3[i]),
            "name": str(world.name[i]),
            "who_region": str(world.who_region[i]),
            "income_group": str(world.income_group[i]),
            "safeguards": bool(world.safeguards[i]),
            "population": float(world.population[i]),
            "doctors_per_10k": float(world.doctors_density[i]),
            "nurses_per_10k": float(world.nurses_density[i]),
        }
        for i in range(len(world.iso3))
    ]


def _format_countries(rows: list[dict]) -> str:
    """`country_rows` as an aligned table (population in millions, densities per 10,000)."""
    width = max([len(r["name"]) for r in rows] + [4])
    lines = [
        f"{'ISO3':4}  {'name':{width}}  {'region':6}  {'income':6}  {'safeguards':10}  "
        f"{'pop (M)':>8}  {'doctors':>7}  {'nurses':>7}"
    ]
    for r in rows:
        lines.append(
            f"{r['iso3']:4}  {r['name']:{width}}  {r['who_region']:6}  {r['income_group']:6}  "
            f"{'yes' if r['safeguards'] else '':10}  {r['population'] / 1e6:8.2f}  "
            f"{r['doctors_per_10k']:7.1f}  {r['nurses_per_10k']:7.1f}"
        )
    return "\n".join(lines)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _imputed_codes(world: Any) -> dict[str, list[str]]:
    """Field -> ISO3 codes of the countries where that field was imputed."""
    out: dict[str, list[str]] = {}
    for code, entry in zip(getattr(world, "iso3", []), getattr(world, "imputed", []), strict=False):
        for field in filter(None, str(entry).split(";")):
            out.setdefault(field, []).append(str(code))
    return out


def _format_world_summary(kind: str, world: Any, summary: dict) -> str:
    """Human-readable lines for `World.summary()` (known keys first, then any others)."""
    used: set[str] = set()

    def take(*keys: str) -> Any:
        for key in keys:
            if key in summary:
                used.add(key)
                return summary[key]
        return None

    def number(x: Any) -> str:
        try:
            return f"{float(x):,.0f}"
        except (TypeError, ValueError):
            return str(x)

    def plural(n: int, word: str) -> str:
        if n == 1:
            return f"{n} {word}"
        return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"

    lines = [f"world: {take('kind') or kind}"]
    source = take("source")
    if source:
        lines.append(f"source: {source}")
    base_year = take("base_year")
    if base_year is not None:
        lines.append(f"base year: {base_year}")
    countries = take("n_countries", "countries")
    if isinstance(countries, (list, tuple)):
        countries = len(countries)
    lines.append(f"countries: {countries if countries is not None else len(world.iso3)}")
    for key, label in (
        ("population", "population"),
        ("doctors", "doctors"),
        ("nurses", "nurses and midwives"),
    ):
        value = take(key)
        if value is not None:
            lines.append(f"{label}: {number(value)}")
    safeguards = take("safeguards")
    take("n_safeguards")
    if isinstance(safeguards, (list, tuple)):
        lines.append(f"WHO safeguards list 2023: {plural(len(safeguards), 'country')}")
        lines.extend(_wrap(", ".join(map(str, safeguards))))
    reporting = take("ftd_reporting_destinations")
    if isinstance(reporting, (list, tuple)):
        lines.append(
            f"report foreign-trained doctors by origin (OECD): {plural(len(reporting), 'country')}"
        )
        lines.extend(_wrap(", ".join(map(str, reporting))))
    check = take("safeguards_recomputed")
    if isinstance(check, dict):
        lines.append(
            f"safeguards list recomputed ({check['criteria']}): "
            f"{plural(check['n_recomputed'], 'country')}"
        )
        lines.append(f"  recomputed, not published: {', '.join(check['recomputed_only']) or '-'}")
        lines.append(f"  published, not recomputed: {', '.join(check['published_only']) or '-'}")
    imputations = take("imputations")
    if isinstance(imputations, dict):
        codes = _imputed_codes(world)
        total = sum(int(v) for v in imputations.values() if isinstance(v, (int, float)))
        lines.append(f"imputations: {total} (by field)" if imputations else "imputations: none")
        for field, count in imputations.items():
            where = f" ({', '.join(codes[field])})" if codes.get(field) else ""
            lines.append(f"  {field}: {count}{where}")
    for key, value in summary.items():
        if key not in used:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def _wrap(text: str, width: int = 96, indent: str = "  ") -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent) or []
