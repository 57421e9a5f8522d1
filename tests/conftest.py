"""Test-session settings: quiet Mesa logging; list CI artefacts (screenshots) at the end."""

from __future__ import annotations

import logging
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "results" / "ci-artifacts"
_STARTED = time.time()

logging.getLogger("MESA").setLevel(logging.WARNING)


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the artefacts (e.g. the briefing screenshot) that this test session wrote."""
    if not ARTIFACTS.is_dir():
        return
    fresh = sorted(p for p in ARTIFACTS.iterdir() if p.stat().st_mtime >= _STARTED)
    if fresh:
        terminalreporter.write_sep("-", "CI artefacts")
        for path in fresh:
            terminalreporter.write_line(str(path))
