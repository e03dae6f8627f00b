"""Measured-data mode: the three benchmark formats, pricing an imported run, calibration round trip,
and the real console script (exit codes, one-line errors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import EngineConfig, run
from engine.calibration import load_profile
from engine.errors import GpucostError
from engine.measured import BenchmarkResult, cli_command, read_benchmark

FIX = Path(__file__).parent / "fixtures" / "measured"
VLLM = FIX / "vllm_serving_llama2_70b_8xh100.json"
GENAI = FIX / "profile_export_genai_perf.json"
MLPERF = FIX / "mlperf_log_summary.txt"
MLPERF_SERVER = FIX / "mlperf_log_summary_server.txt"


# ---- parsers ---------------------------------------------------------------------------------------------
def test_vllm_numbers_and_derivations():
    b = read_benchmark(VLLM)
    raw = json.loads(VLLM.read_text())
    assert b.tool == "vllm" and b.model == "meta-llama/Llama-2-70b-chat-hf"
    assert b.n_requests == 512 and b.duration_s == pytest.approx(150.8696)
    assert b.output_tokens_per_s == pytest.approx(raw["output_throughput"])
    assert b.request_throughput == pytest.approx(raw["request_throughput"])
    assert b.mean_output_tokens == pytest.approx(raw["total_output_tokens"] / raw["completed"])
    assert b.mean_input_tokens == pytest.approx(1024)
    assert b.input_tokens_per_s == pytest.approx(raw["total_input_tokens"] / raw["duration"])
    assert b.mean_ttft_s == pytest.approx(1.84127) and b.mean_tpot_s == pytest.approx(0.06493)
    assert b.concurrency == 64 and b.scenario is None and b.mean_latency_s is None


def test_vllm_unmeasured_metrics_are_none_not_zero(tmp_path):
    raw = json.loads(VLLM.read_text())
    raw.update(mean_ttft_ms=0.0, max_concurrency=None, request_rate=4.0)
    p = tmp_path / "r.json"
    p.write_text(json.dumps(raw))
    b = read_benchmark(p)
    assert b.mean_ttft_s is None and b.concurrency is None
    assert any("concurrency unknown" in n for n in b.notes)


def test_genai_perf_numbers():
    b = read_benchmark(GENAI)
    assert b.tool == "genai-perf" and b.model == "meta/llama3-8b-instruct"
    assert b.output_tokens_per_s == pytest.approx(1249.63)
    assert b.request_throughput == pytest.approx(9.777)
    assert b.mean_input_tokens == pytest.approx(550) and b.mean_output_tokens == pytest.approx(127.81)
    assert b.mean_ttft_s == pytest.approx(0.048215) and b.mean_tpot_s == pytest.approx(0.012517)
    assert b.mean_latency_s == pytest.approx(1.637)
    assert b.concurrency == 16 and b.n_requests == 500
    assert b.input_tokens_per_s == pytest.approx(550 * 9.777)
    assert b.duration_s is None  # not in the file: not guessed


def test_genai_perf_older_layout_and_units(tmp_path):
    raw = json.loads(GENAI.read_text())
    raw["input_config"] = {"model": ["llama-3-8b"], "concurrency": 4}
    raw["output_token_throughput"]["unit"] = "per sec"  # older genai-perf
    raw["time_to_first_token"]["unit"] = "s"
    raw["time_to_first_token"]["avg"] = 0.05
    p = tmp_path / "old_genai_perf.json"
    p.write_text(json.dumps(raw))
    b = read_benchmark(p)
    assert b.model == "llama-3-8b" and b.concurrency == 4 and b.mean_ttft_s == pytest.approx(0.05)
    raw["inter_token_latency"]["unit"] = "furlongs"
    p.write_text(json.dumps(raw))
    with pytest.raises(GpucostError, match="unit 'furlongs'"):
        read_benchmark(p)


def test_mlperf_offline_case_i03():
    b = read_benchmark(MLPERF)
    assert b.tool == "mlperf" and b.scenario == "Offline" and b.model is None
    assert b.output_tokens_per_s == pytest.approx(24524.9)
    assert b.request_throughput == pytest.approx(84.4792)
    assert b.mean_output_tokens == pytest.approx(24524.9 / 84.4792)
    assert b.n_requests == 200640
    assert b.mean_input_tokens is None and b.concurrency is None and b.mean_ttft_s is None
    assert b.mean_latency_s is None  # Offline "Mean latency" is not a request latency


def test_mlperf_server_latencies_in_ns():
    b = read_benchmark(MLPERF_SERVER)
    assert b.scenario == "Server"
    assert b.request_throughput == pytest.approx(74.42)  # completed, not the scheduled 75.10
    assert b.output_tokens_per_s == pytest.approx(21605.79)
    assert b.mean_ttft_s == pytest.approx(0.27592644)
    assert b.mean_tpot_s == pytest.approx(0.154960329)
    assert b.mean_latency_s == pytest.approx(44.954547225)


def test_unknown_and_missing_files(tmp_path):
    with pytest.raises(GpucostError, match="no such file"):
        read_benchmark(tmp_path / "nope.json")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(GpucostError) as e:
        read_benchmark(other)
    assert "vLLM" in str(e.value) and "genai-perf" in str(e.value) and "MLPerf" in str(e.value)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(GpucostError, match="not valid JSON"):
        read_benchmark(bad)
    assert "\n" not in str(e.value)


# ---- import ------------------------------------------------------------------------------------------------
def test_import_mlperf_prices_case_i03():
    r = cli_command(
        ["import", str(MLPERF), "8xH100", "2.5usd", "model=llama-2-70b", "requests=1M", "peak=1"], EngineConfig()
    )
    assert r.kind == "daily" and r.inputs["mode"] == "measured"
    assert r.gpus_per_replica == 8
    assert r.tokens_per_s_per_gpu == pytest.approx(24524.9 / 8, rel=1e-9)  # decode_tps = measured / GPUs
    assert r.cost_per_day == pytest.approx(r.gpus * 24 * 2.5, rel=1e-12)
    assert r.gpus == 8  # 1M requests/day of ~290 tokens fit one 8-GPU replica
    assert "decode_tps=" in r.query and "out=290" in r.query
    assert "MLPerf" in r.title and "mlperf_log_summary.txt" in r.title
    names = {a.name: a for a in r.assumptions}
    assert "measured run" in names and "3,066 per GPU" in names["measured output throughput"].value
    assert any("no prompt lengths" in w for w in r.warnings)
    # the canonical query reproduces the numbers with the plain grammar
    again = run(r.query)
    assert again.cost_per_day == pytest.approx(r.cost_per_day) and again.gpus == r.gpus


def test_import_vllm_uses_file_model_and_lengths():
    r = cli_command(["import", str(VLLM), "8xH100", "2usd", "requests=100k"], EngineConfig())
    b = read_benchmark(VLLM)
    assert r.inputs["model"] == "llama-2-70b"
    assert r.inputs["in"] == 1024 and r.inputs["out"] == round(b.mean_output_tokens)
    assert r.tokens_per_s_per_gpu == pytest.approx(b.output_tokens_per_s / 8, rel=1e-3)
    assert r.cost_per_day == pytest.approx(r.gpus * 24 * 2)
    assert r.cost_per_request == pytest.approx(r.cost_per_day / 100e3)


def test_import_user_lengths_win_and_decode_tps_refused():
    r = cli_command(["import", str(VLLM), "8xH100", "2usd", "in=100", "out=50"], EngineConfig())
    assert r.inputs["in"] == 100 and r.inputs["out"] == 50
    with pytest.raises(GpucostError, match="decode_tps= comes from the imported file"):
        cli_command(["import", str(VLLM), "8xH100", "decode_tps=5"], EngineConfig())


def test_import_needs_a_model_the_catalog_knows(tmp_path):
    # genai-perf's NIM name 'meta/llama3-8b-instruct' is an instruct release of llama-3-8b
    assert cli_command(["import", str(GENAI), "1xH100", "2usd"], EngineConfig()).inputs["model"] == "llama-3-8b"
    unknown = tmp_path / "profile_export_genai_perf.json"
    unknown.write_text(GENAI.read_text(encoding="utf-8").replace("meta/llama3-8b-instruct", "acme/foo-13b"))
    with pytest.raises(GpucostError, match="add model=NAME"):
        cli_command(["import", str(unknown), "1xH100", "2usd"], EngineConfig())
    with pytest.raises(GpucostError, match="does not name the model"):
        cli_command(["import", str(MLPERF), "8xH100", "2usd"], EngineConfig())
    r = cli_command(["import", str(GENAI), "1xH100", "2usd", "model=llama-3-8b"], EngineConfig())
    assert r.tokens_per_s_per_gpu == pytest.approx(1249.63, rel=1e-3)
    assert r.ttft_s == pytest.approx(0.048215) and r.request_latency_s == pytest.approx(1.637)


def test_import_bad_arguments():
    with pytest.raises(GpucostError, match="which GPUs"):
        cli_command(["import", str(VLLM)], EngineConfig())
    with pytest.raises(GpucostError, match="unknown GPU"):
        cli_command(["import", str(VLLM), "8xH1000"], EngineConfig())
    with pytest.raises(GpucostError, match="unknown option"):
        cli_command(["import", str(VLLM), "8xH100", "frobs=2"], EngineConfig())


# ---- calibrate ---------------------------------------------------------------------------------------------
CE, BE = 0.45, 0.7  # the efficiencies the synthetic measurements are generated with


def _vllm_run(path: Path, batch: int, s_in: int, s_out: int) -> None:
    """Write a vLLM serving-benchmark result whose numbers are the roofline's at (CE, BE)."""
    from engine.calibration import Measurement, _predict

    p = _predict(Measurement(model="llama-3-8b", gpu="H100", dtype="bf16", batch=batch, s_in=s_in, s_out=s_out), CE, BE)
    completed = 8 * batch
    tot_out = completed * s_out
    duration = tot_out / p.output_tokens_per_s
    path.write_text(
        json.dumps(
            {
                "date": "20250101-000000",
                "backend": "vllm",
                "model_id": "meta-llama/Meta-Llama-3-8B",
                "tokenizer_id": "meta-llama/Meta-Llama-3-8B",
                "num_prompts": completed,
                "request_rate": "inf",
                "burstiness": 1.0,
                "max_concurrency": batch,
                "duration": duration,
                "completed": completed,
                "total_input_tokens": completed * s_in,
                "total_output_tokens": tot_out,
                "request_throughput": completed / duration,
                "output_throughput": tot_out / duration,
                "total_token_throughput": completed * (s_in + s_out) / duration,
                "mean_ttft_ms": p.ttft_s * 1000,
                "mean_tpot_ms": p.tpot_s * 1000,
            }
        )
    )


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    files = []
    for batch, s_in, s_out in ((1, 512, 256), (16, 1024, 256), (64, 2048, 128)):
        f = tmp_path / f"vllm-c{batch}.json"
        _vllm_run(f, batch, s_in, s_out)
        files.append(f)
    return files


def test_calibrate_recovers_known_efficiencies_and_is_used(tmp_path, runs):
    cfg = EngineConfig(calibration_dir=tmp_path / "profiles")
    r = cli_command(["calibrate", "h100-vllm", *map(str, runs), "llama-3-8b", "1xH100", "dtype=bf16"], cfg)
    assert r.kind == "import"
    prof = load_profile("h100-vllm", cfg)
    assert prof.compute_efficiency == pytest.approx(CE, abs=0.02)
    assert prof.bandwidth_efficiency == pytest.approx(BE, abs=0.02)
    assert prof.n_points == 3 and prof.rms_log_error < 0.02
    assert (tmp_path / "profiles" / "h100-vllm.json").exists()
    assert "h100-vllm" in r.title and f"{prof.compute_efficiency:g}" in r.title
    values = {a.name: a.value for a in r.assumptions}
    assert values["saved to"].endswith("h100-vllm.json") and "calibration=h100-vllm" in values["use it"]
    assert r.table is not None and len(r.table.rows) == 3

    est = run("llama-3-8b H100 2usd calibration=h100-vllm", cfg)
    assert est.inputs["compute_efficiency"] == prof.compute_efficiency
    assert est.inputs["bandwidth_efficiency"] == prof.bandwidth_efficiency
    assert any(a.name == "calibration" and a.value == "h100-vllm" for a in est.assumptions)


def test_calibrate_errors(tmp_path, runs):
    cfg = EngineConfig(calibration_dir=tmp_path)
    with pytest.raises(GpucostError, match="needs a profile name"):
        cli_command(["calibrate", "x", str(runs[0])], cfg)
    with pytest.raises(GpucostError, match="concurrency; add batch=N"):
        cli_command(["calibrate", "x", str(MLPERF), "llama-2-70b", "8xH100"], cfg)
    with pytest.raises(GpucostError, match="prompt lengths; add in=N"):
        cli_command(["calibrate", "x", str(MLPERF), "llama-2-70b", "8xH100", "batch=256"], cfg)
    with pytest.raises(GpucostError, match="does not take"):
        cli_command(["calibrate", "x", str(runs[0]), "llama-3-8b", "1xH100", "requests=5"], cfg)
    with pytest.raises(GpucostError, match="bad profile name"):
        cli_command(["calibrate", "../x", str(runs[0]), "llama-3-8b", "1xH100"], cfg)
    with pytest.raises(GpucostError, match="how many H100 GPUs ran the benchmark"):
        cli_command(["calibrate", "x", str(runs[0]), "llama-3-8b", "H100"], cfg)


def test_calibrate_the_vllm_fixture_ignores_queueing_in_ttft(tmp_path):
    """The vLLM fixture ran at concurrency 64: its 1.8 s mean TTFT is mostly waiting behind other
    prefills, which the roofline's unloaded TTFT does not model. It is left out of the fit, which then
    reproduces throughput and TPOT within the saved error."""
    cfg = EngineConfig(calibration_dir=tmp_path)
    r = cli_command(["calibrate", "h100", str(VLLM), "llama-2-70b", "8xH100"], cfg)
    prof = load_profile("h100", cfg)
    assert prof.rms_log_error < 0.10
    row = r.table.rows[0]
    measured_tps, fitted_tps = (float(x) for x in row[5].split(" / "))
    assert fitted_tps == pytest.approx(measured_tps, rel=0.10)


def test_calibration_that_cannot_fit_is_refused_and_not_saved(tmp_path):
    """MLPerf Server throughput at the stated batch is far from what any efficiency in (0, 1]
    reproduces with these lengths: the fit is refused (one line), and no profile is written."""
    cfg = EngineConfig(calibration_dir=tmp_path)
    with pytest.raises(GpucostError, match="not saved: the roofline cannot reproduce"):
        cli_command(
            [
                "calibrate",
                "mlperf-h100",
                str(MLPERF_SERVER),
                "llama-2-70b",
                "8xH100",
                "dtype=fp8",
                "batch=256",
                "in=1024",
            ],
            cfg,
        )
    assert list(tmp_path.iterdir()) == []


def test_import_needs_the_gpu_count():
    with pytest.raises(GpucostError, match="how many H100 GPUs ran"):
        cli_command(["import", str(MLPERF), "H100", "2usd", "model=llama-2-70b"], EngineConfig())


# ---- the console script ------------------------------------------------------------------------------------
def _gpucost(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "gpucost"
    cmd = [str(exe)] if exe.exists() else ["gpucost"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_import_ok_and_json():
    p = _gpucost("import", str(MLPERF), "8xH100", "2.5usd", "model=llama-2-70b", "requests=1M", "peak=1")
    assert p.returncode == 0, p.stderr
    assert "imported MLPerf LoadGen run" in p.stdout and "$480.00" in p.stdout
    j = _gpucost("--json", "import", str(VLLM), "8xH100", "2usd")
    assert j.returncode == 0, j.stderr
    data = json.loads(j.stdout)
    assert data["kind"] == "daily" and data["inputs"]["tool"] == "vllm"


@pytest.mark.parametrize(
    "args",
    [
        ("import", "no-such-file.json", "8xH100"),
        ("import", str(Path(__file__)), "8xH100"),  # a Python file is not a benchmark result
        ("import", str(MLPERF), "8xH100"),  # no model
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args):
    p = _gpucost(*args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpucost: ") and "Traceback" not in p.stderr


def test_cli_calibrate_writes_to_env_dir(tmp_path, runs):
    env = {**os.environ, "GPUCOST_CALIBRATION_DIR": str(tmp_path / "cal")}
    p = _gpucost("calibrate", "c1", *map(str, runs), "llama-3-8b", "1xH100", "dtype=bf16", env=env)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "cal" / "c1.json").exists()
    q = _gpucost("llama-3-8b", "H100", "2usd", "calibration=c1", env=env)
    assert q.returncode == 0, q.stderr
    assert "calibration: c1" in q.stdout


def test_benchmark_result_is_plain_pydantic():
    b = BenchmarkResult(tool="vllm", source="x.json")
    assert b.output_tokens_per_s is None and b.notes == []


def test_import_maps_an_instruct_release_to_its_catalog_model(tmp_path):
    data = json.loads(VLLM.read_text(encoding="utf-8"))
    data["model_id"] = data["tokenizer_id"] = "meta-llama/Meta-Llama-3-70B-Instruct"
    path = tmp_path / "instruct.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    r = cli_command(["import", str(path), "8xH100", "2usd"], EngineConfig())
    assert r.inputs["model"] == "llama-3-70b"
    line = next(a for a in r.assumptions if a.name.startswith("model"))
    assert line.value == "llama-3-70b" and "as 'meta-llama/Meta-Llama-3-70B-Instruct', a release of" in line.source
