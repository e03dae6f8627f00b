"""Training at scale: one optimizer step of a tensor x pipeline x data-parallel layout.

With a layout (``tp=``, ``pp=``, ``vpp=``, ``global_batch=``, ``micro_batch=`` on a given GPU
count) the steady-state MFU is no longer one flat number: ``mfu=`` becomes the MFU of the GPUs
while they compute, and the step adds what the layout costs on top [1][2]:

- **compute** of one micro-batch on one pipeline stage: ``t_c = b T F / (t p P u)`` [s], with ``b``
  sequences of ``T`` tokens, ``F`` training FLOPs per token, ``P`` the peak and ``u`` the MFU;
- **tensor-parallel all-reduces** [1, Sec. 3.2]: two in the forward and two in the backward pass of
  each layer, of the ``b T d`` activations at 16 bits, ring over the intra-node link (NVLink or
  PCIe, :func:`engine.hardware.link`): ``t_tp = (L / p) 4 (2 (t-1)/t b T d B_a / bw + latency)``,
  blocking (overlap with GEMMs, e.g. Transformer Engine's userbuffers, is not modelled);
- **pipeline bubble** of the 1F1B schedule [1, Sec. 2.2]: the step takes ``m + (p-1)/v``
  micro-batch slots for ``m = B / (d b)`` micro-batches per pipeline and ``v`` virtual stages per
  GPU (interleaved schedule), so the idle share is ``(p-1) / (v m + p - 1)``;
- **data-parallel gradient all-reduce**: a ring over the ``d`` replicas of the gradients each GPU
  holds, ``N / (t p)`` at FP32 (4 bytes: Megatron-Core keeps FP32 gradient buffers for a BF16 model
  and Llama 3 reduces gradients in FP32 [3][4]), ``2 (d-1)/d bytes / bw``; over NVLink within one
  8-GPU server, else over the scale-out network at the catalog's ``scaleout_gb_s`` per GPU. It is
  overlapped with the backward pass of the last micro-batch (PyTorch DDP buckets [5]; Megatron-Core
  issues a bucket's reduction once its gradients are ready in the last micro-batch [3]) and the
  last chunk, one layer's (one virtual stage's layers' with ``vpp=``), always stays exposed [6]:
  ``exposed = max(t_ar - (2/3) t_c, t_ar / layers per chunk)``.

So ``T_step = (m + (p-1)/v)(t_c + t_tp) + exposed`` and the layout's MFU is ``u m t_c / T_step``: a
fixed global batch spread over more GPUs has fewer micro-batches per pipeline (a larger bubble) and
less compute to hide the same all-reduce behind, so per-GPU throughput falls, as the Megatron-LM
[1, Table 2] and MT-NLG [2, Sec. 2.4] runs show. Pipeline point-to-point sends (``b T d`` per
stage boundary, overlapped) and expert-parallel all-to-all are not charged.

[1] Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters Using
    Megatron-LM", arXiv:2104.04473.
[2] Smith et al. 2022, "Using DeepSpeed and Megatron to Train Megatron-Turing NLG 530B",
    arXiv:2201.11990, Sec. 2.4.
[3] Megatron-Core ``distributed/param_and_grad_buffer.py`` (``register_grad_ready``: with
    ``overlap_grad_reduce`` a bucket's reduction starts when its gradients are ready in the last
    micro-batch) and ``DistributedDataParallel`` (gradients accumulated in FP32 for a BF16 model).
[4] Llama Team 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Sec. 3.3.2 (gradients
    accumulated and reduce-scattered in FP32).
[5] Li et al. 2020, "PyTorch Distributed: Experiences on Accelerating Data Parallel Training",
    arXiv:2006.15704 (bucketed all-reduce overlapped with the backward pass; ``no_sync`` skips it
    while gradients accumulate).
[6] NVIDIA Megatron Bridge docs, "Communication Overlap": data-parallel communication is chunked by
    transformer layer (layers per virtual pipeline stage with pipeline parallelism) and "exposes
    only one DP communication chunk".

Imports ``hardware``, ``provenance``, ``errors`` and ``units``; never ``chain`` or above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import GpucostError
from engine.hardware import link
from engine.provenance import GIVEN, Ctx
from engine.units import fmt_num

#: The options that ask for a layout; without any of them training keeps the flat MFU.
LAYOUT_OPTIONS = ("tp", "pp", "vpp", "global_batch", "micro_batch")
GPUS_PER_SERVER = 8  # HGX/DGX servers hold 8 GPUs behind one NVLink domain
ACT_BYTES = 2.0  # [B] activations all-reduced at 16 bits (BF16/FP16), also in FP8 training
GRAD_BYTES = 4.0  # [B] FP32 gradients [3][4]
#: Llama 2 trained every size with a global batch of 4M tokens (arXiv:2307.09288, Sec. 2.2, Table 1).
DEFAULT_BATCH_TOKENS = 4 * 2**20
BATCH_SOURCE = "about 4M tokens per step, Llama 2's global batch (arXiv:2307.09288, Table 1)"
MICRO_SOURCE = "1 sequence, as Megatron-LM's PTD-P runs (arXiv:2104.04473, Table 2)"


def pipeline_bubble(p: int, m: int, v: int = 1) -> float:
    """Idle share of a 1F1B pipeline step, ``(p-1) / (v m + p - 1)`` [0-1], for ``p`` stages, ``m``
    micro-batches per pipeline and ``v`` virtual stages per GPU [1, Sec. 2.2]."""
    return (p - 1) / (v * m + p - 1)


def ring_allreduce_s(n_bytes: float, n: int, bw: float, latency: float = 0.0) -> float:
    """Ring all-reduce of ``n_bytes`` [B] over ``n`` ranks at ``bw`` [B/s one way per rank] [s]:
    each rank sends and receives ``2 (n-1)/n`` of the buffer."""
    return 0.0 if n <= 1 else 2 * (n - 1) / n * n_bytes / bw + latency


def exposed_allreduce_s(t_ar: float, t_overlap: float, chunks: int) -> float:
    """The part of a gradient all-reduce ``t_ar`` [s] left after overlapping ``t_overlap`` [s] of
    backward compute; at least its last of ``chunks`` chunks [6]."""
    return max(t_ar - t_overlap, t_ar / max(chunks, 1)) if t_ar > 0 else 0.0


@dataclass(frozen=True)
class Step:
    """One optimizer step of a layout. Times [s] per GPU."""

    tp: int
    pp: int
    dp: int
    vpp: int
    global_batch: int  # [sequences]
    micro_batch: int  # [sequences]
    m: int  # micro-batches per pipeline
    t_compute: float  # one micro-batch on one stage
    t_tp: float  # its tensor-parallel all-reduces
    bubble: float  # idle share of the pipeline [0-1]
    t_pipeline: float
    t_allreduce: float  # data-parallel gradient all-reduce
    t_exposed: float  # the part not hidden behind the backward pass
    t_step: float
    mfu: float  # compute MFU x compute share of the step
    tp_link: str
    dp_link: str

    def shares(self) -> dict[str, float]:
        """Where a step's time goes [0-1, sums to 1]: compute, tensor-parallel all-reduces, pipeline
        bubble, exposed data-parallel all-reduce."""
        fill = (self.pp - 1) / self.vpp * (self.t_compute + self.t_tp)
        return {
            "training compute (steady state)": self.m * self.t_compute / self.t_step,
            f"tensor-parallel all-reduces (TP {self.tp})": self.m * self.t_tp / self.t_step,
            f"pipeline bubble (PP {self.pp}, idle)": fill / self.t_step,
            f"data-parallel all-reduce, exposed (DP {self.dp})": self.t_exposed / self.t_step,
        }


def wants_layout(ctx: Ctx) -> bool:
    return any(ctx.given(k) for k in LAYOUT_OPTIONS)


def _int(ctx: Ctx, key: str, default: int) -> int:
    return int(ctx.opt(key, default))  # type: ignore[call-overload]


def _layout(ctx: Ctx, g: int, seq: int) -> tuple[int, int, int, int, int, int, int]:
    """(tp, pp, dp, vpp, global batch, micro-batch, micro-batches per pipeline) from the options,
    refused when they do not tile the GPUs or the batch; defaults recorded."""
    arch = ctx.arch
    t, p, v, b = _int(ctx, "tp", 1), _int(ctx, "pp", 1), _int(ctx, "vpp", 1), _int(ctx, "micro_batch", 1)
    if g % (t * p):
        raise GpucostError(
            f"tp={t} x pp={p} = {t * p} GPUs per model replica does not divide {g} GPUs",
            hint=f"give gpus= as a multiple of {t * p}, e.g. gpus={max(1, g // (t * p)) * t * p}",
        )
    if p * v > arch.n_layers:
        raise GpucostError(
            f"pp={p} x vpp={v} = {p * v} pipeline chunks for {arch.name}'s {arch.n_layers} layers",
            hint=f"keep pp x vpp at most {arch.n_layers}",
        )
    d = g // (t * p)
    if ctx.given("global_batch"):
        batch = _int(ctx, "global_batch", 1)
        if batch % (d * b):
            lo = max(1, batch // (d * b)) * d * b
            raise GpucostError(
                f"global_batch={batch} does not split into micro-batches of {b} over {d} data-parallel replicas",
                hint=f"give a multiple of {d * b}, e.g. global_batch={lo} or {lo + d * b}",
            )
        ctx.add("global batch", f"{batch} sequences ({fmt_num(batch * seq)} tokens)", GIVEN, True)
    else:
        batch = max(1, math.ceil(max(1, round(DEFAULT_BATCH_TOKENS / seq)) / (d * b))) * d * b
        ctx.add(
            "global batch",
            f"{batch} sequences ({fmt_num(batch * seq)} tokens)",
            f"{BATCH_SOURCE}, rounded up to whole micro-batches per replica; give global_batch=",
        )
    ctx.note("micro_batch", "micro-batch", f"{b} sequence{'s' * (b > 1)}", MICRO_SOURCE)
    return t, p, d, v, batch, b, batch // (d * b)


def _dp_bandwidth(ctx: Ctx, g: int, d: int) -> tuple[float | None, str]:
    """Bandwidth of the data-parallel ring [B/s one way per GPU] and what it runs over; None (with
    a warning) when it leaves the server and the catalog has no scale-out figure."""
    acc = ctx.acc
    if g <= GPUS_PER_SERVER:
        bw, _, desc = link(acc, max(d, 2))
        return bw, f"within one server: {desc}"
    if acc.scaleout_gb_s:
        return acc.scaleout_gb_s * 1e9, f"scale-out network, {acc.scaleout_gb_s:g} GB/s per GPU (catalog)"
    ctx.warn(
        f"data-parallel gradient all-reduce not charged: the catalog has no scale-out network bandwidth for "
        f"{acc.short}, and {g} GPUs span more than one {GPUS_PER_SERVER}-GPU server"
    )
    return None, "not charged (no scale-out bandwidth in the catalog)"


def training_step(ctx: Ctx, g: int, seq: int, per_tok: float, peak: float, mfu: float) -> Step:
    """One optimizer step of the layout the options give on ``g`` GPUs, for ``per_tok`` training
    FLOPs per token [FLOP] at ``peak`` [FLOP/s per GPU] and compute MFU ``mfu``; its lines recorded."""
    arch, acc = ctx.arch, ctx.acc
    t, p, d, v, batch, b, m = _layout(ctx, g, seq)
    if arch.is_moe:
        ctx.warn(
            "expert parallelism is not modelled: each pipeline stage holds all its experts, and the experts' "
            "all-to-all token exchange is not charged"
        )
    t_c = b * seq * per_tok / (t * p * peak * mfu)
    tp_link = ""
    t_tp = 0.0
    if t > 1:
        bw, lat, tp_link = link(acc, t)
        if t > GPUS_PER_SERVER:
            ctx.warn(f"tp={t} spans more than one {GPUS_PER_SERVER}-GPU server; charged at the intra-node link")
        t_tp = arch.n_layers / p * 4 * ring_allreduce_s(b * seq * arch.d_model * ACT_BYTES, t, bw, lat)
    bubble = pipeline_bubble(p, m, v)
    t_pipe = (m + (p - 1) / v) * (t_c + t_tp)
    t_ar, dp_link = 0.0, "none (one replica)"
    if d > 1:
        bw_dp, dp_link = _dp_bandwidth(ctx, g, d)
        if bw_dp:
            t_ar = ring_allreduce_s(arch.total_params / (t * p) * GRAD_BYTES, d, bw_dp)
    chunks = max(1, arch.n_layers // (p * v))
    exposed = exposed_allreduce_s(t_ar, 2 / 3 * t_c, chunks)
    t_step = t_pipe + exposed
    step = Step(t, p, d, v, batch, b, m, t_c, t_tp, bubble, t_pipe, t_ar, exposed, t_step, mfu * m * t_c / t_step,
                tp_link, dp_link)  # fmt: skip
    _record(ctx, step, g)
    return step


def _record(ctx: Ctx, s: Step, g: int) -> None:
    given = [k for k in ("tp", "pp", "vpp") if ctx.given(k)]
    ctx.add(
        "parallel layout",
        f"TP {s.tp} x PP {s.pp}{f' (x{s.vpp} virtual)' if s.vpp > 1 else ''} x DP {s.dp} = {g} GPUs, "
        f"{s.m} micro-batches per pipeline per step",
        GIVEN if given else "tp=1, pp=1 (not given): data parallel over every GPU",
        bool(given),
    )
    ctx.add(
        "pipeline bubble",
        f"{s.bubble:.1%} of each step",
        "(p-1)/(v m + p - 1), the 1F1B schedule's fill and drain (Megatron-LM, arXiv:2104.04473, Sec. 2.2)",
    )
    if s.tp > 1:
        ctx.add(
            "tensor-parallel all-reduces",
            f"{s.t_tp * 1e3:.3g} ms per micro-batch ({s.t_tp / (s.t_compute + s.t_tp):.1%} of its time), {s.tp_link}",
            "4 per layer of the b T d activations, blocking (Megatron-LM, arXiv:2104.04473, Sec. 3.2)",
        )
    if s.dp > 1:
        share = s.t_exposed / s.t_allreduce if s.t_allreduce else 0.0
        ctx.add(
            "data-parallel gradient all-reduce",
            f"{s.t_allreduce:.3g} s per step, {s.t_exposed:.3g} s exposed ({share:.0%}), {s.dp_link}",
            "FP32 gradients, ring; overlapped with the last micro-batch's backward, its last layer's chunk "
            "exposed (PyTorch DDP, arXiv:2006.15704; Megatron-Core overlap_grad_reduce)",
        )
    ctx.add(
        "MFU with the layout",
        f"{s.mfu:.3g}",
        "the compute MFU x compute time / step time (bubble and exposed communication are idle)",
    )


def step_trace(s: Step, mfu: float) -> list[dict[str, object]]:
    """The formula steps of one optimizer step."""
    return [
        dict(
            name="micro-batches per pipeline",
            formula=f"m = global batch / (DP x micro-batch) = {s.global_batch} / ({s.dp} x {s.micro_batch})",
            value=s.m,
            unit="micro-batches",
        ),
        dict(
            name="compute per micro-batch and stage",
            formula=f"b T F / (TP x PP x peak x MFU {mfu:g})",
            value=s.t_compute,
            unit="s",
        ),
        dict(
            name="tensor-parallel all-reduces per micro-batch",
            formula=f"L/PP x 4 x (2 (t-1)/t x b T d x 2 B / bw + latency), t = {s.tp}",
            value=s.t_tp,
            unit="s",
            ref="Megatron-LM, arXiv:2104.04473, Sec. 3.2",
        ),
        dict(
            name="pipeline bubble",
            formula=f"(p-1) / (v m + p - 1) = ({s.pp}-1) / ({s.vpp} x {s.m} + {s.pp} - 1)",
            value=s.bubble,
            unit="share of the step",
            ref="Megatron-LM, arXiv:2104.04473, Sec. 2.2",
        ),
        dict(
            name="pipeline time per step",
            formula=f"(m + (p-1)/v) x (compute + TP) = ({s.m} + {s.pp - 1}/{s.vpp}) x "
            f"({s.t_compute:.4g} + {s.t_tp:.4g})",
            value=s.t_pipeline,
            unit="s",
        ),
        dict(
            name="data-parallel gradient all-reduce",
            formula=f"2 (d-1)/d x N/(TP x PP) x 4 B / bw, d = {s.dp}",
            value=s.t_allreduce,
            unit="s",
        ),
        dict(
            name="exposed all-reduce",
            formula=f"max(all-reduce - 2/3 x compute, all-reduce / layers per chunk) = max({s.t_allreduce:.4g} - "
            f"{2 / 3 * s.t_compute:.4g}, ...)",
            value=s.t_exposed,
            unit="s",
            ref="PyTorch DDP, arXiv:2006.15704; Megatron-Core overlap_grad_reduce",
        ),
        dict(name="step time", formula="pipeline + exposed all-reduce", value=s.t_step, unit="s"),
        dict(
            name="MFU with the layout",
            formula=f"MFU x m x compute / step = {mfu:g} x {s.m} x {s.t_compute:.4g} / {s.t_step:.4g}",
            value=s.mfu,
            unit="",
        ),
    ]
