"""How LLMs are served now (issue 11): FP4, prefix caching, token totals; each term against a hand
computation."""

from __future__ import annotations

import pytest

from engine import run
from engine.errors import GpucostError
from engine.flops import prefill_flops
from engine.hardware import BYTES, resolve_precision


def test_fp4_weights_carry_their_block_scales() -> None:
    assert BYTES["fp4"] == pytest.approx((4 + 8 / 16) / 8)  # NVFP4: an FP8 scale per 16 values
    assert BYTES["mxfp4"] == pytest.approx((4 + 8 / 32) / 8)  # MXFP4: an E8M0 scale per 32 values


def test_fp4_without_fp4_tensor_cores_is_weight_only_and_says_so() -> None:
    r = run("llama-3-70b 2xH100 dtype=fp4 2usd")
    assert r.inputs["dtype"] == "fp4"
    assert any("no FP4 tensor cores" in w and "weight-only" in w for w in r.warnings)
    # weight-only: the memory is 4.5-bit weights, the compute the 16-bit rate
    from engine.catalog import resolve_gpu

    p = resolve_precision(resolve_gpu("H100"), "fp4")
    assert p.compute_dtype == "fp16" and p.peak_flops == pytest.approx(resolve_gpu("H100").peak_tflops_fp16 * 1e12)
    assert run("llama-3-70b 2xH100 dtype=nvfp4 2usd").inputs["dtype"] == "fp4"


@pytest.mark.parametrize("dtype", ["int4", "int8"])
def test_training_refuses_weight_only_formats(dtype: str) -> None:
    with pytest.raises(GpucostError, match="weight-only serving format"):
        run(f"train llama-3-8b H100 dtype={dtype} tokens=1T gpus=64")


def test_training_refuses_fp8_where_there_are_no_fp8_tensor_cores() -> None:
    with pytest.raises(GpucostError, match="no FP8 tensor cores"):
        run("train llama-3-8b A100 dtype=fp8 tokens=1T gpus=64")
    assert run("train llama-3-8b H100 dtype=fp8 tokens=1T gpus=64").inputs["dtype"] == "fp8"


def test_prefix_cache_prefill_flops_by_hand() -> None:
    n, layers, w, t, c = 7e9, 32, 4096, 4000, 1000
    got = prefill_flops(n, layers, w, t, 0.0, c)
    assert got == pytest.approx(2 * n * (t - c) + 2 * layers * (t * t - c * c) * w)
    assert prefill_flops(n, layers, w, t) == pytest.approx(2 * n * t + 2 * layers * t * t * w)


def test_cache_hit_cuts_prefill_and_prices_the_missed_input_tokens() -> None:
    base = run("llama-3-70b 4xH100 in=4000 out=300 2usd")
    hit = run("llama-3-70b 4xH100 in=4000 out=300 2usd cache_hit=0.5")
    assert hit.ttft_s < base.ttft_s and hit.tokens_per_s > base.tokens_per_s
    # the TTFT's compute part scales with the FLOPs left: matmuls over half the prompt, attention
    # over (s^2 - (s/2)^2) = 3/4 of its causal pairs
    assert hit.ttft_s / base.ttft_s == pytest.approx(0.5, abs=0.06)
    assert hit.cost_per_million_cache_miss_input_tokens == pytest.approx(hit.cost_per_million_input_tokens / 0.5)
    assert base.cost_per_million_cache_miss_input_tokens is None
    assert any(a.name == "prefix-cache hits" for a in hit.assumptions)
    with pytest.raises(GpucostError, match="measured mode"):
        run("daily llama-3-70b H100 decode_tps=1000 prefill_tps=8000 cache_hit=0.5")


def test_explain_ranks_the_prefix_cache() -> None:
    r = run("explain daily llama-3-70b 4xH100 in=4000 out=300 2usd")
    assert any(s.assumption == "cache_hit" and s.cost_at_high < s.cost_at_low for s in r.sensitivity)


def test_disaggregated_pools_from_measured_rates_by_hand() -> None:
    """Each pool: ceil(peak rate x GPU-seconds per request / (g x util)) replicas of g GPUs."""
    import math

    r = run("daily llama-3-70b 8xH100 requests=5M in=2000 out=500 2usd prefill_tps=3000 decode_tps=1000 disagg")
    peak_rps = 5e6 / 86400 * 1.5
    pf = math.ceil(peak_rps * (2000 / 3000) / (8 * 0.75))
    dec = math.ceil(peak_rps * (500 / 1000) / (8 * 0.75))
    assert (r.inputs["prefill_replicas"], r.inputs["decode_replicas"]) == (pf, dec)
    assert r.gpus == 8 * (pf + dec) and r.cost_per_day == pytest.approx(r.gpus * 24 * 2.0)
    # the input price is the prefill pool's cost over the input tokens
    assert r.cost_per_million_input_tokens == pytest.approx(8 * pf * 24 * 2.0 / (5e6 * 2000) * 1e6)
    names = [b.component for b in r.breakdown]
    assert names == [
        "prefill pool (busy GPU time)",
        "prefill pool headroom and idle",
        "decode pool (busy GPU time)",
        "decode pool headroom and idle",
    ]
    assert sum(b.cost for b in r.breakdown) == pytest.approx(r.cost_per_day)
    assert all(b.quantity >= 0 for b in r.breakdown)


def test_disaggregated_decode_runs_without_prefill_interruptions() -> None:
    colo = run("daily llama-3-70b H100 requests=5M in=2000 out=500 2usd")
    dis = run("daily llama-3-70b H100 requests=5M in=2000 out=500 2usd disagg")
    assert dis.tpot_s < colo.tpot_s  # TPOT is the decode step alone
    assert any("KV transfer" in w for w in dis.warnings) or any(a.name == "KV transfer" for a in dis.assumptions)
    assert dis.inputs["prefill_gpus"] + dis.inputs["decode_gpus"] == dis.gpus
    with pytest.raises(GpucostError, match="prefill_tps"):
        run("daily llama-3-70b 8xH100 decode_tps=1000 disagg")
    with pytest.raises(GpucostError, match="does not apply"):
        run("llama-3-70b H100 disagg")


def test_each_disaggregated_pool_has_its_own_replica_and_layout() -> None:
    r = run("daily deepseek-v3 H800 2usd in=2000 out=500 requests=100M disagg")
    lines = {a.name: a for a in r.assumptions}
    assert "prefill pool" in lines and "decode pool" in lines and "layouts tried" in lines["decode pool"].source
    g_pf, g_dec = r.inputs["prefill_gpus_per_replica"], r.inputs["decode_gpus_per_replica"]
    assert r.inputs["prefill_gpus"] == g_pf * r.inputs["prefill_replicas"]
    assert r.inputs["decode_gpus"] == g_dec * r.inputs["decode_replicas"]
    assert f"{r.tpot_s * 1e3:.3g} ms per step" in lines["decode pool"].value  # TPOT is the decode pool's step
    # sizes given are kept; the layout within each is still chosen
    given = run("daily deepseek-v3 H800 2usd in=2000 out=500 requests=100M disagg prefill_gpus=32 decode_gpus=64")
    assert (given.inputs["prefill_gpus_per_replica"], given.inputs["decode_gpus_per_replica"]) == (32, 64)
    with pytest.raises(GpucostError, match="has no disagg"):
        run("daily deepseek-v3 H800 2usd prefill_gpus=32")


def test_a_measured_disaggregated_moe_service_by_hand() -> None:
    """From measured per-GPU rates the daily cost is arithmetic on the traffic: exact to rounding."""
    import math

    r = run(
        "daily deepseek-v3 16xH800 2usd requests=100M in=2000 out=500 disagg prefill_tps=6000 decode_tps=2000 "
        "prefill_gpus=32 decode_gpus=144"
    )
    peak_rps = 100e6 / 86400 * 1.5
    pf = math.ceil(peak_rps * (2000 / 6000) / (32 * 0.75))
    dec = math.ceil(peak_rps * (500 / 2000) / (144 * 0.75))
    assert r.cost_per_day == pytest.approx((32 * pf + 144 * dec) * 24 * 2.0, rel=1e-12)
