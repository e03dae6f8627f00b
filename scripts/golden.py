"""Golden corpus: the engine's answers to many generated queries, to compare two versions of it.

    python scripts/golden.py dump OUT.jsonl [--n 20000] [--seed 1]   # answers of the engine on sys.path
    python scripts/golden.py diff OLD.jsonl NEW.jsonl                 # what changed, by field
    python scripts/golden.py update                                   # rewrite tests/golden/expected.jsonl

Each line of a dump is ``{"q": query, "trace": bool, "out": result JSON | {"error": message}}``.
Queries come from :func:`queries`: every subcommand and option, valid and invalid values, with and
without prices, currencies and units, in a fixed pseudo-random order. ``tests/golden`` holds the
answers to the first few hundred; ``tests/engine/test_golden.py`` checks them.

Imports only the standard library and ``engine``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "expected.jsonl"
GOLDEN_N = 400

MODELS = [
    "1.17e8", "7B", "70B", "13b", "1.5T", "350M", "1.17亿", "gpt2", "gpt-1", "llama-2-7b", "llama-2-70b",
    "llama-3-8b", "llama-3-70b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b",
    "qwen2.5-7b", "qwen2.5-72b", "deepseek-v3", "deepseek-r1", "falcon-7b", "falcon-180b", "gemma-2-9b",
    "phi-3-mini", "palm-540b", "gpt-3-175b", "bloom-176b", "nosuchmodel",
]  # fmt: skip
GPUS = [
    "P4", "T4", "A10G", "L4", "L40S", "A100", "A100-80G", "H100", "H200", "H20", "H800", "B200", "MI300X",
    "V100", "RTX-4090", "tpu-v5e", "ascend-910b", "gaudi3", "A30", "8xH100", "2xA100", "4xL4", "16xH800",
    "1xH100", "nosuchgpu",
]  # fmt: skip
PRICES = ["", "", "", "0.3", "2usd", "2.5", "$3", "¥12", "12元", "0", "-1", "abc"]
OPTIONS: dict[str, list[str]] = {
    "in": ["1", "128", "500", "2000", "32000", "200000"],
    "out": ["1", "64", "300", "1000", "8000"],
    "batch": ["1", "8", "64", "max", "100000", "0"],
    "tp": ["1", "2", "4", "8", "3"],
    "dtype": ["fp32", "fp16", "bf16", "fp8", "int8", "int4", "fp4"],
    "kv": ["fp16", "fp8", "int8"],
    "requests": ["1", "1000", "5M", "1e9", "0"],
    "users": ["1000", "1M", "100M"],
    "per_user": ["1", "4", "10"],
    "tokens_in": ["1e9", "600B"],
    "tokens_out": ["1e8", "150B"],
    "peak": ["1", "2", "3.5"],
    "util": ["0.3", "0.75", "1", "2"],
    "tokens": ["1e9", "2T", "15T"],
    "gpus": ["1", "8", "64", "1024"],
    "days": ["1", "30", "90"],
    "mfu": ["0.2", "0.4", "0.6"],
    "goodput": ["0.8", "0.95"],
    "seq": ["512", "2048", "8192"],
    "provider": ["aws", "gcp", "lambda", "azure"],
    "region": ["us-east-1", "us-central1", "nowhere"],
    "currency": ["USD", "CNY", "EUR"],
    "prefill_tps": ["8000", "20000"],
    "decode_tps": ["1500", "2700"],
    "power": ["300", "700"],
    "pue": ["1.1", "1.5"],
    "kwh": ["0.08", "0.8元", "0.12usd"],
    "engine": ["hf", "vllm", "trtllm"],
    "batching": ["static", "continuous"],
    "out_spread": ["0", "0.5", "1"],
    "ttft_max": ["0.5", "200ms", "2s"],
    "tpot_max": ["0.05", "20ms", "100ms"],
    "compute_eff": ["0.3", "0.6"],
    "bw_eff": ["0.5", "0.8"],
}
FLAGS = ["spot", "static", "continuous", "on-demand"]
KINDS = ["", "", "", "daily", "daily", "train", "compare", "explain", "explain daily", "explain train"]
FIXED = [
    "1.17e8 P4 0.3",
    "daily 1.17e8 P4 0.3",
    "llama-3-70b 8xH100 2usd in=500 out=300",
    "daily llama-3-70b H100 requests=5M",
    "train llama-2-7b A100-80G 2usd tokens=2T gpus=1024",
    "compare llama-3-8b H100,A100,L4 2usd",
    "compare 7B",
    "explain daily deepseek-v3 16xH800 2usd dtype=fp8 in=2000 out=500 requests=1M",
    "daily llama-3-70b H100 tokens_in=600B tokens_out=150B prefill_tps=8000 decode_tps=1500",
    "gpus",
    "models",
    "prices H100",
    "help",
    "",
    "--jsn",
]


def queries(n: int, seed: int = 1) -> list[str]:
    """``n`` queries: the fixed ones, then generated ones (same ``seed``, same list)."""
    rnd = random.Random(seed)
    out = list(FIXED)
    keys = list(OPTIONS)
    while len(out) < n:
        kind = rnd.choice(KINDS)
        parts = [kind] if kind else []
        parts.append(rnd.choice(MODELS))
        gpu = rnd.choice(GPUS)
        if kind == "compare" and rnd.random() < 0.6:
            gpu = ",".join(rnd.sample(["H100", "A100", "L4", "T4", "H200", "MI300X", "A10G"], rnd.randint(1, 3)))
        parts.append(gpu)
        price = rnd.choice(PRICES)
        if price:
            parts.append(price)
        pool = keys if rnd.random() < 0.15 else [k for k in keys if k in _applies(kind)]
        for key in rnd.sample(pool, min(len(pool), rnd.choice([0, 0, 1, 1, 2, 2, 3, 4]))):
            parts.append(f"{key}={rnd.choice(OPTIONS[key])}")
        if rnd.random() < 0.08:
            parts.append(rnd.choice(FLAGS))
        out.append(" ".join(p for p in parts if p))
    return out[:n]


def _applies(kind: str) -> frozenset[str]:
    """The options the estimate ``kind`` reads (most generated queries use only these)."""
    from engine.query import APPLIES

    inner = [w for w in kind.split() if w != "explain"]
    return APPLIES[inner[-1] if inner else "inference"]


def answer(q: str, trace: bool) -> dict:
    """The engine's answer to ``q`` as JSON data, or its one-line error."""
    from engine import GpucostError, run

    try:
        return run(q, trace=trace).to_json_dict()
    except GpucostError as exc:
        return {"error": str(exc)}


def dump(path: Path, n: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, q in enumerate(queries(n, seed)):
            for trace in (True, False) if i % 4 == 0 else (True,):
                f.write(json.dumps({"q": q, "trace": trace, "out": answer(q, trace)}, ensure_ascii=False) + "\n")


def load(path: Path) -> dict[tuple[str, bool], dict]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        out[(d["q"], d["trace"])] = d["out"]
    return out


def differences(old: object, new: object, where: str = "", rel: float = 1e-12) -> list[str]:
    """Paths at which ``new`` differs from ``old`` (numbers within ``rel`` are equal)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            if k not in old or k not in new:
                out.append(f"{where}.{k} {'added' if k not in old else 'removed'}")
            else:
                out += differences(old[k], new[k], f"{where}.{k}", rel)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where} length {len(old)} -> {len(new)}"]
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += differences(a, b, f"{where}[{i}]", rel)
        return out
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        if math.isclose(old, new, rel_tol=rel, abs_tol=0.0) and type(old) is type(new):
            return []
    elif old == new:
        return []
    return [f"{where}: {str(old)[:80]!r} -> {str(new)[:80]!r}"]


def diff(old_path: Path, new_path: Path) -> int:
    old, new = load(old_path), load(new_path)
    kinds: Counter[str] = Counter()
    examples: dict[str, str] = {}
    n_diff = 0
    for key in old:
        if key not in new:
            continue
        d = differences(old[key], new[key])
        if d:
            n_diff += 1
        for line in d:
            field = line.split(":")[0].split(" ")[0]
            field = "".join(c for c in field if not c.isdigit())
            kinds[field] += 1
            examples.setdefault(field, f"{key[0]!r} (trace={key[1]}): {line}")
    print(f"{len(old)} answers compared, {n_diff} differ")
    for field, count in kinds.most_common():
        print(f"{count:6d}  {field}\n        e.g. {examples[field]}")
    return 1 if n_diff else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--n", type=int, default=20000)
    d.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("diff")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    sub.add_parser("update")
    a = ap.parse_args(argv)
    if a.cmd == "dump":
        dump(a.out, a.n, a.seed)
        return 0
    if a.cmd == "diff":
        return diff(a.old, a.new)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    dump(GOLDEN, GOLDEN_N, 1)
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
