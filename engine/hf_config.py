"""Hugging Face ``config.json`` key names, read into the fields of a :class:`~engine.architecture.ModelArch`.

:func:`arch_fields` maps a parsed config (a dict) to ModelArch keyword arguments without the
transformers library. It understands the key names of the GPT-2, GPT-J, OPT, BLOOM, Falcon,
Llama/Mistral/Qwen/Gemma/Phi-3, Mixtral, DeepSeek-V2/V3, Kimi K2, Qwen2/3-MoE, Llama 4, gpt-oss and
GLM-4.5 configs. Each rule follows the family's modelling code in transformers [1]:

- MoE layers: DeepSeek/Kimi/GLM ``first_k_dense_replace`` dense-first layers; Llama 4
  ``interleave_moe_layer_step`` and Qwen-MoE ``decoder_sparse_step`` (layer ``i`` is MoE when
  ``(i + 1) % step == 0``); Llama 4's dense layers are ``intermediate_size_mlp`` wide, its experts
  and its one shared expert ``intermediate_size``; Qwen2-MoE's shared expert is
  ``shared_expert_intermediate_size`` wide (counted as that many ``moe_intermediate_size`` experts).
- Windows: ``layer_types`` (``sliding_attention`` layers, gpt-oss and newer configs); Gemma 2 (even
  layers slide); Gemma 3 ``sliding_window_pattern``; Qwen2/3 ``use_sliding_window`` with
  ``max_window_layers``; otherwise a ``sliding_window`` applies to every layer (Mistral, Phi-3).
  Llama 4's ``attention_chunk_size`` applies to its RoPE layers (``no_rope_layers`` 1, or every
  layer but each ``no_rope_layer_interval``-th): chunked attention.
- Precision: an ``fp8`` quantization_config stores all weights in FP8; ``mxfp4`` (gpt-oss)
  stores only the MoE experts in MXFP4, the rest in 16 bits [2].

[1] huggingface/transformers, ``models/{llama4,gpt_oss,qwen2,qwen3_moe,gemma2,gemma3,deepseek_v3}``
    ``configuration_*.py`` / ``modeling_*.py``.
[2] OpenAI 2025, "gpt-oss-120b & gpt-oss-20b Model Card", Sec. 2 (MXFP4 for the MoE weights).

Imports only the standard library and the engine's errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import GpucostError

#: Model types whose MLP is gated (SwiGLU/GeGLU: three matrices).
GATED_TYPES = frozenset(
    {
        "llama",
        "llama4",
        "llama4_text",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "qwen3_moe",
        "gemma",
        "gemma2",
        "gemma3_text",
        "phi3",
        "deepseek_v2",
        "deepseek_v3",
        "kimi_k2",
        "gpt_oss",
        "glm4_moe",
        "olmo",
        "olmo2",
        "internlm2",
        "yi",
        "baichuan",
        "granite",
        "cohere",
    }
)


def _first(cfg: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    return default


def _quantization(cfg: dict[str, Any]) -> tuple[str | None, str | None]:
    """(release_dtype, expert_release_dtype) from a ``quantization_config``: ``fp8`` (or
    ``fbgemm_fp8``) stores every weight in FP8; ``mxfp4`` stores the MoE experts only (transformers'
    MXFP4 integration converts the experts, the rest stays 16-bit); None otherwise."""
    quant = cfg.get("quantization_config")
    method = str(quant.get("quant_method", "")).lower() if isinstance(quant, dict) else ""
    if method in ("fp8", "fbgemm_fp8"):
        return "fp8", None
    if method == "mxfp4":
        return None, "mxfp4"
    return None, None


def _moe(cfg: dict[str, Any], mtype: str, layers: int, d_ff: int, where: str) -> dict[str, Any]:
    """The MoE fields: experts, top-k, shared experts, expert width, dense-first layers, step."""
    n_experts = int(_first(cfg, "num_local_experts", "n_routed_experts", "num_experts", default=0) or 0)
    if not n_experts:
        return {"d_ff": d_ff}
    out: dict[str, Any] = {"d_ff": d_ff, "n_experts": n_experts}
    out["top_k"] = int(_first(cfg, "num_experts_per_tok", "experts_per_token", "moe_topk", default=0) or 0)
    moe_d_ff = cfg.get("moe_intermediate_size") or d_ff  # Mixtral, gpt-oss: the experts are intermediate_size wide
    if mtype in ("llama4", "llama4_text"):  # experts and the shared expert: intermediate_size
        moe_d_ff = cfg.get("intermediate_size")
        out["d_ff"] = int(cfg.get("intermediate_size_mlp") or d_ff)
        out["n_shared_experts"] = 1  # Llama4TextMoe always has one shared expert
    out["moe_d_ff"] = int(moe_d_ff) if moe_d_ff else None
    shared = int(cfg.get("n_shared_experts") or 0)
    shared_width = int(cfg.get("shared_expert_intermediate_size") or 0)
    if shared_width:  # Qwen2-MoE: one shared expert of its own width
        if not moe_d_ff or shared_width % int(moe_d_ff):
            raise GpucostError(
                f"'{where}': shared_expert_intermediate_size {shared_width} is not a multiple of the expert width",
                hint="give the model's parameter count instead of its config",
            )
        shared = shared_width // int(moe_d_ff)
    if shared:
        out["n_shared_experts"] = shared
    out["first_dense_layers"] = int(cfg.get("first_k_dense_replace") or 0)
    out["moe_layer_step"] = int(_first(cfg, "interleave_moe_layer_step", "decoder_sparse_step", default=1) or 1)
    listed = cfg.get("moe_layers")
    implied = [i for i in range(out["first_dense_layers"], layers) if (i + 1) % out["moe_layer_step"] == 0]
    if cfg.get("mlp_only_layers") or (isinstance(listed, list) and listed and sorted(listed) != implied):
        raise GpucostError(
            f"'{where}': its MoE layers (mlp_only_layers / moe_layers) follow no regular pattern this reader models",
            hint="give the model's parameter count instead of its config",
        )
    return out


def _window(cfg: dict[str, Any], mtype: str, layers: int) -> dict[str, Any]:
    """The attention-window fields: window [tokens], share of windowed layers, kind."""
    chunk = cfg.get("attention_chunk_size")
    if mtype in ("llama4", "llama4_text") and chunk:
        rope = cfg.get("no_rope_layers")
        if isinstance(rope, list) and len(rope) == layers:
            chunked = sum(1 for r in rope if r)
        else:
            every = int(cfg.get("no_rope_layer_interval") or 4)
            chunked = sum(1 for i in range(layers) if (i + 1) % every)
        return {"window": int(chunk), "window_layer_share": chunked / layers, "window_kind": "chunked"}
    size = cfg.get("sliding_window")
    if not size or cfg.get("use_sliding_window") is False:
        return {}
    types = cfg.get("layer_types")
    if isinstance(types, list) and types:
        sliding = sum(1 for t in types if t == "sliding_attention")
    elif mtype == "gemma2":  # even layers slide (Gemma2Attention: not bool(layer_idx % 2))
        sliding = (layers + 1) // 2
    elif mtype in ("gemma3", "gemma3_text"):
        pattern = int(cfg.get("sliding_window_pattern") or 6)
        sliding = sum(1 for i in range(layers) if (i + 1) % pattern)
    elif cfg.get("use_sliding_window"):  # Qwen2/3: layers from max_window_layers on slide
        sliding = layers - min(int(cfg.get("max_window_layers") or 0), layers)
    else:  # Mistral 7B v0.1, Phi-3: every layer
        sliding = layers
    if not sliding:
        return {}
    return {"window": int(size), "window_layer_share": sliding / layers, "window_kind": "sliding"}


def arch_fields(cfg: dict[str, Any], path: Path) -> dict[str, Any]:
    """ModelArch keyword arguments from a parsed Hugging Face config. Raises :class:`GpucostError`
    naming a missing key."""
    if isinstance(cfg.get("text_config"), dict):  # multimodal wrappers (Llama 4)
        cfg = {**cfg, **cfg["text_config"]}
    mtype = str(cfg.get("model_type", "")).lower()
    layers = _first(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    d = _first(cfg, "hidden_size", "n_embd", "d_model", "word_embed_proj_dim")
    heads = _first(cfg, "num_attention_heads", "n_head", "num_heads")
    vocab = _first(cfg, "vocab_size", "padded_vocab_size")
    missing = [
        k
        for k, v in (
            ("num_hidden_layers", layers),
            ("hidden_size", d),
            ("num_attention_heads", heads),
            ("vocab_size", vocab),
        )
        if v is None
    ]
    if missing:
        raise GpucostError(f"'{path}' lacks {', '.join(missing)}", hint="is it a decoder-only transformer config?")
    layers, d, heads = int(layers), int(d), int(heads)
    kv = _first(cfg, "num_key_value_heads", "num_kv_heads", "n_head_kv")
    if kv is None and cfg.get("multi_query"):
        kv = 1
    if mtype == "falcon" and cfg.get("new_decoder_architecture") and kv is None:
        kv = cfg.get("num_kv_heads", heads)
    d_ff = _first(cfg, "intermediate_size", "n_inner", "ffn_dim", "ffn_hidden_size", default=None) or 4 * d
    mla = cfg.get("kv_lora_rank") is not None
    attention = "mla" if mla else ("mha" if kv in (None, heads) else ("mqa" if kv == 1 else "gqa"))
    tied = cfg.get("tie_word_embeddings")
    if tied is None:
        tied = mtype in ("gpt2", "opt", "bloom", "gemma", "gemma2", "falcon")
    release, expert_release = _quantization(cfg)
    name = str(cfg.get("_name_or_path") or path.parent.name or "custom model")
    return {
        "id": f"hf:{path}",
        "name": name,
        "n_layers": layers,
        "d_model": d,
        "n_heads": heads,
        "n_kv_heads": int(kv) if kv else None,
        "head_dim": _first(cfg, "head_dim"),
        "gated_mlp": mtype in GATED_TYPES or str(cfg.get("hidden_act", "")).lower() in ("silu", "swiglu"),
        "vocab_size": int(vocab),
        "tied_embeddings": bool(tied),
        "learned_positions": mtype in ("gpt2", "opt", "gpt_bigcode"),
        "max_context": int(_first(cfg, "max_position_embeddings", "n_positions", "n_ctx", "seq_length", default=2048)),
        "attention": attention,
        "q_lora_rank": cfg.get("q_lora_rank"),
        "kv_lora_rank": cfg.get("kv_lora_rank"),
        "qk_nope_head_dim": cfg.get("qk_nope_head_dim"),
        "qk_rope_head_dim": cfg.get("qk_rope_head_dim"),
        "v_head_dim": cfg.get("v_head_dim"),
        "attention_bias": bool(cfg.get("attention_bias")),
        "attention_sinks": mtype == "gpt_oss",  # GptOssAttention.sinks: one logit per head
        "release_dtype": release,
        "expert_release_dtype": expert_release,
        "source": f"Hugging Face config.json at {path}",
        **_moe(cfg, mtype, layers, int(d_ff), str(path)),
        **_window(cfg, mtype, layers),
    }
