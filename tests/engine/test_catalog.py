import csv
from pathlib import Path

import pytest

from engine import fx
from engine.catalog import list_gpus, list_models, parse_gpu_spec, resolve_gpu, resolve_model
from engine.errors import GpucostError
from engine.prices import builtin_prices, lowest_price

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_every_spec_row_is_in_the_catalog_with_source_and_date():
    gpus = list_gpus()
    assert len(gpus) == 47
    assert all(g.source and g.as_of for g in gpus)
    if (SHARED / "gpu_specs.csv").exists():  # the raw data is beside the checkout in CI and dev
        rows = list(csv.DictReader((SHARED / "gpu_specs.csv").open(encoding="utf-8")))
        assert len(rows) == len(gpus)
        for row, g in zip(rows, gpus, strict=True):
            assert g.memory_bw_gb_s == (float(row["memory_bw_gbps"]) if row["memory_bw_gbps"] else None)
            assert g.peak_tflops_fp16 == (
                float(row["fp16_bf16_tensor_tflops"]) if row["fp16_bf16_tensor_tflops"] else None
            )


@pytest.mark.parametrize(
    ("name", "gid"),
    [
        ("P4", "p4"),
        ("tesla p4", "p4"),
        ("T4", "t4"),
        ("A100", "a100-sxm-40gb"),
        ("A100-80G", "a100-sxm-80gb"),
        ("a100-sxm-80gb", "a100-sxm-80gb"),
        ("H100", "h100-sxm-80gb"),
        ("H100 PCIe", "h100-pcie-80gb"),
        ("H800", "h800-sxm-80gb"),
        ("H20", "h20"),
        ("H200", "h200-sxm-141gb"),
        ("B200", "b200"),
        ("MI300X", "mi300x"),
        ("910B", "ascend-910b"),
        ("4090", "rtx-4090"),
        ("NVIDIA H100 SXM5 80GB", "h100-sxm-80gb"),
    ],
)
def test_forgiving_gpu_names(name, gid):
    assert resolve_gpu(name).id == gid


def test_count_prefix():
    assert parse_gpu_spec("8xH100") == (8, "H100")
    assert parse_gpu_spec("8*H100") == (8, "H100")
    assert parse_gpu_spec("8 x A100-80G") == (8, "A100-80G")
    assert parse_gpu_spec("4090") == (None, "4090")


def test_unknown_gpu_suggests():
    with pytest.raises(GpucostError) as e:
        resolve_gpu("H1000")
    assert "H100" in str(e.value) and "did you mean" in str(e.value)


def test_models_catalog_has_the_required_models():
    ids = {m.id for m in list_models()}
    required = {
        "gpt-1",
        "gpt2",
        "gpt2-xl",
        "gpt-j-6b",
        "gpt-3-175b",
        "opt-175b",
        "bloom-176b",
        "llama-7b",
        "llama-13b",
        "llama-33b",
        "llama-65b",
        "llama-2-7b",
        "llama-2-13b",
        "llama-2-70b",
        "llama-3-8b",
        "llama-3-70b",
        "llama-3.1-8b",
        "llama-3.1-70b",
        "llama-3.1-405b",
        "llama-3.3-70b",
        "mistral-7b",
        "mixtral-8x7b",
        "mixtral-8x22b",
        "qwen2.5-7b",
        "qwen2.5-72b",
        "deepseek-v3",
        "deepseek-r1",
        "falcon-180b",
        "gemma-2-9b",
        "gemma-2-27b",
        "phi-3-mini",
    }
    assert required <= ids
    assert len(ids) >= 30
    assert all(m.source for m in list_models())
    assert resolve_model("Llama-2-70B").id == "llama-2-70b"


def test_price_rows_keep_source_and_date():
    rows = builtin_prices()
    assert len(rows) > 1000
    assert all(r.source and r.as_of for r in rows)


def test_lowest_price_prefers_rows_with_host_and_names_it():
    row = lowest_price("H100")
    assert row.includes_host and row.price_type == "on_demand"
    cheaper = [
        r
        for r in builtin_prices()
        if r.gpu == row.gpu and r.includes_host and not r.spot and r.usd_per_gpu_hour < row.usd_per_gpu_hour
    ]
    assert cheaper == []


def test_no_price_says_how_to_give_one():
    with pytest.raises(GpucostError) as e:
        lowest_price("MI300X")
    assert "give one in the query" in str(e.value)


def test_fx_default_is_the_newest_dated_rate():
    assert fx.latest().cny_per_usd == 7.21
    assert fx.rate("USD", "CNY") == 7.21
    assert fx.rate("cny", "usd") == pytest.approx(1 / 7.21)
