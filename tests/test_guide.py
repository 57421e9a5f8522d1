"""The user guide's examples are shipped and work: every file it shows is in `docs/examples/` with
the content it shows, and every command it shows runs (in order, in a scratch copy of the
scenarios) with the exit status and the error messages it shows."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
EXAMPLES = ROOT / "docs" / "examples"
HRHSIM = Path(sys.executable).with_name("hrhsim")

pytestmark = pytest.mark.slow


def blocks(kind: str) -> list[tuple[int, str]]:
    """(offset, body) of every fenced block of `kind` in the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(m.start(), m.group(1)) for m in re.finditer(rf"```{kind}\n(.*?)\n```", text, re.S)]


def yaml_examples() -> list[tuple[str, str]]:
    """(path, body) of every YAML block: the path is its first-line comment or the last
    `scenarios/...yaml` named in the text just before it."""
    text = GUIDE.read_text(encoding="utf-8")
    out = []
    for start, body in blocks("yaml"):
        first = body.splitlines()[0]
        m = re.match(r"#\s*(scenarios/[\w/]+\.yaml)", first)
        if m:
            path = m.group(1)
        else:
            before = text[max(0, start - 400) : start]
            named = re.findall(r"`(scenarios/[\w/]+\.yaml)`", before)
            assert named, f"YAML example without a file name: {first!r}"
            path = named[-1]
        out.append((path, body))
    return out


def test_every_yaml_example_is_shipped_with_the_content_shown():
    examples = yaml_examples()
    assert len(examples) >= 6
    for path, body in examples:
        # A guide example in docs/examples/, or a scenario of the library the guide annotates.
        shipped = EXAMPLES / path if (EXAMPLES / path).is_file() else ROOT / path
        assert shipped.is_file(), f"{path} is shown in the guide but not shipped"
        assert yaml.safe_load(shipped.read_text(encoding="utf-8")) == yaml.safe_load(body), path


def test_the_typos_give_the_errors_shown(tmp_path):
    expected = [
        line
        for _, body in blocks("text")
        for line in body.splitlines()
        if re.match(r"error: scenarios/typo\d\.yaml", line)
    ]
    assert len(expected) == 4
    work = _workspace(tmp_path, typos=True)
    for line in expected:
        name = re.match(r"error: (scenarios/typo\d\.yaml)", line).group(1)
        proc = _run(f"hrhsim validate {name}", work)
        assert proc.returncode == 2
        assert line in proc.stderr.splitlines(), proc.stderr


def _workspace(tmp_path: Path, *, typos: bool = False) -> Path:
    """A scratch folder with the repository's scenarios and the guide's example files (not the
    world file, which a command of the guide creates). Commands naming `sim/` read the
    repository's (a scratch `sim/` folder would shadow the package in `python -c`)."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "scenarios", work / "scenarios")
    # the shipped scenarios extend the calibration's fitted parameters
    shutil.copytree(
        ROOT / "calibration", work / "calibration", ignore=shutil.ignore_patterns("recovery")
    )
    for path in (EXAMPLES / "scenarios").rglob("*.yaml"):
        rel = path.relative_to(EXAMPLES)
        if path.name == "my_world.yaml" or (path.name.startswith("typo") and not typos):
            continue
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / rel)
    return work


def _run(command: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    args = shlex.split(command, comments=True)
    if args[0] == "hrhsim":
        args[0] = str(HRHSIM)
    elif args[0] == "python":
        args[0] = sys.executable
    elif args[0] == "dask":
        args = [sys.executable, "-m", "distributed.cli.dask_" + args[1], *args[2:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def console_commands() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every `$ ` line of the guide's console blocks."""
    out: list[tuple[str, list[str]]] = []
    for _, body in blocks("console"):
        lines = body.splitlines()
        k = 0
        while k < len(lines):
            line = lines[k]
            if line.startswith("$ "):
                command = line[2:]
                while command.endswith("\\"):
                    k += 1
                    command = command[:-1] + " " + lines[k].strip()
                out.append((command, []))
            elif out:
                out[-1][1].append(line)
            k += 1
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_command_of_the_guide_runs_as_shown(tmp_path):
    work = _workspace(tmp_path)
    commands = console_commands()
    assert len(commands) >= 20
    port = _free_port()
    background: list[subprocess.Popen] = []
    ran = 0
    try:
        for command, expected in commands:
            command = command.replace("8786", str(port))
            args = shlex.split(command)
            assigned = {}  # leading NAME=value words: the command's environment, as in a shell
            while args and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", args[0]):
                name, value = args.pop(0).split("=", 1)
                assigned[name] = value
            if args[0] == "dask":  # scheduler and worker run in the background
                background.append(
                    subprocess.Popen(
                        [sys.executable, "-m", f"distributed.cli.dask_{args[1]}", *args[2:]],
                        cwd=work,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        env={**os.environ, **assigned},
                    )
                )
                time.sleep(3 if args[1] == "scheduler" else 5)
                continue
            if command.startswith("cp "):
                command = command.replace(" sim/", f" {ROOT}/sim/")
                proc = subprocess.run(command, shell=True, cwd=work, check=False)
                assert proc.returncode == 0, command
                # "then edit": Sourceland's nurses_density 12 -> 20, as the guide says.
                edited = work / "scenarios" / "my_world.yaml"
                text = edited.read_text(encoding="utf-8")
                edited.write_text(
                    text.replace("    nurses_density: 12\n", "    nurses_density: 20\n", 1),
                    encoding="utf-8",
                )
                shipped = EXAMPLES / "scenarios" / "my_world.yaml"
                assert edited.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
                shutil.copyfile(
                    EXAMPLES / "scenarios" / "my_world_baseline.yaml",
                    work / "scenarios" / "my_world_baseline.yaml",
                )
                continue
            proc = _run(command, work)
            errors = [line for line in expected if line.startswith("error:")]
            if errors:
                assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
                for line in errors:
                    assert line in proc.stderr.splitlines(), (command, proc.stderr)
            else:
                assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
                for line in expected:
                    if line.startswith("OK "):
                        assert line in proc.stdout.splitlines(), (command, proc.stdout)
                if expected and not expected[0].startswith(("OK", "error")):
                    first = expected[0].split()[0]
                    assert first in proc.stdout, (command, first, proc.stdout[-2000:])
            ran += 1
    finally:
        for p in background:
            p.terminate()
        for p in background:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert ran >= 18
    # The guide's Python example reads the sweep it ran.
    code = next(body for _, body in blocks("python") if "load_runs" in body)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=work, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "safeguards_density" in proc.stdout
