import csv
from pathlib import Path

import pytest

from engine import fx
from engine.catalog import list_gpus, list_models, parse_gpu_spec, resolve_gpu, resolve_model
from engine.errors import GpucostError
from engine.prices import builtin_prices, lowest_price

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


EXTRA = Path(__file__).resolve().parents[2] / "data" / "gpu_specs_extra.csv"
#: Parts only the project's table has (B300, GB300, MI355X, MI350X), after the shared file's 47.
NEW_PARTS = ["b300", "gb300", "mi355x", "mi350x"]


def test_every_spec_row_is_in_the_catalog_with_source_and_date():
    gpus = list_gpus()
    assert len(gpus) == 47 + len(NEW_PARTS)
    assert [g.id for g in gpus[47:]] == NEW_PARTS
    assert all(g.source and g.as_of for g in gpus)
    if (SHARED / "gpu_specs.csv").exists():  # the raw data is beside the checkout in CI and dev
        rows = list(csv.DictReader((SHARED / "gpu_specs.csv").open(encoding="utf-8")))
        assert len(rows) == 47
        for row, g in zip(rows, gpus[:47], strict=True):
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


#: Catalog column -> the source tables' column.
LINK_COLUMNS = {
    "interconnect_gb_s": "interconnect_gbps",
    "scaleout_gb_s": "scaleout_gbps",
    "scaleup_domain_gpus": "scaleup_domain_gpus",
    "peak_tflops_fp4": "fp4_tflops",
}


def _extra_cells() -> list[dict[str, str]]:
    return list(csv.DictReader(EXTRA.open(encoding="utf-8")))


def test_every_link_and_fp4_cell_has_a_source_and_a_date():
    cells = _extra_cells()
    assert cells
    assert all(c["source_url"].startswith("https://") and c["source_title"] and c["source_date"] for c in cells)
    by_key = {(c["variant"], c["field"]): c for c in cells}
    shared = {}
    if (SHARED / "gpu_specs.csv").exists():
        shared = {r["variant"]: r for r in csv.DictReader((SHARED / "gpu_specs.csv").open(encoding="utf-8"))}
    checked = 0
    for g in list_gpus():
        for column, field in LINK_COLUMNS.items():
            value = getattr(g, column)
            if value is None:
                continue
            checked += 1
            cell = by_key.get((g.short, field))
            if cell is None:  # a value the shared file already had, with its own field source
                row = shared.get(g.short)
                if row is not None:
                    assert f"{field}=" in row["field_sources"], (g.id, column)
                else:  # the raw file is not beside the checkout: the built row carries its field sources
                    assert f"{field}=" in g.notes, (g.id, column)
                continue
            assert float(cell["value"]) == value, (g.id, column)
            assert f"{field}: {cell['source_url']}" in g.notes and f"{field}=X" in g.notes, (g.id, column)
            assert cell["source_date"][:4] in g.as_of or g.as_of >= cell["source_date"][:4], (g.id, column)
    assert checked >= 30


#: Datacenter parts whose scale-up bandwidth no source gave us (see data/README.md): old or consumer
#: NVLink, Google ICI, Ascend 910B variants' HCCS, Gaudi's RoCE ports (shared between scale-up and -out).
UNSOURCED_LINKS = {
    "p100-sxm2-16gb",
    "rtx-3090",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "ascend-910b2",
    "ascend-910b3",
    "ascend-910b4",
    "gaudi2",
    "gaudi3",
}


def test_no_part_with_a_fast_link_keeps_an_unsourced_bandwidth_but_the_listed_ones():
    marked = {g.id for g in list_gpus() if "not sourced" in g.interconnect_type}
    assert marked == UNSOURCED_LINKS
    for name in ("H800", "H20", "H200", "A800", "B200", "GB200", "B300", "GB300", "MI300X", "MI325X", "MI355X"):
        g = resolve_gpu(name)
        assert g.interconnect_gb_s and "not sourced" not in g.interconnect_type, name


def test_links_read_by_the_engine_are_no_pcie_floor():
    from engine.hardware import link

    per_dir, _, text = link(resolve_gpu("H800"), 8)
    assert per_dir == 200e9 and "PCIe" not in text  # 400 GB/s total, both ways
    assert link(resolve_gpu("MI300X"), 8)[0] == 448e9  # 7 x 64 GB/s each way
    assert link(resolve_gpu("B200"), 8)[0] == 900e9
    assert resolve_gpu("GB200").scaleup_domain_gpus == 72 and resolve_gpu("H100").scaleup_domain_gpus == 8
    assert resolve_gpu("H100").scaleout_gb_s == 50 and resolve_gpu("B300").scaleout_gb_s == 100


def test_fp4_peaks_are_dense():
    """Dense FP4 is 2x dense FP8 on Blackwell and MI355X and 3x on Blackwell Ultra; a sparse figure
    (another 2x) would break this."""
    for name, ratio in (("B200", 2.0), ("GB200", 2.0), ("MI355X", 2.02), ("GB300", 3.0)):
        g = resolve_gpu(name)
        assert g.peak_tflops_fp4 == pytest.approx(ratio * g.peak_tflops_fp8, rel=0.005), name
    for name in ("H100", "H200", "MI300X", "A100"):
        assert resolve_gpu(name).peak_tflops_fp4 is None, name
