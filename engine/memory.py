"""GPU memory of inference: weights, KV cache, and what fits.

- Weights: ``N B_w`` bytes, split evenly over the ``g`` GPUs of a replica.
- KV cache per token: ``2 L h_kv d_h B_kv`` (MLA: ``L (r_kv + d_rope) B_kv``) [1][2]. Under tensor
  parallelism KV heads are split over GPUs; when ``g > h_kv`` a head is replicated, and an MLA latent
  is replicated on every GPU (it is not split by head) [2].
- Usable memory: ``MEMORY_UTILISATION`` (0.9, vLLM's default) of the card (its "GB" are GiB), minus the activation
  workspace of one 2,048-token prefill chunk.
- A batch fits when weights + activations + ``b (s_in + s_out)`` KV tokens fit in usable memory
  (layers with an attention window keep at most the window's tokens: :func:`kv_tokens`).

[1] kipply 2022, "Transformer Inference Arithmetic" (KV cache = 2 n_layers n_heads d_head per token).
[2] DeepSeek-AI 2024, arXiv:2412.19437, Sec. 2.1.1 (MLA caches the compressed latent only).

Imports only the standard library and engine modules.
"""

from __future__ import annotations

import math

from engine.architecture import Dims, ModelArch
from engine.efficiency import MEMORY_UTILISATION

#: Tokens in one prefill chunk whose activations are reserved (vLLM's max_num_batched_tokens default
#: with chunked prefill is 2048).
PREFILL_CHUNK_TOKENS = 2048


def kv_tokens(dims: Dims, tokens: float) -> float:
    """KV-cache token slots one sequence of ``tokens`` tokens holds, counted as whole-model tokens:
    the layers that attend only within a window of ``W`` tokens keep at most ``W`` (sliding windows:
    Mistral, Gemma 2, gpt-oss; Llama 4's chunked layers are charged the same, an upper bound), the
    others all, ``(1 - f) s + f min(s, W)`` for a share ``f`` of windowed layers."""
    f, w = dims.window_layer_share, dims.window
    if not f or not w or tokens <= w:
        return tokens
    return (1 - f) * tokens + f * w


def attended_positions(dims: Dims, start: float, end: float) -> float:
    """Sum over prompt positions ``start..end`` of the tokens each attends to, whole-model
    equivalent: ``(end^2 - start^2) / 2`` for full causal attention; a windowed layer attends to at
    most ``W`` earlier tokens [tokens^2]."""
    full = (end * end - start * start) / 2
    f, w = dims.window_layer_share, dims.window
    if not f or not w or end <= w:
        return full
    if start >= w:
        windowed = w * (end - start)
    else:
        windowed = (w * w - start * start) / 2 + w * (end - w)
    return (1 - f) * full + f * windowed


def kv_bytes_per_token(arch: ModelArch, bytes_per_element: float) -> float:
    """KV cache of one token over all layers, whole model [B]."""
    return arch.kv_elements_per_token() * bytes_per_element


def kv_bytes_per_token_per_gpu(arch: ModelArch, bytes_per_element: float, gpus: int) -> float:
    """KV cache of one token held on each GPU of a ``gpus``-way tensor-parallel replica [B]."""
    return kv_per_gpu(arch.dims, bytes_per_element, gpus)


def kv_per_gpu(dims: Dims, bytes_per_element: float, gpus: int) -> float:
    """:func:`kv_bytes_per_token_per_gpu` from a model's :class:`~engine.architecture.Dims` [B]."""
    total = dims.kv_elements * bytes_per_element
    if dims.kv_replicated:
        return total  # the latent is replicated on every rank
    heads = dims.kv_heads
    return total * math.ceil(heads / gpus) / heads if gpus <= heads else total / heads


def activation_per_gpu(dims: Dims, gpus: int, act_bytes: float = 2.0, chunk: int = PREFILL_CHUNK_TOKENS) -> float:
    """Activation workspace for one prefill chunk of ``chunk`` tokens [B]: hidden states, QKV and
    MLP intermediates (about ``4 d + 2 d_ff`` values per token; MoE: the ``k`` routed experts'
    width, ``Dims.act_width``), split over ``gpus`` tensor-parallel GPUs."""
    return chunk * dims.act_width * act_bytes / gpus


#: Bytes per catalog "GB" of device memory. Datasheets' "80 GB" of HBM is 80 GiB (nvidia-smi: 81,920 MiB
#: on an A100 80GB; 143,771 MiB on an H200 "141 GB"), unlike bandwidth, whose GB/s are decimal.
MEMORY_GB_BYTES = 2**30


def usable_bytes(memory_gb: float) -> float:
    """Memory a serving engine may fill [B]."""
    return memory_gb * MEMORY_GB_BYTES * MEMORY_UTILISATION


def max_batch(arch: ModelArch, memory_gb: float, w_bytes: float, kv_bytes: float, gpus: int, seq_tokens: int) -> int:
    """Largest number of concurrent sequences of ``seq_tokens`` tokens that fits (0: not even one)."""
    return batch_room(arch.dims, usable_bytes(memory_gb), w_bytes, kv_bytes, gpus, seq_tokens)


def batch_room(dims: Dims, usable: float, w_bytes: float, kv_bytes: float, gpus: int, seq_tokens: int) -> int:
    """:func:`max_batch` from a model's :class:`~engine.architecture.Dims` and usable bytes per GPU."""
    free = usable - dims.total_params * w_bytes / gpus - activation_per_gpu(dims, gpus)
    per_seq = kv_per_gpu(dims, kv_bytes, gpus) * kv_tokens(dims, seq_tokens)
    if free <= 0 or per_seq <= 0:
        return 0
    return int(free // per_seq)


def min_gpus(
    arch: ModelArch,
    memory_gb: float,
    w_bytes: float,
    kv_bytes: float,
    seq_tokens: int,
    limit: int = 4096,
    fits: dict[int, int] | None = None,
) -> int | None:
    """Smallest power-of-two replica size on which at least one sequence fits (None: none up to limit).
    ``fits`` (optional) collects the largest batch of every size tried, for the caller to reuse."""
    g = 1
    dims, usable = arch.dims, usable_bytes(memory_gb)
    while g <= limit:
        b = batch_room(dims, usable, w_bytes, kv_bytes, g, seq_tokens)
        if fits is not None:
            fits[g] = b
        if b >= 1:
            return g
        g *= 2
    return None
