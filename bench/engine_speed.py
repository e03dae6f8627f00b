"""Speed of the engine: one estimate, ``import engine``, and a whole ``gpucost`` process.

    python bench/engine_speed.py [--repeat N]

Targets (issue: engine): one estimate under 50 us median, import under 150 ms, a CLI process under
300 ms. Machines are noisy, so each figure is printed beside a baseline measured in the same run:
an estimate beside ``json.dumps`` of a small dict (a fixed unit of Python work), the import and the
CLI process beside a bare ``python -c pass`` (interpreter start-up, which every command pays).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def per_call(fn, number: int, repeat: int) -> float:
    """Seconds per call in the fastest of ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number  # best of: the least disturbed round


def process(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = timeit.default_timer()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(timeit.default_timer() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from engine.chain import run, run_query
    from engine.query import parse_query

    queries = [
        "1.17e8 P4 0.3",
        "llama-3-70b 8xH100 2usd in=500 out=300",
        "daily llama-3-70b H100 requests=5M",
        "train llama-2-7b A100-80G 2usd tokens=2T gpus=1024",
    ]
    for q in queries:
        run(q)
    base = per_call(lambda: json.dumps({"a": 1.0, "b": [1, 2, 3]}), 2000, args.repeat)
    print(f"baseline json.dumps(small dict)       {base * 1e6:8.1f} us")
    for q in queries:
        parsed = parse_query(q)
        full = per_call(lambda q=q: run(q), 200, args.repeat)
        core = per_call(
            lambda p=parsed: run_query(
                p.model_copy(update={"values": dict(p.values)}), __import__("engine").EngineConfig(), False
            ),
            200,
            args.repeat,
        )
        print(
            f"estimate {q!r:<55} {full * 1e6:8.1f} us  ({full / base:5.0f}x baseline); "
            f"parsed, no trace {core * 1e6:7.1f} us"
        )
    py = sys.executable
    # An installed package has its bytecode compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every start. Compile once, like pip.
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "engine")], check=True)
    start = process([py, "-c", "pass"], args.repeat)
    pyd = process(
        [py, "-c", "import pydantic; from pydantic import BaseModel\nclass A(BaseModel): x: int = 1"], args.repeat
    )
    lazy = process([py, "-c", "import engine"], args.repeat)
    imp = process([py, "-c", "import engine, engine.chain"], args.repeat)
    cli = process([py, "-m", "engine", "1.17e8", "P4", "0.3"], args.repeat)
    print(f"python -c pass (baseline)              {start * 1e3:8.1f} ms")
    print(f"pydantic + one model (for reference)   {pyd * 1e3:8.1f} ms  (+{(pyd - start) * 1e3:.1f} ms over baseline)")
    print(
        f"import engine (lazy: no pydantic yet)  {lazy * 1e3:8.1f} ms  (+{(lazy - start) * 1e3:.1f} ms over baseline)"
    )
    print(
        f"import engine.chain (all models)       {imp * 1e3:8.1f} ms  (+{(imp - start) * 1e3:.1f} ms over baseline, "
        f"{imp / start:.2f}x)"
    )
    print(
        f"gpucost 1.17e8 P4 0.3 (whole process)  {cli * 1e3:8.1f} ms  (+{(cli - start) * 1e3:.1f} ms over baseline, "
        f"{cli / start:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
