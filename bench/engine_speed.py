"""Speed of the engine: one estimate, ``import engine``, and a whole ``gpucost`` process.

    python bench/engine_speed.py [--repeat N]

Targets (issue: engine): one estimate under 50 us median, import under 150 ms, a CLI process under
300 ms. Machines are noisy, so each figure is printed beside a baseline measured in the same run:
an estimate beside ``json.dumps`` of a small dict (a fixed unit of Python work), the import and the
CLI process beside a bare ``python -c pass`` (interpreter start-up, which every command pays).

"One estimate" is a query asked again, the steady state of a Slack channel or a recalculating
spreadsheet: the engine memoises the steps that do not change (parsing, the GPU and price, the
serving plan, the sizing of a model under it, interned assumption lines), and still validates a
new Result each time. The same queries asked for the first time, and 400 distinct queries, are
timed with every memo cleared, so the cost of a new question is printed too.
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


def first_time(fn, clear, n: int) -> float:
    """Median seconds of ``fn()`` right after ``clear()`` (everything remembered forgotten)."""
    times = []
    for _ in range(n):
        clear()
        t = timeit.default_timer()
        fn()
        times.append(timeit.default_timer() - t)
    return statistics.median(times)


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
    from engine.batch import evaluate_many
    from engine.chain import clear_memos, run

    queries = [
        "1.17e8 P4 0.3",
        "llama-3-70b 8xH100 2usd in=500 out=300",
        "daily llama-3-70b H100 requests=5M",
        "train llama-2-7b A100-80G 2usd tokens=2T gpus=1024",
    ]
    for q in queries:
        run(q)
    small = {"a": 1.0, "b": [1, 2, 3]}
    print(
        f"one estimate, query string to validated Result: median (best) of {args.repeat} rounds of 200, "
        "each beside json.dumps(small dict) timed just before it"
    )
    medians = []
    for q in queries:
        base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
        full, best = per_call(lambda q=q: run(q), 200, args.repeat)
        core, _ = per_call(lambda q=q: run(q, trace=False), 200, args.repeat)  # a spreadsheet cell's call
        medians.append(full)
        print(
            f"  {q!r:<55} {full * 1e6:6.1f} us ({best * 1e6:5.1f}) = {full / base:4.1f}x json ({base * 1e6:.1f} us);"
            f" without trace/assumptions {core * 1e6:5.1f} us"
        )
    worst = max(medians)
    verdict = "met" if worst < 50e-6 else "MISSED"
    print(f"  target: one estimate < 50 us median -> {verdict} (slowest {worst * 1e6:.1f} us)")
    print("the same queries asked for the first time (every memo, cache and interned line cleared before each):")
    for q in queries:
        base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
        cold = first_time(lambda q=q: run(q), clear_memos, 20 * args.repeat)
        print(f"  {q!r:<55} {cold * 1e6:6.1f} us = {cold / base:4.1f}x json ({base * 1e6:.1f} us)")
    # Distinct queries (every model size and prompt length different), memos cleared before each round:
    # no result, shape, plan or assumption line repeats, so no memo makes one estimate cheaper.
    distinct = [f"{1e9 * 1.001**i:.6g} H100 2usd in={300 + i} out=200" for i in range(400)]
    base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
    rounds = []
    for _ in range(3):
        clear_memos()
        t = timeit.default_timer()
        for q in distinct:
            run(q)
        rounds.append((timeit.default_timer() - t) / len(distinct))
    each = statistics.median(rounds)
    print(
        f"  400 distinct queries ('1e+09 H100 2usd in=300 out=200', ...)  {each * 1e6:6.1f} us each "
        f"= {each / base:4.1f}x json ({base * 1e6:.1f} us)"
    )
    counts = [1e8 * 1000 ** (i / 999) for i in range(1000)]
    evaluate_many("1e8 H100 2.5", "model", counts[:5], "cost_per_request")
    base, _ = per_call(lambda: json.dumps(small), 2000, args.repeat)
    row, _ = per_call(lambda: evaluate_many("1e8 H100 2.5", "model", counts, "cost_per_request"), 1, args.repeat)
    row /= len(counts)
    print(
        f"  numeric core: one row of a model column (1,000 counts, cost_per_request) {row * 1e6:.1f} us "
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
            "chain": [py, "-c", "import engine, engine.chain"],
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
        ("import engine.chain (all models)", "chain"),
        ("gpucost 1.17e8 P4 0.3 (whole process)", "cli"),
    ]
    for label, key in rows:
        extra = "" if key == "pass" else f"  (+{(t[key] - start) * 1e3:.1f} ms over baseline, {t[key] / start:.2f}x)"
        print(f"  {label:<52} {t[key] * 1e3:7.1f} ms{extra}")
    print(f"  engine's own share of the CLI (whole process - the floor) {(t['cli'] - t['pydantic']) * 1e3:.1f} ms")
    imp = t["lazy"] - start
    print(f"  targets: import < 150 ms -> {'met' if imp < 0.150 else 'MISSED'} (+{imp * 1e3:.1f} ms over python);")
    cli = t["cli"]
    print(f"           CLI process < 300 ms -> {'met' if cli < 0.300 else 'MISSED'} ({cli * 1e3:.1f} ms median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
