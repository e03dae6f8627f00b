"""Orchestration: from a resolved query to a :class:`Result` (pvlib's ``ModelChain``, for costs).

Each estimate kind chains the concept modules and assembles one ``Result`` at the end:

- ``inference``: :func:`~engine.serving.serving_setup` sizes a replica and runs the roofline,
  :func:`~engine.service.requests_per_day` gives the traffic the fleet is sized for, and
  :func:`~engine.costs.serving_fields` prices one replica's work and the fleet;
- ``daily``: the same replica (or one from measured throughput, ``decode_tps=``/``prefill_tps=``),
  a fleet of whole replicas for the day's peak, and the day's cost shared over its requests;
- ``train``: :func:`~engine.training.train_plan` and its cost.

Nothing here computes physics the model modules do not. Imports the estimators (``resolve``,
``serving``, ``service``, ``costs``, ``energy``, ``training``); never ``compare``, ``explain``,
``measured``, ``calibration`` or ``commands``, which sit above it.
"""

from __future__ import annotations

from typing import Any

from engine.costs import (
    daily_breakdown,
    daily_fields,
    disagg_breakdown,
    line,
    replica_costs,
    replica_fields,
    request_breakdown,
    serving_fields,
)
from engine.costs import training_breakdown as _training_breakdown
from engine.defaults import DEFAULT_IN, DEFAULT_OUT
from engine.disagg import kv_transfer_s, pools
from engine.energy import energy, energy_detail, energy_step
from engine.errors import GpucostError
from engine.hardware import BYTES, default_dtype
from engine.memory import kv_per_gpu, kv_tokens, min_gpus
from engine.provenance import GIVEN, Ctx
from engine.queueing import queue_wait_s
from engine.resolve import canonical
from engine.results import Result
from engine.runs import finite_run
from engine.service import (
    SECONDS_PER_DAY,
    fleet_replicas,
    lengths_from_tokens,
    peak_to_average,
    requests_per_day,
)
from engine.serving import ServingSetup, length_source, serving_setup, utilisation
from engine.sizing import Asked, decode_pool, prefill_pool, room
from engine.trace import point_trace
from engine.training import train_plan, train_trace
from engine.units import fmt_num


def result(ctx: Ctx, kind: str, query: str, trace: bool, steps: list[dict[str, Any]], **fields: Any) -> Result:
    """The Result of an estimate: its fields, with the context's lines, warnings and inputs."""
    return Result(
        kind=kind,
        query=query,
        currency=ctx.currency,
        price_per_gpu_hour=ctx.price,
        assumptions=ctx.assumptions,
        warnings=ctx.warnings,
        trace=steps if trace else [],
        **fields,
    )


def _cost_step(price: float, gpus: int, t_cycle: float, batch: float, util: float, per_request: float, currency: str):
    return dict(
        name="replica cost per request",
        formula=f"price x GPUs x T_cycle / b / util = {price:.4g} x {gpus} x {t_cycle:.4g} / 3600 / {batch:.4g} / "
        f"{util:g}",
        value=per_request,
        unit=currency,
        ref="reference README: cost",
    )


def infer(ctx: Ctx, trace: bool = True) -> Result:
    """Inference estimate: one replica, its throughput, latency and cost per request / token."""
    s = serving_setup(ctx)
    p, plan = s.point, s.plan
    r_day = requests_per_day(ctx, p.s_in, p.s_out)
    peak = peak_to_average(ctx)
    fields: dict[str, Any] = serving_fields(p, s.gpus, plan.util, ctx.price, r_day, peak)
    steps = point_trace(plan.roofline, ctx.arch, p) if trace else []
    if ctx.price is not None:
        gpu_s = p.gpu_s_per_request  # GPU-seconds of busy time per request
        fleet = fields["cost_per_request"]
        fields["breakdown"] = request_breakdown(gpu_s, p.prefill_share, plan.util, ctx.price, fleet)
        steps += [
            _cost_step(
                ctx.price, s.gpus, p.t_cycle, p.served, plan.util, fields["replica_cost_per_request"], ctx.currency
            ),
            dict(
                name="cost per request",
                formula=f"fleet cost per day / requests per day = {fields['cost_per_day']:.6g} / {fmt_num(r_day)}",
                value=fields["cost_per_request"],
                unit=ctx.currency,
                ref="reference README: fleet",
            ),
        ]
        fields["energy_kwh"], fields["energy_cost"] = energy(ctx, fields["cost_per_day"] / ctx.price)
    _queueing(ctx, s, fields, r_day, peak, steps)
    _cache_split(fields, plan.roofline.cache_hit)
    inputs = {**ctx.inputs, **s.inputs}
    if ctx.given("prompts"):
        inputs.update(_finite_run(ctx, s, steps))
    return result(
        ctx,
        "inference",
        canonical(ctx, "inference", s.gpus),
        trace,
        steps,
        title=f"{ctx.arch.name} on {s.gpus}x {ctx.acc.short} ({plan.dtype})",
        inputs=inputs,
        **fields,
    )


def _queueing(
    ctx: Ctx, s: ServingSetup, fields: dict[str, Any], r_day: float, peak: float, steps: list[dict[str, Any]]
) -> None:
    """With the traffic given (``requests=``, ``users=``, ``tokens_*=``), add the wait for a free
    slot at the peak to the TTFT under load: each replica gets the peak's requests over the fleet,
    its decoding slots each hold a request for one cycle (:func:`engine.queueing.queue_wait_s`,
    M/D/c). Without it the TTFT under load is the replica's own (its running step and the prompt's
    chunks)."""
    p, replicas = s.point, fields.get("replicas")
    if not replicas or fields.get("ttft_loaded_s") is None or not s.plan.limits.queue:
        return
    arrival = r_day / SECONDS_PER_DAY * peak / replicas
    wait = queue_wait_s(arrival, p.served, p.t_cycle)  # each slot serves one request per cycle
    rho = arrival * p.t_cycle / p.served
    fields["ttft_loaded_s"] = p.ttft_loaded_s + wait
    steps.append(
        dict(
            name="queueing wait at the peak",
            formula=f"M/D/c: {arrival:.4g} req/s per replica, {p.served:.4g} slots each held {p.t_cycle:.4g} s "
            f"(load {rho:.2f}): half the Erlang-C M/M/c wait",
            value=wait,
            unit="s",
            ref="Kingman/Cosmetatos approximation; Erlang C",
        )
    )
    ctx.add(
        "TTFT under load",
        f"{fields['ttft_loaded_s'] * 1e3:.4g} ms = {p.ttft_loaded_s * 1e3:.4g} ms for the running step and the "
        f"prompt's chunks + {wait * 1e3:.2f} ms waiting for a slot at the peak (load {rho:.2f} per replica)",
        "queueing at the peak rate over the fleet, M/D/c (half the Erlang-C wait of M/M/c)",
    )
    if s.plan.ttft_max_s is not None and fields["ttft_loaded_s"] > s.plan.ttft_max_s:
        ctx.warn(
            f"TTFT under load at the peak, {fields['ttft_loaded_s']:.3g} s, exceeds ttft_max={s.plan.ttft_max_text} "
            "once the wait for a free slot is counted; a lower util= leaves more slots free"
        )


def _finite_run(ctx: Ctx, s: ServingSetup, steps: list[dict[str, Any]]) -> dict[str, float]:
    """``prompts=N``: the replica running N requests sent at once and drained, as a serving benchmark
    does (:func:`engine.runs.finite_run`), at most its batch running at once."""
    n = int(ctx.opt("prompts"))  # type: ignore[call-overload]
    p = s.point
    run = finite_run(s.plan.roofline, ctx.arch.dims, p.layout, n, p.batch)
    ctx.add(
        "finite run",
        f"{n:,} requests sent at once and drained: {run.output_tokens_per_s:,.4g} output tokens/s (steady state "
        f"{p.output_tokens_per_s:,.4g}), makespan {run.makespan_s:.4g} s, mean TTFT {run.mean_ttft_s * 1e3:.4g} ms",
        "given: the engine's steps from empty slots to the last reply (prefill waves, then the tail)",
        True,
    )
    steps.append(
        dict(
            name="finite run output tokens/s",
            formula=f"{n} x {p.s_out} output tokens / makespan {run.makespan_s:.4g} s ({run.steps} steps)",
            value=run.output_tokens_per_s,
            unit="tok/s",
            ref="engine.runs",
        )
    )
    return {
        "prompts": n,
        "finite_run_output_tokens_per_s": run.output_tokens_per_s,
        "finite_run_makespan_s": run.makespan_s,
        "finite_run_mean_ttft_s": run.mean_ttft_s,
    }


def _cache_split(fields: dict[str, Any], hit: float) -> None:
    """With a prefix cache serving ``hit`` of the input tokens: the input cost over the missed
    tokens only, the price API providers quote as "input"; cache hits skip their prefill, so their
    compute cost is nil (the KV memory they hold narrows the batch, which the output price carries)."""
    per_input = fields.get("cost_per_million_input_tokens")
    if hit > 0 and per_input is not None:
        fields["cost_per_million_cache_miss_input_tokens"] = per_input / (1 - hit)


def _measured_replica(ctx: Ctx, s_in: int, s_out: int) -> tuple[dict[str, Any], int, float, float, float]:
    """Measured mode: a replica's fields, GPUs, GPU-seconds per request, prefill share and
    utilisation from measured per-GPU prefill and decode throughput [tokens/s per GPU]."""
    dec, pre = ctx.opt("decode_tps"), ctx.opt("prefill_tps")
    for limit in ("ttft_max", "tpot_max"):
        if ctx.given(limit):
            raise GpucostError(
                f"{limit}= needs modelled latency, and measured mode (decode_tps=) has none: it would be ignored",
                hint=f"drop {limit}=, or drop decode_tps=/prefill_tps= to size the replica from the roofline",
            )
    if dec is None:
        raise GpucostError(
            "measured mode needs decode_tps= (output tokens/s per GPU)",
            hint="e.g. 'daily 70B 8xH100 decode_tps=2700 prefill_tps=20000'",
        )
    t_out = s_out / float(dec)  # type: ignore[arg-type]
    t_in = s_in / float(pre) if pre else 0.0  # type: ignore[arg-type]
    ctx.add("measured decode throughput", f"{float(dec):g} tokens/s per GPU", GIVEN, True)  # type: ignore[arg-type]
    if pre:
        ctx.add("measured prefill throughput", f"{float(pre):g} tokens/s per GPU", GIVEN, True)  # type: ignore[arg-type]
    else:
        ctx.add(
            "prefill",
            "included in decode_tps",
            "no prefill_tps given: the measured output rate is taken "
            "to include prompt processing (as end-to-end benchmarks report it)",
        )
    if s_in + s_out and (not ctx.given("in") or not ctx.given("out") or ctx.derived):
        ctx.add("request length", f"{s_in} tokens in, {s_out} out", *length_source(ctx))
    gpus = ctx.count or (int(ctx.opt("tp")) if ctx.given("tp") else None)  # type: ignore[call-overload]
    if gpus is None:
        wb = BYTES[str(ctx.opt("dtype"))] if ctx.given("dtype") else BYTES[default_dtype(ctx.acc)[0]]
        need = min_gpus(ctx.arch, ctx.acc.memory_gb or 0, wb, wb, s_in + s_out) if ctx.acc.memory_gb else 1
        gpus = need or 1
        ctx.add("GPUs per replica", str(gpus), "the least on which the model fits (fleet rounds to it)")
    util = utilisation(ctx)
    gpu_s = t_in + t_out
    step = dict(
        name="GPU-seconds per request (measured)",
        formula=f"in / prefill_tps + out / decode_tps = {s_in}/{pre or 'n/a'} + {s_out}/{float(dec):g}",  # type: ignore[arg-type]
        value=gpu_s,
        unit="s",
    )
    fields = {"tokens_per_s_per_gpu": s_out / gpu_s, "tokens_per_s": s_out / gpu_s * gpus, "trace": [step]}
    fields["inputs"] = {**ctx.inputs, "in": s_in, "out": s_out, "mode": "measured", "util": util}
    return fields, gpus, gpu_s, (t_in / gpu_s if gpu_s else 0.0), util


def _modelled_replica(s: ServingSetup) -> tuple[dict[str, Any], float, float]:
    p = s.point
    fields: dict[str, Any] = {**replica_fields(p, s.gpus), "trace": point_trace(s.plan.roofline, p.arch, p)}
    return fields, p.gpu_s_per_request, p.prefill_share


def _fixed_fleet(ctx: Ctx, needed: int, per_replica: int, replica_rps: float, util: float, peak: float) -> int:
    """The replicas of a fleet fixed by ``gpus=``: refused when fewer than the traffic's peak needs
    (never a fleet that cannot serve its traffic, nor a negative headroom line), with what it can
    serve; a fleet larger than needed is taken as given, its spare capacity priced as headroom."""
    fixed = int(ctx.opt("gpus"))  # type: ignore[call-overload]
    replicas = fixed // per_replica
    if replicas < needed:
        can = replicas * replica_rps * util * SECONDS_PER_DAY / peak
        raise GpucostError(
            f"gpus={fixed} is too few: the traffic's peak needs {needed * per_replica} GPUs "
            f"({needed} replicas of {per_replica}) at utilisation {util:g} and peak {peak:g}x; "
            f"{fixed} GPUs serve at most {fmt_num(can)} requests/day",
            hint=f"give gpus={needed * per_replica}, or lower the traffic",
        )
    if fixed % per_replica:
        priced = replicas * per_replica
        ctx.warn(f"gpus={fixed} is not a multiple of {per_replica} GPUs per replica: priced as {priced}")
    return replicas


def daily(ctx: Ctx, trace: bool = True) -> Result:
    """A ChatGPT-like service for a day: fleet size and cost from traffic, lengths, peak and utilisation."""
    lengths_from_tokens(ctx)
    s_in = int(ctx.opt("in", DEFAULT_IN))  # type: ignore[call-overload]
    s_out = int(ctx.opt("out", DEFAULT_OUT))  # type: ignore[call-overload]
    measured = ctx.given("decode_tps") or ctx.given("prefill_tps")
    if measured:
        if ctx.given("cache_hit"):
            raise GpucostError(
                "cache_hit= changes the modelled prefill, and measured mode (prefill_tps=) measures it",
                hint="drop cache_hit= (measure with your cache on), or drop decode_tps=/prefill_tps=",
            )
        fields, per_replica, gpu_s_per_req, prefill_share, util = _measured_replica(ctx, s_in, s_out)
    else:
        s = serving_setup(ctx)
        s_in, s_out, per_replica, util = s.point.s_in, s.point.s_out, s.gpus, s.plan.util
        fields, gpu_s_per_req, prefill_share = _modelled_replica(s)
        fields["inputs"] = {**ctx.inputs, **s.inputs}
    steps = fields.pop("trace")
    r_day = requests_per_day(ctx, s_in, s_out)
    peak = peak_to_average(ctx)
    if ctx.given("disagg"):
        # the colocated replica only lends its trace: its latency warnings are not the pools'
        ctx.warnings = [w for w in ctx.warnings if not w.startswith(("TTFT under load", "time per output token"))]
        return _disaggregated(ctx, trace, fields, steps, None if measured else s, r_day, peak, util, per_replica)
    avg_rps = r_day / SECONDS_PER_DAY
    peak_rps = avg_rps * peak
    replica_rps = per_replica / gpu_s_per_req
    replicas = fleet_replicas(r_day, peak, replica_rps, util)
    if ctx.given("gpus"):
        replicas = _fixed_fleet(ctx, replicas, per_replica, replica_rps, util, peak)
    gpus = replicas * per_replica
    fields.update(replicas=replicas, gpus=gpus, gpus_per_replica=per_replica, requests_per_s=replica_rps)
    if not measured:
        _queueing(ctx, s, fields, r_day, peak, steps)
    fields["inputs"]["requests_per_day"] = r_day
    steps += [
        dict(name="average request rate", formula=f"{fmt_num(r_day)} / 86400 s", value=avg_rps, unit="req/s"),
        dict(name="peak request rate", formula=f"average x {peak:g}", value=peak_rps, unit="req/s"),
        dict(
            name="replica capacity",
            formula=f"GPUs per replica / GPU-seconds per request = {per_replica} / {gpu_s_per_req:.4g}",
            value=replica_rps,
            unit="req/s",
        ),
        dict(
            name="replicas",
            formula=f"ceil(peak / (capacity x util)) = ceil({peak_rps:.4g} / ({replica_rps:.4g} x {util:g}))",
            value=replicas,
            unit="replicas",
            ref="reference README: fleet",
        ),
    ]
    if ctx.price is not None:
        price = ctx.price
        fields.update(daily_fields(gpus, price, r_day, prefill_share, s_in, s_out))
        fields.update(replica_costs(price, gpu_s_per_req, util, prefill_share, s_in, s_out))
        fields["breakdown"] = daily_breakdown(gpus, r_day * gpu_s_per_req / 3600, prefill_share, price)
        day = fields["cost_per_day"]
        steps.append(
            dict(name="cost per day", formula=f"{gpus} GPUs x 24 h x {price:.4g}", value=day, unit=ctx.currency)
        )
        fields["energy_kwh"], fields["energy_cost"] = energy(ctx, gpus * 24)
    if not measured:
        _cache_split(fields, s.plan.roofline.cache_hit)
    return result(
        ctx,
        "daily",
        canonical(ctx, "daily", per_replica),
        trace,
        steps,
        title=f"{ctx.arch.name} service on {ctx.acc.short}",
        **fields,
    )


def _disaggregated(
    ctx: Ctx,
    trace: bool,
    fields: dict[str, Any],
    steps: list[dict[str, Any]],
    s: ServingSetup | None,
    r_day: float,
    peak: float,
    util: float,
    g: int,
) -> Result:
    """A daily service with prefill and decode on separate pools (:mod:`engine.disagg`)."""
    if ctx.given("gpus"):
        raise GpucostError("gpus= fixes one fleet; disagg sizes two pools", hint="drop gpus= or disagg")
    s_in, s_out = int(fields["inputs"]["in"]), int(fields["inputs"]["out"])
    g_pf = g_dec = g
    if s is None:  # measured: each pool's rate per GPU
        if not ctx.given("prefill_tps"):
            raise GpucostError("disagg in measured mode needs prefill_tps= for the prefill pool", hint="add it")
        pf_s, dec_s = s_in / float(ctx.opt("prefill_tps")), s_out / float(ctx.opt("decode_tps"))  # type: ignore[arg-type]
        g_pf = int(ctx.opt("prefill_gpus", g))  # type: ignore[call-overload]
        g_dec = int(ctx.opt("decode_gpus", g))  # type: ignore[call-overload]
    else:
        g_pf, g_dec = _disagg_pools(ctx, s, fields)
        pf_s, dec_s = fields.pop("_pf_s"), fields.pop("_dec_s")
    pl = pools(r_day, peak, util, g_pf, g_dec, pf_s, dec_s)
    ctx.add(
        "disaggregated serving",
        f"prefill pool {pl.prefill_replicas} x {g_pf} GPUs, decode pool {pl.decode_replicas} x {g_dec} GPUs",
        "each pool sized for the peak at the target utilisation (DistServe, arXiv:2401.09670)",
    )
    peak_rps = r_day / SECONDS_PER_DAY * peak
    steps += [
        dict(
            name=f"{pool} pool replicas",
            formula=f"ceil(peak x GPU-s per request / (g x util)) = ceil({peak_rps:.4g} x {gs:.4g} / ({gg} x "
            f"{util:g}))",
            value=n,
            unit="replicas",
            ref="engine.disagg",
        )
        for pool, gs, gg, n in (
            ("prefill", pf_s, g_pf, pl.prefill_replicas),
            ("decode", dec_s, g_dec, pl.decode_replicas),
        )
    ]
    fields.update(replicas=pl.prefill_replicas + pl.decode_replicas, gpus=pl.gpus, gpus_per_replica=g_dec)
    fields["requests_per_s"] = g_dec / dec_s  # a decode replica's capacity
    fields["inputs"].update(
        requests_per_day=r_day,
        disagg=True,
        prefill_replicas=pl.prefill_replicas,
        decode_replicas=pl.decode_replicas,
        prefill_gpus=pl.prefill_gpus,
        decode_gpus=pl.decode_gpus,
        prefill_gpus_per_replica=g_pf,
        decode_gpus_per_replica=g_dec,
    )
    if ctx.price is not None:
        price = ctx.price
        fields.update(daily_fields(pl.gpus, price, r_day, pl.prefill_share, s_in, s_out))
        fields.update(replica_costs(price, pf_s + dec_s, util, pf_s / (pf_s + dec_s), s_in, s_out))
        fields["breakdown"] = disagg_breakdown(pl, r_day, price)
        fields["energy_kwh"], fields["energy_cost"] = energy(ctx, pl.gpus * 24)
    if s is not None:
        _cache_split(fields, s.plan.roofline.cache_hit)
    return result(
        ctx,
        "daily",
        canonical(ctx, "daily", g),
        trace,
        steps,
        title=f"{ctx.arch.name} service on {ctx.acc.short}, prefill and decode disaggregated",
        **fields,
    )


def _disagg_pools(ctx: Ctx, s: ServingSetup, fields: dict[str, Any]) -> tuple[int, int]:
    """Size each pool of a disaggregated service from the roofline (its own GPUs and layout), record
    them, and put each pool's busy GPU-seconds per request in ``fields`` (``_pf_s``, ``_dec_s``)."""
    plan, p, dims = s.plan, s.point, ctx.arch.dims
    rf, s_in, s_out = plan.roofline, p.s_in, p.s_out

    def asked(key: str) -> Asked:
        base = plan.asked
        g = int(ctx.opt(key)) if ctx.given(key) else base.gpus  # type: ignore[call-overload]
        return Asked(gpus=g, tp=base.tp, pp=base.pp, dp=base.dp, ep=base.ep, domain=base.domain)

    pf = prefill_pool(dims, rf, asked("prefill_gpus"))
    dec = decode_pool(dims, rf, asked("decode_gpus"), plan.batch_opt, plan.tpot_max_s)
    if pf is None or dec is None:
        raise GpucostError(f"{ctx.arch.name} fits no {ctx.acc.short} replica for a pool", hint="use a larger GPU")
    for name, pool, what in (
        ("prefill pool", pf, "prompt tokens/s per GPU in full steps of the budget"),
        ("decode pool", dec, "output tokens/s per GPU in decode-only steps"),
    ):
        lay = pool.layout
        given = ctx.given("prefill_gpus" if pool is pf else "decode_gpus")
        ranked = sorted(pool.tried, key=lambda x: -x[1])[:3]
        ctx.add(
            name,
            f"{lay.gpus}x {ctx.acc.short} as {lay.describe()}"
            + (f", batch {pool.batch:,}, {pool.step_s * 1e3:.3g} ms per step" if pool is dec else ""),
            ("GPUs given; " if given else "")
            + f"the most {what} of {len(pool.tried)} layouts tried ("
            + ", ".join(f"{x.gpus}x {x.describe()} {r:,.0f}" for x, r in ranked)
            + ")",
            given,
        )
    kv_gpu = kv_per_gpu(dims, rf.kv_bytes, pf.layout.tp) * kv_tokens(dims, s_in) / s_in  # a prefill GPU's shard
    transfer = kv_transfer_s(s_in, kv_gpu, ctx.acc.scaleout_gb_s)
    if transfer is None:
        ctx.warn(
            f"KV transfer from the prefill to the decode pool not charged: the catalog has no scale-out "
            f"network bandwidth for {ctx.acc.short}"
        )
        transfer = 0.0
    else:
        ctx.add(
            "KV transfer",
            f"{transfer * 1e3:.3g} ms per request ({s_in} tokens of KV, {ctx.acc.scaleout_gb_s:g} GB/s per GPU)",
            "prefill to decode pool over the scale-out network, added to TTFT",
        )
    ttft = rf.point(dims, pf.layout, 1).ttft_s + transfer  # an idle prefill replica's TTFT
    if plan.ttft_max_s is not None and ttft > plan.ttft_max_s:
        ctx.warn(
            f"TTFT {ttft:.3g} s (a prefill replica's prompt and the KV transfer) exceeds "
            f"ttft_max={plan.ttft_max_text}; prefill_gpus= with more GPUs per prefill replica would cut it"
        )
    dec_point = rf.point(dims, dec.layout, dec.batch)
    fields.update(
        tokens_per_s=dec.batch / dec.step_s,  # a decode replica's
        tokens_per_s_per_gpu=dec.batch / dec.step_s / dec.layout.gpus,
        max_batch=room(dims, rf, dec.layout, s_in + s_out),
        memory_per_gpu_gb=dec_point.memory_per_gpu_gb,
        ttft_s=ttft,
        tpot_s=dec.step_s,
        request_latency_s=ttft + s_out * dec.step_s,
        batch=dec.batch,
        _pf_s=pf.gpu_s,
        _dec_s=dec.gpu_s,
    )
    fields.pop("ttft_loaded_s", None)
    return pf.layout.gpus, dec.layout.gpus


def train(ctx: Ctx, trace: bool = True) -> Result:
    """Training run: model FLOPs, GPU-hours at steady-state MFU and goodput, wall-clock and cost."""
    t = train_plan(ctx)
    fields: dict[str, Any] = {}
    if ctx.price is not None:
        fields["cost"] = t.gpu_hours * ctx.price
        fields["breakdown"] = _training_breakdown(t.steady_h, t.gpu_hours, t.goodput, ctx.price)
        if t.step is not None:  # the steady-state line split by where a step's time goes
            fields["breakdown"][:1] = [
                line(what, t.steady_h * share, "GPU-h", ctx.price, t.steady_h * share * ctx.price)
                for what, share in t.step.shares().items()
                if share > 0
            ]
    steps = train_trace(ctx.arch, t) if trace else []
    detail = energy_detail(ctx, t.gpu_hours)
    if detail is not None:
        fields["energy_kwh"], fields["energy_cost"], rates = detail
        steps.append(energy_step(rates, t.gpu_hours, fields["energy_kwh"]))
    inputs = {**ctx.inputs, "tokens": t.tokens, "seq": t.seq, "mfu": t.mfu, "goodput": t.goodput, "dtype": t.dtype}
    if t.step is not None:
        s = t.step
        inputs.update(tp=s.tp, pp=s.pp, dp=s.dp, vpp=s.vpp, global_batch=s.global_batch, micro_batch=s.micro_batch)
        inputs.update(pipeline_bubble=s.bubble, mfu_with_layout=s.mfu, step_s=s.t_step)
    return result(
        ctx,
        "train",
        canonical(ctx, "train", t.gpus if not ctx.count else None),
        trace,
        steps,
        title=f"train {ctx.arch.name} on {fmt_num(t.tokens)} tokens, {t.gpus}x {ctx.acc.short}",
        inputs=inputs,
        gpus=t.gpus,
        flops=t.flops,
        gpu_hours=t.gpu_hours,
        days=t.days,
        **fields,
    )


ESTIMATES = {"inference": infer, "daily": daily, "train": train}
