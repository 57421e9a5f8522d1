"""Architecture checks: module sizes, and imports that point only down the layers, without cycles.

The layers of the package (docs/architecture.md), lowest first; a module may import modules of its
own layer or of lower layers, never of a higher one, and the two packages of the sixth layer
(`compare`, `sweep`) do not import each other (`calibrate`, above them, runs on the sweeps' Dask
execution). Every import counts, including the ones inside functions (lazy imports) and under
`TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.model_helpers import ROOT

SIM = ROOT / "sim"
LAYERS = (
    ("sim", "sim.errors", "sim.declarations"),
    ("sim.inputs",),
    ("sim.model",),
    ("sim.engines",),
    ("sim.outputs",),
    ("sim.runner",),
    ("sim.compare", "sim.sweep"),
    ("sim.calibrate",),
    ("sim.cli",),
    ("sim.__main__",),
)
PENDING: set[tuple[str, str]] = set()
"""Upward imports still to be removed (the set only shrinks; empty since the hardening issue moved
the subcommands' argument code into `sim.cli`)."""
OVERSIZE: set[str] = set()
"""Modules over the limit. Each must still be over the limit (so the set only shrinks): delete an
entry when its module is split (empty since the briefing's figures and sections were split)."""
MAX_LINES = 600
STEP_ORDER_MAX_LINES = 250


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _group(module: str) -> tuple[int, str]:
    """(layer, unit): the unit is the layer entry the module belongs to (longest match)."""
    best = None
    for level, entries in enumerate(LAYERS):
        for entry in entries:
            inside = module == entry or module.startswith(entry + ".")
            if inside and (best is None or len(entry) > len(best[1])):
                best = (level, entry)
    assert best is not None, f"{module} is in no layer"
    return best


def _imports(path: Path, module: str) -> set[str]:
    """Every `sim` module imported anywhere in the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n == "sim" or n.startswith("sim."))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path, name):
            # `from sim.x import y`: y may be a module or a name in module sim.x
            target = imported if imported in modules else imported.rpartition(".")[0]
            # A module's own packages are imported before it anyway (Python's package import).
            if target in modules and not (name == target or name.startswith(target + ".")):
                targets.add(target)
        graph[name] = targets
    return graph


def test_every_module_is_in_a_layer():
    for module in _modules():
        _group(module)


def test_imports_point_only_down_the_layers():
    wrong, pending = [], set()
    for module, targets in _graph().items():
        level, unit = _group(module)
        for target in targets:
            t_level, t_unit = _group(target)
            if target == "sim":  # the package's lazy API names nothing below it at import time
                continue
            if t_level > level or (t_level == level and t_unit != unit and level > 0):
                if (module, target) in PENDING:
                    pending.add((module, target))
                    continue
                wrong.append(f"{module} (layer {level}) imports {target} (layer {t_level})")
    assert not wrong, "\n".join(sorted(wrong))
    assert pending == PENDING, f"stale entries in PENDING: {PENDING - pending}"


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_is_over_600_lines_and_the_step_order_fits_250():
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _modules().items()
    }
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert set(too_long) - OVERSIZE == set(), f"modules over {MAX_LINES} lines: {too_long}"
    assert set(too_long) >= OVERSIZE, f"split, delete from OVERSIZE: {OVERSIZE - set(too_long)}"
    assert sizes["sim.model.model"] <= STEP_ORDER_MAX_LINES


def test_the_checks_see_real_violations(tmp_path):
    """The import parser finds lazy and relative imports (so the layer test can fail)."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from sim.cli import main\nfrom .x import y\n", encoding="utf-8")
    found = _imports(path, "sim.model.m")
    assert {"sim.cli", "sim.cli.main", "sim.model.x", "sim.model.x.y"} <= found
    assert _group("sim.model.model") == (2, "sim.model")
    assert _group("sim.cli.app")[0] > _group("sim.runner")[0]


def test_docs_architecture_names_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(SIM).as_posix()
        package = rel.split("/")[0] + "/"
        if path.name in ("__init__.py", "__main__.py") and rel.count("/"):
            continue
        if f"`{rel}`" not in text and f"`{package}`" not in text:
            missing.append(rel)
    assert not missing, f"docs/architecture.md does not mention {missing}"
