"""Excel custom functions: ``=AIGC_COST()``, ``=AIGC_ESTIMATE()`` and friends.

Every function here only parses what Excel sends, calls the engine and shapes the answer for a
cell or a spilled range; none computes a cost. Numeric and name arguments accept ranges and
broadcast (a column of 10,000 parameter counts gives a column of 10,000 costs, through the
engine's fast column path ``engine.batch.evaluate_many``); empty cells mean "use the default";
bad input raises an error whose one-line message Excel shows on the cell (``#VALUE!``), and a row
of a range that cannot be estimated gets its message in its own cell.

The same module serves classic xlwings (``UDF_MODULES``), xlwings Lite (plugin or pasted
``main.py``) and xlwings Server (re-exported by a ``custom_functions`` module). Without xlwings the
decorators are inert, so the functions are plain Python too.

Parameters carry the annotation ``Any`` (aliased ``CellOrRange``/``Cell``) on purpose: xlwings
Lite and Server treat an argument's annotation as its converter, and a union such as
``float | str | None`` is not a converter they know.

Imports ``engine`` and the standard library (and xlwings when present); never ``bot``.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import engine
import engine.batch
import engine.catalog
import engine.fx
import engine.prices
from engine.config import EngineConfig
from engine.engines import DEFAULT_ENGINE, ENGINES
from engine.errors import GpucostError
from engine.hardware import DTYPES
from engine.planner import COLUMNS as PLAN_COLUMNS
from engine.results import Result
from excel._plans import (
    PLAN_TOP,
    api_view,
    best_value,
    gpu_names,
    output_key,
    plan_view,
    summary_view,
    table_view,
    top_rows,
)
from excel._shape import (
    NOT_FINITE,
    CellError,
    ExcelArgumentError,
    Grid,
    broadcast_shape,
    cell_at,
    clean_table,
    error_value,
    excerpt,
    finite_or_message,
    flatten,
    is_blank,
    is_jsnull,
    refuse_error,
    shape_of,
    text_token,
    to_grid,
)

_F = TypeVar("_F", bound=Callable[..., Any])

#: The engine configuration every function uses. A shared server (xlwings Server) replaces it with
#: one that refuses queries naming files on the server (see excel/xlwings_server.py).
CONFIG = EngineConfig()


def _config(currency: str | None = None) -> EngineConfig:
    return CONFIG.model_copy(update={"currency": currency.upper()}) if currency else CONFIG


try:  # xlwings Lite, classic xlwings and xlwings Server all provide these.
    from xlwings import XlwingsError, arg, func, ret
except ImportError:  # pragma: no cover - exercised by the no-optional-dependencies test

    class XlwingsError(Exception):  # type: ignore[no-redef]
        """Stand-in for ``xlwings.XlwingsError`` when xlwings is not installed."""

    def func(f: Any = None, **_options: Any) -> Any:
        """Inert stand-in for ``xlwings.func`` when xlwings is not installed."""
        return f if f is not None else (lambda g: g)

    def arg(_name: str, _convert: Any = None, **_options: Any) -> Callable[[_F], _F]:
        """Inert stand-in for ``xlwings.arg``."""
        return lambda g: g

    def ret(_convert: Any = None, **_options: Any) -> Callable[[_F], _F]:
        """Inert stand-in for ``xlwings.ret``."""
        return lambda g: g


#: A single cell: number, text, boolean or ``None`` (empty / omitted).
Cell = Any
#: A single cell, or a range as a list of rows (``ndim=2``) or a flat list.
CellOrRange = Any
#: What a function hands back to Excel: one value, or a list of rows that spills.
ExcelResult = Any

__all__ = [
    "aigc_compare",
    "aigc_cost",
    "aigc_curve",
    "aigc_daily",
    "aigc_estimate",
    "aigc_fx",
    "aigc_gpu",
    "aigc_gpus",
    "aigc_infer",
    "aigc_plan",
    "aigc_price",
    "aigc_prices",
    "aigc_train",
]

#: Result fields that hold one number, in the order of ``Result.JSON_KEYS``.
NUMERIC_FIELDS: tuple[str, ...] = Result.NUMBER_KEYS

#: Friendly names a spreadsheet user may type for a metric, to the ``Result`` field.
METRIC_ALIASES: dict[str, str] = {
    "request": "cost_per_request",
    "per_request": "cost_per_request",
    "cost": "cost",
    "元/次": "cost_per_request",
    "input": "cost_per_million_input_tokens",
    "per_million_input_tokens": "cost_per_million_input_tokens",
    "million_input_tokens": "cost_per_million_input_tokens",
    "output": "cost_per_million_output_tokens",
    "per_million_output_tokens": "cost_per_million_output_tokens",
    "million_output_tokens": "cost_per_million_output_tokens",
    "tokens": "cost_per_million_tokens",
    "per_million_tokens": "cost_per_million_tokens",
    "hour": "cost_per_hour",
    "per_hour": "cost_per_hour",
    "day": "cost_per_day",
    "per_day": "cost_per_day",
    "daily": "cost_per_day",
    "month": "cost_per_month",
    "per_month": "cost_per_month",
    "monthly": "cost_per_month",
    "tps": "tokens_per_s",
    "tokens_per_second": "tokens_per_s",
    "throughput": "tokens_per_s",
    "tokens_per_second_per_gpu": "tokens_per_s_per_gpu",
    "ttft": "ttft_s",
    "tpot": "tpot_s",
    "latency": "request_latency_s",
    "memory": "memory_per_gpu_gb",
    "price": "price_per_gpu_hour",
    "energy": "energy_kwh",
}

#: Words that ask for the whole (metric, value) table instead of one number.
TABLE_WORDS = frozenset({"table", "all", "*"})

#: Friendly names for accelerator fields (``AIGC_GPU``).
GPU_FIELD_ALIASES: dict[str, str] = {
    "memory": "memory_gb",
    "vram": "memory_gb",
    "bandwidth": "memory_bw_gb_s",
    "fp32": "peak_tflops_fp32",
    "fp16": "peak_tflops_fp16",
    "bf16": "peak_tflops_fp16",
    "fp8": "peak_tflops_fp8",
    "int8": "peak_tops_int8",
    "int4": "peak_tops_int4",
    "tdp": "tdp_w",
    "power": "tdp_w",
    "interconnect": "interconnect_gb_s",
}

#: Columns of ``AIGC_GPUS()``, in order.
GPU_LIST_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "vendor",
    "memory_gb",
    "memory_bw_gb_s",
    "peak_tflops_fp32",
    "peak_tflops_fp16",
    "peak_tflops_fp8",
    "peak_tops_int8",
    "tdp_w",
)


class ExcelError(XlwingsError, ValueError):
    """What every ``AIGC_*`` function raises: one line, shown on the cell (``#VALUE!`` with the
    message on hover in xlwings Lite and Server, the message as the cell's text in classic xlwings).

    It derives from ``xlwings.XlwingsError`` because xlwings Server passes the message of that class
    on (HTTP 400, which the add-in shows and does not retry) and answers any other exception with
    HTTP 500 "An error occurred." (retried three times); and from ``ValueError`` for plain Python.
    """


class ExcelFunctionError(ExcelError):
    """An unexpected failure, reported on the cell as one line instead of a traceback."""


#: Longest message a cell shows [characters]: Excel's tooltip is one short line.
MESSAGE_CHARS = 400

#: Engine warnings that mean the answer is not for what was asked (a replica or batch too small):
#: a single number must not hide them (issue 15 item 7).
NOT_AS_ASKED = "does not fit"


# ---------------------------------------------------------------------------------------------
# Plumbing shared by every function
# ---------------------------------------------------------------------------------------------


def _excel_errors(f: _F) -> _F:
    """Turn any failure into one exception with a one-line message (xlwings' ``#VALUE!`` path).

    Bad input (``GpucostError``, ``ExcelArgumentError``) keeps its own message; anything else is
    an internal error, still reported in one line, never with a traceback in the cell.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args = tuple(None if is_jsnull(a) else a for a in args)
        kwargs = {k: None if is_jsnull(v) else v for k, v in kwargs.items()}
        try:
            result = f(*args, **kwargs)
        except (GpucostError, ExcelArgumentError) as err:
            raise ExcelError(_one_line(str(err))) from None
        except Exception as err:  # a cell must never show a traceback
            raise ExcelFunctionError(
                _one_line(f"gpucost internal error in {f.__name__.upper()}: {type(err).__name__}: {err}")
            ) from None
        if isinstance(result, list) and _office_js():
            return [[cell.code if isinstance(cell, CellError) else cell for cell in row] for row in result]
        return result

    return wrapper  # type: ignore[return-value]


def _office_js() -> bool:
    """True in the routes that run on Office.js (xlwings Server, xlwings Lite in Pyodide): there
    a spilled cell can hold a real error value (xlwings turns ``"#VALUE!"`` into one)."""
    return os.environ.get("XLWINGS_ON_SERVER") == "true" or sys.platform == "emscripten"


def _arg(name: str, **options: Any) -> Callable[[_F], _F]:
    """``xlwings.arg`` with ``err_to_str=True``: an error cell reaches the function as ``"#N/A"``
    (not as ``None``, which would read as an empty cell and silently mean "the default")."""
    return arg(name, err_to_str=True, **options)  # type: ignore[no-any-return]


def _one_line(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def _metric(value: Cell, default: str) -> str:
    """The ``Result`` field a metric argument names (aliases, any case, spaces or underscores)."""
    if is_blank(value):
        return default
    refuse_error(value, "metric")
    if not isinstance(value, str):
        raise ExcelArgumentError(f"metric must be text such as 'per day', not {excerpt(repr(value))}")
    key = "_".join(value.strip().lower().replace("-", " ").split())
    if key in TABLE_WORDS:
        return "table"
    if key in NUMERIC_FIELDS:
        return key
    field = None
    for cand in (key, key.removeprefix("cost_"), key.removeprefix("cost_per_"), key.removeprefix("per_")):
        if cand in METRIC_ALIASES:
            field = METRIC_ALIASES[cand]
            break
        if f"cost_per_{cand}" in NUMERIC_FIELDS:
            field = f"cost_per_{cand}"
            break
    if field is None:
        known = ", ".join(
            sorted(
                {
                    "per request",
                    "per million input tokens",
                    "per million output tokens",
                    "per day",
                    "gpus",
                    "tokens per second",
                    "table",
                }
            )
        )
        raise ExcelArgumentError(f"unknown metric '{excerpt(value)}'; use one of: {known}, or a result field name")
    return field


def _scalar_text(value: Cell, name: str) -> str | None:
    """A single-cell argument (metric, currency...) as text; a range is refused."""
    grid = to_grid(value)
    if shape_of(grid) != (1, 1):
        raise ExcelArgumentError(f"'{name}' must be a single cell, not a range")
    return text_token(grid[0][0], name)


def _pick(result: Result, metric: str, query: str = "") -> Any:
    """``metric`` of a result, or an error saying why there is none (``query``: the query asked, for
    a result computed without its canonical query)."""
    value = getattr(result, metric, None)
    asked = excerpt(result.query or query, 80)
    if value is None:
        raise ExcelArgumentError(
            f"'{metric}' does not apply to this estimate ({result.kind}: {asked}); "
            "choose another metric or give what it needs (e.g. requests per day for a daily cost)"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ExcelArgumentError(f"'{metric}' is {NOT_FINITE} for {asked}")
    return value


def _result_table(result: Result) -> Grid:
    """A result as a spilled two-column (metric, value) table, or its own table for listings."""
    if result.table is not None:
        return clean_table([list(result.table.columns), *result.table.rows])
    if result.text and result.kind == "help":
        return clean_table([[line] for line in result.text.splitlines() or [""]])
    data = result.to_json_dict()
    rows: list[list[Any]] = [
        ["metric", "value"],
        ["kind", result.kind],
        ["query", result.query],
        ["currency", result.currency],
    ]
    rows += [[key, data[key]] for key in NUMERIC_FIELDS if data.get(key) is not None]
    rows += [["warning", text] for text in result.warnings]
    rows += [[f"assumption: {a.name}", f"{a.value} ({a.source})"] for a in result.assumptions]
    return clean_table(rows)


def _build(kind: str | None, slots: dict[str, str | None]) -> str:
    """The query string for explicit arguments (``None`` slots are left out by the engine)."""
    options = {k: v for k, v in slots.items() if k not in ("model", "gpu", "price") and v is not None}
    return engine.build_query(kind, slots.get("model"), slots.get("gpu"), slots.get("price"), **options)


def _estimate(kind: str | None, args: dict[str, CellOrRange], output: Cell, default_metric: str) -> ExcelResult:
    """Shared body of AIGC_COST/INFER/DAILY/TRAIN: broadcast the arguments, call the engine.

    ``args`` maps a query slot (``model``, ``gpu``, ``price`` or an option name such as ``in``)
    to what Excel sent. One number comes back when every argument is a single cell; otherwise a
    grid of the broadcast shape, one estimate per cell, a bad row holding its error.
    """
    metric = _metric(output, default_metric)
    names = list(args)
    grids = [to_grid(args[n]) for n in names]
    shape = broadcast_shape(names, grids)
    if shape == (1, 1):
        slots = {n: text_token(g[0][0], _label(n)) for n, g in zip(names, grids, strict=True)}
        _require(slots)
        query = _build(kind, slots)
        if metric == "table":
            return _result_table(engine.run(query, config=_config()))
        # one number: the engine's lean path (same numbers, no provenance text to build)
        result = engine.run(query, config=_config(), trace=False)
        _refuse_not_as_asked(result)
        return _pick(result, metric, query)
    if metric == "table":
        raise ExcelArgumentError("a table needs single-cell arguments; ask for one metric to fill a range")
    return _broadcast(kind, names, grids, shape, metric)


def _refuse_not_as_asked(result: Result) -> None:
    """Raise the engine's own warning when the answer is for another replica or batch than asked
    (``=AIGC_COST(7e10, "1xH100", 2.5)`` is estimated at 2x H100: one number must say so)."""
    for text in result.warnings:
        if NOT_AS_ASKED in text:
            raise ExcelArgumentError(f"{text}; ask for a size that fits, or leave the count empty")


#: Query slots whose spreadsheet argument has another name (messages name the argument).
_LABELS = {
    "in": "input_tokens",
    "out": "output_tokens",
    "requests": "requests_per_day",
    "currency": "currency_code",
    "tokens_in": "tokens_in_per_day",
    "tokens_out": "tokens_out_per_day",
}


def _label(slot: str) -> str:
    """The argument name a user sees for a query slot."""
    return _LABELS.get(slot, slot)


def _require(slots: dict[str, str | None]) -> None:
    for name in ("model", "gpu"):
        if name in slots and slots[name] is None:
            raise ExcelArgumentError(
                f"'{name}' is empty; give a {name} name (e.g. "
                f"{'llama-3-70b or 70B' if name == 'model' else 'H100 or 8xH100'})"
            )


def _cell_key(value: Any) -> tuple[str, Any]:
    """A hashable key for a cell value (``1.0`` and ``True`` kept apart, error objects by repr)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return type(value).__name__, value
    return type(value).__name__, repr(value)


def _broadcast(kind: str | None, names: list[str], grids: list[Grid], shape: tuple[int, int], metric: str) -> Grid:
    """Several cells: one engine column call (``engine.batch.evaluate_many``) per combination of
    the other arguments' values, over the cells of the widest varying argument (``model`` first,
    whose column the engine sizes fastest). A 100 x 100 row-by-column table is 100 column calls,
    not 10,000 estimates."""
    rows, cols = shape
    varying = [n for n, g in zip(names, grids, strict=True) if shape_of(g) != (1, 1)]
    size = {n: len(g) * len(g[0]) for n, g in zip(names, grids, strict=True)}
    primary = "model" if "model" in varying else max(varying, key=lambda n: size[n])
    grid_of = dict(zip(names, grids, strict=True))
    others = [n for n in varying if n != primary]
    groups: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    for r in range(rows):
        for c in range(cols):
            key = tuple(_cell_key(cell_at(grid_of[n], r, c)) for n in others)
            groups.setdefault(key, []).append((r, c))
    out: Grid = [[""] * cols for _ in range(rows)]
    for cells in groups.values():
        r0, c0 = cells[0]
        try:
            fixed = {
                n: text_token(cell_at(g, r0, c0), _label(n)) for n, g in zip(names, grids, strict=True) if n != primary
            }
        except ExcelArgumentError as err:
            for r, c in cells:
                out[r][c] = CellError(_one_line(str(err)))
            continue
        if any(fixed.get(n, "") is None for n in ("model", "gpu") if n in others):
            continue  # an empty model or GPU cell of a range: an empty answer cell
        _require(fixed)
        values = _column(kind, fixed, primary, [cell_at(grid_of[primary], r, c) for r, c in cells], metric)
        for (r, c), value in zip(cells, values, strict=True):
            out[r][c] = value
    return out


def _column(kind: str | None, fixed: dict[str, str | None], varying: str, cells: list[Any], metric: str) -> list[Any]:
    """The answers for ``cells`` of the ``varying`` argument, the others ``fixed``: one engine call."""
    if len(cells) == 1:
        token = _token_or_error(cells[0], varying)
        if token is None and varying in ("model", "gpu"):
            return [""]
        return [_one_cell(kind, {**fixed, varying: token}, metric)]
    out: list[Any] = [""] * len(cells)
    tokens: list[str | float] = []
    rows: list[int] = []
    blank_rows: list[int] = []
    for i, cell in enumerate(cells):
        if type(cell) in (int, float) and math.isfinite(cell):
            tokens.append(float(cell))  # a number goes to the engine as is (it reads numbers and text alike)
            rows.append(i)
            continue
        try:
            token = text_token(cell, _label(varying))
        except ExcelArgumentError as err:
            out[i] = CellError(_one_line(str(err)))
            continue
        if token is None:
            blank_rows.append(i)
        else:
            tokens.append(token)
            rows.append(i)
    if blank_rows and varying not in ("model", "gpu"):
        # An empty cell means "the default": one estimate without the option serves every such row.
        fill = _one_cell(kind, {**fixed, varying: None}, metric)
        for i in blank_rows:
            out[i] = fill
    if tokens:
        base = _build(kind, {**fixed, varying: _token_text(tokens[0])})
        try:
            values = engine.batch.evaluate_many(base, varying, tokens, metric, _config())
            values = _check_as_asked(kind, fixed, varying, tokens, values, metric, base)
        except GpucostError:
            # The base query itself is bad (a bad constant, or a bad first row): go row by row so
            # each row says what is wrong with it.
            values = [_one_cell(kind, {**fixed, varying: _token_text(t)}, metric) for t in tokens]
        for i, value in zip(rows, values, strict=True):
            out[i] = _cell_value(value, metric)
    return out


def _token_or_error(cell: Any, name: str) -> str | CellError | None:
    try:
        return text_token(cell, _label(name))
    except ExcelArgumentError as err:
        return CellError(_one_line(str(err)))


def _token_text(token: str | float) -> str:
    return token if isinstance(token, str) else text_token(token, "") or ""


def _asked_sizes(slots: dict[str, str | None]) -> tuple[int | None, int | None]:
    """(GPUs per replica, batch) a query's slots ask for: ``8xH100`` or ``tp=``, ``batch=`` (None: not asked)."""
    gpus = None
    if slots.get("gpu"):
        gpus = engine.catalog.parse_gpu_spec(str(slots["gpu"]))[0]
    for name, current in (("tp", gpus), ("batch", None)):
        text = slots.get(name)
        if text is not None and current is None:
            try:
                value = float(text)
            except ValueError:
                continue
            if name == "tp":
                gpus = int(value)
            else:
                return gpus, int(value)
    return gpus, None


def _check_as_asked(
    kind: str | None,
    fixed: dict[str, str | None],
    varying: str,
    tokens: list[str | float],
    values: list[Any],
    metric: str,
    base: str,
) -> list[Any]:
    """Rows of a column whose replica or batch is not the one asked go through a whole estimate,
    which says so (item 7 for ranges: the column path drops the engine's warnings)."""
    if kind == "train":
        return values
    checks: list[tuple[str, list[int | None]]] = []
    per_row = [_asked_sizes({**fixed, varying: _token_text(t)}) for t in tokens]
    if any(g is not None for g, _ in per_row):
        checks.append(("gpus_per_replica", [g for g, _ in per_row]))
    if any(b is not None for _, b in per_row):
        checks.append(("batch", [b for _, b in per_row]))
    redo: set[int] = set()
    for field, asked in checks:
        got = values if field == metric else engine.batch.evaluate_many(base, varying, tokens, field, _config())
        for i, (want, have) in enumerate(zip(asked, got, strict=True)):
            if want is None or not isinstance(have, (int, float)):
                continue
            if (field == "gpus_per_replica" and have > want) or (field == "batch" and have < want):
                redo.add(i)
    if not redo:
        return values
    out = list(values)
    for i in redo:
        out[i] = _one_cell(kind, {**fixed, varying: _token_text(tokens[i])}, metric)
    return out


def _one_cell(kind: str | None, slots: dict[str, Any], metric: str) -> Any:
    """One estimate for one cell of a range: its value, or its error (a :class:`CellError`)."""
    for value in slots.values():
        if isinstance(value, CellError):
            return value
    try:
        _require(slots)
        query = _build(kind, slots)
        result = engine.run(query, config=_config(), trace=False)
        _refuse_not_as_asked(result)
        return _cell_value(_pick(result, metric, query), metric)
    except ExcelArgumentError as err:
        text = _one_line(str(err))
        return CellError(text, "#N/A" if "does not apply" in text else "#VALUE!")
    except GpucostError as err:
        return CellError(_one_line(str(err)))


def _cell_value(value: Any, metric: str) -> Any:
    if value is None:
        return CellError(f"'{metric}' does not apply to this estimate", "#N/A")
    if isinstance(value, CellError):
        return value
    if isinstance(value, str):  # the engine's message for a bad row of a column
        text = _one_line(value)
        return CellError(text, "#N/A" if "not available" in text else "#VALUE!")
    return finite_or_message(value)


def _broadcast_lookup(values: CellOrRange, name: str, lookup: Callable[[str], Any]) -> ExcelResult:
    """Apply ``lookup`` to one name or to every cell of a range (catalog functions)."""
    grid = to_grid(values)
    if shape_of(grid) == (1, 1):
        token = text_token(grid[0][0], name)
        if token is None:
            raise ExcelArgumentError(f"'{name}' is empty")
        value = lookup(token)
        if isinstance(value, float) and not math.isfinite(value):
            raise ExcelArgumentError(f"{name} '{token}': {NOT_FINITE}")
        return value
    cache: dict[str, Any] = {}
    out: Grid = []
    for row in grid:
        line: list[Any] = []
        for cell in row:
            try:
                token = text_token(cell, name)
            except ExcelArgumentError as err:
                line.append(CellError(_one_line(str(err))))
                continue
            if token is None:
                line.append("")
                continue
            if token not in cache:
                try:
                    cache[token] = finite_or_message(lookup(token))
                except (GpucostError, ExcelArgumentError) as err:
                    cache[token] = CellError(_one_line(str(err)))
            line.append(cache[token])
        out.append(line)
    return out


def _models_table(items: Sequence[Any], fields: Sequence[str] | None = None) -> Grid:
    """Pydantic rows as a spilled table with a header row."""
    if not items:
        return [["(none)"]]
    dumped = [item.model_dump() if hasattr(item, "model_dump") else dict(item) for item in items]
    columns = list(fields) if fields else [k for k, v in dumped[0].items() if not isinstance(v, (dict, list))]
    return clean_table([columns, *[[row.get(c) for c in columns] for row in dumped]])


def _price_value(row: Any) -> float:
    """The per-GPU-hour price of a catalog price row [USD per GPU-hour]: a row published in another
    currency (CNY for the Chinese clouds) is converted at the engine's FX rate (:mod:`engine.fx`)."""
    to_usd = getattr(row, "price_per_gpu_hour", None)
    if callable(to_usd):
        return float(to_usd("USD", _config()))
    for name in ("usd_per_gpu_hour", "price_per_gpu_hour"):
        value = getattr(row, name, None)
        if value is not None:
            return float(value)
    raise ExcelFunctionError("price row without a per-GPU-hour price")


# ---------------------------------------------------------------------------------------------
# The functions Excel sees (Excel names are the upper-case Python names)
# ---------------------------------------------------------------------------------------------

_DOC_MODEL = "Model name (llama-3-70b, gpt2) or parameter count (70B, 1.17e8); a range gives one row per cell"
_DOC_GPU = "GPU name, optionally with a count (H100, 8xH100, P4); a range gives one row per cell"
_DOC_PRICE = 'Price per GPU-hour (0.3, "0.3cny", "$2"); empty = lowest on-demand catalog price'
_DOC_IN = "Input (prompt) tokens per request; empty = engine default"
_DOC_OUT = "Output (generated) tokens per request; empty = engine default"
_DOC_CURRENCY = "Currency of the answer (USD or CNY); empty = USD"
# the choices as the engine lists them, so the functions' help never falls behind the grammar
_DOC_DTYPE = f"Weight precision: {', '.join(DTYPES)}; empty = the precision the model is released in, else 16-bit"
_DOC_ENGINE = f"Serving engine preset: {', '.join(ENGINES)}; empty = {DEFAULT_ENGINE}"
_DOC_OUTPUT = (
    'What to return: a metric ("per request", "per day", "gpus", "tokens per second", '
    'any result field) or "table" for the whole (metric, value) table'
)


@func
@_arg("model", ndim=2, doc=_DOC_MODEL)
@_arg("gpu", ndim=2, doc=_DOC_GPU)
@_arg("price", ndim=2, doc=_DOC_PRICE)
@_arg(
    "metric",
    doc="per request (default), per million input tokens, per million output tokens, per day, gpus, tokens per second",
)
@_arg("input_tokens", ndim=2, doc=_DOC_IN)
@_arg("output_tokens", ndim=2, doc=_DOC_OUT)
@_arg("requests_per_day", ndim=2, doc="Requests per day (for 'per day'); empty = engine default traffic")
@_arg("currency_code", doc=_DOC_CURRENCY)
@_excel_errors
def aigc_cost(
    model: CellOrRange,
    gpu: CellOrRange,
    price: CellOrRange = None,
    metric: Cell = None,
    input_tokens: CellOrRange = None,
    output_tokens: CellOrRange = None,
    requests_per_day: CellOrRange = None,
    currency_code: Cell = None,
) -> ExcelResult:
    """Cost of serving a model on a GPU: by default the cost per request (the article's 元/次).

    =AIGC_COST("70B", "8xH100", 2.5) or =AIGC_COST(A2:A100, "H100", , "per million output tokens").
    """
    field = _metric(metric, "cost_per_request")
    kind = "daily" if field in ("cost_per_day", "cost_per_month") or requests_per_day is not None else None
    args = {
        "model": model,
        "gpu": gpu,
        "price": price,
        "in": input_tokens,
        "out": output_tokens,
        "requests": requests_per_day,
        "currency": _scalar_text(currency_code, "currency_code"),
    }
    return _estimate(kind, _given(args), metric, "cost_per_request")


@func
@_arg("query", doc='A query as in Slack or the command line, e.g. "70B 8xH100 in=500 out=300"')
@_arg("currency_code", doc=_DOC_CURRENCY)
@_excel_errors
def aigc_estimate(query: Cell, currency_code: Cell = None) -> ExcelResult:
    """Any gpucost query, spilled as a two-column (metric, value) table (listings spill as tables).

    =AIGC_ESTIMATE("daily 70B H100 requests=1M in=500 out=300")
    """
    grid = to_grid(query)
    if shape_of(grid) != (1, 1):
        raise ExcelArgumentError("'query' must be a single cell, not a range")
    cell = grid[0][0]
    text = None if is_blank(cell) else str(cell).strip()
    if text is None:
        raise ExcelArgumentError('the query is empty; try "1.17e8 P4 0.3"')
    money = _scalar_text(currency_code, "currency_code")
    return _result_table(engine.run(text, config=_config(money)))


@func
@_arg("model", ndim=2, doc=_DOC_MODEL)
@_arg("gpu", ndim=2, doc=_DOC_GPU)
@_arg("price", ndim=2, doc=_DOC_PRICE)
@_arg("input_tokens", ndim=2, doc=_DOC_IN)
@_arg("output_tokens", ndim=2, doc=_DOC_OUT)
@_arg("output", doc=_DOC_OUTPUT)
@_arg("currency_code", doc=_DOC_CURRENCY)
@_arg("batch", ndim=2, doc='Batch size, or "max" for the largest batch that fits; empty = engine default')
@_arg("tp", ndim=2, doc="Tensor-parallel degree (GPUs per replica); empty = smallest that fits")
@_arg("dtype", doc=_DOC_DTYPE)
@_arg("kv", doc="KV-cache precision; empty = same as the weights")
@_arg("provider", doc="Cloud provider for the catalog price; empty = cheapest")
@_arg("region", doc="Region for the catalog price; empty = any")
@_arg("spot", doc="TRUE for spot prices; empty = on-demand")
@_arg("engine", doc=_DOC_ENGINE)
@_arg("calibration", doc="Name of a calibration profile (gpucost calibrate NAME ...); empty = the preset")
@_excel_errors
def aigc_infer(
    model: CellOrRange,
    gpu: CellOrRange,
    price: CellOrRange = None,
    input_tokens: CellOrRange = None,
    output_tokens: CellOrRange = None,
    output: Cell = None,
    currency_code: Cell = None,
    batch: CellOrRange = None,
    tp: CellOrRange = None,
    dtype: Cell = None,
    kv: Cell = None,
    provider: Cell = None,
    region: Cell = None,
    spot: Cell = None,
    engine: Cell = None,
    calibration: Cell = None,
) -> ExcelResult:
    """Inference estimate for one replica: cost per request by default, or any metric, or a table.

    =AIGC_INFER("llama-3-70b", "H100", , 500, 300, "table") or output "tokens per second",
    "gpus_per_replica", or "gpus" (the fleet for the stated traffic, as in AIGC_DAILY).
    """
    args = {
        "model": model,
        "gpu": gpu,
        "price": price,
        "in": input_tokens,
        "out": output_tokens,
        "batch": batch,
        "tp": tp,
        "dtype": dtype,
        "kv": kv,
        "provider": provider,
        "region": region,
        "spot": _flag(spot),
        "currency": currency_code,
        "engine": engine,
        "calibration": calibration,
    }
    return _estimate(None, _given(args), output, "cost_per_request")


@func
@_arg("model", ndim=2, doc=_DOC_MODEL)
@_arg("gpu", ndim=2, doc=_DOC_GPU)
@_arg("price", ndim=2, doc=_DOC_PRICE)
@_arg("requests_per_day", ndim=2, doc="Requests per day (e.g. 1e8); empty = engine default traffic")
@_arg("input_tokens", ndim=2, doc=_DOC_IN)
@_arg("output_tokens", ndim=2, doc=_DOC_OUT)
@_arg("output", doc=_DOC_OUTPUT + "; default per day")
@_arg("currency_code", doc=_DOC_CURRENCY)
@_arg("peak", ndim=2, doc="Peak-to-average traffic ratio; empty = engine default")
@_arg("util", ndim=2, doc="Target utilisation, 0-1 (run time / (run time + idle)); empty = engine default")
@_arg("tokens_in_per_day", ndim=2, doc="Total input tokens per day (instead of requests); empty = unused")
@_arg("tokens_out_per_day", ndim=2, doc="Total output tokens per day (instead of requests); empty = unused")
@_arg("decode_tps", ndim=2, doc="Measured output tokens/s per GPU (measured mode); empty = modelled")
@_arg("prefill_tps", ndim=2, doc="Measured prompt tokens/s per GPU (measured mode); empty = included in decode_tps")
@_arg("engine", doc=_DOC_ENGINE)
@_arg("calibration", doc="Name of a calibration profile; empty = the preset")
@_excel_errors
def aigc_daily(
    model: CellOrRange,
    gpu: CellOrRange,
    price: CellOrRange = None,
    requests_per_day: CellOrRange = None,
    input_tokens: CellOrRange = None,
    output_tokens: CellOrRange = None,
    output: Cell = None,
    currency_code: Cell = None,
    peak: CellOrRange = None,
    util: CellOrRange = None,
    tokens_in_per_day: CellOrRange = None,
    tokens_out_per_day: CellOrRange = None,
    decode_tps: CellOrRange = None,
    prefill_tps: CellOrRange = None,
    engine: Cell = None,
    calibration: Cell = None,
) -> ExcelResult:
    """Daily cost of a service (GPUs x hours x price at a traffic): cost per day by default.

    =AIGC_DAILY("gpt-3-175b", "A100", , 1e8, 500, 300) or output "gpus", "per month", "table".
    """
    args = {
        "model": model,
        "gpu": gpu,
        "price": price,
        "requests": requests_per_day,
        "in": input_tokens,
        "out": output_tokens,
        "peak": peak,
        "util": util,
        "tokens_in": tokens_in_per_day,
        "tokens_out": tokens_out_per_day,
        "currency": currency_code,
        "decode_tps": decode_tps,
        "prefill_tps": prefill_tps,
        "engine": engine,
        "calibration": calibration,
    }
    return _estimate("daily", _given(args), output, "cost_per_day")


@func
@_arg("model", ndim=2, doc=_DOC_MODEL)
@_arg("gpu", ndim=2, doc="GPU name (H100, A100); a range gives one row per cell")
@_arg("gpus", ndim=2, doc="Number of GPUs training together; empty = engine default")
@_arg("tokens", ndim=2, doc="Training tokens (e.g. 2T, 1.4e12); empty = 20 x parameters (Chinchilla)")
@_arg("mfu", ndim=2, doc="Model FLOPs utilisation, 0-1; empty = engine default")
@_arg("price", ndim=2, doc=_DOC_PRICE)
@_arg("output", doc='What to return: cost (default), days, gpu_hours, flops, energy_kwh, or "table"')
@_arg("dtype", doc="Training precision (bf16, fp8); empty = bf16 where the GPU has it")
@_arg("currency_code", doc=_DOC_CURRENCY)
@_arg("goodput", ndim=2, doc="Share of wall-clock time that advances training, 0-1; empty = engine default")
@_arg("seq", ndim=2, doc="Training sequence length; empty = the model's context, capped at 8192")
@_arg("days", ndim=2, doc="Deadline in days (sizes the GPUs instead of 'gpus'); empty = unused")
@_excel_errors
def aigc_train(
    model: CellOrRange,
    gpu: CellOrRange,
    gpus: CellOrRange = None,
    tokens: CellOrRange = None,
    mfu: CellOrRange = None,
    price: CellOrRange = None,
    output: Cell = None,
    dtype: Cell = None,
    currency_code: Cell = None,
    goodput: CellOrRange = None,
    seq: CellOrRange = None,
    days: CellOrRange = None,
) -> ExcelResult:
    """Training cost (6·N·D FLOPs at an MFU, on a number of GPUs): total cost by default.

    =AIGC_TRAIN("llama-3-8b", "H100", 1024, "15T") or output "days", "gpu_hours", "table".
    """
    args = {
        "model": model,
        "gpu": gpu,
        "price": price,
        "gpus": gpus,
        "tokens": tokens,
        "mfu": mfu,
        "dtype": dtype,
        "currency": currency_code,
        "goodput": goodput,
        "seq": seq,
        "days": days,
    }
    return _estimate("train", _given(args), output, "cost")


@func
@_arg("model", doc=_DOC_MODEL.split(";")[0])
@_arg("gpus", doc="A range (or comma-separated text) of GPU names to compare, e.g. A2:A8")
@_arg("input_tokens", doc=_DOC_IN)
@_arg("output_tokens", doc=_DOC_OUT)
@_arg("requests_per_day", doc="Requests per day; empty = engine default traffic")
@_arg("currency_code", doc=_DOC_CURRENCY)
@_excel_errors
def aigc_compare(
    model: Cell,
    gpus: CellOrRange,
    input_tokens: Cell = None,
    output_tokens: Cell = None,
    requests_per_day: Cell = None,
    currency_code: Cell = None,
) -> ExcelResult:
    """One workload across several GPUs, spilled as a ranking table (cheapest per million tokens first).

    =AIGC_COMPARE("llama-3-70b", A2:A8)
    """
    # (name, its error or None) in the range's order; an error cell is a bad row of its own
    entries: list[tuple[str, CellError | None]] = []
    for i, cell in enumerate(flatten(to_grid(gpus)), start=1):
        code = error_value(cell)
        if code is not None:
            entries.append((code, CellError(f"'gpus' cell {i} is the error {code}; fix the cell it comes from")))
            continue
        token = text_token(cell, "gpus")
        if token is not None:
            entries += [(part.strip(), None) for part in token.split(",") if part.strip()]
    if not entries:
        raise ExcelArgumentError("'gpus' is empty; give a range of GPU names such as A2:A8")
    names = [name for name, err in entries if err is None]
    slots = {
        "model": _scalar_text(model, "model"),
        "gpu": ",".join(names),
        "in": _scalar_text(input_tokens, "input_tokens"),
        "out": _scalar_text(output_tokens, "output_tokens"),
        "requests": _scalar_text(requests_per_day, "requests_per_day"),
        "currency": _scalar_text(currency_code, "currency_code"),
    }
    _require({"model": slots["model"]})
    if len(names) == len(entries):
        try:
            return _result_table(engine.run(_build("compare", slots), config=_config()))
        except GpucostError:
            if len(names) == 1:
                raise
    # One GPU name (or cell) is bad: find which by asking for each alone; the rest still rank.
    first_error: GpucostError | None = None
    checked: list[tuple[str, CellError | None]] = []
    for name, err in entries:
        if err is None:
            try:
                engine.run(_build("compare", {**slots, "gpu": name}), config=_config(), trace=False)
            except GpucostError as exc:
                first_error = first_error or exc
                err = CellError(_one_line(str(exc)))
        checked.append((name, err))
    good = [name for name, err in checked if err is None]
    if not good:
        if first_error is not None:
            raise first_error
        raise ExcelArgumentError(str(checked[0][1]))
    table = _result_table(engine.run(_build("compare", {**slots, "gpu": ",".join(good)}), config=_config()))
    header = table[0]
    gpu_col = header.index("gpu") if "gpu" in header else 0
    for name, err in checked:
        if err is None:
            continue
        # The message once (first column), the row's other values error cells without text, so
        # IFERROR/ISERROR see every one of them on the routes that return real errors.
        row: list[Any] = [CellError("", err.code) for _ in header]
        row[0], row[gpu_col] = err, name
        table.append(row)
    return table


@func
@_arg("gpu", ndim=2, doc="GPU name (H100, a100-80g, 910B); a range gives one row per cell")
@_arg(
    "field",
    doc="memory_gb, memory_bw_gb_s, peak_tflops_fp16, tdp_w, ... (or memory, bandwidth, fp16, "
    "tdp); empty = the whole spec sheet as a table",
)
@_excel_errors
def aigc_gpu(gpu: CellOrRange, field: Cell = None) -> ExcelResult:
    """One field of a GPU's spec sheet from the catalog, or the whole sheet as a (field, value) table.

    =AIGC_GPU("H100", "memory_gb") or =AIGC_GPU(A2:A8, "fp16")
    """
    name = _scalar_text(field, "field")
    if name is None:
        if shape_of(to_grid(gpu)) != (1, 1):
            raise ExcelArgumentError('give a field to look up a range of GPUs, e.g. "memory_gb"')
        token = text_token(to_grid(gpu)[0][0], "gpu")
        if token is None:
            raise ExcelArgumentError("'gpu' is empty")
        spec = engine.catalog.resolve_gpu(token).model_dump()
        return clean_table([["field", "value"], *[[k, v] for k, v in spec.items() if not isinstance(v, (dict, list))]])
    key = "_".join(name.lower().split())
    attr = GPU_FIELD_ALIASES.get(key, key)

    def look(token: str) -> Any:
        spec = engine.catalog.resolve_gpu(token)
        if attr not in type(spec).model_fields:
            raise ExcelArgumentError(f"unknown GPU field '{name}'; use one of: {', '.join(type(spec).model_fields)}")
        value = getattr(spec, attr)
        return "" if value is None else value

    return _broadcast_lookup(gpu, "gpu", look)


@func
@_excel_errors
def aigc_gpus() -> ExcelResult:
    """Every GPU in the catalog with its key specs, spilled as a table.

    =AIGC_GPUS()
    """
    gpus = engine.catalog.list_gpus()
    fields = [f for f in GPU_LIST_FIELDS if not gpus or f in type(gpus[0]).model_fields]
    return _models_table(gpus, fields)


@func
@_arg("gpu", ndim=2, doc="GPU name; a range gives one price per cell")
@_arg("provider", doc="Cloud provider; empty = cheapest of all")
@_arg("region", doc="Region; empty = any")
@_arg("spot", doc="TRUE for spot prices; empty = on-demand")
@_excel_errors
def aigc_price(gpu: CellOrRange, provider: Cell = None, region: Cell = None, spot: Cell = None) -> ExcelResult:
    """Lowest catalog price per GPU-hour [USD] for a GPU (optionally at a provider, region, spot).

    =AIGC_PRICE("H100") or =AIGC_PRICE(A2:A8, "aws")
    """
    who = _scalar_text(provider, "provider")
    where = _scalar_text(region, "region")
    cheap = _flag(spot) is not None

    def look(token: str) -> float:
        return _price_value(engine.prices.lowest_price(token, provider=who, region=where, spot=cheap, config=_config()))

    return _broadcast_lookup(gpu, "gpu", look)


@func
@_arg("gpu", doc="GPU name, e.g. H100")
@_excel_errors
def aigc_prices(gpu: Cell) -> ExcelResult:
    """Every catalog price for a GPU (provider, region, instance, spot, per GPU-hour, date), as a table.

    =AIGC_PRICES("A100")
    """
    name = _scalar_text(gpu, "gpu")
    if name is None:
        raise ExcelArgumentError("'gpu' is empty; give a GPU name such as H100")
    return _models_table(engine.prices.prices_for(name))


@func
@_arg("from_currency", doc="Currency to convert from, e.g. USD")
@_arg("to_currency", doc="Currency to convert to, e.g. CNY")
@_excel_errors
def aigc_fx(from_currency: Cell, to_currency: Cell) -> ExcelResult:
    """Exchange rate used by the engine: units of to_currency per one from_currency (dated table).

    =AIGC_FX("USD", "CNY")
    """
    src = _scalar_text(from_currency, "from_currency")
    dst = _scalar_text(to_currency, "to_currency")
    if src is None or dst is None:
        raise ExcelArgumentError('give two currencies, e.g. =AIGC_FX("USD", "CNY")')
    rate = float(engine.fx.rate(src.upper(), dst.upper()))
    if not math.isfinite(rate):
        raise ExcelArgumentError(f"no finite rate from {src} to {dst}")
    return rate


_DOC_VIEW = (
    'What to spill: "table" (default), "frontier" (the rows on the frontier, the chart\'s points), '
    '"summary" (query, figures, warnings, assumptions)'
)


@func
@_arg("model", doc=_DOC_MODEL.split(";")[0])
@_arg("requests_per_day", doc="Requests per day (e.g. 1e6); empty = engine default traffic")
@_arg("input_tokens", doc=_DOC_IN)
@_arg("output_tokens", doc=_DOC_OUT)
@_arg("tpot_max", doc='Limit on the time per output token: seconds (0.05) or text ("50ms"); empty = none')
@_arg("ttft_max", doc='Limit on the time to first token: seconds (2) or text ("500ms"); empty = none')
@_arg("gpus", ndim=2, doc="GPU kinds to search: a range or comma-separated text (H100,H200; H100@2.5 gives a "
      "price); empty = every GPU kind with a price")  # fmt: skip
@_arg("top", doc=f'Rows to spill: the cheapest N per day (empty = {PLAN_TOP}; the frontier: all), or "all"')
@_arg("output", doc=_DOC_VIEW + ', "api" (the API offers), or a column of the cheapest row ("cost_per_day", "query")')
@_arg("currency_code", doc=_DOC_CURRENCY)
@_arg("provider", doc="Cloud provider of the prices; empty = each provider's cheapest")
@_arg("region", doc="Region of the prices; empty = any")
@_arg("spot", doc="TRUE for spot prices; empty = on-demand")
@_arg("cache_hit", doc="Share of prompt tokens served from a prefix cache, 0-0.99; empty = none")
@_arg("dtype", doc="Weight precision to plan with only (bf16, fp8, fp4); empty = every one the GPU has")
@_arg("engine", doc="Serving engine to plan with only (vllm, sglang, trtllm); empty = every one that runs")
@_arg("disagg", doc="TRUE: only disaggregated serving; FALSE: never; empty = both")
@_arg("peak", doc="Peak-to-average traffic ratio; empty = engine default")
@_arg("util", doc="Target utilisation, 0-1; empty = engine default")
@_arg("tokens_in_per_day", doc="Total input tokens per day (instead of requests); empty = unused")
@_arg("tokens_out_per_day", doc="Total output tokens per day (instead of requests); empty = unused")
@_excel_errors
def aigc_plan(
    model: Cell,
    requests_per_day: Cell = None,
    input_tokens: Cell = None,
    output_tokens: Cell = None,
    tpot_max: Cell = None,
    ttft_max: Cell = None,
    gpus: CellOrRange = None,
    top: Cell = None,
    output: Cell = None,
    currency_code: Cell = None,
    provider: Cell = None,
    region: Cell = None,
    spot: Cell = None,
    cache_hit: Cell = None,
    dtype: Cell = None,
    engine: Cell = None,
    disagg: Cell = None,
    peak: Cell = None,
    util: Cell = None,
    tokens_in_per_day: Cell = None,
    tokens_out_per_day: Cell = None,
) -> ExcelResult:
    """The cheapest ways to serve a workload within its latency limits, ranked by cost per day (a table).

    gpucost plan's table (the cheapest ``top`` rows), or its frontier, its API offers, a summary, or
    one figure of the cheapest configuration.

    =AIGC_PLAN("llama-3-70b", 1e6, 512, 256, 0.05, , "H100,H200") or output "frontier", "cost_per_day".
    A plan takes 0.1-3 s; the cell recalculates only when its inputs change.
    """
    cells = {
        "requests": requests_per_day,
        "in": input_tokens,
        "out": output_tokens,
        "tpot_max": tpot_max,
        "ttft_max": ttft_max,
        "currency": currency_code,
        "provider": provider,
        "region": region,
        "cache_hit": cache_hit,
        "dtype": dtype,
        "engine": engine,
        "peak": peak,
        "util": util,
        "tokens_in": tokens_in_per_day,
        "tokens_out": tokens_out_per_day,
    }
    options = {name: _scalar_text(value, _label(name)) for name, value in cells.items()}
    options["gpus"] = gpu_names(gpus)
    options["spot"] = _flag(spot)
    options["disagg"] = _either(disagg, "disagg")
    return _plan_answer("plan", model, None, None, options, output, top)


@func
@_arg("model", doc=_DOC_MODEL.split(";")[0])
@_arg("gpu", doc="GPU name, optionally with a count that fixes the replica (H100, 8xH100)")
@_arg("price", doc=_DOC_PRICE)
@_arg("input_tokens", doc=_DOC_IN)
@_arg("output_tokens", doc=_DOC_OUT)
@_arg("output", doc=_DOC_VIEW)
@_arg("currency_code", doc=_DOC_CURRENCY)
@_arg("dtype", doc=_DOC_DTYPE)
@_arg("engine", doc=_DOC_ENGINE)
@_arg("tp", doc="Tensor-parallel degree (fixes the layout); empty = every layout the replica search tries")
@_arg("util", doc="Target utilisation, 0-1 (for the cost per million output tokens); empty = engine default")
@_arg("provider", doc="Cloud provider for the catalog price; empty = cheapest")
@_arg("region", doc="Region for the catalog price; empty = any")
@_arg("spot", doc="TRUE for spot prices; empty = on-demand")
@_excel_errors
def aigc_curve(
    model: Cell,
    gpu: Cell,
    price: Cell = None,
    input_tokens: Cell = None,
    output_tokens: Cell = None,
    output: Cell = None,
    currency_code: Cell = None,
    dtype: Cell = None,
    engine: Cell = None,
    tp: Cell = None,
    util: Cell = None,
    provider: Cell = None,
    region: Cell = None,
    spot: Cell = None,
) -> ExcelResult:
    """Output tokens/s per GPU against tokens/s per user over batch sizes, per layout (a table).

    gpucost curve's table: one row per (layout, batch) with its frontier flag; or its frontier, or a
    summary.

    =AIGC_CURVE("llama-3-70b", "H100", , 1000, 300) or output "frontier".
    """
    cells = {
        "in": input_tokens,
        "out": output_tokens,
        "currency": currency_code,
        "dtype": dtype,
        "engine": engine,
        "tp": tp,
        "util": util,
        "provider": provider,
        "region": region,
    }
    options = {name: _scalar_text(value, _label(name)) for name, value in cells.items()}
    options["spot"] = _flag(spot)
    gpu_name = _scalar_text(gpu, "gpu")
    _require({"gpu": gpu_name})
    return _plan_answer("curve", model, gpu_name, _scalar_text(price, "price"), options, output, None)


def _plan_answer(
    kind: str, model: Cell, gpu: str | None, price: str | None, options: dict[str, str | None], output: Cell, top: Cell
) -> ExcelResult:
    """Shared body of AIGC_PLAN and AIGC_CURVE: check the output and top arguments (before the plan
    runs: a bad word fails at once), run the query, spill the view or return the figure asked."""
    name = _scalar_text(model, "model")
    _require({"model": name})
    word = _scalar_text(output, "output")
    which = plan_view(word)
    pick: str | None = None
    if which is None:
        pick = _plan_pick(kind, word or "")
    elif kind == "curve" and which == "api":
        raise ExcelArgumentError("a curve has no API offers; use table, frontier or summary")
    rows = top_rows(top, PLAN_TOP if (kind, which) == ("plan", "table") else None)
    result = engine.run(engine.build_query(kind, name, gpu, price, **options), config=_config())
    _refuse_not_as_asked(result)  # a curve of 2x H100 for "1xH100" says so (issue 15 item 7)
    table = result.table
    if table is None:  # pragma: no cover - plan and curve answers always carry a table
        raise ExcelFunctionError(f"gpucost internal error: a {kind} answer without a table")
    if which in ("table", "frontier"):
        return table_view(table.columns, table.rows, which, rows)
    if which == "api":
        return api_view([offer.model_dump() for offer in result.api or []], result.warnings)
    if which == "summary":
        return summary_view(result.to_json_dict(), result.headline(), NUMERIC_FIELDS)
    assert pick is not None
    if pick == "break_even_requests_per_day" and result.break_even_requests_per_day is None:
        why = "the API is cheaper at every traffic" if result.api else "there is no API offer to break even with"
        raise ExcelArgumentError(f"no break-even traffic for {excerpt(result.query, 80)}: {why}")
    if pick in table.columns:
        return best_value(table.columns, table.rows, pick)
    return _pick(result, pick)


#: Friendly names for the columns of a plan table, to the column (``output`` of AIGC_PLAN).
_PLAN_ALIASES = {"break_even": "break_even_requests_per_day", "breakeven": "break_even_requests_per_day"}


def _plan_pick(kind: str, word: str) -> str:
    """The figure of the cheapest configuration an ``output`` word names (a column, a metric, the
    break-even), or a one-line error listing the choices."""
    choices = "table, frontier, summary" + (", api, or a column of the table (cost_per_day, gpu, query...)"
                                            if kind == "plan" else "")  # fmt: skip
    if kind != "plan":
        raise ExcelArgumentError(f"unknown output '{excerpt(word)}' for a curve; use {choices}")
    wanted = output_key(word)
    wanted = _PLAN_ALIASES.get(wanted, wanted)
    if wanted in PLAN_COLUMNS or wanted == "break_even_requests_per_day":
        return wanted
    try:
        return _metric(word, "cost_per_day")
    except ExcelArgumentError:
        raise ExcelArgumentError(f"unknown output '{excerpt(word)}'; use {choices}") from None


def _either(value: Cell, name: str) -> str | None:
    """A TRUE/FALSE cell as ``true``/``false`` (both mean something), ``None`` when empty."""
    grid = to_grid(value)
    if shape_of(grid) != (1, 1):
        raise ExcelArgumentError(f"'{name}' must be a single cell, not a range")
    cell = grid[0][0]
    if is_blank(cell):
        return None
    return "true" if _flag(cell, name) is not None else "false"


def _given(args: dict[str, CellOrRange]) -> dict[str, CellOrRange]:
    """Arguments Excel actually filled: ``None`` (omitted or empty cell) means the engine default."""
    keep = {"model", "gpu"}
    return {k: v for k, v in args.items() if k in keep or v is not None}


def _flag(value: Cell, name: str = "spot") -> str | None:
    """An Excel TRUE/FALSE (or yes/no, 1/0) as the query's flag value, ``None`` when off or empty;
    an error cell is refused naming the argument (it is not an empty cell)."""
    if is_blank(value) or value is False:
        return None
    refuse_error(value, name)
    if value is True or (isinstance(value, (int, float)) and value == 1):
        return "true"
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "y", "1", "spot"):
        return "true"
    if (isinstance(value, str) and value.strip().lower() in ("false", "no", "n", "0")) or (
        isinstance(value, (int, float)) and value == 0
    ):
        return None
    raise ExcelArgumentError(f"'{name}' must be TRUE or FALSE, not {excerpt(repr(value))}")
