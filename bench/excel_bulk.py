"""Benchmark: the Excel functions over big ranges, in CPython and in real Pyodide (xlwings Lite's runtime).

Three figures, each against a baseline measured in the same run (so they compare across machines):

1. **10,000-row column**, CPython: ``=AIGC_COST(A2:A10001, "H100", 2.5)`` as Office.js sends it (a
   list of 10,000 one-element rows of floats), one call that goes to the engine's column path
   ``engine.batch.evaluate_many``; against the same 10,000 costs asked one cell at a time.
2. **100 x 100 broadcast**, CPython: a column of 100 parameter counts by a row of 100 prices,
   ``=AIGC_COST(A2:A101, "H100", B1:CW1)``: one column call per price (100 calls of 100 rows);
   against 10,000 single-cell calls (what the broadcast did before, cell by cell).
3. **10,000-row column in Pyodide** 314 under Node (``.ci/pyodide.sh`` prepares it; the project's
   wheel installed with micropip): the same call as 1; against CPython's time for it.

The in-runtime baseline is 10,000 ``json.dumps`` of a small dict (a fixed amount of plain Python
work). Ceilings: the CPython column at most 0.5 s, the 100 x 100 broadcast at most 1.0 s.

Run: ``python bench/excel_bulk.py [--rows N] [--repeat R] [--no-pyodide]``; prints the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "excel"))

from excel.functions import aigc_cost

COLUMN_TARGET_S = 0.5
BROADCAST_TARGET_S = 1.0


def column(rows: int) -> list[list[float]]:
    """``rows`` parameter counts from 100M to 100B, as Office.js sends a one-column range."""
    return [[float(1e8 * (1000 ** (i / max(rows - 1, 1))))] for i in range(rows)]


def baseline(rows: int) -> float:
    """Seconds for ``rows`` x ``json.dumps`` of a small dict."""
    small = {"a": 1.0, "b": [1, 2, 3]}
    start = time.perf_counter()
    for _ in range(rows):
        json.dumps(small)
    return time.perf_counter() - start


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """(best seconds, all seconds, last result) of ``repeat`` runs."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), times, out


def differ(a: list[list[Any]], b: list[list[Any]]) -> int:
    return sum(
        1 for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True) if abs(x - y) > 1e-9 * abs(y)
    )


_PYODIDE = """
import json, time
import excel.functions as f
rows = {rows}
col = [[float(1e8 * (1000 ** (i / max(rows - 1, 1))))] for i in range(rows)]
f.aigc_cost(col[:10], "H100", 2.5)
small = {{"a": 1.0, "b": [1, 2, 3]}}
base, vec = [], []
for _ in range({repeat}):
    t = time.perf_counter()
    for _ in range(rows):
        json.dumps(small)
    base.append(time.perf_counter() - t)
    t = time.perf_counter()
    out = f.aigc_cost(col, "H100", 2.5)
    vec.append(time.perf_counter() - t)
json.dumps({{"base": min(base), "vector": min(vec), "values": [r[0] for r in out]}})
"""


def pyodide(rows: int, repeat: int) -> dict[str, Any]:
    import excel_pyodide_env as env

    with tempfile.TemporaryDirectory() as tmp:
        wheel = env.project_wheel(Path(tmp))
        target = f"/tmp/wheels/{wheel.name}"
        got = env.run(_PYODIDE.format(rows=rows, repeat=repeat), files={target: wheel}, micropip=[f"emfs:{target}"])
    return {**got["result"], "pyodide": got["pyodide"], "python": got["python"]}


def main(argv: list[str] | None = None) -> int:
    """Time everything, check the ways agree, print the figures; exit 1 if a ceiling is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pyodide", action="store_true", help="skip the Pyodide figure (needs node)")
    args = parser.parse_args(argv)
    ok = True
    values = column(args.rows)
    aigc_cost(values[:10], "H100", 2.5)  # warm caches (catalog load, imports) outside the timing
    base = min(baseline(args.rows) for _ in range(args.repeat))
    print(f"baseline: {args.rows} x json.dumps(small dict), CPython (best of {args.repeat}): {base:.4f} s")

    print(f"\n1. {args.rows:,}-row column, CPython")
    vec, times, vectorised = best(lambda: aigc_cost(values, "H100", 2.5), args.repeat)
    single, _, singles = best(lambda: [[aigc_cost(row[0], "H100", 2.5)] for row in values], 1)
    print(f"   one call: {vec:.4f} s (median {statistics.median(times):.4f} s) = {vec / base:.1f}x the baseline")
    print(f"   {args.rows:,} single-cell calls: {single:.4f} s; speed-up {single / vec:.1f}x")
    print(f"   rows that differ between the two ways: {differ(vectorised, singles)}")
    print(f"   ceiling {COLUMN_TARGET_S} s -> {'met' if vec < COLUMN_TARGET_S else 'MISSED'}")
    ok &= vec < COLUMN_TARGET_S and differ(vectorised, singles) == 0

    print("\n2. 100 x 100 broadcast (100 parameter counts by 100 prices), CPython")
    models = [[float(1e9 * (i + 1))] for i in range(100)]
    prices = [[round(1.0 + 0.05 * j, 2) for j in range(100)]]
    wide, times, table = best(lambda: aigc_cost(models, "H100", prices), args.repeat)
    cells, _, by_cell = best(lambda: [[aigc_cost(m[0], "H100", p) for p in prices[0]] for m in models], 1)
    print(f"   one call: {wide:.4f} s (median {statistics.median(times):.4f} s) = {wide / base:.1f}x the baseline")
    print(f"   cell by cell (10,000 single-cell calls): {cells:.4f} s; speed-up {cells / wide:.1f}x")
    print(f"   cells that differ between the two ways: {differ(table, by_cell)}")
    print(f"   ceiling {BROADCAST_TARGET_S} s -> {'met' if wide < BROADCAST_TARGET_S else 'MISSED'}")
    ok &= wide < BROADCAST_TARGET_S and differ(table, by_cell) == 0

    if not args.no_pyodide:
        print(f"\n3. {args.rows:,}-row column in Pyodide (Node)")
        got = pyodide(args.rows, args.repeat)
        rows = [[v] for v in got["values"]]
        print(f"   Pyodide {got['pyodide']} (Python {got['python']}), best of {args.repeat}")
        print(f"   baseline there: {got['base']:.4f} s = {got['base'] / base:.1f}x CPython's baseline")
        print(
            f"   one call: {got['vector']:.4f} s = {got['vector'] / got['base']:.1f}x its baseline, "
            f"{got['vector'] / vec:.1f}x CPython's one call"
        )
        print(f"   rows that differ from CPython: {differ(rows, vectorised)}")
        ok &= differ(rows, vectorised) == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
