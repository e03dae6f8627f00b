"""Charts of plans and curves: the data comes from the engine (pure); matplotlib draws it, imported
only inside ``engine.charts.png`` (the engine's one exception to pydantic + standard library)."""

from __future__ import annotations

import ast
import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.charts import png, series
from engine.cli import main

ENGINE = Path(__file__).resolve().parents[2] / "engine"
PLAN = "plan gpt-oss-120b gpus=H100,GH200 requests=1M tpot_max=40ms"


@pytest.fixture(scope="module")
def plan() -> engine.Result:
    return engine.run(PLAN)


def test_plan_series_is_the_frontier_and_the_api(plan):
    data = series(plan)
    front = next(s for s in data["series"] if s["style"] == "frontier")
    cols = plan.table.columns
    rows = [dict(zip(cols, r, strict=True)) for r in plan.table.rows]
    expected = sorted((r for r in rows if r["pareto"]), key=lambda r: r["tokens_per_s_per_user"])
    assert front["x"] == [r["tokens_per_s_per_user"] for r in expected]
    assert front["y"] == [r["cost_per_million_output_tokens"] for r in expected]
    best = next(s for s in data["series"] if s["style"] == "best")
    assert best["y"] == [plan.cost_per_million_output_tokens]
    assert [h["y"] for h in data["hlines"]] == [o.usd_per_million_output_tokens for o in plan.api]
    assert data["vlines"][0]["x"] == pytest.approx(1 / 0.04)
    assert data["log_y"] is True


def test_curve_series_has_one_line_per_layout():
    r = engine.run("curve llama-3-70b H100")
    data = series(r)
    names = [s["name"] for s in data["series"]]
    assert names == ["2x TP2", "4x TP4", "8x TP8", "frontier"]


def test_png_of_a_plan_and_a_curve(plan):
    for r in (plan, engine.run("curve llama-3-8b L4")):
        data = png(r)
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_cli_saves_the_chart(tmp_path):
    target = tmp_path / "plan.png"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main([*PLAN.split(), "--json", "--png", str(target)]) == 0
    assert target.read_bytes()[:4] == b"\x89PNG"
    assert out.getvalue().lstrip().startswith("{")  # --json stays JSON; the note goes to stderr
    assert "chart saved to" in err.getvalue()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["llama-3-8b", "H100", "--png", "x.png"], "'inference' answers have no chart"),
        (["curve", "llama-3-8b", "H100", "--png"], "--png needs a file name"),
        (["curve", "llama-3-8b", "H100", "--png", "chart.jpg"], "name a .png file"),
    ],
)
def test_png_bad_input_is_one_line(argv, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 2
    assert says in err.getvalue() and err.getvalue().count("\n") == 1


def test_without_matplotlib_the_cli_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["curve", "llama-3-8b", "L4", "--png", str(tmp_path / "c.png")]) == 2
    text = err.getvalue()
    assert "needs matplotlib" in text and "pip install 'gpucost[slack]'" in text and text.count("\n") == 1
    assert not (tmp_path / "c.png").exists()


def test_only_charts_png_imports_matplotlib_and_only_inside_the_function():
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "matplotlib" for n in names):
                assert path.name == "charts.py" and id(node) in funcs, f"{path} imports matplotlib"


def test_planning_and_charting_data_never_load_matplotlib():
    code = (
        "import sys, engine\n"
        f"r = engine.run({PLAN!r})\n"
        "from engine.charts import series\n"
        "series(r); series(engine.run('curve llama-3-8b L4'))\n"
        "from engine.format import render_text\n"
        "render_text(r)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
