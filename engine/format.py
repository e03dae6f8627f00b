"""Plain-text rendering of results (the CLI's output, and text fallbacks for Slack and Excel).

``headline`` lives in :mod:`engine.results` (re-exported here); this module reads results and is
never imported by them.

Imports only the standard library and engine modules.
"""

from __future__ import annotations

from engine.results import Result, headline

__all__ = ["headline", "render_text"]
from engine.units import fmt_money, fmt_num


def _t(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 600:
        return f"{seconds:.3g} s"
    return f"{seconds / 3600:.3g} h"


def _table(columns: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in columns]] + [["" if v is None else _cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for j, row in enumerate(cells):
        lines.append(
            "  ".join(
                v.ljust(widths[i]) if i == 0 or not _numeric(v) else v.rjust(widths[i]) for i, v in enumerate(row)
            ).rstrip()
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric(v: str) -> bool:
    return bool(v) and (v[0].isdigit() or v[0] in "$¥-.") and v != "-"


def _cell(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) < 1e-3:
            return f"{v:.3g}"
        return f"{v:,.4g}"
    return str(v)


#: Human headers of table columns, with units; ``{cur}`` is the result's currency. Money columns
#: are written as money. Columns not listed keep their names.
_HEADERS = {
    "gpus_per_replica": "GPUs/replica",
    "tokens_per_s_per_gpu": "output tok/s per GPU",
    "price_per_gpu_hour": "{cur}/GPU-hour",
    "cost_per_million_tokens": "{cur}/M tokens",
    "cost_per_million_output_tokens": "{cur}/M output tokens",
    "cost_per_request": "{cur}/request",
    "cost_per_day": "{cur}/day",
    "price_source": "price source",
}
_MONEY = {"price_per_gpu_hour", "cost_per_million_tokens", "cost_per_million_output_tokens", "cost_per_request"}


def _readable_table(r: Result) -> tuple[list[str], list[list[object]]]:
    """A result's table with human headers (units, currency) and money written as money."""
    assert r.table is not None
    cols = r.table.columns
    headers = [_HEADERS.get(c, c).format(cur=r.currency) for c in cols]
    money = [c in _MONEY for c in cols]
    rows = [
        [
            fmt_money(v, r.currency) if is_money and isinstance(v, int | float) else v
            for v, is_money in zip(row, money, strict=True)
        ]
        for row in r.table.rows
    ]
    return headers, rows


def render_text(r: Result) -> str:
    """The full human-readable answer."""
    if r.kind == "help":
        return r.text or ""
    cur = r.currency
    m = lambda x: fmt_money(x, cur)  # noqa: E731
    out: list[str] = []
    if r.title:
        out.append(r.title)
        out.append("=" * min(len(r.title), 100))
    if r.kind in ("plan", "curve") and r.table is not None:
        from engine.format_plan import curve_text, plan_text

        out += (plan_text if r.kind == "plan" else curve_text)(r, _table)
        return "\n".join(out + _tail(r))
    if r.text:  # a listing's summary, above its table
        out.append(r.text)
    metrics: list[tuple[str, str]] = []
    add = metrics.append
    if r.kind in ("inference", "daily", "explain"):
        if r.tokens_per_s is not None:
            add(
                (
                    "throughput",
                    f"{fmt_num(r.tokens_per_s)} output tokens/s per replica, "
                    f"{fmt_num(r.tokens_per_s_per_gpu or 0)} per GPU",
                )
            )
        if r.gpus_per_replica is not None:
            add(
                (
                    "GPUs per replica",
                    f"{r.gpus_per_replica}" + (f" (batch {r.batch}, max {r.max_batch})" if r.batch else ""),
                )
            )
        if r.memory_per_gpu_gb is not None:
            add(("memory per GPU", f"{r.memory_per_gpu_gb:.3g} GB"))
        if r.ttft_s is not None:
            lat = f"TTFT {_t(r.ttft_s)}"
            if r.tpot_s is not None:
                lat += f", {_t(r.tpot_s)} per output token"
            if r.request_latency_s is not None:
                lat += f", {_t(r.request_latency_s)} per request"
            add(("latency", lat))
        if r.replicas is not None and (r.kind == "daily" or (r.kind == "explain" and r.gpus != r.gpus_per_replica)):
            add(("fleet", f"{r.gpus} GPUs = {r.replicas} replica(s) x {r.gpus_per_replica}"))
        if r.price_per_gpu_hour is not None:
            add(("price", f"{m(r.price_per_gpu_hour)} per GPU-hour"))
        if r.cost_per_request is not None:
            per_million = f" ({m(r.cost_per_request * 1e6)} per million requests)" if r.cost_per_request < 0.01 else ""
            add(("cost per request", m(r.cost_per_request) + per_million + ", the fleet at the stated traffic"))
            if r.replica_cost_per_request is not None:
                util = r.inputs.get("util")
                at = f"utilisation {util:g}" if isinstance(util, int | float) else "the target utilisation"
                add(("replica cost per request", f"{m(r.replica_cost_per_request)} at {at}, before peak headroom"))
            add(
                (
                    "cost per M tokens",
                    (
                        f"{m(r.cost_per_million_input_tokens)} input, "
                        if r.cost_per_million_input_tokens is not None
                        else "input not measured apart, "
                    )
                    + f"{m(r.cost_per_million_output_tokens or 0)} output, {m(r.cost_per_million_tokens or 0)} blended",
                )
            )
            if r.cost_per_million_cache_miss_input_tokens is not None:
                add(
                    (
                        "input with a prefix cache",
                        f"{m(r.cost_per_million_cache_miss_input_tokens)} per M cache-miss tokens; cache hits skip "
                        "their prefill (their KV memory is carried by the output price)",
                    )
                )
        if r.cost_per_day is not None:
            label = (
                f"cost per day ({r.replicas} replicas at stated traffic)" if r.kind == "inference" else "cost per day"
            )
            add((label, f"{m(r.cost_per_day)}  (month: {m(r.cost_per_month or 0)})"))
    if r.kind in ("train",) or (r.kind == "explain" and r.gpu_hours is not None):
        add(("training FLOPs", f"{r.flops:.3g}"))
        add(("GPU-hours", fmt_num(r.gpu_hours or 0)))
        years = f" ({(r.days or 0) / 365.25:.3g} years)" if (r.days or 0) > 365.25 else ""
        days = f"{r.days:,.0f}" if (r.days or 0) >= 100 else f"{r.days:.3g}"
        add(("wall-clock", f"{days} days{years} on {r.gpus} GPUs"))
        if r.cost is not None:
            add(("cost", m(r.cost)))
    if r.energy_kwh is not None:
        add(
            (
                "energy" if r.gpu_hours is not None else "energy per day",
                f"{fmt_num(r.energy_kwh)} kWh"
                + (
                    f" = {m(r.energy_cost)} of electricity (beside the rental cost)"
                    if r.energy_cost is not None
                    else ""
                ),
            )
        )
    if metrics:
        w = max(len(k) for k, _ in metrics)
        out += [f"{k.ljust(w)}  {v}" for k, v in metrics]
    if r.warnings:  # they decide how to read the answer: right after the headline, before the detail
        out.append("")
        out += [f"warning: {w}" for w in r.warnings]
    if r.breakdown:
        out.append("")
        total = sum(b.cost for b in r.breakdown)
        rows = [[b.component, b.quantity, b.unit, m(b.unit_price), m(b.cost)] for b in r.breakdown]
        rows.append(["total", None, "", "", m(total)])
        out.append(_table(["component", "quantity", "unit", "unit price", "cost"], rows))
    if r.table:
        out.append("")
        out.append(_table(*_readable_table(r)))
    if r.kind == "explain" and r.trace:
        out.append("")
        out.append("How each number is computed:")
        for s in r.trace:
            out.append(
                f"  {s.name} = {s.formula} = {_cell(float(s.value))} {s.unit}" + (f"  [{s.ref}]" if s.ref else "")
            )
    if r.sensitivity:
        out.append("")
        out.append("What moves the cost most (each assumption over its plausible range):")
        out.append(
            _table(
                ["assumption", "low", "high", "cost at low", "cost at high", "swing"],
                [
                    [s.assumption, s.low, s.high, m(s.cost_at_low), m(s.cost_at_high), f"{s.swing_pct:.0f}%"]
                    for s in r.sensitivity
                ],
            )
        )
    return "\n".join(out + _tail(r))


def _tail(r: Result) -> list[str]:
    """The assumptions and the query (for a plan, also the query that reproduces its best row)."""
    out: list[str] = []
    if r.assumptions:
        out.append("")
        out.append("Assumptions:")
        for a in r.assumptions:
            out.append(f"  - {a.name}: {a.value}" + ("" if a.user_given else f"  [{a.source}]"))
    out.append("")
    out.append(f"query: {r.query}")
    if r.kind == "plan" and r.inputs.get("best_query"):
        out.append(f"best row: gpucost {r.inputs['best_query']}")
    return out
