"""Estimates asked again, in any order and from several threads, equal the first answer; and no
answer outlives a change to what it was computed from (settings, a price file, a calibration
profile, a model's config.json). The engine caches only pure look-ups (names, catalogs, inferred
shapes), so these hold by construction; the tests keep it that way."""

from __future__ import annotations

import os
import random
import threading

import pytest

from engine import EngineConfig, PriceOverride, run
from engine.calibration import Profile, save_profile

QUERIES = [
    "1.17e8 P4 0.3",
    "llama-3-70b 8xH100 2usd in=500 out=300",
    "llama-3-70b H100 in=500 out=300",
    "daily llama-3-70b H100 requests=5M peak=2 util=0.5",
    "daily mixtral-8x7b A100-80G 1.5 users=2M per_user=4 tpot_max=0.05",
    "train llama-2-7b A100-80G 2usd tokens=2T gpus=1024",
    "deepseek-v3 8xH200 kv=fp8 dtype=fp8 batch=max",
    "qwen2.5-7b L4 0.7 currency=CNY",
    "7B H100 spot provider=aws",
    "gpt2 T4 ¥2 kwh=0.8元 pue=1.4 power=60",
    "llama-3-8b A10G batching=static out_spread=0.5",
]


def _fresh(q: str, config: EngineConfig | None = None, trace: bool = True) -> dict:
    return run(q, config, trace=trace).model_dump()


def test_estimates_asked_again_in_any_order_equal_the_first() -> None:
    fresh = {q: _fresh(q) for q in QUERIES}
    lean = {q: _fresh(q, trace=False) for q in QUERIES}
    order = QUERIES * 3
    random.Random(3).shuffle(order)
    for q in order:
        assert run(q).model_dump() == fresh[q], q
        assert run(q, trace=False).model_dump() == lean[q], q


def test_without_the_trace_only_the_trace_is_left_out() -> None:
    for q in QUERIES:
        full, lean = run(q).model_dump(), run(q, trace=False).model_dump()
        assert full["trace"] and lean["trace"] == [], q
        assert {**full, "trace": []} == lean, q


def test_each_config_gets_its_own_answer() -> None:
    cheap = EngineConfig(price_overrides=(PriceOverride(gpu="H100", price_per_gpu_hour=1.0),))
    dear = EngineConfig(price_overrides=(PriceOverride(gpu="H100", price_per_gpu_hour=3.0),))
    cny = EngineConfig(currency="CNY", cny_per_usd=7.0)
    for _ in range(2):
        assert run("llama-3-8b H100", cheap).price_per_gpu_hour == 1.0
        assert run("llama-3-8b H100", dear).price_per_gpu_hour == 3.0
        r = run("llama-3-8b H100", cny)
        assert r.currency == "CNY" and any(a.name == "FX rate" and "7 CNY" in a.value for a in r.assumptions)
        assert run("llama-3-8b H100").currency == "USD"


def test_an_edited_price_file_is_read_again(tmp_path) -> None:
    f = tmp_path / "prices.csv"
    head = "provider,region,instance_type,gpu,gpu_count,price_type,usd_per_hour_instance,usd_per_gpu_hour\n"
    f.write_text(head + "mycloud,eu,big-box,H100,8,on_demand,9.6,1.2\n")
    cfg = EngineConfig(price_file=f)
    assert run("llama-3-8b H100", cfg).price_per_gpu_hour == 1.2
    assert run("llama-3-8b H100", cfg).price_per_gpu_hour == 1.2
    f.write_text(head + "mycloud,eu,big-box,H100,8,on_demand,7.2,0.9\n")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # an edit a second later
    r = run("llama-3-8b H100", cfg)
    assert r.price_per_gpu_hour == 0.9 and "mycloud" in r.inputs["price_source"]
    f.unlink()  # the file gone: the built-in catalog again, not the remembered price
    assert run("llama-3-8b H100", cfg).price_per_gpu_hour != 0.9


def test_a_calibration_profile_is_read_afresh_each_time(tmp_path) -> None:
    cfg = EngineConfig(calibration_dir=tmp_path)
    q = "llama-3-8b H100 2 calibration=mine batch=8"
    save_profile(Profile(name="mine", compute_efficiency=0.5, bandwidth_efficiency=0.8), cfg)
    first = run(q, cfg)
    save_profile(Profile(name="mine", compute_efficiency=0.5, bandwidth_efficiency=0.4), cfg)
    second = run(q, cfg)
    assert first.inputs["bandwidth_efficiency"] == 0.8 and second.inputs["bandwidth_efficiency"] == 0.4
    assert second.tokens_per_s < first.tokens_per_s  # half the bandwidth: slower decode


def test_threads_get_the_same_answers() -> None:
    expected = {q: _fresh(q) for q in QUERIES}
    errors: list[str] = []

    def worker(seed: int) -> None:
        order = QUERIES * 4
        random.Random(seed).shuffle(order)
        for q in order:
            if run(q).model_dump() != expected[q]:
                errors.append(q)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize(
    ("first", "second", "quoted"),
    [
        ("llama-3-70b H100 in=4000 ttft_max=10ms", "llama-3-70b H100 in=4000 ttft_max=0.01s", "ttft_max=0.01s"),
        ("train 7B H100 days=30", "train 7B H100 days=3e1", "finishes in 3e1 days"),
    ],
)
def test_an_option_written_another_way_is_quoted_as_written(first: str, second: str, quoted: str) -> None:
    """Two spellings of one value share every number, but lines that quote the option quote the
    query's own text, not the text of a query asked before."""
    run(first)
    r = run(second)
    text = " ".join([*r.warnings, *(a.source for a in r.assumptions)])
    assert quoted in text
    assert r.model_dump() == _fresh(second)


def test_an_edited_config_json_is_read_again(tmp_path) -> None:
    import json

    f = tmp_path / "config.json"
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 128256,
        "max_position_embeddings": 8192,
    }
    f.write_text(json.dumps(cfg))
    first = run(f"{f} H100 2usd")
    f.write_text(json.dumps({**cfg, "num_hidden_layers": 16}))
    second = run(f"{f} H100 2usd")
    assert second.inputs["params"] < first.inputs["params"]
