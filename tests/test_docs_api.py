"""docs/api.md: every Python block runs, in order, and does what the page says."""

from __future__ import annotations

import re

import pandas as pd

from tests.model_helpers import ROOT

API = ROOT / "docs" / "api.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", API.read_text(encoding="utf-8"), flags=re.S)


def test_api_page_examples_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)  # results/api-example is written here, not in the repository
    blocks = _blocks()
    assert len(blocks) >= 6
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md block {i}", "exec"), namespace)
    results, again = namespace["results"], namespace["again"]
    assert isinstance(results.indicators, pd.DataFrame)
    assert sorted(results.indicators.replicate.unique()) == [0, 1, 2]
    assert results.indicators.year.max() == 2027
    assert set(namespace["density"].country) == {"XSR", "XEX"}
    assert (tmp_path / "results" / "api-example" / "manifest.json").is_file()
    assert len(again.indicators.replicate.unique()) == 2
    assert namespace["model"].steps == 4
    summary = results.summary()
    assert "safeguards_density" in set(summary.outcome)
    assert "safeguards_density" in capsys.readouterr().out


def test_the_api_is_importable_lazily():
    import subprocess
    import sys

    code = (
        "import sys, sim; print(sorted(m for m in ('numpy', 'pandas', 'mesa', 'numba') "
        "if m in sys.modules)); sim.run; print('numba' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split("\n")
    assert out[0] == "[]"  # `import sim` loads none of the heavy libraries
    assert out[1] == "True"  # `sim.run` loads the model on first use
