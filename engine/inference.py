"""Inference performance of one model replica: a roofline over prefill and decode.

For a replica of ``g`` GPUs serving ``b`` concurrent sequences of ``s_in`` prompt and ``s_out``
generated tokens:

- Prefill (compute-bound) [1][2]: ``T_pf = max(F_pf / (g P e_c), W / (g BW e_b)) + T_comm`` with
  ``F_pf = b (2 N s_in + 2 L s_in^2 w)``.
- Decode step (usually bandwidth-bound) [1][2], per GPU, as an operator-level roofline: the weight
  matmuls and the attention over the KV cache are separate kernels that do not overlap, so
  ``T_step = max(W / (BW e_b), 2 N b / (P e_c)) + max(KV / (BW e_b), 4 L ctx w b / (P e_c)) + T_comm``,
  where W = the weights read once per step (MoE: only the experts the batch routes to) and KV = each
  sequence's cache read once at the average context ``ctx = s_in + s_out/2``; the new token's KV write
  is one token and is not charged again (a slip some peers make). LLM-Viewer (Yuan et al. 2024,
  arXiv:2402.16363) applies the roofline per operator the same way.
- Tensor parallelism: two all-reduces per layer of ``tokens x d`` activations, ring algorithm,
  ``alpha + 2 (g-1)/g x bytes / link`` each [3]. Replicas above 8 GPUs are modelled as 8-way tensor
  parallel inside a node times pipeline stages (no bubble charged; pipeline adds a warning).
- One cycle serves ``b`` requests: ``T_cycle = T_pf + s_out T_step`` (continuous batching keeps
  slots full). Static batching runs every batch to its longest request: with output lengths
  uniform on [0, 2 s_out] (``out_spread=1``, the default) the expected longest of ``b`` is
  ``2 s_out b/(b+1)`` steps; ``out_spread=0`` is fixed lengths (no waste).

Symbols: ``P`` peak FLOP/s per GPU at the compute precision, ``BW`` memory bandwidth [B/s],
``e_c``/``e_b`` compute and bandwidth efficiency (``engine.efficiency`` presets), ``W`` weight bytes.

[1] Pope et al. 2022, arXiv:2211.05102, Sec. 2-3 (prefill vs decode; memory time vs compute time).
[2] kipply 2022, "Transformer Inference Arithmetic" (decode latency = max of weights/bandwidth and
    2 N b / FLOPs; KV cache size).
[3] Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms" (ring all-reduce 2(p-1)/p);
    Shoeybi et al. 2019, Megatron-LM, arXiv:1909.08053 (two all-reduces per layer in forward).

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.architecture import ModelArch
from engine.catalog import Accelerator
from engine.flops import forward_flops_per_token, prefill_flops
from engine.hardware import Precision, link
from engine.memory import (
    activation_bytes_per_gpu,
    kv_bytes_per_token_per_gpu,
    usable_bytes,
    weight_bytes,
)

NODE_GPUS = 8  # GPUs joined by the fast intra-node link (HGX/DGX)
ACT_BYTES = 2.0  # activations exchanged in 16-bit


@dataclass
class InferencePoint:
    """Performance of one replica at one batch size. Times [s], rates [1/s], bytes [B]."""

    gpus: int
    batch: int
    max_batch: int  # largest batch that fits (-1 until the caller sets it)
    s_in: int
    s_out: int
    t_prefill_one: float
    t_prefill_batch: float
    t_step: float
    t_cycle: float
    decode_bound: str
    output_tokens_per_s: float
    requests_per_s: float
    ttft_s: float
    tpot_s: float
    latency_s: float
    memory_per_gpu_gb: float
    kv_gb_per_gpu: float
    prefill_share: float
    warnings: list[str] = field(default_factory=list)
    trace_fn: Callable[[], list[dict[str, object]]] | None = None

    @property
    def trace(self) -> list[dict[str, object]]:
        """The formula trace (built on demand: bulk evaluation never needs it)."""
        return self.trace_fn() if self.trace_fn else []


def _allreduce_time(tokens: float, d_model: int, gpus: int, acc: Accelerator) -> tuple[float, str]:
    tp = min(gpus, NODE_GPUS)
    if tp <= 1:
        return 0.0, "none (1 GPU)"
    bw, alpha, desc = link(acc, tp)
    size = tokens * d_model * ACT_BYTES
    return alpha + 2 * (tp - 1) / tp * size / bw, desc


def _moe_weight_bytes_read(arch: ModelArch, w_bytes: float, batch: float) -> float:
    """Weights read in one decode step of ``batch`` tokens: dense parts plus the experts routed to.
    Each token picks ``k`` of ``E`` experts; the expected share touched is ``1 - (1 - k/E)^b``."""
    total = weight_bytes(arch, w_bytes)
    if not arch.is_moe or arch.params_override:
        return total
    experts = arch.expert_params() * w_bytes
    touched = 1 - (1 - arch.top_k / arch.n_experts) ** batch
    return total - experts + experts * touched


def roofline(
    arch: ModelArch,
    acc: Accelerator,
    prec: Precision,
    kv_bytes: float,
    gpus: int,
    batch: int,
    s_in: int,
    s_out: int,
    compute_eff: float,
    bandwidth_eff: float,
    static_batching: bool = False,
    out_spread: float = 1.0,
) -> InferencePoint:
    """Roofline performance of one replica (see module docstring for the model)."""
    peak = prec.peak_flops  # [FLOP/s per GPU]
    bw = (acc.memory_bw_gb_s or 0) * 1e9  # [B/s per GPU]
    w_bytes = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}[prec.weight_dtype]
    L, w, d = arch.n_layers, arch.attn_width(), arch.d_model
    w_dec = arch.attn_width(decode=True)
    n_fwd = arch.forward_params()
    weights = weight_bytes(arch, w_bytes)
    kv_tok_gpu = kv_bytes_per_token_per_gpu(arch, kv_bytes, gpus)
    warnings: list[str] = []

    # --- prefill
    # (an inferred shape of a tiny model can have V d > N: never count more head than parameters)
    lm = min(arch.lm_head_params(), n_fwd)
    f_pf_one = prefill_flops(n_fwd, L, w, s_in, lm)
    comm_pf_one, link_desc = _allreduce_time(s_in, d, gpus, acc)
    comm_pf_one *= 2 * L
    t_pf_one = max(f_pf_one / (gpus * peak * compute_eff), weights / gpus / (bw * bandwidth_eff)) + comm_pf_one
    f_pf = batch * f_pf_one
    comm_pf, _ = _allreduce_time(batch * s_in, d, gpus, acc)
    comm_pf *= 2 * L
    t_pf_compute = f_pf / (gpus * peak * compute_eff)
    t_pf = max(t_pf_compute, weights / gpus / (bw * bandwidth_eff)) + comm_pf

    # --- decode (average context over the generation)
    ctx = s_in + (s_out + 1) / 2
    read_w = _moe_weight_bytes_read(arch, w_bytes, batch) / gpus
    read_kv = batch * ctx * kv_tok_gpu
    f_step = batch * forward_flops_per_token(n_fwd, L, w_dec, ctx)
    f_gemm = batch * 2.0 * n_fwd
    t_gemm_mem, t_gemm_cmp = read_w / (bw * bandwidth_eff), f_gemm / (gpus * peak * compute_eff)
    t_attn_mem, t_attn_cmp = read_kv / (bw * bandwidth_eff), (f_step - f_gemm) / (gpus * peak * compute_eff)
    t_mem = t_gemm_mem + t_attn_mem
    t_cmp = t_gemm_cmp + t_attn_cmp
    comm_step, _ = _allreduce_time(batch, d, gpus, acc)
    comm_step *= 2 * L
    t_step = max(t_gemm_mem, t_gemm_cmp) + max(t_attn_mem, t_attn_cmp) + comm_step
    bound = "memory bandwidth" if t_gemm_mem + t_attn_mem >= t_gemm_cmp + t_attn_cmp else "compute"

    steps = float(s_out)
    if static_batching and batch > 1:
        # Output lengths uniform on s_out x [1 - spread, 1 + spread]: E[longest of b] =
        # s_out (1 - spread) + 2 s_out spread b / (b + 1); spread 0 = fixed lengths, no waste.
        steps = s_out * (1 - out_spread) + 2 * s_out * out_spread * batch / (batch + 1)
    t_cycle = t_pf + steps * t_step
    out_tps = batch * s_out / t_cycle
    rps = batch / t_cycle
    tpot = t_step + (t_pf - t_pf_one) / max(s_out, 1)
    ttft = t_pf_one
    mem_gpu = weights / gpus + activation_bytes_per_gpu(arch, gpus) + batch * (s_in + s_out) * kv_tok_gpu

    if gpus > NODE_GPUS:
        warnings.append(
            f"{gpus} GPUs per replica: modelled as {NODE_GPUS}-way tensor parallel x {gpus // NODE_GPUS} pipeline "
            "stages with no pipeline bubble; real latency is higher"
        )

    def make_trace() -> list[dict[str, object]]:
        return [
            dict(
                name="weights",
                formula=f"N x B_w = {arch.total_params:.4g} x {w_bytes:g} B",
                value=weights / 1e9,
                unit="GB",
                ref="memory: weights",
            ),
            dict(
                name="KV cache per token per GPU",
                formula=f"{arch.kv_elements_per_token()} elements x {kv_bytes:g} B / TP share",
                value=kv_tok_gpu / 1e6,
                unit="MB",
                ref="kipply 2022; MLA: arXiv:2412.19437",
            ),
            dict(
                name="memory per GPU",
                formula=f"weights/{gpus} + activations + b x (s_in+s_out) x KV/token",
                value=mem_gpu / 1e9,
                unit="GB",
                ref=f"usable {usable_bytes(acc.memory_gb or 0) / 1e9:.1f} GB",
            ),
            dict(
                name="prefill FLOPs per request",
                formula=f"2 (N - V d) s_in + 2 V d + 2 L s_in^2 w = 2 x {n_fwd - lm:.4g} x {s_in}"
                f" + 2 x {lm:.4g} + 2 x {L} x {s_in}^2 x {w}",
                value=f_pf_one,
                unit="FLOP",
                ref="Kaplan 2020 Table 1",
            ),
            dict(
                name="TTFT",
                formula=f"max(F_pf / ({gpus} x {peak / 1e12:g}T x {compute_eff:g}), W/(g BW e_b)) + all-reduces",
                value=ttft,
                unit="s",
                ref="Pope et al. 2022",
            ),
            dict(
                name="decode bytes read per step per GPU",
                formula=f"weights/{gpus} + b x ctx x KV/token = "
                f"{read_w / 1e9:.3g} GB + {batch} x {ctx:g} x {kv_tok_gpu / 1e6:.3g} MB",
                value=(read_w + read_kv) / 1e9,
                unit="GB",
                ref="kipply 2022",
            ),
            dict(
                name="decode memory time",
                formula=f"bytes / ({bw / 1e9:g} GB/s x {bandwidth_eff:g})",
                value=t_mem,
                unit="s",
                ref="roofline",
            ),
            dict(
                name="decode compute time",
                formula=f"b x (2N + 4 L ctx w) / ({gpus} x {peak / 1e12:g}T x {compute_eff:g}), w = {w_dec}",
                value=t_cmp,
                unit="s",
                ref="roofline",
            ),
            dict(
                name="all-reduce time per step",
                formula=f"2 L x (alpha + 2(g-1)/g x b d 2B / link); {link_desc}",
                value=comm_step,
                unit="s",
                ref="Megatron-LM; ring all-reduce",
            ),
            dict(
                name="decode step",
                formula=f"max(weights, matmuls) + max(KV read, attention) + all-reduce = max({t_gemm_mem:.3g}, "
                f"{t_gemm_cmp:.3g}) + max({t_attn_mem:.3g}, {t_attn_cmp:.3g}) + {comm_step:.3g} ({bound}-bound)",
                value=t_step,
                unit="s",
                ref="",
            ),
            dict(name="batch prefill", formula=f"{batch} requests x {s_in} tokens", value=t_pf, unit="s", ref=""),
            dict(
                name="cycle",
                formula=f"T_pf + {steps:.4g} steps x T_step"
                + (" (static batching waits for the longest)" if steps != s_out else ""),
                value=t_cycle,
                unit="s",
                ref="",
            ),
            dict(
                name="output tokens/s per replica",
                formula=f"b x s_out / T_cycle = {batch} x {s_out} / {t_cycle:.4g}",
                value=out_tps,
                unit="tok/s",
                ref="",
            ),
        ]

    return InferencePoint(
        gpus=gpus,
        batch=batch,
        max_batch=-1,  # filled by the caller, which sized the batch
        s_in=s_in,
        s_out=s_out,
        t_prefill_one=t_pf_one,
        t_prefill_batch=t_pf,
        t_step=t_step,
        t_cycle=t_cycle,
        decode_bound=bound,
        output_tokens_per_s=out_tps,
        requests_per_s=rps,
        ttft_s=ttft,
        tpot_s=tpot,
        latency_s=ttft + s_out * tpot,
        memory_per_gpu_gb=mem_gpu / 1e9,
        kv_gb_per_gpu=batch * (s_in + s_out) * kv_tok_gpu / 1e9,
        prefill_share=t_pf / t_cycle,
        trace_fn=make_trace,
        warnings=warnings,
    )
