"""``gpucost plan``: the cheapest way to serve a workload within its latency limits, and whether an API
is cheaper.

The search (:mod:`engine.plan`) gives each GPU kind's configurations meeting the limits, priced
nowhere yet. Here:

- **Prices.** Per GPU kind: the price ``gpus=GPU@PRICE`` gives, else a settings override, else each
  provider's cheapest matching catalog row (on-demand, or ``spot``; rows that include the host VM
  preferred; ``provider=``/``region=`` narrow them), found with :func:`engine.prices.lowest_price`
  for its provider and region, exactly the row a query naming them prices. Each configuration's
  performance is computed once and multiplied by every price row of its GPU kind.
- **Rows.** Per GPU kind, the configurations no other beats on fleet GPUs, cost share of output,
  TPOT and TTFT (:func:`engine.plan.undominated`), each at each price; ranked by cost per day.
  ``pareto`` marks the frontier of cost per million output tokens against time per output token:
  no other row is cheaper per output token and at least as fast, or faster and at least as cheap.
  ``query`` is the daily query that reproduces the row.
- **API.** Every published offer for the model (:mod:`engine.api_prices`), priced for the workload
  (``cache_hit=`` of input tokens at the cached-input price), and the break-even traffic
  (:mod:`engine.breakeven`): above it the cheapest self-hosted configuration (any of those meeting
  the limits, at its cheapest price) always costs less per day than the cheapest offer.

Imports ``plan`` and the catalogs; never ``commands``, ``format`` or the front ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from engine import breakeven as be
from engine.api_prices import price_workload
from engine.architecture import ModelArch
from engine.catalog import Accelerator, list_gpus, parse_gpu_spec, resolve_gpu
from engine.config import EngineConfig
from engine.costs import daily_fields
from engine.errors import GpucostError, UnknownNameError, suggest
from engine.fx import cny_per_usd, convert, normalise_currency
from engine.plan import ROW_OPTIONS, Point, Search, fields_of, search, undominated
from engine.prices import all_prices, lowest_price, prices_for
from engine.provenance import GIVEN, assumption
from engine.query import Query
from engine.resolve import priced, resolve_arch
from engine.results import ApiOffer, Assumption, Result, Table
from engine.service import SECONDS_PER_DAY
from engine.support import SUPPORT_SOURCE
from engine.units import fmt_money, fmt_num, parse_price

COLUMNS = [
    "rank", "gpu", "gpus", "gpus_per_replica", "replicas", "layout", "serving", "dtype", "engine", "batch",
    "provider", "region", "price_per_gpu_hour", "cost_per_day", "cost_per_million_output_tokens", "ttft_s",
    "ttft_loaded_s", "tpot_s", "tokens_per_s_per_user", "tokens_per_s_per_gpu", "pareto", "query",
]  # fmt: skip
#: Assumption lines of the first resolved estimate that describe the workload (the rest are per GPU).
WORKLOAD_LINES = (
    "model", "model shape", "request length", "traffic", "peak-to-average", "utilisation",
    "time-to-first-token limit", "time-per-output-token limit", "prefix-cache hits", "FX rate",
)  # fmt: skip
BREAK_EVEN_RULE = (
    "the lowest traffic above which self-hosting (at each traffic its cheapest configuration meeting the limits, "
    "whole replicas for the peak at the target utilisation, at its cheapest price) always costs less per day than "
    "the cheapest API offer; at it both cost the same (engine.breakeven)"
)


@dataclass(frozen=True)
class Price:
    """One price a GPU kind is planned at [currency per GPU-hour], where from, and what a row's
    query writes to use it (a price token, or provider=/region=)."""

    provider: str
    region: str
    price: float
    label: str
    token: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    includes_host: bool = True


def gpu_kinds(q: Query, config: EngineConfig) -> tuple[list[tuple[Accelerator, str | None]], bool]:
    """The GPU kinds to search, each with its ``@PRICE`` token (None: priced from the catalog), and
    whether ``gpus=`` named them."""
    names = q.values.get("gpus")
    if not names:
        priced_ids = {r.gpu for r in all_prices(config)}
        for o in config.price_overrides:
            try:
                priced_ids.add(resolve_gpu(o.gpu).id)
            except GpucostError:
                continue
        return [(a, None) for a in list_gpus() if a.id in priced_ids], False
    out: list[tuple[Accelerator, str | None]] = []
    for name in names:  # type: ignore[union-attr]
        gpu, _, price = str(name).partition("@")
        count, kind = parse_gpu_spec(gpu)
        if count is not None:
            raise GpucostError(
                f"gpus={q.options['gpus']}: '{gpu}' gives a GPU count, and the planner picks the GPUs per replica",
                token=f"gpus={q.options['gpus']}",
                hint=f"name the kind only (gpus={kind}); to price one replica size, ask a daily query",
            )
        try:
            acc = resolve_gpu(kind)
        except UnknownNameError as exc:
            raise GpucostError(
                f"unknown GPU '{gpu}' in gpus=", token=f"gpus={q.options['gpus']}", suggestions=exc.suggestions,
                hint="'gpucost gpus' lists them",
            ) from None  # fmt: skip
        if any(a.id == acc.id for a, _ in out):
            raise GpucostError(f"gpus= names {acc.short} twice", token=f"gpus={q.options['gpus']}", hint="keep one")
        out.append((acc, price or None))
    return out, True


def _check_where(q: Query, config: EngineConfig) -> None:
    """A provider= or region= no price row has is an error with suggestions, not an empty plan."""
    rows = all_prices(config)
    prov = q.values.get("provider")
    if prov:
        providers = sorted({r.provider for r in rows})
        if str(prov).lower() not in providers:
            raise GpucostError(
                f"unknown provider '{prov}'", suggestions=suggest(str(prov), providers),
                hint="providers: " + ", ".join(providers),
            )  # fmt: skip
    region = q.values.get("region")
    if region:
        regions = sorted({r.region for r in rows if not prov or r.provider == str(prov).lower()})
        if str(region).lower() not in {r.lower() for r in regions}:
            raise GpucostError(
                f"no price in region '{region}'" + (f" at {prov}" if prov else ""),
                suggestions=suggest(str(region), regions), hint="'gpucost prices GPU' lists each GPU's regions",
            )  # fmt: skip


def price_choices(acc: Accelerator, token: str | None, q: Query, config: EngineConfig, currency: str) -> list[Price]:
    """The prices ``acc`` is planned at (see the module docstring), cheapest first."""
    if token:
        value, cur = parse_price(token)
        p = convert(value, cur or config.currency, currency, config)
        return [Price("given", "", p, f"{fmt_money(p, currency)}/GPU-h given", priced(token, config))]
    for o in config.price_overrides:
        try:
            if resolve_gpu(o.gpu).id == acc.id:
                p = convert(o.price_per_gpu_hour, o.currency, currency, config)
                return [Price("settings", "", p, f"{fmt_money(p, currency)}/GPU-h ({o.source})")]
        except GpucostError:
            continue
    spot = bool(q.values.get("spot", False))
    prov = str(q.values.get("provider") or "").lower()
    region = str(q.values.get("region") or "").lower()
    pairs = sorted(
        {
            (r.provider, r.region)
            for r in prices_for(acc.id, config)
            if r.spot == spot and (not prov or r.provider == prov) and (not region or r.region.lower() == region)
        }
    )
    best: dict[str, tuple[tuple[bool, float, str], Price]] = {}
    for provider, reg in pairs:
        row = lowest_price(acc.id, provider, reg or None, spot, config)
        p = convert(row.usd_per_gpu_hour, row.currency, currency, config)
        key = (not row.includes_host, row.price_per_gpu_hour("USD", config), reg)
        opts = (("provider", provider), *((("region", reg),) if reg else ()))
        label = f"{fmt_money(p, currency)}/GPU-h ({row.label()})"
        choice = Price(provider, row.region, p, label, None, opts, row.includes_host)
        if provider not in best or key < best[provider][0]:
            best[provider] = (key, choice)
    return sorted((c for _, c in best.values()), key=lambda c: (c.price, c.provider))


def _row_query(q: Query, arch: ModelArch, p: Point, c: Price, currency: str) -> str:
    """The daily query that reproduces a row (see :mod:`engine.plan`)."""
    opts = {k: q.options[k] for k in ROW_OPTIONS if k in q.options}
    opts.update(dict(p.options))
    opts.update(dict(c.options))
    if c.token and "currency" not in opts:
        cur = parse_price(c.token)[1]
        if cur and cur != currency:  # the price's own currency would otherwise become the answer's
            opts["currency"] = currency
    gpu = p.acc.query_name
    model = q.model if arch.inferred else arch.id
    return Query(kind="daily", model=model, gpu=f"{p.count}x{gpu}", price=c.token, options=opts).canonical()


def _pareto(rows: list[dict[str, Any]]) -> None:
    """Mark the frontier of cost per million output tokens against TPOT (exact twins: the first)."""
    best = float("inf")
    for row in sorted(rows, key=lambda r: (r["cost_per_million_output_tokens"], r["tpot_s"], r["rank"])):
        row["pareto"] = row["tpot_s"] < best
        best = min(best, row["tpot_s"])


def _api(arch: ModelArch, r_day: float, s_in: int, s_out: int, hit: float, currency: str, config: EngineConfig):
    """The API offers for the model priced for the workload (cheapest first), and notes."""
    if arch.inferred:
        return [], ["no API offer compared: the model is a bare parameter count; name a catalog model"]
    try:
        costs = price_workload(arch.id, r_day, s_in, s_out, hit, currency, config)
    except UnknownNameError:
        costs = []
    notes = []
    offers = []
    for c in costs:
        o = c.offer
        cached = o.cached_input_per_mtok
        offers.append(
            ApiOffer(
                provider=o.provider, model=o.model, provider_model=o.provider_model,
                usd_per_million_input_tokens=convert(o.input_per_mtok, o.currency, "USD", config),
                usd_per_million_cached_input_tokens=(
                    None if cached is None else convert(cached, o.currency, "USD", config)
                ),
                usd_per_million_output_tokens=convert(o.output_per_mtok, o.currency, "USD", config),
                currency_as_published=o.currency, cost_per_day=c.cost_per_day,
                cost_per_request=c.cost_per_day / r_day, as_of=o.as_of, source=o.source_url,
            )
        )  # fmt: skip
        if c.cached_billed_as_input:
            notes.append(
                f"{o.provider} publishes no cached-input price for {o.provider_model}: cache hits billed at input"
            )
    if not offers:
        notes.append(f"the API price catalog has no offer for {arch.name} ('gpucost api' lists the models priced)")
    return offers, notes


def _no_rows(found: Search, q: Query) -> GpucostError:
    limits = " ".join(f"{k}={q.options[k]}" for k in ("ttft_max", "tpot_max") if k in q.options)
    if found.closest is not None and limits:
        ratio, what = found.closest
        return GpucostError(
            f"no configuration meets {limits}: the closest is {what} ({ratio:.2g}x the limit)",
            hint="relax the limit, or name faster GPUs with gpus=",
        )
    why = "; ".join(found.skipped + found.engines_skipped) or "no GPU kind was searched"
    return GpucostError(f"no configuration could be planned ({why})", hint="name other GPUs with gpus=")


def plan(q: Query, config: EngineConfig) -> Result:
    """The plan of a workload (see the module docstring)."""
    start = time.perf_counter()
    if not q.model:
        raise GpucostError("plan needs a model", hint="e.g. 'gpucost plan llama-3-70b requests=1M tpot_max=50ms'")
    arch = resolve_arch(q.model, config.allow_files)
    currency = normalise_currency(str(q.values.get("currency") or config.currency))
    _check_where(q, config)
    kinds, named = gpu_kinds(q, config)
    choices = {acc.id: price_choices(acc, tok, q, config, currency) for acc, tok in kinds}
    unpriced = [acc for acc, _ in kinds if not choices[acc.id]]
    kinds = [(acc, tok) for acc, tok in kinds if choices[acc.id]]
    if not kinds:
        where = " ".join(f"{k}={q.options[k]}" for k in ("provider", "region", "spot") if k in q.options)
        names = ", ".join(a.short for a in unpriced)
        raise GpucostError(
            f"no price for {names or 'any GPU'}" + (f" ({where})" if where else ""),
            hint="give one as gpus=GPU@PRICE (e.g. gpus=910B@1.5usd), or widen provider=/region=",
        )
    found = search(q, config, arch, kinds)
    if not found.points or found.lead is None:
        raise _no_rows(found, q)
    rows, configs = _rows(q, arch, found, choices, currency)
    hit = float(q.values.get("cache_hit", 0.0))  # type: ignore[arg-type]
    offers, api_notes = _api(arch, found.requests_per_day, found.s_in, found.s_out, hit, currency, config)
    k = min((o.cost_per_request for o in offers), default=None)
    even = be.break_even(configs, k) if k is not None else None
    counts = {
        "evaluated": sum(n * len(choices[g]) for g, n in found.evaluated_by_gpu.items()),
        "met": sum(len(pts) * len(choices[g]) for g, pts in found.points.items()),
        "elapsed": time.perf_counter() - start,
    }
    warnings = [f"{a.short}: no price; give one as gpus={a.query_name}@PRICE" for a in unpriced]
    warnings += found.skipped + sorted(set(found.engines_skipped)) + _row_warnings(rows) + api_notes
    lines = _lines(q, config, arch, found, rows, offers, named, currency, counts)
    return _result(q, arch, found, rows, offers, even, currency, counts, lines, warnings)


def _rows(
    q: Query, arch: ModelArch, found: Search, choices: dict[str, list[Price]], currency: str
) -> tuple[list[dict[str, Any]], list[list[be.Pool]]]:
    """The ranked rows (each GPU kind's undominated configurations at each of its prices), and every
    configuration meeting the limits as the pools of the break-even envelope (at its GPU's cheapest price)."""
    r_day, s_in, s_out = found.requests_per_day, found.s_in, found.s_out
    rows: list[dict[str, Any]] = []
    configs: list[list[be.Pool]] = []
    per_replica = found.util * SECONDS_PER_DAY / found.peak  # requests/day per request/s of a replica
    for gid, pts in found.points.items():
        prices = choices[gid]
        day = 24 * prices[0].price
        configs += [[be.Pool(g * day, rps * per_replica) for g, rps in c] for c in found.envelope.get(gid, [])]
        for p in undominated(pts):
            for c in prices:
                f = daily_fields(p.fleet_gpus, c.price, r_day, p.prefill_share, s_in, s_out)
                rows.append(
                    {
                        "rank": 0, "gpu": p.acc.query_name, **fields_of(p),
                        "provider": c.provider, "region": c.region, "price_per_gpu_hour": c.price,
                        "cost_per_day": f["cost_per_day"],
                        "cost_per_million_output_tokens": f["cost_per_million_output_tokens"],
                        "pareto": False, "query": _row_query(q, arch, p, c, currency), "_fields": f, "_point": p,
                        "_price": c,
                    }
                )  # fmt: skip
    rows.sort(key=lambda r: (r["cost_per_day"], r["cost_per_million_output_tokens"], r["tpot_s"], r["query"]))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    _pareto(rows)
    return rows, configs


def _row_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """What the listed rows leave out: prices without the host VM, KV transfers not charged."""
    out = []
    no_host = sorted({f"{r['gpu']} at {r['provider']}" for r in rows if not r["_price"].includes_host})
    if no_host:
        out.append("prices for the accelerator only (host VM not included): " + ", ".join(no_host))
    no_link = sorted({r["gpu"] for r in rows if r["serving"] == "disaggregated" and not r["_point"].acc.scaleout_gb_s})
    if no_link:
        out.append(
            "disaggregated rows on " + ", ".join(no_link) + ": the KV transfer between pools is left out of TTFT (the "
            "catalog has no scale-out bandwidth for them)"
        )
    return out


def _lines(
    q: Query, config: EngineConfig, arch: ModelArch, found: Search, rows: list[dict[str, Any]],
    offers: list[ApiOffer], named: bool, currency: str, counts: dict[str, float],
) -> list[Assumption]:  # fmt: skip
    """The plan's assumption lines: the workload's (from the first resolved estimate), then the search's."""
    assert found.lead is not None
    given = {k: q.options[k] for k in ("dtype", "engine", "provider", "region", "spot") if k in q.options}
    where = "".join(f", {k}={given[k]}" for k in ("provider", "region", "spot") if k in given)
    disagg = q.values.get("disagg")
    replicas = "every GPU count and layout the replica search tries, at the batch a daily estimate picks and at each "
    replicas += "power of two below it"
    replicas += {None: "; disaggregated: each prefill replica size with each decode replica size",
                 True: " (disaggregated only: each prefill replica size with each decode replica size)",
                 False: " (colocated only)"}[disagg]  # type: ignore[index]  # fmt: skip
    lines = [a for a in found.lead.assumptions if a.name in WORKLOAD_LINES]
    lines += [
        assumption("GPU kinds", ", ".join(sorted({r["gpu"] for r in rows})),
                   "named in gpus=" if named else "every accelerator with a price (catalog, price file or settings)"
                   + where),
        assumption("precisions", given.get("dtype", "as released (weight-only where the GPU lacks that format's "
                   "tensor cores), the GPU's 16-bit type, FP8 where it has FP8 tensor cores, FP4 where it has FP4 "
                   "ones"), GIVEN if "dtype" in given else "engine.hardware precisions"),
        assumption("serving engines", given.get("engine", "vllm, sglang, trtllm where each runs; hf where none does"),
                   GIVEN if "engine" in given else SUPPORT_SOURCE),
        assumption("replicas", replicas, "engine.sizing, the replica search of a daily estimate"),
        assumption("prices", "each provider's cheapest " + ("spot" if q.values.get("spot") else "on-demand")
                   + " row per GPU kind (rows with the host VM preferred), or the price given",
                   "price catalog ('gpucost prices GPU'); each row's query names its provider and region"),
        assumption("search", f"{counts['evaluated']:,.0f} configurations evaluated ({found.evaluated:,} performance "
                   f"points x their GPU's price rows), {counts['met']:,.0f} meeting the limits, in "
                   f"{counts['elapsed']:.2f} s; {len(rows):,} listed",
                   "listed: per GPU kind, those no other beats on cost per day, cost per output token and TPOT"),
        assumption("ranking", "by cost per day; pareto: no other row is as cheap per million output tokens and as "
                   "fast per output token, and better in one", "engine.planner"),
    ]  # fmt: skip
    if offers:
        lines.append(assumption("API prices", f"{len(offers)} published offer(s) for {arch.name}",
                                "API price catalog ('gpucost api'): each offer's source URL and date"))  # fmt: skip
    if any(o.currency_as_published != currency for o in offers) and not any(a.name == "FX rate" for a in lines):
        rate, src = cny_per_usd(config)
        lines.append(assumption("FX rate", f"{rate:g} CNY per USD", src))
    lines.append(assumption("break-even", "requests/day; null: the API is cheaper at every traffic", BREAK_EVEN_RULE))
    return lines


def _result(
    q: Query, arch: ModelArch, found: Search, rows: list[dict[str, Any]], offers: list[ApiOffer],
    even: float | None, currency: str, counts: dict[str, float], lines: list[Assumption], warnings: list[str],
) -> Result:  # fmt: skip
    best = rows[0]
    limits = ", ".join(f"{name} <= {q.options[k]}" for k, name in (("ttft_max", "TTFT"), ("tpot_max", "TPOT"))
                       if k in q.options)  # fmt: skip
    title = f"Plan: {arch.name}, {fmt_num(found.requests_per_day)} requests/day, {found.s_in} in / {found.s_out} out"
    inputs = {
        "model": q.model if arch.inferred else arch.id, "model_name": arch.name,
        "requests_per_day": found.requests_per_day, "in": found.s_in, "out": found.s_out, "peak": found.peak,
        "util": found.util, "gpu_kinds": sorted({r["gpu"] for r in rows}), "serving_plans": found.serving_plans,
        "performance_points": found.evaluated, "configurations_evaluated": int(counts["evaluated"]),
        "configurations_meeting_limits": int(counts["met"]), "rows": len(rows),
        "elapsed_s": round(counts["elapsed"], 3), "best_query": best["query"],
        **{f"{k}_s": q.values[k] for k in ("ttft_max", "tpot_max") if k in q.values},
    }  # fmt: skip
    money = ("cost_per_request", "cost_per_million_input_tokens", "cost_per_million_output_tokens",
             "cost_per_million_tokens", "cost_per_hour", "cost_per_day", "cost_per_month")  # fmt: skip
    return Result(
        kind="plan",
        query=Query(kind="plan", model=inputs["model"], options=dict(q.options)).canonical(),
        title=title + (f", {limits}" if limits else ""),
        currency=currency,
        inputs=inputs,
        **{k: best[k] for k in ("gpus", "gpus_per_replica", "replicas", "batch", "tokens_per_s_per_gpu", "ttft_s",
                                "ttft_loaded_s", "tpot_s", "price_per_gpu_hour")},
        **{k: best["_fields"][k] for k in money},
        api=offers,
        break_even_requests_per_day=even,
        table=Table(columns=list(COLUMNS), rows=[[row[c] for c in COLUMNS] for row in rows]),
        assumptions=lines,
        warnings=warnings,
    )  # fmt: skip
