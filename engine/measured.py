"""Measured-data mode: price real serving-benchmark results, and calibrate from them.

``gpucost import FILE <gpu> [price] [key=value ...]`` prices a measured run with the engine's own
``daily`` estimate in measured mode (``decode_tps=`` per GPU from the file); ``gpucost calibrate NAME
FILE... <model> <gpu> [key=value ...]`` fits the roofline's efficiencies to one or more runs
(:mod:`engine.calibration`) and saves a named profile for ``calibration=NAME``. The files are read
by :mod:`engine.benchmarks` (its docstring says what each format holds and how it was checked).

Sits above the estimators (it runs :func:`engine.chain.daily` in measured mode and
fits through :mod:`engine.calibration`); nothing in the engine imports it but ``commands`` and ``cli``.
"""

from __future__ import annotations

from pathlib import Path

from engine.benchmarks import SUPPORTED, BenchmarkResult, read_benchmark
from engine.catalog import variant_of
from engine.chain import ESTIMATES
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.resolve import resolve, resolve_arch
from engine.results import Assumption, Result, Table

__all__ = ["SUPPORTED", "BenchmarkResult", "calibrate", "cli_command", "import_result", "read_benchmark"]


# ---- argument handling -----------------------------------------------------------------------------------
def _split_args(args: list[str], sub: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Positionals and ``key=value`` pairs after the subcommand word."""
    rest = list(args)
    if rest[:1] and rest[0].lower() == sub:
        rest = rest[1:]
    from engine.query import FLAGS

    pos: list[str] = []
    kvs: list[tuple[str, str]] = []
    for tok in rest:
        if tok.lower() in FLAGS:
            kvs.append(FLAGS[tok.lower()])
        elif "=" in tok and not tok.startswith("=") and not Path(tok).exists():
            k, v = tok.split("=", 1)
            kvs.append((k.strip().lower().replace("-", "_"), v))
        else:
            pos.append(tok)
    return pos, kvs


def _needs(b: BenchmarkResult, what: str, hint: str) -> None:
    raise GpucostError(f"{Path(b.source).name} ({b.tool_label}) has no {what}", hint=hint)


def _resolve_model(b: BenchmarkResult, given: str | None) -> tuple[str, str]:
    """The model token to query with, and where it came from."""
    if given:
        resolve_arch(given)  # a bad name fails here with the catalog's suggestions
        return given, "given as model="
    if b.model:
        try:
            resolve_arch(b.model)
            base = variant_of(b.model)
            where = f"named in {Path(b.source).name}"
            if base is not None:  # a fine-tuned release: the base model's architecture
                return base, f"{where} as '{b.model}', a release of {base} with its architecture"
            return b.model, where
        except GpucostError:
            raise GpucostError(
                f"the model in {Path(b.source).name} ('{b.model}') is not in the catalog",
                hint="add model=NAME (a catalog model from 'gpucost models', or a parameter count like model=8B)",
            ) from None
    raise GpucostError(
        f"{Path(b.source).name} ({b.tool_label}) does not name the model",
        hint="add model=NAME, e.g. model=llama-2-70b ('gpucost models' lists them)",
    )


def _gpu_count(gpu_token: str) -> tuple[int | None, str]:
    from engine.catalog import parse_gpu_spec, resolve_gpu

    count, name = parse_gpu_spec(gpu_token)
    resolve_gpu(name)  # unknown GPU: one-line error with suggestions
    return count, name


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


# ---- import ----------------------------------------------------------------------------------------------
def import_result(args: list[str], config: EngineConfig) -> Result:
    """``import FILE <gpu> [price] [key=value ...]``: the engine's ``daily`` estimate in measured mode,
    with per-GPU ``decode_tps`` = measured output tokens/s / GPUs and the measured mean lengths."""
    from engine.query import parse_query

    pos, kvs = _split_args(args, "import")
    usage = "usage: gpucost import FILE <gpu> [price] [key=value ...], e.g. 'import result.json 8xH100 2.5usd'"
    if not pos:
        raise GpucostError("import needs a benchmark result file", hint=usage)
    if len(pos) < 2:
        raise GpucostError(f"import {pos[0]}: which GPUs ran it?", hint="add e.g. 8xH100 after the file; " + usage)
    if len(pos) > 3:
        raise GpucostError(f"unexpected '{pos[3]}'", token=pos[3], hint=usage)
    b = read_benchmark(pos[0])
    gpu_token = pos[1]
    price = pos[2] if len(pos) > 2 else None
    opts = dict(kvs)
    for k in ("decode_tps", "prefill_tps"):
        if k in opts:
            raise GpucostError(f"{k}= comes from the imported file", hint=f"drop {k}=, or use 'gpucost daily ...'")
    model_tok, model_src = _resolve_model(b, opts.pop("model", None))
    count, gpu_name = _gpu_count(gpu_token)
    if count is None:
        # The per-GPU rate is the whole system's rate over its GPUs: guessing the count would
        # silently scale every cost.
        raise GpucostError(
            f"how many {gpu_name} GPUs ran '{Path(pos[0]).name}'?",
            token=gpu_token,
            hint=f"write the count, e.g. 8x{gpu_name}",
        )
    gpus = count
    if b.output_tokens_per_s is None:
        _needs(b, "output token throughput", "import needs a run that reports output tokens/s")
    per_gpu = b.output_tokens_per_s / gpus  # type: ignore[operator]
    tokens = ["daily", model_tok, gpu_token]
    if price:
        tokens.append(price)
    tokens += [f"{k}={v}" for k, v in opts.items()]
    tokens.append(f"decode_tps={per_gpu!r}")
    warnings: list[str] = []
    if "in" not in opts:
        if b.mean_input_tokens:
            tokens.append(f"in={max(1, round(b.mean_input_tokens))}")
        else:
            warnings.append(f"{Path(b.source).name} gives no prompt lengths: in= is the engine's default; give in=")
    if "out" not in opts:
        if b.mean_output_tokens:
            tokens.append(f"out={max(1, round(b.mean_output_tokens))}")
        else:
            _needs(b, "output lengths", "give out=N (mean generated tokens per request)")
    q = parse_query(tokens)
    res = ESTIMATES[q.kind](resolve(q, config))

    name = Path(b.source).name
    src = f"{b.tool_label} result {b.source}"
    extra = [
        Assumption(name="measured run", value=f"{name} ({b.tool_label})", source=src),
        Assumption(
            name="model (sets the replica)",
            value=model_tok,
            source=model_src,
            user_given=model_src.startswith("given"),
        ),
        Assumption(
            name="measured output throughput",
            value=f"{_fmt(b.output_tokens_per_s)} tokens/s on {gpus} GPU(s) = {_fmt(per_gpu)} per GPU (decode_tps)",
            source=src,
        ),
    ]
    lengths = []
    if b.mean_input_tokens:
        lengths.append(f"{b.mean_input_tokens:.1f} tokens in")
    if b.mean_output_tokens:
        lengths.append(f"{b.mean_output_tokens:.1f} out")
    if lengths:
        extra.append(Assumption(name="measured mean request length", value=", ".join(lengths), source=src))
    if b.mean_ttft_s or b.mean_tpot_s or b.mean_latency_s:
        lat = []
        if b.mean_ttft_s:
            lat.append(f"TTFT {b.mean_ttft_s * 1e3:.4g} ms")
        if b.mean_tpot_s:
            lat.append(f"TPOT {b.mean_tpot_s * 1e3:.4g} ms")
        if b.mean_latency_s:
            lat.append(f"request {b.mean_latency_s:.4g} s")
        extra.append(Assumption(name="measured latency (mean)", value=", ".join(lat), source=src))
    if b.concurrency:
        extra.append(Assumption(name="measured concurrency", value=str(b.concurrency), source=src))
    predicted = _predict_run(b, model_tok, gpu_token, opts, config)
    if predicted is not None:
        extra.append(predicted[0])
    if b.scenario:
        extra.append(Assumption(name="MLPerf scenario", value=b.scenario, source=src))
    for n in b.notes:
        if n.startswith("LoadGen result: INVALID"):
            warnings.append(f"{name}: the LoadGen run is INVALID (constraints not met)")
    model_name = str(res.inputs.get("model_name") or model_tok)
    title = (
        f"imported {b.tool_label} run ({name}): {model_name} on {gpus}x {res.inputs.get('gpu_name', gpu_name)}, "
        f"{_fmt(b.output_tokens_per_s)} output tokens/s measured"
    )
    inputs = {
        **res.inputs,
        **({"predicted_output_tokens_per_s": predicted[1]} if predicted is not None else {}),
        "source_file": b.source,
        "tool": b.tool,
        "measured_output_tokens_per_s": b.output_tokens_per_s,
        "measured_gpus": gpus,
    }
    update: dict[str, object] = {
        "title": title,
        "assumptions": extra + list(res.assumptions),
        "warnings": warnings + list(res.warnings),
        "inputs": inputs,
    }
    if b.mean_ttft_s and b.mean_tpot_s and b.mean_latency_s:  # the measured latencies, only when all are known
        update.update(ttft_s=b.mean_ttft_s, tpot_s=b.mean_tpot_s, request_latency_s=b.mean_latency_s)
    return res.model_copy(update=update)


def _predict_run(
    b: BenchmarkResult, model_tok: str, gpu_token: str, opts: dict[str, str], config: EngineConfig
) -> tuple[Assumption, float] | None:
    """The engine's own prediction for the measured run, like for like: the modelled replica (its
    layout and engine preset) running the file's requests, as a finite run when they were all sent
    at once (:func:`engine.runs.finite_run`), else at the measured concurrency; None when the file
    lacks the request count or lengths, or the model does not fit."""
    from engine.query import parse_query
    from engine.runs import finite_run
    from engine.serving import serving_setup

    if not b.n_requests or not b.mean_output_tokens or not (b.all_at_once or b.concurrency):
        return None
    keep = {k: v for k, v in opts.items() if k in ("dtype", "kv", "engine", "tp", "pp", "dp", "ep", "cache_hit")}
    s_in = opts.get("in") or str(max(1, round(b.mean_input_tokens or 0))) if b.mean_input_tokens else opts.get("in")
    tokens = [model_tok, gpu_token, f"out={opts.get('out') or max(1, round(b.mean_output_tokens))}"]
    tokens += [f"in={s_in}"] if s_in else []
    tokens += [f"{k}={v}" for k, v in keep.items()]
    try:
        ctx = resolve(parse_query(tokens), config)
        s = serving_setup(ctx)
    except GpucostError:
        return None
    p, rf = s.point, s.plan.roofline
    cap = min(b.concurrency or p.max_batch, p.max_batch, rf.max_seqs * p.layout.dp)
    run = finite_run(rf, ctx.arch.dims, p.layout, b.n_requests, max(cap, 1))
    how = (
        f"{b.n_requests} requests sent at once and drained: makespan {run.makespan_s:.4g} s, mean TTFT "
        f"{run.mean_ttft_s * 1e3:.4g} ms"
        if b.all_at_once
        else f"{b.n_requests} requests at concurrency {b.concurrency}"
    )
    value = f"{_fmt(run.output_tokens_per_s)} output tokens/s ({how}; steady state {_fmt(p.output_tokens_per_s)})"
    src = f"the modelled replica, {p.gpus}x {ctx.acc.short} as {p.layout.describe()}, engine {rf.preset.name}"
    return Assumption(name="engine's prediction for this run", value=value, source=src), run.output_tokens_per_s


# ---- calibrate -------------------------------------------------------------------------------------------
_CALIBRATE_KEYS = ("dtype", "kv", "batch", "tp", "in", "out", "batching", "out_spread")


def calibrate(args: list[str], config: EngineConfig) -> Result:
    """``calibrate NAME FILE... <model> <gpu> [key=value ...]``: fit compute and bandwidth efficiency
    to the files' measurements (:func:`engine.calibration.make_profile`) and save the profile."""
    from engine.calibration import Measurement, make_profile, predict, save_profile
    from engine.query import parse_option

    usage = "usage: gpucost calibrate NAME FILE... <model> <gpu> [dtype=..] [batch=..] [tp=..]"
    pos, kvs = _split_args(args, "calibrate")
    if len(pos) < 4:
        raise GpucostError("calibrate needs a profile name, result file(s), the model and the GPU", hint=usage)
    name, files, model_tok, gpu_token = pos[0], pos[1:-2], pos[-2], pos[-1]
    if Path(model_tok).is_file() or Path(gpu_token).is_file():
        raise GpucostError("the model and the GPU come after the files", hint=usage)
    opts: dict[str, object] = {}
    for k, raw in kvs:
        ck, v, _ = parse_option(k, raw)
        if ck not in _CALIBRATE_KEYS:
            raise GpucostError(
                f"calibrate does not take {ck}=", token=f"{k}={raw}", hint="it takes " + ", ".join(_CALIBRATE_KEYS)
            )
        if ck == "batch" and v == "max":
            raise GpucostError("batch=max is not a measurement", hint="give the benchmark's concurrency, e.g. batch=32")
        opts[ck] = v
    resolve_arch(model_tok)
    count, gpu_name = _gpu_count(gpu_token)
    if count is None:
        raise GpucostError(
            f"how many {gpu_name} GPUs ran the benchmark?", token=gpu_token, hint=f"write the count, e.g. 8x{gpu_name}"
        )
    system_gpus = count
    replica_gpus = int(opts.get("tp", system_gpus))  # type: ignore[call-overload]
    if system_gpus % replica_gpus:
        raise GpucostError(
            f"tp={replica_gpus} does not divide {system_gpus} GPUs", hint="give the GPUs of one replica as tp="
        )
    replicas = system_gpus // replica_gpus
    measurements: list[Measurement] = []
    rows: list[list[object]] = []
    for f in files:
        b = read_benchmark(f)
        fname = Path(b.source).name
        batch = opts.get("batch") or b.concurrency
        if not batch:
            _needs(b, "concurrency", "add batch=N (the concurrent requests the benchmark kept in flight)")
        s_in = opts.get("in") or (round(b.mean_input_tokens) if b.mean_input_tokens else None)
        s_out = opts.get("out") or (round(b.mean_output_tokens) if b.mean_output_tokens else None)
        if not s_in:
            _needs(b, "prompt lengths", "add in=N (mean prompt tokens)")
        if not s_out:
            _needs(b, "output lengths", "add out=N (mean generated tokens)")
        if not (b.output_tokens_per_s or b.mean_ttft_s or b.mean_tpot_s):
            _needs(b, "throughput or latency", "calibration needs output tokens/s, TTFT or TPOT")
        per_batch = max(1, round(int(batch) / replicas))  # type: ignore[call-overload]
        m = Measurement(
            model=model_tok,
            gpu=gpu_name,
            gpus=replica_gpus,
            dtype=str(opts["dtype"]) if "dtype" in opts else None,
            kv=str(opts["kv"]) if "kv" in opts else None,
            batch=per_batch,
            s_in=int(s_in),  # type: ignore[call-overload]
            s_out=int(s_out),  # type: ignore[call-overload]
            output_tokens_per_s=b.output_tokens_per_s / replicas if b.output_tokens_per_s else None,
            # The roofline's TTFT is one unloaded prefill. With more than one request in flight a
            # measured TTFT also holds the wait behind other prefills (vLLM's 1.8 s at concurrency 64
            # in the fixture): only single-request runs are fitted on it.
            ttft_s=b.mean_ttft_s if (per_batch == 1 and b.tool != "mlperf") else None,
            tpot_s=b.mean_tpot_s,
            static_batching=opts.get("batching") == "static",
            out_spread=float(opts.get("out_spread", 1.0)),  # type: ignore[arg-type]
            source=b.source,
        )
        measurements.append(m)
        rows.append([fname, b.tool, per_batch, m.s_in, m.s_out, m.output_tokens_per_s, m.ttft_s, m.tpot_s])
    profile = make_profile(name, measurements)
    at_bound = [
        f"{label} {v:g}"
        for label, v in (("compute", profile.compute_efficiency), ("bandwidth", profile.bandwidth_efficiency))
        if v <= 0.05 or v >= 1.0
    ]
    if at_bound or profile.rms_log_error > MAX_FIT_ERROR:
        # A fit pinned at the edge of the range, or far from the data, would poison later estimates.
        why = (
            f"efficiency at the edge of its range ({', '.join(at_bound)})"
            if at_bound
            else (f"{profile.rms_log_error * 100:.0f}% RMS error")
        )
        raise GpucostError(
            f"not saved: the roofline cannot reproduce these runs at any efficiency ({why})",
            hint="check the model, the GPU count, dtype= and batch= (the concurrency the benchmark kept in flight)",
        )
    path = save_profile(profile, config)
    for row, m in zip(rows, measurements, strict=True):
        p = predict(m, profile.compute_efficiency, profile.bandwidth_efficiency)
        row[5:] = [
            _pair(m.output_tokens_per_s, p.output_tokens_per_s),
            _pair(m.ttft_s, p.ttft_s, 1e3),
            _pair(m.tpot_s, p.tpot_s, 1e3),
        ]
    ce, be = profile.compute_efficiency, profile.bandwidth_efficiency
    src = f"fitted to {len(measurements)} measurement(s) by engine.calibration.fit_efficiency (least squared log error)"
    assumptions = [
        Assumption(name="compute efficiency", value=f"{ce:g}", source=src),
        Assumption(name="bandwidth efficiency", value=f"{be:g}", source=src),
        Assumption(
            name="fit error",
            value=f"{profile.rms_log_error * 100:.1f}% RMS (log) over {len(measurements)} run(s)",
            source=src,
        ),
        Assumption(
            name="measured setup",
            value=f"{model_tok} on {system_gpus}x {gpu_name} ({replicas} replica(s) of {replica_gpus} GPU(s))",
            source="given in the command",
            user_given=True,
        ),
        Assumption(name="saved to", value=str(path), source="calibration profile directory"),
        Assumption(
            name="use it",
            value=f"calibration={name}, e.g. 'gpucost {model_tok} {gpu_name} calibration={name}'",
            source="any query (CLI, Slack, Excel)",
        ),
    ]
    warnings = []
    if profile.rms_log_error > 0.25:
        warnings.append(
            f"the fit is loose ({profile.rms_log_error * 100:.0f}% RMS): the roofline does not reproduce these runs "
            "well; check the model, GPU count, dtype= and batch="
        )
    if len(measurements) == 1 and not (measurements[0].ttft_s and measurements[0].tpot_s):
        warnings.append(
            "one run without both TTFT and TPOT pins down one efficiency at most; add runs at other batches"
        )
    canon = " ".join(["calibrate", name, *files, model_tok, gpu_token, *(f"{k}={v}" for k, v in kvs)])
    return Result(
        kind="import",
        query=canon,
        title=(
            f"calibration profile '{name}': compute efficiency {ce:g}, bandwidth efficiency {be:g} "
            f"(rms error {profile.rms_log_error * 100:.1f}%), saved to {path}"
        ),
        inputs={
            "profile": name,
            "path": str(path),
            "compute_efficiency": ce,
            "bandwidth_efficiency": be,
            "rms_log_error": profile.rms_log_error,
            "model": model_tok,
            "gpu": gpu_name,
            "files": [m.source for m in measurements],
        },
        assumptions=assumptions,
        warnings=warnings,
        table=Table(
            columns=["file", "tool", "batch", "in", "out", "tok/s measured/fit", "TTFT ms", "TPOT ms"], rows=rows
        ),
    )


#: Largest RMS log error of a fit that is still saved as a profile (30%).
MAX_FIT_ERROR = 0.30


def _pair(meas: float | None, pred: float, scale: float = 1.0) -> str:
    """'measured / fitted' for the calibration table."""
    if not meas:
        return f"- / {pred * scale:.4g}"
    return f"{meas * scale:.4g} / {pred * scale:.4g}"


# ---- entry point -----------------------------------------------------------------------------------------
def cli_command(args: list[str], config: EngineConfig) -> Result:
    """``gpucost import ...`` and ``gpucost calibrate ...`` (the CLI dispatches here)."""
    head = args[0].lower() if args else ""
    if head == "import":
        return import_result(args, config)
    if head == "calibrate":
        return calibrate(args, config)
    raise GpucostError(f"unknown subcommand '{head}'", hint="use 'gpucost import FILE ...' or 'gpucost calibrate ...'")
