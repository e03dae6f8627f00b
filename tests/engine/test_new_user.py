"""What a new user trips on (issue 13): numbers that must agree with each other, options that must
not be silently dropped, output a person reads."""

from __future__ import annotations

import pytest

from engine import run
from engine.errors import GpucostError


@pytest.mark.parametrize("query", ["1.17e8 P4 0.3", "llama-3-8b L4 0.8 requests=3M", "70B 4xH100 2.5 users=1M"])
def test_cost_per_request_means_the_same_in_inference_and_daily(query: str) -> None:
    """One definition per name: the fleet's cost shared over the traffic, in both kinds, so that
    cost per request x requests per day is the cost per day; and requests_per_s is a replica's
    capacity in both."""
    one, day = run(query), run("daily " + query)
    for field in (
        "cost_per_request",
        "cost_per_million_input_tokens",
        "cost_per_million_output_tokens",
        "cost_per_million_tokens",
        "cost_per_day",
        "requests_per_s",
        "replica_cost_per_request",
        "replica_cost_per_million_output_tokens",
    ):
        assert getattr(one, field) == pytest.approx(getattr(day, field), rel=1e-9), field
    r_day = day.inputs["requests_per_day"]
    assert one.cost_per_request * r_day == pytest.approx(one.cost_per_day, rel=1e-9)
    # the replica's figure leaves out peak headroom and whole replicas, so it is never more
    assert one.replica_cost_per_request <= one.cost_per_request
    # the per-request breakdown sums to the fleet's cost per request
    assert sum(b.cost for b in one.breakdown) == pytest.approx(one.cost_per_request, rel=1e-9)
    assert all(b.cost >= 0 for b in one.breakdown + day.breakdown)


def test_the_text_labels_both_costs_per_request() -> None:
    from engine.format import render_text

    text = render_text(run("1.17e8 P4 0.3"))
    assert "the fleet at the stated traffic" in text
    assert "replica cost per request" in text and "at utilisation 0.75, before peak headroom" in text


def test_a_fixed_fleet_too_small_for_the_traffic_is_refused_with_what_it_needs() -> None:
    with pytest.raises(GpucostError) as e:
        run("daily llama-3-70b H100 gpus=8 requests=50M")
    msg = str(e.value)
    needed = run("daily llama-3-70b H100 requests=50M").gpus  # the fleet the traffic needs
    assert "gpus=8 is too few" in msg and f"{needed} GPUs" in msg and "requests/day" in msg


def test_a_fixed_fleet_larger_than_needed_prices_its_spare_capacity_as_headroom() -> None:
    r = run("daily llama-3-70b H100 gpus=300 requests=50M")
    assert r.gpus == 300 and r.cost_per_day == pytest.approx(300 * 24 * r.price_per_gpu_hour)
    assert all(b.quantity >= 0 for b in r.breakdown)


def test_money_is_written_as_money_not_in_e_notation() -> None:
    from engine.format import render_text
    from engine.units import fmt_money

    assert fmt_money(1.53e-5, "USD") == "$0.0000153"
    assert fmt_money(0.3, "USD") == "$0.30" and fmt_money(2.5, "CNY") == "¥2.50"
    text = render_text(run("1.17e8 P4 0.3"))
    assert "e-0" not in text.split("component")[0]
    assert "per million requests" in text


def test_a_price_in_compare_applies_to_every_gpu_named_without_one() -> None:
    r = run("compare llama-3-8b H100,A100 2usd")
    assert r.table is not None
    price = r.table.columns.index("price_per_gpu_hour")
    assert [row[price] for row in r.table.rows] == [2.0, 2.0]
    assert not r.warnings
    # the canonical query writes each price on its GPU, so it reproduces the rows exactly
    assert r.query == "compare llama-3-8b H100@2usd,A100@2usd"
    again = run(r.query)
    assert again.table is not None and again.table.rows == r.table.rows


def test_compare_takes_per_gpu_prices_and_pins_providers() -> None:
    r = run("compare llama-3-8b H100@2.5usd,H200@3.5usd,H100@aws")
    assert r.table is not None
    cols = r.table.columns
    rows = {(row[cols.index("gpu")], row[cols.index("price_per_gpu_hour")]) for row in r.table.rows}
    assert ("H100", 2.5) in rows and ("H200", 3.5) in rows
    assert any(gpu == "H100@aws" and price not in (2.5, 3.5) for gpu, price in rows)


def test_compare_with_one_gpu_prices_only_that_gpu_and_leaves_unpriced_defaults_out_in_one_line() -> None:
    r = run("compare llama-3-8b H100 2usd")
    assert r.table is not None
    cols = r.table.columns
    by_gpu = {row[cols.index("gpu")]: row for row in r.table.rows}
    assert by_gpu["H100"][cols.index("price_per_gpu_hour")] == 2.0
    assert all(row[cols.index("price_per_gpu_hour")] != 2.0 for g, row in by_gpu.items() if g != "H100")
    assert all(row[0] != "-" for row in r.table.rows)  # every row shown is ranked
    unranked = [w for w in r.warnings if "no catalog price" in w]
    assert len(unranked) == 1 and "MI300X" in unranked[0]


def test_compare_text_headers_carry_units_and_currency() -> None:
    from engine.format import render_text

    text = render_text(run("compare llama-3-8b H100,A100 2usd"))
    assert "USD/M tokens" in text and "USD/GPU-hour" in text and "cost_per_million_tokens" not in text
    text = render_text(run("compare llama-3-8b H100,A100 14元"))
    assert "CNY/M tokens" in text and "¥14.00" in text


@pytest.mark.parametrize(
    ("name", "catalog"),
    [
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3-8b"),
        ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"),
        ("google/gemma-2-9b-it", "gemma-2-9b"),
        ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b"),
    ],
)
def test_instruct_chat_and_base_releases_map_to_their_catalog_model(name: str, catalog: str) -> None:
    from engine.catalog import resolve_model

    assert resolve_model(name).id == catalog
    assert resolve_model(name, allow_files=False).id == catalog  # no file is looked up for it


def test_a_quantised_release_is_not_mapped_silently() -> None:
    from engine.catalog import variant_of

    assert variant_of("neuralmagic/Meta-Llama-3-8B-Instruct-FP8") is None


def test_a_default_price_includes_the_host_vm_where_the_catalog_has_one() -> None:
    """The README's rule: a default (catalog) price is a whole VM's share per GPU; the L4's lowest
    accelerator-only GCP price leaves the host out and is no longer the default."""
    from engine.prices import lowest_price

    row = lowest_price("L4")
    assert row.includes_host and row.provider == "aws" and row.instance_type.startswith("g6.")
    r = run("llama-3-8b L4")
    assert not any("host VM not included" in w for w in r.warnings)
    # asked for explicitly, the accelerator-only price is still there, and said to be
    r = run("llama-3-8b L4 provider=gcp")
    assert any("host VM not included" in w for w in r.warnings)


def test_deepseek_is_served_at_the_precision_its_weights_are_released_in() -> None:
    r = run("deepseek-v3 8xH200")
    assert r.inputs["dtype"] == "fp8" and r.gpus_per_replica == 8
    assert not any("does not fit" in w for w in r.warnings)
    line = next(a for a in r.assumptions if a.name == "weight precision")
    assert "released in" in line.source and "DeepSeek-V3/blob/main/config.json" in line.source
    # the KV cache stays at the activations' 16 bits unless asked (vLLM --kv-cache-dtype auto)
    assert r.inputs["kv_dtype"] == "bf16"
    assert run("deepseek-v3 8xH200 kv=fp8").inputs["kv_dtype"] == "fp8"
    # asked for, 16-bit still is what it says
    assert run("deepseek-v3 16xH200 dtype=bf16").inputs["dtype"] == "bf16"
    # a 16-bit release keeps the 16-bit default
    assert run("llama-3-8b H100").inputs["dtype"] == "bf16"


def test_a_config_json_with_fp8_quantization_is_read_as_an_fp8_release(tmp_path) -> None:
    import json

    from engine.architecture import from_hf_config

    cfg = {
        "model_type": "llama",
        "num_hidden_layers": 4,
        "hidden_size": 512,
        "num_attention_heads": 8,
        "intermediate_size": 1024,
        "vocab_size": 1000,
        "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]},
    }
    (tmp_path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    assert from_hf_config(tmp_path / "config.json").release_dtype == "fp8"
    del cfg["quantization_config"]
    (tmp_path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    assert from_hf_config(tmp_path / "config.json").release_dtype is None


def test_the_column_path_serves_a_release_precision_model_like_a_single_cell() -> None:
    from engine.batch import evaluate_many

    got = evaluate_many("llama-3-8b 8xH200 2usd", "model", ["deepseek-v3", "llama-3-70b"], "tokens_per_s")
    assert got[0] == pytest.approx(run("deepseek-v3 8xH200 2usd").tokens_per_s)
    assert got[1] == pytest.approx(run("llama-3-70b 8xH200 2usd").tokens_per_s)


def test_warnings_come_right_after_the_headline_numbers() -> None:
    from engine.format import render_text

    text = render_text(run("daily llama-3-70b 1xH100 2usd"))  # does not fit on 1: warned
    assert text.index("warning:") < text.index("component") < text.index("Assumptions:")


def test_a_missing_interconnect_is_a_warning_in_every_answer_that_uses_it() -> None:
    # Gaudi 3's link bandwidth is not sourced (its RoCE ports serve scale-up and scale-out; data/README.md)
    r = run("deepseek-v3 16xGaudi3 2usd")
    assert any("bandwidth not in the catalog" in w and "PCIe 4.0" in w for w in r.warnings)
    assert not any("bandwidth not in the catalog" in w for w in run("llama-3-8b 1xGaudi3 2usd").warnings)
    # the H800's NVLink is now in the catalog (400 GB/s): no floor, no warning
    assert not any("bandwidth not in the catalog" in w for w in run("deepseek-v3 16xH800 2usd").warnings)
    assert not any("bandwidth not in the catalog" in w for w in run("llama-3-70b 8xH100 2usd").warnings)


def test_assumption_sources_are_readable_not_column_tags() -> None:
    r = run("llama-3-8b H100")
    text = " ".join(a.source for a in r.assumptions)
    assert "EPOCH" not in text and "memory_gb=" not in text and "shared/data" not in text
    assert "Epoch AI ML hardware dataset" in text and "SkyPilot catalog" in text


def test_prices_of_one_gpu_are_summarised_first_and_all_lists_every_row() -> None:
    from engine.format import render_text
    from engine.prices import lowest_price, prices_for

    r = run("prices L4")
    assert r.text is not None and r.table is not None
    on_demand = r.text.splitlines()[0]
    default = lowest_price("L4")
    assert on_demand.startswith("on-demand") and f"{default.provider} {default.region}" in on_demand
    assert "median" in on_demand and "accelerator-only prices (no host VM) from" in on_demand
    assert len(r.table.rows) == 10 and "--all lists every row" in r.text
    every = run("prices L4 --all")
    assert every.table is not None and len(every.table.rows) == len(prices_for("L4"))
    assert render_text(r).index("on-demand") < render_text(r).index("provider")


def test_the_skypilot_importer_merges_zones_reports_skips_and_names_the_cloud_from_the_file(tmp_path) -> None:
    from engine.prices import import_skypilot

    folder = tmp_path / "catalogs" / "v8" / "aws"
    folder.mkdir(parents=True)
    vms = folder / "vms.csv"
    vms.write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone\n"
        "p5.48xlarge,H100,8,192,2048,,98.32,40.0,us-east-1,use1-az1\n"
        "p5.48xlarge,H100,8,192,2048,,98.32,36.0,us-east-1,use1-az2\n"
        "p5.48xlarge,H100,8,192,2048,,98.32,38.0,us-east-1,use1-az4\n"
        "g4ad.xlarge,Radeon Pro V520,1,4,16,,0.38,,us-east-1,use1-az1\n"
        "m5.large,,,2,8,,0.096,0.04,us-east-1,use1-az1\n"
        "x.big,H100,8,192,2048,,,,us-east-1,use1-az1\n",
        encoding="utf-8",
    )
    got = import_skypilot(vms)
    assert {r.provider for r in got.rows} == {"aws"}  # the catalogs/v8/<cloud>/ folder
    by_type = {r.price_type: r for r in got.rows}
    assert len(got.rows) == 2 and by_type["on_demand"].usd_per_gpu_hour == pytest.approx(98.32 / 8)
    assert by_type["spot"].usd_per_hour_instance == pytest.approx(36.0)  # the cheapest zone
    report = got.report()
    assert "1 without an accelerator" in report and "1 without a price" in report
    assert "Radeon Pro V520 (1)" in report and "per-zone rows merged" in report
    # a cloud column names the provider wherever the file is
    other = tmp_path / "downloads" / "vms.csv"
    other.parent.mkdir()
    other.write_text("Cloud,InstanceType,AcceleratorName,AcceleratorCount,Price,Region\ngcp,a3,H100,8,88.0,us-x\n")
    assert [r.provider for r in import_skypilot(other).rows] == ["gcp"]
    with pytest.raises(GpucostError, match="which cloud"):
        other.write_text("InstanceType,AcceleratorName,AcceleratorCount,Price,Region\na3,H100,8,88.0,us-x\n")
        import_skypilot(other)


def test_a_missed_ttft_max_tries_the_larger_replica_it_would_recommend() -> None:
    base = run("llama-3.1-70b H100 in=8000 out=200")
    r = run("llama-3.1-70b H100 in=8000 out=200 ttft_max=500ms")
    # the limit is on TTFT under load: the batch's decodes share each step with the prompt's chunks,
    # and a request may wait for a free slot at the peak
    assert base.ttft_loaded_s > 0.5 and r.ttft_loaded_s <= 0.5 and r.gpus_per_replica > base.gpus_per_replica
    line = next(a for a in r.assumptions if a.name == "parallel layout")
    assert "meets the latency limits" in line.source
    assert sum(a.name == "GPUs per replica" for a in r.assumptions) == 1
    # no layout meets a limit below one prompt's prefill on the largest replica tried: a warning says so
    miss = run("llama-3.1-70b H100 in=8000 out=200 ttft_max=100ms")
    assert any("no layout tried meets it" in w for w in miss.warnings)
    # a size asked for is kept, and the warning says how to cut it
    asked = run("llama-3.1-70b 2xH100 in=8000 out=200 ttft_max=500ms")
    assert asked.gpus_per_replica == 2 and any("more GPUs per replica" in w for w in asked.warnings)


@pytest.mark.parametrize("limit", ["ttft_max=1s", "tpot_max=50ms"])
def test_measured_mode_refuses_latency_limits_it_cannot_check(limit: str) -> None:
    with pytest.raises(GpucostError, match="measured mode"):
        run(f"daily llama-3-70b H100 decode_tps=1000 {limit}")


def test_daily_token_totals_without_requests_keep_both_totals() -> None:
    """Issue 11: tokens_in= with tokens_out= and no requests= must not replace the input total
    with the default prompt length."""
    r = run("daily llama-3-70b H100 tokens_in=600B tokens_out=150B prefill_tps=8000 decode_tps=1500 2usd")
    r_day = r.inputs["requests_per_day"]
    assert r_day * r.inputs["out"] == pytest.approx(150e9, rel=1e-9)
    assert r_day * r.inputs["in"] == pytest.approx(600e9, rel=1e-3)
    gpu_s = r.inputs["in"] / 8000 + r.inputs["out"] / 1500  # measured GPU-seconds per request
    assert r.gpus == pytest.approx(r_day * gpu_s / 86400 * 1.5 / 0.75, rel=0.01)
    line = next(a for a in r.assumptions if a.name == "request length")
    assert "tokens_in / (tokens_out / out)" in line.source
    with pytest.raises(GpucostError, match="over-determine"):
        run("daily llama-3-70b H100 tokens_in=600B tokens_out=150B in=1000")
