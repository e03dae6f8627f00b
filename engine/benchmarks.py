"""Benchmark readers: real serving-benchmark result files as one :class:`BenchmarkResult` each.

:mod:`engine.measured` prices and calibrates from what these read (``gpucost import``,
``gpucost calibrate``).

Formats read (:func:`read_benchmark` tells them apart by content, not by file name). Each was checked
against the tool's own source; what was verified and where:

1. **vLLM serving benchmark** (``benchmarks/benchmark_serving.py --save-result``, later
   ``vllm bench serve``, ``vllm/benchmarks/serve.py`` in vllm-project/vllm). One JSON object. The
   script's ``result`` dict holds ``duration`` [s] (``time.perf_counter`` difference), ``completed``
   (successful requests), ``total_input_tokens``, ``total_output_tokens``, ``request_throughput``
   (= completed / duration) [req/s], ``output_throughput`` (= total_output / duration) [tok/s],
   ``total_token_throughput`` [tok/s], and per metric ``mean_/median_/std_/pNN_{ttft,tpot,itl,e2el}_ms``
   [ms] (``np.mean(x or 0) * 1000``: a metric that was not measured, e.g. TTFT without streaming, is
   written as 0, which is read here as "not measured"). ``main`` adds ``date``, ``backend``,
   ``model_id``, ``tokenizer_id``, ``num_prompts``, ``request_rate`` (a number or the string
   ``"inf"``), ``burstiness`` and ``max_concurrency`` (``--max-concurrency``, ``null`` if not set).
   Older versions wrote the goodput key as ``"request_goodput:"`` (with a colon); it is not used here.
   TPOT there is ``(latency - ttft) / (output_len - 1)`` per request, excluding the first token.
   ``mean_e2el_ms`` (end-to-end request latency) is written only when ``--percentile-metrics``
   includes ``e2el`` (the default is ``ttft,tpot,itl``).
2. **NVIDIA genai-perf** ``profile_export_genai_perf.json`` (``genai_perf/export_data/json_exporter.py``,
   ``genai_perf/metrics/statistics.py``, ``llm_metrics.py`` and ``profile_data_parser/
   llm_profile_data_parser.py`` in triton-inference-server/perf_analyzer). One JSON object: each
   metric is ``{"unit": ..., "avg": ..., "p50": ..., ...}`` plus an ``input_config`` object. Units as
   ``Statistics._add_units`` writes them: ``time_to_first_token``, ``inter_token_latency``,
   ``request_latency`` in ``"ms"`` (nanoseconds scaled by 1e-6); ``request_throughput`` in
   ``"requests/sec"``; ``output_token_throughput`` in ``"tokens/sec"`` (older versions: ``"per sec"``,
   ``LLMMetrics.LLM_SYSTEM_METRICS``); ``input_sequence_length``/``output_sequence_length`` in
   ``"tokens"``; ``request_count`` in ``"count"`` (newer versions only). ``output_token_throughput`` =
   sum of output lengths / (last response - first request) and ``inter_token_latency`` =
   ``(latency - ttft) / (output_len - 1)`` per request, i.e. TPOT. ``input_config`` is the argument
   namespace: older versions have ``model`` (a list) and ``concurrency`` at its top level, newer ones
   ``model_names`` (a list) and ``perf_analyzer.stimulus.concurrency`` (genai-perf's own
   ``tests/test_process_export_files.py`` fixture). Both are read; times in ``"s"``/``"us"``/``"ns"``
   are converted, any other unit is refused rather than guessed. ``request_latency`` [ms] is the
   mean end-to-end latency. The file gives no benchmark duration.
3. **MLPerf Inference LoadGen** ``mlperf_log_summary.txt`` (``PerformanceSummary::LogSummary`` in
   ``loadgen/results.cc``, mlcommons/inference; checked against the published v4.1 NVIDIA
   DGX-H100 Llama-2-70B Offline and Server logs in mlcommons/inference_results_v4.1). ``KEY : VALUE``
   lines: ``SUT name``, ``Scenario`` (Offline/Server/SingleStream/MultiStream), ``Mode``;
   Offline: ``Samples per second`` (= sample_count / duration) and, for LLMs,
   ``Tokens per second`` (= token_count / the same duration); Server with token latencies:
   ``Completed samples per second`` (= (sample_count - 1) / time all samples were done),
   ``Completed tokens per second`` (= token_count / the same time), ``Mean First Token latency (ns)``
   and ``Mean Time to Output Token (ns)`` (some LoadGen versions: ``Mean Time per Output Token (ns)``),
   all in nanoseconds; ``Scheduled samples per second`` is the offered load, used only when no
   completed rate is given. Under "Test Parameters Used", ``samples_per_query`` is the number of
   samples in the one Offline query. ``Mean latency (ns)`` is the mean per-sample latency: a request
   latency in Server, but not in Offline (all samples are one query issued at once), where it is not
   read. The summary gives no prompt lengths, no concurrency and no model name (``SUT name`` is free
   text), so ``model=`` (import) and ``batch=``/``in=`` (calibrate) must be given.

Derived numbers use only the arithmetic the tools themselves use: e.g. mean output tokens =
``total_output_tokens / completed`` (vLLM), or tokens/s / samples/s (MLPerf: both rates share one
denominator, so the ratio is token_count / sample_count; for Server the samples rate counts
sample_count - 1, an error of 1/N). Anything a file does not give stays ``None``.

Imports only pydantic, the standard library and ``engine.errors``; never the estimators.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from engine._model import empty_list
from engine.errors import GpucostError, user_path

SUPPORTED = (
    "vLLM serving-benchmark JSON (benchmark_serving.py / vllm bench serve --save-result), "
    "genai-perf profile_export_genai_perf.json, MLPerf LoadGen mlperf_log_summary.txt"
)
MAX_FILE_BYTES = 200_000_000  # a detailed vLLM result with per-request texts can be large


class BenchmarkResult(BaseModel):
    """One benchmark run as a serving tool reported it. Rates are for the whole measured system
    (all its GPUs); times in seconds. ``None`` = the file does not give it."""

    tool: str = Field(description="vllm | genai-perf | mlperf")
    source: str = Field(description="path of the file read")
    model: str | None = Field(default=None, description="model name as the file gives it")
    n_requests: int | None = Field(default=None, description="completed requests (samples)")
    duration_s: float | None = Field(default=None, description="benchmark duration [s]")
    request_throughput: float | None = Field(default=None, description="completed requests per second [req/s]")
    output_tokens_per_s: float | None = Field(default=None, description="output tokens per second, whole system")
    input_tokens_per_s: float | None = Field(default=None, description="prompt tokens per second, whole system")
    mean_input_tokens: float | None = Field(default=None, description="mean prompt length [tokens]")
    mean_output_tokens: float | None = Field(default=None, description="mean output length [tokens]")
    mean_ttft_s: float | None = Field(default=None, description="mean time to first token [s]")
    mean_tpot_s: float | None = Field(default=None, description="mean time per output token after the first [s]")
    mean_latency_s: float | None = Field(default=None, description="mean end-to-end request latency [s]")
    concurrency: int | None = Field(default=None, description="concurrent requests the client kept in flight")
    all_at_once: bool = Field(
        default=False, description="every request was sent at the start (no rate, no concurrency limit): a finite run"
    )
    scenario: str | None = Field(default=None, description="MLPerf scenario (Offline, Server, ...)")
    notes: list[str] = Field(default_factory=empty_list, description="how derived values were computed, caveats")

    @property
    def tool_label(self) -> str:
        return {"vllm": "vLLM serving benchmark", "genai-perf": "genai-perf", "mlperf": "MLPerf LoadGen"}.get(
            self.tool, self.tool
        )


# ---- helpers -------------------------------------------------------------------------------------------
def _num(v: Any) -> float | None:
    """A finite number from JSON, else None (strings like "inf", null, bools are not numbers)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        f = float(v)
        return f if f == f and f not in (float("inf"), float("-inf")) else None
    return None


def _pos(v: Any) -> float | None:
    """A positive finite number, else None (tools write 0 for metrics they did not measure)."""
    f = _num(v)
    return f if f is not None and f > 0 else None


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _read_text(p: Path) -> str:
    if not p.exists():
        raise GpucostError(f"no such file '{p}'", hint="check the path (relative to the current directory)")
    if not p.is_file():
        raise GpucostError(f"'{p}' is not a file", hint="give the benchmark's result file, not a directory")
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise GpucostError(f"'{p.name}' is larger than {MAX_FILE_BYTES // 1_000_000} MB", hint="give the summary")
        return p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise GpucostError(f"cannot read '{p}' ({exc.strerror or exc.__class__.__name__})") from None


# ---- vLLM ------------------------------------------------------------------------------------------------
def _is_vllm(d: dict[str, Any]) -> bool:
    return "output_throughput" in d and ("completed" in d or "total_output_tokens" in d)


def parse_vllm(d: dict[str, Any], source: str) -> BenchmarkResult:
    """vLLM ``benchmark_serving.py`` / ``vllm bench serve`` result JSON (see module docstring)."""
    notes: list[str] = []
    completed = _pos(d.get("completed"))
    duration = _pos(d.get("duration"))
    tot_in = _num(d.get("total_input_tokens"))
    tot_out = _num(d.get("total_output_tokens"))
    out_tps = _pos(d.get("output_throughput"))
    if out_tps is None and tot_out and duration:
        out_tps = tot_out / duration
        notes.append("output tokens/s = total_output_tokens / duration")
    in_tps = _div(tot_in, duration) if tot_in else None
    if in_tps is not None:
        notes.append("input tokens/s = total_input_tokens / duration")
    req_tps = _pos(d.get("request_throughput")) or _div(completed, duration)
    mean_in = _div(tot_in, completed) if tot_in else None
    mean_out = _div(tot_out, completed) if tot_out else None
    if mean_in is not None or mean_out is not None:
        notes.append("mean lengths = total_input_tokens, total_output_tokens / completed")
    ttft = _pos(d.get("mean_ttft_ms"))
    tpot = _pos(d.get("mean_tpot_ms"))
    e2el = _pos(d.get("mean_e2el_ms"))  # only with --percentile-metrics including e2el
    if "mean_ttft_ms" in d and ttft is None:
        notes.append("mean_ttft_ms is 0: TTFT was not measured (no streaming)")
    conc = _pos(d.get("max_concurrency"))
    rate = d.get("request_rate")
    burst = conc is None and (rate is None or str(rate).lower() in ("inf", "infinity"))
    if conc is None:
        notes.append(
            f"no max_concurrency (request rate {rate})"
            + (": every request sent at the start, a finite run" if burst else ": concurrency unknown")
        )
    model = d.get("model_id") if isinstance(d.get("model_id"), str) else None
    return BenchmarkResult(
        tool="vllm",
        source=source,
        model=model or None,
        n_requests=int(completed) if completed else None,
        duration_s=duration,
        request_throughput=req_tps,
        output_tokens_per_s=out_tps,
        input_tokens_per_s=in_tps,
        mean_input_tokens=mean_in,
        mean_output_tokens=mean_out,
        mean_ttft_s=ttft / 1000 if ttft else None,
        mean_tpot_s=tpot / 1000 if tpot else None,
        mean_latency_s=e2el / 1000 if e2el else None,
        concurrency=int(conc) if conc else None,
        all_at_once=burst,
        notes=notes,
    )


# ---- genai-perf ------------------------------------------------------------------------------------------
_TIME_UNITS = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_RATE_UNITS = ("tokens/sec", "per sec", "tokens/s", "tok/s")


def _is_genai_perf(d: dict[str, Any]) -> bool:
    m = d.get("output_token_throughput") or d.get("request_throughput")
    return isinstance(m, dict) and "avg" in m


def _metric(d: dict[str, Any], key: str) -> tuple[float | None, str]:
    m = d.get(key)
    if not isinstance(m, dict):
        return None, ""
    return _pos(m.get("avg")), str(m.get("unit", "")).strip()


def _gp_time(d: dict[str, Any], key: str, source: str) -> float | None:
    v, unit = _metric(d, key)
    if v is None:
        return None
    if unit not in _TIME_UNITS:
        raise GpucostError(
            f"{Path(source).name}: {key} has unit '{unit}', not a time unit genai-perf writes",
            hint="expected ms (genai-perf's profile_export_genai_perf.json)",
        )
    return v * _TIME_UNITS[unit]


def parse_genai_perf(d: dict[str, Any], source: str) -> BenchmarkResult:
    """genai-perf ``profile_export_genai_perf.json`` (see module docstring)."""
    notes: list[str] = []
    out_tps, unit = _metric(d, "output_token_throughput")
    if out_tps is not None and unit and unit not in _RATE_UNITS:
        raise GpucostError(
            f"{Path(source).name}: output_token_throughput has unit '{unit}'", hint="expected tokens/sec"
        )
    req_tps, _ = _metric(d, "request_throughput")
    mean_in, _ = _metric(d, "input_sequence_length")
    mean_out, _ = _metric(d, "output_sequence_length")
    count, _ = _metric(d, "request_count")
    in_tps = mean_in * req_tps if mean_in and req_tps else None
    if in_tps is not None:
        notes.append("input tokens/s = mean input_sequence_length x request_throughput")
    cfg = d.get("input_config") if isinstance(d.get("input_config"), dict) else {}
    model = None
    for key in ("model_names", "model"):
        m = cfg.get(key)
        if isinstance(m, list) and m and isinstance(m[0], str):
            model = m[0]
            if len(m) > 1:
                notes.append(f"several models profiled ({', '.join(map(str, m))}); the first is used")
            break
        if isinstance(m, str) and m:
            model = m
            break
    conc = _pos(cfg.get("concurrency"))
    pa = cfg.get("perf_analyzer")
    if conc is None and isinstance(pa, dict) and isinstance(pa.get("stimulus"), dict):
        conc = _pos(pa["stimulus"].get("concurrency"))
    if conc is None:
        notes.append("no concurrency in input_config (request-rate mode?): concurrency unknown")
    return BenchmarkResult(
        tool="genai-perf",
        source=source,
        model=model,
        n_requests=int(count) if count else None,
        request_throughput=req_tps,
        output_tokens_per_s=out_tps,
        input_tokens_per_s=in_tps,
        mean_input_tokens=mean_in,
        mean_output_tokens=mean_out,
        mean_ttft_s=_gp_time(d, "time_to_first_token", source),
        mean_tpot_s=_gp_time(d, "inter_token_latency", source),
        mean_latency_s=_gp_time(d, "request_latency", source),
        concurrency=int(conc) if conc else None,
        notes=notes,
    )


# ---- MLPerf LoadGen --------------------------------------------------------------------------------------
_KV = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")


def _is_mlperf(text: str) -> bool:
    return "MLPerf Results Summary" in text or bool(re.search(r"^\s*Scenario\s*:", text, re.M))


def parse_mlperf(text: str, source: str) -> BenchmarkResult:
    """MLPerf Inference LoadGen ``mlperf_log_summary.txt`` (see module docstring)."""
    kv: dict[str, str] = {}
    for line in text.splitlines():
        m = _KV.match(line)
        if m and m.group(1) not in kv:  # first occurrence wins (the headline section comes first)
            kv[m.group(1)] = m.group(2)

    def f(*keys: str) -> float | None:
        for k in keys:
            if k in kv:
                try:
                    v = float(kv[k].split()[0])
                except (ValueError, IndexError):
                    continue
                if v > 0:
                    return v
        return None

    notes: list[str] = []
    scenario = kv.get("Scenario")
    samples = f("Samples per second", "Completed samples per second")
    if samples is None and f("Scheduled samples per second") is not None:
        samples = f("Scheduled samples per second")
        notes.append("samples/s is the scheduled (offered) rate: no completed rate in the summary")
    tokens = f("Tokens per second", "Completed tokens per second")
    ttft_ns = f("Mean First Token latency (ns)")
    tpot_ns = f("Mean Time to Output Token (ns)", "Mean Time per Output Token (ns)")
    # per-sample latency; in Offline every sample belongs to one query issued at t=0, so it is not a request latency
    lat_ns = f("Mean latency (ns)") if scenario != "Offline" else None
    mean_out = _div(tokens, samples)
    if mean_out is not None:
        notes.append(
            "mean output tokens = tokens/s / samples/s"
            + (" (Server: LoadGen counts samples - 1, error 1/N)" if scenario == "Server" else "")
        )
    n = None
    if scenario == "Offline" and f("samples_per_query"):
        n = int(f("samples_per_query") or 0)
    if kv.get("Mode") and kv["Mode"] != "PerformanceOnly":
        notes.append(f"mode is {kv['Mode']}, not PerformanceOnly: throughput may not be representative")
    if kv.get("Result is"):
        notes.append(f"LoadGen result: {kv['Result is']}")
    if kv.get("SUT name"):
        notes.append(f"SUT name: {kv['SUT name']}")
    return BenchmarkResult(
        tool="mlperf",
        source=source,
        model=None,
        n_requests=n,
        request_throughput=samples,
        output_tokens_per_s=tokens,
        mean_output_tokens=mean_out,
        mean_ttft_s=ttft_ns * 1e-9 if ttft_ns else None,
        mean_tpot_s=tpot_ns * 1e-9 if tpot_ns else None,
        mean_latency_s=lat_ns * 1e-9 if lat_ns else None,
        scenario=scenario,
        notes=notes,
    )


# ---- dispatch --------------------------------------------------------------------------------------------
def read_benchmark(path: str | Path) -> BenchmarkResult:
    """Read one benchmark result file, whatever of the three supported formats it is.

    Raises :class:`GpucostError` (one line) for a missing or unreadable file or an unknown format."""
    p = user_path(path)
    text = _read_text(p)
    src = str(p)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            # ``--append-result`` writes one JSON object per line: take the last complete one
            lines = [ln for ln in stripped.splitlines() if ln.strip()]
            try:
                data = json.loads(lines[-1])
            except (ValueError, IndexError):
                raise GpucostError(f"'{p.name}' is not valid JSON", hint=f"supported formats: {SUPPORTED}") from None
        if isinstance(data, dict):
            if _is_vllm(data):
                return parse_vllm(data, src)
            if _is_genai_perf(data):
                return parse_genai_perf(data, src)
    elif _is_mlperf(text):
        return parse_mlperf(text, src)
    raise GpucostError(f"'{p.name}' is not a benchmark result gpucost can read", hint=f"supported: {SUPPORTED}")
