"""Training: model FLOPs, GPU-hours at steady-state MFU and goodput, GPUs and wall-clock.

``FLOPs = tokens x (6 N + 12 L H Q T)`` [1][2]; ``steady GPU-hours = FLOPs / (peak x MFU) / 3600``
[2]; ``GPU-hours = steady / goodput`` (restarts, checkpoints, stragglers). Tokens default to
Chinchilla's compute-optimal ``20 N`` [3]. The least GPUs that can hold the training state is
``16 bytes/param`` (bf16 weights and gradients, FP32 master weights and Adam moments) fully
sharded over the GPUs' usable memory [4].

At FP8 or FP4 only the linear-layer GEMMs run at the low-precision tensor rate; attention, the
output head and MoE gating stay at 16 bits (DeepSeek-V3's FP8 recipe [6]; Transformer Engine's FP8
covers its Linear modules, attention stays BF16 unless asked), so the time per token is
``F_gemm / P_low + F_rest / P_16`` over the MFU: one effective peak ``F / (F_gemm / P_low + F_rest / P_16)``.

The training precision defaults to BF16, or FP16 on parts without BF16: NVIDIA brought BF16 tensor
cores with Ampere [5], so Pascal, Volta and Turing parts (P100, V100, T4) train 16-bit as FP16
with loss scaling.

[1] Kaplan et al. 2020, arXiv:2001.08361. [2] Chowdhery et al. 2022 (PaLM), arXiv:2204.02311 App. B.
[3] Hoffmann et al. 2022, arXiv:2203.15556. [4] Rajbhandari et al. 2019 (ZeRO), arXiv:1910.02054.
[5] NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020): BF16 tensor-core math is new in Ampere.
[6] DeepSeek-AI 2024, DeepSeek-V3 Technical Report, arXiv:2412.19437, Sec. 3.3.1: GEMMs in FP8; the
    embedding, output head, MoE gating, normalisation and attention operators in BF16/FP32.

Imports physics (``flops``, ``memory``, ``hardware``, ``efficiency``), the catalog and ``provenance``;
never ``chain`` or above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine import efficiency as eff
from engine.architecture import ModelArch
from engine.catalog import Accelerator
from engine.defaults import TRAIN_SEQ_CAP, TRAIN_STATE_BYTES
from engine.errors import GpucostError
from engine.flops import chinchilla_tokens, training_flops_per_token
from engine.hardware import default_dtype, resolve_precision
from engine.memory import usable_bytes
from engine.provenance import GIVEN, Ctx
from engine.training_scale import Step, step_trace, training_step, wants_layout
from engine.units import fmt_num

SPLIT_SOURCE = (
    "only the linear-layer GEMMs run at the low-precision rate; attention, the output head and MoE gating "
    "at 16 bits (DeepSeek-V3, arXiv:2412.19437, Sec. 3.3.1)"
)


@dataclass(frozen=True)
class GemmSplit:
    """Training FLOPs per token by the rate they run at, and the one effective peak they give."""

    low: float  # [FLOP per token] linear-layer GEMMs, at the FP8/FP4 rate
    high: float  # [FLOP per token] attention, output head, MoE gating, at 16 bits
    peak_low: float  # [FLOP/s per GPU]
    peak_high: float  # [FLOP/s per GPU]

    @property
    def peak(self) -> float:
        """Effective peak [FLOP/s per GPU]: ``F / (F_low / P_low + F_high / P_high)``."""
        return (self.low + self.high) / (self.low / self.peak_low + self.high / self.peak_high)


def gemm_split(arch: ModelArch, per_tok: float, peak_low: float, peak_high: float) -> GemmSplit:
    """Split ``per_tok`` training FLOPs [FLOP per token] into the linear-layer GEMMs, ``6 (N - V d -
    router)``, and the rest (attention ``12 L w T``, the output head ``6 V d`` and the MoE router
    ``6 L_moe d E``), which DeepSeek-V3 keeps at 16 bits [6]."""
    lm_head = min(arch.lm_head_params(), arch.forward_params())
    router = (arch.n_layers - arch.first_dense_layers) * arch.d_model * arch.n_experts if arch.is_moe else 0
    low = 6.0 * max(arch.forward_params() - lm_head - router, 0.0)
    return GemmSplit(low=low, high=per_tok - low, peak_low=peak_low, peak_high=peak_high)


@dataclass(frozen=True)
class TrainPlan:
    """What a training estimate derives from the model, GPU and options."""

    dtype: str
    peak_flops: float  # [FLOP/s per GPU] at the training precision (effective, with an FP8/FP4 split)
    split: GemmSplit | None  # FP8/FP4: the FLOPs at each rate
    n: float  # forward parameters [count]
    tokens: float
    seq: int  # [tokens]
    per_tok: float  # training FLOPs per token
    flops: float
    mfu: float
    goodput: float
    steady_h: float  # GPU-hours at steady-state MFU
    gpu_hours: float  # steady_h / goodput
    gpus: int
    days: float
    step: Step | None = None  # one optimizer step of the layout, when one is given


#: NVIDIA parts released before this year have no BF16 math (BF16 tensor cores came with Ampere [5]).
BF16_SINCE_NVIDIA = 2020


def has_bf16(acc: Accelerator) -> bool:
    """Whether ``acc`` computes BF16: not where its catalog notes say "no BF16", nor on NVIDIA parts
    older than Ampere (Pascal, Volta, Turing), which have FP16 but no BF16 [5]."""
    if "no bf16" in acc.notes.lower():
        return False
    return not (acc.vendor == "NVIDIA" and acc.release_year is not None and acc.release_year < BF16_SINCE_NVIDIA)


def training_dtype(ctx: Ctx) -> str:
    """The training precision: ``dtype=`` (BF16 on a part without it is warned), else BF16, FP16 on
    a part without BF16, FP32 on one without fast 16-bit math (recorded as "training precision")."""
    acc = ctx.acc
    no_bf16 = f"{acc.short} has no BF16 (BF16 tensor cores came with NVIDIA Ampere, 2020)"
    if ctx.given("dtype"):
        dtype = str(ctx.opt("dtype"))
        ctx.add("training precision", dtype, GIVEN, True)
        if dtype == "bf16" and not has_bf16(acc) and "no bf16" not in acc.notes.lower():
            ctx.warn(f"{no_bf16}; estimated at its FP16 rate")  # resolve_precision warns from the notes
        return dtype
    dtype, why = default_dtype(acc)
    if dtype == "bf16" and not has_bf16(acc):
        dtype, why = "fp16", f"{no_bf16}: 16-bit training runs as FP16 with loss scaling"
    ctx.add("training precision", dtype, why.replace("serving and training", "training"))
    return dtype


def train_plan(ctx: Ctx) -> TrainPlan:
    """The training plan of ``ctx``'s model on its GPU, with the lines and warnings that explain it."""
    arch, acc = ctx.arch, ctx.acc
    dtype = training_dtype(ctx)
    prec = resolve_precision(acc, dtype)
    if dtype in ("int8", "int4") or prec.compute_dtype != dtype.replace("mxfp4", "fp4"):
        # weight-only formats store weights low but multiply at 16 bits: they have no training rate
        why = "it is a weight-only serving format" if dtype in ("int8", "int4") else f"no {dtype.upper()} tensor cores"
        raise GpucostError(
            f"dtype={dtype} cannot train on {acc.short}: {why}",
            hint="train at dtype=bf16 (the default), or fp8 on a GPU with FP8 tensor cores",
        )
    ctx.warnings += prec.warnings
    n = arch.forward_params()
    if ctx.given("tokens"):
        tokens = float(ctx.opt("tokens"))  # type: ignore[arg-type]
        ctx.add("training tokens", fmt_num(tokens), GIVEN, True)
    else:
        tokens = chinchilla_tokens(arch.active_params if arch.is_moe else arch.total_params)
        ctx.add(
            "training tokens",
            f"{fmt_num(tokens)} (20 x N)",
            "compute-optimal D = 20 N (Hoffmann et al. 2022, arXiv:2203.15556)",
        )
        if arch.is_moe:
            ctx.warn("Chinchilla's 20 tokens/parameter is for dense models; applied to active parameters")
    seq = int(ctx.opt("seq", min(arch.max_context, TRAIN_SEQ_CAP)))  # type: ignore[call-overload]
    ctx.note(
        "seq",
        "sequence length",
        str(seq),
        f"the model's context, capped at {TRAIN_SEQ_CAP} (long-context extension is a separate, short stage)",
    )
    per_tok = training_flops_per_token(n, arch.n_layers, arch.attn_width(), seq)
    flops = tokens * per_tok
    split, peak = _low_precision_split(ctx, prec.compute_dtype, prec.peak_flops, per_tok)
    step = None
    if wants_layout(ctx):
        g_layout = _layout_gpus(ctx)
        mfu = ctx.setting("mfu", "MFU while computing", eff.DEFAULT_MFU, LAYOUT_MFU_SOURCE)
        step = training_step(ctx, g_layout, seq, per_tok, peak, mfu)
    else:
        mfu = ctx.setting("mfu", "MFU (steady state)", eff.DEFAULT_MFU, eff.MFU_SOURCE)
    goodput = ctx.setting("goodput", "goodput", eff.DEFAULT_GOODPUT, eff.GOODPUT_SOURCE)
    steady_h = flops / (peak * (step.mfu if step else mfu)) / 3600
    gpu_hours = steady_h / goodput
    g = training_gpus(ctx, arch, gpu_hours)
    return TrainPlan(
        dtype=dtype,
        peak_flops=peak,
        split=split,
        n=n,
        tokens=tokens,
        seq=seq,
        per_tok=per_tok,
        flops=flops,
        mfu=mfu,
        goodput=goodput,
        steady_h=steady_h,
        gpu_hours=gpu_hours,
        gpus=g,
        days=gpu_hours / g / 24,
        step=step,
    )


LAYOUT_MFU_SOURCE = (
    f"{eff.DEFAULT_MFU:g}, the flat steady-state default, taken as the MFU while the GPUs compute (PaLM's 46.2% "
    "ran without a pipeline); the layout's bubble and exposed communication are charged on top"
)


def _layout_gpus(ctx: Ctx) -> int:
    """The GPU count a layout is laid over: written with the GPU or ``gpus=``; never sized from
    ``days=`` (which assumes the flat MFU)."""
    if ctx.given("days"):
        raise GpucostError(
            "days= sizes the GPUs from the flat MFU, and a layout (tp=, pp=, vpp=, global_batch=, micro_batch=) "
            "is laid over a given GPU count",
            hint="give gpus=N (or write NxGPU) instead of days=, or drop the layout options",
        )
    g = ctx.count or (int(ctx.opt("gpus")) if ctx.given("gpus") else None)  # type: ignore[call-overload]
    if g is None:
        raise GpucostError(
            "a layout (tp=, pp=, vpp=, global_batch=, micro_batch=) needs the GPU count",
            hint="add gpus=N or write NxGPU, e.g. 'train llama-2-70b 1024xH100 tp=8 pp=4 global_batch=1024'",
        )
    return g


def _low_precision_split(ctx: Ctx, compute: str, peak_low: float, per_tok: float) -> tuple[GemmSplit | None, float]:
    """At an FP8/FP4 compute rate: the GEMM split and its effective peak, recorded; else (None, peak)."""
    if compute not in ("fp8", "fp4"):
        return None, peak_low
    half = "bf16" if has_bf16(ctx.acc) else "fp16"
    split = gemm_split(ctx.arch, per_tok, peak_low, resolve_precision(ctx.acc, half).peak_flops)
    name = compute.upper()
    ctx.add(
        f"{name} share of the FLOPs",
        f"{split.low / per_tok:.1%} at {name} ({peak_low / 1e12:,.4g} TFLOP/s), {split.high / per_tok:.1%} at "
        f"{half.upper()} ({split.peak_high / 1e12:,.4g}): effective peak {split.peak / 1e12:,.4g} TFLOP/s",
        SPLIT_SOURCE,
    )
    return split, split.peak


def training_gpus(ctx: Ctx, arch: ModelArch, gpu_hours: float) -> int:
    """GPUs for the run: as given, the least that finish within ``days=``, or the least power of
    two (at least one 8-GPU node) that holds the training state; recorded with a warning when the
    given count cannot hold the state."""
    acc = ctx.acc
    state_gb = arch.total_params * TRAIN_STATE_BYTES / 1e9
    min_g = max(1, math.ceil(state_gb * 1e9 / usable_bytes(acc.memory_gb))) if acc.memory_gb else 1
    if ctx.count or ctx.given("gpus"):
        g = int(ctx.count or ctx.opt("gpus"))  # type: ignore[call-overload]
        ctx.add("GPUs", str(g), GIVEN, True)
        if g < min_g:
            ctx.warn(
                f"{g}x {acc.short} cannot hold the training state ({state_gb:,.0f} GB: 16 bytes/param "
                f"for weights, gradients and Adam, fully sharded); needs at least {min_g}"
            )
        return g
    if ctx.given("days"):
        g = max(min_g, math.ceil(gpu_hours / (float(ctx.opt("days")) * 24)))  # type: ignore[arg-type]
        ctx.add("GPUs", str(g), f"the least that finishes in {ctx.q.options['days']} days", True)
        return g
    g = 1
    while g < min_g:
        g *= 2
    g = max(g, 8)
    ctx.add(
        "GPUs",
        str(g),
        f"the least power of two (at least one 8-GPU node) that holds the training state "
        f"({state_gb:,.0f} GB at 16 bytes/param, ZeRO-3 sharded); give gpus= or days=",
    )
    return g


def _split_trace(arch: ModelArch, t: TrainPlan) -> list[dict[str, object]]:
    s = t.split
    if s is None:
        return []
    low = "FP8" if t.dtype == "fp8" else "FP4"
    lm = min(arch.lm_head_params(), t.n)
    return [
        dict(
            name=f"FLOPs at the {low} rate (linear-layer GEMMs)",
            formula=f"6 (N - V d - router) = 6 x ({t.n:.4g} - {lm:.4g} - {t.n - lm - s.low / 6:.4g})",
            value=s.low,
            unit="FLOP per token",
            ref="DeepSeek-V3, arXiv:2412.19437, Sec. 3.3.1",
        ),
        dict(
            name="FLOPs at 16 bits (attention, output head, MoE gating)",
            formula=f"per-token - GEMMs = {t.per_tok:.4g} - {s.low:.4g}",
            value=s.high,
            unit="FLOP per token",
        ),
        dict(
            name="effective peak",
            formula=f"F / (F_{low.lower()} / {s.peak_low / 1e12:g}T + F_16 / {s.peak_high / 1e12:g}T)",
            value=s.peak / 1e12,
            unit="TFLOP/s per GPU",
        ),
    ]


def train_trace(arch: ModelArch, t: TrainPlan) -> list[dict[str, object]]:
    """The formula trace of a training estimate, step by step, with the numbers put in."""
    steps: list[dict[str, object]] = [
        dict(
            name="FLOPs per token",
            formula=f"6 N + 12 L H Q T = 6 x {t.n:.4g} + 12 x {arch.n_layers} x {arch.n_heads} x "
            f"{arch.attn_width() / arch.n_heads:g} x {t.seq}",
            value=t.per_tok,
            unit="FLOP",
            ref="PaLM, arXiv:2204.02311 App. B; MLA widths: arXiv:2412.19437",
        ),
    ]
    steps += _split_trace(arch, t)
    if t.step is not None:
        steps += step_trace(t.step, t.mfu)
    mfu = f"{t.step.mfu:.4g} with the layout" if t.step else f"{t.mfu:g}"
    return [
        *steps,
        dict(
            name="training FLOPs",
            formula=f"tokens x per-token = {t.tokens:.4g} x {t.per_tok:.4g}",
            value=t.flops,
            unit="FLOP",
            ref="Kaplan 2020; Hoffmann 2022",
        ),
        dict(
            name="steady-state GPU-hours",
            formula=f"FLOPs / ({t.peak_flops / 1e12:g}T x {mfu}) / 3600",
            value=t.steady_h,
            unit="GPU-h",
            ref="MFU: PaLM App. B",
        ),
        dict(name="GPU-hours", formula=f"steady-state / goodput {t.goodput:g}", value=t.gpu_hours, unit="GPU-h"),
        dict(name="wall-clock", formula=f"GPU-hours / {t.gpus} GPUs / 24", value=t.days, unit="days"),
    ]
