"""Block Kit rendering of engine results (and of the bot's own replies).

Only formatting: every number shown comes from a :class:`engine.results.Result`. Slack's limits
are respected here (50 blocks, 10 fields, 3000 characters a section, 10 context elements, 75
characters a button text, 2000 a button value), and every message has a plain ``text`` fallback.
"""

from __future__ import annotations

from typing import Any

from engine.results import Result, Table

#: action_id of the buttons under every estimate; the value is the canonical query.
ACTION_SHARE = "gpucost_share"
ACTION_EXPLAIN = "gpucost_explain"
ACTION_COMPARE = "gpucost_compare"

SECTION_MAX = 3000
MAX_BLOCKS = 50
_SYMBOLS = {"USD": "$", "CNY": "¥"}

Block = dict[str, Any]

# (Result field, label, kind of value) for the headline fields, in the order they are shown.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("cost_per_million_tokens", "Cost / 1M tokens", "money"),
    ("cost_per_million_input_tokens", "Cost / 1M input tokens", "money"),
    ("cost_per_million_output_tokens", "Cost / 1M output tokens", "money"),
    ("cost_per_request", "Cost / request", "money"),
    ("cost", "Total cost", "money"),
    ("cost_per_hour", "Cost / hour", "money"),
    ("cost_per_day", "Cost / day", "money"),
    ("cost_per_month", "Cost / month", "money"),
    ("gpus", "GPUs", "int"),
    ("replicas", "Replicas", "int"),
    ("price_per_gpu_hour", "GPU price / hour", "money"),
    ("gpu_hours", "GPU-hours", "num"),
    ("days", "Days", "num"),
    ("tokens_per_s", "Throughput", "tok/s"),
    ("ttft_s", "Time to first token", "s"),
    ("tpot_s", "Time per output token", "s"),
    ("memory_per_gpu_gb", "Memory / GPU", "GB"),
    ("energy_kwh", "Energy", "kWh"),
)


def esc(text: object) -> str:
    """``text`` safe for Slack mrkdwn: ``&``, ``<`` and ``>`` escaped (Slack's formatting rules), so
    user-derived text can never become a mention (``<!channel>``, ``<@U…>``) or a labelled link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Stands in for a backtick inside code: Slack has no escape for one, so a real one would end the span.
BACKTICK_STAND_IN = "\u02cb"


def code(text: object) -> str:
    """``text`` as an inline code span that user text cannot break out of (escaped, no backticks)."""
    return "`" + esc(text).replace("`", BACKTICK_STAND_IN).replace("\n", " ") + "`"


def code_block(text: object) -> str:
    """``text`` as a preformatted block that user text cannot break out of."""
    return "```" + esc(text).replace("`", BACKTICK_STAND_IN) + "```"


def num(x: float) -> str:
    """A number with 4 significant digits and thousands separators (``1,234``, ``0.01235``)."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def money(x: float, currency: str) -> str:
    """``$1.85``, ``¥13.2``, or ``1.85 EUR`` for a currency without a symbol here."""
    sym = _SYMBOLS.get(currency.upper())
    if abs(x) >= 100:
        body = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.2f}"
    elif abs(x) >= 0.1:
        body = f"{x:.2f}"
    else:
        body = f"{x:.3g}"
    return f"{sym}{body}" if sym else f"{body} {currency}"


def _value(value: Any, how: str, currency: str) -> str:
    if how == "money":
        return money(float(value), currency)
    if how == "int":
        return f"{int(value):,}"
    if how == "s":
        v = float(value)
        return f"{v * 1000:.3g} ms" if v < 1 else f"{v:.3g} s"
    if how == "num":
        return num(float(value))
    return f"{num(float(value))} {how}"


def clip(text: str, limit: int = SECTION_MAX) -> str:
    """Cut ``text`` to Slack's limit, saying so."""
    return text if len(text) <= limit else text[: limit - 2] + "…"


def mrkdwn(text: str) -> Block:
    """A section block of markdown text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def context(*texts: str) -> Block:
    """A context block (small grey text), at most 10 elements."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t)} for t in texts[:10]]}


def header(text: str) -> Block:
    """A header block (plain text, 150 characters)."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text or "gpucost", 150), "emoji": True},
    }


def headline(result: Result) -> str:
    """The engine's one-line summary, used as the plain ``text`` fallback of every answer."""
    try:
        line = result.headline()
    except Exception:  # an engine formatting bug must not lose the answer
        line = ""
    if not line:
        parts = [
            f"{label}: {_value(getattr(result, f), how, result.currency)}"
            for f, label, how in _FIELDS
            if getattr(result, f) is not None
        ][:3]
        line = ", ".join(parts) or (result.title or result.kind)
    return line


def _table_text(table: Table, max_rows: int = 25) -> str:
    cols = [str(c) for c in table.columns]
    rows = [[_cell(v) for v in row] for row in table.rows[:max_rows]]
    widths = [max([len(c)] + [len(r[i]) for r in rows if i < len(r)]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=False))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) for r in rows]
    if len(table.rows) > max_rows:
        lines.append(f"… {len(table.rows) - max_rows} more rows")
    text = "\n".join(lines)
    return code_block(clip(text, SECTION_MAX - 60))


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return num(v)
    return "" if v is None else str(v)


def _breakdown_text(result: Result) -> str:
    cur = result.currency
    rows = [
        [
            line.component,
            f"{num(line.quantity)} {line.unit}",
            money(line.unit_price, cur),
            money(line.cost, cur),
        ]
        for line in result.breakdown
    ]
    table = Table(columns=["component", "quantity", "unit price", "cost"], rows=rows)
    return _table_text(table, max_rows=20)


def buttons(query: str, compare_query: str | None = None) -> Block:
    """The buttons under an estimate: Share and Explain carry its canonical query; Compare GPUs,
    there only when the estimate has a compare (``compare_query``), carries that compare's query."""
    value = query[:2000]
    elements: list[Block] = [
        {
            "type": "button",
            "action_id": ACTION_SHARE,
            "text": {"type": "plain_text", "text": "Share to channel"},
            "value": value,
            "style": "primary",
        },
        {
            "type": "button",
            "action_id": ACTION_EXPLAIN,
            "text": {"type": "plain_text", "text": "Explain"},
            "value": value,
        },
    ]
    if compare_query and len(compare_query) <= 2000:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_COMPARE,
                "text": {"type": "plain_text", "text": "Compare GPUs"},
                "value": compare_query,
            }
        )
    return {"type": "actions", "block_id": "gpucost_actions", "elements": elements}


def result_blocks(
    result: Result, *, with_buttons: bool = True, shared_by: str | None = None, compare_query: str | None = None
) -> list[Block]:
    """Block Kit for any engine result: headline, numbers, breakdown, table, assumptions, warnings;
    the buttons under an estimate (Compare GPUs only with a ``compare_query``)."""
    blocks: list[Block] = [header(result.title or f"gpucost {result.kind}")]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> · re-run or tweak it: {code('/gpucost ' + result.query)}"))
    blocks.append(mrkdwn(f"*{esc(headline(result))}*"))
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_value(getattr(result, f), how, result.currency)}"}
        for f, label, how in _FIELDS
        if getattr(result, f, None) is not None
    ][:10]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if result.breakdown:
        blocks.append(mrkdwn("*Cost breakdown*\n" + _breakdown_text(result)))
    if result.table is not None and result.table.rows:
        blocks.append(mrkdwn(_table_text(result.table)))
    if result.text and result.kind not in ("inference", "daily", "train"):
        blocks.append(mrkdwn(esc(result.text)))
    if result.warnings:
        blocks.append(mrkdwn("\n".join(f":warning: {esc(w)}" for w in result.warnings[:10])))
    if result.assumptions:
        items = [
            f"{'*' if a.user_given else ''}{esc(a.name)}{'*' if a.user_given else ''} = "
            f"{esc(a.value)} ({esc(a.source)})"
            for a in result.assumptions
        ]
        # Context blocks take 10 elements; pack the assumptions into at most 10.
        per = max(1, -(-len(items) // 10))
        chunks = [" · ".join(items[i : i + per]) for i in range(0, len(items), per)]
        blocks.append(context("*Assumptions:*", *chunks[:9]))
    blocks.append(context(code(f"/gpucost {result.query}")))
    if with_buttons and result.kind in ("inference", "daily", "train"):
        blocks.append(buttons(result.query, compare_query))
    return blocks[:MAX_BLOCKS]


def trace_blocks(result: Result) -> list[Block]:
    """The formula trace (``Explain``): each number, its formula, its value and reference."""
    blocks: list[Block] = [header(f"How gpucost got there: {result.title or result.query}"[:150])]
    lines = []
    for step in result.trace:
        ref = f" [{step.ref}]" if step.ref else ""
        lines.append(f"*{esc(step.name)}* = {code(step.formula)} = {num(step.value)} {esc(step.unit)}{esc(ref)}")
    text = "\n".join(lines) or "_The engine gave no formula trace for this estimate._"
    # Split long traces over several sections rather than cutting them.
    chunk: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > SECTION_MAX - 10 and chunk:
            blocks.append(mrkdwn("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(mrkdwn("\n".join(chunk)))
    if result.sensitivity:
        sens = "\n".join(
            f"• *{esc(s.assumption)}* {esc(s.low)} → {esc(s.high)}: {money(s.cost_at_low, result.currency)} to "
            f"{money(s.cost_at_high, result.currency)} ({s.swing_pct:+.0f}%)"
            for s in result.sensitivity[:15]
        )
        blocks.append(mrkdwn("*What moves the answer most*\n" + sens))
    blocks.append(context(code(f"/gpucost {result.query}")))
    return blocks[: MAX_BLOCKS - 1]


def text_blocks(text: str, *, title: str | None = None) -> list[Block]:
    """Plain markdown reply (help, history, settings, errors)."""
    blocks: list[Block] = [header(title)] if title else []
    paragraphs = text.split("\n\n")
    for p in paragraphs:
        if p.strip():
            blocks.append(mrkdwn(p))
    return blocks[:MAX_BLOCKS]


def code_blocks(text: str) -> list[Block]:
    """Preformatted text over as many sections as needed, split at line ends (never mid-fence)."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in text.splitlines():
        if chunk and size + len(line) + 1 > SECTION_MAX - 10:
            blocks.append(mrkdwn(code_block("\n".join(chunk))))
            chunk, size = [], 0
        chunk.append(line[: SECTION_MAX - 10])
        size += len(line) + 1
    if chunk:
        blocks.append(mrkdwn(code_block("\n".join(chunk))))
    return blocks


def error_blocks(message: str, hint: str) -> list[Block]:
    """A one-line error with a hint (never a stack trace). ``message`` is escaped (it may echo the
    user's text); ``hint`` is the bot's own mrkdwn."""
    return [mrkdwn(f":x: {esc(message).replace('`', BACKTICK_STAND_IN)}"), context(hint)]
