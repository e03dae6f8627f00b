"""Plans and curves in a spreadsheet: the arguments ``AIGC_PLAN``/``AIGC_CURVE`` get, and the answer
they spill.

``gpucost plan`` and ``gpucost curve`` answers (``engine.run``, kinds ``"plan"`` and ``"curve"``) carry
a table: every configuration that meets the limits, ranked by cost per day (plan), or every
(layout, batch) point (curve), with a ``pareto`` column. A spreadsheet gets one view of it:

- ``table``: the header and the first ``top`` rows (a plan's cheapest per day; a full plan has
  100-1,000 rows);
- ``frontier``: the rows where ``pareto`` is true, by output tokens per second per user, which is
  the x of the chart :func:`engine.charts.series` draws (same points, same order);
- ``api`` (plan): the published API offers for the model, priced for the workload;
- ``summary``: (metric, value) lines: the query, the headline, the best configuration's figures, how
  many configurations were evaluated, the break-even traffic, the warnings and the assumptions;
- one value of the best configuration (a plan's first row).

Computes nothing: the engine answers, this picks and shapes. Imports the standard library and
``excel._shape`` only (it is inlined into the generated xlwings Lite ``main.py``, after ``_shape``
and before ``functions``), never ``engine``, ``bot`` or ``xlwings``.
"""

from __future__ import annotations

from typing import Any

from excel._shape import (
    ExcelArgumentError,
    Grid,
    clean_table,
    error_value,
    excerpt,
    flatten,
    is_blank,
    text_token,
    to_grid,
)

#: Rows of a plan's ``table`` view when ``top`` is empty: the cheapest 20 per day. A full plan lists
#: 100-1,000 configurations (``gpucost plan``'s ``rows``); the planner's author suggested a top-N
#: argument "default e.g. 20" for spreadsheets. ``top="all"`` spills every row.
PLAN_TOP = 20

#: Words of the ``output`` argument that choose a view (any case; spaces, hyphens or underscores).
PLAN_VIEWS: dict[str, str] = {
    "table": "table",
    "rows": "table",
    "all": "table",
    "*": "table",
    "frontier": "frontier",
    "pareto": "frontier",
    "api": "api",
    "apis": "api",
    "summary": "summary",
    "assumptions": "summary",
}

#: Columns of the ``api`` view, in order (``engine.results.ApiOffer`` fields).
API_COLUMNS: tuple[str, ...] = (
    "provider",
    "model",
    "provider_model",
    "usd_per_million_input_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_output_tokens",
    "currency_as_published",
    "cost_per_day",
    "cost_per_request",
    "as_of",
    "source",
)

#: ``inputs`` of a plan result that the summary lists, in order.
PLAN_INPUTS: tuple[str, ...] = (
    "best_query",
    "gpu_kinds",
    "rows",
    "serving_plans",
    "performance_points",
    "configurations_evaluated",
    "configurations_meeting_limits",
    "elapsed_s",
)

#: ``inputs`` of a curve result that the summary lists, in order.
CURVE_INPUTS: tuple[str, ...] = ("gpu_name", "dtype", "engine", "in", "out", "util", "price_source", "points")


def output_key(text: str) -> str:
    """An ``output`` word as a lookup key: lower case, words joined by underscores."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def plan_view(output: str | None) -> str | None:
    """The view ``output`` names (``table`` when empty), or None when it names something else."""
    if output is None:
        return "table"
    return PLAN_VIEWS.get(output_key(output))


def gpu_names(value: Any, name: str = "gpus") -> str | None:
    """A range (or comma-separated text) of GPU names as a plan's ``gpus=`` value (``H100@2.5``
    gives a price), or None when every cell is empty (the plan then searches every GPU kind with a
    price). An error cell is refused naming its position: a plan over the other GPUs would be a
    different question."""
    names: list[str] = []
    for i, cell in enumerate(flatten(to_grid(value)), start=1):
        code = error_value(cell)
        if code is not None:
            raise ExcelArgumentError(
                f"'{name}' cell {i} is the error {code}; fix the cell it comes from, or leave it empty"
            )
        token = text_token(cell, name)
        if token is not None:
            names += [part.strip() for part in token.split(",") if part.strip()]
    return ",".join(names) or None


def top_rows(value: Any, default: int | None, name: str = "top") -> int | None:
    """The ``top`` argument as a row count (None: every row); ``default`` when it is empty."""
    grid = to_grid(value)
    if len(grid) != 1 or len(grid[0]) != 1:
        raise ExcelArgumentError(f"'{name}' must be a single cell, not a range")
    cell = grid[0][0]
    if is_blank(cell):
        return default
    token = text_token(cell, name)
    assert token is not None
    if token.lower() in ("all", "*"):
        return None
    try:
        number = float(token)
    except ValueError:
        number = float("nan")
    if isinstance(cell, bool) or not number.is_integer() or number < 1:
        raise ExcelArgumentError(
            f"'{name}' must be a whole number of rows (1 or more) or \"all\", not '{excerpt(token)}'"
        )
    return int(number)


def frontier_rows(columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """The rows on the frontier (``pareto`` true), by output tokens per second per user, ties kept in
    the table's order: the points and order of :func:`engine.charts.series`' frontier."""
    pareto, speed = columns.index("pareto"), columns.index("tokens_per_s_per_user")
    return sorted((row for row in rows if row[pareto] is True), key=lambda row: row[speed])


def table_view(columns: list[str], rows: list[list[Any]], which: str, top: int | None) -> Grid:
    """The ``table`` or ``frontier`` view: the header and at most ``top`` rows (None: all)."""
    chosen = frontier_rows(columns, rows) if which == "frontier" else rows
    return clean_table([list(columns), *(chosen if top is None else chosen[:top])])


def api_view(offers: list[dict[str, Any]], warnings: list[str]) -> Grid:
    """The ``api`` view: one row per offer (cheapest per day first), or one cell saying why there is none."""
    if not offers:
        why = next((w for w in warnings if "API" in w), "no published API offer for this model")
        return [[f"(none) {why}"]]
    return clean_table([list(API_COLUMNS), *[[offer.get(c) for c in API_COLUMNS] for offer in offers]])


def best_value(columns: list[str], rows: list[list[Any]], column: str) -> Any:
    """``column`` of a plan's first row (its cheapest configuration per day)."""
    value = rows[0][columns.index(column)]
    if value is None:
        raise ExcelArgumentError(f"'{column}' is empty for the cheapest configuration ({excerpt(rows[0][-1], 80)})")
    return value


def summary_view(data: dict[str, Any], headline: str, numeric_keys: tuple[str, ...]) -> Grid:
    """The ``summary`` view of a plan or curve result (``data``: its ``to_json_dict()``)."""
    inputs: dict[str, Any] = data.get("inputs") or {}
    rows: list[list[Any]] = [
        ["metric", "value"],
        ["kind", data["kind"]],
        ["query", data["query"]],
        ["headline", headline],
        ["currency", data["currency"]],
    ]
    table = data.get("table") or {}
    columns, records = table.get("columns", []), table.get("rows", [])
    if "pareto" in columns:
        rows.append(["frontier_rows", len(frontier_rows(columns, records))])
    for name in PLAN_INPUTS if data["kind"] == "plan" else CURVE_INPUTS:
        if inputs.get(name) is not None:
            value = inputs[name]
            rows.append([name, ", ".join(map(str, value)) if isinstance(value, list) else value])
    if data["kind"] == "plan":
        even = "break_even_requests_per_day"
        rows += [[f"best: {k}", data[k]] for k in numeric_keys if data.get(k) is not None and k != even]
        offers = data.get("api") or []
        if offers:
            never = "none: the API is cheaper at every traffic"
            rows.append([even, data[even] if data.get(even) is not None else never])
            rows += [[f"api: {o['provider']} {o['provider_model']}: cost_per_day", o["cost_per_day"]] for o in offers]
    elif data.get("price_per_gpu_hour") is not None:
        rows.append(["price_per_gpu_hour", data["price_per_gpu_hour"]])
    rows += [["warning", text] for text in data.get("warnings") or []]
    rows += [[f"assumption: {a['name']}", f"{a['value']} ({a['source']})" if a.get("source") else a["value"]]
             for a in data.get("assumptions") or []]  # fmt: skip
    return clean_table(rows)
