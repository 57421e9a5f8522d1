"""Build `sim/data/world_110m.json`: simplified country outlines for the briefing's maps.

Source: Natural Earth 1:110m admin-0 countries (public domain), the `naturalearth_lowres`
shapefile as shipped in the geopandas 0.14 wheel (`../shared/data/raw/naturalearth_110m/` of the
workplace). The shapefile is not bundled; this script derives a compact JSON file from it:
each country's rings (longitude, latitude in degrees), simplified with the Douglas-Peucker
algorithm (tolerance 0.1 degree) and rounded to 0.01 degree. Antarctica is dropped (no health
workforce to map); Kosovo (`iso_a3` -99) is keyed `XKX`.

Usage (needs the `build` extra for pyshp):  python scripts/build_map.py [--source DIR] [--out FILE]
The output is deterministic: running it twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [base / "shared/data/raw/naturalearth_110m" for base in (ROOT.parent, ROOT.parents[1])]
"""Where the workplace keeps the shapefile: `shared/` beside the clone (or beside its parent)."""
DEFAULT_OUT = ROOT / "sim" / "data" / "world_110m.json"
TOLERANCE = 0.1  # degrees
DECIMALS = 2
DROPPED = {"ATA"}
CODES = {"-99": {"Kosovo": "XKX"}}


def simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification of a closed ring (first point repeated at the end)."""
    if len(points) <= 4:
        return points
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    # A closed ring: split at the point farthest from the start so that both halves are open.
    far = int(np.argmax(np.hypot(*(points - points[0]).T)))
    keep[far] = True
    stack = [(0, far), (far, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        seg = b - a
        rel = points[i + 1 : j] - a
        norm = float(np.hypot(*seg))
        if norm == 0:
            dist = np.hypot(*rel.T)
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            m = i + 1 + k
            keep[m] = True
            stack += [(i, m), (m, j)]
    return points[keep]


def build(source: Path) -> dict:
    import shapefile  # pyshp, in the `build` extra

    reader = shapefile.Reader(str(source / "naturalearth_lowres"))
    countries: dict[str, dict] = {}
    for item in reader.iterShapeRecords():
        rec = item.record.as_dict()
        code = str(rec["iso_a3"])
        code = CODES.get(code, {}).get(rec["name"], code)
        if code in DROPPED or code == "-99":
            continue
        shape = item.shape
        points = np.asarray(shape.points, dtype=float)
        bounds = [*shape.parts, len(points)]
        rings = []
        for start, end in itertools.pairwise(bounds):
            ring = simplify(points[start:end], TOLERANCE).round(DECIMALS)
            ring = ring[np.r_[True, np.any(np.diff(ring, axis=0) != 0, axis=1)]]
            if len(ring) >= 4:
                rings.append(ring.tolist())
        if rings:
            entry = countries.setdefault(code, {"name": str(rec["name"]), "rings": []})
            entry["rings"] += rings
    return {
        "source": "Natural Earth 1:110m admin-0 countries (naturalearth_lowres, version 5.x)",
        "licence": "public domain (Natural Earth)",
        "built_by": "scripts/build_map.py",
        "simplification": f"Douglas-Peucker {TOLERANCE} degree, rounded to {DECIMALS} decimals",
        "coordinates": "longitude, latitude (degrees, WGS84)",
        "countries": dict(sorted(countries.items())),
    }


def write(data: dict, out: Path) -> None:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = next((p for p in SOURCES if p.is_dir()), SOURCES[0])
    parser.add_argument("--source", type=Path, default=default)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = build(args.source)
    write(data, args.out)
    n = sum(len(r) for c in data["countries"].values() for r in c["rings"])
    print(f"{args.out}: {len(data['countries'])} countries, {n} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
