"""Speed of the engine against the ceilings users feel, each beside a baseline from the same run.

    python bench/engine_speed.py [--repeat N]

Ceilings (issue: the engine as a library of physical models):

- a distinct estimate with its full trace: at most about 1 ms, i.e. 350x one ``json.dumps`` of a
  small dict (the baseline: a fixed unit of Python work);
- a whole ``gpucost 1.17e8 P4 0.3`` process: within 60 ms of a process that only imports pydantic
  and builds one model (the floor); ``import engine`` at most 150 ms over ``python -c pass``.

The engine keeps no memo of estimates: every query, asked again or not, is computed afresh (only
pure look-ups are cached: names, catalogs, inferred shapes), so the figures are those of a new
question. The spreadsheet column ceiling is printed by ``bench/excel_bulk.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def per_call(fn, number: int, repeat: int) -> tuple[float, float]:
    """Seconds per call: (median, best) over ``repeat`` rounds of ``number`` calls."""
    rounds = [t / number for t in timeit.repeat(fn, number=number, repeat=repeat)]
    return statistics.median(rounds), min(rounds)


def processes(cmds: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Median wall time [s] of each command, run round-robin so that machine noise falls on all alike.

    Every command runs as the CLI does, with pydantic's plugin scan off (``PYDANTIC_DISABLE_PLUGINS``;
    the CLI sets it itself), so the floor and the imports compare like with like."""
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            t = timeit.default_timer()
            subprocess.run(cmd, capture_output=True, check=True, env=env)
            times[name].append(timeit.default_timer() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    from engine import run
    from engine.batch import evaluate_many

    queries = [
        "1.17e8 P4 0.3",
        "llama-3-70b 8xH100 2usd in=500 out=300",
        "daily llama-3-70b H100 requests=5M",
        "train llama-2-7b A100-80G 2usd tokens=2T gpus=1024",
        "explain daily deepseek-v3 16xH800 2usd dtype=fp8 in=2000 out=500 requests=1M",
    ]
    for q in queries:
        run(q)
    small = {"a": 1.0, "b": [1, 2, 3]}
    print(f"one estimate, query string to validated Result with its trace: median (best) of {args.repeat} rounds")
    ratios = []
    for q in queries:
        base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
        full, best = per_call(lambda q=q: run(q), 20, args.repeat)
        core, _ = per_call(lambda q=q: run(q, trace=False), 20, args.repeat)
        if not q.startswith("explain"):  # explain runs one estimate per sensitivity row (about 20)
            ratios.append(full / base)
        print(
            f"  {q[:60]!r:<62} {full * 1e6:7.1f} us ({best * 1e6:6.1f}) = {full / base:5.1f}x json "
            f"({base * 1e6:.1f} us); without trace {core * 1e6:6.1f} us"
        )
    # Distinct queries: every model size and prompt length different, nothing repeats.
    distinct = [f"{1e9 * 1.001**i:.6g} H100 2usd in={300 + i} out=200" for i in range(400)]
    base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
    rounds = []
    for r in range(3):
        t = timeit.default_timer()
        for q in distinct:
            run(q.replace("out=200", f"out={200 + r}"))
        rounds.append((timeit.default_timer() - t) / len(distinct))
    each = statistics.median(rounds)
    ratios.append(each / base)
    print(
        f"  400 distinct queries ('1e+09 H100 2usd in=300 out=200', ...)  {each * 1e6:6.1f} us each "
        f"= {each / base:4.1f}x json ({base * 1e6:.1f} us)"
    )
    worst = max(ratios)
    print(f"  ceiling: a distinct estimate <= 350x json -> {'met' if worst <= 350 else 'MISSED'} (worst {worst:.0f}x)")
    counts = [1e8 * 1000 ** (i / 999) for i in range(1000)]
    evaluate_many("1e8 H100 2.5", "model", counts[:5], "cost_per_request")
    base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
    row, _ = per_call(lambda: evaluate_many("1e8 H100 2.5", "model", counts, "cost_per_request"), 1, args.repeat)
    row /= len(counts)
    print(
        f"  one row of a model column (1,000 counts, cost_per_request) {row * 1e6:.1f} us "
        f"= {row / base:.1f}x json ({base * 1e6:.1f} us)"
    )
    py = sys.executable
    # An installed package has its bytecode compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every start. Compile once, like pip.
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "engine")], check=True)
    t = processes(
        {
            "pass": [py, "-c", "pass"],
            "pydantic": [py, "-c", "from pydantic import BaseModel\nclass A(BaseModel): x: int = 1\nA()"],
            "lazy": [py, "-c", "import engine"],
            "commands": [py, "-c", "import engine, engine.commands"],
            "cli": [py, "-m", "engine", "1.17e8", "P4", "0.3"],
        },
        args.repeat,
    )
    start = t["pass"]
    print(f"processes, median of {args.repeat} (run round-robin)")
    rows = [
        ("python -c pass (baseline)", "pass"),
        ("pydantic + one model + one validation (the floor)", "pydantic"),
        ("import engine (lazy: no pydantic yet)", "lazy"),
        ("import engine.commands (every estimator)", "commands"),
        ("gpucost 1.17e8 P4 0.3 (whole process)", "cli"),
    ]
    for label, key in rows:
        extra = "" if key == "pass" else f"  (+{(t[key] - start) * 1e3:.1f} ms over baseline, {t[key] / start:.2f}x)"
        print(f"  {label:<52} {t[key] * 1e3:7.1f} ms{extra}")
    print(f"  engine's own share of the CLI (whole process - the floor) {(t['cli'] - t['pydantic']) * 1e3:.1f} ms")
    imp = t["lazy"] - start
    print(f"  targets: import < 150 ms -> {'met' if imp < 0.150 else 'MISSED'} (+{imp * 1e3:.1f} ms over python);")
    over = t["cli"] - t["pydantic"]
    print(f"           CLI within 60 ms of the floor -> {'met' if over <= 0.060 else 'MISSED'} (+{over * 1e3:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
