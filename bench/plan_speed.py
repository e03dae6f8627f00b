"""Speed of ``gpucost plan``: typical plans against the 3-second budget of Slack's acknowledgement, each
beside a baseline from the same run.

    python bench/plan_speed.py [--repeat N]

The baseline of each plan is one ``daily`` estimate of the same workload on an H100 (the engine's own
replica search for one GPU kind, precision and engine): the plan's time is printed as a multiple of it,
so the figure does not depend on how fast this machine is today. The absolute time is printed beside
it, as a share of Slack's 3 s (a plan over it is acknowledged at once and posted when done). A second
table times whole ``gpucost`` processes, plan against daily, run round-robin.

What the planner does to stay fast (engine.plan): each configuration's performance is computed once
and multiplied by every price row of its GPU kind; the lower-batch ladder runs only for layouts no other
layout of the same GPU, precision and engine beats on both throughput per GPU and TPOT; per GPU kind the
rows another beats on cost, output cost and TPOT are dropped before pricing; an idle replica's prompt is
computed once per layout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLACK_BUDGET_S = 3.0
#: (plan, the daily estimate of the same workload used as its baseline)
PLANS = [
    ("plan llama-3-8b requests=100k", "daily llama-3-8b H100 requests=100k"),
    (
        "plan llama-3-70b requests=1M in=1000 out=300 tpot_max=50ms ttft_max=2s",
        "daily llama-3-70b H100 requests=1M in=1000 out=300 tpot_max=50ms ttft_max=2s",
    ),
    ("plan gpt-oss-120b requests=1M tpot_max=30ms", "daily gpt-oss-120b H100 requests=1M tpot_max=30ms"),
    ("plan deepseek-v3 requests=1M tpot_max=50ms", "daily deepseek-v3 H100 requests=1M tpot_max=50ms"),
    (
        "plan qwen3-235b-a22b gpus=H100,H200,B200 requests=10M tpot_max=30ms ttft_max=1s",
        "daily qwen3-235b-a22b H100 requests=10M tpot_max=30ms ttft_max=1s",
    ),
]


def median_time(fn, repeat: int) -> float:
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--processes", type=int, default=3, help="rounds of whole gpucost processes (0: skip)")
    args = ap.parse_args()
    from engine import run

    run("plan llama-3-8b gpus=L4 requests=1k")  # catalogs loaded, as in a running Slack app
    print(f"plan against one daily estimate of the same workload: median of {args.repeat} runs, in this process")
    print(f"  {'query':<82} {'plan':>8} {'daily':>8} {'ratio':>7} {'of 3 s':>7} {'configs':>8} {'rows':>6}")
    over = 0
    for plan_q, daily_q in PLANS:
        base = median_time(lambda q=daily_q: run(q, trace=False), max(args.repeat, 5))
        t = median_time(lambda q=plan_q: run(q), args.repeat)
        r = run(plan_q)
        over += t > SLACK_BUDGET_S
        print(
            f"  {plan_q[:82]:<82} {t:7.2f}s {base * 1e3:6.1f}ms {t / base:6.0f}x {t / SLACK_BUDGET_S:6.0%} "
            f"{r.inputs['configurations_evaluated']:8,} {r.inputs['rows']:6,}"
        )
    print(f"  {over} of {len(PLANS)} plans over Slack's {SLACK_BUDGET_S:g} s on this machine")
    if args.processes:
        env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}
        exe = [sys.executable, "-c", "from engine.cli import entry; entry()"]
        cmds = {"daily": exe + PLANS[1][1].split(), "plan": exe + PLANS[1][0].split()}
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.processes):
            for name, cmd in cmds.items():
                start = timeit.default_timer()
                subprocess.run(cmd, capture_output=True, check=True, env=env, cwd=ROOT)
                times[name].append(timeit.default_timer() - start)
        d, p = statistics.median(times["daily"]), statistics.median(times["plan"])
        print(f"whole gpucost processes (median of {args.processes}, round-robin): {PLANS[1][0]!r}")
        print(f"  plan {p:.2f} s = {p / d:.1f}x the daily estimate's process ({d:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
