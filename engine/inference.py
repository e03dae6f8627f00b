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

from operator import attrgetter
from typing import NamedTuple

from engine.architecture import Dims, ModelArch
from engine.catalog import Accelerator
from engine.flops import forward_flops_per_token, prefill_flops
from engine.hardware import BYTES, Precision, link
from engine.memory import activation_per_gpu, kv_per_gpu, usable_bytes

NODE_GPUS = 8  # GPUs joined by the fast intra-node link (HGX/DGX)
ACT_BYTES = 2.0  # activations exchanged in 16-bit


class Terms(NamedTuple):
    """Every term of the roofline at one (model, replica size, batch) point (:meth:`Roofline.terms`)."""

    out_tps: float  # output tokens/s of the replica [1/s]
    tpot: float  # time per output token, incl. the prefills it waits for [s]
    t_prefill_one: float  # one request's prefill = TTFT [s]
    t_prefill_batch: float  # the whole batch's prefill [s]
    t_step: float  # one decode step [s]
    t_cycle: float  # batch prefill + decode steps [s]
    steps: float  # decode steps per cycle (static batching: to the longest reply)
    weights: float  # all weights of the replica [B]
    kv_per_token_gpu: float  # KV cache of one token on each GPU [B]
    prefill_flops_one: float  # one request's prefill [FLOP]
    read_weights: float  # weight bytes read per decode step per GPU [B]
    read_kv: float  # KV bytes read per decode step per GPU [B]
    t_gemm_mem: float  # weight matmuls: memory time [s]
    t_gemm_cmp: float  # weight matmuls: compute time [s]
    t_attn_mem: float  # attention over the KV cache: memory time [s]
    t_attn_cmp: float  # attention: compute time [s]
    comm_step: float  # all-reduces per decode step [s]
    ctx: float  # mean context of a decode step [tokens]


_new_terms = tuple.__new__  # the fastest way to make a NamedTuple (thousands per spreadsheet column)


class InferencePoint:
    """Performance of one replica at one batch size: a view over :meth:`Roofline.terms`, whose
    fields are read on demand (a spreadsheet column reads one of them per row). Times [s], rates
    [1/s], memory [GB]."""

    __slots__ = ("_arch", "_dims", "_rf", "_t", "batch", "gpus", "max_batch", "s_in", "s_out")

    def __init__(
        self,
        rf: Roofline,
        arch: ModelArch | None,
        dims: Dims,
        gpus: int,
        batch: int,
        terms: Terms,
        max_batch: int = -1,
    ) -> None:
        self._rf, self._arch, self._dims, self._t = rf, arch, dims, terms
        self.gpus, self.batch = gpus, batch
        self.max_batch = max_batch  # largest batch that fits (-1: not sized)
        self.s_in, self.s_out = rf.s_in, rf.s_out

    output_tokens_per_s = property(attrgetter("_t.out_tps"), doc="output tokens/s of the replica")
    tpot_s = property(attrgetter("_t.tpot"), doc="time per output token [s], incl. prefills it waits for")
    ttft_s = property(attrgetter("_t.t_prefill_one"), doc="time to first token: one request's prefill [s]")
    t_prefill_one = ttft_s
    t_prefill_batch = property(attrgetter("_t.t_prefill_batch"), doc="prefill of the whole batch [s]")
    t_step = property(attrgetter("_t.t_step"), doc="one decode step [s]")
    t_cycle = property(attrgetter("_t.t_cycle"), doc="one cycle: batch prefill + decode steps [s]")
    steps = property(attrgetter("_t.steps"), doc="decode steps per cycle (static batching: to the longest reply)")
    kv_per_token_gpu = property(attrgetter("_t.kv_per_token_gpu"), doc="KV cache of one token on each GPU [B]")

    @property
    def requests_per_s(self) -> float:
        return self.batch / self._t.t_cycle

    @property
    def latency_s(self) -> float:
        """Request latency, TTFT + s_out TPOT [s]."""
        return self._t.t_prefill_one + self.s_out * self._t.tpot

    @property
    def prefill_share(self) -> float:
        """Share of a cycle spent in prefill."""
        return self._t.t_prefill_batch / self._t.t_cycle

    @property
    def decode_bound(self) -> str:
        t = self._t
        return "memory bandwidth" if t.t_gemm_mem + t.t_attn_mem >= t.t_gemm_cmp + t.t_attn_cmp else "compute"

    @property
    def kv_gb_per_gpu(self) -> float:
        return self.batch * (self.s_in + self.s_out) * self._t.kv_per_token_gpu / 1e9

    @property
    def memory_per_gpu_gb(self) -> float:
        """Weights + activation workspace + KV cache of the batch, per GPU [GB]."""
        g, t = self.gpus, self._t
        return (
            t.weights / g
            + activation_per_gpu(self._dims, g)
            + self.batch * (self.s_in + self.s_out) * t.kv_per_token_gpu
        ) / 1e9

    @property
    def warnings(self) -> list[str]:
        if self.gpus <= NODE_GPUS:
            return []
        return [
            f"{self.gpus} GPUs per replica: modelled as {NODE_GPUS}-way tensor parallel x {self.gpus // NODE_GPUS} "
            "pipeline stages with no pipeline bubble; real latency is higher"
        ]

    @property
    def trace(self) -> list[dict[str, object]]:
        """The formula trace (a point made from :class:`Dims` alone has none)."""
        return self._rf.trace(self._arch, self.gpus, self.batch) if self._arch is not None else []


class Roofline:
    """The roofline of one GPU type, precision and request shape, prepared once and evaluated for
    many (model, replica size, batch) points: a replica search tries several sizes and batches, and a
    spreadsheet column runs thousands of models, so :meth:`terms` is plain float arithmetic.

    ``kv_bytes`` [B per element]; ``compute_eff`` and ``bandwidth_eff`` are fractions of peak;
    ``static_batching`` with ``out_spread`` models a static batch that runs to its longest reply.
    """

    __slots__ = (
        "_gpu_consts",
        "_last",
        "acc",
        "be",
        "bw",
        "cache_hit",
        "ce",
        "ctx",
        "kv_bytes",
        "peak",
        "prec",
        "s_in",
        "s_out",
        "spread",
        "static",
        "usable",
        "w_bytes",
    )

    def __init__(
        self,
        acc: Accelerator,
        prec: Precision,
        kv_bytes: float,
        s_in: int,
        s_out: int,
        compute_eff: float,
        bandwidth_eff: float,
        static_batching: bool = False,
        out_spread: float = 1.0,
        cache_hit: float = 0.0,
    ) -> None:
        self.acc, self.prec = acc, prec
        self.cache_hit = cache_hit  # share of prompt tokens whose KV a prefix cache holds
        self.peak = prec.peak_flops  # [FLOP/s per GPU]
        self.bw = (acc.memory_bw_gb_s or 0) * 1e9  # [B/s per GPU]
        self.usable = usable_bytes(acc.memory_gb or 0)  # memory a serving engine may fill [B per GPU]
        self.w_bytes = BYTES[prec.weight_dtype]
        self.kv_bytes = kv_bytes
        self.s_in, self.s_out = s_in, s_out
        self.ctx = s_in + (s_out + 1) / 2  # mean context of a decode step [tokens]
        self.ce, self.be = compute_eff, bandwidth_eff
        self.static, self.spread = static_batching, out_spread
        self._gpu_consts: dict[int, tuple[float, float, float, str]] = {}
        self._last: tuple[Dims | None, tuple] = (None, ())  # (model, its constants): one attribute, so
        # a reader never pairs one model with another's constants, even across threads

    def _gpus(self, gpus: int) -> tuple[float, float, float, str]:
        """Per replica size (tensor parallel within a node: tp = min(g, 8)): all-reduce latency [s],
        seconds per token-width element ``2 (tp-1)/tp x 2 B / link`` (ring all-reduce), the replica's
        effective FLOP/s ``g P e_c``, and the link's description."""
        got = self._gpu_consts.get(gpus)
        if got is None:
            tp = min(gpus, NODE_GPUS)
            if tp > 1:
                link_bw, alpha, desc = link(self.acc, tp)
                per_elem = 2 * (tp - 1) / tp * ACT_BYTES / link_bw
            else:
                alpha, per_elem, desc = 0.0, 0.0, "none (1 GPU)"
            got = (alpha, per_elem, gpus * self.peak * self.ce, desc)
            self._gpu_consts[gpus] = got
        return got

    def _model(self, m: Dims) -> tuple:
        """Per model (the last one is kept: a replica search evaluates one model many times):
        weights [B], prefill FLOPs of one request, decode FLOPs per token at the mean context,
        matmul FLOPs per token ``2N``, routed experts' bytes [B]."""
        last = self._last
        if last[0] is m:
            return last[1]
        n_fwd = m.forward_params
        consts = (
            m.total_params * self.w_bytes,
            prefill_flops(n_fwd, m.n_layers, m.attn_width, self.s_in, m.lm_head, self.s_in * self.cache_hit),
            forward_flops_per_token(n_fwd, m.n_layers, m.attn_width_decode, self.ctx),
            2.0 * n_fwd,
            m.routed_expert_params * self.w_bytes,
        )
        self._last = (m, consts)
        return consts

    def terms(self, m: Dims, gpus: int, batch: int) -> Terms:
        """Every term of the roofline for ``batch`` sequences on a ``gpus``-GPU replica of the model
        with dimensions ``m`` (see :class:`Terms`)."""
        s_out, ctx = self.s_out, self.ctx
        last = self._last
        weights, f_pf_one, f_tok, f_gemm_tok, experts = last[1] if last[0] is m else self._model(m)
        # flops: g P e_c [FLOP/s]; on 1 GPU there is no all-reduce (alpha = per_elem = 0)
        alpha, per_elem, flops, _ = self._gpu_consts.get(gpus) or self._gpus(gpus)
        bw = self.bw * self.be  # [B/s]
        kv_tok_gpu = kv_per_gpu(m, self.kv_bytes, gpus)
        # two all-reduces per layer of (tokens x d) activations: 2 L (alpha + per_elem tokens d)
        two_l, d = 2 * m.n_layers, m.d_model

        # --- prefill (compute-bound; never faster than reading the weights once)
        t_w = weights / gpus / bw
        # (max() as conditionals: this runs thousands of times per spreadsheet column)
        t_cmp = f_pf_one / flops
        new = self.s_in * (1.0 - self.cache_hit)  # prompt tokens computed (a prefix cache holds the rest)
        t_pf_one = (t_cmp if t_cmp > t_w else t_w) + (alpha + per_elem * new * d) * two_l
        t_cmp *= batch
        t_pf = (t_cmp if t_cmp > t_w else t_w) + (alpha + per_elem * batch * new * d) * two_l

        # --- decode step at the mean context: weight matmuls, then attention over the KV cache
        read_w = weights
        if experts:
            # each token picks k of E experts: the expected share touched by the batch is 1 - (1 - k/E)^b
            read_w = weights - experts + experts * (1 - (1 - m.top_k_share) ** batch)
        read_w /= gpus
        read_kv = batch * ctx * kv_tok_gpu
        t_gemm_mem, t_gemm_cmp = read_w / bw, batch * f_gemm_tok / flops
        t_attn_mem, t_attn_cmp = read_kv / bw, batch * (f_tok - f_gemm_tok) / flops
        comm_step = (alpha + per_elem * batch * d) * two_l
        t_step = (
            (t_gemm_mem if t_gemm_mem > t_gemm_cmp else t_gemm_cmp)
            + (t_attn_mem if t_attn_mem > t_attn_cmp else t_attn_cmp)
            + comm_step
        )

        steps = float(s_out)
        if self.static and batch > 1:
            # Output lengths uniform on s_out x [1 - spread, 1 + spread]: E[longest of b] =
            # s_out (1 - spread) + 2 s_out spread b / (b + 1); spread 0 = fixed lengths, no waste.
            steps = s_out * (1 - self.spread) + 2 * s_out * self.spread * batch / (batch + 1)
        t_cycle = t_pf + steps * t_step
        tpot = t_step + (t_pf - t_pf_one) / (s_out if s_out > 1 else 1)
        return _new_terms(
            Terms,
            (
                batch * s_out / t_cycle,
                tpot,
                t_pf_one,
                t_pf,
                t_step,
                t_cycle,
                steps,
                weights,
                kv_tok_gpu,
                f_pf_one,
                read_w,
                read_kv,
                t_gemm_mem,
                t_gemm_cmp,
                t_attn_mem,
                t_attn_cmp,
                comm_step,
                ctx,
            ),
        )

    def point(
        self, arch: ModelArch | Dims, gpus: int, batch: int, terms: Terms | None = None, max_batch: int = -1
    ) -> InferencePoint:
        """The performance of ``batch`` sequences on a ``gpus``-GPU replica of ``arch`` (given as its
        :class:`Dims` alone, the point has no formula trace); ``terms``: :meth:`terms` of the same
        point, when the caller has them; ``max_batch``: the largest batch that fits, when sized."""
        if isinstance(arch, Dims):
            return InferencePoint(self, None, arch, gpus, batch, terms or self.terms(arch, gpus, batch), max_batch)
        dims = arch.dims
        return InferencePoint(self, arch, dims, gpus, batch, terms or self.terms(dims, gpus, batch), max_batch)

    def trace(self, arch: ModelArch, gpus: int, batch: int) -> list[dict[str, object]]:
        """The formula trace of :meth:`point`, step by step, with the numbers put in."""
        terms = t = self.terms(arch.dims, gpus, batch)
        out_tps, ttft, t_pf, t_step, t_cycle, steps = (
            t.out_tps,
            t.t_prefill_one,
            t.t_prefill_batch,
            t.t_step,
            t.t_cycle,
            t.steps,
        )
        weights, kv_tok_gpu, f_pf_one, read_w, read_kv = (
            t.weights,
            t.kv_per_token_gpu,
            t.prefill_flops_one,
            t.read_weights,
            t.read_kv,
        )
        t_gemm_mem, t_gemm_cmp, t_attn_mem, t_attn_cmp = t.t_gemm_mem, t.t_gemm_cmp, t.t_attn_mem, t.t_attn_cmp
        comm_step, ctx = t.comm_step, t.ctx
        acc, peak, bw, s_in, s_out = self.acc, self.peak, self.bw, self.s_in, self.s_out
        c = s_in * self.cache_hit  # cached prefix tokens
        L, w, w_dec, n_fwd, lm = (
            arch.n_layers,
            arch.dims.attn_width,
            arch.dims.attn_width_decode,
            arch.dims.forward_params,
            arch.dims.lm_head,
        )
        t_mem, t_cmp = t_gemm_mem + t_attn_mem, t_gemm_cmp + t_attn_cmp
        bound = "memory bandwidth" if t_mem >= t_cmp else "compute"
        mem_gpu = InferencePoint(self, arch, arch.dims, gpus, batch, terms).memory_per_gpu_gb * 1e9
        link_desc = self._gpus(gpus)[3]
        return [
            dict(
                name="weights",
                formula=f"N x B_w = {arch.total_params:.4g} x {self.w_bytes:g} B",
                value=weights / 1e9,
                unit="GB",
                ref="memory: weights",
            ),
            dict(
                name="KV cache per token per GPU",
                formula=f"{arch.kv_elements_per_token()} elements x {self.kv_bytes:g} B / TP share",
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
                formula=(
                    f"2 (N - V d) s_in + 2 V d + 2 L s_in^2 w = 2 x {n_fwd - lm:.4g} x {s_in}"
                    f" + 2 x {lm:.4g} + 2 x {L} x {s_in}^2 x {w}"
                    if not self.cache_hit
                    else f"2 (N - V d) (s_in - c) + 2 V d + 2 L (s_in^2 - c^2) w, c = cache_hit x s_in = "
                    f"{self.cache_hit:g} x {s_in} cached prefix tokens: 2 x {n_fwd - lm:.4g} x {s_in - c:g}"
                    f" + 2 x {lm:.4g} + 2 x {L} x ({s_in}^2 - {c:g}^2) x {w}"
                ),
                value=f_pf_one,
                unit="FLOP",
                ref="Kaplan 2020 Table 1",
            ),
            dict(
                name="TTFT",
                formula=f"max(F_pf / ({gpus} x {peak / 1e12:g}T x {self.ce:g}), W/(g BW e_b)) + all-reduces",
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
                formula=f"bytes / ({bw / 1e9:g} GB/s x {self.be:g})",
                value=t_mem,
                unit="s",
                ref="roofline",
            ),
            dict(
                name="decode compute time",
                formula=f"b x (2N + 4 L ctx w) / ({gpus} x {peak / 1e12:g}T x {self.ce:g}), w = {w_dec}",
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
            dict(
                name="batch prefill",
                formula=f"one pass over {batch} requests x {s_in - c:g} new prompt tokens: max(b F_pf / "
                f"(g P e_c), W / (g BW e_b)) + all-reduces of b x {s_in - c:g} tokens",
                value=t_pf,
                unit="s",
                ref="Pope et al. 2022",
            ),
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
    """Roofline performance of one replica (see the module docstring for the model)."""
    rf = Roofline(acc, prec, kv_bytes, s_in, s_out, compute_eff, bandwidth_eff, static_batching, out_spread)
    return rf.point(arch, gpus, batch)
