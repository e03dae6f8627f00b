"""The golden corpus: the engine's answers (JSON, or the one-line error) to 400 generated queries of
every subcommand and option, with and without the trace, as committed in ``tests/golden``.

A change that moves a number or a line shows here; if it is intended, regenerate the corpus with
``python scripts/golden.py update`` and say why in the commit."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _golden():
    spec = importlib.util.spec_from_file_location("golden", ROOT / "scripts" / "golden.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_answers_equal_the_golden_corpus() -> None:
    golden = _golden()
    expected = [json.loads(line) for line in golden.GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert len({d["q"] for d in expected}) == golden.GOLDEN_N
    assert [d["q"] for d in expected if d["trace"]] == golden.queries(golden.GOLDEN_N, 1)
    failures = []
    for d in expected:
        diff = golden.differences(d["out"], golden.answer(d["q"], d["trace"]))
        if diff:
            failures.append(f"{d['q']!r} (trace={d['trace']}): {diff[:3]}")
    assert not failures, f"{len(failures)} answers changed, e.g.\n" + "\n".join(failures[:10])
