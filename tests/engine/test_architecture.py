import json
from pathlib import Path

import pytest

from engine.architecture import from_hf_config, infer_dense
from engine.catalog import list_models, resolve_model
from engine.errors import GpucostError
from engine.memory import kv_bytes_per_token, kv_bytes_per_token_per_gpu

#: Published totals the text shape cannot reproduce to 1%, and why (the shape is the config's, unfudged).
PUBLISHED_TOTAL_TOLERANCE = {
    # Falcon's published counts are rounded ("7B")
    "falcon-7b": 0.05,
    "falcon-40b": 0.05,
    "falcon-180b": 0.05,
    # the model card's 109B includes the ~0.8B vision encoder; the text shape is 107.8B
    "llama-4-scout": 0.015,
    # the tech report's 1.04T (model card: 1T); its config.json implies 1.026T
    "kimi-k2": 0.015,
}
#: Models whose published active count leaves out the input embedding table (a lookup, not a
#: matmul): gpt-oss model card Table 1 (5.13B = 0.96B attention + 3.58B active MLP + 0.58B unembedding).
ACTIVE_WITHOUT_INPUT_EMBEDDING = {"gpt-oss-120b", "gpt-oss-20b"}


@pytest.mark.parametrize("model", [m.id for m in list_models()])
def test_shape_reproduces_published_parameter_count(model):
    m = resolve_model(model)
    assert m.shape_params == pytest.approx(m.params_reported, rel=PUBLISHED_TOTAL_TOLERANCE.get(model, 0.01))
    if m.active_params_reported:
        active = m.shape_active_params
        if model in ACTIVE_WITHOUT_INPUT_EMBEDDING:
            active -= m.vocab_size * m.d_model
        assert active == pytest.approx(m.active_params_reported, rel=0.03)


def test_maverick_interleaves_moe_and_dense_layers_by_hand():
    m = resolve_model("llama-4-maverick")
    d, expert, dense = 5120, 3 * 5120 * 8192, 3 * 5120 * 16384
    attn = 2 * d * 40 * 128 + 2 * d * 8 * 128 + 2 * d  # Q, O; K, V; two norms
    assert m.moe_layers == 24  # interleave_moe_layer_step 2: layers 1, 3, ..., 47
    assert m.expert_params() == 24 * 128 * expert
    by_hand = 48 * attn + 24 * dense + 24 * (129 * expert + d * 128) + 2 * 202048 * d
    assert m.shape_params == pytest.approx(by_hand, rel=1e-12)
    assert m.shape_active_params == pytest.approx(by_hand - 24 * 127 * expert, rel=1e-12)
    dims = m.dims
    assert (dims.moe_layers, dims.n_experts, dims.top_k_share) == (24, 128, 1 / 128)
    assert dims.routed_expert_params == 24 * 128 * expert
    assert dims.routed_expert_params / (dims.moe_layers * dims.n_experts) == expert  # one expert of one layer
    # Scout: every layer MoE, same expert width
    assert resolve_model("llama-4-scout").dims.routed_expert_params == 48 * 16 * expert


def test_window_fields_of_the_2025_models_and_gemma_2():
    cases = {
        "gpt-oss-120b": (128, 0.5, "sliding"),
        "gpt-oss-20b": (128, 0.5, "sliding"),
        "llama-4-scout": (8192, 0.75, "chunked"),
        "llama-4-maverick": (8192, 0.75, "chunked"),
        "gemma-2-9b": (4096, 0.5, "sliding"),
        "gemma-2-27b": (4096, 0.5, "sliding"),
        "mistral-7b": (4096, 1.0, "sliding"),
        "qwen3-235b-a22b": (0, 0.0, None),
        "deepseek-v3.1": (0, 0.0, None),
    }
    for name, (window, share, kind) in cases.items():
        m = resolve_model(name)
        assert (m.window, m.window_layer_share, m.window_kind) == (window, share, kind), name
        assert (m.dims.window, m.dims.window_layer_share) == (window, share), name
    # kv_elements keeps its meaning: every layer, as if no window (gpt-oss: 2 x 36 x 8 x 64)
    assert resolve_model("gpt-oss-120b").dims.kv_elements == 2 * 36 * 8 * 64


def test_gpt_oss_release_precision_biases_and_sinks():
    m = resolve_model("gpt-oss-120b")
    assert m.release_dtype is None and m.expert_release_dtype == "mxfp4"
    assert m.dims.expert_release_dtype == "mxfp4"
    assert resolve_model("kimi-k2").release_dtype == "fp8" and resolve_model("deepseek-v3.1").release_dtype == "fp8"
    # attention per layer: Q, O (64 x 64 wide), K, V (8 x 64), their biases and one sink per head
    d = 2880
    by_hand = 2 * d * 64 * 64 + 2 * d * 8 * 64 + (64 + 16) * 64 + d + 64
    assert m._attn_params() == by_hand
    # the published checkpoint: 60.8 GiB = experts at MXFP4 (4.25 bits: 32 FP4 values + one 8-bit scale)
    # plus the rest at 16 bits (gpt-oss model card Table 1)
    experts = m.expert_params()
    assert experts * 4.25 / 8 + (m.shape_params - experts) * 2 == pytest.approx(60.8 * 2**30, rel=0.01)


def test_dense_dims_has_every_field_of_a_dense_model():
    from engine.architecture import dense_dims

    d = dense_dims(7e9)
    assert (d.moe_layers, d.n_experts, d.window, d.window_layer_share, d.expert_release_dtype) == (0, 0, 0, 0.0, None)


def test_moe_active_is_routed_plus_shared():
    m = resolve_model("mixtral-8x7b")
    expert = 3 * 4096 * 14336
    assert m.shape_params - m.shape_active_params == pytest.approx(32 * 6 * expert)


def test_kv_cache_bytes_by_hand():
    # Llama 2 7B, MHA: 2 x 32 layers x 32 heads x 128 dims x 2 bytes
    assert kv_bytes_per_token(resolve_model("llama-2-7b"), 2) == 2 * 32 * 32 * 128 * 2
    # Llama 2 70B, GQA with 8 KV heads: 8x smaller than MHA would be
    assert kv_bytes_per_token(resolve_model("llama-2-70b"), 2) == 2 * 80 * 8 * 128 * 2
    # DeepSeek-V3, MLA: 61 layers x (512 latent + 64 rope) x 2 bytes
    assert kv_bytes_per_token(resolve_model("deepseek-v3"), 2) == 61 * (512 + 64) * 2


def test_kv_split_under_tensor_parallelism():
    gqa = resolve_model("llama-2-70b")
    full = kv_bytes_per_token(gqa, 2)
    assert kv_bytes_per_token_per_gpu(gqa, 2, 8) == full / 8
    assert kv_bytes_per_token_per_gpu(gqa, 2, 16) == full / 8  # 8 KV heads: replicated beyond 8 GPUs
    mla = resolve_model("deepseek-v3")
    assert kv_bytes_per_token_per_gpu(mla, 2, 8) == kv_bytes_per_token(mla, 2)  # latent is replicated


def test_inferred_shape_for_the_article_model():
    m = infer_dense(1.17e8)
    assert m.inferred and m.total_params == 1.17e8
    assert (m.n_layers, m.d_model, m.n_heads) == (12, 768, 12)  # GPT-1/GPT-3 Small shape
    assert infer_dense(175e9).n_layers == 96
    with pytest.raises(GpucostError):
        infer_dense(10)


def test_hf_config_is_read_without_transformers(tmp_path):
    cfg = {
        "model_type": "llama",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "intermediate_size": 14336,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
        "max_position_embeddings": 8192,
    }
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    m = resolve_model(str(tmp_path / "config.json"))
    assert m.attention == "gqa" and m.gated_mlp
    assert m.shape_params == pytest.approx(resolve_model("llama-3-8b").shape_params)
    gpt2 = {"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12, "vocab_size": 50257, "n_positions": 1024}
    (tmp_path / "gpt2.json").write_text(json.dumps(gpt2))
    assert from_hf_config(tmp_path / "gpt2.json").shape_params == pytest.approx(124.4e6, rel=0.01)


def test_hf_config_errors(tmp_path):
    with pytest.raises(GpucostError, match="no config file"):
        resolve_model(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GpucostError, match="cannot read"):
        from_hf_config(tmp_path / "bad.json")
    (tmp_path / "partial.json").write_text('{"hidden_size": 10}')
    with pytest.raises(GpucostError, match="lacks"):
        from_hf_config(tmp_path / "partial.json")


FIXTURES = Path(__file__).parent / "fixtures" / "hf"


@pytest.mark.parametrize("name", ["gpt-oss-120b", "llama-4-maverick", "qwen3-235b-a22b", "kimi-k2"])
def test_published_configs_read_as_the_catalog_has_them(name):
    """The reader turns the published config.json keys (fixtures/hf, see its README) into the catalog's shape."""
    got, want = from_hf_config(FIXTURES / f"{name}.json"), resolve_model(name)
    assert got.dims == want.dims
    assert got.shape_params == pytest.approx(want.shape_params, rel=1e-12)
    for field in ("moe_layer_step", "n_shared_experts", "window", "window_layer_share", "window_kind", "max_context"):
        assert getattr(got, field) == getattr(want, field), field
    assert (got.release_dtype, got.expert_release_dtype) == (want.release_dtype, want.expert_release_dtype)


def _config(tmp_path, **cfg):
    base = {"num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 1000}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(base | cfg))
    return from_hf_config(path)


def test_hf_reader_windows_of_each_family(tmp_path):
    # gpt-oss style layer_types: 1 of 4 sliding
    m = _config(tmp_path, model_type="gpt_oss", sliding_window=128,
                layer_types=["sliding_attention", "full_attention", "full_attention", "full_attention"])
    assert (m.window, m.window_layer_share, m.window_kind) == (128, 0.25, "sliding")
    assert m.attention_sinks
    # Gemma 2 without layer_types: even layers slide (5 layers -> 0, 2, 4)
    m = _config(tmp_path, model_type="gemma2", num_hidden_layers=5, sliding_window=4096)
    assert (m.window, m.window_layer_share) == (4096, 3 / 5)
    # Gemma 3: sliding_window_pattern 6 -> 5 of 6 slide
    m = _config(tmp_path, model_type="gemma3_text", num_hidden_layers=12, sliding_window=1024, sliding_window_pattern=6)
    assert m.window_layer_share == 10 / 12
    # Mistral 7B v0.1: every layer
    assert _config(tmp_path, model_type="mistral", sliding_window=4096).window_layer_share == 1.0
    # Qwen2/3: sliding_window present but use_sliding_window false -> none; true -> from max_window_layers on
    assert _config(tmp_path, model_type="qwen2", sliding_window=32768, use_sliding_window=False).window == 0
    m = _config(tmp_path, model_type="qwen2", sliding_window=4096, use_sliding_window=True, max_window_layers=1)
    assert m.window_layer_share == 3 / 4
    # Llama 4: chunked on the RoPE layers (no_rope_layers 1), the given list wins over the interval
    m = _config(tmp_path, model_type="llama4_text", attention_chunk_size=8192, no_rope_layers=[1, 0, 1, 0])
    assert (m.window, m.window_layer_share, m.window_kind) == (8192, 0.5, "chunked")
    m = _config(tmp_path, model_type="llama4_text", attention_chunk_size=8192)
    assert m.window_layer_share == 3 / 4
    # no window keys: none
    assert _config(tmp_path, model_type="llama").window == 0


def test_hf_reader_moe_layouts(tmp_path):
    # Llama 4: dense layers intermediate_size_mlp wide, experts and the shared expert intermediate_size
    m = _config(tmp_path, model_type="llama4_text", intermediate_size=32, intermediate_size_mlp=128,
                num_local_experts=8, num_experts_per_tok=1, interleave_moe_layer_step=2)
    assert (m.d_ff, m.moe_d_ff, m.n_shared_experts, m.moe_layers) == (128, 32, 1, 2)
    # Qwen3-MoE decoder_sparse_step 2 -> layers 1 and 3; no shared expert
    m = _config(tmp_path, model_type="qwen3_moe", num_experts=8, num_experts_per_tok=2, moe_intermediate_size=16,
                decoder_sparse_step=2)
    assert (m.moe_layers, m.n_shared_experts, m.top_k) == (2, 0, 2)
    # Qwen2-MoE: a shared expert 4 experts wide counts as 4 shared experts
    m = _config(tmp_path, model_type="qwen2_moe", num_experts=8, num_experts_per_tok=2, moe_intermediate_size=16,
                shared_expert_intermediate_size=64)
    assert m.n_shared_experts == 4
    # DeepSeek/Kimi: dense-first layers
    m = _config(tmp_path, model_type="kimi_k2", n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1,
                moe_intermediate_size=16, first_k_dense_replace=1)
    assert (m.moe_layers, m.first_dense_layers, m.gated_mlp) == (3, 1, True)
    # a listed moe_layers that matches the step is fine; one that does not is refused with a way out
    _config(tmp_path, model_type="llama4_text", num_local_experts=8, interleave_moe_layer_step=2, moe_layers=[1, 3])
    with pytest.raises(GpucostError, match="no regular pattern"):
        _config(tmp_path, model_type="llama4_text", num_local_experts=8, interleave_moe_layer_step=2, moe_layers=[0, 3])
    with pytest.raises(GpucostError, match="no regular pattern"):
        _config(tmp_path, model_type="qwen3_moe", num_experts=8, mlp_only_layers=[0])


def test_hf_reader_release_precision(tmp_path):
    m = _config(tmp_path, model_type="gpt_oss", num_local_experts=4, quantization_config={"quant_method": "mxfp4"})
    assert (m.release_dtype, m.expert_release_dtype) == (None, "mxfp4")
    m = _config(tmp_path, model_type="kimi_k2", quantization_config={"quant_method": "fp8", "fmt": "e4m3"})
    assert (m.release_dtype, m.expert_release_dtype) == ("fp8", None)
