"""Accuracy benchmark: run every published case through the engine and report the error.

    python bench/accuracy.py [CASES.yaml] [--markdown FILE] [--compare]

Each case of a cases file (the shape is documented in ``docs/accuracy.md``) is turned into gpucost
queries using only what the case states (model or parameter count, hardware, precision, layout,
batch, lengths, tokens, measured figures) plus the engine's documented defaults; nothing is fitted
to the published numbers. Any file of that shape runs: a model is mapped to the catalog by name
(release suffixes such as -chat dropped), else by a catalog name in the case's id or title, else by
its parameter count; whatever a case does not state enough to express is skipped with a printed
reason, never a crash. Without a file, the shipped ``bench/cases.yaml`` runs, plus any case of the
team's ``../shared/reference/cases.yaml`` (beside the checkout) that it does not hold.

Prints a table (case, quantity, published, estimated, error %), the skipped cases with their reason,
and a summary per kind: median and worst absolute error. ``--compare`` runs the peer estimator
llm-analysis beside it where it can express the case (``bench/peer_compare.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import run  # noqa: E402
from engine.catalog import list_gpus, list_models, normalise, resolve_gpu, resolve_model  # noqa: E402
from engine.errors import GpucostError  # noqa: E402
from engine.units import parse_number  # noqa: E402

SHIPPED_CASES = ROOT / "bench" / "cases.yaml"
SHARED_CASES = ROOT.parent / "shared" / "reference" / "cases.yaml"
DTYPE_WORDS = re.compile(r"\b(nvfp4|mxfp4|fp4|fp8|fp16|bf16|fp32|int8|int4)\b", re.IGNORECASE)


@dataclass
class Row:
    case: str
    kind: str
    quantity: str
    published: float
    estimated: float | None
    query: str
    note: str = ""
    in_summary: bool = True  # False for a published figure the source itself rounded

    @property
    def error_pct(self) -> float | None:
        if self.estimated is None or not self.published:
            return None
        return (self.estimated / self.published - 1) * 100


@dataclass
class Skip:
    case: str
    reason: str


@dataclass
class Bench:
    rows: list[Row] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _results: dict[str, Any] = field(default_factory=dict)

    def estimate(self, query: str) -> Any:
        """The engine's Result for ``query`` (once per query), or None with the error kept."""
        if query not in self._results:
            try:
                self._results[query] = run(query, trace=False)
            except GpucostError as exc:
                self.errors.append(f"{query}: {exc}")
                self._results[query] = None
        return self._results[query]

    def add(self, point: Point, kind: str, quantity: str, published: Any, query: str, value: Any, note: str = "",
            in_summary: bool = True) -> None:  # fmt: skip
        pub = number(published)
        if pub is None or pub <= 0:
            self.skipped.append(Skip(point.id, f"{quantity}: published value {published!r} is not a positive number"))
            return
        est = float(value) if isinstance(value, (int, float)) else None
        self.rows.append(Row(point.id, kind, quantity, pub, est, query, "; ".join(filter(None, [point.note, note])),
                             in_summary))  # fmt: skip


def number(v: Any) -> float | None:
    """A number from a YAML value: ints, floats and strings like '2.0e12', '15T', '1,200'; else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return parse_number(v.strip().lstrip("~"), what="value")
        except GpucostError:
            return None
    return None


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", text.lower().replace("meta-llama/", "").replace("-hf", ""))


_MODEL_KEYS: list[tuple[str, str]] = sorted(
    {(_norm(k), m.id) for m in list_models() for k in (m.id, m.name, *m.aliases) if len(_norm(k)) >= 4},
    key=lambda kv: -len(kv[0]),
)
_GPU_KEYS: list[tuple[str, str]] = sorted(
    {(normalise(k), a.id) for a in list_gpus() for k in (a.id, a.short, *a.aliases) if len(normalise(k)) >= 2},
    key=lambda kv: -len(kv[0]),
)


def catalog_model_in(text: str, params: float | None = None) -> str | None:
    """The catalog model whose name (longest first) appears in ``text`` as a whole name (not followed
    by a digit: "gpt1" is not in "chatgpt100k"), or None; with ``params`` stated, only a model within
    25% of that count."""
    t = _norm(text)
    for key, mid in _MODEL_KEYS:
        at = t.find(key)
        while at >= 0:
            end = at + len(key)
            if not (end < len(t) and t[end].isdigit()):
                if params is None or abs(resolve_model(mid).total_params / params - 1) <= 0.25:
                    return mid
                break
            at = t.find(key, at + 1)
    return None


def catalog_model(name: str) -> str | None:
    try:
        return resolve_model(name, allow_files=False).id
    except GpucostError:
        return None


class Point:
    """One thing a case reports: the case itself, or one of its variants (whose keys win)."""

    def __init__(self, case: dict[str, Any], variant: dict[str, Any] | None = None) -> None:
        self.case, self.variant = case, variant or {}
        self.id = str(self.variant.get("sub_id") or case.get("id") or "?")
        self.note = ""
        self.text = json.dumps([case.get("title"), case.get("source"), case.get("assumptions"), self.variant],
                               default=str).lower()  # fmt: skip

    def _layers(self) -> list[dict[str, Any]]:
        v, c = self.variant, self.case
        return [_dict(v.get("assumptions")), v, _dict(c.get("assumptions"))]

    def get(self, *keys: str) -> Any:
        """The first stated value of ``keys`` (any case of the key): variant first, then the case."""
        for layer in self._layers():
            low = {str(k).lower(): val for k, val in layer.items()}
            for k in keys:
                if low.get(k.lower()) is not None:
                    return low[k.lower()]
        return None

    def num(self, *keys: str) -> float | None:
        return number(self.get(*keys))

    def reported(self) -> dict[str, Any]:
        return {**_dict(self.case.get("reported")), **_dict(self.variant.get("reported"))}

    def derived(self) -> dict[str, Any]:
        return {**_dict(self.case.get("derived")), **_dict(self.variant.get("derived"))}

    def model(self) -> str | None:
        """The model as a query token: a catalog model named by the case, by its sub-id, its parameter
        count, or a catalog name in its title; the choice is noted."""
        for text in (self.variant.get("model"), _dict(self.variant.get("assumptions")).get("model"),
                     _dict(self.case.get("assumptions")).get("model"), self.case.get("model")):  # fmt: skip
            if isinstance(text, str) and (mid := catalog_model(text.split("(")[0].strip())):
                return mid
        if mid := catalog_model_in(str(self.variant.get("sub_id", ""))):
            self.note = f"model {mid} from the case id"
            return mid
        v_params = number(self.variant.get("params")) or number(_dict(self.variant.get("assumptions")).get("params"))
        if v_params:
            return f"{v_params:.4g}"
        params = number(_dict(self.case.get("assumptions")).get("params"))
        if mid := catalog_model_in(str(self.case.get("title", "")), params):
            self.note = f"model {mid} from the title"
            return mid
        if params:
            return f"{params:.4g}"
        return None

    def hardware(self) -> tuple[int | None, str | None, str | None]:
        """(GPU count, catalog GPU id, precision word) from the hardware text."""
        raw = self.get("hardware", "hw", "gpu", "accelerator", "system")
        if not isinstance(raw, str):
            return None, None, None
        dtype = m.group(1).lower() if (m := DTYPE_WORDS.search(raw)) else None
        count = None
        m = re.match(r"\s*(\d[\d,]*)\s*(?:x|×|\*)\s*", raw) or re.match(r"\s*(\d[\d,]*)\s+(?=[A-Za-z])", raw)
        if m:
            count = int(m.group(1).replace(",", ""))
        name = DTYPE_WORDS.sub("", re.sub(r"\(.*?\)", "", raw[m.end():] if m else raw)).strip(" ;,-")
        try:
            return count, resolve_gpu(name).id, dtype
        except GpucostError:
            t = normalise(name)
            return count, next((gid for key, gid in _GPU_KEYS if key in t), None), dtype

    def dtype(self, hw_word: str | None) -> str | None:
        text = self.get("precision", "dtype")
        word = m.group(1).lower() if isinstance(text, str) and (m := DTYPE_WORDS.search(text)) else hw_word
        return {"nvfp4": "fp4"}.get(word or "", word)


# ---- training ---------------------------------------------------------------------------------------
def training_rows(b: Bench, p: Point) -> None:
    """Training: the stated model, hardware, tokens, sequence length and precision; a Megatron-style
    layout (tp=, pp=, global batch) only when the case states TP or PP and the GPU count; goodput 1
    when the case says its figure is steady state (computed from throughput, no downtime)."""
    model = p.model()
    count, gpu, hw_dtype = p.hardware()
    tokens = p.num("tokens", "training_tokens", "total_tokens")
    if not model or not gpu or not tokens:
        missing = [n for n, v in (("model or params", model), ("hardware", gpu), ("tokens", tokens)) if not v]
        b.skipped.append(Skip(p.id, f"training: not stated or not in the catalog: {', '.join(missing)}"))
        return
    seq = p.num("context_len", "seq", "seq_len", "sequence_length")
    count = int(p.num("gpus", "gpu_count", "num_gpus") or count or 0) or None
    opts = [f"tokens={tokens:.6g}"] + ([f"seq={int(seq)}"] if seq else [])
    if dtype := p.dtype(hw_dtype):
        opts.append(f"dtype={dtype}")
    if count:
        opts.append(f"gpus={count}")
    layout = ""
    tp, pp = p.num("tp", "tensor_parallel"), p.num("pp", "pipeline_parallel")
    if count and (tp or pp):
        opts += [f"tp={int(tp or 1)}", f"pp={int(pp or 1)}"]
        if vpp := p.num("vpp", "virtual_stages"):
            opts.append(f"vpp={int(vpp)}")
        gb = p.num("global_batch", "global_batch_sequences", "batch_size")
        if not gb and (gbt := p.num("global_batch_tokens")) and seq:
            gb = gbt / seq
        if gb and float(gb).is_integer():
            opts.append(f"global_batch={int(gb)}")
        if mb := p.num("micro_batch", "microbatch", "micro_batch_size"):
            opts.append(f"micro_batch={int(mb)}")
        layout = "layout"
    if p.get("steady_state") is True:
        opts.append("goodput=1")
    q = f"train {model} {gpu} " + " ".join(opts)
    r = b.estimate(q)
    rep, der = p.reported(), p.derived()
    for key in ("gpu_hours", "chip_hours"):
        if key in rep:
            b.add(p, "training GPU-hours", "GPU-hours", rep[key], q, r and r.gpu_hours)
            break
    else:
        for key in ("gpu_hours", "chip_hours"):
            if key in der:
                b.add(p, "training GPU-hours", f"{key.replace('_', '-')} (derived)", der[key], q, r and r.gpu_hours)
                break
    for key in ("days", "training_days", "wall_clock_days"):
        if key in rep:
            if count:
                b.add(p, "training days", "days", rep[key], q, r and r.days)
            else:
                b.skipped.append(Skip(p.id, "training days: the GPU count is not stated"))
    for key in ("iteration_time_s", "step_time_s", "seconds_per_iteration"):
        if key in rep:
            if layout:
                b.add(p, "training step time", "s per step", rep[key], q, r and r.inputs.get("step_s"))
            else:
                b.skipped.append(Skip(p.id, "training step time: needs TP/PP and the GPU count to model a step"))


# ---- inference --------------------------------------------------------------------------------------
def _engine(p: Point) -> tuple[str | None, str]:
    """The serving-engine preset of the engine (and version) the case states."""
    t = p.text
    if "tensorrt" in t or "trt-llm" in t or "trtllm" in t or "_trt" in t:
        # before v0.8 (early 2024) TensorRT-LLM had no grouped-query decode kernel (XQA)
        old = re.search(r"(?:tensorrt-llm|trt-llm|trtllm)[^0-9]{0,12}v?0\.([0-7])\b", t)
        return ("trtllm@0.6", "") if old else ("trtllm", "")
    if "vllm" in t:
        old = re.search(r"vllm[^0-9]{0,12}v?0\.([0-5])\b", t)
        return ("vllm@0.5", "") if old else ("vllm", "")
    if "sglang" in t:
        return "sglang", ""
    return None, ""


def _serving_base(p: Point) -> tuple[str | None, str]:
    """The query's model, GPU (with TP as the count), precision, KV and engine; or (None, reason)."""
    model = p.model()
    _, gpu, hw_dtype = p.hardware()
    if not model or not gpu:
        return None, "not stated or not in the catalog: " + ("model or params" if not model else "hardware")
    tp = p.num("TP", "tp", "tensor_parallel")
    parts = [model, f"{int(tp)}x{gpu}" if tp else gpu]
    dtype = p.dtype(hw_dtype)
    if dtype:
        parts.append(f"dtype={dtype}")
    if dtype == "fp8" and "fp8 kv" in p.text:
        parts.append("kv=fp8")
    engine, note = _engine(p)
    if engine:
        parts.append(f"engine={engine}")
    p.note = "; ".join(filter(None, [p.note, note]))
    return " ".join(parts), ""


def _lengths(p: Point) -> tuple[list[str], str]:
    isl = p.num("isl", "input_len", "input_tokens", "in", "prompt_tokens")
    osl = p.num("osl", "output_len", "output_tokens", "out")
    opts = ([f"in={int(isl)}"] if isl else []) + ([f"out={int(osl)}"] if osl else [])
    return opts, "" if isl and osl else "lengths not stated: defaults 512/256"


def inference_rows(b: Bench, p: Point) -> None:
    """Inference: the stated model, GPUs (TP as the replica), precision, batch, lengths and the
    engine the source used (TensorRT-LLM -> engine=trtllm). Static-batch benchmarks (fixed lengths)
    -> batching=static out_spread=0. MLPerf Offline = batch=max; Server adds its TTFT/TPOT limits.
    Per-GPU throughput is compared; a system total is divided by its stated GPU count."""
    rep, der = p.reported(), p.derived()
    per_gpu_keys = ("out_tok_per_s_per_gpu", "tokens_per_s_per_gpu", "output_tokens_per_s_per_gpu")
    scenarios = [s for s in ("offline", "server") if s in rep or f"{s}_tokens_per_s_per_gpu" in der]
    if not scenarios and not any(k in rep or k in p.variant for k in per_gpu_keys):
        if p.variant or not _ttft_lists(p.case):  # a case of TTFT lists alone is mapped by ttft_rows
            b.skipped.append(Skip(p.id, "inference: no throughput reported (per GPU, or offline/server tokens/s)"))
        return
    base, why = _serving_base(p)
    if base is None:
        b.skipped.append(Skip(p.id, f"inference: {why}"))
        return
    lengths, length_note = _lengths(p)
    static = ["batching=static", "out_spread=0"] if "static batch" in p.text else []
    batch = p.num("batch", "batch_size")
    count, _, _ = p.hardware()
    prompts = p.num("prompts", "num_prompts")  # a benchmark's requests sent at once: a finite run
    for key in per_gpu_keys:
        if key in rep or key in p.variant:
            q = " ".join(
                [base, *([f"batch={int(batch)}"] if batch else ["batch=max"]), *lengths, *static]
                + ([f"prompts={int(prompts)}"] if prompts and not static else [])
            )
            r = b.estimate(q)
            got = r and r.tokens_per_s_per_gpu
            if r and prompts and not static:
                got = r.inputs["finite_run_output_tokens_per_s"] / r.gpus_per_replica  # type: ignore[operator]
            b.add(p, "inference throughput", "output tok/s per GPU", rep.get(key, p.variant.get(key)), q,
                  got, length_note)  # fmt: skip
            break
    for scenario in scenarios:
        rep_s = _dict(rep.get(scenario))
        published = der.get(f"{scenario}_tokens_per_s_per_gpu")
        if published is None and "tokens_per_s" in rep_s:
            if not count:
                b.skipped.append(Skip(p.id, f"{scenario}: system tokens/s without a stated GPU count"))
                continue
            published = (number(rep_s["tokens_per_s"]) or 0) / count
        if published is None:
            continue
        limits = []
        if scenario == "server":
            lim = _dict(p.get("server_constraints"))
            if (ttft := number(lim.get("TTFT_s"))) is not None:
                limits.append(f"ttft_max={ttft:g}s")
            if (tpot := number(lim.get("TPOT_ms"))) is not None:
                limits.append(f"tpot_max={tpot:g}ms")
        q = " ".join([base, *limits, "batch=max", *lengths])
        r = b.estimate(q)
        sp = Point(p.case, {**p.variant, "sub_id": f"{p.id} {scenario}"})
        sp.note = p.note
        b.add(sp, "inference throughput", "output tok/s per GPU", published, q, r and r.tokens_per_s_per_gpu,
              length_note)  # fmt: skip
        if scenario == "server" and any(k.lower().startswith("mean_ttft") for k in rep_s):
            why = "TTFT/TPOT under load: not compared (ttft_s is one request's isolated prefill)"
            b.skipped.append(Skip(sp.id, why))


def _ttft_lists(case: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [v for v in case.values() if isinstance(v, list) and v and all(isinstance(i, dict) and "ttft_ms" in i
                                                                          for i in v)]  # fmt: skip


def ttft_rows(b: Bench, case: dict[str, Any]) -> None:
    """Batch-1 TTFT lists of a case (items with ttft_ms, model, hardware, TP and prompt length)."""
    for items in _ttft_lists(case):
        for i, item in enumerate(items):
            sub = Point(case, {**item, "sub_id": f"{case.get('id', '?')} ttft{i + 1}"})
            base_i, why = _serving_base(sub)
            isl = sub.num("isl", "input_len", "in")
            if base_i is None or not isl:
                b.skipped.append(Skip(sub.id, f"TTFT: {why or 'prompt length not stated'}"))
                continue
            q = f"{base_i} batch=1 in={int(isl)} out=1"
            r = b.estimate(q)
            b.add(sub, "inference latency (TTFT)", "TTFT ms", item["ttft_ms"], q, r and r.ttft_s and r.ttft_s * 1e3)


# ---- daily service (measured) -------------------------------------------------------------------------
def service_rows(b: Bench, p: Point) -> None:
    """Daily service from a measured per-token (or per-word) time on stated GPUs: the case's price,
    traffic and reply length; every node busy (util=1, peak=1) when the case says so. The derived
    row is the stated inputs' own arithmetic chain (time x price x reply x requests)."""
    a = {str(k).lower(): v for layer in reversed(p._layers()) for k, v in layer.items()}
    model = p.model()
    price_key = next((k for k in a if re.fullmatch(r"price_usd_per_(\w+?)_hour", k)), None)
    time_key = next((k for k in a if re.fullmatch(r"per_(word|token)_time\w*_s", k)), None)
    requests = p.num("queries_per_day", "requests_per_day", "requests")
    out = p.num("words_per_response", "tokens_per_response", "out", "osl")
    dec = p.num("decode_tps")
    if time_key and number(a[time_key]):
        dec = 1 / number(a[time_key])  # type: ignore[operator]
    gpu_text = (m.group(1) if time_key and (m := re.search(r"on_one_(\w+?)_s$", time_key)) else None) or (
        m.group(1) if price_key and (m := re.fullmatch(r"price_usd_per_(\w+?)_hour", price_key)) else None
    )
    count, gpu, _ = p.hardware()
    if gpu is None and gpu_text:
        t = normalise(gpu_text)
        gpu = next((gid for key, gid in _GPU_KEYS if key in t), None)
        count = 1 if time_key and "on_one" in time_key else count
    if not (model and gpu and requests and out and dec):
        why = "service: needs model, hardware, requests per day, reply length and a measured rate"
        b.skipped.append(Skip(p.id, why))
        return
    price = number(a[price_key]) if price_key else None
    busy = "always busy" in p.text or "100%" in p.text
    q = (f"daily {model} {count or 1}x{gpu}{f' {price!r}usd' if price else ''} requests={requests:.4g} "
         f"in={int(p.num('in', 'isl') or 1)} out={int(out)} decode_tps={dec!r}"
         + (" util=1 peak=1" if busy else ""))  # fmt: skip
    r = b.estimate(q)
    rep = p.reported()
    if "daily_cost_usd" not in rep:
        b.skipped.append(Skip(p.id, "service: no reported daily_cost_usd"))
        return
    if price and time_key:
        exact = number(a[time_key]) * price / 3600 * out * requests  # type: ignore[operator]
        b.add(Point(p.case, {"sub_id": f"{p.id} derived"}), "daily service cost (measured)", "USD/day", exact, q,
              r and r.cost_per_day, "the case's own arithmetic chain")  # fmt: skip
    b.add(Point(p.case, {"sub_id": f"{p.id} published"}), "daily service cost (measured)", "USD/day",
          rep["daily_cost_usd"], q, r and r.cost_per_day, "the published figure as given",
          in_summary=not (price and time_key))  # fmt: skip


KINDS = {"training": training_rows, "inference": inference_rows, "service": service_rows}


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of a YAML file, or a one-line error naming what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SystemExit(f"accuracy: cannot read {path} as YAML ({type(exc).__name__})") from None
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list):
        raise SystemExit(f"accuracy: {path} has no 'cases:' list (see docs/accuracy.md for the shape)")
    return cases


def collect(cases: list[Any]) -> Bench:
    """Rows and skips for every case; a case that cannot be expressed is skipped with its reason."""
    b = Bench()
    for case in cases:
        if not isinstance(case, dict):
            b.skipped.append(Skip("?", f"not a mapping: {str(case)[:40]!r}"))
            continue
        kind, cid = case.get("kind"), str(case.get("id", "?"))
        if kind not in KINDS:
            b.skipped.append(Skip(cid, f"kind {kind!r} is not one of {', '.join(KINDS)}"))
            continue
        raw = case.get("variants")
        variants = [v for v in raw if isinstance(v, dict)] if isinstance(raw, list) else []
        for point in [Point(case, v) for v in variants] or [Point(case)]:
            try:
                KINDS[kind](b, point)
            except Exception as exc:  # a malformed case must not stop the others
                b.skipped.append(Skip(point.id, f"could not map ({type(exc).__name__}: {str(exc)[:80]})"))
        if kind == "inference":
            try:
                ttft_rows(b, case)
            except Exception as exc:
                b.skipped.append(Skip(cid, f"TTFT list could not be mapped ({type(exc).__name__}: {str(exc)[:80]})"))
    return b


def summary(rows: list[Row]) -> list[tuple[str, int, float, float]]:
    out = []
    for kind in dict.fromkeys(r.kind for r in rows):
        errs = [abs(e) for r in rows if r.kind == kind and r.in_summary and (e := r.error_pct) is not None]
        if errs:
            out.append((kind, len(errs), statistics.median(errs), max(errs)))
    return out


def render(rows: list[Row], markdown: bool = False) -> str:
    lines = []
    if markdown:
        lines += ["| case | quantity | published | estimated | error | query |", "|---|---|---:|---:|---:|---|"]
    for r in rows:
        est = f"{r.estimated:,.4g}" if r.estimated is not None else "n/a"
        err = f"{r.error_pct:+.1f}%" if r.error_pct is not None else "n/a"
        if markdown:
            lines.append(f"| {r.case} | {r.quantity} | {r.published:,.4g} | {est} | {err} | `{r.query}` |")
        else:
            lines.append(f"{r.case:<24} {r.quantity:<24} {r.published:>14,.4g} {est:>14} {err:>8}")
    lines.append("")
    if markdown:
        lines += ["| kind | cases | median abs error | worst abs error |", "|---|---:|---:|---:|"]
    for kind, n, med, worst in summary(rows):
        if markdown:
            lines.append(f"| {kind} | {n} | {med:.1f}% | {worst:.1f}% |")
        else:
            lines.append(f"{kind:<32} n={n:<3} median {med:5.1f}%  worst {worst:5.1f}%")
    return "\n".join(lines)


RESULTS_BEGIN = "<!-- results: python bench/accuracy.py --markdown docs/accuracy.md -->"
RESULTS_END = "<!-- /results -->"


def write_markdown(path: Path, table: str) -> None:
    """Write ``table`` to ``path``: between the results markers when the file has them (the rest of
    the page, e.g. the case schema, is kept), else as the whole file."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if RESULTS_BEGIN in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_BEGIN, 1)
        text = f"{head}{RESULTS_BEGIN}\n{table}\n{RESULTS_END}{rest.split(RESULTS_END, 1)[1]}"
    else:
        text = table + "\n"
    path.write_text(text, encoding="utf-8")


def default_cases() -> list[Any]:
    """The shipped cases, plus the team's shared cases (beside the checkout) they do not hold."""
    cases = load_cases(SHIPPED_CASES)
    if SHARED_CASES.is_file():
        ids = {c.get("id") for c in cases if isinstance(c, dict)}
        cases += [c for c in load_cases(SHARED_CASES) if isinstance(c, dict) and c.get("id") not in ids]
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="?", help="a cases file (default: bench/cases.yaml + the shared file's new cases)")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    ap.add_argument("--compare", action="store_true", help="run llm-analysis beside (needs the compare extra)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.cases and not Path(args.cases).is_file():
        print(f"accuracy: no cases file at {args.cases}; give the path of a cases.yaml", file=sys.stderr)
        return 2
    try:
        cases = load_cases(Path(args.cases)) if args.cases else default_cases()
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    b = collect(cases)
    print(f"{'case':<24} {'quantity':<24} {'published':>14} {'estimated':>14} {'error':>8}")
    print(render(b.rows))
    for s in b.skipped:
        print(f"skipped {s.case}: {s.reason}")
    for e in b.errors:
        print(f"  ! {e}", file=sys.stderr)
    print(f"\n{len(b.rows)} rows, {len(b.skipped)} skipped, in {time.perf_counter() - t0:.2f} s")
    if args.markdown:
        write_markdown(Path(args.markdown), render(b.rows, markdown=True))
    if args.compare:
        import importlib.util

        spec = importlib.util.spec_from_file_location("peer_compare", Path(__file__).with_name("peer_compare.py"))
        peer = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(peer)
        peer.main(b.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
