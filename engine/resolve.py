"""Resolution: the model, GPU, price and currency that a query's tokens name.

``resolve(query, config)`` turns the positional tokens (``<model|params> <gpu> [price]``) and the
options that pick a price (``currency``, ``provider``, ``region``, ``spot``) into a
:class:`~engine.provenance.Ctx`, recording the accelerator, model, price and FX lines. A price is
taken, in this order, from the query, the settings' overrides, the user's price file or the
shipped catalog (the lowest matching row); results are shown in ``currency=``, else the currency
the query's price is written in, else the settings' currency.

Imports catalogs, prices, FX and the query; never the estimators (serving, service, chain).
"""

from __future__ import annotations

import re
from functools import lru_cache

from engine.architecture import ModelArch, format_params, infer_dense
from engine.catalog import Accelerator, parse_gpu_spec, resolve_gpu, resolve_model
from engine.config import EngineConfig
from engine.errors import GpucostError, UnknownNameError
from engine.fx import cny_per_usd, convert, normalise_currency
from engine.provenance import GIVEN, Ctx
from engine.query import OPTIONS, Query
from engine.units import fmt_money, parse_number, parse_price


def looks_like_path(token: str) -> bool:
    """True when a model token names a file (a Hugging Face ``config.json``)."""
    return token.endswith(".json") or "/" in token or "\\" in token or token.startswith(("~", "./", "../"))


def resolve_arch(token: str, allow_files: bool = True) -> ModelArch:
    """A catalog model, a config.json path (only with ``allow_files``; read each time, since the
    file may change), or a bare parameter count (shape inferred)."""
    if looks_like_path(token):
        return _resolve_arch(token, allow_files)
    return _resolve_arch_cached(token, allow_files)


def _resolve_arch(token: str, allow_files: bool) -> ModelArch:
    if token[:1].isdigit() or token[:1] == ".":
        try:
            return infer_dense(parse_number(token, what="parameter count"))
        except GpucostError as exc:
            if "out of range" in exc.message:
                raise
    try:
        return resolve_model(token, allow_files)
    except UnknownNameError as not_found:
        try:
            n = parse_number(token, what="parameter count")
        except GpucostError:
            try:
                resolve_gpu(token)
            except GpucostError:
                raise not_found from None
            raise GpucostError(
                f"'{token}' is a GPU, not a model", hint="the model comes first: <model|params> <gpu> [price]"
            ) from None
        return infer_dense(n)


_resolve_arch_cached = lru_cache(maxsize=1024)(_resolve_arch)  # catalog names and counts: pure


def refuse_files(config: EngineConfig, what: str) -> None:
    """Refuse a command that reads files where the front end does not allow it (Slack, a server)."""
    if not config.allow_files:
        raise GpucostError(
            f"{what} reads files on the server, which this front end does not allow",
            hint="run it with the gpucost command line, or name a catalog model or a parameter count",
        )


def _price_source(source: str) -> str:
    """A catalog price's provenance as a person reads it: ``skypilot-org/skypilot-catalog
    catalogs/v8/aws/vms.csv@00148f2af367`` -> ``SkyPilot catalog, aws vms.csv at commit 00148f2af367``.
    Other rows (project-sourced, dated in their label) keep their source as written."""
    m = re.fullmatch(r"skypilot-org/skypilot-catalog catalogs/v\d+/(\w+)/vms\.csv@(\w+)", source)
    if not m:
        return f"{source} (check your provider)"
    return f"SkyPilot catalog, {m.group(1)} vms.csv at commit {m.group(2)} (a 2025 price snapshot; check your provider)"


def price_per_gpu_hour(ctx: Ctx, parsed: tuple[float, str | None] | None) -> tuple[float | None, str]:
    """The price per GPU-hour [ctx.currency] and its short label, recording its assumption line
    (None with a warning when nothing prices the GPU and the query named no provider or region)."""
    q, config, acc, currency = ctx.q, ctx.config, ctx.acc, ctx.currency
    if q.price and parsed:
        value, cur = parsed
        cur = cur or config.currency
        p = convert(value, cur, currency, config)
        shown = fmt_money(p, currency) + (f" (= {q.price})" if cur != currency else "")
        ctx.add("price per GPU-hour", shown, GIVEN, True)
        return p, f"{fmt_money(p, currency)}/GPU-h (given)"
    for o in config.price_overrides:
        try:
            if resolve_gpu(o.gpu).id == acc.id:
                p = convert(o.price_per_gpu_hour, o.currency, currency, config)
                ctx.add("price per GPU-hour", fmt_money(p, currency), o.source)
                return p, f"{fmt_money(p, currency)}/GPU-h ({o.source})"
        except GpucostError:
            continue
    spot = bool(q.values.get("spot", False))
    from engine.prices import lowest_price  # the price catalog loads only when a price is looked up

    try:
        row = lowest_price(acc.id, q.values.get("provider"), q.values.get("region"), spot, config)
    except GpucostError as exc:
        if q.values.get("provider") or q.values.get("region"):
            raise  # the user named where to price it: no price there is an error, not a guess
        ctx.warn(f"no price: {exc.message}; {exc.hint}")
        return None, "no price"
    p = convert(row.usd_per_gpu_hour, row.currency, currency, config)
    what = "lowest spot" if spot else "lowest on-demand"
    ctx.add(
        "price per GPU-hour",
        f"{fmt_money(p, currency)} ({what}: {row.label()})",
        _price_source(row.source) if not row.as_of.startswith("imported") else row.source,
    )
    if not row.includes_host:
        ctx.warn(f"{row.provider} {row.region} price is for the accelerator only (host VM not included)")
    return p, f"{fmt_money(p, currency)}/GPU-h ({row.provider} {row.region})"


def _model_line(ctx: Ctx) -> None:
    """The assumption line naming the model, and for an inferred shape the warning that says so."""
    arch = ctx.arch
    if arch.inferred:
        ctx.add("model shape", f"{arch.describe()} (inferred)", arch.source)
        ctx.warn(
            f"model shape inferred from {format_params(arch.total_params)} parameters (GPT-3 ratios, "
            "MHA): KV cache may be larger than a GQA model's; name a catalog model for its real shape"
        )
    else:
        ctx.add("model", f"{arch.name}: {arch.describe()}", arch.source)


def _accelerator_line(ctx: Ctx, acc: Accelerator) -> None:
    ctx.add(
        "accelerator",
        f"{acc.short}: {acc.memory_gb or 0:g} GB, {acc.memory_bw_gb_s or 0:g} GB/s",
        f"{acc.source} (as of {acc.as_of})" if acc.as_of else acc.source,
    )


def resolve(q: Query, config: EngineConfig) -> Ctx:
    """The model, GPU, count, currency and price a query names, with their lines and warnings."""
    if not q.model:
        raise GpucostError("the query names no model", hint="e.g. 'gpucost 1.17e8 P4 0.3'")
    arch = resolve_arch(q.model, config.allow_files)
    count, gpu_name = parse_gpu_spec(q.gpu or "")
    if count is not None and count < 1:
        raise GpucostError(f"'{q.gpu}' asks for {count} GPUs", token=q.gpu, hint=f"write at least 1x{gpu_name}")
    per_replica_max = OPTIONS["tp"].hi or 0
    if count is not None and q.kind != "train" and count > per_replica_max:
        raise GpucostError(
            f"'{q.gpu}' asks for {count:,} GPUs per replica, out of range",
            token=q.gpu,
            hint=f"at most {per_replica_max:,.0f}; a fleet's size comes from the traffic (daily ... gpus=N "
            "fixes it)",
        )
    acc = resolve_gpu(gpu_name)
    ctx = Ctx(q=q, config=config, arch=arch, acc=acc, count=count)
    _model_line(ctx)
    parsed = parse_price(q.price) if q.price else None
    price_cur = parsed[1] if parsed else None
    ctx.currency = normalise_currency(str(q.values.get("currency") or price_cur or config.currency))
    _accelerator_line(ctx, acc)
    ctx.price, ctx.price_label = price_per_gpu_hour(ctx, parsed)
    if ctx.currency == "CNY" or (parsed and (parsed[1] or config.currency) != ctx.currency):
        rate, src = cny_per_usd(config)
        ctx.add("FX rate", f"{rate:g} CNY per USD", src)
    ctx.inputs = {
        "model": arch.id if not arch.inferred else format_params(arch.total_params),
        "model_name": arch.name,
        "params": arch.total_params,
        "active_params": arch.active_params,
        "gpu": acc.id,
        "gpu_name": acc.short,
        "price_per_gpu_hour": ctx.price,
        "price_source": ctx.price_label,
    }
    return ctx


def canonical(ctx: Ctx, kind: str, gpus: int | None = None) -> str:
    """The canonical query string that reproduces this estimate (see :meth:`Query.canonical`):
    the catalog id of the model, the GPU's short alias with the replica size where it was chosen."""
    q = ctx.q
    model = q.model if ctx.arch.inferred else ctx.arch.id
    gpu = ctx.acc.query_name
    if ctx.count or (gpus and gpus > 1 and not q.values.get("tp") and not q.values.get("gpus")):
        gpu = f"{ctx.count or gpus}x{gpu}"
    price = priced(q.price, ctx.config)
    return Query(kind=kind, model=model, gpu=gpu, price=price, options=dict(q.options)).canonical()


def priced(price: str | None, config: EngineConfig) -> str | None:
    """A price token with its currency written (``0.3`` -> ``0.3usd``): a bare price means the
    settings' currency, which differs between readers of a shared query."""
    if not price or parse_price(price)[1]:
        return price
    return f"{price}{config.currency.lower()}"
