"""Benchmark: one vectorised Excel call over 10,000 rows vs 10,000 single-cell calls.

A column of 10,000 parameter counts goes to ``=AIGC_COST(A2:A10001, "H100", 2.5)`` as Office.js
sends it (a list of 10,000 one-element rows of floats); the Excel layer hands the column to the
engine's fast path ``engine.batch.evaluate_many`` in one call. The comparison is the same 10,000
costs asked for one cell at a time. Ceiling: the vectorised call at most 0.5 s (issue: the engine as
a library of physical models; it was 0.2 s while the engine kept step memos).

Run: ``python bench/excel_bulk.py [--rows N] [--repeat R]``; prints the figures (best of R).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from excel.functions import aigc_cost

TARGET_S = 0.5


def column(rows: int) -> list[list[float]]:
    """``rows`` parameter counts from 100M to 100B, as Office.js sends a one-column range."""
    return [[float(1e8 * (1000 ** (i / max(rows - 1, 1))))] for i in range(rows)]


def main(argv: list[str] | None = None) -> int:
    """Time both ways, check they agree, print the figures; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    values = column(args.rows)

    aigc_cost(values[:10], "H100", 2.5)  # warm caches (catalog load, imports) outside the timing
    vector_times, base_times = [], []
    small = {"a": 1.0, "b": [1, 2, 3]}
    for _ in range(args.repeat):  # the baseline interleaved with the measurement: both see the same machine
        start = time.perf_counter()
        for _ in range(args.rows):
            json.dumps(small)
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        vectorised = aigc_cost(values, "H100", 2.5)
        vector_times.append(time.perf_counter() - start)

    start = time.perf_counter()
    singles = [aigc_cost(row[0], "H100", 2.5) for row in values]
    single_time = time.perf_counter() - start

    mismatches = sum(
        1 for got, want in zip((r[0] for r in vectorised), singles, strict=True) if abs(got - want) > 1e-9 * abs(want)
    )
    best, base = min(vector_times), min(base_times)
    print(f"rows: {args.rows}")
    print(f"baseline: {args.rows} x json.dumps(small dict) (best of {args.repeat}): {base:.4f} s")
    print(
        f"vectorised call (best of {args.repeat}): {best:.4f} s (median {statistics.median(vector_times):.4f} s)"
        f" = {best / base:.1f}x the baseline"
    )
    print(f"single-cell calls ({args.rows}): {single_time:.4f} s ({single_time / args.rows * 1e6:.1f} us/call)")
    print(
        f"speed-up: {single_time / best:.1f}x; target for the vectorised call: < {TARGET_S} s -> "
        f"{'met' if best < TARGET_S else 'MISSED'}"
    )
    print(f"rows that differ between the two ways: {mismatches}")
    return 0 if best < TARGET_S and mismatches == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
