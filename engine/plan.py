"""The planner's search: every way to serve a workload within its latency limits, and its fleet.

``gpucost plan <model> [traffic] [in= out=] [ttft_max= tpot_max=] [gpus=...] [provider= region= spot]``
asks what to run a workload on. The search evaluates each configuration's performance once and
prices it afterwards (:mod:`engine.planner` ranks, prices and assembles the answer):

1. **GPU kinds**: those ``gpus=`` names, else every accelerator with a price (shipped catalog,
   your price file, a settings override) that matches ``provider=``/``region=``/``spot``.
2. **Precision** (:func:`dtype_options`): the model's release precision (no ``dtype=``: what a
   daily estimate picks), the GPU's 16-bit type, FP8 where the GPU has FP8 tensor cores and FP4
   where it has FP4 ones; or ``dtype=`` alone.
3. **Serving engine**: vLLM, SGLang and TensorRT-LLM where each runs (:mod:`engine.support`),
   or ``engine=`` alone. Each (GPU, precision, engine) is one serving plan, resolved exactly as a
   ``daily`` estimate resolves it (:func:`engine.resolve.resolve`, :func:`engine.serving.serving_plan`).
4. **Replica** (colocated): every GPU count the replica search tries, every layout
   :func:`engine.sizing.candidates` offers at it, at the batch a daily estimate of that layout
   picks (the largest that fits, capped per data-parallel rank, cut to meet the limits) and, for
   the layouts no other of the same plan beats on both output tokens/s per GPU and TPOT there, at
   each power of two below it from ``dp x pp`` up (:func:`engine.sizing.batch_ladder`; ``batch=``):
   lower batches trade cost for time per output token.
   **Disaggregated** (``disagg``): each GPU count's prefill replica (:func:`engine.sizing.prefill_pool`)
   with each GPU count's decode replica (:func:`engine.sizing.decode_pool`).
5. **Fleet**: whole replicas for the traffic's peak at the target utilisation, as ``daily`` sizes it.

Every point keeps the options that reproduce it (``NxGPU``, ``tp=``/``pp=``/``dp=``/``ep=``,
``batch=``, ``dtype=``, ``engine=``, ``disagg prefill_gpus= decode_gpus=``), so a row's query run as a
``daily`` estimate gives the same cost per day, GPUs, TTFT and TPOT. Latency limits are checked as
the estimate checks them: ``tpot_max`` against the time per output token, ``ttft_max`` against the
TTFT of a prompt arriving at a replica running its batch (colocated) or of an idle prefill replica
plus the KV transfer (disaggregated: the figure that estimate reports).

Imports the estimators (``resolve``, ``serving``, ``sizing``, ``service``, ``disagg``); never the
front ends, ``commands`` or ``planner``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.architecture import ModelArch
from engine.catalog import Accelerator
from engine.config import EngineConfig
from engine.disagg import kv_transfer_s, pools
from engine.hardware import default_dtype, resolve_precision
from engine.inference import Terms
from engine.layout import Layout
from engine.memory import kv_per_gpu, kv_tokens
from engine.provenance import Ctx
from engine.query import Query, parse_option
from engine.queueing import queue_wait_s
from engine.resolve import resolve
from engine.service import SECONDS_PER_DAY, fleet_replicas, lengths_from_tokens, peak_to_average, requests_per_day
from engine.serving import ServingPlan, serving_plan
from engine.sizing import (
    Asked,
    Limits,
    batch_for,
    batch_ladder,
    candidates,
    decode_pool,
    prefill_pool,
    replica_counts,
    room,
)
from engine.support import engines_for, why_not

#: Options of a plan query that a row's daily query carries as they are.
ROW_OPTIONS = (
    "in", "out", "requests", "users", "per_user", "tokens_in", "tokens_out", "peak", "util", "ttft_max",
    "tpot_max", "cache_hit", "currency", "kv", "spot",
)  # fmt: skip


@dataclass(frozen=True)
class Point:
    """One configuration's performance and fleet, before a price: per-replica GPUs and layout,
    batch, latencies [s], the fleet's replicas and GPUs at the traffic, and the prefill share of
    the fleet's cost. ``pools``: (GPUs per replica, replicas, requests/s per replica) of each pool."""

    acc: Accelerator
    dtype: str  # the precision as run (``fp8``, ``bf16+mxfp4 experts``)
    engine: str
    disagg: bool
    count: int  # the N of NxGPU in the row's query (colocated: the replica; disaggregated: the decode replica)
    layout: str
    batch: int
    replicas: int
    fleet_gpus: int
    prefill_share: float
    ttft_s: float
    ttft_loaded_s: float | None
    tpot_s: float
    tokens_per_s_per_gpu: float
    options: tuple[tuple[str, str], ...]  # beside the base options: dtype, engine, layout, batch, disagg
    pools: tuple[tuple[int, int, float], ...]

    @property
    def ttft_checked(self) -> float:
        """The TTFT ``ttft_max`` is held to (see the module docstring) [s]."""
        return self.ttft_s if self.ttft_loaded_s is None else self.ttft_loaded_s


@dataclass
class Search:
    """What the search found: the points meeting the limits per GPU kind, the closest miss when
    none does, and counts."""

    points: dict[str, list[Point]] = field(default_factory=dict)
    serving_plans: int = 0
    evaluated: int = 0  # performance points evaluated (layouts x batches, pool pairs)
    evaluated_by_gpu: dict[str, int] = field(default_factory=dict)
    #: per GPU kind, the pools ((GPUs, requests/s) of a replica, per pool) of every configuration
    #: meeting the limits that can be the cheapest at some traffic: the break-even envelope's
    envelope: dict[str, list[tuple[tuple[int, float], ...]]] = field(default_factory=dict)
    closest: tuple[float, str] | None = None  # (worst ratio to a limit, description)
    skipped: list[str] = field(default_factory=list)  # GPU kinds that hold no replica, with why
    lead: Ctx | None = None  # the first resolved context: its lines describe the workload
    requests_per_day: float = 0.0
    peak: float = 1.0
    util: float = 1.0
    s_in: int = 0
    s_out: int = 0
    engines_skipped: list[str] = field(default_factory=list)

    def miss(self, ratio: float, what: str) -> None:
        if self.closest is None or ratio < self.closest[0]:
            self.closest = (ratio, what)


def dtype_options(acc: Accelerator, arch: ModelArch, asked: str | None) -> list[str | None]:
    """The precisions tried on ``acc``: ``asked``, else as released (None), the GPU's default
    (16-bit, or FP32 without fast 16-bit), FP8 where it has FP8 tensor cores, FP4 where FP4 ones."""
    if asked is not None:
        return [asked]
    out: list[str | None] = [None, default_dtype(acc)[0]]
    if acc.peak_tflops_fp16 and resolve_precision(acc, "fp8").compute_dtype == "fp8":
        out.append("fp8")
    if acc.peak_tflops_fp4:
        out.append("fp4")
    return out


def _dtype_label(plan: ServingPlan, arch: ModelArch) -> str:
    experts = arch.expert_release_dtype if plan.roofline.experts_as_released else None
    return plan.dtype + (f"+{experts} experts" if experts and experts != plan.dtype else "")


def _sub_query(q: Query, model: str, acc: Accelerator, price: str | None, extra: dict[str, str]) -> Query:
    """The daily query of one (GPU, precision, engine), before a layout: the plan's workload options."""
    values = {k: q.values[k] for k in ROW_OPTIONS if k in q.values}
    options = {k: q.options[k] for k in ROW_OPTIONS if k in q.options}
    for k, raw in extra.items():
        key, value, canon = parse_option(k, raw)
        values[key], options[key] = value, canon
    gpu = acc.query_name
    return Query(kind="daily", model=model, gpu=gpu, price=price, options=options, values=values)


def search(
    q: Query, config: EngineConfig, arch: ModelArch, gpus: list[tuple[Accelerator, str | None]]
) -> Search:
    """Evaluate every configuration of :func:`dtype_options` x engine x replica on each of ``gpus``
    ((accelerator, price token or None) pairs), keeping those meeting the limits."""
    out = Search()
    asked_dtype = str(q.values["dtype"]) if "dtype" in q.values else None
    asked_engine = str(q.values["engine"]) if "engine" in q.values else None
    mode = q.values.get("disagg")  # None: both; True: disaggregated only; False: colocated only
    for acc, price in gpus:
        if asked_engine is not None:
            reason = why_not(acc, asked_engine)
            if reason:
                out.engines_skipped.append(reason)
                continue
            engines = [asked_engine]
        else:
            engines = engines_for(acc)
        seen: set[tuple[object, ...]] = set()
        found: list[Point] = []
        fitted = False
        for dtype in dtype_options(acc, arch, asked_dtype):
            for engine in engines:
                extra = {"engine": engine, **({"dtype": dtype} if dtype else {})}
                ctx = resolve(_sub_query(q, q.model or "", acc, price, extra), config)
                lengths_from_tokens(ctx)
                plan = serving_plan(ctx)
                key = (plan.dtype, plan.roofline.experts_as_released and arch.expert_release_dtype, plan.kv, engine)
                if key in seen:  # as released = an explicit precision on this GPU: searched once
                    continue
                seen.add(key)
                out.serving_plans += 1
                if out.lead is None:
                    out.lead = ctx
                    out.s_in, out.s_out = plan.s_in, plan.s_out
                    out.requests_per_day = requests_per_day(ctx, plan.s_in, plan.s_out)
                    out.peak = peak_to_average(ctx)
                    out.util = plan.util
                label = _dtype_label(plan, arch)
                if mode is not True:
                    fitted = _colocated(out, found, ctx, plan, arch, label, extra) or fitted
                if plan.out_spread is None and mode is not False:  # static batching has no disaggregated form
                    fitted = _disaggregated(out, found, ctx, plan, arch, label, extra) or fitted
        out.evaluated_by_gpu[acc.id] = out.evaluated - sum(out.evaluated_by_gpu.values())
        if not fitted:
            name = acc.query_name
            out.skipped.append(f"{name}: no replica holds {arch.id} (its weights and one sequence's KV cache)")
        if found:
            out.points[acc.id] = found
    return out


def _fleet(out: Search, plan: ServingPlan, rps: float) -> int:
    return fleet_replicas(out.requests_per_day, out.peak, rps, plan.util)


def _limits_text(lim: Limits, tpot: float, ttft: float) -> str:
    """The figures a configuration is held to, as ``TPOT 4.5 ms and TTFT 1.2 s``."""
    bits = []
    if lim.tpot is not None:
        bits.append(f"TPOT {_time(tpot)}")
    if lim.ttft is not None:
        bits.append(f"TTFT {_time(ttft)}")
    return " and ".join(bits)


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _ratio(lim: Limits, tpot: float, ttft: float) -> float:
    r = 0.0
    if lim.tpot is not None:
        r = max(r, tpot / lim.tpot)
    if lim.ttft is not None:
        r = max(r, ttft / lim.ttft)
    return r


def _colocated(
    out: Search, found: list[Point], ctx: Ctx, plan: ServingPlan, arch: ModelArch, label: str, extra: dict[str, str]
) -> bool:
    """Every colocated replica of one serving plan (see the module docstring); False when none fits.

    Each layout is evaluated at its chosen batch first; the lower batches are tried only for the
    layouts no other of this plan beats on both output tokens/s per GPU and TPOT there (a layout
    slower per GPU and per token at its best batch stays behind at lower ones)."""
    dims, rf, lim = arch.dims, plan.roofline, plan.limits
    seq = plan.s_in + plan.s_out
    counts = replica_counts(dims, rf, Asked())
    chosen: list[tuple[Layout, int, int, Terms]] = []
    for g in counts:
        for lay in candidates(dims, dims.n_heads, g, rf.domain, Asked()):
            fits = room(dims, rf, lay, seq)
            if fits < 1:
                continue
            batch, t, _ = batch_for(rf, dims, lay, fits, None, lim)
            out.evaluated += 1
            if lim.met(t):
                chosen.append((lay, fits, batch, t))
                continue
            what = f"{g}x {ctx.acc.short} {lay.describe()} {label} {extra['engine']} at batch {batch}"
            out.miss(_ratio(lim, t.tpot, t.ttft_loaded), what + ": " + _limits_text(lim, t.tpot, t.ttft_loaded))
    front = [
        c
        for c in chosen
        if not any(
            o[3].out_tps / o[0].gpus >= c[3].out_tps / c[0].gpus and o[3].tpot <= c[3].tpot and o is not c
            and (o[3].out_tps / o[0].gpus > c[3].out_tps / c[0].gpus or o[3].tpot < c[3].tpot)
            for o in chosen
        )
    ]  # fmt: skip
    for lay, fits, batch, t in chosen:
        sizes: list[tuple[int | None, int, Terms]] = [(None, batch, t)]
        for b in batch_ladder(lay, batch) if any(c[0] == lay for c in front) else []:
            bb, tb, _ = batch_for(rf, dims, lay, fits, b, lim)
            out.evaluated += 1
            if bb == b and lim.met(tb):
                sizes.append((b, b, tb))
        g = lay.gpus
        layout = tuple(lay.query_options().items())
        for asked_batch, bsz, tt in sizes:
            p = rf.point(dims, lay, bsz, None if math.isnan(tt.ttft) else tt)  # searched without the TTFTs
            rps = g / p.gpu_s_per_request
            replicas = _fleet(out, plan, rps)
            # the wait for a free slot at the peak over the fleet, as the row's daily estimate adds it
            # when the traffic is given
            wait = (
                queue_wait_s(out.requests_per_day / SECONDS_PER_DAY * out.peak / replicas, p.served, p.t_cycle)
                if plan.traffic_given
                else 0.0
            )
            out.envelope.setdefault(ctx.acc.id, []).append(((g, rps),))
            opts = (*extra.items(), *layout, *((("batch", str(asked_batch)),) if asked_batch else ()))
            found.append(
                Point(
                    acc=ctx.acc, dtype=label, engine=extra["engine"], disagg=False, count=g,
                    layout=lay.describe(), batch=bsz, replicas=replicas, fleet_gpus=replicas * g,
                    prefill_share=p.prefill_share, ttft_s=p.ttft_s, ttft_loaded_s=p.ttft_loaded_s + wait,
                    tpot_s=p.tpot_s, tokens_per_s_per_gpu=p.output_tokens_per_s / g, options=opts,
                    pools=((g, replicas, rps),),
                )
            )  # fmt: skip
    return bool(counts)


def _disaggregated(
    out: Search, found: list[Point], ctx: Ctx, plan: ServingPlan, arch: ModelArch, label: str, extra: dict[str, str]
) -> bool:
    """Every (prefill replica, decode replica) pair of one serving plan, each replica at a GPU count
    the replica search tries with the layout its pool picks at that count (as ``prefill_gpus=`` /
    ``decode_gpus=`` fix them); False when none fits."""
    dims, rf, lim, acc = arch.dims, plan.roofline, plan.limits, ctx.acc
    counts = replica_counts(dims, rf, Asked())
    prefill = [pf for g in counts if (pf := prefill_pool(dims, rf, Asked(gpus=g))) is not None]
    decode = [dec for g in counts if (dec := decode_pool(dims, rf, Asked(gpus=g), None, plan.tpot_max_s)) is not None]
    s_in, util = plan.s_in, plan.util
    ttfts = []
    for pf in prefill:
        kv_gpu = kv_per_gpu(dims, rf.kv_bytes, pf.layout.tp) * kv_tokens(dims, s_in) / s_in
        ttfts.append(rf.point(dims, pf.layout, 1).ttft_s + (kv_transfer_s(s_in, kv_gpu, acc.scaleout_gb_s) or 0.0))
    for pf, ttft in zip(prefill, ttfts, strict=True):
        g_pf = pf.layout.gpus
        for dec in decode:
            out.evaluated += 1
            g_dec = dec.layout.gpus
            if not lim.met_values(dec.step_s, ttft):
                what = (
                    f"{acc.short} disaggregated (prefill {g_pf}x, decode {g_dec}x) {label} {extra['engine']} at "
                    f"batch {dec.batch}"
                )
                out.miss(_ratio(lim, dec.step_s, ttft), what + ": " + _limits_text(lim, dec.step_s, ttft))
                continue
            pl = pools(out.requests_per_day, out.peak, util, g_pf, g_dec, pf.gpu_s, dec.gpu_s)
            opts = (*extra.items(), ("disagg", "true"), ("prefill_gpus", str(g_pf)), ("decode_gpus", str(g_dec)))
            found.append(
                Point(
                    acc=acc, dtype=label, engine=extra["engine"], disagg=True, count=g_dec,
                    layout=f"prefill {g_pf}x {pf.layout.describe()}; decode {g_dec}x {dec.layout.describe()}",
                    batch=dec.batch, replicas=pl.prefill_replicas + pl.decode_replicas, fleet_gpus=pl.gpus,
                    prefill_share=pl.prefill_share, ttft_s=ttft, ttft_loaded_s=None, tpot_s=dec.step_s,
                    tokens_per_s_per_gpu=dec.batch / dec.step_s / g_dec, options=opts,
                    pools=(
                        (g_pf, pl.prefill_replicas, g_pf / pf.gpu_s), (g_dec, pl.decode_replicas, g_dec / dec.gpu_s)
                    ),
                )
            )  # fmt: skip
    # the break-even envelope: a pair is never the cheapest when another pair's prefill and decode
    # replicas each have no more GPUs and serve no fewer requests; so only the undominated of each pool
    pf_ok = _pool_front([(p.layout.gpus, p.layout.gpus / p.gpu_s) for p, t in zip(prefill, ttfts, strict=True)
                         if lim.ttft is None or t <= lim.ttft])  # fmt: skip
    dec_ok = _pool_front(
        [(d.layout.gpus, d.layout.gpus / d.gpu_s) for d in decode if lim.tpot is None or d.step_s <= lim.tpot]
    )
    out.envelope.setdefault(acc.id, []).extend((a, b) for a in pf_ok for b in dec_ok)
    return bool(prefill and decode)


def _pool_front(pools_: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The (GPUs, requests/s) replicas no other beats on both (fewer GPUs, more requests)."""
    out: list[tuple[int, float]] = []
    for g, rps in sorted(pools_, key=lambda x: (x[0], -x[1])):
        if not out or rps > max(r for _, r in out):
            out.append((g, rps))
    return out


def undominated(points: list[Point]) -> list[Point]:
    """The points of one GPU kind that no other beats on all of fleet GPUs (cost per day), the fleet's
    output share (cost per million output tokens) and TPOT: one price per GPU-hour multiplies the
    first two alike, so a point beaten at one price row is beaten at every one. (TTFT is a limit
    every point meets, not a ranking.)"""
    keyed = sorted(
        ((p.fleet_gpus, p.fleet_gpus * (1 - p.prefill_share), p.tpot_s), i, p) for i, p in enumerate(points)
    )
    kept: list[tuple[tuple[float, float, float], Point]] = []
    for k, _, p in keyed:  # sorted by fleet GPUs: a dominating point comes first
        if any(all(a <= b for a, b in zip(kk, k, strict=True)) for kk, _ in kept):
            continue
        kept.append((k, p))
    return [p for _, p in kept]


def fields_of(p: Point) -> dict[str, Any]:
    """The price-free columns of a point's row."""
    return {
        "gpus": p.fleet_gpus,
        "gpus_per_replica": p.count,
        "replicas": p.replicas,
        "layout": p.layout,
        "serving": "disaggregated" if p.disagg else "colocated",
        "dtype": p.dtype,
        "engine": p.engine,
        "batch": p.batch,
        "ttft_s": p.ttft_s,
        "ttft_loaded_s": p.ttft_loaded_s,
        "tpot_s": p.tpot_s,
        "tokens_per_s_per_user": 1 / p.tpot_s,
        "tokens_per_s_per_gpu": p.tokens_per_s_per_gpu,
    }
