"""Engine tables (``gpus``, ``models``, ``prices``, ``compare``, ``plan``, ``curve``) as Slack code blocks that fit.

Slack wraps a code block's long lines at the width of the message pane, which scrambles a table,
and a section holds 3,000 characters. So a table is shown as at most :data:`TABLE_ROWS` rows and
as many of its columns as fit in :data:`TABLE_WIDTH` characters, chosen by importance, with short
headers that carry units and the currency; a line under it says what was left out and the
terminal command that shows all of it (``gpucost prices H100 --all``). Only formatting: every
value comes from the engine's :class:`~engine.results.Table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.fmt import _SYMBOLS, code, money, num
from engine.results import Result

#: Widest table line [characters]. A choice, not a published Slack limit: Slack does not state the
#: width at which it wraps code blocks (it follows the window); 72 columns of monospace keep a
#: table unwrapped in a narrow desktop window, where the engine's tables (115-191 wide) were not.
TABLE_WIDTH = 72
#: Most rows shown; the rest are counted in the note under the table.
TABLE_ROWS = 20
#: Longest text cell [characters]; longer ones end in "…".
CELL_MAX = 24


@dataclass(frozen=True)
class Col:
    """How one engine column is shown: header (``{cur}`` is the currency), kind of value, and its
    importance (lower is kept first when not every column fits)."""

    key: str
    header: str
    kind: str  # "text", "num", "int", "count", "money", "bool", "s" (seconds, shown in ms below 1 s)
    rank: int


def _cols(*specs: tuple[str, str, str, int]) -> tuple[Col, ...]:
    return tuple(Col(*s) for s in specs)


#: Per listing: columns in display order. Columns an engine table has and a view does not name are
#: shown after them, least important.
VIEWS: dict[str, tuple[Col, ...]] = {
    "gpus": _cols(
        ("id", "GPU", "text", 0),
        ("memory_gb", "mem GB", "num", 1),
        ("memory_bw_gb_s", "BW GB/s", "num", 2),
        ("tflops_fp16", "FP16 TFLOPS", "num", 3),
        ("tflops_fp8", "FP8 TFLOPS", "num", 4),
        ("tops_int8", "INT8 TOPS", "num", 6),
        ("tflops_fp32", "FP32 TFLOPS", "num", 7),
        ("tdp_w", "TDP W", "num", 5),
        ("name", "name", "text", 8),
        ("as_of", "as of", "text", 9),
    ),
    "models": _cols(
        ("id", "model", "text", 0),
        ("params", "params", "count", 1),
        ("active_params", "active", "count", 2),
        ("layers", "layers", "int", 4),
        ("d_model", "width", "int", 6),
        ("attention", "attn", "text", 5),
        ("kv_heads", "KV heads", "int", 7),
        ("max_context", "context", "int", 3),
        ("name", "name", "text", 8),
    ),
    "prices": _cols(
        ("gpu", "GPU", "text", 6),
        ("provider", "provider", "text", 1),
        ("region", "region", "text", 2),
        ("instance", "instance", "text", 5),
        ("gpus", "GPUs", "int", 4),
        ("type", "type", "text", 3),
        ("price_per_gpu_hour", "{cur}/GPU-h", "money", 0),
        ("includes_host", "host", "bool", 7),
        ("as_of", "as of", "text", 8),
    ),
    "compare": _cols(
        ("rank", "#", "int", 0),
        ("gpu", "GPU", "text", 0),
        ("gpus_per_replica", "GPUs", "int", 4),
        ("tokens_per_s_per_gpu", "tok/s/GPU", "num", 5),
        ("price_per_gpu_hour", "{cur}/GPU-h", "money", 2),
        ("cost_per_million_tokens", "{cur}/M tok", "money", 1),
        ("cost_per_million_output_tokens", "{cur}/M out", "money", 3),
        ("cost_per_request", "{cur}/req", "money", 6),
        ("price_source", "price source", "text", 7),
    ),
    # The Slack table of a plan (bot.render_plan.plan_table: the engine's columns, plus "ttft", the
    # TTFT each row was held to, and "where", its provider and region).
    "plan": _cols(
        ("rank", "#", "int", 0),
        ("gpu", "GPU", "text", 0),
        ("gpus", "GPUs", "int", 1),
        ("layout", "layout", "text", 7),
        ("dtype", "dtype", "text", 5),
        ("engine", "engine", "text", 6),
        ("where", "where", "text", 8),
        ("cost_per_day", "{cur}/day", "money", 1),
        ("cost_per_million_output_tokens", "{cur}/M out", "money", 4),
        ("ttft", "TTFT", "s", 3),
        ("tpot_s", "TPOT", "s", 2),
    ),
    "curve": _cols(
        ("layout", "layout", "text", 3),
        ("gpus_per_replica", "GPUs", "int", 2),
        ("batch", "batch", "int", 0),
        ("tokens_per_s_per_gpu", "tok/s/GPU", "num", 0),
        ("tokens_per_s_per_user", "tok/s/user", "num", 1),
        ("tpot_s", "TPOT", "s", 4),
        ("ttft_loaded_s", "TTFT loaded", "s", 5),
        ("replica_cost_per_million_output_tokens", "{cur}/M out", "money", 2),
    ),
}


def compact(n: float) -> str:
    """A count with a unit suffix: ``70.6B``, ``117M``, ``8K``."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:g}"


def seconds(x: float) -> str:
    """A duration: ``68.2 ms`` below a second, ``1.5 s`` from it (3 significant digits)."""
    return f"{x * 1000:.3g} ms" if abs(x) < 1 else f"{x:.3g} s"


def _cell(value: Any, kind: str, currency: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "bool" or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if kind == "s":
            return seconds(float(value))
        if kind == "money":
            return money(float(value), currency)
        if kind == "count":
            return compact(float(value))
        if kind == "int" and float(value).is_integer():
            return f"{int(value):,}"
        return num(float(value))
    text = " ".join(str(value).split())
    return text if len(text) <= CELL_MAX else text[: CELL_MAX - 1] + "…"


@dataclass(frozen=True)
class Fitted:
    """A table cut to Slack: its text (no fences), and what was left out."""

    text: str
    rows_shown: int
    rows_total: int
    hidden_columns: tuple[str, ...]


def fit(result: Result, width: int = TABLE_WIDTH, max_rows: int = TABLE_ROWS) -> Fitted:
    """The result's table as at most ``max_rows`` rows and the most important columns that fit in
    ``width`` characters (two spaces between columns)."""
    table = result.table
    assert table is not None
    cur = result.currency
    view = VIEWS.get(result.kind, ())
    index = {key: i for i, key in enumerate(table.columns)}
    named = {c.key for c in view}
    cols = [c for c in view if c.key in index]
    for i, key in enumerate(table.columns):  # columns the view does not know: after, least important
        if key not in named:
            values = [r[i] for r in table.rows if i < len(r) and r[i] not in (None, "")]
            numeric = bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            cols.append(Col(key, key.replace("_", " "), "num" if numeric else "text", 100 + i))
    rows = table.rows[:max_rows]
    cells = {
        c.key: [_cell(r[index[c.key]] if index[c.key] < len(r) else None, c.kind, cur) for r in rows] for c in cols
    }
    headers = {c.key: c.header.replace("{cur}", _SYMBOLS.get(cur.upper(), cur.upper())) for c in cols}
    widths = {c.key: max([len(headers[c.key]), *map(len, cells[c.key])]) for c in cols}
    kept: set[str] = set()
    used = -2
    for c in sorted(cols, key=lambda c: c.rank):
        if used + 2 + widths[c.key] <= width:
            kept.add(c.key)
            used += 2 + widths[c.key]
    shown = [c for c in cols if c.key in kept]
    right = {c.key for c in shown if c.kind not in ("text", "bool")}

    def line(values: dict[str, str]) -> str:
        parts = [
            values[c.key].rjust(widths[c.key]) if c.key in right else values[c.key].ljust(widths[c.key]) for c in shown
        ]
        return "  ".join(parts).rstrip()

    lines = [line(headers)] + [line({c.key: cells[c.key][i] for c in shown}) for i in range(len(rows))]
    hidden = tuple(headers[c.key] for c in cols if c.key not in kept)
    return Fitted("\n".join(lines), len(rows), len(table.rows), hidden)


def terminal_command(result: Result) -> str:
    """The command that shows the whole table in a terminal (``gpucost prices H100 --all`` when the
    engine itself summarised the listing; ``gpucost plan ... --json`` for every row of a plan, whose
    text shows the cheapest ten and the frontier)."""
    command = f"gpucost {result.query}"
    if result.kind == "prices" and "all=true" not in result.query and "--all" in (result.text or ""):
        command += " --all"
    if result.kind == "plan":
        command += " --json"
    return command


def sources(result: Result, fitted: Fitted) -> str | None:
    """Where each row's price comes from, when the ``price source`` column did not fit (a compare):
    provenance is never dropped, only moved under the table."""
    table = result.table
    if table is None or "price source" not in fitted.hidden_columns or "price_source" not in table.columns:
        return None
    src = table.columns.index("price_source")
    label = table.columns.index("gpu") if "gpu" in table.columns else 0
    items = [
        f"{r[label]}: {' '.join(str(r[src]).split())}"
        for r in table.rows[: fitted.rows_shown]
        if src < len(r) and r[src] not in (None, "")
    ]
    return ("Prices: " + "; ".join(items)) if items else None


def note(result: Result, fitted: Fitted) -> str | None:
    """The line under a cut table: what is not shown, and where to see all of it (None if nothing is cut)."""
    left = []
    if fitted.rows_shown < fitted.rows_total:
        more = fitted.rows_total - fitted.rows_shown
        left.append(f"{more:,} more row{'s' if more != 1 else ''}")
    if fitted.hidden_columns:
        left.append(f"column{'s' if len(fitted.hidden_columns) != 1 else ''} {', '.join(fitted.hidden_columns)}")
    engine_cut = terminal_command(result).endswith(" --all")
    if not left and not engine_cut:
        return None
    what = f"Not shown here: {'; '.join(left)}. " if left else ""
    return f"{what}All of it: {code(terminal_command(result))} in a terminal."
