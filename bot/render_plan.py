"""Block Kit for ``plan`` and ``curve`` results: what ``/gpucost plan ...`` and ``/gpucost curve ...`` post.

Only formatting: every number comes from the engine's :class:`~engine.results.Result` (its fields,
its table, its API offers, ``inputs``). A plan reads as the command line's does: the best
configuration, its cost per day and latency, the cheapest API offer and the break-even traffic;
then the cheapest five rows in a table that fits Slack (:mod:`bot.tables`), each row's ``daily``
query (which reproduces it, breakdown included) in a code span, the API offers with their dates
and sources, warnings, assumptions, and how many configurations were searched in how long. A curve:
its frontier in a table, each point's query, and how many points. User-derived text is escaped
(``bot.fmt``): a shared plan can never mention or link anyone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot import tables
from bot.fmt import code, code_block, esc, money
from bot.render import (
    SECTION_MAX,
    Block,
    assumptions_block,
    buttons,
    clip,
    context,
    header,
    headline,
    mrkdwn,
)
from engine.results import Result, Table

#: Rows of a plan shown in Slack (the cheapest per day); the note under the table counts the rest.
TOP_ROWS = 5
#: Points of a curve's frontier shown, fastest per user first, evenly picked when there are more.
CURVE_ROWS = 10
#: API offers listed under a plan (cheapest per day first).
API_ROWS = 5

#: Columns of the Slack table of a plan (keys of :data:`bot.tables.VIEWS`\\["plan"]).
PLAN_COLUMNS = ("rank", "gpu", "gpus", "layout", "dtype", "engine", "where", "cost_per_day",
                "cost_per_million_output_tokens", "ttft", "tpot_s")  # fmt: skip
CURVE_COLUMNS = ("layout", "gpus_per_replica", "batch", "tokens_per_s_per_gpu", "tokens_per_s_per_user", "tpot_s",
                 "ttft_loaded_s", "replica_cost_per_million_output_tokens")  # fmt: skip


def rows_of(result: Result) -> list[dict[str, Any]]:
    """The engine table's rows as dicts (column name to value)."""
    table = result.table
    assert table is not None
    return [dict(zip(table.columns, row, strict=False)) for row in table.rows]


def checked_ttft(row: dict[str, Any]) -> float | None:
    """The TTFT a plan row was held to and the command line shows: under load for a colocated
    replica (``ttft_loaded_s``), an idle prefill replica plus the KV transfer for a disaggregated one
    (``ttft_s``, its ``ttft_loaded_s`` being empty) [s]."""
    loaded = row.get("ttft_loaded_s")
    return row.get("ttft_s") if loaded is None else loaded


def where(row: dict[str, Any]) -> str:
    """``provider region`` of a plan row (empty parts left out)."""
    return " ".join(str(x) for x in (row.get("provider"), row.get("region")) if x)


def plan_table(result: Result, n: int = TOP_ROWS) -> Table:
    """The first ``n`` rows of a plan (cheapest per day first) with the columns Slack shows."""
    rows = []
    for row in rows_of(result)[:n]:
        shown = {**row, "ttft": checked_ttft(row), "where": where(row)}
        rows.append([shown.get(c) for c in PLAN_COLUMNS])
    return Table(columns=list(PLAN_COLUMNS), rows=rows)


def curve_points(result: Result, n: int = CURVE_ROWS) -> list[dict[str, Any]]:
    """A curve's frontier points, fastest per user first; at most ``n``, evenly spread over it
    (first and last kept). All points when none is marked on the frontier."""
    rows = rows_of(result)
    front = [r for r in rows if r.get("pareto")] or rows
    front.sort(key=lambda r: -float(r.get("tokens_per_s_per_user") or 0))
    if len(front) <= n:
        return front
    step = (len(front) - 1) / (n - 1)
    return [front[round(i * step)] for i in range(n)]


def _fitted_table(result: Result, table: Table, total_rows: int) -> list[Block]:
    """``table`` cut to Slack's width by :func:`bot.tables.fit`, with the note under it counting every
    row of the engine's table (``total_rows``), not only those picked for Slack."""
    shown = result.model_copy(update={"table": table})
    fitted = dataclasses.replace(tables.fit(shown), rows_total=total_rows)
    note = tables.note(shown, fitted)
    return [mrkdwn(code_block(fitted.text)), *([context(note)] if note else [])]


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else tables.seconds(float(seconds))


def plan_summary(result: Result) -> str:
    """The plan's answer in a few lines of mrkdwn: best configuration, cost, latency, API, break-even."""
    cur = result.currency
    best = rows_of(result)[0]
    replicas = best.get("replicas") or 1
    lines = [
        f"*Best:* {best['gpus']}× {esc(best['gpu'])} ({replicas} replica{'s' if replicas != 1 else ''}: "
        f"{esc(best['layout'])}), {esc(best['dtype'])}, {esc(best['engine'])}, batch {best['batch']}, "
        f"at {esc(where(best))}",
    ]
    cost = f"*Cost:* {money(result.cost_per_day or 0, cur)} a day"
    if result.cost_per_month is not None:
        cost += f" ({money(result.cost_per_month, cur)} a month)"
    if result.price_per_gpu_hour is not None:
        cost += f" at {money(result.price_per_gpu_hour, cur)} per GPU-hour"
    if result.cost_per_million_output_tokens is not None:
        cost += f"; {money(result.cost_per_million_output_tokens, cur)} per million output tokens"
    lines.append(cost)
    ttft = checked_ttft(best)
    latency = f"*Latency:* time to first token {_ms(ttft)}"
    latency += " under load" if best.get("ttft_loaded_s") is not None else " (an idle prefill replica)"
    if result.tpot_s:
        latency += f", {_ms(result.tpot_s)} per output token ({1 / result.tpot_s:.3g} tokens/s per user)"
    lines.append(latency)
    if result.api:
        o = result.api[0]
        lines.append(
            f"*Cheapest API:* {esc(o.provider)} {code(o.provider_model)}, {money(o.cost_per_day, cur)} a day "
            f"({money(o.usd_per_million_input_tokens, 'USD')} in, {money(o.usd_per_million_output_tokens, 'USD')} "
            "out per million tokens)"
        )
        requests = float(result.inputs.get("requests_per_day") or 0)
        at = (
            f" (at {tables.compact(requests)} requests a day: self-hosting {money(result.cost_per_day or 0, cur)}, "
            f"API {money(o.cost_per_day, cur)})"
        )
        if result.break_even_requests_per_day is None:
            lines.append("*Break-even:* none: the API costs less at every traffic" + at)
        else:
            lines.append(
                f"*Break-even:* self-hosting costs less above "
                f"{tables.compact(result.break_even_requests_per_day)} requests a day" + at
            )
    else:
        lines.append("*API:* no published offer for this model (`/gpucost api` lists the models priced)")
    return "\n".join(lines)


def row_queries(queries: list[tuple[str, str]], title: str) -> Block:
    """A section listing ``(label, query)`` pairs, each query a code span that reproduces its row."""
    lines = [f"{esc(label)} {code('/gpucost ' + q)}" for label, q in queries]
    return mrkdwn(clip(f"*{title}*\n" + "\n".join(lines), SECTION_MAX))


def api_offers(result: Result) -> Block | None:
    """The API offers for the same workload, each with its prices, date and source."""
    if not result.api:
        return None
    cur = result.currency
    lines = []
    for o in result.api[:API_ROWS]:
        cached = o.usd_per_million_cached_input_tokens
        prices = f"{money(o.usd_per_million_input_tokens, 'USD')} in"
        if cached is not None:
            prices += f", {money(cached, 'USD')} cached"
        prices += f", {money(o.usd_per_million_output_tokens, 'USD')} out"
        if o.currency_as_published != "USD":
            prices += f" (published in {esc(o.currency_as_published)})"
        source = f"<{esc(o.source)}|source>" if o.source.startswith(("https://", "http://")) else esc(o.source)
        lines.append(
            f"• {esc(o.provider)} {code(o.provider_model)}: *{money(o.cost_per_day, cur)} a day* ({prices} per "
            f"million tokens; {esc(o.as_of)}, {source})"
        )
    more = len(result.api) - API_ROWS
    if more > 0:
        lines.append(f"… and {more} more: `gpucost api {esc(str(result.inputs.get('model', '')))}` in a terminal.")
    return mrkdwn("*API offers for the same workload*\n" + "\n".join(lines))


def _warnings(result: Result) -> list[Block]:
    if not result.warnings:
        return []
    return [mrkdwn("\n".join(f":warning: {esc(w)}" for w in result.warnings[:10]))]


def search_line(result: Result, answered_in_s: float | None = None) -> str:
    """How many configurations were searched and in how long (the engine's own count and timing)."""
    i = result.inputs
    evaluated, met, listed = i.get("configurations_evaluated"), i.get("configurations_meeting_limits"), i.get("rows")
    elapsed = i.get("elapsed_s")
    parts = []
    if isinstance(evaluated, int):
        what = f"{evaluated:,} configurations evaluated"
        if isinstance(met, int):
            what += f" ({met:,} meeting the limits)"
        if isinstance(elapsed, (int, float)):
            what += f" in {tables.seconds(float(elapsed))}"
        parts.append(what)
    if isinstance(listed, int):
        parts.append(f"{listed:,} listed, the {min(TOP_ROWS, listed)} cheapest per day shown")
    line = "; ".join(parts)
    if answered_in_s is not None:
        line += f". Answered {tables.seconds(answered_in_s)} after the command."
    return line


def plan_blocks(
    result: Result,
    *,
    with_buttons: bool = True,
    shared_by: str | None = None,
    answered_in_s: float | None = None,
    chart_note: bool = False,
) -> list[Block]:
    """Block Kit for a ``plan`` result (see the module docstring)."""
    blocks: list[Block] = [header(result.title or "gpucost plan")]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> · re-run or tweak it: {code('/gpucost ' + result.query)}"))
    blocks.append(mrkdwn(plan_summary(result)))
    assert result.table is not None
    blocks += _fitted_table(result, plan_table(result), len(result.table.rows))
    top = rows_of(result)[:TOP_ROWS]
    blocks.append(
        row_queries(
            [(f"#{r['rank']}", str(r["query"])) for r in top],
            "Each row's query (a daily estimate with its breakdown)",
        )
    )
    offers = api_offers(result)
    if offers is not None:
        blocks.append(offers)
    blocks += _warnings(result)
    if result.assumptions:
        blocks.append(assumptions_block(result))
    notes = [esc(search_line(result, answered_in_s))]
    if chart_note:
        notes.append("The chart (cost per million output tokens against tokens/s per user) is on its way to your "
                     "direct messages with the app.")  # fmt: skip
    blocks.append(context(*[n for n in notes if n]))
    blocks.append(context(code(f"/gpucost {result.query}")))
    if with_buttons and not shared_by:
        blocks.append(buttons(result.query, explain=False))
    return blocks


def curve_summary(result: Result, points: list[dict[str, Any]]) -> str:
    """The ends of a curve's frontier: the most throughput per GPU and the most tokens/s per user."""
    i = result.inputs
    price = f"*Price:* {esc(i['price_source'])}" if i.get("price_source") else "*Price:* none (no cost per token)"
    if not points:
        return price
    most_gpu = max(points, key=lambda p: float(p.get("tokens_per_s_per_gpu") or 0))
    most_user = max(points, key=lambda p: float(p.get("tokens_per_s_per_user") or 0))

    def point(p: dict[str, Any]) -> str:
        return (
            f"{p['tokens_per_s_per_gpu']:,.4g} output tokens/s per GPU at {p['tokens_per_s_per_user']:.3g} tokens/s "
            f"per user ({p['gpus_per_replica']}× {esc(p['layout'])}, batch {p['batch']})"
        )

    return f"*Most throughput:* {point(most_gpu)}\n*Most interactive:* {point(most_user)}\n{price}"


def curve_blocks(
    result: Result, *, with_buttons: bool = True, shared_by: str | None = None, chart_note: bool = False
) -> list[Block]:
    """Block Kit for a ``curve`` result: its frontier (table and each point's query) and what it spans."""
    blocks: list[Block] = [header(result.title or "gpucost curve")]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> · re-run or tweak it: {code('/gpucost ' + result.query)}"))
    assert result.table is not None
    points = curve_points(result)
    blocks.append(mrkdwn(curve_summary(result, points)))
    if points:
        table = Table(columns=list(CURVE_COLUMNS), rows=[[p.get(c) for c in CURVE_COLUMNS] for p in points])
        blocks += _fitted_table(result, table, len(result.table.rows))
        queries = [(f"{p['gpus_per_replica']}× {p['layout']} batch {p['batch']}:", str(p["query"])) for p in points]
        blocks.append(row_queries(queries, "Each point's query"))
    blocks += _warnings(result)
    if result.assumptions:
        blocks.append(assumptions_block(result))
    n = len(result.table.rows)
    notes = [
        f"{n:,} point{'s' if n != 1 else ''} (layouts × batch sizes); the frontier's shown, fastest per user first."
    ]
    if chart_note:
        notes.append("The chart (tokens/s per GPU against tokens/s per user) is on its way to your direct messages "
                     "with the app.")  # fmt: skip
    blocks.append(context(*notes))
    blocks.append(context(code(f"/gpucost {result.query}")))
    if with_buttons and not shared_by:
        blocks.append(buttons(result.query, explain=False))
    return blocks


def text(result: Result) -> str:
    """The plain-text fallback (notifications, screen readers): the engine's headline, escaped."""
    return esc(headline(result))
