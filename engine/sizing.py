"""Replica sizing: how many GPUs, in which parallel layout, and how large a batch.

- **GPUs.** The count asked (``8xH100``, ``tp= x pp= x dp=``, ``nodes=``) if the model fits on it
  (else the least that fits, warned); when not asked, every power of two from the least that holds
  the weights plus one sequence up to one scale-up domain (dense models, whose larger replicas only
  add communication) or eight times that (mixture-of-experts models, whose experts spread thinner
  over more GPUs and leave room for larger batches, as DeepSeek-V3 serves over 40 nodes [1]).
- **Layout** (:mod:`engine.layout`). Given options are kept. Otherwise each GPU count tries the
  layouts serving engines offer: tensor parallel within a domain and pipeline stages across it
  (vLLM/TensorRT-LLM's default), for MoE models also with expert parallelism over the TP group, and
  data-parallel attention with expert parallelism over the whole replica (SGLang
  ``--enable-dp-attention``, vLLM ``--data-parallel-size --enable-expert-parallel``). A tensor-
  parallel degree must divide the attention heads (and the KV heads, or be a multiple of them), as
  vLLM requires.
- **Batch.** ``batch=`` (clamped to what fits, or ``max``), else the largest that fits up to the
  engine's ``max_num_seqs`` per data-parallel rank (each rank schedules its own sequences); with
  ``tpot_max=`` or ``ttft_max=`` the largest batch that meets them (bisection: both grow with the
  batch).
- **Choice.** The layout with the most output tokens/s per GPU (the cheapest per token at any one
  price) among those meeting the latency limits; when none meets them, the best of all, warned.

[1] DeepSeek-AI 2024, arXiv:2412.19437, Sec. 3.4.

Imports ``inference``, ``layout``, ``memory``; never ``serving`` or anything above.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from engine.architecture import Dims
from engine.inference import Roofline, Terms
from engine.layout import Layout, make_layout
from engine.memory import activation_per_gpu, kv_per_gpu, kv_tokens
from engine.queueing import queue_wait_s

MAX_REPLICA_GPUS = 4096
#: How far past the least that fits a mixture-of-experts replica is searched [x GPUs].
MOE_SEARCH_FACTOR = 8


@dataclass(frozen=True)
class Limits:
    """Latency limits [s] (None: none), checked at the fleet's target utilisation ``util``."""

    tpot: float | None = None
    ttft: float | None = None
    util: float = 0.0
    queue: bool = False  # the traffic is given: the TTFT limit counts the wait for a free slot at util

    def met(self, t: Terms) -> bool:
        if self.ttft is None or not self.met_values(t.tpot, t.ttft_loaded) or not self.queue:
            return self.met_values(t.tpot, t.ttft_loaded)
        return self.met_values(t.tpot, ttft_at(t, self.util))  # the wait counts only past the cheap checks

    def met_values(self, tpot: float, ttft: float) -> bool:
        """Whether a time per output token and a TTFT [s] meet the limits."""
        return (self.tpot is None or tpot <= self.tpot) and (self.ttft is None or ttft <= self.ttft)


def ttft_at(t: Terms, util: float) -> float:
    """TTFT under load with the wait for a free slot when the replica runs at ``util`` of its
    capacity, as a fleet sized for the peak at that utilisation does at the peak [s]."""
    return t.ttft_loaded + queue_wait_s(util * t.served / t.t_cycle, t.served, t.t_cycle)


@dataclass(frozen=True)
class Asked:
    """What the query fixes of a replica: GPUs and layout options (None: not given)."""

    gpus: int | None = None
    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    ep: int | None = None
    domain: int | None = None  # GPUs per node when nodes= is given

    @property
    def layout_given(self) -> bool:
        return any(v is not None for v in (self.tp, self.pp, self.dp, self.ep))


class Sizing(NamedTuple):
    """How a replica is sized: its layout, the least GPUs that fit, the layouts tried with their
    output tokens/s per GPU, the largest batch that fits, the batch and its roofline terms (a
    NamedTuple: one per row of a spreadsheet column)."""

    layout: Layout
    need: int
    tried: tuple[tuple[Layout, float], ...]
    max_batch: int
    batch: int
    terms: Terms
    tpot_limited: bool = False
    limits_unmet: bool = False

    @property
    def gpus(self) -> int:
        return self.layout.gpus


def room(dims: Dims, rf: Roofline, lay: Layout, seq: int) -> int:
    """Sequences of ``seq`` tokens a replica holds: per data-parallel rank, what is left of each
    GPU's usable memory after its weights and the prefill chunk's activations, over one sequence's
    KV cache on it, times the ranks (0: not even one). A static batch prefills all its prompts in
    one pass (:meth:`engine.inference.Roofline.terms`), so there each sequence also holds its
    prompt's activations, and the engine's token budget (unbounded) plays no part. Beam search keeps
    the prompt's KV once and each beam's own generated tokens."""
    free = rf.usable - rf.weights_per_gpu(dims, lay)
    per_seq = kv_per_gpu(dims, rf.kv_bytes, lay.tp) * (kv_tokens(dims, seq) + (rf.beams - 1) * rf.s_out) / lay.pp
    if rf.static:
        per_seq += activation_per_gpu(dims, lay.tp, chunk=rf.prompt_tokens) / lay.pp
    else:
        free -= activation_per_gpu(dims, lay.tp, chunk=rf.budget)
    if free <= 0 or per_seq <= 0:
        return 0
    return int(free // per_seq) * lay.dp


def tp_ok(dims: Dims, heads: int, tp: int) -> bool:
    """Whether ``tp`` can split the attention: it divides the heads, and the KV heads divide it or
    it divides them (vLLM's rule; an MLA latent is replicated, so only the heads count)."""
    return _tp_ok(heads, dims.kv_heads, dims.kv_replicated, tp)


def _tp_ok(heads: int, kv: int, replicated: bool, tp: int) -> bool:
    if tp == 1:
        return True
    if heads % tp:
        return False
    return replicated or kv % tp == 0 or tp % kv == 0


def candidates(dims: Dims, heads: int, g: int, domain: int, asked: Asked) -> list[Layout]:
    """The layouts tried for a ``g``-GPU replica (see the module docstring)."""
    dom = asked.domain or domain
    moe = bool(dims.routed_expert_params)
    if asked.layout_given:
        return [make_layout(g, dom, moe, asked.tp, asked.pp, asked.dp, asked.ep)]
    return list(_candidates(heads, dims.kv_heads, dims.kv_replicated, dims.n_layers, moe, g, dom))


@lru_cache(maxsize=1024)
def _candidates(
    heads: int, kv: int, replicated: bool, layers: int, moe: bool, g: int, dom: int
) -> tuple[Layout, ...]:
    """:func:`candidates` of an attention shape (a pure function of these numbers, so a column of
    models shares its layouts)."""
    out: list[Layout] = []
    tp = min(g, dom)
    while tp > 1 and not _tp_ok(heads, kv, replicated, tp):
        tp //= 2
    base = Layout(tp=tp, pp=g // tp, domain=dom)
    if base.pp > layers:  # a stage holds at least one layer
        return ()
    out.append(base)
    if moe and g > 1:
        if base.stage > 1:
            out.append(Layout(tp=tp, pp=base.pp, ep=base.stage, domain=dom))
        a = 1
        while a <= min(g // 2, dom):
            if _tp_ok(heads, kv, replicated, a) and g // a > 1:
                out.append(Layout(tp=a, dp=g // a, ep=g, domain=dom))
            a *= 2
    return tuple(out)


def least_replica(
    dims: Dims, rf: Roofline, heads: int, seq: int, domain: int, asked: Asked
) -> tuple[int, Layout, int] | None:
    """The least power-of-two GPUs on which one sequence fits under the first candidate layout,
    that layout and the sequences it holds (None: none up to ``MAX_REPLICA_GPUS``)."""
    g = 1
    plain = Asked(domain=asked.domain)
    while g <= MAX_REPLICA_GPUS:
        lays = candidates(dims, heads, g, domain, plain)
        if not lays:
            return None
        fits = room(dims, rf, lays[0], seq)
        if fits >= 1:
            return g, lays[0], fits
        g *= 2
    return None


def batch_for(
    rf: Roofline, dims: Dims, lay: Layout, fits: int, batch_opt: object, lim: Limits
) -> tuple[int, Terms, bool]:
    """The batch for ``lay``: asked, the largest that fits (``max``), or up to the engine's cap per
    rank; then, under latency limits, the largest that meets them. Returns the batch, its terms and
    whether the limits cut it."""
    cap = max(rf.max_seqs * lay.dp // rf.beams, 1)  # each beam is a running sequence
    if batch_opt == "max":
        batch = fits
    elif batch_opt is not None:
        batch = min(int(batch_opt), fits)  # type: ignore[call-overload]
    else:
        batch = min(fits, cap)
    batch = max(batch, 1)
    t = rf.terms(dims, lay, batch, lim.ttft is not None)
    if lim.met(t) or batch == 1:
        return batch, t, False
    # Time per output token grows with the batch; TTFT under load does too (longer steps), but its
    # wait for a free slot shrinks (more slots): scan a doubling grid, then bisect above the largest
    # batch on it that meets the limits.
    grid, b = [], 1
    while b < batch:
        grid.append(b)
        b *= 2
    grid.append(batch)
    terms = {b: rf.terms(dims, lay, b, lim.ttft is not None) for b in grid}
    ok = [b for b in grid if lim.met(terms[b])]
    if not ok:  # none meets them: the batch that comes closest on TTFT, else batch 1
        one = min(grid, key=lambda b: ttft_at(terms[b], lim.util if lim.queue else 0.0)) if lim.ttft is not None else 1
        return one, terms[one], True
    lo = max(ok)
    hi = grid[grid.index(lo) + 1] - 1 if lo != grid[-1] else lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if lim.met(rf.terms(dims, lay, mid, lim.ttft is not None)):
            lo = mid
        else:
            hi = mid - 1
    return lo, rf.terms(dims, lay, lo, lim.ttft is not None), True


def size_dims(
    dims: Dims, rf: Roofline, asked: Asked, batch_opt: object, lim: Limits, latency: bool = True
) -> Sizing | None:
    """The replica sizing of a model with dimensions ``dims`` under ``rf`` (see the module
    docstring), or None when no replica of up to ``MAX_REPLICA_GPUS`` GPUs holds one sequence.
    ``latency=False``: the chosen point's TTFTs are left out (NaN) unless a limit needed them (a
    spreadsheet column of costs does not read them)."""
    seq, heads = rf.s_in + rf.s_out, dims.n_heads
    domain = rf.domain
    found = least_replica(dims, rf, heads, seq, domain, asked)
    if found is None:
        return None
    need, first, first_fits = found
    counts = _sizes(need, dims, rf, asked)
    if asked.gpus is not None and asked.gpus < need:  # does not fit as asked: the least that does
        asked = Asked(domain=asked.domain)  # in its default layouts
    best: tuple[bool, float, Layout, int, int, Terms, bool] | None = None
    tried: list[tuple[Layout, float]] = []
    moe = bool(dims.routed_expert_params)
    for g in counts:
        improved = False
        for lay in candidates(dims, heads, g, domain, asked):
            fits = first_fits if lay is first else room(dims, rf, lay, seq)
            if fits < 1:
                continue
            batch, t, cut = batch_for(rf, dims, lay, fits, batch_opt, lim)
            rate = t.out_tps / lay.gpus
            tried.append((lay, rate))
            key = (lim.met(t), rate)
            if best is None or key > (best[0], best[1] * 1.02):  # a larger replica must be clearly better
                best, improved = (key[0], rate, lay, fits, batch, t, cut), True
        if not moe and best is not None and (not improved or best[4] < best[3]) and best[0]:
            # a dense replica gains per GPU only while more memory buys a larger batch; once the batch
            # is capped (not memory-bound) or a size did no better, larger sizes only add communication
            break
    if best is None:  # an asked layout too small: the least that fits, in its default layout
        lay = candidates(dims, heads, need, domain, Asked(domain=asked.domain))[0]
        fits = room(dims, rf, lay, seq)
        batch, t, cut = batch_for(rf, dims, lay, fits, batch_opt, lim)
        best = (lim.met(t), t.out_tps / lay.gpus, lay, fits, batch, t, cut)
    met, _, lay, fits, batch, t, cut = best
    if lim.ttft is None and latency:  # searched for throughput alone: the chosen point's TTFTs now
        t = rf.terms(dims, lay, batch)
    return Sizing(lay, need, tuple(tried), fits, batch, t, cut and met, not met)


@dataclass(frozen=True)
class Pool:
    """One pool of a disaggregated service: its layout, batch (decode) and busy GPU-seconds per
    request [s], with the layouts tried and their tokens/s per GPU."""

    layout: Layout
    batch: int
    gpu_s: float
    step_s: float  # a decode step (decode pool) or a full prefill step (prefill pool) [s]
    tried: tuple[tuple[Layout, float], ...]


def replica_counts(dims: Dims, rf: Roofline, asked: Asked) -> list[int]:
    """The GPUs per replica the search tries (see the module docstring); [] when none holds one
    sequence."""
    found = least_replica(dims, rf, dims.n_heads, rf.s_in + rf.s_out, rf.domain, asked)
    return _sizes(found[0], dims, rf, asked) if found else []


def _sizes(need: int, dims: Dims, rf: Roofline, asked: Asked) -> list[int]:
    """The GPU counts tried from the least that fits, ``need``: the count asked (raised to
    ``need``), else every power of two up to one domain (dense) or ``MOE_SEARCH_FACTOR`` times it."""
    if asked.gpus is not None:
        return [max(asked.gpus, need)]
    top = max(need, rf.domain) * (MOE_SEARCH_FACTOR if dims.routed_expert_params else 1)
    out, g = [], need
    while g <= min(top, MAX_REPLICA_GPUS):
        out.append(g)
        g *= 2
    return out


def prefill_pool(dims: Dims, rf: Roofline, asked: Asked) -> Pool | None:
    """The prefill pool's replica: the layout that prefills the most prompt tokens per second per
    GPU in full steps of the engine's budget (DistServe sizes each phase apart, arXiv:2401.09670)."""
    best: tuple[float, Layout] | None = None
    tried: list[tuple[Layout, float]] = []
    for g in replica_counts(dims, rf, asked):
        for lay in candidates(dims, dims.n_heads, g, rf.domain, asked):
            if room(dims, rf, lay, rf.s_in + 1) < 1:
                continue
            rate = rf.prefill_tokens_per_s(dims, lay) / lay.gpus
            tried.append((lay, rate))
            if best is None or rate > best[0] * 1.02:
                best = (rate, lay)
    if best is None:
        return None
    rate, lay = best
    s_new = max(rf.s_in * (1 - rf.cache_hit), 1.0)
    return Pool(lay, 0, s_new / rate, rf.budget / (rate * lay.gpus / lay.dp), tuple(tried))


def decode_pool(dims: Dims, rf: Roofline, asked: Asked, batch_opt: object, tpot_max: float | None) -> Pool | None:
    """The decode pool's replica: the layout and batch with the most output tokens per second per
    GPU in decode-only steps, the batch the largest that fits up to the engine's cap per rank (or
    ``batch=``), cut to meet ``tpot_max`` [s] where given."""
    seq = rf.s_in + rf.s_out
    best: tuple[bool, float, Layout, int, float] | None = None
    tried: list[tuple[Layout, float]] = []
    for g in replica_counts(dims, rf, asked):
        for lay in candidates(dims, dims.n_heads, g, rf.domain, asked):
            fits = room(dims, rf, lay, seq)
            if fits < 1:
                continue
            b = min(fits, max(rf.max_seqs * lay.dp // rf.beams, 1))
            if isinstance(batch_opt, int):
                b = min(b, batch_opt)
            t = lay.pp * rf.decode_step(dims, lay, b).total
            if tpot_max is not None and t > tpot_max:
                lo, hi = 1, b
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if lay.pp * rf.decode_step(dims, lay, mid).total <= tpot_max:
                        lo = mid
                    else:
                        hi = mid - 1
                b, t = lo, lay.pp * rf.decode_step(dims, lay, lo).total
            rate = b / t / lay.gpus
            met = tpot_max is None or t <= tpot_max
            tried.append((lay, rate))
            if best is None or (met, rate) > (best[0], best[1] * 1.02):
                best = (met, rate, lay, b, t)
    if best is None:
        return None
    _, rate, lay, b, t = best
    return Pool(lay, b, rf.s_out / rate, t, tuple(tried))


def batch_ladder(lay: Layout, top: int) -> list[int]:
    """The batches below ``top`` a search over batch sizes tries on ``lay``: the powers of two from
    the least that gives every data-parallel rank and pipeline stage a sequence (``dp x pp``; with
    fewer, the step model would spread a fraction of a sequence over the idle ones) up to ``top``."""
    b = 1
    while b < lay.dp * lay.pp:
        b *= 2
    out = []
    while b < top:
        out.append(b)
        b *= 2
    return out


#: Public names of the steps a replica search takes, for searches that keep every layout and batch
#: (the planner, the throughput-interactivity curve) rather than the best one: the same functions,
#: so what they list reproduces through a query that fixes the layout (and ``batch=``).
