"""Compare: one inference workload across several GPUs (and providers), ranked by cost per million tokens.

Each GPU is a separate inference estimate (:func:`engine.chain.infer`) at its own price; the rows
are ranked by cost per million tokens, GPUs that could not be estimated or priced listed last with
the reason.

Imports ``chain`` and ``resolve``; never ``explain``, ``commands`` or the front ends.
"""

from __future__ import annotations

from engine.catalog import parse_gpu_spec, resolve_gpu
from engine.chain import infer
from engine.config import EngineConfig
from engine.defaults import COMPARE_DEFAULT
from engine.errors import GpucostError
from engine.provenance import Ctx
from engine.query import Query
from engine.resolve import priced, resolve
from engine.results import Assumption, Result, Table
from engine.units import parse_price

COLUMNS = (
    "rank",
    "gpu",
    "gpus_per_replica",
    "tokens_per_s_per_gpu",
    "price_per_gpu_hour",
    "cost_per_million_tokens",
    "cost_per_million_output_tokens",
    "cost_per_request",
    "price_source",
)


def _split(name: str) -> tuple[str, str, str | None]:
    """``GPU[@provider|@price]`` -> (GPU, provider, price token): what follows ``@`` is a price when
    it parses as one (``H100@2.5usd``), else a provider (``H100@aws``)."""
    gpu, _, tail = name.partition("@")
    if not tail:
        return gpu, "", None
    try:
        parse_price(tail)
    except GpucostError:
        return gpu, tail, None
    return gpu, "", tail


def compare(q: Query, config: EngineConfig) -> Result:
    """One inference workload across several GPUs (and providers), ranked by cost per million tokens.

    Prices: ``GPU@PRICE`` (``H100@2.5usd,H200@3.5usd``) is that GPU's price; a price written after
    the GPUs applies to every GPU named without one; the default alternatives (added when one GPU
    or none is named) use their lowest catalog prices, and those with no catalog price are left out
    in one line. ``GPU@provider`` pins a provider, and ``provider=aws,gcp,lambda`` compares every
    listed GPU at each provider's lowest price."""
    named = [g.strip() for g in (q.gpu or "").split(",") if g.strip()]
    gpus = list(named)
    defaults: list[str] = []
    if len(named) <= 1:  # one GPU (Slack's "Compare GPUs" button) or none: add the usual alternatives
        first_id = resolve_gpu(parse_gpu_spec(_split(named[0])[0])[1]).id if named else None
        defaults = [g for g in COMPARE_DEFAULT if resolve_gpu(g).id != first_id]
        gpus += defaults
    providers = [p.strip() for p in str(q.values.get("provider", "")).split(",") if p.strip()]
    names: list[str] = []
    for g in gpus:
        if "@" in g or len(providers) < 2:
            names.append(g)
        else:
            names += [f"{g}@{p}" for p in providers]
    rows: list[tuple[float, list[object]]] = []
    unpriced: list[list[object]] = []
    notes: list[str] = []
    first: Ctx | None = None  # the first GPU estimated: its model, currency and lines head the result
    first_error: GpucostError | None = None
    left_out: list[str] = []  # default alternatives with no catalog price
    written: list[str] = []
    for name in names:
        gpu_name, provider, own_price = _split(name)
        values = dict(q.values)
        if provider:
            values["provider"] = provider
        default = gpu_name in defaults
        price = own_price or (None if default else q.price)
        # the canonical query writes every given price as GPU@PRICE, so that it reproduces the rows
        written.append(f"{gpu_name}@{priced(price, config)}" if price else name)
        sub = q.model_copy(update={"kind": "inference", "gpu": gpu_name, "values": values, "price": price})
        try:
            ctx = resolve(sub, config)
            r = infer(ctx)
        except GpucostError as exc:
            if len(names) == 1 or ("unknown GPU" in exc.message and q.gpu):
                raise
            first_error = first_error or exc
            unpriced.append([name.strip(), None, None, None, None, None, None, "not estimated (see warnings)"])
            notes.append(f"{name.strip()}: {exc.message}")
            continue
        first = first or ctx
        row = [
            ctx.acc.query_name + (f"@{provider}" if provider else ""),
            r.gpus_per_replica,
            round(r.tokens_per_s_per_gpu or 0, 1),
            r.price_per_gpu_hour,
            r.cost_per_million_tokens,
            r.cost_per_million_output_tokens,
            r.cost_per_request,
            ctx.price_label if r.cost_per_request is not None else "no price (give one, e.g. GPU@2.5usd)",
        ]
        if r.cost_per_million_tokens is None and default:
            left_out.append(row[0])  # type: ignore[arg-type]
        elif r.cost_per_million_tokens is None:
            unpriced.append(row)
        else:
            rows.append((r.cost_per_million_tokens, row))
    if first is None:  # nothing could be estimated: the first reason is the answer
        raise first_error or GpucostError("none of the GPUs could be estimated")
    rows.sort(key=lambda t: t[0])
    table_rows = [[i + 1, *row] for i, (_, row) in enumerate(rows)] + [["-", *u] for u in unpriced]
    best: dict[str, object] = {}
    if rows:
        top = rows[0][1]
        best = {"cost_per_million_tokens": rows[0][0], "cost_per_request": top[6], "gpus_per_replica": top[1]}
    assumptions = [
        a for a in first.assumptions if a.name not in ("accelerator", "price per GPU-hour", "GPUs per replica", "batch")
    ]
    assumptions.append(
        Assumption(
            name="prices",
            value="lowest on-demand catalog price per GPU unless given",
            source="shipped SkyPilot catalog extract (2025 snapshot)",
        )
    )
    price_rule = "lowest on-demand catalog price per GPU"
    if q.price:
        price_rule = f"{priced(q.price, config)} for the GPUs named without a price; " + price_rule + " for the rest"
    assumptions[-1] = assumptions[-1].model_copy(update={"value": price_rule})
    warnings = notes + [
        f"{row[1]}: no catalog price; give one with {row[1]}@PRICE (e.g. {row[1]}@2.5usd) or a price file"
        for row in table_rows
        if row[0] == "-" and row[-1].startswith("no price")
    ]
    if left_out:
        warnings.append(
            f"not ranked, no catalog price: {', '.join(left_out)} (name one with a price to rank it, "
            f"e.g. {left_out[0]}@2.5usd)"
        )
    return Result(
        kind="compare",
        query=Query(
            kind="compare",
            model=q.model,
            gpu=",".join(written),
            price=None,
            options=dict(q.options),
        ).canonical(),
        title=f"{first.arch.name}: cost per million tokens across GPUs",
        currency=first.currency,
        inputs={"model": first.inputs["model"], "gpus": names},
        table=Table(columns=list(COLUMNS), rows=table_rows),
        assumptions=assumptions,
        warnings=warnings,
        **best,
    )
