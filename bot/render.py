"""Block Kit rendering of engine results (and of the bot's own replies).

Only formatting: every number shown comes from a :class:`engine.results.Result`. Slack's limits
are respected here (50 blocks, 10 fields, 3000 characters a section, 10 context elements, 75
characters a button text, 2000 a button value), and every message has a plain ``text`` fallback.
"""

from __future__ import annotations

from typing import Any

from bot import tables
from bot.fmt import BACKTICK_STAND_IN, code, code_block, esc, money, num
from engine.results import Result

#: action_id of the buttons under every estimate; the value is the canonical query.
ACTION_SHARE = "gpucost_share"
ACTION_EXPLAIN = "gpucost_explain"
ACTION_COMPARE = "gpucost_compare"

SECTION_MAX = 3000
MAX_BLOCKS = 50

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


def table_blocks(result: Result) -> list[Block]:
    """The result's table cut to Slack (:mod:`bot.tables`): a code block of the rows and columns that
    fit, then one context line with the price sources of a compare and what was left out."""
    fitted = tables.fit(result)
    lines = [tables.sources(result, fitted), tables.note(result, fitted)]
    notes = [esc(lines[0])] if lines[0] else []
    if lines[1]:
        notes.append(lines[1])  # already escaped (the command is a code span)
    return [mrkdwn(code_block(fitted.text)), *([context(*notes)] if notes else [])]


def breakdown_lines(result: Result) -> str:
    """The cost breakdown, one line a component (component: quantity × unit price = cost): lines of
    any length wrap in Slack, where a table of them did not fit."""
    cur = result.currency
    return "\n".join(
        f"• {esc(line.component)}: {num(line.quantity)} {esc(line.unit)} × {money(line.unit_price, cur)}"
        f" = *{money(line.cost, cur)}*"
        for line in result.breakdown[:20]
    )


def buttons(query: str, compare_query: str | None = None, *, explain: bool = True) -> Block:
    """The buttons under an answer: Share and (``explain``: estimates, not plans) Explain carry its
    canonical query; Compare GPUs, there only when the estimate has a compare (``compare_query``),
    carries that compare's query."""
    value = query[:2000]
    elements: list[Block] = [
        {
            "type": "button",
            "action_id": ACTION_SHARE,
            "text": {"type": "plain_text", "text": "Share to channel"},
            "value": value,
            "style": "primary",
        },
    ]
    if explain:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_EXPLAIN,
                "text": {"type": "plain_text", "text": "Explain"},
                "value": value,
            }
        )
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
        blocks.append(mrkdwn("*Cost breakdown*\n" + breakdown_lines(result)))
    if result.text and result.kind not in ("inference", "daily", "train"):
        blocks.append(mrkdwn(esc(result.text)))  # a listing's summary, above its table (as in the CLI)
    if result.table is not None and result.table.rows:
        blocks.extend(table_blocks(result))
    if result.warnings:
        blocks.append(mrkdwn("\n".join(f":warning: {esc(w)}" for w in result.warnings[:10])))
    if result.assumptions:
        blocks.append(assumptions_block(result))
    blocks.append(context(code(f"/gpucost {result.query}")))
    if with_buttons and result.kind in ("inference", "daily", "train"):
        blocks.append(buttons(result.query, compare_query))
    return blocks[:MAX_BLOCKS]


def assumptions_block(result: Result) -> Block:
    """The assumptions and their sources, in one context block (user-given ones in bold)."""
    items = [
        f"{'*' if a.user_given else ''}{esc(a.name)}{'*' if a.user_given else ''} = {esc(a.value)} ({esc(a.source)})"
        for a in result.assumptions
    ]
    # Context blocks take 10 elements; pack the assumptions into at most 10.
    per = max(1, -(-len(items) // 10))
    chunks = [" · ".join(items[i : i + per]) for i in range(0, len(items), per)]
    return context("*Assumptions:*", *chunks[:9])


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


def packed_sections(entries: list[str]) -> list[Block]:
    """Sections holding whole entries (one a line), as many per section as fit in Slack's 3,000
    characters; an entry longer than that on its own is clipped, saying so."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for entry in entries:
        if chunk and size + len(entry) + 1 > SECTION_MAX:
            blocks.append(mrkdwn("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(entry)
        size += len(entry) + 1
    if chunk:
        blocks.append(mrkdwn("\n".join(chunk)))
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
