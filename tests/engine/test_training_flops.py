"""Training FLOPs per token: MLA's attention widths (issue 14 item 9) and the training precision
on GPUs without BF16 (item 10), against hand computations."""

import pytest

from engine import run
from engine.catalog import resolve_model


def test_mla_training_attention_uses_the_query_key_and_value_head_sizes():
    # DeepSeek-V3 (arXiv:2412.19437, Sec. 2.1.1): 128 heads, per-head query/key 128 + 64 (RoPE) = 192,
    # value 128. Attention FLOPs per token per layer: forward 2 T (h d_qk) for Q.K^T + 2 T (h d_v) for
    # A.V, x3 for forward + backward -> 6 T h (d_qk + d_v) = 12 T (h (d_qk + d_v) / 2) per layer.
    ds = resolve_model("deepseek-v3")
    seq = 4096
    r = run(f"train deepseek-v3 H800 tokens=1e9 seq={seq} gpus=2048")
    attention = 12 * 61 * seq * 128 * (192 + 128) / 2  # 61 layers
    per_tok = 6 * ds.forward_params() + attention
    assert r.flops == pytest.approx(1e9 * per_tok, rel=1e-12)
    # the old width d_model / n_heads = 7168 / 128 = 56 per head undercounts attention 5.7x
    old = 6 * ds.forward_params() + 12 * 61 * seq * 128 * 56
    assert r.flops / 1e9 - old == pytest.approx(12 * 61 * seq * 128 * (160 - 56), rel=1e-9)
    step = next(s for s in r.trace if s.name == "FLOPs per token")
    assert "160" in step.formula  # the MLA head width (192 + 128) / 2 is shown


def test_dense_training_flops_unchanged():
    m = resolve_model("llama-2-7b")
    r = run("train llama-2-7b A100-80G tokens=1e9 seq=4096")
    assert r.flops == pytest.approx(1e9 * (6 * m.forward_params() + 12 * 32 * 4096 * 4096), rel=1e-12)


@pytest.mark.parametrize("gpu", ["V100", "V100-32GB", "'V100 PCIe'", "P100", "T4"])
def test_gpus_without_bf16_train_in_fp16(gpu):
    # BF16 tensor cores came with NVIDIA Ampere (A100 architecture whitepaper, 2020): Volta, Turing
    # and Pascal parts train 16-bit as FP16 (with loss scaling), at their FP16 rate.
    r = run(f"train llama-2-7b {gpu} tokens=1e9")
    assert r.inputs["dtype"] == "fp16"
    line = next(a for a in r.assumptions if a.name == "training precision")
    assert line.value == "fp16" and "BF16" in line.source
    assert "bf16" not in r.title


def test_bf16_asked_on_a_v100_is_warned_and_ampere_stays_bf16():
    r = run("train llama-2-7b V100 tokens=1e9 dtype=bf16")
    assert any("no BF16" in w for w in r.warnings)
    assert run("train llama-2-7b A100 tokens=1e9").inputs["dtype"] == "bf16"
