"""How a model replica is split over its GPUs, and what the split costs in communication.

A replica of ``g = pp x dp x tp`` GPUs [1][2][3]:

- ``pp`` pipeline stages, each holding ``L / pp`` layers; a stage's GPUs pass activations to the next
  stage point to point. A decode round runs ``pp`` micro-batches, one in each stage at a time.
- In each stage, ``dp x tp`` GPUs: attention (and the dense layers, shared experts, embeddings) are
  tensor-parallel over ``tp`` GPUs and replicated over ``dp`` data-parallel ranks, each rank with its
  own sequences, KV cache and scheduler (DP attention: SGLang ``--enable-dp-attention``, vLLM
  ``--data-parallel-size``; DeepSeek-V3 decodes with attention TP4 x DP80 [3]).
- Routed experts are spread over all ``dp x tp`` GPUs of a stage: as whole experts with expert
  parallelism (``ep = dp x tp``: each GPU holds ``E / ep`` experts; tokens go to their experts and
  back in an all-to-all dispatch and combine), or, without it (``ep = 1``, vLLM's default for MoE),
  every expert is tensor-parallel over the stage and its output all-reduced like a dense MLP.

Communication times (one direction per GPU, ``alpha + bytes / bandwidth`` per collective):

- Ring all-reduce over ``n`` GPUs: ``alpha + 2 (n-1)/n x bytes / B`` [4]; a group wider than one
  scale-up domain (an 8-GPU NVLink node, a 72-GPU NVL72 rack) runs at the scale-out network's
  bandwidth per GPU, its slowest link.
- All-to-all of ``v`` bytes a GPU sends to the other ``ep - 1`` GPUs evenly: the share for peers in
  its domain goes over the scale-up link, the rest over its scale-out NIC, concurrently (DeepEP's
  normal kernels forward NVLink and RDMA traffic at once [5]): ``alpha + max(v_in / B_up, v_out /
  B_out)``.

[1] Shoeybi et al. 2019, Megatron-LM, arXiv:1909.08053 (tensor parallelism: two all-reduces per layer).
[2] Narayanan et al. 2021, arXiv:2104.04473 (pipeline parallelism; TP inside a node, PP across).
[3] DeepSeek-AI 2024, DeepSeek-V3 Technical Report, arXiv:2412.19437, Sec. 3.4 (prefill: attention
    TP4 + SP with DP8, MoE EP32; decode: attention TP4 + SP with DP80, MoE EP320).
[4] Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms for clusters of workstations".
[5] deepseek-ai/DeepEP README (2025): normal kernels forward intranode (NVLink) and internode (RDMA)
    traffic in one kernel.

Imports only the standard library and ``engine.errors``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import GpucostError


@dataclass(frozen=True)
class Layout:
    """A replica's parallel layout. ``domain``: GPUs per scale-up (NVLink) domain."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    domain: int = 8

    @property
    def gpus(self) -> int:
        return self.tp * self.pp * self.dp

    @property
    def stage(self) -> int:
        """GPUs per pipeline stage, ``dp x tp``."""
        return self.tp * self.dp

    @property
    def nodes(self) -> int:
        """Scale-up domains the replica spans."""
        return math.ceil(self.gpus / self.domain)

    def describe(self) -> str:
        """E.g. ``TP8 x PP2``, ``DP16 x EP16 (attention TP1)``."""
        parts = []
        if self.dp > 1:
            parts.append(f"DP{self.dp}")
        if self.tp > 1 or self.dp == 1:
            parts.append(f"TP{self.tp}")
        if self.pp > 1:
            parts.append(f"PP{self.pp}")
        text = " x ".join(parts)
        if self.ep > 1:
            text += f", EP{self.ep}"
        return text

    def query_options(self) -> dict[str, str]:
        """The options that reproduce this layout in a query (beside the GPU count)."""
        out = {"tp": str(self.tp)}
        if self.pp > 1:
            out["pp"] = str(self.pp)
        if self.dp > 1:
            out["dp"] = str(self.dp)
        if self.ep > 1:
            out["ep"] = str(self.ep)
        return out


def make_layout(
    gpus: int,
    domain: int,
    moe: bool,
    tp: int | None = None,
    pp: int | None = None,
    dp: int | None = None,
    ep: int | None = None,
) -> Layout:
    """The layout of a ``gpus``-GPU replica from the options given (None: not given).

    Not given: ``dp = 1``; ``tp`` = the GPUs left over ``dp`` and ``pp``, at most one scale-up
    domain; ``pp`` = what is left after ``tp x dp``; ``ep`` = 1 (experts tensor-parallel). Raises a
    one-line error when the numbers do not multiply to ``gpus`` or ``ep`` is not 1 or ``dp x tp``."""
    dp_ = dp or 1
    if tp is None:
        rest = gpus // (dp_ * (pp or 1)) if gpus % (dp_ * (pp or 1)) == 0 else 0
        tp_ = min(rest, domain) if pp is None else rest
        if tp_ < 1:
            raise GpucostError(
                f"{gpus} GPUs per replica cannot be split as dp={dp_} x pp={pp or 1}",
                hint="give dp= and pp= whose product divides the GPUs per replica",
            )
    else:
        tp_ = tp
    if pp is None:
        if gpus % (tp_ * dp_):
            raise GpucostError(
                f"{gpus} GPUs per replica is not a multiple of tp={tp_} x dp={dp_}",
                hint="give a GPU count (e.g. 16xH100) that tp= x dp= x pp= multiplies to",
            )
        pp_ = gpus // (tp_ * dp_)
    else:
        pp_ = pp
    lay = Layout(tp=tp_, pp=pp_, dp=dp_, ep=1, domain=domain)
    if lay.gpus != gpus:
        raise GpucostError(
            f"tp={tp_} x pp={pp_} x dp={dp_} = {lay.gpus} GPUs, not the {gpus} per replica asked",
            hint="make tp= x pp= x dp= equal the GPU count, or leave one of them out",
        )
    if ep is not None and ep > 1:
        if not moe:
            raise GpucostError("ep= (expert parallelism) applies to mixture-of-experts models only", hint="drop ep=")
        if ep != lay.stage:
            raise GpucostError(
                f"ep={ep} must equal the GPUs per pipeline stage, dp x tp = {lay.stage}: expert-parallel groups "
                "span the stage (as vLLM --enable-expert-parallel and SGLang --ep-size build them)",
                hint=f"use ep={lay.stage}, or ep=1 for tensor-parallel experts",
            )
        lay = Layout(tp=tp_, pp=pp_, dp=dp_, ep=ep, domain=domain)
    return lay


def allreduce_s(nbytes: float, n: int, alpha: float, bw: float) -> float:
    """Ring all-reduce of ``nbytes`` [B] over ``n`` GPUs at ``bw`` [B/s one way], with per-call
    latency ``alpha`` [s]: ``alpha + 2 (n-1)/n x bytes / bw`` [4]; nothing on one GPU."""
    if n <= 1:
        return 0.0
    return alpha + 2 * (n - 1) / n * nbytes / bw


def alltoall_s(nbytes: float, n: int, domain: int, alpha: float, bw_up: float, bw_out: float) -> float:
    """All-to-all in which each of ``n`` GPUs sends ``nbytes`` [B] spread evenly over the ``n``
    GPUs (its own share stays local): peers in its scale-up domain of ``domain`` GPUs over
    ``bw_up`` [B/s], the others over ``bw_out`` [B/s], concurrently; ``alpha`` [s] per call."""
    if n <= 1:
        return 0.0
    inside = min(n, domain) - 1
    outside = n - 1 - inside
    t_in = nbytes * inside / n / bw_up
    t_out = nbytes * outside / n / bw_out if outside else 0.0
    return alpha + max(t_in, t_out)
