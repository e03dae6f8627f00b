"""Plain-text rendering of ``plan`` and ``curve`` results (the CLI's output; text fallbacks elsewhere).

A plan reads top down: the best configuration and what it costs, the API it competes with and the
break-even traffic, warnings, the cheapest rows, the cost/latency frontier, the API offers, then the
assumptions and the queries that reproduce it. A curve: its table of batches.

Imports ``results`` and ``units``; never the estimators. :mod:`engine.format` calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.results import Result
from engine.units import fmt_money, fmt_num

#: Rows of the plan's ranking the text shows (the JSON has every row).
TOP_ROWS = 10
#: Rows of the frontier the text shows, fastest to cheapest, evenly picked when there are more.
FRONTIER_ROWS = 8

Table = Callable[[list[str], list[list[object]]], str]


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _col(r: Result) -> dict[str, int]:
    assert r.table is not None
    return {c: i for i, c in enumerate(r.table.columns)}


def _checked_ttft(row: list[Any], c: dict[str, int]) -> float:
    """The TTFT a row was held to: under load (colocated) or an idle prefill replica (disaggregated)."""
    loaded = row[c["ttft_loaded_s"]]
    return row[c["ttft_s"]] if loaded is None else loaded


def _replicas(n: int) -> str:
    return f"{n} replica" + ("" if n == 1 else "s")


def _where(row: list[Any], c: dict[str, int]) -> str:
    return " ".join(x for x in (row[c["provider"]], row[c["region"]]) if x)


def _ranking(r: Result, rows: list[list[Any]], c: dict[str, int]) -> tuple[list[str], list[list[object]]]:
    m = lambda x: fmt_money(x, r.currency)  # noqa: E731
    head = ["#", "gpu", "GPUs", "per replica", "layout", "dtype", "engine", "batch", "where",
            f"{r.currency}/GPU-h", f"{r.currency}/day", f"{r.currency}/M out", "TTFT", "TPOT", "frontier"]  # fmt: skip
    body: list[list[object]] = [
        [
            row[c["rank"]], row[c["gpu"]], row[c["gpus"]], row[c["gpus_per_replica"]], row[c["layout"]],
            row[c["dtype"]], row[c["engine"]], row[c["batch"]], _where(row, c), m(row[c["price_per_gpu_hour"]]),
            m(row[c["cost_per_day"]]), m(row[c["cost_per_million_output_tokens"]]), _ms(_checked_ttft(row, c)),
            _ms(row[c["tpot_s"]]), "*" if row[c["pareto"]] else "",
        ]
        for row in rows
    ]  # fmt: skip
    return head, body


def _frontier(rows: list[list[Any]], c: dict[str, int]) -> list[list[Any]]:
    """The frontier rows, fastest first; at most ``FRONTIER_ROWS``, evenly spread over it."""
    front = sorted((row for row in rows if row[c["pareto"]]), key=lambda row: row[c["tpot_s"]])
    if len(front) <= FRONTIER_ROWS:
        return front
    step = (len(front) - 1) / (FRONTIER_ROWS - 1)
    return [front[round(i * step)] for i in range(FRONTIER_ROWS)]


def plan_text(r: Result, table: Table) -> list[str]:
    """The lines of a plan above its assumptions (see the module docstring)."""
    assert r.table is not None
    m = lambda x: fmt_money(x, r.currency)  # noqa: E731
    c = _col(r)
    rows = r.table.rows
    best = rows[0]
    out: list[str] = []
    metrics = [
        ("best", f"{best[c['gpus']]}x {best[c['gpu']]} ({_replicas(best[c['replicas']])}: {best[c['layout']]}), "
                 f"{best[c['dtype']]}, {best[c['engine']]}, batch {best[c['batch']]}"),
        ("cost per day", f"{m(r.cost_per_day or 0)} (month: {m(r.cost_per_month or 0)}) at {_where(best, c)}, "
                         f"{m(r.price_per_gpu_hour or 0)} per GPU-hour"),
        ("latency", f"TTFT {_ms(_checked_ttft(best, c))}"
                    + (" under load" if best[c["ttft_loaded_s"]] is not None else " (idle prefill replica)")
                    + f", {_ms(r.tpot_s)} per output token ({1 / (r.tpot_s or 1):.3g} tokens/s per user)"),
        ("cost per M tokens", f"{m(r.cost_per_million_output_tokens or 0)} output"
                              + (f", {m(r.cost_per_million_input_tokens)} input" if r.cost_per_million_input_tokens
                                 is not None else "")),
    ]  # fmt: skip
    if r.api:
        o = r.api[0]
        metrics.append(("cheapest API", f"{o.provider} {o.provider_model}: {m(o.cost_per_day)}/day "
                        f"(${o.usd_per_million_input_tokens:g} in, ${o.usd_per_million_output_tokens:g} out per M "
                        "tokens)"))  # fmt: skip
        requests = float(r.inputs.get("requests_per_day", 0))
        if r.break_even_requests_per_day is None:
            even = "none: the API costs less at every traffic"
        else:
            even = f"self-hosting costs less above {fmt_num(r.break_even_requests_per_day)} requests/day"
        even += f" (at {fmt_num(requests)} requests/day: self-hosting {m(r.cost_per_day or 0)}"
        even += f", API {m(o.cost_per_day)})"
        metrics.append(("break-even", even))
    else:
        metrics.append(("API", "no published offer for this model"))
    w = max(len(k) for k, _ in metrics)
    out += [f"{k.ljust(w)}  {v}" for k, v in metrics]
    if r.warnings:
        out.append("")
        out += [f"warning: {x}" for x in r.warnings]
    shown = rows[:TOP_ROWS]
    out.append("")
    out.append(f"The cheapest {len(shown)} of {len(rows):,} configurations per day (* on the frontier):")
    out.append(table(*_ranking(r, shown, c)))
    front = _frontier(rows, c)
    if front:
        out.append("")
        n = sum(1 for row in rows if row[c["pareto"]])
        out.append(f"Frontier: cost per million output tokens against time per output token ({len(front)} of {n}):")
        out.append(table(*_ranking(r, front, c)))
    if r.api:
        out.append("")
        out.append(f"API offers for the same workload ({r.currency}/day; prices per million tokens in USD):")
        head = ["provider", "model", "input", "cached input", "output", f"{r.currency}/day", "as of"]
        usd = lambda x: "" if x is None else f"${x:g}"  # noqa: E731
        offers: list[list[object]] = [
            [o.provider, o.provider_model, usd(o.usd_per_million_input_tokens),
             usd(o.usd_per_million_cached_input_tokens), usd(o.usd_per_million_output_tokens), m(o.cost_per_day),
             o.as_of]
            for o in r.api
        ]  # fmt: skip
        out.append(table(head, offers))
    out.append("")
    out.append("TTFT: of a prompt reaching a busy replica (colocated) or an idle prefill replica plus the KV transfer "
               "(disaggregated), as each row's daily query reports it")  # fmt: skip
    return out


def curve_text(r: Result, table: Table) -> list[str]:
    """The lines of a curve above its assumptions: one row per (layout, batch)."""
    assert r.table is not None
    c = _col(r)
    money = "replica_cost_per_million_output_tokens" in c
    head = ["layout", "GPUs", "batch", "tok/s per GPU", "tok/s per user", "TPOT", "TTFT", "TTFT loaded"]
    if money:
        head.append(f"{r.currency}/M out")
    head.append("frontier")
    body = []
    for row in r.table.rows:
        line: list[object] = [
            row[c["layout"]], row[c["gpus_per_replica"]], row[c["batch"]], fmt_num(row[c["tokens_per_s_per_gpu"]]),
            f"{row[c['tokens_per_s_per_user']]:.3g}", _ms(row[c["tpot_s"]]), _ms(row[c["ttft_s"]]),
            _ms(row[c["ttft_loaded_s"]]),
        ]  # fmt: skip
        if money:
            v = row[c["replica_cost_per_million_output_tokens"]]
            line.append("" if v is None else fmt_money(v, r.currency))
        line.append("*" if row[c["pareto"]] else "")
        body.append(line)
    warnings = [f"warning: {x}" for x in r.warnings]
    return [*warnings, *([""] if warnings else []), table(head, body)]
