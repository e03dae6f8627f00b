"""The functions in real Pyodide (xlwings Lite's runtime), called with the argument shapes Office.js sends.

Pyodide comes from the npm package ``pyodide`` and pydantic from its WebAssembly wheel on PyPI
(``.ci/pyodide.sh``); gpucost is the project's own wheel, built from this checkout and installed with
micropip (as a wheel URL in xlwings Lite's requirements.txt is). A second run loads the
self-contained bundle (``python -m excel.build_lite --bundle``) with no gpucost package at all, the
route the README gives Lite users today. Every answer is compared with CPython's. Runs under Node,
offline; about 10 s per Pyodide start.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import excel_pyodide_env as env
import pytest

from excel import build_lite
from excel import build_workbook as bw
from excel import functions as fn

JSNULL = {"$jsnull": True}
DIV0 = {"type": "Error", "basicType": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
NA = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}

#: (function, Office.js-shaped arguments): scalars, 2-D lists, None, error objects, jsnull.
CASES: list[tuple[str, list[Any]]] = [
    ("aigc_cost", [1.17e8, "P4", 0.3]),
    ("aigc_cost", [1.17e8, "P4", 0.3, None, None, None, None, None]),
    ("aigc_cost", [[[1.17e8], [7e9], [""], [7e10]], [["H100"]], [[2.0]]]),
    ("aigc_cost", [[[1.17e8], [7e9]], [["H100", "A100", "L4"]], 2.0]),
    ("aigc_cost", [7e9, "H100", DIV0]),
    ("aigc_cost", [NA, "H100", 2.0]),
    ("aigc_cost", [[[7e9], ["#N/A"], [NA], ["no-such-model"]], "H100", 2.0]),
    ("aigc_cost", [7e10, "1xH100", 2.5]),
    ("aigc_cost", [[[7e9], [7e10]], "1xH100", 2.5]),
    ("aigc_cost", [1.17e8, "P4", 0.3, JSNULL]),
    ("aigc_cost", [1.17e8, "P4", 0.3, None, None, None, JSNULL]),
    ("aigc_cost", [[[1.17e8], [JSNULL], [7e9]], "P4", 0.3]),
    ("aigc_daily", ["gpt-3-175b", "A100", None, 1e8, 500.0, 300.0, "gpus"]),
    ("aigc_train", ["llama-3-8b", "H100", 1024.0, "15T"]),
    ("aigc_compare", ["llama-3-70b", [["H100"], ["H1000"], ["L4"]]]),
    ("aigc_gpu", [[["H100"], ["L4"], [""], [NA]], "memory_gb"]),
    ("aigc_price", ["H100"]),
    ("aigc_fx", ["USD", "CNY"]),
    ("aigc_estimate", ["1.17e8 P4 0.3"]),
    # AIGC_PLAN and AIGC_CURVE (appended: the checks below index the cases above)
    ("aigc_plan", ["llama-3-70b", 1e6, None, None, 0.05, None, [["H100"], ["H200"]], 5.0]),
    ("aigc_plan", ["llama-3-70b", 1e6, None, None, "50ms", None, "H100,H200", JSNULL, "frontier"]),
    ("aigc_plan", ["qwen3-32b", 1e6, None, None, 0.05, None, [["H100"]], None, "break even"]),
    ("aigc_plan", ["llama-3-70b", 1e6, None, None, 0.05, None, [["H100"], [NA]]]),
    ("aigc_plan", ["llama-3-70b", 1e6, None, None, 0.05, None, "H100", 0.0]),
    ("aigc_curve", ["llama-3-70b", "H100", None, 1000.0, 300.0]),
    ("aigc_curve", ["llama-3-70b", "1xH100"]),
]

_CALLS = """
import json, math
from pyodide.ffi import jsnull

def decode(value):
    if value == {"$jsnull": True}:
        return jsnull
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value

def plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

def call(name, args):
    try:
        return {"ok": plain(getattr(f, name)(*decode(args)))}
    except Exception as err:
        return {"error": type(err).__name__, "message": str(err),
                "xlwings_error": any(c.__name__ == "XlwingsError" for c in type(err).__mro__)}

out = {"calls": [call(name, args) for name, args in json.loads(CASES)]}
# A 10,000-row column as Office.js sends it (the figure against CPython: bench/excel_bulk.py)
import time
column = [[float(1e8 * (1000 ** (i / 9999)))] for i in range(10_000)]
start = time.perf_counter()
out["column"] = [row[0] for row in f.aigc_cost(column, "H100", 2.5)]
out["column_s"] = time.perf_counter() - start
# A plan as the example workbook's Plan sheet asks it (gpt-3-175b over seven GPU kinds)
start = time.perf_counter()
out["plan_rows"] = len(f.aigc_plan("gpt-3-175b", 1e8, 500.0, 300.0, 0.05, None, [["H100"], ["H200"], ["B200"],
                       ["A100"], ["A100-80G"], ["L40S"], ["L4"]], "all"))
out["plan_s"] = time.perf_counter() - start
import engine, sys
out["engine_file"] = engine.__file__
out["platform"] = sys.platform
json.dumps(out)
"""


def _expected(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """CPython's answers, on an Office.js route (the cells of a range error as Excel error values)."""
    monkeypatch.setenv("XLWINGS_ON_SERVER", "true")

    def decode(value: Any) -> Any:
        if value == JSNULL:
            return None
        return [decode(v) for v in value] if isinstance(value, list) else value

    out = []
    for name, args in CASES:
        try:
            out.append({"ok": getattr(fn, name)(*decode(args))})
        except fn.ExcelError as err:
            out.append({"error": "ExcelError", "message": str(err), "xlwings_error": True})
    return out


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    return bool(got == want)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return env.project_wheel(tmp_path_factory.mktemp("wheel"))


def _code(load: str) -> str:
    return f"CASES = {json.dumps(json.dumps(CASES))}\n{load}\n{_CALLS}"


def test_functions_in_pyodide_match_cpython(wheel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's wheel, installed with micropip: the wheel-URL route of xlwings Lite."""
    target = f"/tmp/wheels/{wheel.name}"
    got = env.run(_code("import excel.functions as f"), files={target: wheel}, micropip=[f"emfs:{target}"])
    assert got["python"].startswith("3.14") and got["pyodide"] == "314.0.8"
    result = got["result"]
    assert result["platform"] == "emscripten"
    assert "site-packages" in result["engine_file"]
    want = _expected(monkeypatch)
    for (name, args), g, w in zip(CASES, result["calls"], want, strict=True):
        assert _same(g, w), (name, args, g, w)
    column = [[float(1e8 * (1000 ** (i / 9999)))] for i in range(10_000)]
    assert _same(result["column"], [row[0] for row in fn.aigc_cost(column, "H100", 2.5)])
    print(f"Pyodide {got['pyodide']}: 10,000-row column in {result['column_s']:.3f} s")
    plan = fn.aigc_plan("gpt-3-175b", 1e8, 500.0, 300.0, 0.05, None, [[g] for g in bw.COMPARE_GPUS], "all")
    assert result["plan_rows"] == len(plan)
    print(f"Pyodide {got['pyodide']}: the example workbook's plan ({len(plan) - 1} rows) in {result['plan_s']:.2f} s")
    # What the cases show, spelled out:
    calls = result["calls"]
    assert "'price' is the error #DIV/0!" in calls[4]["message"] and calls[4]["error"] == "ExcelError"
    assert "'model' is the error #N/A" in calls[5]["message"]
    assert [row[0] for row in calls[6]["ok"]][1:] == ["#VALUE!", "#VALUE!", "#VALUE!"]
    assert calls[7]["message"].startswith("does not fit")
    assert calls[8]["ok"][1] == ["#VALUE!"]
    assert calls[9] == calls[0]  # jsnull metric = the default metric
    assert calls[10] == calls[0]  # jsnull requests_per_day = not given (not a daily query)
    assert calls[11]["ok"][1] == [""]  # jsnull in a range = an empty cell
    compare = calls[14]["ok"]
    assert [row[1] for row in compare[1:]] == ["H100", "L4", "H1000"] and compare[3][0] == "#VALUE!"
    plan = calls[19]["ok"]
    assert len(plan) == 6 and plan[0][-1] == "query" and plan[1][0] == 1
    assert all(row[plan[0].index("pareto")] is True for row in calls[20]["ok"][1:])  # jsnull top: the whole frontier
    assert isinstance(calls[21]["ok"], float)  # the break-even traffic [requests/day]
    assert calls[22]["message"].startswith("'gpus' cell 2 is the error #N/A")
    assert calls[23]["message"].startswith("'top' must be a whole number")
    assert calls[24]["ok"][0][0] == "layout"
    assert calls[25]["message"].startswith("does not fit")


def test_self_contained_bundle_in_pyodide_needs_no_gpucost_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route the README gives Lite users today: paste the bundle, requirements xlwings + pydantic."""
    main_py, requirements = build_lite.write_bundle(tmp_path / "lite")
    assert requirements.read_text(encoding="utf-8").split() == ["xlwings", "pydantic"]
    load = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('engine') is None, 'no gpucost package in this run'\n"
        "import types\n"
        "f = types.ModuleType('main')\n"
        "exec(compile(open('/home/pyodide/main.py').read(), 'main.py', 'exec'), f.__dict__)\n"
    )
    got = env.run(_code(load), files={"/home/pyodide/main.py": main_py})
    result = got["result"]
    assert "/gpucost-engine-" in result["engine_file"]
    want = _expected(monkeypatch)
    for (name, args), g, w in zip(CASES, result["calls"], want, strict=True):
        assert _same(g, w), (name, args, g, w)
