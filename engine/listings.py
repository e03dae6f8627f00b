"""Catalog listings and help: ``gpus``, ``models``, ``prices [GPU]``, ``help``, and the SkyPilot import.

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

from engine.catalog import list_gpus, list_models, resolve_gpu
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.fx import convert, normalise_currency
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
    if q.kind in ("prices", "import"):
        if q.rest[:1] == ["import-skypilot"] or q.kind == "import":
            return _import(q, config)
        return _prices(q, config)
    raise GpucostError(f"unknown listing '{q.kind}'")


def _prices(q: Query, config: EngineConfig) -> Result:
    from engine.prices import all_prices, prices_for

    currency = normalise_currency(str(q.values.get("currency") or config.currency))
    rows_src = (
        prices_for(q.gpu, config) if q.gpu else sorted(all_prices(config), key=lambda r: (r.gpu, r.usd_per_gpu_hour))
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
        ]
        for r in sel
    ]
    title = f"{len(rows)} prices" + (f" for {resolve_gpu(q.gpu).short}" if q.gpu else "") + f" ({currency}/GPU-h)"
    summary = None
    if q.gpu and not q.values.get("all"):
        summary = _price_summary(rows, currency)
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
            ],
            rows=rows,
        ),
        assumptions=[
            Assumption(
                name="source",
                value="SkyPilot catalog extract (schema v8)",
                source="a 2025 snapshot; commit dates unknown; Apache-2.0",
            )
        ],
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
