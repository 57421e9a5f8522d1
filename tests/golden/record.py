"""Re-record the golden fingerprints: `python -m tests.golden.record` (deliberate changes)."""

from __future__ import annotations

import json
import sys

from tests.golden import pin_numpy_kernels

pin_numpy_kernels()  # before numpy is imported: the fingerprints the tests compare with

from tests.golden.cases import CASES, GOLDEN_FILE, run_case  # noqa: E402


def main() -> None:
    """Run every case and write tests/golden/results.json."""
    recorded = {}
    for name in CASES:
        print(f"recording {name}", file=sys.stderr)
        recorded[name] = run_case(name)
    GOLDEN_FILE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
