import json

import pytest

from engine.architecture import from_hf_config, infer_dense
from engine.catalog import list_models, resolve_model
from engine.errors import GpucostError
from engine.memory import kv_bytes_per_token, kv_bytes_per_token_per_gpu


@pytest.mark.parametrize("model", [m.id for m in list_models()])
def test_shape_reproduces_published_parameter_count(model):
    m = resolve_model(model)
    tol = 0.05 if model.startswith("falcon") else 0.01  # Falcon's published counts are rounded ("7B")
    assert m.shape_params == pytest.approx(m.params_reported, rel=tol)
    if m.active_params_reported:
        assert m.shape_active_params == pytest.approx(m.active_params_reported, rel=0.03)


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
