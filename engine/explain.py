"""``explain``: the formula trace behind each number, and a sensitivity ranking of the assumptions.

Each key assumption the user did not give is varied over its documented plausible range (the ranges
below, with sources in ``engine.efficiency``) while everything else stays put; the assumptions are
ranked by how far they move the headline cost (per request for inference, per day for a service,
the whole run for training).

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

from engine.chain import ESTIMATES
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.query import Query
from engine.resolve import resolve
from engine.results import Result, Sensitivity

# option -> (low, high, why): plausible ranges.
SERVING_RANGES: dict[str, tuple[str, str, str]] = {
    "compute_eff": ("0.35", "0.75", "hf .. beyond trtllm presets"),
    "bw_eff": ("0.45", "0.9", "hf preset .. STREAM-like ceiling"),
    "util": ("0.5", "0.9", "busy share of a fleet"),
    "batch": ("16", "max", "small batch .. all that fits"),
    # DeepSeek's own API served 56.3% of its input tokens from its KV cache over a day (342B of 608B;
    # "DeepSeek-V3/R1 Inference System Overview", deepseek-ai/open-infra-index, Feb 2025)
    "cache_hit": ("0", "0.563", "no prefix cache .. DeepSeek API's measured day"),
}
DAILY_RANGES: dict[str, tuple[str, str, str]] = {
    **SERVING_RANGES,
    "peak": ("1.2", "2.5", "diurnal peak-to-average"),
}
TRAIN_RANGES: dict[str, tuple[str, str, str]] = {
    "mfu": ("0.35", "0.55", "published steady-state MFU range"),
    "goodput": ("0.66", "0.97", "PaLM whole-run (0.66) .. best-run goodput"),
}
METRIC = {"inference": "cost_per_request", "daily": "cost_per_day", "train": "cost"}


def _metric(r: Result, kind: str) -> float | None:
    v = getattr(r, METRIC[kind])
    if v is None and kind == "train":
        return r.gpu_hours
    if v is None and kind in ("inference", "daily"):
        return 1 / r.tokens_per_s if r.tokens_per_s else None
    return v


def _catalog_price_range(q: Query, base: Result, config: EngineConfig) -> tuple[float, float] | None:
    """Lowest and highest on-demand catalog price of the GPU (the user's price file included), in
    the result's currency at the configured FX rate, when the price is an assumption: not when the
    query gave one, a price override set it, or the query pinned provider= or region=."""
    gpu = base.inputs.get("gpu")
    if q.price or gpu is None or q.values.get("provider") or q.values.get("region"):
        return None
    from engine.catalog import resolve_gpu
    from engine.fx import convert
    from engine.prices import prices_for

    for o in config.price_overrides:
        try:
            if resolve_gpu(o.gpu).id == gpu:
                return None
        except GpucostError:
            continue
    spot = bool(q.values.get("spot", False))
    rows = [r for r in prices_for(str(gpu), config) if r.spot == spot and r.includes_host]
    if len(rows) < 2:
        return None
    lo, hi = rows[0], rows[-1]
    return (
        convert(lo.usd_per_gpu_hour, lo.currency, base.currency, config),
        convert(hi.usd_per_gpu_hour, hi.currency, base.currency, config),
    )


def run_query(q: Query, config: EngineConfig) -> Result:
    """The estimate ``q`` names (inference, daily or train), with its trace."""
    return ESTIMATES[q.kind](resolve(q, config))


def _layout_row(q: Query, base: Result, config: EngineConfig, kind: str, base_metric: float) -> Sensitivity | None:
    """The chosen parallel layout against plain tensor parallelism within a node and pipeline stages
    across (vLLM's default without expert or data parallelism), at the same GPUs per replica; None
    when the query fixes the layout or the two are the same."""
    ins = base.inputs
    g = ins.get("gpus_per_replica")
    if kind not in ("inference", "daily") or not isinstance(g, int) or g < 2 or "tp" not in ins:
        return None
    if any(k in q.values for k in ("tp", "pp", "dp", "ep", "nodes", "decode_tps", "prefill_tps")):
        return None
    from engine.catalog import resolve_gpu

    acc = resolve_gpu(str(ins["gpu"]))
    tp = min(g, acc.scaleup_domain_gpus or 8)
    plain = (tp, g // tp, 1, 1)
    if (ins["tp"], ins["pp"], ins["dp"], ins["ep"]) == plain:
        return None
    vq = q.model_copy(deep=True, update={"gpu": f"{g}x{acc.id}"})
    from engine.query import parse_option

    for key, val in (("tp", str(tp)), ("pp", str(g // tp))):
        k, typed, canon = parse_option(key, val)
        vq.values[k], vq.options[k] = typed, canon
    try:
        low = _metric(run_query(vq, config), kind)
    except GpucostError:
        return None
    if low is None:
        return None
    chosen = " x ".join(f"{k.upper()}{ins[k]}" for k in ("dp", "tp", "pp", "ep") if int(ins[k]) > 1)  # type: ignore[call-overload]
    return Sensitivity(
        assumption="parallel layout",
        low=f"TP{tp}" + (f" x PP{g // tp}" if g // tp > 1 else ""),
        high=chosen or "TP1",
        cost_at_low=low,
        cost_at_high=base_metric,
        swing_pct=abs(low - base_metric) / base_metric * 100,
    )


def explain(q: Query, config: EngineConfig) -> Result:
    kind = str(q.values.get("inner_kind", "inference"))
    values = {k: v for k, v in q.values.items() if k not in ("explain", "inner_kind")}
    base_q = q.model_copy(update={"kind": kind, "values": values})
    base = run_query(base_q.model_copy(deep=True), config)
    base_metric = _metric(base, kind)
    ranges = {"inference": SERVING_RANGES, "daily": DAILY_RANGES, "train": TRAIN_RANGES}[kind]
    if kind in ("inference", "daily") and ("decode_tps" in values or "prefill_tps" in values):
        ranges = {k: v for k, v in ranges.items() if k in ("util", "peak")}
    sens: list[Sensitivity] = []
    if base_metric:
        for key, (lo, hi, _why) in ranges.items():
            if key in values:
                continue
            costs = []
            for val in (lo, hi):
                vq = base_q.model_copy(deep=True)
                from engine.query import parse_option

                k, typed, canon = parse_option(key, val)
                vq.values[k] = typed
                vq.options[k] = canon
                try:
                    costs.append(_metric(run_query(vq, config), kind))
                except GpucostError:
                    costs.append(None)
            if None in costs:
                continue
            c_lo, c_hi = float(costs[0]), float(costs[1])  # type: ignore[arg-type]
            sens.append(
                Sensitivity(
                    assumption=key,
                    low=lo,
                    high=hi,
                    cost_at_low=c_lo,
                    cost_at_high=c_hi,
                    swing_pct=abs(c_hi - c_lo) / base_metric * 100,
                )
            )
        layout = _layout_row(base_q, base, config, kind, base_metric)
        if layout is not None:
            sens.append(layout)
        price_range = _catalog_price_range(base_q, base, config)
        if price_range and base.price_per_gpu_hour:
            lo_p, hi_p = price_range
            scale = base_metric / base.price_per_gpu_hour  # every cost is proportional to the price
            sens.append(
                Sensitivity(
                    assumption="price per GPU-hour (catalog range)",
                    low=f"{lo_p:.3g}",
                    high=f"{hi_p:.3g}",
                    cost_at_low=lo_p * scale,
                    cost_at_high=hi_p * scale,
                    swing_pct=abs(hi_p - lo_p) * scale / base_metric * 100,
                )
            )
        sens.sort(key=lambda s: -s.swing_pct)
    res = base.model_copy(update={"kind": "explain", "sensitivity": sens, "query": "explain " + base.query})
    if base.cost is None and base.cost_per_request is None and base.cost_per_day is None and sens:
        res.warnings = [*res.warnings, "no price: sensitivity shown on GPU-hours / time per token instead of cost"]
    return res
