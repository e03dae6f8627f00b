"""Transformer architectures: the shape of a model, its parameter count, and where a shape comes from.

A :class:`ModelArch` holds what the cost model needs (layers, width, heads, KV heads, head size, MLP
width and gating, vocabulary, tied embeddings, MoE experts / top-k / shared experts, attention kind
incl. GQA and MLA, max context). Shapes come from the shipped catalog (``catalog/data/models.json``),
from a local Hugging Face ``config.json`` (read here without the transformers library), or are
inferred from a bare parameter count with GPT-3's shape ratios [1].

Parameter counts follow the standard decomposition [2]: attention per layer ``2 d (h d_h) + 2 d (h_kv d_h)``
(Q, O and K, V projections), MLP per layer ``2 d d_ff`` (plain) or ``3 d d_ff`` (gated: SwiGLU/GeGLU),
embeddings ``V d`` (twice when untied) plus learned positions ``n_ctx d`` where the model has them.
Norm and bias parameters are under 0.1% and counted approximately.

[1] Brown et al. 2020, "Language Models are Few-Shot Learners", arXiv:2005.14165, Table 2.1.
[2] Kaplan et al. 2020, arXiv:2001.08361, Table 1; EleutherAI "Transformer Math 101" (2023).
[3] DeepSeek-AI 2024, "DeepSeek-V3 Technical Report", arXiv:2412.19437, Sec. 2.1 (MLA, DeepSeekMoE).

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from engine._model import empty_list
from engine.errors import GpucostError
from engine.hf_config import arch_fields

AttentionKind = Literal["mha", "gqa", "mqa", "mla"]


class Dims(NamedTuple):
    """The numbers of a :class:`ModelArch` that the memory and roofline formulas read, derived once
    per model (the formulas run many times per estimate: every replica size and batch tried).

    ``kv_elements`` counts every layer as if it attended to the whole context; a windowed layer
    (``window``, ``window_layer_share``) holds at most ``window`` tokens of KV: the per-token KV
    of a context of ``s`` tokens is ``kv_elements ((1 - share) + share min(s, window) / s)``.
    One routed expert of one MoE layer has ``routed_expert_params / (moe_layers n_experts)``
    parameters."""

    total_params: float  # held in memory [count]
    forward_params: float  # counted in 2N forward FLOPs [count]
    lm_head: float  # V d, capped at forward_params (a tiny inferred shape can have V d > N) [count]
    n_layers: int
    d_model: int
    attn_width: int  # prefill attention width h d_h [elements]
    attn_width_decode: int  # decode attention width (MLA attends in the latent space) [elements]
    kv_elements: int  # KV-cache elements per token over all layers
    kv_heads: int
    kv_replicated: bool  # MLA: the latent is replicated on every tensor-parallel rank
    act_width: int  # activation values per token of a prefill chunk, 4 d + 2 d_ff (MoE: k experts)
    routed_expert_params: float  # routed experts' parameters, read only when routed (0: dense) [count]
    top_k_share: float  # k / E, the share of routed experts one token uses (0: dense)
    # --- appended fields (2025 models); the fields above keep their meanings
    moe_layers: int  # layers with routed experts (Llama 4 Maverick: 24 of 48; 0: dense or not read)
    n_experts: int  # routed experts per MoE layer, E (0: dense or not read)
    window: int  # attention window of the windowed layers (sliding window or chunk) [tokens]; 0 = none
    window_layer_share: float  # share of layers attending only within ``window`` (0: all layers global)
    expert_release_dtype: str | None  # released precision of routed experts where it differs (gpt-oss: mxfp4)
    top_k: int  # routed experts per token, k (0: dense or not read)
    n_heads: int  # attention (query) heads


class ModelArch(BaseModel):
    """The shape of a decoder-only transformer (dense or MoE)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    aliases: list[str] = Field(default_factory=empty_list)
    n_layers: int = Field(gt=0)
    d_model: int = Field(gt=0)
    n_heads: int = Field(gt=0)
    n_kv_heads: int | None = Field(default=None, gt=0, description="KV heads (GQA/MQA); None = n_heads")
    head_dim: int | None = Field(default=None, gt=0, description="per-head width; None = d_model / n_heads")
    d_ff: int = Field(gt=0, description="MLP hidden width of dense layers")
    gated_mlp: bool = False
    vocab_size: int = Field(gt=0)
    tied_embeddings: bool = False
    learned_positions: bool = False
    max_context: int = Field(default=2048, gt=0)
    attention: AttentionKind = "mha"
    # MLA (DeepSeek-V2/V3) [3]: the KV cache holds a latent of kv_lora_rank + qk_rope_head_dim per layer.
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int | None = None
    qk_rope_head_dim: int | None = None
    v_head_dim: int | None = None
    # MoE: n_experts routed experts of width moe_d_ff, top_k of them per token, plus shared experts.
    n_experts: int = 0
    top_k: int = 0
    n_shared_experts: int = 0
    moe_d_ff: int | None = None
    first_dense_layers: int = 0
    moe_layer_step: int = Field(
        default=1,
        ge=1,
        description="after the dense-first layers, layer i (from 0) has routed experts when (i + 1) % step == 0 "
        "(Llama 4 Maverick interleave_moe_layer_step 2, Qwen decoder_sparse_step); the others have a dense MLP "
        "of width d_ff",
    )
    expert_release_dtype: str | None = Field(
        default=None,
        description="precision the routed experts' published weights are stored in where it differs from "
        "release_dtype (gpt-oss: mxfp4 experts, the rest bf16); None = as release_dtype",
    )
    # Attention windows: `window_layer_share` of the layers attend only to the last `window` tokens
    # (sliding: Mistral 7B v0.1, Gemma 2, gpt-oss) or within fixed chunks of `window` tokens (chunked:
    # Llama 4's iRoPE layers, attention_chunk_size); the other layers attend to the whole context.
    window: int = Field(default=0, ge=0, description="attention window of the windowed layers [tokens]; 0 = none")
    window_layer_share: float = Field(default=0.0, ge=0.0, le=1.0, description="share of layers that are windowed")
    window_kind: Literal["sliding", "chunked"] | None = None
    attention_bias: bool = Field(default=False, description="biases on the Q, K, V and O projections (gpt-oss)")
    attention_sinks: bool = Field(default=False, description="a learned sink logit per head and layer (gpt-oss)")
    params_reported: float | None = Field(default=None, description="published total parameters")
    active_params_reported: float | None = None
    params_override: float | None = Field(
        default=None, description="user-given parameter count (used for weights and FLOPs instead of the shape)"
    )
    release_dtype: str | None = Field(
        default=None,
        description="precision the published weights are stored in (e.g. fp8 for DeepSeek-V3); None = not "
        "recorded, the usual 16-bit",
    )
    inferred: bool = False
    source: str = ""
    as_of: str = ""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> ModelArch:
        """A copy; with ``update``, the derived numbers (cached on first use) are computed afresh."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            for name in _DERIVED:
                copy.__dict__.pop(name, None)
        return copy

    # ---- derived shape -------------------------------------------------------------------------
    @property
    def kv_heads(self) -> int:
        return self.n_kv_heads or self.n_heads

    @property
    def d_head(self) -> int:
        return self.head_dim or self.d_model // self.n_heads

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @property
    def moe_layers(self) -> int:
        """Layers with routed experts: those from ``first_dense_layers`` on whose index ``i`` (from 0)
        has ``(i + 1) % moe_layer_step == 0`` [Hugging Face Llama 4 ``interleave_moe_layer_step`` and
        Qwen-MoE ``decoder_sparse_step`` rules]; 0 for a dense model."""
        if not self.is_moe:
            return 0
        step = self.moe_layer_step
        return sum(1 for i in range(self.first_dense_layers, self.n_layers) if (i + 1) % step == 0)

    def kv_elements_per_token(self) -> int:
        return self._kv_elements

    @cached_property
    def _kv_elements(self) -> int:
        """KV-cache elements stored per token over all layers.

        Standard attention: ``2 L h_kv d_h`` (a K and a V vector per KV head per layer) [kipply 2022].
        MLA: ``L (kv_lora_rank + qk_rope_head_dim)``, the compressed latent plus the decoupled RoPE key
        [3, eq. 9]."""
        if self.attention == "mla" and self.kv_lora_rank:
            return self.n_layers * (self.kv_lora_rank + (self.qk_rope_head_dim or 0))
        return 2 * self.n_layers * self.kv_heads * self.d_head

    def attn_width(self, decode: bool = False) -> int:
        """Width of the attention score/value products per layer, ``h d_h`` [elements]: the mean of
        the Q.K and A.V widths. MLA prefill attends with per-head ``qk_nope + qk_rope`` and ``v`` dims;
        MLA decode absorbs the up-projections and attends in the latent space, ``kv_lora + qk_rope``
        for Q.K and ``kv_lora`` for A.V per head [3, Sec. 2.1.1; its inference absorbs W_UK, W_UV]."""
        if self.attention == "mla" and self.qk_nope_head_dim:
            if decode and self.kv_lora_rank:
                return self.n_heads * (2 * self.kv_lora_rank + (self.qk_rope_head_dim or 0)) // 2
            qk = self.qk_nope_head_dim + (self.qk_rope_head_dim or 0)
            return self.n_heads * (qk + (self.v_head_dim or qk)) // 2
        return self.n_heads * self.d_head

    def lm_head_params(self) -> float:
        """The output projection to the vocabulary, ``V d`` [count]: run for every position in
        training, but only for the last prompt position in a serving prefill."""
        return float(self.vocab_size * self.d_model)

    # ---- parameter counts ----------------------------------------------------------------------
    def _attn_params(self) -> float:
        d, h = self.d_model, self.n_heads
        if self.attention == "mla" and self.kv_lora_rank:
            nope, rope = self.qk_nope_head_dim or 0, self.qk_rope_head_dim or 0
            v = self.v_head_dim or nope
            qk = nope + rope
            q = d * self.q_lora_rank + self.q_lora_rank * h * qk if self.q_lora_rank else d * h * qk
            kv = d * (self.kv_lora_rank + rope) + self.kv_lora_rank * h * (nope + v)
            return q + kv + h * v * d
        bias = (h + 2 * self.kv_heads) * self.d_head + d if self.attention_bias else 0
        return 2 * d * h * self.d_head + 2 * d * self.kv_heads * self.d_head + bias + (h if self.attention_sinks else 0)

    def _mlp_params(self, width: int) -> float:
        return (3 if self.gated_mlp else 2) * self.d_model * width

    def _embedding_params(self) -> float:
        emb = self.vocab_size * self.d_model * (1 if self.tied_embeddings else 2)
        if self.learned_positions:
            emb += self.max_context * self.d_model
        return emb

    def _layer_params(self, active: bool) -> float:
        norms = 2 * self.d_model
        attn = self._attn_params() + norms
        moe_layers = self.moe_layers
        dense_layers = self.n_layers - moe_layers
        total = self.n_layers * attn + dense_layers * self._mlp_params(self.d_ff)
        if moe_layers:
            width = self.moe_d_ff or self.d_ff
            experts = (self.top_k if active else self.n_experts) + self.n_shared_experts
            total += moe_layers * (experts * self._mlp_params(width) + self.d_model * self.n_experts)  # + router
        return total

    @cached_property
    def shape_params(self) -> float:
        """Total parameters implied by the shape [count]."""
        return self._layer_params(active=False) + self._embedding_params()

    @cached_property
    def shape_active_params(self) -> float:
        """Parameters used per token (routed top-k + shared experts for MoE) [count]."""
        return self._layer_params(active=True) + self._embedding_params()

    @property
    def total_params(self) -> float:
        """Parameters held in memory [count]: the user's number if given, else the shape's."""
        return self.params_override or self.shape_params

    @property
    def active_params(self) -> float:
        """Parameters whose weights each token multiplies [count] (= total for dense models)."""
        if self.params_override:
            if not self.is_moe:
                return self.params_override
            return self.params_override * (self.shape_active_params / self.shape_params)
        return self.shape_active_params

    def expert_params(self) -> float:
        """Parameters in routed experts (all of them) [count]; 0 for dense models."""
        if not self.is_moe:
            return 0.0
        return self.moe_layers * self.n_experts * self._mlp_params(self.moe_d_ff or self.d_ff)

    def forward_params(self) -> float:
        """Parameters counted in forward FLOPs ``2 N`` per token: active parameters minus the
        input-embedding table (a lookup, not a matmul) [Kaplan 2020, Table 1 excludes embeddings;
        the output projection V d is a matmul and stays in]."""
        return self._forward_params

    @cached_property
    def _forward_params(self) -> float:
        n = self.active_params
        if not self.tied_embeddings:
            n -= self.vocab_size * self.d_model
        if self.learned_positions:
            n -= self.max_context * self.d_model
        return max(n, 1.0)

    @cached_property
    def dims(self) -> Dims:
        """The derived numbers the memory and roofline formulas read (see :class:`Dims`)."""
        n_fwd = self.forward_params()
        moe_read = self.is_moe and not self.params_override
        return Dims(
            total_params=self.total_params,
            forward_params=n_fwd,
            lm_head=min(self.lm_head_params(), n_fwd),
            n_layers=self.n_layers,
            d_model=self.d_model,
            attn_width=self.attn_width(),
            attn_width_decode=self.attn_width(decode=True),
            kv_elements=self.kv_elements_per_token(),
            kv_heads=self.kv_heads,
            kv_replicated=self.attention == "mla",
            act_width=4 * self.d_model
            + 2 * (self.moe_d_ff * self.top_k if self.is_moe and self.moe_d_ff else self.d_ff),
            routed_expert_params=self.expert_params() if moe_read else 0.0,
            top_k_share=self.top_k / self.n_experts if moe_read else 0.0,
            moe_layers=self.moe_layers if moe_read else 0,
            n_experts=self.n_experts if moe_read else 0,
            window=self.window if self.window_layer_share else 0,
            window_layer_share=self.window_layer_share if self.window else 0.0,
            expert_release_dtype=self.expert_release_dtype if moe_read else None,
            top_k=self.top_k if moe_read else 0,
            n_heads=self.n_heads,
        )

    def describe(self) -> str:
        kv = f"{self.attention.upper()}"
        if self.attention in ("gqa", "mqa"):
            kv += f" {self.kv_heads} KV heads"
        if self.attention == "mla":
            kv += f" latent {self.kv_lora_rank}+{self.qk_rope_head_dim}"
        moe = f", MoE {self.n_experts}x top-{self.top_k}" if self.is_moe else ""
        if self.n_shared_experts:
            moe += f" +{self.n_shared_experts} shared"
        if self.is_moe and self.moe_layer_step > 1:  # interleaved (Llama 4 Maverick)
            moe += f" in {self.moe_layers} of {self.n_layers} layers"
        win = ""
        if self.window and self.window_layer_share:
            win = f", {self.window_kind or 'sliding'} window {self.window} on {self.window_layer_share:.0%} of layers"
        return (
            f"L={self.n_layers} d={self.d_model} heads={self.n_heads} {kv} d_ff={self.d_ff}"
            f"{' gated' if self.gated_mlp else ''}{moe}{win} V={self.vocab_size} ctx={self.max_context}"
        )


#: ModelArch's cached derived values (see ``ModelArch.model_copy``).
_DERIVED = tuple(name for name, v in vars(ModelArch).items() if isinstance(v, cached_property))


# ---- inference of a shape from a bare parameter count -------------------------------------------
# GPT-3 family (Brown et al. 2020, Table 2.1): parameters, layers, d_model.
_GPT3_SHAPES: tuple[tuple[float, int, int], ...] = (
    (125e6, 12, 768),
    (350e6, 24, 1024),
    (760e6, 24, 1536),
    (1.3e9, 24, 2048),
    (2.7e9, 32, 2560),
    (6.7e9, 32, 4096),
    (13e9, 40, 5140),
    (175e9, 96, 12288),
)
_GPT3_VOCAB = 50257


# (log N, log L) of each GPT-3 size, for the log-log interpolation of depth
_GPT3_LOG_LAYERS = tuple((math.log(n), math.log(layers)) for n, layers, _ in _GPT3_SHAPES)
_GPT3_LOG_N = [x for x, _ in _GPT3_LOG_LAYERS]


def _interp_layers(n: float) -> float:
    pts = _GPT3_SHAPES
    if n <= pts[0][0]:
        return pts[0][1]
    if n >= pts[-1][0]:
        # Beyond 175B keep GPT-3's depth growth rate (layers ~ N^(1/3) at fixed aspect ratio).
        return pts[-1][1] * (n / pts[-1][0]) ** (1 / 3)
    log_n = math.log(n)
    # the segment [N_i, N_i+1) holding n (capped: log(n) may round up to log(175e9) just below it)
    i = min(bisect.bisect_right(_GPT3_LOG_N, log_n) - 1, len(_GPT3_LOG_N) - 2)
    (x0, y0), (x1, y1) = _GPT3_LOG_LAYERS[i], _GPT3_LOG_LAYERS[i + 1]
    return math.exp(y0 + (log_n - x0) / (x1 - x0) * (y1 - y0))


def _check_count(n_params: float) -> None:
    if not (1e5 <= n_params <= 1e14):
        raise GpucostError(
            f"parameter count {n_params:.3g} is out of range", hint="give between 100K and 100T parameters"
        )


def dense_shape(n_params: float) -> tuple[int, int, int]:
    """Layers, ``d_model`` and heads of the GPT-3-shaped dense model of :func:`infer_dense`."""
    _check_count(n_params)
    layers = max(2, round(_interp_layers(n_params)))
    a, b, c = 12 * layers, _GPT3_VOCAB, -n_params
    d = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    d_model = max(64, round(d / 64) * 64)
    head = 64 if d_model < 4096 else 128
    return layers, d_model, max(1, d_model // head)


@lru_cache(maxsize=4096)
def infer_dense(n_params: float, context: int = 2048) -> ModelArch:
    """A GPT-3-shaped dense model with about ``n_params`` parameters [1].

    Depth is interpolated (log-log) between GPT-3's sizes; width then solves
    ``12 L d^2 + V d = N`` and is rounded to a multiple of 64; heads have 64 (d < 4096) or 128 dims.
    MHA, plain 4d MLP, tied embeddings, V = 50257. Used only for the KV cache and attention FLOPs:
    weights and ``2N`` FLOPs use ``n_params`` itself.
    """
    layers, d_model, heads = dense_shape(n_params)
    return ModelArch(
        id=f"dense-{n_params:.3g}",
        name=f"dense {format_params(n_params)} (shape inferred)",
        n_layers=layers,
        d_model=d_model,
        n_heads=heads,
        head_dim=d_model // heads,
        d_ff=4 * d_model,
        vocab_size=_GPT3_VOCAB,
        tied_embeddings=True,
        learned_positions=False,
        max_context=context,
        attention="mha",
        params_override=n_params,
        inferred=True,
        source="shape inferred from the parameter count with GPT-3 ratios (Brown et al. 2020, Table 2.1)",
    )


def dense_dims(n_params: float) -> Dims:
    """``infer_dense(n_params).dims`` without building the model: for a spreadsheet column of
    thousands of parameter counts. The same shape and the same :class:`Dims` (a test checks it):
    MHA (KV heads = heads), tied embeddings, no learned positions, plain ``4d`` MLP, dense."""
    layers, d, heads = dense_shape(n_params)
    width = heads * (d // heads)  # h d_h
    n_fwd = max(n_params, 1.0)  # tied embeddings, no position table: nothing subtracted
    # in field order: total, forward, lm head, L, d, attention widths (prefill, decode), KV elements
    # per token, KV heads, replicated KV, activation width, routed experts, k/E, MoE layers, E, window,
    # windowed share, experts' release precision, k, heads (tuple.__new__: the fastest way to make a
    # NamedTuple, once per spreadsheet row)
    return _new_dims(
        Dims,
        (
            n_params,
            n_fwd,
            min(float(_GPT3_VOCAB * d), n_fwd),
            layers,
            d,
            width,
            width,
            2 * layers * width,
            heads,
            False,
            4 * d + 2 * (4 * d),
            0.0,
            0.0,
            0,
            0,
            0,
            0.0,
            None,
            0,
            heads,
        ),
    )


_new_dims = tuple.__new__


def format_params(n: float) -> str:
    """117000000 -> '117M', 7.0e10 -> '70B'."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            v = n / scale
            return f"{v:.3g}{unit}"
    return f"{n:.0f}"


# ---- Hugging Face config.json ---------------------------------------------------------------------
#: A Hugging Face config.json is a few kilobytes; read no more than this from a named file.
MAX_CONFIG_BYTES = 1_000_000


def from_hf_config(path: str | Path) -> ModelArch:
    """Read a local Hugging Face ``config.json`` (no transformers needed) into a :class:`ModelArch`.

    The key names of each family are mapped in :mod:`engine.hf_config`. Raises :class:`GpucostError`
    naming the missing key."""
    p = Path(path)
    if p.is_dir():
        p = p / "config.json"
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise GpucostError(f"'{path}' is larger than a config.json ({MAX_CONFIG_BYTES:,} bytes at most)")
        cfg = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise GpucostError(f"no config file at '{path}'", hint="give the path of a Hugging Face config.json") from None
    except (OSError, ValueError) as exc:
        raise GpucostError(f"cannot read '{path}' as JSON ({exc.__class__.__name__})") from None
    if not isinstance(cfg, dict):
        raise GpucostError(f"'{path}' is not a Hugging Face config (not a JSON object)")
    return ModelArch(**arch_fields(cfg, p))
