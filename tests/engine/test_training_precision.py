"""FP8/FP4 training: only the linear-layer GEMMs run at the low-precision rate; attention, the
output head and MoE gating at 16 bits (DeepSeek-V3, arXiv:2412.19437, Sec. 3.3.1). Issue 14 item 3."""

import pytest

from engine import run
from engine.catalog import resolve_model
from engine.training import gemm_split


def test_fp8_training_runs_only_the_linear_gemms_at_the_fp8_rate_by_hand():
    ds = resolve_model("deepseek-v3")
    seq, tokens = 4096, 1e12
    n = ds.forward_params()
    lm_head = 129280 * 7168  # output head V d, BF16 in DeepSeek-V3's recipe
    gating = (61 - 3) * 7168 * 256  # router of the 58 MoE layers
    attention = 12 * 61 * seq * 128 * (192 + 128) / 2
    fp8 = 6 * (n - lm_head - gating)
    bf16 = 6 * (lm_head + gating) + attention
    # H800: BF16 989 TFLOP/s dense; FP8 not in the catalog, derived as 2x (Hopper FP8 tensor cores)
    seconds_per_token = (fp8 / 1978e12 + bf16 / 989e12) / 0.45
    r = run(f"train deepseek-v3 H800 dtype=fp8 tokens={tokens:g} seq={seq} gpus=2048")
    assert r.flops == pytest.approx(tokens * (fp8 + bf16), rel=1e-12)
    assert r.gpu_hours == pytest.approx(tokens * seconds_per_token / 3600 / 0.9, rel=1e-9)
    names = [s.name for s in r.trace]
    assert "FLOPs at the FP8 rate (linear-layer GEMMs)" in names
    assert "FLOPs at 16 bits (attention, output head, MoE gating)" in names
    split = next(a for a in r.assumptions if a.name == "FP8 share of the FLOPs")
    assert "arXiv:2412.19437" in split.source
    # all-FP8 would be faster: the split is what the test must see
    assert r.gpu_hours > tokens * (fp8 + bf16) / 1978e12 / 0.45 / 3600 / 0.9 * 1.05


def test_bf16_training_has_no_split():
    r = run("train llama-2-7b H100 tokens=1e12 seq=4096")
    assert not any(a.name.endswith("share of the FLOPs") for a in r.assumptions)
    m = resolve_model("llama-2-7b")
    per_tok = 6 * m.forward_params() + 12 * 32 * 4096 * 4096
    assert r.gpu_hours == pytest.approx(1e12 * per_tok / (989.4e12 * 0.45) / 3600 / 0.9, rel=1e-9)


def test_fp4_split_by_hand():
    # Llama-2-70B at FP4 on a part with a 9,000 TFLOP/s FP4 and 2,250 BF16 rate (B200's datasheet
    # figures): the pure split function, since the catalog's FP4 cells are filled elsewhere.
    m = resolve_model("llama-2-70b")
    seq = 4096
    lm_head = 32000 * 8192
    low = 6 * (m.forward_params() - lm_head)
    high = 6 * lm_head + 12 * 80 * seq * 8192
    s = gemm_split(m, low + high, 9000e12, 2250e12)
    assert (s.low, s.high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    assert s.peak == pytest.approx((low + high) / (low / 9000e12 + high / 2250e12), rel=1e-12)
    assert 2250e12 < s.peak < 9000e12
