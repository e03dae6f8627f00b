"""Side by side with a peer: llm-analysis (PyPI ``llm-analysis==0.2.2``, the ``compare`` extra).

Loaded by ``bench/accuracy.py --compare``, which calls ``main(rows)`` with its benchmark rows. For the
cases the peer can express, this runs llm-analysis on the same stated inputs the benchmark gave gpucost
(read back from each row's gpucost query, so the two never drift apart) and prints: case, published,
gpucost estimate and error, llm-analysis estimate and error, and a note. Then it times one estimate of
each tool two ways and prints the ratios: the same query repeated, and distinct queries (each differs in
a number that leaves the model's shape alone: the training tokens, or the prompt length), so that no answer
can come from a cache (gpucost's ``engine.run`` keeps none today; its catalog look-ups and model shapes
are cached after the first call either way).

What the peer can express:
- Llama 2 pretraining GPU-hours (T04a/b/d: 7B/13B/70B, 2T tokens, seq 4096, A100-SXM-80GB) with
  ``llm_analysis.analysis.train``; its ``gpu_hours`` output.
- TensorRT-LLM static-batch throughput (I05a: 70B TP2 batch 1024, I05e: 7B TP1 batch 768, in/out
  128/128, H100-SXM-80GB) with ``llm_analysis.analysis.infer``; its ``total_tokens_per_sec`` (batch
  x generated tokens / (prefill + decode time), per tensor-parallel group) divided by TP.
Not expressed: T04c (Llama 2 34B was never released, so its layer shapes are not published and the peer
needs shapes, not a parameter count), PaLM on TPU v4 (no TPU config), MLPerf's batch=max and latency
limits (the peer takes a fixed batch), the daily service cost (no traffic model), TTFT rows (left out
of this comparison's scope).

Model shapes come from JSON files in ``bench/peer_configs/`` written from gpucost's catalog
(``engine/catalog/data/models.json``), checked against it at run time. The peer's MLP has two matrices,
so the gated (SwiGLU, three-matrix) MLP of Llama 2 is given as the iso-parameter ``ffn_embed_dim =
1.5 * d_ff``; that sets its weight bytes. Its FLOP count does not read ``ffn_embed_dim`` (it assumes
16*h^2 per token per layer for the MLP), which undercounts Llama-2-70B's wider MLP: that is the peer's
model, kept as it is.

Offline: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before llm-analysis (and so transformers and
huggingface_hub) is imported, model configs are passed as local file paths, and the peer's Hugging Face
fallback (``get_model_config_from_hf``) is replaced by one that raises, so nothing can be fetched.

Efficiency factors: the peer's defaults (flops_efficiency = 1, hbm_memory_efficiency = 1, i.e. peak)
are kept; none of these cases states one (T04's implied MFU is derived from the published answer, so
using it would be fitting to the result).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIGS = HERE / "peer_configs"
PEER = "llm-analysis"
PEER_VERSION = "0.2.2"
INSTALL_HINT = (
    f"{PEER} is not installed; to see it beside gpucost: pip install 'gpucost[compare]' "
    f"(or pip install '{PEER}=={PEER_VERSION}'), then rerun with --compare"
)

# gpucost catalog GPU ids (the benchmark's queries name GPUs by id) -> the peer's shipped GPU configs.
GPUS = {"a100-sxm-80gb": "a100-sxm-80gb", "a100-sxm-40gb": "a100-sxm-40gb", "h100-sxm-80gb": "h100-sxm-80gb"}
# gpucost dtype -> the peer's shipped dtype configs. It has no FP8: FP8 runs as w8a8 (INT8), the same
# bytes per weight and activation, and on H100 the same dense peak (its h100 config: 1979 TFLOPS).
DTYPES = {"fp16": "w16a16e16", "bf16": "w16a16e16", "fp8": "w8a8e16", "int8": "w8a8e16"}

# Rows the peer can express: benchmark case -> footnote keys.
TRAIN_CASES = ("T04a_llama2_7b", "T04b_llama2_13b", "T04d_llama2_70b")
INFER_CASES = ("I05a", "I05e")

# T04: the case gives a 4M-token global batch at seq 4096, i.e. 1024 sequences (2^22 tokens, the Llama 2
# paper's "4M"). GPU count and parallelism are not reported; the peer's training time is FLOPs /
# (GPUs x peak x efficiency), so its GPU-hours do not depend on them: plain data parallelism over 1024
# GPUs, micro-batch 1, ZeRO-3 so the weights and optimizer state fit.
TRAIN_GLOBAL_BATCH = 1024
TRAIN_LAYOUT = {"tp_size": 1, "pp_size": 1, "dp_size": 1024, "ds_zero": 3, "batch_size_per_gpu": 1}

NOTES = {
    "train": (
        "train(): model shapes from bench/peer_configs (gpucost catalog), a100-sxm-80gb, w16a16e16 (bf16), "
        "seq 4096, 2T tokens, global batch 1024 x 4096 (the case's 4M tokens); GPU count not stated "
        "(the peer's GPU-hours do not depend on it); peer defaults kept: flops_efficiency=1 (peak), "
        "no activation recomputation"
    ),
    "infer": (
        "infer(): h100-sxm-80gb, FP8 not expressible -> w8a8e16 (INT8: same bytes, same H100 peak); "
        "kv_cache_dtype_bytes=1 (the case states an FP8 KV cache); TP, batch, in/out lengths as stated; "
        "peer defaults kept: flops_efficiency=1, hbm_memory_efficiency=1; per-GPU = tokens/s / TP"
    ),
}
NOT_EXPRESSED = (
    "not expressed: T04c (Llama 2 34B shapes never published), T13 (no TPU config), I03 (batch=max and "
    "latency limits), TTFT rows (out of scope here), S04 (no traffic model)"
)


def _go_offline() -> None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[var] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # its "no PyTorch" banner


def _load_peer():
    """Import llm-analysis offline; None when it is not installed."""
    _go_offline()
    try:
        from llm_analysis import analysis, config
    except ImportError:
        return None

    def _no_hub(name: str):
        raise RuntimeError(f"offline: {name!r} is not a local llm-analysis config, and the Hub is not consulted")

    config.get_model_config_from_hf = _no_hub
    return analysis


def _peer_version() -> str:
    try:
        from importlib.metadata import version

        return version(PEER)
    except Exception:
        return "?"


def _check_config(model: str) -> Path:
    """The JSON config for a catalog model; its shapes must match gpucost's catalog."""
    path = CONFIGS / f"{model}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no peer config {path.relative_to(ROOT)}")
    cfg = json.loads(path.read_text(encoding="utf-8"))
    catalog = json.loads((ROOT / "engine" / "catalog" / "data" / "models.json").read_text(encoding="utf-8"))
    m = next((x for x in catalog if x["id"] == model), None)
    if m is not None:
        want = {
            "num_layers": m["n_layers"],
            "hidden_dim": m["d_model"],
            "n_head": m["n_heads"],
            "num_key_value_heads": m.get("n_kv_heads", m["n_heads"]),
            "vocab_size": m["vocab_size"],
            "ffn_embed_dim": m["d_ff"] * 3 // 2 if m.get("gated_mlp") else m["d_ff"],
        }
        bad = {k: (cfg.get(k), v) for k, v in want.items() if cfg.get(k) != v}
        if bad:
            raise ValueError(f"{path.name} differs from the catalog's {model}: {bad}")
    return path


def _parse(query: str) -> tuple[str, int, str, dict[str, str]]:
    """(model, GPUs per replica, GPU name, key=value options) from a benchmark query."""
    words = query.split()
    opts = dict(w.split("=", 1) for w in words if "=" in w)
    bare = [w for w in words if "=" not in w and w != "train"]
    model = bare[0]
    n, gpu = 1, bare[1]
    if m := re.fullmatch(r"(\d+)x(.+)", gpu):
        n, gpu = int(m.group(1)), m.group(2)
    return model, n, gpu, opts


def _train_call(analysis, query: str):
    model, _, gpu, opts = _parse(query)
    kwargs = dict(
        model_name=str(_check_config(model)),
        gpu_name=GPUS[gpu],
        dtype_name=DTYPES[opts.get("dtype", "bf16")],
        log_level="ERROR",
        seq_len=int(opts["seq"]),
        total_num_tokens=int(float(opts["tokens"])),
        global_batch_size=TRAIN_GLOBAL_BATCH,
        **TRAIN_LAYOUT,
    )
    return lambda: analysis.train(**kwargs)["gpu_hours"]


def _infer_call(analysis, query: str):
    model, tp, gpu, opts = _parse(query)
    dtype = opts.get("dtype", "fp16")
    kwargs = dict(
        model_name=str(_check_config(model)),
        gpu_name=GPUS[gpu],
        dtype_name=DTYPES[dtype],
        log_level="ERROR",
        tp_size=tp,
        batch_size_per_gpu=int(opts["batch"]),  # the peer's "per GPU" batch is per tensor-parallel group
        seq_len=int(opts["in"]),
        num_tokens_to_generate=int(opts["out"]),
        kv_cache_dtype_bytes=1 if dtype == "fp8" else None,
    )
    return lambda: analysis.infer(**kwargs)["total_tokens_per_sec"] / tp


def _median_s(fn, n: int) -> float:
    fn()  # warm: imports, config file reads
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def distinct_queries(query: str, n: int) -> list[str]:
    """``n`` different queries from ``query``: the same workload with the training tokens (train) or
    the prompt length (inference) changed a little, so no answer comes from a cache and the shapes stay."""
    key = "tokens" if query.startswith("train ") else "in"
    m = re.search(rf"\b{key}=([^ ]+)", query)
    if m is None:
        raise ValueError(f"no {key}= in {query!r}")
    base = float(m.group(1))
    out = []
    for i in range(n):
        value = f"{base * (1 + i * 1e-6):.12g}" if key == "tokens" else str(int(base) + i)
        out.append(query[: m.start(1)] + value + query[m.end(1) :])
    return out


def _median_each_s(fns: list) -> float:
    """Median time of calling each of ``fns`` once (after one warm-up call of the first)."""
    fns[0]()
    times = []
    for fn in fns[1:]:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _fmt(v: float | None) -> str:
    return f"{v:,.4g}" if v is not None else "n/a"


def _err(v: float | None, published: float) -> str:
    return f"{(v / published - 1) * 100:+.1f}%" if v is not None else "n/a"


def main(rows: list, repeats: int = 50) -> None:
    analysis = _load_peer()
    if analysis is None:
        print(INSTALL_HINT)
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from engine import run

    print(f"\nSide by side with {PEER} {_peer_version()} (offline; its defaults unless a case states a value)")
    print(f"{'case':<18} {'published':>12} {'gpucost':>12} {'error':>8} {PEER:>13} {'error':>8}  note")
    calls: dict[str, tuple] = {}
    errors: list[str] = []
    ours_err: list[float] = []
    theirs_err: list[float] = []
    for r in rows:
        if r.case in TRAIN_CASES:
            key, make = "train", _train_call
        elif r.case in INFER_CASES:
            key, make = "infer", _infer_call
        else:
            continue
        peer = None
        try:
            fn = make(analysis, r.query)
            peer = float(fn())
            calls.setdefault(key, (r, fn))
        except Exception as exc:  # the peer asserts on memory fit and the like: report, go on
            errors.append(f"{r.case}: {type(exc).__name__}: {exc}")
        if r.estimated is not None and peer is not None:
            ours_err.append(abs(r.estimated / r.published - 1) * 100)
            theirs_err.append(abs(peer / r.published - 1) * 100)
        print(
            f"{r.case:<18} {r.published:>12,.4g} {_fmt(r.estimated):>12} {_err(r.estimated, r.published):>8} "
            f"{_fmt(peer):>13} {_err(peer, r.published):>8}  [{key}]"
        )
    if ours_err:
        print(
            f"median |error| on the {len(ours_err)} rows both estimate: gpucost {statistics.median(ours_err):.1f}%, "
            f"{PEER} {statistics.median(theirs_err):.1f}%"
        )
    for key, text in NOTES.items():
        print(textwrap.fill(text, 118, initial_indent=f"  [{key}] ", subsequent_indent="      "))
    print(textwrap.fill(NOT_EXPRESSED, 118, initial_indent="  ", subsequent_indent="    "))
    for e in errors:
        print(f"  ! {PEER} failed on {e}")

    print(f"\nTiming, one estimate each (median of {repeats} calls, same process):")
    makers = {"train": _train_call, "infer": _infer_call}
    for key, (r, fn) in calls.items():
        ours = _median_s(lambda q=r.query: run(q), repeats)
        theirs = _median_s(fn, repeats)
        print(
            f"  {r.case:<16} repeated  gpucost engine.run {ours * 1e3:8.3f} ms   {PEER} {key}() {theirs * 1e3:8.3f} ms"
            f"   ratio {PEER}/gpucost = {theirs / ours:.2f}x  (the same query {repeats} times)"
        )
        queries = distinct_queries(r.query, repeats + 1)
        ours = _median_each_s([lambda q=q: run(q) for q in queries])
        theirs = _median_each_s([makers[key](analysis, q) for q in queries])
        print(
            f"  {r.case:<16} distinct  gpucost engine.run {ours * 1e3:8.3f} ms   {PEER} {key}() {theirs * 1e3:8.3f} ms"
            f"   ratio {PEER}/gpucost = {theirs / ours:.2f}x  ({repeats} different queries)"
        )
