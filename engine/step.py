"""One forward pass of a replica (an engine step): the roofline of each operator, and communication.

A serving engine runs steps. Each step carries, on every data-parallel rank, some decode tokens (one
per running sequence) and some prefill tokens (chunks of prompts), and pushes them through one
pipeline stage's layers on each of the stage's GPUs. Per GPU and per stage, the operators do not
overlap, so their times add [1][2]:

- dense weights (attention projections, dense MLPs, shared experts, vocabulary): ``max(W_ne /
  (tp pp BW e_b), T x 2 N_ne / (tp pp P e_c))`` for ``T`` tokens on the rank;
- routed experts: ``max(f W_e / (S pp BW e_b), lambda x T_S x 2 N_e / (S pp P e_c))`` where
  ``T_S`` tokens of the whole stage reach them, ``f = 1 - (1 - k/E)^T_S`` is the share of experts
  they touch and ``lambda`` the load imbalance of expert parallelism (the step waits for the
  busiest GPU);
- decode attention: ``max(L t_call + KV bytes read / B_attn, 4 L ctx w x tokens / (tp pp P_attn e_c))``
  with the attention kernel's fixed time per call ``t_call`` and bandwidth ``B_attn`` [3];
- prefill attention over the chunk's prefixes, compute-bound: ``4 L w x sum of positions``;
- communication: tensor-parallel all-reduces (two per layer [4]), the experts' all-to-all
  dispatch and combine or all-reduce, and the pipeline's point-to-point send;
- the CPU: launching the step's kernels (or replaying its CUDA graph) and the engine's host work
  (scheduling, inputs, detokenisation), overlapped or not with the GPU [5].

Symbols as in :mod:`engine.inference`; ``S = dp x tp`` GPUs per stage (:mod:`engine.layout`).

[1] Pope et al. 2022, arXiv:2211.05102, Sec. 2-3.
[2] Yuan et al. 2024, LLM-Viewer, arXiv:2402.16363 (a roofline per operator).
[3] see :mod:`engine.engines` (FlashInfer's measured decode-attention bandwidth).
[4] Shoeybi et al. 2019, Megatron-LM, arXiv:1909.08053.
[5] see :mod:`engine.engines` (each serving engine's launches and host work).

Pure functions over plain numbers and :class:`~engine.layout.Layout`; imports ``layout`` only.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.layout import Layout, allreduce_s, alltoall_s

ACT_BYTES = 2.0  # activations exchanged in 16-bit [B per element]


class ModelCosts(NamedTuple):
    """What a step needs of one model at one precision, whole model (not per GPU)."""

    w_dense: float  # bytes of every weight but the routed experts [B]
    w_experts: float  # bytes of all routed experts [B]
    f_dense: float  # FLOPs per token of the dense weights, 2 N_ne (incl. the vocabulary projection) [FLOP]
    f_lm_head: float  # FLOPs per token of the vocabulary projection, 2 V d [FLOP]
    f_experts: float  # FLOPs per token of the k routed experts it uses, 2 N_e [FLOP]
    top_k_share: float  # k / E (0: dense)
    top_k: int  # experts each token is routed to (0: dense)
    n_layers: int
    moe_layers: int  # layers with routed experts
    d_model: int
    w_attn_prefill: int  # attention width of prefill [elements]
    w_attn_decode: int  # attention width of decode (MLA: the latent) [elements]
    kv_token_gpu: float  # KV cache of one token over all layers on one GPU of a tp-way rank [B]
    vocab: int  # vocabulary size V: the sampler reads V logits per token it samples


class LinkCosts(NamedTuple):
    """The links a layout's collectives use [B/s one way, s per call]."""

    tp_bw: float
    tp_alpha: float
    stage_bw: float  # all-reduce/all-to-all over a whole stage, slowest link
    stage_alpha: float
    up_bw: float  # scale-up link
    out_bw: float  # scale-out NIC per GPU
    a2a_alpha: float
    p2p_bw: float
    p2p_alpha: float


class Rates(NamedTuple):
    """Effective rates of one GPU [FLOP/s, B/s] and the engine's per-step CPU costs [s]."""

    flops_linear: float  # P e_c at the weights' compute precision
    flops_attn: float  # P_attn e_c at the attention's precision
    bw: float  # BW e_b for streaming weights
    bw_attn: float  # bandwidth the decode-attention kernel reaches on the KV cache [B/s]
    attn_call: float  # fixed time of one decode-attention kernel call [s]
    kv_amplify: float  # KV bytes read per byte cached (h / h_kv for a per-query-head kernel, else 1)
    imbalance: float  # expert-parallel load imbalance, busiest GPU / mean (1: none)
    dispatch_bytes: float  # bytes per element of the all-to-all dispatch (FP8: 1)
    combine_bytes: float  # bytes per element of the combine (BF16: 2)
    host_per_seq: float  # engine host work per running sequence per step [s]
    host_overlap: float  # share of the host work hidden under the previous step [0-1]


class StepTerms(NamedTuple):
    """One stage's forward pass on its busiest GPU, by operator [s]."""

    total: float
    dense_mem: float
    dense_cmp: float
    expert_mem: float
    expert_cmp: float
    attn_mem: float
    attn_cmp: float
    prefill_attn: float
    sampling: float  # reading the logits of every token sampled (FP32, vocabulary split tp-way)
    tp_comm: float
    expert_comm: float
    pp_comm: float
    gpu: float  # the operators and communication above, in sequence [s]
    launch: float  # CPU time to launch the step's kernels (or replay its CUDA graph) [s]
    host: float  # the engine's host work for the step [s]
    kv_read: float  # KV bytes read by decode attention on this GPU [B]
    weights_read: float  # weight bytes read on this GPU [B]


def stage_step(
    m: ModelCosts,
    lay: Layout,
    links: LinkCosts,
    r: Rates,
    decode: float,
    prefill: float,
    ctx: float,
    prefill_positions: float,
    ranks: int | None = None,
    launch: float = 0.0,
    seqs: float | None = None,
) -> StepTerms:
    """One pipeline stage's forward pass for ``decode`` decode tokens and ``prefill`` prefill
    tokens on each busy data-parallel rank (``ranks`` of them busy; default all ``dp``).

    ``ctx`` [tokens]: mean context of the decode tokens; ``prefill_positions``: sum over the
    rank's prefill tokens of the positions each attends to (a chunk from position ``a`` to ``b``
    of a prompt: ``(b^2 - a^2) / 2``); ``launch`` [s]: CPU time to launch the step;
    ``seqs``: running sequences the host handles (default: the decode tokens, plus one prompt)."""
    pp, tp, stage = lay.pp, lay.tp, lay.stage
    ranks = lay.dp if ranks is None else ranks
    tokens = decode + prefill  # on the busiest rank
    stage_tokens = tokens * ranks
    layers = m.n_layers / pp

    # dense weights, split tp-way within a rank, pp-way over stages
    w_dense = m.w_dense / (tp * pp)
    f_dense = (tokens * m.f_dense - prefill * m.f_lm_head) / (tp * pp)  # the vocabulary: one token per chunk
    if prefill:
        f_dense += m.f_lm_head / (tp * pp)
    dense_mem, dense_cmp = w_dense / r.bw, f_dense / r.flops_linear

    # routed experts, spread over the stage's S GPUs (as whole experts or tensor-parallel slices)
    expert_mem = expert_cmp = 0.0
    w_exp = 0.0
    if m.w_experts:
        touched = 1.0 - (1.0 - m.top_k_share) ** stage_tokens if stage_tokens > 0 else 0.0
        w_exp = m.w_experts / (stage * pp) * touched
        lam = r.imbalance if lay.ep > 1 else 1.0
        expert_mem = w_exp / r.bw
        expert_cmp = lam * stage_tokens * m.f_experts / (stage * pp) / r.flops_linear

    # attention: decode reads each sequence's KV cache (a per-query-head kernel once per query
    # head of a group); prefill attends over the chunk's prefixes
    kv_read = decode * ctx * m.kv_token_gpu / pp * r.kv_amplify
    attn_mem = layers * r.attn_call + kv_read / r.bw_attn if decode else 0.0
    attn_cmp = 4.0 * layers * ctx * m.w_attn_decode * decode / tp / r.flops_attn
    prefill_attn = 4.0 * layers * m.w_attn_prefill * prefill_positions / tp / r.flops_attn

    # the sampler reads the FP32 logits of each token it samples (vLLM's sampler upcasts to float32;
    # beam search takes its top-k over the beams x vocabulary of a request, the same logits), on the
    # last stage: charged per stage as a share of the round
    sampled = decode + (1.0 if prefill else 0.0)
    sampling = sampled * m.vocab * 4.0 / tp / r.bw / pp

    # communication per layer of this stage
    act = tokens * m.d_model * ACT_BYTES
    dense_layers = layers - m.moe_layers / pp
    tp_comm = 0.0
    expert_comm = 0.0
    if tp > 1:
        # attention output and (dense layers') MLP output: one all-reduce each
        tp_comm = (layers + dense_layers) * allreduce_s(act, tp, links.tp_alpha, links.tp_bw)
    if m.moe_layers and stage > 1:
        moe = m.moe_layers / pp
        if lay.ep > 1:
            # each GPU sends its share of the rank's tokens once to every GPU holding one of their k
            # experts, ep (1 - (1 - 1/ep)^k) GPUs on average (DeepEP sends a token once per rank),
            # and gets the experts' outputs back (combine)
            dest = stage * (1.0 - (1.0 - 1.0 / stage) ** m.top_k)
            send = tokens / tp * dest * m.d_model
            expert_comm = moe * (
                alltoall_s(send * r.dispatch_bytes, stage, lay.domain, links.a2a_alpha, links.up_bw, links.out_bw)
                + alltoall_s(send * r.combine_bytes, stage, lay.domain, links.a2a_alpha, links.up_bw, links.out_bw)
            )
        else:
            # tensor-parallel experts: the stage's tokens gathered, the output reduced over the stage
            expert_comm = moe * allreduce_s(
                stage_tokens * m.d_model * ACT_BYTES, stage, links.stage_alpha, links.stage_bw
            )
    pp_comm = (links.p2p_alpha + act / links.p2p_bw) if pp > 1 else 0.0
    gpu = (
        max(dense_mem, dense_cmp)
        + max(expert_mem, expert_cmp)
        + max(attn_mem, attn_cmp)
        + prefill_attn
        + sampling
        + tp_comm
        + expert_comm
        + pp_comm
    )
    # the CPU: launches gate the GPU when they take longer than its kernels; the engine's host
    # work adds unless overlapped with the previous step, and bounds the step from below
    host = r.host_per_seq * (seqs if seqs is not None else decode + (1 if prefill else 0))
    total = max(max(gpu, launch) + (1 - r.host_overlap) * host, launch + host)
    return StepTerms(
        total,
        dense_mem,
        dense_cmp,
        expert_mem,
        expert_cmp,
        attn_mem,
        attn_cmp,
        prefill_attn,
        sampling,
        tp_comm,
        expert_comm,
        pp_comm,
        gpu,
        launch,
        host,
        kv_read,
        w_dense + w_exp,
    )
