"""``gpucost curve``: throughput per GPU against interactivity over batch sizes, for one model and GPU.

Public inference benchmarks plot a serving configuration as a curve: output tokens per second per
GPU (what the hardware earns) against output tokens per second per user, ``1 / TPOT`` (what each
user sees), one point per concurrency, one curve per parallel layout, and the envelope of the
curves as the frontier (SemiAnalysis InferenceMAX, 2025: "token throughput per GPU vs. interactivity
tok/s/user"). Here each point is the serving model's replica (:mod:`engine.inference`) at one batch:
every power of two up to the largest batch that fits (capped per data-parallel rank, as a
daily estimate caps it), and that largest batch; for each layout the replica search tries
(:func:`engine.sizing.candidates` at each GPU count :func:`engine.sizing.replica_counts` gives), or
only the one the query fixes (``8xH100``, ``tp=``...). With a price, each point also has one
replica's cost per million output tokens at the target utilisation (``replica_cost_*`` of an
inference estimate). Each row's ``query`` is the inference query that reproduces it. The batches
start at ``dp x pp`` (:func:`engine.sizing.batch_ladder`): below it some data-parallel rank or
pipeline stage would have no sequence.

Imports the estimators (``resolve``, ``serving``, ``sizing``, ``costs``); never the front ends.
"""

from __future__ import annotations

from typing import Any

from engine.config import EngineConfig
from engine.costs import replica_costs
from engine.errors import GpucostError
from engine.layout import Layout
from engine.provenance import Ctx, assumption
from engine.query import Query
from engine.resolve import canonical, priced, resolve
from engine.results import Result, Table
from engine.serving import ServingPlan, check_context, serving_plan
from engine.sizing import Asked, Limits, batch_for, batch_ladder, candidates, replica_counts, room, size_dims

COLUMNS = [
    "layout", "gpus_per_replica", "batch", "tokens_per_s_per_gpu", "tokens_per_s_per_user", "tpot_s", "ttft_s",
    "ttft_loaded_s", "request_latency_s", "replica_cost_per_million_output_tokens", "pareto", "query",
]  # fmt: skip
#: Lines of the estimate that describe one replica (they vary along the curve, so they are left out).
REPLICA_LINES = ("GPUs per replica", "parallel layout", "batch")


def _layouts(ctx: Ctx, plan: ServingPlan) -> list[Layout]:
    """The layouts the curve spans: the one the query fixes, else every one the replica search tries."""
    rf, asked, dims = plan.roofline, plan.asked, ctx.arch.dims
    if asked.gpus is not None or asked.layout_given:
        sized = size_dims(dims, rf, asked, None, Limits())
        if sized is None:
            return []
        if asked.gpus is not None and sized.gpus != asked.gpus:
            ctx.warn(
                f"does not fit: {ctx.arch.name} at {plan.dtype} needs at least {sized.need}x {ctx.acc.short}, not "
                f"{asked.gpus}; the curve is of {sized.gpus}x"
            )
        return [sized.layout]
    counts = replica_counts(dims, rf, Asked())
    return [lay for g in counts for lay in candidates(dims, dims.n_heads, g, rf.domain, asked)]


def _frontier(rows: list[dict[str, Any]]) -> None:
    """Mark the envelope: no other point has as much throughput per GPU and as much per user, and more of one."""
    best = -1.0
    for row in sorted(rows, key=lambda r: (-r["tokens_per_s_per_user"], -r["tokens_per_s_per_gpu"])):
        row["pareto"] = row["tokens_per_s_per_gpu"] > best
        best = max(best, row["tokens_per_s_per_gpu"])


def curve(q: Query, config: EngineConfig) -> Result:
    """The throughput-interactivity curve of ``q`` (see the module docstring)."""
    ctx = resolve(q.model_copy(update={"kind": "inference"}, deep=True), config)
    plan = serving_plan(ctx)
    arch, rf = ctx.arch, plan.roofline
    dims = arch.dims
    if check_context(arch, plan.s_in, plan.s_out):
        ctx.warn(f"in+out = {plan.s_in + plan.s_out} tokens exceeds the assumed context of {arch.max_context}")
    seq = plan.s_in + plan.s_out
    rows: list[dict[str, Any]] = []
    gpu = ctx.acc.query_name
    base = {k: v for k, v in q.options.items() if k not in ("tp", "pp", "dp", "ep", "nodes")}
    for lay in _layouts(ctx, plan):
        fits = room(dims, rf, lay, seq)
        if fits < 1:
            continue
        top, _, _ = batch_for(rf, dims, lay, fits, None, Limits())
        for b in [*batch_ladder(lay, top), top]:
            t = rf.terms(dims, lay, b)
            p = rf.point(dims, lay, b, t)
            g = lay.gpus
            cost = None
            if ctx.price is not None:
                cost = replica_costs(ctx.price, p.gpu_s_per_request, plan.util, p.prefill_share, p.s_in, p.s_out)
                cost = cost["replica_cost_per_million_output_tokens"]
            opts = {**base, **lay.query_options(), "batch": str(b)}
            if plan.asked.domain is not None and "nodes" in q.options:
                opts["nodes"] = q.options["nodes"]
            query = Query(
                kind="inference", model=q.model if arch.inferred else arch.id, gpu=f"{g}x{gpu}",
                price=priced(q.price, config), options=opts,
            ).canonical()  # fmt: skip
            rows.append(
                {
                    "layout": lay.describe(), "gpus_per_replica": g, "batch": b,
                    "tokens_per_s_per_gpu": p.output_tokens_per_s / g, "tokens_per_s_per_user": 1 / p.tpot_s,
                    "tpot_s": p.tpot_s, "ttft_s": p.ttft_s, "ttft_loaded_s": p.ttft_loaded_s,
                    "request_latency_s": p.latency_s, "replica_cost_per_million_output_tokens": cost,
                    "pareto": False, "query": query,
                }
            )  # fmt: skip
    if not rows:
        raise GpucostError(
            f"{arch.name} fits no {ctx.acc.short} replica of the layout asked",
            hint="give more GPUs (e.g. 8x" + gpu + ") or leave the layout out",
        )
    _frontier(rows)
    lines = [a for a in ctx.assumptions if a.name not in REPLICA_LINES]
    lines.append(
        assumption(
            "curve",
            f"{len(rows)} points: each power-of-two batch up to the largest that fits (capped per data-parallel rank) "
            "and that batch, per layout; frontier: no other point has as many tokens/s per GPU and per user",
            "the throughput-interactivity plot of public inference benchmarks (SemiAnalysis InferenceMAX, 2025)",
        )
    )
    return Result(
        kind="curve",
        query=canonical(ctx, "curve"),
        title=f"{arch.name} on {ctx.acc.short} ({plan.dtype}, {rf.preset.name}): output tokens/s per GPU against "
        "tokens/s per user",
        currency=ctx.currency,
        price_per_gpu_hour=ctx.price,
        inputs={
            **ctx.inputs, "dtype": plan.dtype, "engine": rf.preset.name, "in": plan.s_in, "out": plan.s_out,
            "util": plan.util, "points": len(rows),
        },
        table=Table(columns=list(COLUMNS), rows=[[row[c] for c in COLUMNS] for row in rows]),
        assumptions=lines,
        warnings=ctx.warnings,
    )
