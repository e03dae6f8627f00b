"""bench/slack_load.py runs end to end (a small load) and prints each figure next to its baseline.
Not a timed test: the figures are read, not asserted, except that no acknowledged click is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_slack_load_bench_runs_and_prints_its_figures():
    r = subprocess.run(
        [sys.executable, "bench/slack_load.py", "--spawn", *"-n 40 -c 10 --clicks 12 --warmup 3 --plans 1".split()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = r.stdout
    assert "baseline, wrongly signed (401)" in out and "ack latency: p50" in out, out + r.stderr
    assert "baseline, alone: click-to-reply p50" in out and "with 40 commands at concurrency 10: p50" in out
    assert "charts (drawn in the worker process, after the reply): 4 of 4 delivered" in out
    assert "plans: 1 of 'plan gpt-oss-120b requests=1M tpot_max=50ms', then 40 commands" in out
    assert "acknowledged 1, unanswered 0, refused 0" in out
    assert "replies lost: 0 (0%)" in out and "exit 0" in out
    assert "Traceback" not in r.stderr
