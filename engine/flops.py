"""Floating-point operation counts of a decoder-only transformer.

- Forward FLOPs per token at context ``s``: ``2 N + 4 L s w`` where ``N`` is the (active) non-embedding
  parameter count and ``w = h d_h`` the attention width: ``2N`` for the weight matmuls (one multiply
  and one add per weight) and ``2 L s w`` each for ``Q K^T`` and ``A V`` [1, Table 1; 2].
- Prefill of ``s`` tokens (causal): ``2 (N - V d) s + 2 V d + 2 L s^2 w`` (token t attends to t
  earlier tokens; the vocabulary projection ``V d`` runs for the last position only).
- Training FLOPs per token: ``6 N + 12 L H Q T`` (forward + backward = 3x forward, attention counted
  over the full T x T matrix), PaLM's model-FLOPs definition [3, App. B]; ``6 N D`` is the classic
  approximation [1][4]. ``H Q`` is the attention width ``w``: for multi-head latent attention (MLA)
  the mean of the per-head query-key and value widths, ``h (d_qk + d_v) / 2`` (DeepSeek-V3: 128 x
  (192 + 128) / 2) [5], since Q.K^T costs ``2 T h d_qk`` and A.V ``2 T h d_v`` per token and layer.

[1] Kaplan et al. 2020, arXiv:2001.08361, Sec. 2.1 and Table 1.
[2] kipply 2022, "Transformer Inference Arithmetic".
[3] Chowdhery et al. 2022, PaLM, arXiv:2204.02311, Appendix B.
[4] Hoffmann et al. 2022, arXiv:2203.15556 (Chinchilla: D ~ 20 N compute-optimal).
[5] DeepSeek-AI 2024, DeepSeek-V3 Technical Report, arXiv:2412.19437, Sec. 2.1.1 (MLA head sizes).

Pure functions over plain numbers; imports nothing.
"""

from __future__ import annotations


def forward_flops_per_token(n_forward: float, n_layers: int, attn_width: int, context: float) -> float:
    """Forward FLOPs for one new token attending over ``context`` tokens [FLOP]."""
    return 2.0 * n_forward + 4.0 * n_layers * context * attn_width


def prefill_flops(
    n_forward: float, n_layers: int, attn_width: int, tokens: float, lm_head: float = 0.0, cached: float = 0.0
) -> float:
    """Forward FLOPs to prefill a prompt of ``tokens`` tokens with causal attention [FLOP].

    ``lm_head`` [parameters] is the part of ``n_forward`` that a server runs for the last prompt
    position only (the vocabulary projection: it samples one next token, not one per position).
    ``cached`` [tokens]: a prefix whose KV comes from a prefix cache; only the ``tokens - cached``
    new positions are computed, each attending to every earlier position, so the matmuls scale
    with ``tokens - cached`` and causal attention (``4 L w p`` at position ``p``) sums to
    ``2 L w (tokens^2 - cached^2)``."""
    attention = 2.0 * n_layers * (tokens * tokens - cached * cached) * attn_width
    return 2.0 * (n_forward - lm_head) * (tokens - cached) + 2.0 * lm_head + attention


def training_flops_per_token(n_params: float, n_layers: int, attn_width: int, seq_len: int) -> float:
    """PaLM model FLOPs per training token, ``6 N + 12 L w T`` [FLOP], with ``w = H Q`` the attention
    width [elements] (``ModelArch.attn_width()``: ``h d_h``, or MLA's ``h (d_qk + d_v) / 2``)."""
    return 6.0 * n_params + 12.0 * n_layers * attn_width * seq_len


def chinchilla_tokens(n_params: float) -> float:
    """Compute-optimal training tokens, ``D = 20 N`` [tokens] (Hoffmann et al. 2022)."""
    return 20.0 * n_params
