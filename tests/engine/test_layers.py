"""The engine's shape: no module over 600 lines, no import cycle (function-level imports included),
and the layering its docstrings promise (estimators never import what sits above them)."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
#: Modules above the estimators: nothing below them may import them.
ABOVE = {
    "commands", "compare", "explain", "measured", "calibration", "batch", "listings", "cli", "format", "plan",
    "planner", "curve", "charts", "format_plan",
}  # fmt: skip
ESTIMATORS = {"resolve", "serving", "service", "costs", "energy", "training", "chain", "provenance"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in ENGINE.rglob("*.py"):
        rel = p.relative_to(ENGINE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out[name] = p
    return out


def _imports(path: Path) -> set[str]:
    """Every engine module ``path`` imports, at any depth (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for b in node.body for n in ast.walk(b)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            out.add(node.module)
            if node.module == "engine":
                out |= {f"engine.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("engine")}
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(p) if i in mods and i != m and i != "engine"} for m, p in mods.items()}


def test_no_module_over_600_lines() -> None:
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in graph.get(m, ()):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(n) :], n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m)


def test_estimators_never_import_what_sits_above_them() -> None:
    graph = _graph()
    for m in ESTIMATORS:
        up = {i.removeprefix("engine.") for i in graph[f"engine.{m}"]} & ABOVE
        assert not up, f"engine.{m} imports {up}"
    assert "engine.format" not in graph["engine.results"]


def test_engine_never_imports_the_front_ends() -> None:
    for p in _modules().values():
        text = p.read_text(encoding="utf-8")
        assert "import bot" not in text and "from bot" not in text and "from excel" not in text, p
