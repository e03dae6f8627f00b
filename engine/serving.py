"""Serving: how one model replica is laid out and how fast it runs.

The serving plan (:func:`serving_plan`) resolves what does not depend on the model: weight, compute
and KV-cache precision, request lengths, the serving-engine preset's efficiencies (or a
calibration profile's), batching, the replica size and batch asked for, latency limits and
utilisation. :func:`size_replica` then sizes a replica of a model under the plan (GPUs, batch)
and runs the roofline (:mod:`engine.inference`) at that point; :func:`serving_setup` does both and
records why each value was chosen.

Replica sizing (GPUs, parallel layout, batch) is :mod:`engine.sizing`.

Imports physics (``inference``, ``memory``, ``hardware``, ``efficiency``), ``profiles`` and
``provenance``; never ``service``, ``chain``, ``calibration`` or ``measured``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import efficiency as eff
from engine import engines
from engine.architecture import ModelArch
from engine.catalog import Accelerator
from engine.defaults import DEFAULT_IN, DEFAULT_OUT, LENGTH_SOURCE
from engine.errors import GpucostError
from engine.hardware import BYTES, Precision, default_dtype, resolve_precision
from engine.inference import NODE_GPUS, InferencePoint, Roofline, layout_links
from engine.memory import min_gpus
from engine.provenance import GIVEN, Ctx
from engine.sizing import MAX_REPLICA_GPUS, Asked, Limits, Sizing, size_dims, tp_ok, ttft_at


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


def size_replica(arch: ModelArch, rf: Roofline, asked: Asked, batch_opt: object, lim: Limits) -> Sizing:
    """:func:`engine.sizing.size_dims` of ``arch``, with a one-line error when no replica holds one
    sequence."""
    sized = size_dims(arch.dims, rf, asked, batch_opt, lim)
    if sized is not None:
        return sized
    acc, kb, seq = rf.acc, rf.kv_bytes, rf.s_in + rf.s_out
    if min_gpus(arch, acc.memory_gb or 0, rf.w_bytes, kb, 1) is not None:
        kv_gb = arch.kv_elements_per_token() * kb * seq / 1e9
        raise GpucostError(
            f"one sequence of {seq:,} tokens needs {kv_gb:,.0f} GB of KV cache, more than {acc.short} replicas hold",
            hint="lower in= or out=, or use kv=fp8",
        )
    raise GpucostError(
        f"{arch.name} ({arch.total_params * rf.w_bytes / 1e9:,.0f} GB of weights) does not fit even on "
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
    asked: Asked
    batch_opt: object
    tpot_max_s: float | None
    util: float
    roofline: Roofline
    ttft_max_s: float | None = None
    ttft_max_text: str = ""  # as the query wrote it
    traffic_given: bool = False  # requests=/users=/tokens_*=: TTFT under load counts the queue for a slot

    @property
    def limits(self) -> Limits:
        return Limits(self.tpot_max_s, self.ttft_max_s, self.util, self.traffic_given)

    def size(self, arch: ModelArch) -> Sizing:
        """Replica layout, batch and roofline terms of ``arch`` under this plan."""
        check_context(arch, self.s_in, self.s_out)
        return size_replica(arch, self.roofline, self.asked, self.batch_opt, self.limits)


def efficiencies(ctx: Ctx) -> tuple[engines.ServingEngine, float, float, float | None]:
    """The serving-engine preset, compute and bandwidth efficiency [fraction of peak] and the
    static-batching reply-length spread (None: continuous batching), from the preset, a
    calibration profile or the query."""
    preset = engines.get_engine(str(ctx.opt("engine", engines.DEFAULT_ENGINE)))
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
    tokens, seqs = preset.budget(ctx.acc.memory_gb or 0, ctx.acc.id)
    how = "prompts chunked into decode steps" if preset.mixed and preset.chunked else (
        "whole prompts mixed into decode steps" if preset.mixed else "prefill steps apart from decode steps"
    )
    if batching != "static":
        ctx.add(
            "scheduler",
            f"{tokens:,} tokens per step ({how}), at most {seqs:,} running sequences per data-parallel rank",
            preset.scheduler_source,
        )
    ctx.add("kernels and launches", preset.label, preset.kernels_source)
    ctx.add(
        "host work per step",
        f"{preset.host_s_per_seq * 1e6:.3g} us per running sequence, {preset.host_overlap:.0%} overlapped"
        if preset.host_s_per_seq
        else "not charged",
        preset.host_source,
    )
    if batching != "static":
        if ctx.given("out_spread"):
            ctx.warn("out_spread= applies to static batching only (batching=static); ignored")
        return preset, ce, be, None
    spread = float(ctx.opt("out_spread", 1.0))  # type: ignore[arg-type]
    ctx.note(
        "out_spread",
        "reply-length spread (static batching)",
        f"{spread:g}",
        "lengths uniform on out x [0, 2]: a static batch runs to its longest reply",
    )
    return preset, ce, be, spread


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
    if not ctx.given("dtype") and ctx.arch.expert_release_dtype:
        ctx.add(
            "routed experts",
            f"{ctx.arch.expert_release_dtype} ({BYTES[ctx.arch.expert_release_dtype] * 8:g} bits per weight), "
            f"multiplied at {prec.compute_dtype.upper()}",
            f"the precision {ctx.arch.name}'s experts are released in ({ctx.arch.source}); the rest at {dtype}",
        )
    kv = str(ctx.opt("kv")) if ctx.given("kv") else kv_default(dtype, acc)
    ctx.note(
        "kv",
        "KV-cache precision",
        kv,
        "the activations' precision (the engines' default, vLLM --kv-cache-dtype auto; 16-bit for FP8 and "
        "integer weights); kv=fp8 for an FP8 cache",
    )
    s_in, s_out = request_lengths(ctx)
    preset, ce, be, spread = efficiencies(ctx)
    util = utilisation(ctx)
    latency_limits(ctx)
    kb = BYTES[kv]
    hit = cache_hit(ctx)
    beams = int(ctx.opt("beams", 1))  # type: ignore[call-overload]
    if beams > 1:
        ctx.add(
            "beam search",
            f"{beams} beams per request: {beams} sequences decode together, the prompt prefilled and its KV "
            "cached once, output tokens counted once",
            GIVEN,
            True,
        )
    return ServingPlan(
        roofline=Roofline(
            acc, prec, kb, s_in, s_out, ce, be, spread is not None, spread or 0.0, hit, preset, not ctx.given("dtype"),
            beams,
        ),
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
        asked=asked_layout(ctx),
        batch_opt=ctx.opt("batch"),
        tpot_max_s=float(ctx.opt("tpot_max")) if ctx.given("tpot_max") else None,  # type: ignore[arg-type]
        util=util,
        ttft_max_s=float(ctx.opt("ttft_max")) if ctx.given("ttft_max") else None,  # type: ignore[arg-type]
        ttft_max_text=ctx.q.options.get("ttft_max", ""),
        traffic_given=any(ctx.given(k) for k in ("requests", "users", "tokens_in", "tokens_out")),
    )


def asked_layout(ctx: Ctx) -> Asked:
    """What the query fixes of a replica: its GPUs (``8xH100``; else the product of the given
    ``tp=``/``pp=``/``dp=``; else ``nodes=`` whole domains) and layout options. ``nodes=`` sets the
    GPUs per node (the scale-up domain the layout's links see)."""

    def opt(key: str) -> int | None:
        return int(ctx.opt(key)) if ctx.given(key) else None  # type: ignore[call-overload]

    tp, pp, dp, ep, nodes = opt("tp"), opt("pp"), opt("dp"), opt("ep"), opt("nodes")
    gpus = ctx.count
    if gpus is None and any(v is not None for v in (tp, pp, dp)):
        gpus = (tp or 1) * (pp or 1) * (dp or 1)
        if tp is None and ep:  # ep= alone spans the stage: dp x tp = ep
            gpus = (pp or 1) * ep
    if gpus is None and ep:
        gpus = ep * (pp or 1)
    domain = None
    if nodes is not None:
        full = ctx.acc.scaleup_domain_gpus or NODE_GPUS
        if gpus is None:
            gpus = nodes * full
        if gpus % nodes:
            raise GpucostError(
                f"{gpus} GPUs per replica do not split evenly over nodes={nodes}", hint="give a multiple of nodes="
            )
        domain = min(gpus // nodes, full)
    return Asked(gpus=gpus, tp=tp, pp=pp, dp=dp, ep=ep, domain=domain)


def replica_lines(ctx: Ctx, plan: ServingPlan, arch: ModelArch, sz: Sizing) -> None:
    """Record the replica's GPUs, layout and batch, and why they were chosen."""
    asked, bopt, gpu, lay = plan.asked, plan.batch_opt, plan.acc.short, sz.layout
    weights_gb = arch.total_params * plan.w_bytes / 1e9
    if asked.gpus is None:
        fits = (
            f"needs at least {sz.need}x {gpu} to hold {weights_gb:,.1f} GB of weights + KV cache"
            if sz.need > 1
            else f"fits on one {gpu}"
        )
        ctx.add("GPUs per replica", str(sz.gpus), fits)
    elif asked.gpus < sz.need:
        ctx.add("GPUs per replica", str(sz.gpus), f"raised from {asked.gpus}: the least that fits")
    else:
        ctx.add("GPUs per replica", str(sz.gpus), GIVEN, True)
    links = layout_links(plan.acc, lay)[1]
    if asked.layout_given and asked.gpus is not None and asked.gpus >= sz.need:
        why = GIVEN
    else:
        ranked = [x for x in sorted(sz.tried, key=lambda x: -x[1]) if x[0] != lay]
        others = ", ".join(f"{x.gpus}x {x.describe()} {r:,.0f}" for x, r in ranked[:4])
        if len(ranked) > 4:
            others += f", {len(ranked) - 4} more"
        why = f"the most output tokens/s per GPU ({dict(sz.tried).get(lay, 0):,.0f})" + (
            f" of {len(sz.tried)} layouts tried ({others})" if others else ""
        )
        if sz.limits_unmet:
            why = "no layout tried meets the latency limits; " + why
        elif plan.limits.tpot is not None or plan.limits.ttft is not None:
            why = "meets the latency limits with " + why
    ctx.add("parallel layout", f"{lay.describe()} over {lay.nodes} node(s) of {min(lay.gpus, lay.domain)} GPUs; "
            f"links: {links}", why, why == GIVEN)  # fmt: skip
    if bopt == "max":
        ctx.add("batch", f"{sz.batch} (max that fits)", "batch=max", True)
    elif sz.tpot_limited:
        ctx.add("batch", f"{sz.batch} (largest meeting the latency limits)", "latency limit", True)
    elif bopt is not None:
        ctx.add("batch", str(sz.batch), GIVEN, True)
    else:
        cap = plan.roofline.max_seqs
        ctx.add(
            "batch",
            str(sz.batch),
            f"largest batch that fits, capped at {cap} running sequences per data-parallel rank "
            f"({plan.roofline.preset.name} max_num_seqs) x {lay.dp} rank(s)",
        )


def _replica_warnings(ctx: Ctx, plan: ServingPlan, arch: ModelArch, sz: Sizing, p: InferencePoint) -> None:
    asked, bopt, acc, lay = plan.asked, plan.batch_opt, plan.acc, sz.layout
    if asked.gpus is not None and asked.gpus < sz.need:
        ctx.warn(
            f"does not fit: {arch.name} at {plan.dtype} needs at least {sz.need}x {acc.short} for "
            f"{arch.total_params * plan.w_bytes / 1e9:,.1f} GB of weights + KV cache, not {asked.gpus}; "
            f"estimated at {sz.need}x"
        )
    if isinstance(bopt, int) and bopt > sz.max_batch:
        ctx.warn(
            f"batch={bopt} does not fit in memory (at most {sz.max_batch} sequences of "
            f"{plan.s_in + plan.s_out} tokens); estimated at {sz.max_batch}"
        )
    if p.served < p.batch - 0.5:
        ctx.warn(
            f"the step budget of {plan.roofline.budget:,} tokens per rank holds {p.served:,.0f} of the "
            f"{p.batch} sequences decoding at once: each step's prefill chunks take the rest"
        )
    if sz.limits_unmet:
        lim = plan.limits
        missed = []
        if lim.tpot is not None and p.tpot_s > lim.tpot:
            missed.append(f"time per output token {p.tpot_s * 1e3:.3g} ms exceeds tpot_max")
        ttft = ttft_at(p.terms, lim.util if lim.queue else 0.0)
        if lim.ttft is not None and ttft > lim.ttft:
            missed.append(f"TTFT under load {ttft:.3g} s exceeds ttft_max={plan.ttft_max_text}")
        fix = (
            "no layout tried meets it even at batch 1; a shorter prompt or a faster GPU would"
            if asked.gpus is None
            else "even at batch 1; more GPUs per replica or a faster GPU would cut it"
        )
        ctx.warn("; ".join(missed) + f" ({fix})")
    if asked.tp is not None and not tp_ok(arch.dims, arch.n_heads, lay.tp):
        ctx.warn(
                f"tensor parallel {lay.tp} does not divide {arch.name}'s {arch.n_heads} attention heads "
            f"({arch.kv_heads} KV heads): serving engines need the tensor-parallel degree to divide them"
        )
    links = layout_links(acc, lay)[1]
    for part in links.split("; "):
        if "not in the catalog" in part:  # charged at a floor: say so in every answer
            ctx.warn(f"{acc.short} {part} for the {lay.describe()} layout's communication; a real link is faster")


@dataclass(frozen=True)
class ServingSetup:
    """A replica as an estimate serves it: its plan and roofline point, and its GPUs."""

    plan: ServingPlan
    point: InferencePoint
    gpus: int

    @property
    def inputs(self) -> dict[str, object]:
        """The replica's resolved inputs, as a Result's ``inputs`` holds them."""
        p, plan, lay = self.point, self.plan, self.point.layout
        return {
            "dtype": plan.dtype,
            "kv_dtype": plan.kv,
            "in": p.s_in,
            "out": p.s_out,
            "gpus_per_replica": self.gpus,
            "tp": lay.tp,
            "pp": lay.pp,
            "dp": lay.dp,
            "ep": lay.ep,
            "nodes": lay.nodes,
            "batch": p.batch,
            "decode_bound": p.decode_bound,
            "compute_efficiency": plan.compute_eff,
            "bandwidth_efficiency": plan.bandwidth_eff,
            "engine": plan.roofline.preset.name,
            "util": plan.util,
            **({"ttft_max_s": plan.ttft_max_s} if plan.ttft_max_s is not None else {}),
            **({"tpot_max_s": plan.tpot_max_s} if plan.tpot_max_s is not None else {}),
        }


def setup_replica(ctx: Ctx, plan: ServingPlan, arch: ModelArch) -> ServingSetup:
    """Size a replica of ``arch`` under ``plan`` and run the roofline there, recording its lines."""
    if check_context(arch, plan.s_in, plan.s_out):
        ctx.warn(f"in+out = {plan.s_in + plan.s_out} tokens exceeds the assumed context of {arch.max_context}")
    sz = plan.size(arch)
    p = plan.roofline.point(arch, sz.layout, sz.batch, sz.terms, sz.max_batch)
    replica_lines(ctx, plan, arch, sz)
    _replica_warnings(ctx, plan, arch, sz, p)
    return ServingSetup(plan=plan, point=p, gpus=sz.gpus)


def serving_setup(ctx: Ctx) -> ServingSetup:
    """The serving plan of ``ctx`` and the replica of its model under it."""
    return setup_replica(ctx, serving_plan(ctx), ctx.arch)
