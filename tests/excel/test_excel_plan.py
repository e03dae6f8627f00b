"""AIGC_PLAN and AIGC_CURVE called with the argument shapes Excel sends, checked against the engine.

Every expected figure comes from ``engine.run`` on the same query (and the chart data from
``engine.charts.series``): the Excel layer only picks a view of the answer and shapes it. The other
runtimes (xlwings Server, Pyodide, the VBA generator, the workbook) have their own files.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import engine
import engine.planner
from engine.charts import series
from engine.curve import COLUMNS as CURVE_COLUMNS
from engine.results import Result
from excel import functions as fn

DIV0 = {"type": "Error", "basicType": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}

#: A quick plan (two GPU kinds, about 0.1 s) and the same workload as Excel sends it (floats, a range).
PLAN_QUERY = "plan llama-3-70b gpus=H100,H200 requests=1000000 tpot_max=0.05"
PLAN_ARGS: tuple[Any, ...] = ("llama-3-70b", 1e6, None, None, 0.05, None, [["H100"], ["H200"]])
#: A model with published API offers (a break-even traffic).
API_QUERY = "plan qwen3-32b gpus=H100 requests=1000000 tpot_max=0.05"
API_ARGS: tuple[Any, ...] = ("qwen3-32b", 1e6, None, None, 0.05, None, "H100")

_CACHE: dict[str, Result] = {}


def direct(query: str) -> Result:
    """The engine's answer for a query (each query run once per session: plans take 0.1-1 s)."""
    if query not in _CACHE:
        _CACHE[query] = engine.run(query)
    return _CACHE[query]


def _plan(*extra: Any, **options: Any) -> Any:
    return fn.aigc_plan(*PLAN_ARGS, *extra, **options)


# ---- the views -----------------------------------------------------------------------------------


def test_plan_spills_the_cheapest_twenty_rows_of_the_engines_table() -> None:
    r = direct(PLAN_QUERY)
    got = _plan()
    assert got[0] == engine.planner.COLUMNS == r.table.columns
    assert len(r.table.rows) > 20 and len(got) == 21
    expected = [["" if v is None else v for v in row] for row in r.table.rows[:20]]
    assert got[1:] == expected
    assert [row[0] for row in got[1:]] == list(range(1, 21))  # ranked by cost per day
    assert got[1][got[0].index("cost_per_day")] == r.cost_per_day


@pytest.mark.parametrize(("top", "rows"), [(5.0, 5), ("5", 5), (1, 1), ("all", None), ("ALL", None), (1e6, None)])
def test_top_chooses_how_many_rows_spill(top: Any, rows: int | None) -> None:
    r = direct(PLAN_QUERY)
    got = _plan(top)
    assert len(got) == 1 + (len(r.table.rows) if rows is None else rows)


def test_frontier_is_the_charts_frontier() -> None:
    """output "frontier": the rows the chart draws as its frontier, in its order (engine.charts.series)."""
    r = direct(PLAN_QUERY)
    got = _plan(None, "frontier")
    header, rows = got[0], got[1:]
    front = next(s for s in series(r)["series"] if s["style"] == "frontier")
    assert [row[header.index("tokens_per_s_per_user")] for row in rows] == front["x"]
    assert [row[header.index("cost_per_million_output_tokens")] for row in rows] == front["y"]
    assert all(row[header.index("pareto")] is True for row in rows)
    # top empty: the whole frontier, even where it is longer than a table's default 20 rows
    assert len(rows) == sum(1 for row in r.table.rows if row[header.index("pareto")])
    assert len(_plan(3, "frontier")) == 4


def test_every_spilled_row_reproduces_through_its_query() -> None:
    """The query column is a daily query: AIGC_ESTIMATE of it gives the row's cost per day, GPUs and TPOT."""
    got = _plan(3)
    header = got[0]
    for row in got[1:]:
        table = dict(fn.aigc_estimate(row[header.index("query")])[1:])
        assert table["cost_per_day"] == pytest.approx(row[header.index("cost_per_day")], rel=1e-9)
        assert table["gpus"] == row[header.index("gpus")]
        assert table["tpot_s"] == pytest.approx(row[header.index("tpot_s")], rel=1e-9)


@pytest.mark.parametrize(
    ("output", "column"),
    [
        ("cost_per_day", "cost_per_day"),
        ("per day", "cost_per_day"),
        ("Cost per million output tokens", "cost_per_million_output_tokens"),
        ("gpu", "gpu"),
        ("GPUs", "gpus"),
        ("layout", "layout"),
        ("query", "query"),
        ("tpot", "tpot_s"),
    ],
)
def test_one_figure_of_the_cheapest_configuration(output: str, column: str) -> None:
    r = direct(PLAN_QUERY)
    assert _plan(None, output) == r.table.rows[0][r.table.columns.index(column)]


def test_break_even_and_api_offers() -> None:
    r = direct(API_QUERY)
    assert r.api and r.break_even_requests_per_day is not None
    assert fn.aigc_plan(*API_ARGS, None, "break even") == r.break_even_requests_per_day
    assert fn.aigc_plan(*API_ARGS, None, "break_even_requests_per_day") == r.break_even_requests_per_day
    api = fn.aigc_plan(*API_ARGS, None, "api")
    assert api[0][:2] == ["provider", "model"] and len(api) == 1 + len(r.api)
    for row, offer in zip(api[1:], r.api, strict=True):
        assert row[api[0].index("cost_per_day")] == offer.cost_per_day
        assert row[api[0].index("usd_per_million_output_tokens")] == offer.usd_per_million_output_tokens
        assert row[api[0].index("source")] == offer.source.strip() and row[api[0].index("as_of")] == offer.as_of
    # No offer for the model: the api view says so in one cell; the break-even is an error that says why.
    none = _plan(None, "api")
    assert len(none) == 1 and none[0][0].startswith("(none)") and "Llama 3 70B" in none[0][0]
    with pytest.raises(fn.ExcelError, match=r"no break-even traffic .*: there is no API offer"):
        _plan(None, "break even")


def test_summary_lists_the_query_figures_warnings_and_assumptions() -> None:
    r = direct(API_QUERY)
    got = fn.aigc_plan(*API_ARGS, None, "summary")
    assert got[0] == ["metric", "value"] and all(len(row) == 2 for row in got)
    lines = dict(got[1:])
    assert lines["query"] == r.query and lines["headline"] == r.headline()
    assert lines["best_query"] == r.inputs["best_query"] == r.table.rows[0][-1]
    assert lines["best: cost_per_day"] == r.cost_per_day
    assert lines["break_even_requests_per_day"] == r.break_even_requests_per_day
    assert lines["rows"] == len(r.table.rows)
    assert sum(1 for row in got if row[0].startswith("assumption: ")) == len(r.assumptions)
    assert [row[1] for row in got if row[0] == "warning"] == r.warnings


def test_excel_arguments_make_the_same_query_as_the_command_line() -> None:
    """Numbers arrive as floats, GPU names as a range or comma text (empty cells skipped), flags as
    TRUE/FALSE; the plan is the one the command line answers for the same options."""
    cases = [
        ((*PLAN_ARGS, 5), "plan llama-3-70b gpus=H100,H200 requests=1M tpot_max=50ms"),
        (
            ("llama-3-70b", 1e6, 512.0, 256.0, "50ms", None, [["H100", ""], ["", "H200"]], 5),
            "plan llama-3-70b gpus=H100,H200 requests=1M in=512 out=256 tpot_max=50ms",
        ),
        (
            ("llama-3-70b", 1e6, None, None, 0.05, 2.0, "H100, H200@2.5", 5),
            "plan llama-3-70b gpus=H100,H200@2.5 requests=1M tpot_max=50ms ttft_max=2",
        ),
        (
            ("llama-3-70b", 1e6, None, None, 0.05, None, "H100", 5, None, "CNY", None, None, True),
            "plan llama-3-70b gpus=H100 requests=1M tpot_max=50ms currency=CNY spot",
        ),
    ]
    for args, query in cases:
        got, r = fn.aigc_plan(*args), direct(query)
        q = got[0].index("query")
        assert [row[:q] for row in got[1:]] == [["" if v is None else v for v in row[:q]] for row in r.table.rows[:5]]
    # disagg: TRUE only disaggregated rows, FALSE none, empty both
    only = fn.aigc_plan(*PLAN_ARGS, "all", disagg=True)
    never = fn.aigc_plan(*PLAN_ARGS, "all", disagg=False)
    both = _plan("all")
    col = both[0].index("serving")
    assert {row[col] for row in only[1:]} == {"disaggregated"}
    assert {row[col] for row in never[1:]} == {"colocated"}
    assert {row[col] for row in both[1:]} == {"colocated", "disaggregated"}


def test_an_empty_gpus_range_searches_every_gpu_kind_with_a_price() -> None:
    got = fn.aigc_plan("llama-3-8b", 1e6, None, None, 0.05, None, [[""], [None]], None, "query")
    assert got == direct("plan llama-3-8b requests=1000000 tpot_max=0.05").table.rows[0][-1]


# ---- bad input: one line naming the argument, before any plan runs -------------------------------

#: Every single-cell parameter of AIGC_PLAN (and the names its messages use).
SINGLE = [p for p in inspect.signature(fn.aigc_plan).parameters if p not in ("gpus",)]


@pytest.mark.parametrize("error", ["#N/A", DIV0])
@pytest.mark.parametrize("param", SINGLE)
def test_an_error_cell_in_any_argument_is_refused_naming_it(
    param: str, error: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "run", _no_plan)
    code = error["basicValue"] if isinstance(error, dict) else error
    args = {"model": "llama-3-70b", "gpus": "H100", param: error}
    with pytest.raises(fn.ExcelError, match=f"^'{param}' is the error {code}; fix the cell"):
        fn.aigc_plan(**args)


def _no_plan(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the plan ran for bad input")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gpus": [["H100"], [DIV0]]}, "'gpus' cell 2 is the error #DIV/0!; fix the cell it comes from"),
        ({"gpus": [["H100"], ["#N/A"]]}, "'gpus' cell 2 is the error #N/A"),
        ({"top": 0}, "'top' must be a whole number of rows (1 or more) or \"all\", not '0'"),
        ({"top": 2.5}, "'top' must be a whole number of rows"),
        ({"top": "many"}, "'top' must be a whole number of rows"),
        ({"top": True}, "'top' must be a whole number of rows"),
        ({"top": [[1], [2]]}, "'top' must be a single cell, not a range"),
        ({"output": "per fortnight"}, "unknown output 'per fortnight'; use table, frontier, summary, api, or a column"),
        ({"requests_per_day": [[1e6], [2e6]]}, "'requests_per_day' must be a single cell, not a range"),
        ({"model": None}, "'model' is empty; give a model name"),
        ({"disagg": "maybe"}, "'disagg' must be TRUE or FALSE, not 'maybe'"),
        ({"spot": "maybe"}, "'spot' must be TRUE or FALSE, not 'maybe'"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_the_plan_runs(
    kwargs: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "run", _no_plan)
    args = {"model": "llama-3-70b", "gpus": "H100", **kwargs}
    with pytest.raises(fn.ExcelError) as info:
        fn.aigc_plan(**args)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"gpus": "H1000"}, "unknown GPU 'H1000' in gpus=; did you mean 'H100'"),
        ({"tpot_max": "fast"}, "'fast' is not a number for time"),
        ({"tpot_max": 0.001}, "no configuration meets tpot_max=0.001"),
        ({"model": "no-such-model-xyz"}, "unknown model 'no-such-model-xyz'"),
    ],
)
def test_what_the_engine_refuses_comes_back_in_its_one_line(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(fn.ExcelError) as info:
        fn.aigc_plan(**{"model": "llama-3-70b", "gpus": "H100", **kwargs})
    assert needle in str(info.value) and "\n" not in str(info.value) and "Traceback" not in str(info.value)


# ---- AIGC_CURVE ----------------------------------------------------------------------------------


def test_curve_spills_every_point_and_its_frontier() -> None:
    r = direct("curve llama-3-70b H100 in=1000 out=300")
    got = fn.aigc_curve("llama-3-70b", "H100", None, 1000.0, 300.0)
    assert got[0] == CURVE_COLUMNS
    assert got[1:] == [["" if v is None else v for v in row] for row in r.table.rows]  # every point, no top
    front = fn.aigc_curve("llama-3-70b", "H100", None, 1000.0, 300.0, "frontier")
    line = next(s for s in series(r)["series"] if s["style"] == "frontier")
    assert [row[front[0].index("tokens_per_s_per_user")] for row in front[1:]] == line["x"]
    assert [row[front[0].index("tokens_per_s_per_gpu")] for row in front[1:]] == line["y"]
    summary = dict(fn.aigc_curve("llama-3-70b", "H100", None, 1000.0, 300.0, "summary")[1:])
    assert summary["query"] == r.query and summary["points"] == len(r.table.rows)


def test_curve_with_a_price_and_a_layout_is_the_engines() -> None:
    r = direct("curve llama-3-70b 4xH100 2.5 tp=4 engine=trtllm")
    got = fn.aigc_curve("llama-3-70b", "4xH100", 2.5, None, None, None, None, None, "trtllm", 4.0)
    assert got[1:] == [["" if v is None else v for v in row] for row in r.table.rows]
    assert {row[0] for row in got[1:]} == {"TP4"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("llama-3-70b", "1xH100"), "does not fit: Llama 3 70B at bf16 needs at least 2x"),
        (("llama-3-70b", None), "'gpu' is empty"),
        (("llama-3-70b", "H100", None, None, None, "api"), "a curve has no API offers"),
        (("llama-3-70b", "H100", None, None, None, "cost_per_day"), "unknown output 'cost_per_day' for a curve"),
        (("llama-3-70b", "H100", "#N/A"), "'price' is the error #N/A"),
        (("llama-3-70b", [["H100"], ["L4"]]), "'gpu' must be a single cell, not a range"),
    ],
)
def test_curve_bad_input_is_one_line(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(fn.ExcelError) as info:
        fn.aigc_curve(*args)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


# ---- TRUE/FALSE arguments of the older functions -------------------------------------------------


def test_an_error_cell_in_spot_names_spot() -> None:
    """Before, an error cell in a TRUE/FALSE argument said "expected TRUE or FALSE, got '#N/A'",
    without naming the argument (issue 15 item 3 asks every error input to name it)."""
    with pytest.raises(fn.ExcelError, match=r"^'spot' is the error #N/A; fix the cell"):
        fn.aigc_price("H100", None, None, "#N/A")
    with pytest.raises(fn.ExcelError, match=r"^'spot' is the error #DIV/0!; fix the cell"):
        fn.aigc_infer("llama-3-8b", "H100", spot=DIV0)
    assert fn.aigc_price("H100", None, None, False) == fn.aigc_price("H100")
    assert fn.aigc_price("H100", None, None, 0.0) == fn.aigc_price("H100")
