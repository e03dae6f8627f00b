"""Disaggregated serving: prefill and decode on separate pools of replicas, each sized for the day.

With ``disagg`` a daily service runs prompts on a prefill pool and generation on a decode pool
(DistServe, Zhong et al. 2024, arXiv:2401.09670; Splitwise, Patel et al. 2024, arXiv:2311.18677):

- A prefill replica runs full steps of the engine's token budget on every rank, so a request
  takes ``s_new`` over its prompt tokens per second per GPU; measured mode: ``s_in / prefill_tps``.
- A decode replica runs decode-only steps at its batch ``b``: a request takes ``g x s_out x
  T_step / b`` GPU-seconds, and the time per output token is ``T_step`` itself (colocated, a step
  also carries the prompt chunks of new requests); measured: ``s_out / decode_tps``.
- Each pool has its own replica size and parallel layout (:func:`engine.sizing.prefill_pool`,
  :func:`engine.sizing.decode_pool`), or the sizes ``prefill_gpus=``/``decode_gpus=`` give.
- Each pool has whole replicas for the peak at the target utilisation:
  ``ceil(peak rate x GPU-seconds per request / (g x util))``.
- The prompt's KV cache moves from a prefill to a decode replica once per request: ``s_in x KV
  bytes per token`` over the GPUs' scale-out network (each GPU sends its shard over its own NIC,
  RDMA, no GPU compute), which adds to TTFT but not to GPU time.

Imports ``service`` only (and the standard library).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.service import SECONDS_PER_DAY


@dataclass(frozen=True)
class Pools:
    """The two pools of a disaggregated service: replicas and GPUs of each, and the busy
    GPU-seconds per request each spends [s]."""

    prefill_per_replica: int  # GPUs per prefill replica
    decode_per_replica: int  # GPUs per decode replica
    prefill_replicas: int
    decode_replicas: int
    prefill_gpu_s: float
    decode_gpu_s: float

    @property
    def prefill_gpus(self) -> int:
        return self.prefill_replicas * self.prefill_per_replica

    @property
    def decode_gpus(self) -> int:
        return self.decode_replicas * self.decode_per_replica

    @property
    def gpus(self) -> int:
        return self.prefill_gpus + self.decode_gpus

    @property
    def prefill_share(self) -> float:
        """The prefill pool's share of the fleet (and so of its cost)."""
        return self.prefill_gpus / self.gpus


def pools(
    requests_per_day: float, peak: float, util: float, g_prefill: int, g_decode: int, prefill_gpu_s: float,
    decode_gpu_s: float,
) -> Pools:
    """Whole replicas in each pool (``g_prefill`` and ``g_decode`` GPUs each) for
    ``requests_per_day`` at ``peak`` x the average rate and utilisation ``util``, from each pool's
    busy GPU-seconds per request [s]."""
    peak_rps = requests_per_day / SECONDS_PER_DAY * peak

    def replicas(gpu_s: float, g: int) -> int:
        return max(1, math.ceil(peak_rps * gpu_s / (g * util) - 1e-9))

    return Pools(
        g_prefill, g_decode, replicas(prefill_gpu_s, g_prefill), replicas(decode_gpu_s, g_decode), prefill_gpu_s,
        decode_gpu_s,
    )  # fmt: skip


def kv_transfer_s(s_in: int, kv_bytes_per_token_gpu: float, scaleout_gb_s: float | None) -> float | None:
    """Seconds to move one prompt's KV cache from a prefill to a decode replica: each GPU's shard
    (``s_in x kv_bytes_per_token_gpu`` [B]) over its own scale-out link [GB/s one way]; None when
    the catalog has no scale-out figure for the GPU."""
    if not scaleout_gb_s:
        return None
    return s_in * kv_bytes_per_token_gpu / (scaleout_gb_s * 1e9)
