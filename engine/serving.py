"""Serving: how one model replica is laid out and how fast it runs.

The serving plan (:func:`serving_plan`) resolves what does not depend on the model: weight, compute
and KV-cache precision, request lengths, the serving-engine preset's efficiencies (or a
calibration profile's), batching, the replica size and batch asked for, latency limits and
utilisation. :func:`size_replica` then sizes a replica of a model under the plan (GPUs, batch)
and runs the roofline (:mod:`engine.inference`) at that point; :func:`serving_setup` does both and
records why each value was chosen.

Replica sizing [reference README: serving]:

- GPUs: the count asked (``8xH100``, ``tp=``) if it fits, else the least power of two that holds
  the weights plus one sequence's KV cache; when not asked, the power of two from that least size
  up to one 8-GPU node with the most output tokens/s per GPU.
- Batch: ``batch=`` (clamped to what fits, or ``max``), else the largest that fits up to
  ``DEFAULT_BATCH_CAP``; with ``tpot_max=``, the largest batch that meets it (bisection).

Imports physics (``inference``, ``memory``, ``hardware``, ``efficiency``), ``profiles`` and
``provenance``; never ``service``, ``chain``, ``calibration`` or ``measured``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import efficiency as eff
from engine.architecture import Dims, ModelArch
from engine.catalog import Accelerator
from engine.defaults import BATCH_SOURCE, DEFAULT_BATCH_CAP, DEFAULT_IN, DEFAULT_OUT, LENGTH_SOURCE
from engine.errors import GpucostError
from engine.hardware import BYTES, Precision, default_dtype, link, resolve_precision
from engine.inference import NODE_GPUS, InferencePoint, Roofline, Terms
from engine.memory import batch_room, min_gpus
from engine.provenance import GIVEN, Ctx

MAX_REPLICA_GPUS = 4096
#: The largest replica tried to meet ``ttft_max=``: one node, tensor parallel, which splits a
#: prompt's prefill FLOPs over its GPUs. Pipeline stages beyond a node pass one request through
#: each stage in turn and do not shorten its TTFT, so past this size the warning stands.
MAX_TTFT_GPUS = NODE_GPUS


def kv_default(dtype: str, acc: Accelerator) -> str:
    """The KV-cache precision when ``kv=`` is not given: the activations' precision, which is what
    serving engines store by default (vLLM ``--kv-cache-dtype auto``: "will use model data type",
    https://docs.vllm.ai/en/v0.4.2/models/engine_args.html; an FP8 KV cache is opt-in there and in
    TensorRT-LLM). So 16-bit and FP32 weights keep their own precision; FP8 and integer-quantised
    weights, whose activations are 16-bit, keep a 16-bit cache (FP32 on a GPU without FP16)."""
    if dtype in ("fp32", "fp16", "bf16"):
        return dtype
    if not acc.peak_tflops_fp16:
        return "fp32"
    return "fp16" if "no bf16" in acc.notes.lower() else "bf16"


def check_context(arch: ModelArch, s_in: int, s_out: int) -> bool:
    """Refuse a request longer than a known model's context; True when an inferred shape's assumed
    context is exceeded (a warning, since that context is itself a guess)."""
    if s_in + s_out <= arch.max_context:
        return False
    if not arch.inferred:
        raise GpucostError(
            f"in+out = {s_in + s_out} tokens exceeds {arch.name}'s context of {arch.max_context}",
            hint="lower in= or out=",
        )
    return True


@dataclass(frozen=True)
class Sizing:
    """How a replica is sized: GPUs, the least that fit, the sizes tried, batch and roofline."""

    gpus: int
    need: int
    tried: tuple[int, ...]
    max_batch: int
    batch: int
    terms: Terms
    tpot_limited: bool = False
    tpot_unmet: bool = False


def size_dims(
    dims: Dims, rf: Roofline, w_bytes: float, asked: int | None, batch_opt: object, tpot_max_s: float | None
) -> Sizing | None:
    """The replica sizing of a model with dimensions ``dims`` under roofline ``rf`` (see the module
    docstring), or None when no replica of up to ``MAX_REPLICA_GPUS`` GPUs holds one sequence.

    ``w_bytes`` [B per weight]; ``asked``: GPUs per replica asked for; ``batch_opt``: ``batch=``
    (an int or ``"max"``); ``tpot_max_s`` [s]."""
    kb, seq, terms, usable = rf.kv_bytes, rf.s_in + rf.s_out, rf.terms, rf.usable
    need, room = 1, batch_room(dims, usable, w_bytes, kb, 1, seq)
    while room < 1:  # the least power of two that holds one sequence
        need *= 2
        if need > MAX_REPLICA_GPUS:
            return None
        room = batch_room(dims, usable, w_bytes, kb, need, seq)
    best: tuple[int, Terms] | None = None  # (batch, terms) at the chosen size
    if asked is None:
        cap = batch_opt if isinstance(batch_opt, int) and batch_opt < DEFAULT_BATCH_CAP else DEFAULT_BATCH_CAP
        gpus, g, top, tried = need, need, max(need, NODE_GPUS), [need]
        b = min(room, cap)
        t = terms(dims, g, max(b, 1))
        best_rate, best, mb = t.out_tps / g, (b, t), room  # output tokens/s per GPU
        # The batch capped, not memory-bound: more GPUs cannot buy a bigger batch, only add
        # communication, so no larger replica does better per GPU.
        while b >= room and g * 2 <= top:
            g *= 2
            tried.append(g)
            room = batch_room(dims, usable, w_bytes, kb, g, seq)
            b = min(room, cap)
            t = terms(dims, g, max(b, 1))
            if t.out_tps / g <= best_rate * 1.02:  # a bigger replica must be clearly better
                # Per-GPU throughput rises with replica size only while more memory buys a bigger
                # batch, then falls as communication grows: past the first drop, larger sizes lose.
                break
            best_rate, gpus, best, mb = t.out_tps / g, g, (b, t), room
    else:
        gpus, tried = max(asked, need), [need]
        mb = room if gpus == need else batch_room(dims, usable, w_bytes, kb, gpus, seq)
    if batch_opt == "max":
        batch = mb
    elif batch_opt is not None:
        batch = min(int(batch_opt), mb)  # type: ignore[call-overload]
    else:
        batch = min(mb, DEFAULT_BATCH_CAP)
    t = best[1] if best is not None and best[0] == batch else terms(dims, gpus, batch)
    limited = unmet = False
    if tpot_max_s is not None and t.tpot > tpot_max_s:
        if terms(dims, gpus, 1).tpot > tpot_max_s:
            batch, unmet = 1, True
        else:
            lo, hi = 1, batch
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if terms(dims, gpus, mid).tpot <= tpot_max_s:
                    lo = mid
                else:
                    hi = mid - 1
            batch, limited = lo, True
        t = terms(dims, gpus, batch)
    return Sizing(gpus, need, tuple(tried), mb, batch, t, limited, unmet)


def size_replica(
    arch: ModelArch, rf: Roofline, w_bytes: float, asked: int | None, batch_opt: object, tpot_max_s: float | None
) -> Sizing:
    """:func:`size_dims` of ``arch``, with a one-line error when no replica holds one sequence."""
    sized = size_dims(arch.dims, rf, w_bytes, asked, batch_opt, tpot_max_s)
    if sized is not None:
        return sized
    acc, kb, seq = rf.acc, rf.kv_bytes, rf.s_in + rf.s_out
    if min_gpus(arch, acc.memory_gb or 0, w_bytes, kb, 1) is not None:
        kv_gb = arch.kv_elements_per_token() * kb * seq / 1e9
        raise GpucostError(
            f"one sequence of {seq:,} tokens needs {kv_gb:,.0f} GB of KV cache, more than {acc.short} replicas hold",
            hint="lower in= or out=, or use kv=fp8",
        )
    raise GpucostError(
        f"{arch.name} ({arch.total_params * w_bytes / 1e9:,.0f} GB of weights) does not fit even on "
        f"{MAX_REPLICA_GPUS}x {acc.short}",
        hint="use a smaller model, a lower precision (dtype=int4) or a larger GPU",
    )


@dataclass(frozen=True)
class ServingPlan:
    """What a serving estimate resolves that does not depend on the model: precisions, lengths
    [tokens], efficiencies, the asked replica size and batch, limits [s] and utilisation."""

    acc: Accelerator
    dtype: str
    kv: str
    prec: Precision
    w_bytes: float
    kv_bytes: float
    s_in: int
    s_out: int
    compute_eff: float
    bandwidth_eff: float
    out_spread: float | None  # static batching's reply-length spread; None: continuous batching
    asked: int | None
    batch_opt: object
    tpot_max_s: float | None
    util: float
    roofline: Roofline
    ttft_max_s: float | None = None
    ttft_max_text: str = ""  # as the query wrote it

    def size(self, arch: ModelArch) -> Sizing:
        """Replica size, batch and roofline terms of ``arch`` under this plan."""
        check_context(arch, self.s_in, self.s_out)
        return size_replica(arch, self.roofline, self.w_bytes, self.asked, self.batch_opt, self.tpot_max_s)


def efficiencies(ctx: Ctx) -> tuple[float, float, float | None]:
    """Compute and bandwidth efficiency [fraction of peak] and the static-batching reply-length
    spread (None: continuous batching), from the preset, a calibration profile or the query."""
    preset = eff.get_preset(str(ctx.opt("engine", eff.DEFAULT_PRESET)))
    ce, be = preset.compute_efficiency, preset.bandwidth_efficiency
    src = preset.source
    if ctx.given("calibration"):
        from engine.profiles import load_profile  # a file, read afresh each time

        prof = load_profile(str(ctx.opt("calibration")), ctx.config)
        ce, be = prof.compute_efficiency, prof.bandwidth_efficiency
        src = f"calibration profile '{prof.name}' fitted to {prof.n_points} measurement(s) ({prof.describe()})"
        if prof.gpu and prof.gpu != ctx.acc.id:
            ctx.warn(f"calibration profile '{prof.name}' was fitted on {prof.gpu}, not {ctx.acc.id}")
        ctx.add("calibration", prof.name, src, True)
    ctx.add(
        "serving engine",
        f"{preset.name}: compute efficiency {ce:g}, bandwidth efficiency {be:g}",
        src,
        ctx.given("engine") or ctx.given("calibration"),
    )
    if ctx.given("compute_eff"):
        ce = float(ctx.opt("compute_eff"))  # type: ignore[arg-type]
        ctx.add("compute efficiency", f"{ce:g}", GIVEN, True)
    if ctx.given("bw_eff"):
        be = float(ctx.opt("bw_eff"))  # type: ignore[arg-type]
        ctx.add("bandwidth efficiency", f"{be:g}", GIVEN, True)
    batching = str(ctx.opt("batching", preset.batching))
    ctx.note("batching", "batching", batching, f"{preset.name} preset")
    if batching != "static":
        if ctx.given("out_spread"):
            ctx.warn("out_spread= applies to static batching only (batching=static); ignored")
        return ce, be, None
    spread = float(ctx.opt("out_spread", 1.0))  # type: ignore[arg-type]
    ctx.note(
        "out_spread",
        "reply-length spread (static batching)",
        f"{spread:g}",
        "lengths uniform on out x [0, 2]: a static batch runs to its longest reply",
    )
    return ce, be, spread


def weight_dtype(ctx: Ctx, what: str = "weight precision") -> str:
    """The weight precision: ``dtype=``; else, for serving, the precision the model's weights are
    released in (FP8 for DeepSeek-V3/R1) where the GPU has fast 16-bit (one without FP8 tensor
    cores dequantises them, :func:`engine.hardware.resolve_precision`); else the GPU's default
    (recorded as ``what``)."""
    if ctx.given("dtype"):
        dtype = str(ctx.opt("dtype"))
        ctx.add(what, dtype, GIVEN, True)
        return dtype
    dtype, why = default_dtype(ctx.acc)
    release = ctx.arch.release_dtype if what == "weight precision" else None
    if release is not None and dtype != "fp32":  # served as released (an FP32-only GPU runs FP32)
        ctx.add(what, release, f"the precision {ctx.arch.name}'s weights are released in ({ctx.arch.source})")
        return release
    ctx.add(what, dtype, why if what == "weight precision" else why.replace("serving and training", "training"))
    return dtype


def request_lengths(ctx: Ctx) -> tuple[int, int]:
    """Prompt and reply tokens per request, recorded."""
    s_in = int(ctx.opt("in", DEFAULT_IN))  # type: ignore[call-overload]
    s_out = int(ctx.opt("out", DEFAULT_OUT))  # type: ignore[call-overload]
    ctx.add("request length", f"{s_in} tokens in, {s_out} out", *length_source(ctx))
    return s_in, s_out


def length_source(ctx: Ctx) -> tuple[str, bool]:
    """Where the request lengths come from, and whether the user set both (given or derived from
    the daily token totals they gave)."""
    derived = [ctx.derived[k] for k in ("in", "out") if k in ctx.derived]
    defaulted = [k for k in ("in", "out") if not ctx.given(k)]
    if not defaulted:
        return ("; ".join(derived) if derived else GIVEN), True
    if not derived and not any(ctx.given(k) for k in ("in", "out")):
        return LENGTH_SOURCE, False
    return "; ".join([*derived, f"{' and '.join(defaulted)}: {LENGTH_SOURCE}"]), False


def cache_hit(ctx: Ctx) -> float:
    """The share of prompt tokens a prefix cache serves (``cache_hit=``, default 0: no cache
    assumed, since the share depends on the workload's shared prefixes), recorded when given."""
    if not ctx.given("cache_hit"):
        return 0.0
    hit = float(ctx.opt("cache_hit"))  # type: ignore[arg-type]
    ctx.add(
        "prefix-cache hits",
        f"{hit:g} of input tokens",
        "given: their prefill compute is skipped (their KV is read from the cache); they still hold KV memory",
        True,
    )
    return hit


def utilisation(ctx: Ctx) -> float:
    """Target utilisation, run / (run + idle), recorded with its provenance."""
    return ctx.setting("util", "utilisation", eff.DEFAULT_UTILISATION, eff.UTILISATION_SOURCE)


def latency_limits(ctx: Ctx) -> None:
    """Record the latency limits the query gives, saying how a bare number was read (seconds)."""
    for key, name in (("ttft_max", "time-to-first-token limit"), ("tpot_max", "time-per-output-token limit")):
        if ctx.given(key):
            text = ctx.q.options.get(key, "")
            bare = not text.strip().lower().endswith(("s", "sec"))
            value = float(ctx.opt(key))  # type: ignore[arg-type]
            shown = f"{value * 1e3:g} ms" if value < 1 else f"{value:g} s"
            ctx.add(name, shown + (f" ({key}={text}: a bare number is read as seconds)" if bare else ""), GIVEN, True)


def serving_plan(ctx: Ctx) -> ServingPlan:
    """Resolve (and record as assumptions) everything of a serving estimate but the model's part."""
    acc = ctx.acc
    if not acc.memory_gb or not acc.memory_bw_gb_s:
        raise GpucostError(
            f"the catalog has no memory size or bandwidth for {acc.short} (no source gave it)",
            hint="choose another GPU, e.g. A10 or L40S ('gpucost gpus')",
        )
    dtype = weight_dtype(ctx)
    prec = resolve_precision(acc, dtype)
    for n in prec.notes:
        ctx.add("compute precision", prec.compute_dtype, n)
    ctx.warnings += prec.warnings
    kv = str(ctx.opt("kv")) if ctx.given("kv") else kv_default(dtype, acc)
    ctx.note(
        "kv",
        "KV-cache precision",
        kv,
        "the activations' precision (the engines' default, vLLM --kv-cache-dtype auto; 16-bit for FP8 and "
        "integer weights); kv=fp8 for an FP8 cache",
    )
    s_in, s_out = request_lengths(ctx)
    ce, be, spread = efficiencies(ctx)
    asked = ctx.count or (int(ctx.opt("tp")) if ctx.given("tp") else None)  # type: ignore[call-overload]
    util = utilisation(ctx)
    latency_limits(ctx)
    kb = BYTES[kv]
    hit = cache_hit(ctx)
    return ServingPlan(
        roofline=Roofline(acc, prec, kb, s_in, s_out, ce, be, spread is not None, spread or 0.0, hit),
        acc=acc,
        dtype=dtype,
        kv=kv,
        prec=prec,
        w_bytes=BYTES[dtype],
        kv_bytes=kb,
        s_in=s_in,
        s_out=s_out,
        compute_eff=ce,
        bandwidth_eff=be,
        out_spread=spread,
        asked=asked,
        batch_opt=ctx.opt("batch"),
        tpot_max_s=float(ctx.opt("tpot_max")) if ctx.given("tpot_max") else None,  # type: ignore[arg-type]
        util=util,
        ttft_max_s=float(ctx.opt("ttft_max")) if ctx.given("ttft_max") else None,  # type: ignore[arg-type]
        ttft_max_text=ctx.q.options.get("ttft_max", ""),
    )


def replica_lines(ctx: Ctx, plan: ServingPlan, arch: ModelArch, sz: Sizing) -> None:
    """Record the replica's size and batch, and why they were chosen."""
    asked, bopt, gpu = plan.asked, plan.batch_opt, plan.acc.short
    weights_gb = arch.total_params * plan.w_bytes / 1e9
    if asked is None:
        fits = (
            f"needs at least {sz.need}x {gpu} (TP={sz.need}) to hold {weights_gb:,.1f} GB of weights + KV cache"
            if sz.need > 1
            else f"fits on one {gpu}"
        )
        tried = ", ".join(f"{c}x" for c in sz.tried)
        why = f"{fits}; {sz.gpus}x gives the most tokens/s per GPU of {tried}" if len(sz.tried) > 1 else fits
        ctx.add("GPUs per replica", str(sz.gpus), why)
    elif asked < sz.need:
        ctx.add("GPUs per replica", str(sz.gpus), f"raised from {asked}: the least that fits")
    else:
        ctx.add("GPUs per replica", str(sz.gpus), GIVEN, True)
    if bopt == "max":
        ctx.add("batch", f"{sz.batch} (max that fits)", "batch=max", True)
    elif sz.tpot_limited:
        ctx.add("batch", f"{sz.batch} (largest meeting tpot_max)", "latency limit", True)
    elif bopt is not None:
        ctx.add("batch", str(sz.batch), GIVEN, True)
    else:
        ctx.add("batch", str(sz.batch), BATCH_SOURCE)


def _replica_warnings(ctx: Ctx, plan: ServingPlan, arch: ModelArch, sz: Sizing, p: InferencePoint) -> None:
    asked, bopt, acc = plan.asked, plan.batch_opt, plan.acc
    if asked is not None and asked < sz.need:
        ctx.warn(
            f"does not fit: {arch.name} at {plan.dtype} needs at least {sz.need}x {acc.short} (TP={sz.need}) for "
            f"{arch.total_params * plan.w_bytes / 1e9:,.1f} GB of weights + KV cache, not {asked}; "
            f"estimated at {sz.need}x"
        )
    if isinstance(bopt, int) and bopt > sz.max_batch:
        ctx.warn(
            f"batch={bopt} does not fit in memory (at most {sz.max_batch} sequences of "
            f"{plan.s_in + plan.s_out} tokens); estimated at {sz.max_batch}"
        )
    if sz.tpot_unmet:
        ctx.warn(
            f"time per output token {p.tpot_s * 1e3:.1f} ms exceeds tpot_max even at "
            "batch 1; more GPUs per replica (tp=) or a faster GPU would cut it"
        )
    if plan.ttft_max_s is not None and p.ttft_s > plan.ttft_max_s:
        fix = (
            f"and {MAX_TTFT_GPUS} GPUs per replica (one node's tensor parallelism) would not meet it either; "
            "a shorter prompt or a faster GPU would"
            if asked is None
            else "a shorter prompt or more GPUs per replica (tp=) would cut it"
        )
        ctx.warn(f"TTFT {p.ttft_s:.3g} s exceeds ttft_max={plan.ttft_max_text}; {fix}")
    if sz.gpus > 1:
        _, _, desc = link(acc, min(sz.gpus, NODE_GPUS))
        if "not in the catalog" in desc:  # the all-reduce is charged at a PCIe floor: say so in every answer
            ctx.warn(f"{acc.short} {desc} for the tensor-parallel all-reduce; a real link is faster")
    ctx.warnings += p.warnings


@dataclass(frozen=True)
class ServingSetup:
    """A replica as an estimate serves it: its plan and roofline point, and its GPUs."""

    plan: ServingPlan
    point: InferencePoint
    gpus: int

    @property
    def inputs(self) -> dict[str, object]:
        """The replica's resolved inputs, as a Result's ``inputs`` holds them."""
        p, plan = self.point, self.plan
        return {
            "dtype": plan.dtype,
            "kv_dtype": plan.kv,
            "in": p.s_in,
            "out": p.s_out,
            "gpus_per_replica": self.gpus,
            "batch": p.batch,
            "decode_bound": p.decode_bound,
            "compute_efficiency": plan.compute_eff,
            "bandwidth_efficiency": plan.bandwidth_eff,
            "util": plan.util,
            **({"ttft_max_s": plan.ttft_max_s} if plan.ttft_max_s is not None else {}),
            **({"tpot_max_s": plan.tpot_max_s} if plan.tpot_max_s is not None else {}),
        }


def setup_replica(ctx: Ctx, plan: ServingPlan, arch: ModelArch) -> ServingSetup:
    """Size a replica of ``arch`` under ``plan`` and run the roofline there, recording its lines."""
    asked = plan.asked
    if check_context(arch, plan.s_in, plan.s_out):
        ctx.warn(f"in+out = {plan.s_in + plan.s_out} tokens exceeds the assumed context of {arch.max_context}")
    if asked and asked <= NODE_GPUS and (arch.n_heads % asked or (arch.kv_heads % asked and asked % arch.kv_heads)):
        ctx.warn(
            f"{asked} GPUs per replica does not divide {arch.name}'s {arch.n_heads} attention heads "
            f"({arch.kv_heads} KV heads): serving engines need the tensor-parallel degree to divide them"
        )
    sz = plan.size(arch)
    p = plan.roofline.point(arch, sz.gpus, sz.batch, sz.terms, sz.max_batch)
    raised = _meet_ttft(plan, arch, sz, p)
    if raised is not None:
        chosen = sz.gpus
        sz, p = raised
    replica_lines(ctx, plan, arch, sz)
    if raised is not None:
        i, line = next((i, a) for i, a in enumerate(ctx.assumptions) if a.name == "GPUs per replica")
        ctx.assumptions[i] = line.model_copy(
            update={
                "source": f"raised from {chosen} (the most tokens/s per GPU) to meet ttft_max={plan.ttft_max_text}: "
                f"the least power of two whose TTFT, {p.ttft_s * 1e3:.3g} ms, meets it"
            }
        )
    _replica_warnings(ctx, plan, arch, sz, p)
    return ServingSetup(plan=plan, point=p, gpus=sz.gpus)


def _meet_ttft(
    plan: ServingPlan, arch: ModelArch, sz: Sizing, p: InferencePoint
) -> tuple[Sizing, InferencePoint] | None:
    """With ``ttft_max=`` missed and no replica size asked for, the least larger power-of-two
    replica (up to ``MAX_TTFT_GPUS``) whose TTFT meets it, and its point; None when the chosen
    replica meets it, a size was asked, or no size up to the bound does (the warning then says so).
    More GPUs cut TTFT because the prefill's FLOPs split over them."""
    if plan.ttft_max_s is None or plan.asked is not None or p.ttft_s <= plan.ttft_max_s:
        return None
    g = sz.gpus * 2
    while g <= MAX_TTFT_GPUS:
        bigger = size_replica(arch, plan.roofline, plan.w_bytes, g, plan.batch_opt, plan.tpot_max_s)
        q = plan.roofline.point(arch, bigger.gpus, bigger.batch, bigger.terms, bigger.max_batch)
        if q.ttft_s <= plan.ttft_max_s:
            return bigger, q
        g *= 2
    return None


def serving_setup(ctx: Ctx) -> ServingSetup:
    """The serving plan of ``ctx`` and the replica of its model under it."""
    return setup_replica(ctx, serving_plan(ctx), ctx.arch)
