"""Catalog listings and help: ``gpus``, ``models``, ``prices [GPU]``, ``api [model]``, ``help``, and the
SkyPilot import.

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

from engine.catalog import Accelerator, list_gpus, list_models, resolve_gpu
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.fx import cny_per_usd, convert, normalise_currency
from engine.helptext import help_text
from engine.query import Query
from engine.results import Assumption, Result, Table


def run_listing(q: Query, config: EngineConfig) -> Result:
    if q.kind == "help":
        topic = q.rest[0] if q.rest else None
        return Result(kind="help", query=" ".join(["help", *q.rest]), text=help_text(topic))
    if q.kind == "gpus":
        rows = [
            [
                a.id,
                a.short,
                a.memory_gb,
                a.memory_bw_gb_s,
                a.peak_tflops_fp32,
                a.peak_tflops_fp16,
                a.peak_tflops_fp8,
                a.peak_tops_int8,
                a.tdp_w,
                a.as_of,
            ]
            for a in list_gpus()
        ]
        return Result(
            kind="gpus",
            query="gpus",
            title=f"{len(rows)} accelerators (dense peaks)",
            table=Table(
                columns=[
                    "id",
                    "name",
                    "memory_gb",
                    "memory_bw_gb_s",
                    "tflops_fp32",
                    "tflops_fp16",
                    "tflops_fp8",
                    "tops_int8",
                    "tdp_w",
                    "as_of",
                ],
                rows=rows,
            ),
            assumptions=[
                Assumption(
                    name="source",
                    value="gpu_specs.csv (Epoch AI CC BY 4.0, datasheets, peers)",
                    source="see each row's source column; `gpucost gpus --json`",
                )
            ],
        )
    if q.kind == "models":
        rows = [
            [
                m.id,
                m.name,
                m.total_params,
                m.active_params,
                m.n_layers,
                m.d_model,
                m.attention,
                m.kv_heads,
                m.max_context,
            ]
            for m in list_models()
        ]
        return Result(
            kind="models",
            query="models",
            title=f"{len(rows)} models",
            table=Table(
                columns=[
                    "id",
                    "name",
                    "params",
                    "active_params",
                    "layers",
                    "d_model",
                    "attention",
                    "kv_heads",
                    "max_context",
                ],
                rows=rows,
            ),
        )
    if q.kind == "api":
        return _api(q, config)
    if q.kind in ("prices", "import"):
        if q.rest[:1] == ["import-skypilot"] or q.kind == "import":
            return _import(q, config)
        return _prices(q, config)
    raise GpucostError(f"unknown listing '{q.kind}'")


def _prices(q: Query, config: EngineConfig) -> Result:
    from engine.prices import all_prices, prices_for

    currency = normalise_currency(str(q.values.get("currency") or config.currency))
    rows_src = (
        prices_for(q.gpu, config)
        if q.gpu
        else sorted(all_prices(config), key=lambda r: (r.gpu, r.price_per_gpu_hour("USD", config)))
    )
    prov = q.values.get("provider")
    region = q.values.get("region")
    spot = q.values.get("spot")
    sel = [
        r
        for r in rows_src
        if (not prov or r.provider == str(prov).lower())
        and (not region or r.region.lower() == str(region).lower())
        and (spot is None or r.spot == spot)
    ]
    rows = [
        [
            r.gpu,
            r.provider,
            r.region,
            r.instance_type,
            r.gpu_count,
            "spot" if r.spot else "on-demand",
            round(convert(r.usd_per_gpu_hour, r.currency, currency, config), 4),
            r.includes_host,
            r.as_of,
            r.usd_per_gpu_hour,
            r.currency,
        ]
        for r in sel
    ]
    title = f"{len(rows)} price{'' if len(rows) == 1 else 's'}" + (f" for {resolve_gpu(q.gpu).short}" if q.gpu else "")
    title += f" ({currency}/GPU-h)"
    summary = None
    if q.gpu and not q.values.get("all"):
        summary = _price_summary(rows, currency)
        if not rows:
            summary += "\n" + no_price_help(resolve_gpu(q.gpu))
        elif any(r[10] != currency for r in rows):
            rate, src = cny_per_usd(config)
            summary += f"\nprices published in another currency converted at {rate:g} CNY per USD ({src})"
        if len(rows) > SHOWN_PRICES:
            summary += f"\nthe cheapest {SHOWN_PRICES} of {len(rows)} rows below; --all lists every row"
        rows = sorted(rows, key=lambda r: r[6])[:SHOWN_PRICES]
    return Result(
        kind="prices",
        query=Query(kind="prices", gpu=q.gpu, options=q.options).canonical(),
        currency=currency,
        title=title,
        text=summary,
        table=Table(
            columns=[
                "gpu",
                "provider",
                "region",
                "instance",
                "gpus",
                "type",
                "price_per_gpu_hour",
                "includes_host",
                "as_of",
                "price_as_published",
                "currency_as_published",
            ],
            rows=rows,
        ),
        assumptions=[
            Assumption(
                name="source",
                value="SkyPilot catalog extract (schema v8) and the project's sourced rows (data/gpu_prices_extra.csv)",
                source="SkyPilot rows: a 2025 snapshot, commit dates unknown, Apache-2.0; other rows name their "
                "source and date ('gpucost prices GPU --json')",
            )
        ],
    )


def no_price_help(acc: Accelerator) -> str:
    """What to say when no catalog row prices a GPU: that no public price was found, and the ways to
    give one."""
    name = acc.query_name
    return (
        f"no public price for {acc.short} was found for the catalog; give yours in a query "
        f"('gpucost daily llama-3-8b {name} 2.5usd' or '... {name} 7元'), in a price file "
        "(GPUCOST_PRICE_FILE: a CSV with columns provider,gpu,price_type,usd_per_gpu_hour,currency,source,as_of; "
        "the price is in its currency column), or in Slack with "
        "'/gpucost price set'"
    )


SHOWN_PRICES = 10


def _price_summary(rows: list[list[object]], currency: str) -> str:
    """One GPU's prices in a few lines: per on-demand and spot, the cheapest price per GPU-hour
    that includes the host VM (the one estimates default to) and the median over all rows (rows
    as :func:`_prices` builds them: gpu, provider, region, instance, count, type, price, host)."""
    from statistics import median

    from engine.units import fmt_money

    lines = []
    for kind in ("on-demand", "spot"):
        sel = sorted((r for r in rows if r[5] == kind), key=lambda r: r[6])  # type: ignore[arg-type, return-value]
        if not sel:
            lines.append(f"{kind:<9}  no price in the catalog")
            continue
        whole = [r for r in sel if r[7]]  # the default price prefers a whole VM's share per GPU
        best = (whole or sel)[0]
        host = "host VM included" if best[7] else "accelerator only, host VM not included"
        line = (
            f"{kind:<9}  cheapest {fmt_money(best[6], currency)} ({best[1]} {best[2]} {best[3]}, {host}); "  # type: ignore[arg-type]
            f"median {fmt_money(median(r[6] for r in sel), currency)} over {len(sel)} rows"  # type: ignore[misc]
        )
        if whole and not sel[0][7]:
            line += f"; accelerator-only prices (no host VM) from {fmt_money(sel[0][6], currency)}"  # type: ignore[arg-type]
        lines.append(line)
    return "\n".join(lines)


def _import(q: Query, config: EngineConfig) -> Result:
    from engine.prices import import_skypilot, write_price_file

    paths = q.rest[1:] if q.rest[:1] == ["import-skypilot"] else q.rest
    if not paths:
        raise GpucostError(
            "import-skypilot needs a path", hint="gpucost prices import-skypilot ~/.sky/catalogs/v8/aws/vms.csv"
        )
    if config.price_file is None:
        raise GpucostError("no price file to import into", hint="set GPUCOST_PRICE_FILE to a path (it is created)")
    rows = []
    reports = []
    for p in paths:
        got = import_skypilot(p, q.values.get("provider"))  # type: ignore[arg-type]
        rows += got.rows
        if got.report():
            reports.append(f"{p}: {got.report()}")
    total = write_price_file(rows, config.price_file)
    return Result(
        kind="prices",
        query="prices import-skypilot " + " ".join(paths),
        title=f"imported {len(rows)} prices into {config.price_file} ({total} rows now)",
        text="\n".join(f"skipped or merged: {r}" for r in reports) or None,
        table=Table(
            columns=["gpu", "provider", "region", "instance", "type", "usd_per_gpu_hour"],
            rows=[
                [r.gpu, r.provider, r.region, r.instance_type, r.price_type, round(r.usd_per_gpu_hour, 4)]
                for r in rows[:50]
            ],
        ),
    )


def _api(q: Query, config: EngineConfig) -> Result:
    """``api [model]``: the API price catalog (one model's offers, or every offer), prices per
    million tokens as published; with ``requests=`` (and ``in=``, ``out=``, ``cache_hit=``) each
    offer's cost per day for that traffic in ``currency=`` (FX rate and source named)."""
    from engine.api_prices import api_catalog, offers, resolve_api_model, workload_cost
    from engine.units import fmt_money

    currency = normalise_currency(str(q.values.get("currency") or config.currency))
    model = resolve_api_model(q.model) if q.model else None
    sel = offers(model) if model else list(api_catalog())
    prov = str(q.values.get("provider") or "").lower()
    if prov:
        known = sorted({o.provider for o in api_catalog()})
        if prov not in known:
            from engine.errors import suggest

            raise GpucostError(
                f"no API provider '{prov}' in the catalog",
                suggestions=suggest(prov, known),
                hint="providers: " + ", ".join(known),
            )
        sel = [o for o in sel if o.provider == prov]
    columns = [
        *("model", "provider", "provider_model", "kind"),
        *("input_per_mtok", "cached_input_per_mtok", "output_per_mtok", "currency", "as_of", "source"),
    ]
    rows: list[list[object]] = [
        [
            *(o.model, o.provider, o.provider_model, o.kind),
            *(o.input_per_mtok, o.cached_input_per_mtok, o.output_per_mtok, o.currency, o.as_of, o.source_url),
        ]
        for o in sel
    ]
    assumptions = [
        Assumption(
            name="source",
            value="published API prices per million tokens, as each row's source states them (data/api_prices.csv)",
            source="each row: the date the source states or was read, and its URL",
        )
    ]
    lines: list[str] = []
    requests = q.values.get("requests")
    if requests is not None:
        tin = float(q.values.get("in") or 0)  # type: ignore[arg-type]
        tout = float(q.values.get("out") or 0)  # type: ignore[arg-type]
        if not tin and not tout:
            raise GpucostError(
                "requests= needs the tokens of a request", hint="add in=800 out=400 (tokens per request)"
            )
        hit = float(q.values.get("cache_hit") or 0.0)  # type: ignore[arg-type]
        n = float(requests)  # type: ignore[arg-type]
        costs = [workload_cost(o, n, tin, tout, hit, currency, config) for o in sel]
        columns.append(f"cost_per_day_{currency.lower()}")
        for row, c in zip(rows, costs, strict=True):
            row.append(round(c.cost_per_day, 4))
        order = sorted(range(len(rows)), key=lambda i: costs[i].cost_per_day)
        rows = [rows[i] for i in order]
        assumptions.append(
            Assumption(
                name="workload",
                value=f"{n:,.0f} requests/day x ({tin:g} in + {tout:g} out) tokens, cache hit {hit:g}",
                source="given",
                user_given=True,
            )
        )
        if any(c.cached_billed_as_input for c in costs):
            lines.append("offers with no published cached-input price bill cache hits at the input price")
        fx = next((c.fx for c in costs if c.fx), "")
        if fx:
            assumptions.append(Assumption(name="FX rate", value=fx.split(" (")[0], source=fx.split(" (", 1)[1][:-1]))
        if costs:
            best = costs[order[0]]
            per_day = fmt_money(best.cost_per_day, currency)
            lines.insert(
                0, f"cheapest: {best.offer.provider} {best.offer.provider_model} at {per_day}/day ({best.offer.as_of})"
            )
    if model and not sel:
        lines.append(f"no published API price for {model} in the catalog" + (f" at {prov}" if prov else ""))
    title = (f"{len(rows)} API offers" + (f" for {model}" if model else "")) + " (prices per million tokens)"
    return Result(
        kind="api",
        query=q.canonical(),
        currency=currency,
        title=title,
        text="\n".join(lines) or None,
        table=Table(columns=columns, rows=rows),
        assumptions=assumptions,
    )
