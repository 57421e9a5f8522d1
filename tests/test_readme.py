"""The README opens with the two commands for a fresh machine, and CI runs the test command."""

from __future__ import annotations

import re

from tests.model_helpers import ROOT


def readme_commands() -> list[str]:
    """The bash code blocks at the top of the README, in order."""
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_opens_with_two_single_line_commands():
    text = (ROOT / "README.md").read_text()
    head = text.split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", head, flags=re.S)
    assert len(blocks) == 2
    assert all("\n" not in b for b in blocks)
    assert "hrhsim" in blocks[0] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()


def test_readme_main_job_uses_shipped_scenarios():
    for path in re.findall(r"scenarios/[\w*]+\.yaml", readme_commands()[0]):
        if "*" not in path:
            assert (ROOT / path).exists(), path
