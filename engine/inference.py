"""Inference performance of one model replica: engine steps under continuous or static batching.

A replica (its GPUs laid out as :class:`~engine.layout.Layout`) serves ``b`` concurrent sequences of
``s_in`` prompt and ``s_out`` generated tokens. Each engine step is one forward pass whose time is
the roofline of its operators plus communication and a fixed cost (:func:`engine.step.stage_step`).

- **Continuous batching with chunked prefill** (vLLM, TensorRT-LLM in-flight batching, SGLang)
  [1][2]: every step decodes one token for each running sequence and fills the rest of the step's
  token budget ``C`` (``max_num_batched_tokens``) with prompt chunks. In a steady state each request
  brings ``s_new = s_in (1 - cache_hit)`` prompt tokens per ``s_out`` generated ones, so a step with
  ``b_d`` decode tokens per rank carries ``c = b_d s_new / s_out`` prefill tokens; when
  ``b_d + c > C`` the budget caps the decode batch at ``C s_out / (s_new + s_out)``. The weights
  are streamed once per step for both (prefill chunks ride on decode steps: Sarathi-Serve [2]), so
  ``T = T_step(b_d, c)`` and a request costs ``s_out`` steps: output tokens/s ``= b_d / T``, time
  per output token ``= T``; prefill's share of the cost is what its chunks add to the step,
  ``(T - T_step(b_d, 0)) / T``.
- **Static batching** (HF ``generate``; TensorRT-LLM's older static benchmark): one prefill pass over
  the whole batch, then decode steps to the batch's longest reply. With output lengths uniform on
  ``[0, 2 s_out]`` (``out_spread=1``) the expected longest of ``b`` is ``2 s_out b/(b+1)`` steps.
- **Pipeline stages** (``pp``): a round of decode runs ``pp`` micro-batches, one per stage at a
  time, so every sequence advances one token per ``pp`` stage steps (no bubble once full).
- **TTFT**: isolated (one request on an idle replica: its prompt in chunks of ``C``, one data-parallel
  rank busy, ``(chunks + pp - 1)`` stage steps) and under load (half a step's wait for the running
  step, then the prompt in chunks of the budget left after decode, ``C - b_d``, one mixed step each;
  static: half a cycle's wait, then its batch's prefill).

Symbols: ``P`` peak FLOP/s per GPU at the compute precision, ``BW`` memory bandwidth [B/s],
``e_c``/``e_b`` compute and bandwidth efficiency (``engine.efficiency`` presets), ``W`` weight bytes.

[1] Kwon et al. 2023, vLLM, arXiv:2309.06180; Yu et al. 2022, Orca (iteration-level scheduling).
[2] Agrawal et al. 2024, Sarathi-Serve, arXiv:2403.02310 (chunked prefills piggybacked on decodes).
[3] Pope et al. 2022, arXiv:2211.05102 (prefill compute-bound, decode bandwidth-bound).

Imports pydantic, the standard library and engine modules below it (``step``, ``layout``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from engine.architecture import Dims, ModelArch
from engine.catalog import Accelerator
from engine.engines import (
    ATTN_BW_FRACTION,
    ATTN_CALL_S,
    BLACKWELL,
    EAGER_PYTHON_LAYER_S,
    ENGINES,
    GRAPH_LAUNCH_S,
    KERNEL_LAUNCH_S,
    KERNELS_PER_LAYER,
    KERNELS_PER_MOE_LAYER,
    ServingEngine,
)
from engine.hardware import BYTES, Precision, attention_peak, link, scaleout_link
from engine.layout import Layout
from engine.memory import activation_per_gpu, attended_positions, kv_per_gpu, kv_tokens, usable_bytes
from engine.step import LinkCosts, ModelCosts, Rates, StepTerms, stage_step

NODE_GPUS = 8  # GPUs joined by the fast intra-node link (HGX/DGX) where the catalog gives no domain


def default_layout(gpus: int, domain: int = NODE_GPUS) -> Layout:
    """Tensor parallel within a scale-up domain, pipeline stages across domains."""
    tp = min(gpus, domain)
    return Layout(tp=tp, pp=max(1, gpus // tp), domain=domain)


class Terms(NamedTuple):
    """Every term of one (model, layout, batch) point (:meth:`Roofline.terms`). Times [s]."""

    out_tps: float  # output tokens/s of the replica [1/s]
    tpot: float  # time per output token: the step every sequence advances in [s]
    ttft: float  # one request on an idle replica [s]
    ttft_loaded: float  # one request arriving at a replica running the batch [s]
    t_prefill_batch: float  # prefill's share of a cycle [s]
    t_step: float  # one round of decode (continuous: with its prefill chunks) [s]
    t_step_decode: float  # the same round without prefill [s]
    t_cycle: float  # time in which the replica serves `served` requests [s]
    steps: float  # decode rounds per cycle
    served: float  # sequences decoding at once (the batch, or less when the chunk budget caps it)
    chunk: float  # prefill tokens per step per data-parallel rank (static: the whole batch's)
    weights: float  # all weights of the replica [B]
    kv_per_token_gpu: float  # KV cache of one token on each GPU [B]
    prefill_flops_one: float  # one request's prefill [FLOP]
    ctx: float  # mean context of a decode step [tokens]
    mixed: StepTerms  # one stage's step with prefill chunks (static: without)
    decode: StepTerms  # one stage's decode-only step
    first: StepTerms  # one stage's step on the first chunk of an isolated prompt


class InferencePoint:
    """Performance of one replica at one batch size (fields of :class:`Terms` and derived numbers).
    Times [s], rates [1/s], memory [GB]."""

    __slots__ = ("_arch", "_dims", "_rf", "_t", "batch", "gpus", "layout", "max_batch", "s_in", "s_out")

    def __init__(
        self,
        rf: Roofline,
        arch: ModelArch | None,
        dims: Dims,
        layout: Layout,
        batch: int,
        terms: Terms,
        max_batch: int = -1,
    ) -> None:
        self._rf, self._arch, self._dims, self._t = rf, arch, dims, terms
        self.layout, self.gpus, self.batch = layout, layout.gpus, batch
        self.max_batch = max_batch  # largest batch that fits (-1: not sized)
        self.s_in, self.s_out = rf.s_in, rf.s_out

    @property
    def terms(self) -> Terms:
        return self._t

    output_tokens_per_s = property(lambda self: self._t.out_tps, doc="output tokens/s of the replica")
    tpot_s = property(lambda self: self._t.tpot, doc="time per output token [s]")
    ttft_s = property(lambda self: self._t.ttft, doc="time to first token on an idle replica [s]")
    ttft_loaded_s = property(lambda self: self._t.ttft_loaded, doc="time to first token under the batch's load [s]")
    t_prefill_batch = property(lambda self: self._t.t_prefill_batch, doc="prefill's share of a cycle [s]")
    t_step = property(lambda self: self._t.t_step, doc="one decode round [s]")
    t_cycle = property(lambda self: self._t.t_cycle, doc="one cycle [s]")
    steps = property(lambda self: self._t.steps, doc="decode rounds per cycle")
    kv_per_token_gpu = property(lambda self: self._t.kv_per_token_gpu, doc="KV cache of one token per GPU [B]")

    @property
    def served(self) -> float:
        """Sequences decoding at once (the batch, or fewer when the prefill budget caps it)."""
        return self._t.served

    @property
    def requests_per_s(self) -> float:
        return self._t.served / self._t.t_cycle

    @property
    def gpu_s_per_request(self) -> float:
        """Busy GPU-seconds one request costs [s]."""
        return self.gpus * self._t.t_cycle / self._t.served

    @property
    def latency_s(self) -> float:
        """Request latency, TTFT + s_out TPOT [s]."""
        return self._t.ttft + self.s_out * self._t.tpot

    @property
    def prefill_share(self) -> float:
        """Share of the replica's busy time spent on prefill."""
        return self._t.t_prefill_batch / self._t.t_cycle

    @property
    def decode_bound(self) -> str:
        s = self._t.decode
        mem = max(s.dense_mem, 0) + s.expert_mem + s.attn_mem
        cmp = s.dense_cmp + s.expert_cmp + s.attn_cmp
        return "memory bandwidth" if mem >= cmp else "compute"

    @property
    def kv_gb_per_gpu(self) -> float:
        lay = self.layout
        seq = kv_tokens(self._dims, self.s_in + self.s_out) + (self._rf.beams - 1) * self.s_out
        return self.batch / lay.dp * seq * self._t.kv_per_token_gpu / lay.pp / 1e9

    @property
    def memory_per_gpu_gb(self) -> float:
        """Weights + activation workspace + KV cache of the batch, per GPU [GB]. The workspace holds
        one step's prefill tokens: the engine's token budget, or (static batching) the prompts of a
        stage's micro-batch, all prefilled in one pass."""
        rf, lay = self._rf, self.layout
        chunk = self.batch / (lay.dp * lay.pp) * rf.prompt_tokens if rf.static else rf.budget
        return rf.weights_per_gpu(self._dims, lay) / 1e9 + (
            activation_per_gpu(self._dims, lay.tp, chunk=chunk) / 1e9 + self.kv_gb_per_gpu
        )

    @property
    def arch(self) -> ModelArch | None:
        """The model (None for a point made from :class:`Dims` alone)."""
        return self._arch

    @property
    def roofline(self) -> Roofline:
        return self._rf


def layout_links(acc: Accelerator, lay: Layout) -> tuple[LinkCosts, str]:
    """The links a layout's collectives run on, and a description of each kind used."""
    up_bw, up_alpha, up_desc = link(acc, min(lay.tp if lay.dp == 1 else lay.stage, lay.domain))
    out_bw, out_alpha, out_desc = scaleout_link(acc)
    tp_cross = lay.tp > lay.domain
    stage_cross = lay.stage > lay.domain
    pp_cross = lay.stage >= lay.domain  # consecutive stages sit in different domains
    descs = [up_desc] if lay.gpus > 1 else []
    if tp_cross or stage_cross or (lay.pp > 1 and pp_cross):
        descs.append(out_desc)
    return (
        LinkCosts(
            tp_bw=out_bw if tp_cross else up_bw,
            tp_alpha=max(up_alpha, out_alpha) if tp_cross else up_alpha,
            stage_bw=out_bw if stage_cross else up_bw,
            stage_alpha=max(up_alpha, out_alpha) if stage_cross else up_alpha,
            up_bw=up_bw,
            out_bw=out_bw,
            a2a_alpha=max(up_alpha, out_alpha) if stage_cross else up_alpha,
            p2p_bw=out_bw if pp_cross else up_bw,
            p2p_alpha=out_alpha if pp_cross else up_alpha,
        ),
        "; ".join(descs) or "none (1 GPU)",
    )


@dataclass
class Roofline:
    """The serving model of one GPU type, precision, request shape and serving-engine preset,
    evaluated for many (model, layout, batch) points: a replica search tries several.

    ``kv_bytes`` [B per element]; ``compute_eff`` and ``bandwidth_eff`` are fractions of peak;
    ``static_batching`` with ``out_spread`` models a static batch that runs to its longest reply;
    ``cache_hit`` is the share of prompt tokens a prefix cache serves; ``preset`` the serving
    engine (chunk budget, batch cap, per-step cost)."""

    acc: Accelerator
    prec: Precision
    kv_bytes: float
    s_in: int
    s_out: int
    ce: float
    be: float
    static: bool = False
    spread: float = 1.0
    cache_hit: float = 0.0
    preset: ServingEngine = ENGINES["vllm"]
    experts_as_released: bool = False  # routed experts stored as released (gpt-oss: MXFP4), not at the dtype
    beams: int = 1  # beam search: sequences decoded per request (output tokens counted once)

    def __post_init__(self) -> None:
        acc = self.acc
        self.peak = self.prec.peak_flops  # [FLOP/s per GPU]
        self.bw = (acc.memory_bw_gb_s or 0) * 1e9  # [B/s per GPU]
        self.usable = usable_bytes(acc.memory_gb or 0)  # memory a serving engine may fill [B per GPU]
        self.w_bytes = BYTES[self.prec.weight_dtype]
        self.ctx = self.s_in + (self.s_out + 1) / 2  # mean context of a decode step [tokens]
        self.prompt_tokens = max(self.s_in * (1 - self.cache_hit), 1.0)  # a prompt's tokens to prefill
        self.domain = acc.scaleup_domain_gpus or NODE_GPUS
        self.attn_peak = attention_peak(acc, self.kv_bytes, self.prec)
        e = self.preset
        self.budget, self.max_seqs = e.budget(acc.memory_gb or 0, acc.id)
        wide = acc.id in BLACKWELL and e.graphs == "full-and-piecewise"
        self.graph_max = e.graph_max_tokens * (2 if wide else 1)  # vLLM captures 1024 tokens on Blackwell
        # per (model, layout) constants, kept while a replica search evaluates the same few many times
        self._memo: dict[tuple[object, ...], object] = {}

    # ---- per model and per layout ----------------------------------------------------------------
    def costs(self, m: Dims, tp: int) -> ModelCosts:
        """What a step needs of model ``m`` on a ``tp``-way rank."""
        got = self._memo.get(("costs", m, tp))
        if got is None:
            got = self._memo[("costs", m, tp)] = self._costs(m, tp)
        return got  # type: ignore[return-value]

    def expert_bytes(self, m: Dims) -> float:
        """Bytes per routed-expert weight: as released where the model ships its experts in a
        precision of their own and no dtype was asked (gpt-oss: MXFP4), else the weights' [B]."""
        if self.experts_as_released and m.expert_release_dtype:
            return BYTES[m.expert_release_dtype]
        return self.w_bytes

    def weights(self, m: Dims) -> float:
        """All weight bytes of model ``m`` [B]."""
        experts = m.routed_expert_params
        return (m.total_params - experts) * self.w_bytes + experts * self.expert_bytes(m)

    def _costs(self, m: Dims, tp: int) -> ModelCosts:
        experts = m.routed_expert_params
        f_experts = 2.0 * experts * m.top_k_share
        return ModelCosts(
            w_dense=(m.total_params - experts) * self.w_bytes,
            w_experts=experts * self.expert_bytes(m),
            f_dense=2.0 * m.forward_params - f_experts,
            f_lm_head=2.0 * m.lm_head,
            f_experts=f_experts,
            top_k_share=m.top_k_share,
            top_k=m.top_k,
            n_layers=m.n_layers,
            moe_layers=m.moe_layers,
            d_model=m.d_model,
            w_attn_prefill=m.attn_width,
            w_attn_decode=m.attn_width_decode,
            kv_token_gpu=kv_per_gpu(m, self.kv_bytes, tp),
            vocab=round(m.lm_head / m.d_model) if m.d_model else 0,
        )

    def weights_per_gpu(self, m: Dims, lay: Layout) -> float:
        """Weight bytes on each GPU: dense weights split tp x pp ways, experts over the stage [B]."""
        experts = m.routed_expert_params
        dense = (m.total_params - experts) * self.w_bytes
        return dense / (lay.tp * lay.pp) + experts * self.expert_bytes(m) / (lay.stage * lay.pp)

    def rates(self, m: Dims) -> Rates:
        """The effective rates of one GPU running model ``m`` under this engine."""
        got = self._memo.get(("rates", m))
        if got is None:
            got = self._memo[("rates", m)] = self._rates(m)
        return got  # type: ignore[return-value]

    def _rates(self, m: Dims) -> Rates:
        e = self.preset
        paged = e.paged_attention
        grouped = e.grouped_kv or m.kv_replicated or not m.kv_heads
        return Rates(
            flops_linear=self.peak * self.ce,
            flops_attn=self.attn_peak * self.ce,
            bw=self.bw * self.be,
            bw_attn=self.bw * (ATTN_BW_FRACTION if paged else self.be),
            attn_call=ATTN_CALL_S if paged else 0.0,
            kv_amplify=1.0 if grouped else m.n_heads / m.kv_heads,
            imbalance=e.ep_imbalance,
            dispatch_bytes=e.dispatch_bytes,
            combine_bytes=e.combine_bytes,
            host_per_seq=e.host_s_per_seq or 0.0,
            host_overlap=e.host_overlap,
        )

    def launch(self, m: Dims, lay: Layout, decode: float, prefill: float) -> float:
        """CPU time to launch one stage's forward pass [s]: a CUDA-graph replay where the engine
        captured one for a step of this many tokens, else one launch per kernel (eager PyTorch:
        its per-layer cost) (:mod:`engine.engines`)."""
        e = self.preset
        layers = m.n_layers / lay.pp
        tokens = decode + prefill
        if e.graphs == "eager-python":
            return layers * EAGER_PYTHON_LAYER_S
        graphed = tokens <= self.graph_max
        if graphed and not prefill and e.graphs in ("decode", "full-and-piecewise"):
            return GRAPH_LAUNCH_S  # one full graph
        if graphed and e.graphs == "full-and-piecewise":
            return layers * (GRAPH_LAUNCH_S + KERNEL_LAUNCH_S)  # a graph per layer, attention outside
        kernels = layers * (KERNELS_PER_LAYER + (2 if lay.tp > 1 else 0))
        kernels += m.moe_layers / lay.pp * KERNELS_PER_MOE_LAYER
        return kernels * KERNEL_LAUNCH_S

    def layout_of(self, lay: Layout | int) -> Layout:
        return default_layout(lay, self.domain) if isinstance(lay, int) else lay

    def links(self, lay: Layout) -> tuple[LinkCosts, str]:
        got = self._memo.get(("links", lay))
        if got is None:
            got = self._memo[("links", lay)] = layout_links(self.acc, lay)
        return got  # type: ignore[return-value]

    # ---- the point ------------------------------------------------------------------------------
    def step(
        self,
        m: Dims,
        lay: Layout,
        decode: float,
        prefill: float,
        positions: float,
        ranks: int | None = None,
        seqs: float | None = None,
    ) -> StepTerms:
        """One stage's step of ``m`` on ``lay`` (see :func:`engine.step.stage_step`), with its launch."""
        return self._step(self._prep(m, lay), m, lay, decode, prefill, positions, ranks, seqs)

    def _step(
        self,
        prep: tuple[ModelCosts, LinkCosts, Rates, float],
        m: Dims,
        lay: Layout,
        decode: float,
        prefill: float,
        positions: float,
        ranks: int | None = None,
        seqs: float | None = None,
    ) -> StepTerms:
        mc, links, r, ctx = prep
        return stage_step(
            mc, lay, links, r, decode, prefill, ctx, positions, ranks, self.launch(m, lay, decode, prefill), seqs
        )

    def _prep(self, m: Dims, lay: Layout) -> tuple[ModelCosts, LinkCosts, Rates, float]:
        """What every step of ``m`` on ``lay`` shares: the model's costs on a rank, the links, the
        rates and the decode context the KV reads cover (windows applied)."""
        key = ("prep", m, lay)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = (self.costs(m, lay.tp), self.links(lay)[0], self.rates(m), kv_tokens(m, self.ctx))
        return got  # type: ignore[return-value]

    def terms(self, m: Dims, lay: Layout | int, batch: int, latency: bool = True) -> Terms:
        """Every term for ``batch`` sequences on a replica of model ``m`` laid out as ``lay`` (a GPU
        count: tensor parallel in a domain, pipeline across). ``latency=False`` leaves out the two
        TTFTs (NaN), which a search for throughput alone does not read."""
        lay = self.layout_of(lay)
        prep = self._prep(m, lay)
        e = self.preset
        s_in, s_out = self.s_in, self.s_out
        cached = s_in * self.cache_hit
        s_new = s_in - cached
        dp, pp, budget = lay.dp, lay.pp, float(self.budget)
        k = self.beams  # each request decodes k beams; its prompt is prefilled (and cached) once
        per = batch / (dp * pp)  # requests per rank per micro-batch
        busy = None  # data-parallel ranks with work (None: all)
        if per < 1:  # fewer requests than ranks x stages: one each on the busy ranks, the rest idle
            busy, per = max(1, min(dp, math.ceil(batch / pp))), 1.0
        # mean number of tokens a prompt token attends to (causal; windowed layers at most the window)
        pos_avg = attended_positions(m, cached, s_in) / s_new if s_new > 0 else 0.0
        # an idle replica's prompt: the same at every batch (static batching's TPOT reads it)
        if latency or self.static:
            idle = self._memo.get(("idle prompt", m, lay))
            if idle is None:
                idle = self._memo[("idle prompt", m, lay)] = self._prompt(m, lay, s_new, cached)
            ttft, first = idle  # type: ignore[misc]
        else:
            ttft, first = math.nan, None
        served = float(batch)
        if self.static:
            dec = self._step(prep, m, lay, per * k, 0.0, 0.0, busy)
            mixed = dec
            chunk = per * s_new
            t_pf = pp * self._step(prep, m, lay, 0.0, chunk, chunk * pos_avg, busy).total
            t_dec = t_step = pp * dec.total
            steps = float(s_out)
            if batch > 1:
                steps = s_out * (1 - self.spread) + 2 * s_out * self.spread * batch / (batch + 1)
            t_cycle = t_pf + steps * t_dec
            tpot = t_dec + max(t_pf - ttft, 0.0) / max(s_out, 1)
            loaded = t_cycle / 2 + t_pf
        elif e.mixed:
            chunk = per * s_new / s_out  # prompt tokens per step that keep the batch full
            if per * k + chunk > budget:  # the step's token budget caps the decode batch
                per = budget * s_out / (s_new + k * s_out)
                chunk = per * s_new / s_out
                served = per * dp * pp
            mixed = self._step(prep, m, lay, per * k, chunk, chunk * pos_avg, busy)
            dec = self._step(prep, m, lay, per * k, 0.0, 0.0, busy)
            t_step, t_dec = pp * mixed.total, pp * dec.total
            steps, tpot, t_cycle = float(s_out), t_step, s_out * t_step
            t_pf = s_out * (t_step - t_dec)
            # a new prompt waits for the running step, then takes the budget decodes leave in each step
            loaded = t_step / 2 + self._prompt(m, lay, s_new, cached, per * k, busy or dp)[0] if latency else math.nan
        else:
            # prefill steps apart (vLLM V0): the batch's prompts in steps of the budget, then decode
            dec = self._step(prep, m, lay, per * k, 0.0, 0.0, busy)
            whole = max(budget, s_new)  # a prompt is never split
            n_pf = max(math.ceil(per * s_new / whole), 1)
            chunk = per * s_new / n_pf
            mixed = self._step(prep, m, lay, 0.0, chunk, chunk * pos_avg, busy, seqs=chunk / max(s_new, 1.0))
            t_pf = pp * n_pf * mixed.total
            t_dec = t_step = pp * dec.total
            steps = float(s_out)
            t_cycle = t_pf + steps * t_dec
            tpot = t_dec + t_pf / max(s_out, 1)  # decodes stall while prompts run
            loaded = t_dec / 2 + ttft
        return Terms(
            out_tps=served * s_out / t_cycle,
            tpot=tpot,
            ttft=ttft,
            ttft_loaded=loaded,
            t_prefill_batch=t_pf,
            t_step=t_step,
            t_step_decode=t_dec,
            t_cycle=t_cycle,
            steps=steps,
            served=served,
            chunk=chunk,
            weights=self.weights(m),
            kv_per_token_gpu=prep[0].kv_token_gpu,
            prefill_flops_one=2 * (m.forward_params - m.lm_head) * s_new
            + 2 * m.lm_head
            + 4 * m.n_layers * m.attn_width * attended_positions(m, cached, s_in),
            ctx=self.ctx,
            mixed=mixed,
            decode=dec,
            first=first or mixed,
        )

    def _prompt(
        self, m: Dims, lay: Layout, s_new: float, cached: float, decode: float = 0.0, ranks: int = 1
    ) -> tuple[float, StepTerms]:
        """Time until one prompt's last chunk is computed [s], and the step of its first chunk: its
        ``s_new`` new tokens after ``cached`` ones, in chunks of the step budget left after
        ``decode`` decode tokens per rank (``ranks`` ranks busy), pipelined over the stages. An idle
        replica: ``decode = 0``, one rank; an engine that does not chunk prompts: one pass."""
        budget = max(self.budget - decode, 1.0)
        if self.static or not self.preset.chunked:
            budget = max(s_new, 1.0)
        full = math.floor(s_new / budget)
        rest = s_new - full * budget
        total, worst = 0.0, 0.0
        first: StepTerms | None = None
        if full:
            # the full chunks differ only in their attention's prefix: sum their positions at once
            end = cached + full * budget
            st = self.step(m, lay, decode, budget, attended_positions(m, cached, end) / full, ranks)
            total, worst, first = full * st.total, st.total, st
        if rest > 0 or first is None:
            start = cached + full * budget
            end = start + rest
            st = self.step(m, lay, decode, max(rest, 1.0), attended_positions(m, start, end), ranks)
            total, worst = total + st.total, max(worst, st.total)
            first = first or st
        return total + (lay.pp - 1) * worst, first

    def decode_step(self, m: Dims, lay: Layout | int, batch: int) -> StepTerms:
        """One stage's decode-only step at ``batch`` requests (each of ``beams`` sequences), as a
        disaggregated decode pool runs it."""
        lay = self.layout_of(lay)
        return self.step(m, lay, batch * self.beams / (lay.dp * lay.pp), 0.0, 0.0)

    def prefill_tokens_per_s(self, m: Dims, lay: Layout | int) -> float:
        """Prompt tokens per second a replica prefills in full steps of the budget on every rank
        (a disaggregated prefill pool) [1/s]."""
        lay = self.layout_of(lay)
        budget = float(max(self.budget, 1))
        cached = self.s_in * self.cache_hit
        s_new = max(self.s_in - cached, 1.0)
        st = self.step(m, lay, 0.0, budget, budget * attended_positions(m, cached, self.s_in) / s_new)
        return budget * lay.dp / st.total

    def point(
        self,
        arch: ModelArch | Dims,
        lay: Layout | int,
        batch: int,
        terms: Terms | None = None,
        max_batch: int = -1,
    ) -> InferencePoint:
        """The performance of ``batch`` sequences on a replica of ``arch`` laid out as ``lay`` (given
        as :class:`Dims` alone, the point has no formula trace); ``terms``: :meth:`terms` of the same
        point, when the caller has them; ``max_batch``: the largest batch that fits, when sized."""
        lay = self.layout_of(lay)
        if isinstance(arch, Dims):
            return InferencePoint(self, None, arch, lay, batch, terms or self.terms(arch, lay, batch), max_batch)
        dims = arch.dims
        return InferencePoint(self, arch, dims, lay, batch, terms or self.terms(dims, lay, batch), max_batch)


def roofline(
    arch: ModelArch,
    acc: Accelerator,
    prec: Precision,
    kv_bytes: float,
    gpus: int | Layout,
    batch: int,
    s_in: int,
    s_out: int,
    compute_eff: float,
    bandwidth_eff: float,
    static_batching: bool = False,
    out_spread: float = 1.0,
) -> InferencePoint:
    """Performance of one replica (see the module docstring for the model)."""
    rf = Roofline(acc, prec, kv_bytes, s_in, s_out, compute_eff, bandwidth_eff, static_batching, out_spread)
    return rf.point(arch, gpus, batch)
